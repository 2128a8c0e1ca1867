/* GEMM on a real device: the native engine (cl/gemm.cl, both of its designs) and CLBlast
 * against the double-precision host reference, for all four transpose combinations, edge
 * and model shapes, buffer offsets and leading dimensions wider than the matrices, beta = 0
 * over a NaN-filled C, k = 0 and alpha = 0; and the dispatcher's argument checks. Under
 * Oclgrind (ewcl_test_small) only small shapes and the native engine run. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "harness_cl.h"
#include "ops/buffer.h"
#include "ops/gemm.h"
#include "runtime/program_cache.h"
#include "ref/ref_gemm.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* Floats between the matrices' ends and their buffers' ends, and before their offsets, that
 * no engine may touch. */
enum { GUARD = 11 };

typedef struct gemm_case {
    bool trans_a, trans_b;
    size_t m, n, k;
    float alpha, beta;
    bool padded;   /* nonzero offsets, leading dimensions wider than the matrices */
    bool nan_c;    /* C holds NaN before the product (with beta = 0) */
    bool nan_a_b;  /* A and B hold NaN (with alpha = 0) */
} gemm_case;

/* One stored operand: rows×cols inside a buffer of `floats`, from `offset`, rows `ld` apart. */
typedef struct operand {
    size_t rows, cols, ld, offset, floats;
    float *host;
    cl_mem device;
} operand;

static size_t span(size_t rows, size_t cols, size_t ld)
{
    return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
}

static bool inside(const operand *x, size_t index)
{
    if (index < x->offset || index >= x->offset + span(x->rows, x->cols, x->ld))
        return false;
    return (index - x->offset) % x->ld < x->cols;
}

/* Host values in [-1, 1) everywhere (guards included), NaN inside the matrix if asked;
 * copied to a fresh device buffer. */
static void operand_make(ewcl_runtime *rt, operand *x, size_t rows, size_t cols, bool padded,
                         size_t pad, bool nan_inside, unsigned seed)
{
    x->rows = rows;
    x->cols = cols;
    x->ld = cols + (padded ? pad : 0);
    if (x->ld == 0)
        x->ld = 1;
    x->offset = padded ? pad + 2 : 0;
    x->floats = x->offset + span(rows, cols, x->ld) + (padded ? GUARD : 1);
    x->host = malloc(x->floats * sizeof(float));
    ck_assert_ptr_nonnull(x->host);
    ewcl_test_fill_uniform(x->host, x->floats, seed);
    for (size_t i = 0; i < x->floats; i++) {
        x->host[i] = 2.0f * x->host[i] - 1.0f;
        if (nan_inside && inside(x, i))
            x->host[i] = NAN;
    }
    ck_assert_int_eq(ewcl_buffer_create(rt, x->floats * sizeof(float), &x->device), EWCL_OK);
    ck_assert_int_eq(
        ewcl_buffer_write(rt, x->device, 0, x->floats * sizeof(float), x->host, true),
        EWCL_OK);
}

static void operand_free(operand *x)
{
    ewcl_buffer_release(x->device);
    free(x->host);
}

static const char *engine_name(ewcl_gemm_engine engine)
{
    return engine == EWCL_GEMM_CLBLAST ? "clblast" : "native";
}

/* Every element of C against the reference.
 *
 * Tolerance: a float sum of K products rounds by at most K·u relative to
 * S = |alpha|·Σ_p |A_ip|·|B_pj| + |beta|·|C_ij| (u = 2^-24), and by about √K·u in
 * practice, whatever the summation order (tiles, slices, FMA, CLBlast's own). The bound
 * asserted, max over the matrix of |C − ref| ≤ 1e-5·√max(K,1)·S, is 170·√K·u, above the
 * worst case for K < 28000, while a wrong element, transpose, edge or a K slice missed or
 * added twice is off by a sizeable fraction of S. With S = 0 (k = 0, beta = 0) C must be
 * exactly 0. */
static void assert_matches(const char *what, const gemm_case *t, const float *result,
                           const operand *c, const double *ref, const double *scale)
{
    const double root_k = sqrt(t->k > 1 ? (double)t->k : 1.0);
    double worst = 0.0;
    size_t worst_i = 0, worst_j = 0;
    for (size_t i = 0; i < t->m; i++)
        for (size_t j = 0; j < t->n; j++) {
            const double got = result[c->offset + i * c->ld + j];
            const double error = fabs(got - ref[i * t->n + j]);
            const double bound = 1e-5 * root_k * scale[i * t->n + j];
            const double ratio = error == 0.0 ? 0.0 : bound > 0.0 ? error / bound : INFINITY;
            if (!(ratio <= worst)) { /* NaN counts as the worst */
                worst = isnan(ratio) ? INFINITY : ratio;
                worst_i = i;
                worst_j = j;
            }
        }
    ck_assert_msg(worst <= 1.0,
                  "%s: max |C-ref|/bound = %g at (%zu,%zu): got %.9g, want %.9g", what, worst,
                  worst_i, worst_j, (double)result[c->offset + worst_i * c->ld + worst_j],
                  ref[worst_i * t->n + worst_j]);
}

