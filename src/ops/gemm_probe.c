/* The GEMM engine for devices the profile cannot judge (it leaves EWCL_GEMM_AUTO): a short
 * timed race of both engines at the model's forward shape, decided once per device and
 * remembered beside the program binaries. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ops/buffer.h"
#include "ops/gemm.h"
#include "runtime/error_internal.h"
#include "runtime/program_cache.h"

enum { PROBE_M = 128, PROBE_N = 400, PROBE_K = 1024, PROBE_REPS = 3 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Seconds for PROBE_REPS products after one untimed warm-up (which may compile); a
 * negative time when the engine fails on this device. */
static double race(ewcl_runtime *rt, ewcl_gemm_engine engine, const ewcl_gemm_args *g)
{
    double seconds = -1.0;
    if (ewcl_gemm(rt, engine, g) == EWCL_OK && ewcl_runtime_finish(rt) == EWCL_OK) {
        const double start = now();
        ewcl_status s = EWCL_OK;
        for (int r = 0; r < PROBE_REPS && s == EWCL_OK; r++)
            s = ewcl_gemm(rt, engine, g);
        if (s == EWCL_OK && ewcl_runtime_finish(rt) == EWCL_OK)
            seconds = now() - start;
    }
    return seconds;
}

static bool choice_path(const ewcl_runtime *rt, char *path, size_t size)
{
    if (!rt->cache_enabled)
        return false;
    const uint64_t key = ewcl_program_cache_key(&rt->device, "gemm-engine-probe", "", 0);
    return ewcl_program_cache_path(rt->options.cache_dir, "gemm-engine", key, path, size);
}

static bool read_choice(const char *path, ewcl_gemm_engine *out)
{
    char word[16] = "";
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    const bool read = fgets(word, sizeof word, f) != NULL;
    fclose(f);
    if (read && strcmp(word, "native\n") == 0)
        *out = EWCL_GEMM_NATIVE;
    else if (read && strcmp(word, "clblast\n") == 0)
        *out = EWCL_GEMM_CLBLAST;
    else
        return false;
    return true;
}

static void write_choice(ewcl_runtime *rt, const char *path, ewcl_gemm_engine engine)
{
    const char *word = engine == EWCL_GEMM_CLBLAST ? "clblast\n" : "native\n";
    ewcl_error err;
    if (ewcl_cache_write_file(rt->options.cache_dir, path, word, strlen(word), &err) != EWCL_OK)
        ewcl_runtime_log(rt, EWCL_LOG_WARNING, "GEMM engine choice not cached: %s",
                         err.message);
}

static ewcl_status run_probe(ewcl_runtime *rt, ewcl_gemm_engine *out)
{
    cl_mem a = NULL, b = NULL, c = NULL;
    ewcl_status s = ewcl_buffer_create(rt, PROBE_M * PROBE_K * sizeof(float), &a);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, PROBE_K * PROBE_N * sizeof(float), &b);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, PROBE_M * PROBE_N * sizeof(float), &c);
    if (s == EWCL_OK)
        s = ewcl_buffer_zero(rt, a, 0, PROBE_M * PROBE_K * sizeof(float));
    if (s == EWCL_OK)
        s = ewcl_buffer_zero(rt, b, 0, PROBE_K * PROBE_N * sizeof(float));
    if (s == EWCL_OK) {
        const ewcl_gemm_args g = {
            .trans_a = EWCL_NO_TRANS, .trans_b = EWCL_NO_TRANS, .m = PROBE_M, .n = PROBE_N,
            .k = PROBE_K, .alpha = 1.0f, .beta = 0.0f, .a = a, .lda = PROBE_K,
            .b = b, .ldb = PROBE_N, .c = c, .ldc = PROBE_N,
        };
        const double native = race(rt, EWCL_GEMM_NATIVE, &g);
        const double clblast = race(rt, EWCL_GEMM_CLBLAST, &g);
        if (native < 0 && clblast < 0)
            s = EWCL_FAIL(&rt->error, EWCL_ERR_INTERNAL,
                          "neither GEMM engine runs on '%s'", rt->device.name);
        *out = clblast >= 0 && (native < 0 || clblast < native) ? EWCL_GEMM_CLBLAST
                                                                 : EWCL_GEMM_NATIVE;
        ewcl_runtime_log(rt, EWCL_LOG_INFO,
                         "GEMM probe on '%s': native %.3f ms, CLBlast %.3f ms per product",
                         rt->device.name, 1e3 * native / PROBE_REPS,
                         1e3 * clblast / PROBE_REPS);
    }
    ewcl_buffer_release(a);
    ewcl_buffer_release(b);
    ewcl_buffer_release(c);
    return s;
}

ewcl_status ewcl_gemm_choose_engine(ewcl_runtime *rt, ewcl_gemm_engine *out)
{
    if (rt->gemm_choice != EWCL_GEMM_AUTO) {
        *out = rt->gemm_choice;
        return EWCL_OK;
    }
    char path[EWCL_PATH_MAX + 128];
    const bool cached = choice_path(rt, path, sizeof path);
    if (!(cached && read_choice(path, out))) {
        ewcl_status s = run_probe(rt, out);
        if (s != EWCL_OK)
            return s;
        if (cached)
            write_choice(rt, path, *out);
    }
    rt->gemm_choice = *out;
    return EWCL_OK;
}
