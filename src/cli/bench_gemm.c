/* `ewcl bench gemm`: GFLOP/s of each GEMM engine at the MLP's shapes and a large square,
 * with the share of the device's estimated peak. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cli_common.h"
#include "ewcl/ewcl_cl.h"

static const char gemm_help[] =
    "usage: ewcl bench gemm [--engine native|clblast|all] [--shapes model|all] [--seconds S]\n"
    "                       [--json] [--device SEL]\n"
    "\n"
    "GFLOP/s (2·m·n·k per product) of back-to-back products with one clFinish, the median (and\n"
    "the min-max) of 5 samples of about S seconds each (default 0.2), at the default MLP's shapes (batch 128:\n"
    "forward x·W, weight gradient xᵀ·δ, input gradient δ·Wᵀ), the Fisher shape and a 2048³\n"
    "square (--shapes model skips the last two). `peak %` divides by an estimate of the\n"
    "device's peak: compute units × clock × preferred float vector width × 2 (one FMA per lane\n"
    "per cycle) — an estimate, since cores may issue more than one FMA per cycle.\n" CLI_RUNTIME_FLAGS_HELP;

typedef struct gemm_shape {
    const char *name;
    ewcl_transpose ta, tb;
    size_t m, n, k;
    bool model; /* part of one training step */
} gemm_shape;

/* The default network (1024 → 400 → 400 → 400 → 10, weights [in × out], batch 128). */
static const gemm_shape shapes[] = {
    {"forward 1024>400", EWCL_NO_TRANS, EWCL_NO_TRANS, 128, 400, 1024, true},
    {"forward 400>400", EWCL_NO_TRANS, EWCL_NO_TRANS, 128, 400, 400, true},
    {"forward 400>10", EWCL_NO_TRANS, EWCL_NO_TRANS, 128, 10, 400, true},
    {"weight-grad 1024x400", EWCL_TRANS, EWCL_NO_TRANS, 1024, 400, 128, true},
    {"weight-grad 400x400", EWCL_TRANS, EWCL_NO_TRANS, 400, 400, 128, true},
    {"weight-grad 400x10", EWCL_TRANS, EWCL_NO_TRANS, 400, 10, 128, true},
    {"input-grad 128x1024", EWCL_NO_TRANS, EWCL_TRANS, 128, 1024, 400, true},
    {"input-grad 128x400", EWCL_NO_TRANS, EWCL_TRANS, 128, 400, 400, true},
    {"input-grad 128x400<10", EWCL_NO_TRANS, EWCL_TRANS, 128, 400, 10, true},
    {"fisher 1024x400 (N=1024)", EWCL_TRANS, EWCL_NO_TRANS, 1024, 400, 1024, false},
    {"square 2048", EWCL_NO_TRANS, EWCL_NO_TRANS, 2048, 2048, 2048, false},
};
enum { SHAPE_COUNT = sizeof shapes / sizeof shapes[0], SAMPLES = 5 };

typedef struct gemm_buffers {
    cl_mem a, b, c;
} gemm_buffers;

static void release_buffers(gemm_buffers *g)
{
    if (g->a != NULL)
        clReleaseMemObject(g->a);
    if (g->b != NULL)
        clReleaseMemObject(g->b);
    if (g->c != NULL)
        clReleaseMemObject(g->c);
}

/* Buffers for the largest shape, filled with values in [−1, 1). */
static bool make_buffers(ewcl_runtime *rt, size_t floats, gemm_buffers *g)
{
    float *host = malloc(floats * sizeof *host);
    if (host == NULL)
        return false;
    unsigned state = 12345;
    for (size_t i = 0; i < floats; i++) {
        state = state * 1664525u + 1013904223u;
        host[i] = (float)(state >> 8) / 8388608.0f - 1.0f;
    }
    cl_context context = ewcl_runtime_cl_context(rt);
    cl_mem *targets[3] = {&g->a, &g->b, &g->c};
    bool ok = true;
    for (int i = 0; i < 3 && ok; i++) {
        cl_int rc = CL_SUCCESS;
        *targets[i] = clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                                     floats * sizeof *host, host, &rc);
        ok = rc == CL_SUCCESS;
    }
    free(host);
    return ok;
}