/* Every float of C's buffer outside the matrix (before the offset, between rows, after
 * the end) is as it was. */
static void assert_untouched(const char *what, const float *result, const operand *c)
{
    for (size_t i = 0; i < c->floats; i++)
        if (!inside(c, i))
            ck_assert_msg(memcmp(&result[i], &c->host[i], sizeof(float)) == 0,
                          "%s: float %zu of C's buffer, outside the matrix, changed", what, i);
}

/* Runs one case on `engine` and checks C against the reference. */
static void check_case(ewcl_runtime *rt, ewcl_gemm_engine engine, const gemm_case *t)
{
    operand a, b, c;
    operand_make(rt, &a, t->trans_a ? t->k : t->m, t->trans_a ? t->m : t->k, t->padded, 3,
                 t->nan_a_b, 11);
    operand_make(rt, &b, t->trans_b ? t->n : t->k, t->trans_b ? t->k : t->n, t->padded, 5,
                 t->nan_a_b, 23);
    operand_make(rt, &c, t->m, t->n, t->padded, 4, t->nan_c, 37);

    const ewcl_gemm_args args = {
        .trans_a = t->trans_a ? EWCL_TRANS : EWCL_NO_TRANS,
        .trans_b = t->trans_b ? EWCL_TRANS : EWCL_NO_TRANS,
        .m = t->m, .n = t->n, .k = t->k,
        .alpha = t->alpha, .beta = t->beta,
        .a = a.device, .a_offset = a.offset, .lda = a.ld,
        .b = b.device, .b_offset = b.offset, .ldb = b.ld,
        .c = c.device, .c_offset = c.offset, .ldc = c.ld,
    };
    char what[160];
    snprintf(what, sizeof what, "%s %c%c m=%zu n=%zu k=%zu alpha=%g beta=%g%s%s",
             engine_name(engine), t->trans_a ? 'T' : 'N', t->trans_b ? 'T' : 'N', t->m, t->n,
             t->k, (double)t->alpha, (double)t->beta, t->padded ? " padded" : "",
             t->nan_c ? " NaN-C" : t->nan_a_b ? " NaN-A,B" : "");
    const ewcl_status status = ewcl_gemm(rt, engine, &args);
    ck_assert_msg(status == EWCL_OK, "%s: %s", what, ewcl_runtime_error(rt)->message);

    float *result = malloc(c.floats * sizeof(float));
    double *ref = malloc((t->m * t->n + 1) * sizeof(double));
    double *scale = malloc((t->m * t->n + 1) * sizeof(double));
    ck_assert(result != NULL && ref != NULL && scale != NULL);
    ck_assert_int_eq(ewcl_buffer_read(rt, c.device, 0, c.floats * sizeof(float), result),
                     EWCL_OK);
    ref_gemm(t->trans_a, t->trans_b, t->m, t->n, t->k, t->alpha, a.host + a.offset, a.ld,
             b.host + b.offset, b.ld, t->beta, c.host + c.offset, c.ld, ref, scale);
    assert_matches(what, t, result, &c, ref, scale);
    assert_untouched(what, result, &c);
    free(result);
    free(ref);
    free(scale);
    operand_free(&a);
    operand_free(&b);
    operand_free(&c);
}

/* (m, n, k) */
typedef struct shape {
    size_t m, n, k;
} shape;

/* Every transpose combination of each shape, with offsets and wide leading dimensions. */
static void check_shapes(ewcl_runtime *rt, ewcl_gemm_engine engine, const shape *shapes,
                         size_t count)
{
    for (size_t s = 0; s < count; s++)
        for (int trans = 0; trans < 4; trans++) {
            const gemm_case t = {.trans_a = trans & 2, .trans_b = trans & 1,
                                 .m = shapes[s].m, .n = shapes[s].n, .k = shapes[s].k,
                                 .alpha = 0.75f, .beta = -1.25f, .padded = true};
            check_case(rt, engine, &t);
        }
}

