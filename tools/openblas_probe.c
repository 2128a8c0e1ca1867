/* The peer of `ewcl bench gemm`: reads its JSON on stdin for the shapes, times OpenBLAS's
 * cblas_sgemm at each the same way (back-to-back products, 5 samples of about 0.2 s after a
 * warm-up) and prints JSON: the shapes with OpenBLAS's GFLOP/s (median, min, max). Built and
 * run by tools/bench.sh when libopenblas-dev is installed; not part of the library. */
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

typedef struct shape {
    int ta, tb, m, n, k;
} shape;

static double seconds_for(int reps, const shape *s, const float *a, const float *b, float *c)
{
    const double start = now();
    for (int r = 0; r < reps; r++)
        cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans,
                    s->tb ? CblasTrans : CblasNoTrans, s->m, s->n, s->k, 1.0f, a,
                    s->ta ? s->m : s->k, b, s->tb ? s->k : s->n, 0.0f, c, s->n);
    return now() - start;
}

/* GFLOP/s of SAMPLES samples, sorted: [0] min, [SAMPLES/2] median, [SAMPLES-1] max. */
static void measure(const shape *s, const float *a, const float *b, float *c,
                    double rates[SAMPLES])
{
    seconds_for(2, s, a, b, c); /* warm-up: threads started, pages touched */
    const double three = seconds_for(3, s, a, b, c);
    const int reps = (int)(0.2 / (three / 3)) + 1;
    const double flops = 2.0 * s->m * s->n * s->k;
    for (int i = 0; i < SAMPLES; i++)
        rates[i] = flops * reps / seconds_for(reps, s, a, b, c) / 1e9;
    qsort(rates, SAMPLES, sizeof *rates, compare);
}

static char *read_all(FILE *f)
{
    size_t size = 0, capacity = 1 << 16;
    char *text = malloc(capacity);
    for (size_t got; text != NULL && (got = fread(text + size, 1, capacity - size - 1, f)) > 0;) {
        size += got;
        if (size + 1 == capacity) {
            char *grown = realloc(text, capacity *= 2);
            if (grown == NULL)
                free(text);
            text = grown;
        }
    }
    if (text != NULL)
        text[size] = '\0';
    return text;
}

/* The integer `key` of a result row, or -1 when it is missing. */
static int int_field(const cJSON *row, const char *key)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(row, key);
    return cJSON_IsNumber(f) ? f->valueint : -1;
}

int main(void)
{
    char *text = read_all(stdin);
    cJSON *root = text != NULL ? cJSON_Parse(text) : NULL;
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(root, "results");
    if (!cJSON_IsArray(results)) {
        fprintf(stderr, "openblas_probe: expected `ewcl bench gemm --json` on stdin\n");
        return 2;
    }
    /* Operands for the largest shape ewcl measures (2048² floats), values in [-0.5, 0.5). */
    const size_t floats = 2048u * 2048u;
    float *a = malloc(floats * sizeof *a), *b = malloc(floats * sizeof *b),
          *c = malloc(floats * sizeof *c);
    if (a == NULL || b == NULL || c == NULL) {
        fprintf(stderr, "openblas_probe: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < floats; i++)
        a[i] = b[i] = c[i] = (float)(i % 17) / 17.0f - 0.5f;
    cJSON *out = cJSON_CreateObject(), *rows = cJSON_AddArrayToObject(out, "results");
    cJSON_AddStringToObject(out, "peer", "openblas");
    cJSON_AddStringToObject(out, "config", openblas_get_config());
    cJSON_AddNumberToObject(out, "threads", openblas_get_num_threads());
    const char *last = "";
    const cJSON *row = NULL;
    cJSON_ArrayForEach(row, results)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(row, "shape");
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(row, "op");
        const shape s = {0, 0, int_field(row, "m"), int_field(row, "n"), int_field(row, "k")};
        if (!cJSON_IsString(name) || !cJSON_IsString(op) || strlen(op->valuestring) != 2 ||
            s.m <= 0 || s.n <= 0 || s.k <= 0 || (size_t)s.m * (size_t)s.k > floats ||
            (size_t)s.k * (size_t)s.n > floats || (size_t)s.m * (size_t)s.n > floats) {
            fprintf(stderr, "openblas_probe: a result row without a valid shape\n");
            return 2;
        }
        if (strcmp(name->valuestring, last) == 0) /* one row per engine: measure once */
            continue;
        last = name->valuestring;
        shape t = s;
        t.ta = op->valuestring[0] == 'T';
        t.tb = op->valuestring[1] == 'T';
        double rates[SAMPLES];
        measure(&t, a, b, c, rates);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "shape", name->valuestring);
        cJSON_AddStringToObject(o, "op", op->valuestring);
        cJSON_AddNumberToObject(o, "m", s.m);
        cJSON_AddNumberToObject(o, "n", s.n);
        cJSON_AddNumberToObject(o, "k", s.k);
        cJSON_AddNumberToObject(o, "gflops", rates[SAMPLES / 2]);
        cJSON_AddNumberToObject(o, "gflops_min", rates[0]);
        cJSON_AddNumberToObject(o, "gflops_max", rates[SAMPLES - 1]);
        cJSON_AddItemToArray(rows, o);
    }
    char *printed = cJSON_Print(out);
    if (printed != NULL)
        puts(printed);
    cJSON_free(printed);
    cJSON_Delete(out);
    cJSON_Delete(root);
    free(text);
    free(a);
    free(b);
    free(c);
    return 0;
}