static ewcl_gemm_args args_for(const gemm_shape *s, const gemm_buffers *g)
{
    return (ewcl_gemm_args){
        .trans_a = s->ta, .trans_b = s->tb, .m = s->m, .n = s->n, .k = s->k,
        .alpha = 1.0f, .beta = 0.0f,
        .a = g->a, .lda = s->ta == EWCL_TRANS ? s->m : s->k,
        .b = g->b, .ldb = s->tb == EWCL_TRANS ? s->k : s->n,
        .c = g->c, .ldc = s->n,
    };
}

/* Seconds for `reps` back-to-back products, one finish at the end. */
static ewcl_status time_products(ewcl_runtime *rt, ewcl_gemm_engine engine,
                                 const ewcl_gemm_args *args, int reps, double *seconds)
{
    const double start = bench_now();
    ewcl_status s = EWCL_OK;
    for (int r = 0; r < reps && s == EWCL_OK; r++)
        s = ewcl_gemm(rt, engine, args);
    if (s == EWCL_OK)
        s = ewcl_runtime_finish(rt);
    *seconds = bench_now() - start;
    return s;
}

/* GFLOP/s over SAMPLES samples of about `target` seconds each: median, min, max. */
static ewcl_status measure(ewcl_runtime *rt, ewcl_gemm_engine engine, const gemm_shape *shape,
                           const gemm_buffers *g, double target, bench_summary *gflops)
{
    const ewcl_gemm_args args = args_for(shape, g);
    double seconds = 0;
    /* The first product may compile (CLBlast) or specialise (PoCL): not timed. */
    ewcl_status s = time_products(rt, engine, &args, 2, &seconds);
    if (s == EWCL_OK)
        s = time_products(rt, engine, &args, 3, &seconds);
    int reps = 3;
    if (s == EWCL_OK && seconds > 0)
        reps = (int)(target / (seconds / 3)) + 1;
    if (reps > 100000)
        reps = 100000;
    double rates[SAMPLES];
    const double flops = 2.0 * (double)shape->m * (double)shape->n * (double)shape->k;
    for (int i = 0; i < SAMPLES && s == EWCL_OK; i++) {
        s = time_products(rt, engine, &args, reps, &seconds);
        rates[i] = flops * reps / seconds / 1e9;
    }
    if (s == EWCL_OK)
        *gflops = bench_summarize(rates, SAMPLES);
    return s;
}

/* "native", "clblast" or "all" into the engines to measure. */
static bool parse_engines(const char *text, ewcl_gemm_engine engines[2], int *count)
{
    if (strcmp(text, "all") == 0) {
        engines[0] = EWCL_GEMM_NATIVE;
        engines[1] = EWCL_GEMM_CLBLAST;
        *count = 2;
    } else if (strcmp(text, "native") == 0 || strcmp(text, "clblast") == 0) {
        engines[0] = strcmp(text, "native") == 0 ? EWCL_GEMM_NATIVE : EWCL_GEMM_CLBLAST;
        *count = 1;
    } else {
        cli_error("bench gemm: --engine '%s' is not native, clblast or all", text);
        return false;
    }
    return true;
}

