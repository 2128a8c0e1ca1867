/* What the benchmarks share: the clock and the summary of repeated samples. Medians,
 * because the machines are shared and one slow sample says nothing about the code. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <time.h>

#include "bench.h"

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

bench_summary bench_summarize(double *samples, int count)
{
    qsort(samples, (size_t)count, sizeof *samples, compare_doubles);
    const double median = count % 2 ? samples[count / 2]
                                    : 0.5 * (samples[count / 2 - 1] + samples[count / 2]);
    return (bench_summary){median, samples[0], samples[count - 1]};
}

double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
