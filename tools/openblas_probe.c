/* The peer for `ewcl bench gemm`: reads its JSON (stdin), times OpenBLAS's cblas_sgemm at
 * the same shapes the same way (median of 5 samples of about 0.2 s), and prints both side
 * by side. Built and run by tools/bench.sh when libopenblas-dev is installed; not part of
 * the library. */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SAMPLES = 5 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double seconds_for(int reps, int ta, int tb, int m, int n, int k, const float *a,
                          const float *b, float *c)
{
    const double start = now();
    for (int r = 0; r < reps; r++)
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    m, n, k, 1.0f, a, ta ? m : k, b, tb ? k : n, 0.0f, c, n);
    return now() - start;
}

static double openblas_gflops(int ta, int tb, int m, int n, int k)
{
    const size_t floats = 2048u * 2048u;
    float *a = malloc(floats * sizeof *a), *b = malloc(floats * sizeof *b),
          *c = malloc(floats * sizeof *c);
    for (size_t i = 0; i < floats; i++)
        a[i] = b[i] = c[i] = (float)(i % 17) / 17.0f - 0.5f;
    seconds_for(2, ta, tb, m, n, k, a, b, c);
    const double three = seconds_for(3, ta, tb, m, n, k, a, b, c);
    const int reps = (int)(0.2 / (three / 3)) + 1;
    double rates[SAMPLES];
    for (int i = 0; i < SAMPLES; i++)
        rates[i] = 2.0 * m * n * k * reps / seconds_for(reps, ta, tb, m, n, k, a, b, c) / 1e9;
    qsort(rates, SAMPLES, sizeof *rates, compare);
    free(a);
    free(b);
    free(c);
    return rates[SAMPLES / 2];
}

static char *read_all(FILE *f)
{
    size_t size = 0, capacity = 1 << 16;
    char *text = malloc(capacity);
    for (size_t got; text != NULL && (got = fread(text + size, 1, capacity - size - 1, f)) > 0;) {
        size += got;
        if (size + 1 == capacity)
            text = realloc(text, capacity *= 2);
    }
    if (text != NULL)
        text[size] = '\0';
    return text;
}

int main(void)
{
    char *text = read_all(stdin);
    cJSON *root = text != NULL ? cJSON_Parse(text) : NULL;
    const cJSON *results = cJSON_GetObjectItem(root, "results");
    if (!cJSON_IsArray(results)) {
        fprintf(stderr, "openblas_probe: expected `ewcl bench gemm --json` on stdin\n");
        return 2;
    }
    printf("%-26s %-3s %5s %5s %5s  %9s %9s %9s  %s\n", "shape", "op", "m", "n", "k",
           "native", "clblast", "OpenBLAS", "native/OpenBLAS");
    const char *last_shape = "";
    double native = 0, clblast = 0;
    const int count = cJSON_GetArraySize(results);
    for (int i = 0; i < count; i++) {
        const cJSON *row = cJSON_GetArrayItem(results, i);
        const char *shape = cJSON_GetObjectItem(row, "shape")->valuestring;
        const char *engine = cJSON_GetObjectItem(row, "engine")->valuestring;
        const double gflops = cJSON_GetObjectItem(row, "gflops")->valuedouble;
        if (strcmp(engine, "native") == 0)
            native = gflops;
        else
            clblast = gflops;
        const cJSON *next = i + 1 < count ? cJSON_GetArrayItem(results, i + 1) : NULL;
        last_shape = shape;
        if (next != NULL && strcmp(cJSON_GetObjectItem(next, "shape")->valuestring, last_shape) == 0)
            continue;
        const char *op = cJSON_GetObjectItem(row, "op")->valuestring;
        const int m = cJSON_GetObjectItem(row, "m")->valueint;
        const int n = cJSON_GetObjectItem(row, "n")->valueint;
        const int k = cJSON_GetObjectItem(row, "k")->valueint;
        const double peer = openblas_gflops(op[0] == 'T', op[1] == 'T', m, n, k);
        printf("%-26s %-3s %5d %5d %5d  %9.1f %9.1f %9.1f  %.2f\n", shape, op, m, n, k, native,
               clblast, peer, native / peer);
        native = clblast = 0;
    }
    cJSON_Delete(root);
    free(text);
    return 0;
}