int bench_gemm(int argc, char **argv)
{
    cli_runtime_flags flags;
    cli_runtime_flags_init(&flags);
    bool json = false, all_shapes = true;
    ewcl_gemm_engine engines[2] = {EWCL_GEMM_NATIVE, EWCL_GEMM_CLBLAST};
    int engine_count = 2;
    double target = 0.2;
    static const struct option long_options[] = {
        {"engine", required_argument, NULL, 'e'},
        {"shapes", required_argument, NULL, 's'},
        {"seconds", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        CLI_RUNTIME_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    cli_getopt_reset();
    for (int c; (c = getopt_long(argc, argv, ":hv", long_options, NULL)) != -1;) {
        if (c == 'e') {
            if (!parse_engines(optarg, engines, &engine_count))
                return CLI_EXIT_USAGE;
        } else if (c == 's' && (strcmp(optarg, "model") == 0 || strcmp(optarg, "all") == 0)) {
            all_shapes = strcmp(optarg, "all") == 0;
        } else if (c == 's') {
            cli_error("bench gemm: --shapes '%s' is not model or all", optarg);
            return CLI_EXIT_USAGE;
        } else if (c == 't') {
            if (!cli_parse_real("bench gemm", "--seconds", optarg, 0.01, 60, CLI_CLOSED,
                                &target))
                return CLI_EXIT_USAGE;
        } else {
            const int code = cli_common_flag("bench gemm", gemm_help, c, argv, &flags, &json);
            if (code != CLI_PARSE_CONTINUE)
                return code;
        }
    }
    if (!cli_flags_done("bench gemm", &flags, argc, argv))
        return CLI_EXIT_USAGE;
    ewcl_runtime *rt = NULL;
    int code = cli_open_runtime(&flags, &rt);
    if (code != CLI_EXIT_OK)
        return code;
    const ewcl_device_info *d = ewcl_runtime_device(rt);
    const double peak = (double)d->compute_units * d->clock_mhz * 1e6 *
                        (d->preferred_vector_width_float ? d->preferred_vector_width_float : 1) *
                        2.0 / 1e9;
    gemm_buffers g = {NULL, NULL, NULL};
    if (!make_buffers(rt, all_shapes ? 2048 * 2048 : 1024 * 1024, &g)) {
        cli_error("bench gemm: cannot allocate the operand buffers on '%s'", d->name);
        release_buffers(&g);
        ewcl_runtime_destroy(rt);
        return CLI_EXIT_RUNTIME;
    }
    cJSON *root = cJSON_CreateObject(), *rows = cJSON_AddArrayToObject(root, "results");
    cJSON_AddStringToObject(root, "bench", "gemm");
    cJSON_AddStringToObject(root, "device", d->name);
    cJSON_AddNumberToObject(root, "estimated_peak_gflops", peak);
    if (!json)
        printf("GEMM on %s [%s], estimated peak %.0f GFLOP/s (median of %d samples)\n"
               "  %-26s %-3s %5s %5s %5s  %-8s %9s %15s %7s\n",
               d->name, ewcl_cl_runtime_name(d->runtime), peak, SAMPLES, "shape", "op", "m",
               "n", "k", "engine", "GFLOP/s", "min-max", "peak %");
    for (size_t i = 0; i < SHAPE_COUNT && code == CLI_EXIT_OK; i++) {
        const gemm_shape *sh = &shapes[i];
        if (!all_shapes && !sh->model)
            continue;
        for (int e = 0; e < engine_count && code == CLI_EXIT_OK; e++) {
            bench_summary gflops = {0, 0, 0};
            const ewcl_status s = measure(rt, engines[e], sh, &g, target, &gflops);
            if (s != EWCL_OK) {
                cli_error("bench gemm: %s", ewcl_runtime_error(rt)->message);
                code = cli_exit_code(s);
                break;
            }
            const char op[3] = {sh->ta == EWCL_TRANS ? 'T' : 'N',
                                sh->tb == EWCL_TRANS ? 'T' : 'N', '\0'};
            if (!json)
                printf("  %-26s %-3s %5zu %5zu %5zu  %-8s %9.1f %7.1f-%-7.1f %6.0f%%\n", sh->name,
                       op, sh->m, sh->n, sh->k, ewcl_gemm_engine_name(engines[e]), gflops.median,
                       gflops.min, gflops.max, 100.0 * gflops.median / peak);
            cJSON *row = cJSON_CreateObject();
            cJSON_AddStringToObject(row, "shape", sh->name);
            cJSON_AddStringToObject(row, "op", op);
            cJSON_AddNumberToObject(row, "m", (double)sh->m);
            cJSON_AddNumberToObject(row, "n", (double)sh->n);
            cJSON_AddNumberToObject(row, "k", (double)sh->k);
            cJSON_AddStringToObject(row, "engine", ewcl_gemm_engine_name(engines[e]));
            cJSON_AddNumberToObject(row, "gflops", gflops.median);
            cJSON_AddNumberToObject(row, "gflops_min", gflops.min);
            cJSON_AddNumberToObject(row, "gflops_max", gflops.max);
            cJSON_AddNumberToObject(row, "peak_fraction", gflops.median / peak);
            cJSON_AddItemToArray(rows, row);
        }
    }
    if (json && code == CLI_EXIT_OK) {
        char *text = cJSON_Print(root);
        if (text != NULL)
            puts(text);
        cJSON_free(text);
    }
    cJSON_Delete(root);
    release_buffers(&g);
    ewcl_runtime_destroy(rt);
    return code;
}
