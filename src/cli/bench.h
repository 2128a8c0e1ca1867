/* The measurements behind `ewcl bench`, and what they share. */
#ifndef EWCL_CLI_BENCH_H
#define EWCL_CLI_BENCH_H

int bench_startup(int argc, char **argv);
int bench_gemm(int argc, char **argv);
int bench_step(int argc, char **argv);
int bench_fisher(int argc, char **argv);
int bench_update(int argc, char **argv);
int bench_epoch(int argc, char **argv);

/* Median, minimum and maximum of `count` samples (the array is sorted in place). */
typedef struct bench_summary {
    double median, min, max;
} bench_summary;
bench_summary bench_summarize(double *samples, int count);

/* Seconds on the monotonic clock. */
double bench_now(void);

#endif
