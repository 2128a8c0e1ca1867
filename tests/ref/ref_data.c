/* Host references of the data layer: see ref_data.h. The padded image is built explicitly,
 * pixel by pixel, so that no index arithmetic is shared with the kernel. */
#include "ref/ref_data.h"

#include <math.h>
#include <stdlib.h>

void ref_gather(const uint8_t *images, size_t rows, size_t cols, size_t pad,
                const uint32_t *perm, const uint32_t *indices, size_t batch, double mean,
                double std, double *out)
{
    const size_t height = rows + 2 * pad, width = cols + 2 * pad, input_size = height * width;
    double *padded = malloc(input_size * sizeof *padded);
    if (padded == NULL)
        abort();
    for (size_t i = 0; i < batch; i++) {
        const uint8_t *image = images + (size_t)indices[i] * rows * cols;
        for (size_t y = 0; y < height; y++)
            for (size_t x = 0; x < width; x++) {
                const int inside = y >= pad && y < pad + rows && x >= pad && x < pad + cols;
                const double pixel = inside ? image[(y - pad) * cols + (x - pad)] : 0.0;
                padded[y * width + x] = (pixel / 255.0 - mean) / std;
            }
        for (size_t p = 0; p < input_size; p++)
            out[i * input_size + p] = padded[perm != NULL ? perm[p] : p];
    }
    free(padded);
}

void ref_pixel_stats(const uint8_t *pixels, size_t n, double *mean, double *std)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += pixels[i] / 255.0;
    const double m = sum / (double)n;
    double squares = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double d = pixels[i] / 255.0 - m;
        squares += d * d;
    }
    *mean = m;
    *std = sqrt(squares / (double)n);
}