/* Small shapes: one element, edges of every tile and vector size the profiles use, K slices
 * that do not divide K. Within Oclgrind's reach. */
static const shape small_shapes[] = {{1, 1, 1}, {7, 13, 5}, {33, 17, 39}, {17, 40, 33}};
/* The edge shapes beyond Oclgrind's reach. */
static const shape large_shapes[] = {{33, 17, 65}, {128, 400, 1024}, {1000, 10, 400}};

/* The MLP's products (batch 128, 1024 → 400 → 10): forward, weight gradient, input
 * gradient of the hidden and of the output layer, dense as the MLP stores them. */
static const gemm_case model_cases[] = {
    {.m = 128, .n = 400, .k = 1024},
    {.trans_a = true, .m = 1024, .n = 400, .k = 128},
    {.trans_b = true, .m = 128, .n = 1024, .k = 400},
    {.m = 128, .n = 10, .k = 400},
    {.trans_a = true, .m = 400, .n = 10, .k = 128},
    {.trans_b = true, .m = 128, .n = 400, .k = 10},
};

/* beta = 0 over NaN, k = 0 (with and without beta), alpha = 0 over NaN in A and B. */
static void check_special_cases(ewcl_runtime *rt, ewcl_gemm_engine engine)
{
    for (int trans = 0; trans < 4; trans++) {
        const bool ta = trans & 2, tb = trans & 1;
        const gemm_case cases[] = {
            {ta, tb, 33, 17, 39, 1.5f, 0.0f, true, true, false},
            {ta, tb, 9, 40, 20, -0.5f, 0.0f, false, true, false},
            {ta, tb, 7, 13, 0, 2.0f, 0.5f, true, false, false},
            {ta, tb, 7, 13, 0, 2.0f, 0.0f, true, true, false},
        };
        for (size_t i = 0; i < COUNT(cases); i++)
            check_case(rt, engine, &cases[i]);
    }
}

START_TEST(native_matches_reference_on_edge_shapes)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    check_shapes(rt, EWCL_GEMM_NATIVE, small_shapes, COUNT(small_shapes));
    if (!ewcl_test_small())
        check_shapes(rt, EWCL_GEMM_NATIVE, large_shapes, COUNT(large_shapes));
    ewcl_runtime_destroy(rt);
}
END_TEST

START_TEST(native_matches_reference_on_model_shapes)
{
    if (ewcl_test_small())
        return;
    ewcl_runtime *rt = ewcl_test_open_runtime();
    for (size_t i = 0; i < COUNT(model_cases); i++) {
        gemm_case t = model_cases[i];
        t.alpha = 1.0f / 128.0f;
        t.beta = 0.9f;
        check_case(rt, EWCL_GEMM_NATIVE, &t);
    }
    ewcl_runtime_destroy(rt);
}
END_TEST

START_TEST(native_beta_zero_k_zero_alpha_zero)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    check_special_cases(rt, EWCL_GEMM_NATIVE);
    /* alpha = 0: C = beta·C, as in BLAS — A and B (NaN here) are not read. */
    const gemm_case t = {false, true, 20, 30, 10, 0.0f, 1.5f, true, false, true};
    check_case(rt, EWCL_GEMM_NATIVE, &t);
    ewcl_runtime_destroy(rt);
}
END_TEST

/* One process for all of CLBlast's cases: its first use compiles for seconds. */
START_TEST(clblast_matches_reference)
{
    if (ewcl_test_small())
        return;
    ewcl_runtime *rt = ewcl_test_open_runtime();
    check_shapes(rt, EWCL_GEMM_CLBLAST, small_shapes, COUNT(small_shapes));
    check_shapes(rt, EWCL_GEMM_CLBLAST, large_shapes, COUNT(large_shapes));
    for (size_t i = 0; i < COUNT(model_cases); i++) {
        gemm_case t = model_cases[i];
        t.alpha = 1.0f / 128.0f;
        t.beta = 0.9f;
        check_case(rt, EWCL_GEMM_CLBLAST, &t);
    }
    check_special_cases(rt, EWCL_GEMM_CLBLAST);
    ewcl_runtime_destroy(rt);
}
END_TEST

/* Kernel designs other than the device's own, through profile overrides: the GPU design
 * runs on CPUs and simulators too, and the CPU design's vector widths and register-block
 * heights each compile different code. */
typedef struct design {
    ewcl_profile_overrides profile;
    bool on_oclgrind; /* worth simulating (see every_design_matches_reference) */
} design;

