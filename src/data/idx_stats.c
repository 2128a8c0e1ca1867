/* Normalisation constants of a set: mean and standard deviation of its pixels in [0, 1]. */
#include <math.h>

#include "ewcl/data.h"

void ewcl_idx_pixel_stats(const ewcl_idx_set *set, double *mean, double *std)
{
    /* A histogram of the 256 byte values makes both passes over 47 M pixels one, and the
     * sums exact until the last few operations. */
    uint64_t histogram[256] = {0};
    const size_t n = set->count * set->rows * set->cols;
    for (size_t i = 0; i < n; i++)
        histogram[set->images[i]]++;
    double sum = 0.0;
    for (int v = 0; v < 256; v++)
        sum += (double)histogram[v] * v;
    const double m = n > 0 ? sum / (double)n : 0.0;
    double squares = 0.0;
    for (int v = 0; v < 256; v++)
        squares += (double)histogram[v] * (v - m) * (v - m);
    *mean = m / 255.0;
    *std = n > 0 ? sqrt(squares / (double)n) / 255.0 : 0.0;
}