static const design designs[] = {
    /* CPU: float16 vectors, 8-row blocks, K in slices of 16. Oclgrind 21.10 loses track of
     * initialised lanes through the float16 transposition of transposed B (it reports
     * them all uninitialised, though every element comes out right), so this one runs on
     * real devices only; the float8 and float4 designs cover the rest of its code. */
    {{.gemm_tile_m = 32, .gemm_tile_n = 32, .gemm_tile_k = 16, .gemm_work_m = 8,
      .gemm_work_n = 32, .vector_width = 16},
     false},
    /* CPU: float8, 4-row blocks */
    {{.gemm_tile_m = 16, .gemm_tile_n = 16, .gemm_tile_k = 8, .gemm_work_m = 4,
      .gemm_work_n = 16, .vector_width = 8},
     true},
    /* CPU: float4, 12-row blocks */
    {{.gemm_tile_m = 24, .gemm_tile_n = 8, .gemm_tile_k = 12, .gemm_work_m = 12,
      .gemm_work_n = 8, .vector_width = 4},
     true},
    /* GPU: the GPU profile's tiles (256 work-items per group: slow to simulate, and the
     * simulator's own profile already runs this design) */
    {{.gemm_tile_m = 64, .gemm_tile_n = 64, .gemm_tile_k = 16, .gemm_work_m = 4,
      .gemm_work_n = 4, .vector_width = 1},
     false},
    /* GPU: a non-square tile and work-item block */
    {{.gemm_tile_m = 16, .gemm_tile_n = 32, .gemm_tile_k = 8, .gemm_work_m = 2,
      .gemm_work_n = 4, .vector_width = 1},
     true},
};

static ewcl_runtime *open_runtime_with(const ewcl_profile_overrides *profile)
{
    ewcl_runtime_options o;
    ewcl_runtime_options_default(&o);
    o.profile = *profile;
    o.profile.gemm_engine = EWCL_GEMM_NATIVE;
    return ewcl_test_open_runtime_with(o);
}

START_TEST(every_design_matches_reference)
{
    if (ewcl_test_small() && !designs[_i].on_oclgrind)
        return;
    ewcl_runtime *rt = open_runtime_with(&designs[_i].profile);
    check_shapes(rt, EWCL_GEMM_NATIVE, small_shapes, COUNT(small_shapes));
    check_special_cases(rt, EWCL_GEMM_NATIVE);
    ewcl_runtime_destroy(rt);
}
END_TEST

/* What the dispatcher refuses before any engine runs. */
START_TEST(dispatcher_rejects_bad_arguments)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    cl_mem a = NULL, b = NULL, c = NULL;
    ck_assert_int_eq(ewcl_buffer_create(rt, 6 * 4 * sizeof(float), &a), EWCL_OK); /* 6×4 */
    ck_assert_int_eq(ewcl_buffer_create(rt, 4 * 5 * sizeof(float), &b), EWCL_OK); /* 4×5 */
    ck_assert_int_eq(ewcl_buffer_create(rt, 6 * 5 * sizeof(float), &c), EWCL_OK); /* 6×5 */
    const float zeros[6 * 5] = {0};
    ck_assert_int_eq(ewcl_buffer_write(rt, a, 0, 6 * 4 * sizeof(float), zeros, true), EWCL_OK);
    ck_assert_int_eq(ewcl_buffer_write(rt, b, 0, 4 * 5 * sizeof(float), zeros, true), EWCL_OK);
    const ewcl_gemm_args good = {.m = 6, .n = 5, .k = 4, .alpha = 1.0f, .beta = 0.0f,
                                 .a = a, .lda = 4, .b = b, .ldb = 5, .c = c, .ldc = 5};
    ck_assert_int_eq(ewcl_gemm(rt, EWCL_GEMM_NATIVE, &good), EWCL_OK);

    ewcl_gemm_args bad[8];
    for (size_t i = 0; i < 8; i++)
        bad[i] = good;
    bad[0].lda = 3;              /* below k */
    bad[1].ldb = 4;              /* below n */
    bad[2].ldc = 4;              /* below n */
    bad[3].trans_b = EWCL_TRANS; /* B read as 5×4: ldb 5 ≥ 4 but 5·5 floats > 20 */
    bad[4].a_offset = 1;         /* A one float past its buffer */
    bad[5].c_offset = 5;         /* C five floats past its buffer */
    bad[6].m = 7;                /* A and C one row short */
    bad[7].b = NULL;
    for (size_t i = 0; i < 8; i++) {
        for (int engine = EWCL_GEMM_NATIVE; engine <= EWCL_GEMM_CLBLAST; engine++)
            ck_assert_msg(ewcl_gemm(rt, (ewcl_gemm_engine)engine, &bad[i]) ==
                              EWCL_ERR_INVALID_ARGUMENT,
                          "case %zu (%s) was accepted", i, engine_name(engine));
        ck_assert_int_eq(ewcl_runtime_error(rt)->status, EWCL_ERR_INVALID_ARGUMENT);
    }
    ewcl_buffer_release(a);
    ewcl_buffer_release(b);
    ewcl_buffer_release(c);
    ewcl_runtime_destroy(rt);
}
END_TEST

/* A runtime whose profile leaves the engine open, with a program cache in `cache`. */
static ewcl_runtime *open_undecided(const char *cache)
{
    ewcl_runtime_options o;
    ewcl_runtime_options_default(&o);
    snprintf(o.cache_dir, sizeof o.cache_dir, "%s", cache);
    ewcl_runtime *rt = ewcl_test_open_runtime_with(o);
    rt->gemm_choice = EWCL_GEMM_AUTO; /* as for a GPU outside CLBlast's tuning database */
    return rt;
}

static void probe_file(const ewcl_runtime *rt, const char *cache, char *path, size_t size)
{
    const uint64_t key = ewcl_program_cache_key(&rt->device, "gemm-engine-probe", "", 0);
    ck_assert(ewcl_program_cache_path(cache, "gemm-engine", key, path, size));
}

START_TEST(probe_decides_once_and_is_remembered)
{
    if (ewcl_test_small())
        return; /* racing both engines at the model's shape takes minutes in a simulator */
    char cache[4096], path[8192];
    snprintf(cache, sizeof cache, "%s", ewcl_test_make_temp_dir("gemm-probe"));
    ewcl_runtime *rt = open_undecided(cache);
    ewcl_gemm_engine chosen = EWCL_GEMM_AUTO;
    ck_assert_int_eq(ewcl_gemm_choose_engine(rt, &chosen), EWCL_OK);
    ck_assert(chosen == EWCL_GEMM_NATIVE || chosen == EWCL_GEMM_CLBLAST);
    probe_file(rt, cache, path, sizeof path);
    char *word = ewcl_test_read_file(path, NULL);
    ck_assert_ptr_nonnull(word);
    ck_assert_str_eq(word, chosen == EWCL_GEMM_CLBLAST ? "clblast\n" : "native\n");
    free(word);
    ewcl_runtime_destroy(rt);

    /* A later runtime takes the remembered choice without racing: plant the other one. */
    const char *other = chosen == EWCL_GEMM_CLBLAST ? "native\n" : "clblast\n";
    ck_assert_int_eq(ewcl_test_write_file(path, other, strlen(other)), 0);
    rt = open_undecided(cache);
    ewcl_gemm_engine again = EWCL_GEMM_AUTO;
    ck_assert_int_eq(ewcl_gemm_choose_engine(rt, &again), EWCL_OK);
    ck_assert_int_eq(again, chosen == EWCL_GEMM_CLBLAST ? EWCL_GEMM_NATIVE : EWCL_GEMM_CLBLAST);
    ewcl_runtime_destroy(rt);

    /* A damaged file is ignored: the race runs again and rewrites it. */
    ck_assert_int_eq(ewcl_test_write_file(path, "garbage", 7), 0);
    rt = open_undecided(cache);
    ck_assert_int_eq(ewcl_gemm_choose_engine(rt, &again), EWCL_OK);
    word = ewcl_test_read_file(path, NULL);
    ck_assert(strcmp(word, "native\n") == 0 || strcmp(word, "clblast\n") == 0);
    free(word);
    ewcl_runtime_destroy(rt);
    ewcl_test_remove_tree(cache);
}
END_TEST

int main(void)
{
    ewcl_test_require_device();
    Suite *suite = suite_create("gemm");
    TCase *tc = tcase_create("gemm");
    tcase_set_timeout(tc, EWCL_TEST_CL_TIMEOUT);
    tcase_add_test(tc, native_matches_reference_on_edge_shapes);
    tcase_add_test(tc, native_matches_reference_on_model_shapes);
    tcase_add_test(tc, native_beta_zero_k_zero_alpha_zero);
    tcase_add_test(tc, clblast_matches_reference);
    tcase_add_loop_test(tc, every_design_matches_reference, 0, (int)COUNT(designs));
    tcase_add_test(tc, dispatcher_rejects_bad_arguments);
    tcase_add_test(tc, probe_decides_once_and_is_remembered);
    suite_add_tcase(suite, tc);
    return ewcl_test_run(suite);
}
