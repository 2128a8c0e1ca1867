/* The element-wise, loss and reduction kernels against the double-precision host
 * references of tests/ref/, on edge and aligned shapes, with offsets and row strides wider
 * than the rows. Dropout masks must match the reference bit for bit (they are integer
 * Philox output), and the same key must give the same bits on two devices.
 *
 * Tolerances: one float rounding is at most 2^-24 relative (ε below); a float sum of n terms
 * errs by at most (n−1)·ε·Σ|terms|, which bounds the column sums and reductions. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "harness_cl.h"
#include "ops/buffer.h"
#include "ops/elementwise.h"
#include "ops/loss.h"
#include "ops/reduce.h"
#include "ref/ref_elementwise.h"
#include "ref/ref_loss.h"
#include "ref/ref_philox.h"

#define EPS 5.9604644775390625e-08 /* 2^-24 */

/* A key with every word non-trivial: Random123's third known-answer key and counter. */
static const ewcl_dropout_key test_key = {
    .seed = 0x299f31d0a4093822ull, .stream = 0x85a308d3u, .step = 0x0370734413198a2eull};

/* ---- Helpers ---------------------------------------------------------------------------- */

/* n floats uniform in [lo, hi), repeatable from `seed`. */
static float *random_floats(size_t n, unsigned seed, float lo, float hi)
{
    float *x = malloc((n > 0 ? n : 1) * sizeof *x);
    ck_assert_ptr_nonnull(x);
    ewcl_test_fill_uniform(x, n, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * x[i];
    return x;
}

static double *new_doubles(size_t n)
{
    double *x = calloc(n > 0 ? n : 1, sizeof *x);
    ck_assert_ptr_nonnull(x);
    return x;
}

static cl_mem upload(ewcl_runtime *rt, const void *host, size_t bytes)
{
    cl_mem buffer = NULL;
    CK_OK(rt, ewcl_buffer_create(rt, bytes, &buffer));
    CK_OK(rt, ewcl_buffer_write(rt, buffer, 0, bytes, host, true));
    return buffer;
}

static void download(ewcl_runtime *rt, cl_mem buffer, size_t floats, float *host)
{
    CK_OK(rt, ewcl_buffer_read(rt, buffer, 0, floats * sizeof(float), host));
}

/* Every got[i] within rel·|want[i]| + abs[i] of want[i] (abs may be NULL: 0). */
static void assert_close(const char *what, const float *got, const double *want,
                         const double *abs, size_t n, double rel)
{
    for (size_t i = 0; i < n; i++) {
        const double tolerance = rel * fabs(want[i]) + (abs != NULL ? abs[i] : 0.0);
        ck_assert_msg(fabs((double)got[i] - want[i]) <= tolerance,
                      "%s [%zu]: got %.9g, want %.9g (tolerance %.3g)", what, i, got[i],
                      want[i], tolerance);
    }
}

/* The floats of a buffer outside a rows×cols block at `offset` (row stride ld) are as they
 * were: kernels write nothing else. */
static void assert_outside_untouched(const float *before, const float *after, size_t total,
                                     size_t offset, size_t rows, size_t cols, size_t ld)
{
    for (size_t i = 0; i < total; i++) {
        const size_t rel = i - offset, row = rel / ld, col = rel % ld;
        const bool inside = i >= offset && row < rows && col < cols;
        if (!inside)
            ck_assert_msg(memcmp(&before[i], &after[i], sizeof(float)) == 0,
                          "float %zu outside the matrix changed: %g → %g", i, before[i],
                          after[i]);
    }
}

/* A matrix placement: rows×cols at `offset` floats into its buffer, row stride ld. */
typedef struct shape {
    size_t rows, cols, ld, offset;
} shape;

/* Edge and aligned shapes (MLP layers: batch 128 × 400 hidden, 1000 × 10 outputs). Widths
 * that are multiples of 4 take the aligned dropout kernel; the column sum takes 16 columns
 * at a time, then the rest one by one. */
static const shape full_shapes[] = {
    {1, 1, 1, 0},        {3, 5, 5, 0},       {3, 5, 7, 3},     {17, 36, 40, 3},
    {127, 129, 131, 5},  {128, 400, 400, 0}, {1000, 10, 16, 1},
};
/* Under Oclgrind: the same edges, small. */
static const shape small_shapes[] = {
    {1, 1, 1, 0}, {3, 5, 5, 0}, {3, 5, 7, 3}, {9, 13, 16, 2}, {4, 20, 24, 1}, {5, 37, 40, 3},
};

static const shape *test_shapes(size_t *count)
{
    const bool small = ewcl_test_small();
    *count = small ? sizeof small_shapes / sizeof small_shapes[0]
                   : sizeof full_shapes / sizeof full_shapes[0];
    return small ? small_shapes : full_shapes;
}

/* Floats of a buffer holding the shape, plus a tail that must stay untouched. */
static size_t buffer_floats(const shape *s)
{
    return s->offset + (s->rows - 1) * s->ld + s->cols + 3;
}

/* ---- Philox ----------------------------------------------------------------------------- */

/* Random123's known answers for Philox-4x32-10 (kat_vectors: zeros, ones, digits of π). */
typedef struct philox_kat {
    uint32_t counter[4], key[2], out[4];
} philox_kat;

static const philox_kat philox_kats[] = {
    {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
    {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
     {0xffffffffu, 0xffffffffu},
     {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
    {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
     {0xa4093822u, 0x299f31d0u},
     {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
};

START_TEST(reference_philox_matches_known_answers)
{
    for (size_t t = 0; t < sizeof philox_kats / sizeof philox_kats[0]; t++) {
        uint32_t out[4];
        ref_philox4x32_10(philox_kats[t].counter, philox_kats[t].key, out);
        for (int i = 0; i < 4; i++)
            ck_assert_msg(out[i] == philox_kats[t].out[i], "vector %zu word %d: %08x, want %08x",
                          t, i, out[i], philox_kats[t].out[i]);
    }
    ck_assert_double_eq(ref_philox_uniform(0xffffffffu), 16777215.0 / 16777216.0);
    ck_assert_double_eq(ref_philox_uniform(0x000000ffu), 0.0);
}
END_TEST

/* Runs the forward (no bias, no ReLU) over a row of four ones with seed, stream and step 0:
 * elements 0…3 then read words 0…3 of Philox at counter 0, key 0 — the first known answer.
 * Returns which elements were kept. */
static void device_keeps(ewcl_runtime *rt, cl_mem y, float p, int kept[4])
{
    static const float ones[4] = {1, 1, 1, 1};
    CK_OK(rt, ewcl_buffer_write(rt, y, 0, sizeof ones, ones, true));
    const ewcl_dropout_key zero = {0, 0, 0};
    CK_OK(rt, ewcl_op_bias_relu_dropout(rt, y, 0, 1, 4, 4, NULL, 0, false, p, zero));
    float out[4];
    download(rt, y, 4, out);
    for (int j = 0; j < 4; j++)
        kept[j] = out[j] != 0.0f;
}

/* With p exactly a word's uniform k/2^24 the element is kept, with (k+1)/2^24 dropped: the
 * device's mask reveals the top 24 bits of each known-answer word, in order. */
START_TEST(device_mask_reveals_philox_known_answer)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    cl_mem y = NULL;
    CK_OK(rt, ewcl_buffer_create(rt, 4 * sizeof(float), &y));
    for (int j = 0; j < 4; j++) {
        const uint32_t top = philox_kats[0].out[j] >> 8;
        int kept[4];
        device_keeps(rt, y, (float)top / 16777216.0f, kept);
        ck_assert_msg(kept[j], "word %d: p = its own uniform must keep", j);
        device_keeps(rt, y, (float)(top + 1) / 16777216.0f, kept);
        ck_assert_msg(!kept[j], "word %d: p just above its uniform must drop", j);
    }
    ewcl_buffer_release(y);
    ewcl_runtime_destroy(rt);
}
END_TEST

/* ---- Fused bias + ReLU + dropout -------------------------------------------------------- */

/* Runs the forward on one shape and configuration and checks it against the reference:
 * values within two roundings (the bias add and the scale), the mask exact. */
static void check_forward(ewcl_runtime *rt, const shape *s, bool with_bias, bool relu, float p)
{
    const size_t total = buffer_floats(s);
    float *before = random_floats(total, (unsigned)(s->rows * 31 + s->cols), -1.0f, 1.0f);
    float *bias = random_floats(s->cols + 2, (unsigned)s->cols, -0.5f, 0.5f); /* at 2 */
    float *after = malloc(total * sizeof *after);
    double *want = new_doubles(total);
    ck_assert_ptr_nonnull(after);

    cl_mem y = upload(rt, before, total * sizeof(float));
    cl_mem b = with_bias ? upload(rt, bias, (s->cols + 2) * sizeof(float)) : NULL;
    CK_OK(rt, ewcl_op_bias_relu_dropout(rt, y, s->offset, s->rows, s->cols, s->ld, b,
                                        with_bias ? 2 : 0, relu, p, test_key));
    download(rt, y, total, after);

    ref_bias_relu_dropout(before + s->offset, s->rows, s->cols, s->ld,
                          with_bias ? bias + 2 : NULL, relu, p, test_key.seed, test_key.stream,
                          test_key.step, want + s->offset);
    char what[160];
    snprintf(what, sizeof what, "forward %zux%zu ld %zu bias %d relu %d p %g", s->rows,
             s->cols, s->ld, with_bias, relu, (double)p);
    for (size_t i = 0; i < s->rows; i++) {
        const size_t at = s->offset + i * s->ld;
        assert_close(what, after + at, want + at, NULL, s->cols, 2 * EPS);
    }
    assert_outside_untouched(before, after, total, s->offset, s->rows, s->cols, s->ld);
    ewcl_buffer_release(y);
    ewcl_buffer_release(b);
    free(before);
    free(bias);
    free(after);
    free(want);
}

START_TEST(forward_matches_reference)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    size_t count = 0;
    const shape *shapes = test_shapes(&count);
    static const float ps[] = {0.0f, 0.3f};
    for (size_t i = 0; i < count; i++)
        for (int with_bias = 0; with_bias <= 1; with_bias++)
            for (int relu = 0; relu <= 1; relu++)
                for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++)
                    check_forward(rt, &shapes[i], with_bias, relu, ps[k]);
    ewcl_runtime_destroy(rt);
}
END_TEST

/* p = 0 without bias or ReLU changes no bit, −0, NaN and infinities included. */
START_TEST(forward_without_dropout_is_identity)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    const size_t n = 3 * 37;
    float *x = random_floats(n, 5, -3.0f, 3.0f);
    x[0] = -0.0f;
    x[1] = NAN;
    x[2] = -INFINITY;
    x[3] = 1e-40f; /* subnormal */
    float *after = malloc(n * sizeof *after);
    ck_assert_ptr_nonnull(after);
    cl_mem y = upload(rt, x, n * sizeof(float));
    CK_OK(rt, ewcl_op_bias_relu_dropout(rt, y, 0, 3, 37, 37, NULL, 0, false, 0.0f, test_key));
    download(rt, y, n, after);
    ck_assert_int_eq(memcmp(x, after, n * sizeof(float)), 0);
    ewcl_buffer_release(y);
    free(x);
    free(after);
    ewcl_runtime_destroy(rt);
}
END_TEST

/* Over a large matrix: the mask equals the reference everywhere, kept elements are exactly
 * y·(float)(1/(1−p)), and the kept fraction is within 3σ of 1 − p. */
static void check_dropout_statistics(ewcl_runtime *rt, size_t rows, size_t cols, float p)
{
    const size_t ld = cols + 1, total = rows * ld;
    float *x = random_floats(total, 77, 0.5f, 2.0f); /* positive: ReLU keeps everything */
    float *after = malloc(total * sizeof *after);
    ck_assert_ptr_nonnull(after);
    cl_mem y = upload(rt, x, total * sizeof(float));
    CK_OK(rt, ewcl_op_bias_relu_dropout(rt, y, 0, rows, cols, ld, NULL, 0, true, p, test_key));
    download(rt, y, total, after);

    const float scale = (float)(1.0 / (1.0 - (double)p));
    size_t kept = 0;
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < cols; j++) {
            const float v = x[i * ld + j], got = after[i * ld + j];
            const int keep =
                ref_dropout_keep(test_key.seed, test_key.stream, test_key.step, i * cols + j, p);
            ck_assert_msg(keep ? got == v * scale : got == 0.0f,
                          "p %g (%zu, %zu): got %.9g from %.9g, reference %s", (double)p, i, j,
                          got, v, keep ? "keeps" : "drops");
            kept += (size_t)keep;
        }
    }
    const double n = (double)(rows * cols), q = 1.0 - (double)p;
    const double sigma = sqrt(n * q * (1.0 - q));
    ck_assert_msg(fabs((double)kept - n * q) <= 3.0 * sigma,
                  "p %g: kept %zu of %.0f, expected %.1f ± %.1f", (double)p, kept, n, n * q,
                  3.0 * sigma);
    ewcl_buffer_release(y);
    free(x);
    free(after);
}

START_TEST(dropout_mask_statistics_and_scale)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    const bool small = ewcl_test_small();
    const size_t rows = small ? 16 : 1000, cols = small ? 33 : 1000;
    check_dropout_statistics(rt, rows, cols, 0.2f);
    check_dropout_statistics(rt, rows, cols, 0.5f);
    ewcl_runtime_destroy(rt);
}
END_TEST

START_TEST(forward_rejects_bad_arguments)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    cl_mem y = NULL;
    CK_OK(rt, ewcl_buffer_create(rt, 16 * sizeof(float), &y));
    ck_assert_int_eq(ewcl_op_bias_relu_dropout(rt, y, 0, 2, 4, 4, NULL, 0, true, 1.0f, test_key),
                     EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ewcl_op_bias_relu_dropout(rt, y, 0, 2, 4, 4, NULL, 0, true, NAN, test_key),
                     EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ewcl_op_bias_relu_dropout(rt, y, 0, 2, 4, 3, NULL, 0, true, 0.0f, test_key),
                     EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ewcl_op_bias_relu_dropout(rt, y, 1, 4, 4, 4, NULL, 0, true, 0.0f, test_key),
                     EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ewcl_op_bias_relu_dropout(rt, y, 0, 2, 4, 4, y, 13, true, 0.0f, test_key),
                     EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ewcl_op_sgd_update(rt, y, y, 10, 7, 0.1f, 0.0f), EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ewcl_op_bias_relu_dropout(rt, y, 0, 0, 4, 4, NULL, 0, true, 0.5f, test_key),
                     EWCL_OK);
    ewcl_buffer_release(y);
    ewcl_runtime_destroy(rt);
}
END_TEST

/* ---- Backward, column sums, SGD --------------------------------------------------------- */

static void check_backward(ewcl_runtime *rt, size_t count, float p)
{
    const size_t a_offset = 3, g_offset = 1, total = count + 5;
    float *a = random_floats(total, (unsigned)count, -1.0f, 1.0f);
    float *g = random_floats(total, (unsigned)count + 1, -2.0f, 2.0f);
    for (size_t i = 0; i < total; i += 7)
        a[i] = 0.0f; /* dropped elements: exactly zero */
    float *after = malloc(total * sizeof *after);
    double *want = new_doubles(count);
    ck_assert_ptr_nonnull(after);
    cl_mem a_dev = upload(rt, a, total * sizeof(float));
    cl_mem g_dev = upload(rt, g, total * sizeof(float));
    CK_OK(rt, ewcl_op_relu_dropout_backward(rt, a_dev, a_offset, g_dev, g_offset, count, p));
    download(rt, g_dev, total, after);

    ref_relu_dropout_backward(a + a_offset, g + g_offset, count, p, want);
    char what[96];
    snprintf(what, sizeof what, "backward count %zu p %g", count, (double)p);
    /* Two roundings: the float scale 1/(1−p), then the product. */
    assert_close(what, after + g_offset, want, NULL, count, 2 * EPS);
    assert_outside_untouched(g, after, total, g_offset, 1, count, count);
    ewcl_buffer_release(a_dev);
    ewcl_buffer_release(g_dev);
    free(a);
    free(g);
    free(after);
    free(want);
}

START_TEST(backward_matches_reference)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    const size_t counts[] = {1, 15, ewcl_test_small() ? 200 : 128 * 400 + 7};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        check_backward(rt, counts[i], 0.0f);
        check_backward(rt, counts[i], 0.25f);
    }
    ewcl_runtime_destroy(rt);
}
END_TEST

static void check_column_sum(ewcl_runtime *rt, const shape *s, bool accumulate)
{
    const size_t total = buffer_floats(s), out_offset = 2, out_total = s->cols + 4;
    float *dz = random_floats(total, (unsigned)(s->rows + s->cols), -1.0f, 1.0f);
    float *out = random_floats(out_total, 9, -1.0f, 1.0f);
    float *after = malloc(out_total * sizeof *after);
    double *want = new_doubles(s->cols), *tolerance = new_doubles(s->cols);
    ck_assert_ptr_nonnull(after);
    cl_mem dz_dev = upload(rt, dz, total * sizeof(float));
    cl_mem out_dev = upload(rt, out, out_total * sizeof(float));
    CK_OK(rt, ewcl_op_column_sum(rt, dz_dev, s->offset, s->rows, s->cols, s->ld, out_dev,
                                 out_offset, accumulate));
    download(rt, out_dev, out_total, after);

    ref_column_sum(dz + s->offset, s->rows, s->cols, s->ld, want);
    for (size_t j = 0; j < s->cols; j++) {
        double magnitude = 0.0;
        for (size_t i = 0; i < s->rows; i++)
            magnitude += fabs(dz[s->offset + i * s->ld + j]);
        if (accumulate) {
            want[j] += out[out_offset + j];
            magnitude += fabs(out[out_offset + j]);
        }
        tolerance[j] = (double)(s->rows + 1) * EPS * magnitude;
    }
    char what[128];
    snprintf(what, sizeof what, "column sum %zux%zu ld %zu accumulate %d", s->rows, s->cols,
             s->ld, accumulate);
    assert_close(what, after + out_offset, want, tolerance, s->cols, 0.0);
    assert_outside_untouched(out, after, out_total, out_offset, 1, s->cols, s->cols);
    ewcl_buffer_release(dz_dev);
    ewcl_buffer_release(out_dev);
    free(dz);
    free(out);
    free(after);
    free(want);
    free(tolerance);
}

START_TEST(column_sum_matches_reference)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    size_t count = 0;
    const shape *shapes = test_shapes(&count);
    for (size_t i = 0; i < count; i++) {
        check_column_sum(rt, &shapes[i], false);
        check_column_sum(rt, &shapes[i], true);
    }
    ewcl_runtime_destroy(rt);
}
END_TEST

/* No rows: the sums are zero, so out is zeroed, or left alone when accumulating. */
START_TEST(column_sum_of_no_rows)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    const float start[3] = {1, 2, 3};
    cl_mem out = upload(rt, start, sizeof start);
    float got[3];
    CK_OK(rt, ewcl_op_column_sum(rt, NULL, 0, 0, 3, 3, out, 0, true));
    download(rt, out, 3, got);
    ck_assert_int_eq(memcmp(got, start, sizeof start), 0);
    CK_OK(rt, ewcl_op_column_sum(rt, NULL, 0, 0, 3, 3, out, 0, false));
    download(rt, out, 3, got);
    for (int j = 0; j < 3; j++)
        ck_assert_float_eq(got[j], 0.0f);
    ewcl_buffer_release(out);
    ewcl_runtime_destroy(rt);
}
END_TEST

static void check_sgd(ewcl_runtime *rt, size_t count, float lr, float weight_decay)
{
    const size_t offset = 5, total = count + 8;
    float *theta = random_floats(total, (unsigned)count, -1.0f, 1.0f);
    float *grad = random_floats(total, (unsigned)count + 3, -3.0f, 3.0f);
    float *after = malloc(total * sizeof *after);
    double *want = new_doubles(count), *tolerance = new_doubles(count);
    ck_assert_ptr_nonnull(after);
    cl_mem theta_dev = upload(rt, theta, total * sizeof(float));
    cl_mem grad_dev = upload(rt, grad, total * sizeof(float));
    CK_OK(rt, ewcl_op_sgd_update(rt, theta_dev, grad_dev, offset, count, lr, weight_decay));
    download(rt, theta_dev, total, after);

    ref_sgd_update(theta + offset, grad + offset, count, lr, weight_decay, want);
    for (size_t i = 0; i < count; i++) {
        const double t = fabs(theta[offset + i]), g = fabs(grad[offset + i]);
        /* Four roundings (or fewer, fused), each relative to the terms' size. */
        tolerance[i] = 4.0 * EPS * (t + lr * (g + weight_decay * t));
    }
    char what[96];
    snprintf(what, sizeof what, "sgd count %zu lr %g wd %g", count, (double)lr,
             (double)weight_decay);
    assert_close(what, after + offset, want, tolerance, count, 0.0);
    assert_outside_untouched(theta, after, total, offset, 1, count, count);
    ewcl_buffer_release(theta_dev);
    ewcl_buffer_release(grad_dev);
    free(theta);
    free(grad);
    free(after);
    free(want);
    free(tolerance);
}

START_TEST(sgd_matches_reference)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    /* 734,810: the parameters of the default MLP (1024-400-400-10). */
    const size_t counts[] = {1, 1000, ewcl_test_small() ? 333 : 734810};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        check_sgd(rt, counts[i], 0.1f, 0.0f);
        check_sgd(rt, counts[i], 0.01f, 5e-4f);
    }
    ewcl_runtime_destroy(rt);
}
END_TEST

/* ---- Loss ------------------------------------------------------------------------------- */

typedef struct loss_case {
    size_t rows, classes, ld;
    const float *logits; /* rows×ld, or NULL for random ones in [−5, 5) */
    const int *labels;   /* rows, or NULL for random ones */
} loss_case;

/* The device's loss, flags and gradient for one case, against the reference: loss and
 * gradient within 1e-6 relative (plus a floor of 1e-6 of the gradient's scale for
 * entries that are differences near 0), flags exact, padding columns zero. */
static void check_loss(ewcl_runtime *rt, const loss_case *lc, bool with_grad)
{
    const size_t rows = lc->rows, classes = lc->classes, ld = lc->ld, offset = 3;
    const size_t total = offset + rows * ld;
    float *logits = random_floats(total, (unsigned)(rows * classes), -5.0f, 5.0f);
    int *labels = malloc(rows * sizeof *labels);
    ck_assert_ptr_nonnull(labels);
    for (size_t i = 0; i < rows; i++) {
        if (lc->logits != NULL)
            memcpy(logits + offset + i * ld, lc->logits + i * ld, ld * sizeof(float));
        labels[i] = lc->labels != NULL ? lc->labels[i] : (int)((i * 7 + 3) % classes);
    }
    float *grad_init = random_floats(total, 4, -9.0f, 9.0f); /* garbage to overwrite */
    float *loss = malloc(rows * sizeof *loss), *correct = malloc(rows * sizeof *correct);
    float *grad = malloc(total * sizeof *grad);
    ck_assert(loss != NULL && correct != NULL && grad != NULL);

    cl_mem logits_dev = upload(rt, logits, total * sizeof(float));
    cl_mem labels_dev = upload(rt, labels, rows * sizeof(int));
    cl_mem loss_dev = upload(rt, grad_init, rows * sizeof(float));
    cl_mem correct_dev = upload(rt, grad_init, rows * sizeof(float));
    cl_mem grad_dev = with_grad ? upload(rt, grad_init, total * sizeof(float)) : NULL;
    const float scale = 1.0f / (float)rows;
    CK_OK(rt, ewcl_op_softmax_nll(rt, logits_dev, offset, rows, classes, ld, labels_dev, 0,
                                  loss_dev, correct_dev, grad_dev, offset, scale));
    download(rt, loss_dev, rows, loss);
    download(rt, correct_dev, rows, correct);
    if (with_grad)
        download(rt, grad_dev, total, grad);

    double *row = new_doubles(classes), *want_grad = new_doubles(classes);
    double *floor = new_doubles(classes);
    for (size_t c = 0; c < classes; c++)
        floor[c] = 1e-6 * scale;
    for (size_t i = 0; i < rows; i++) {
        const float *x = logits + offset + i * ld;
        for (size_t c = 0; c < classes; c++)
            row[c] = x[c];
        int argmax = -1;
        const double want =
            ref_softmax_nll_row(row, classes, labels[i], want_grad, scale, &argmax);
        char what[128];
        snprintf(what, sizeof what, "loss %zux%zu ld %zu row %zu", rows, classes, ld, i);
        ck_assert_msg(isfinite(loss[i]), "%s: loss %g", what, loss[i]);
        /* exp(−160) and the like are 0 in float: losses below 1e-12 count as 0. */
        const double loss_floor = 1e-12;
        assert_close(what, &loss[i], &want, &loss_floor, 1, 1e-6);
        ck_assert_msg(correct[i] == (argmax == labels[i] ? 1.0f : 0.0f),
                      "%s: correct %g, argmax %d, label %d", what, correct[i], argmax,
                      labels[i]);
        if (!with_grad)
            continue;
        assert_close(what, grad + offset + i * ld, want_grad, floor, classes, 1e-6);
        for (size_t c = classes; c < ld; c++)
            ck_assert_msg(grad[offset + i * ld + c] == 0.0f, "%s: padding column %zu is %g",
                          what, c, grad[offset + i * ld + c]);
    }
    if (with_grad)
        assert_outside_untouched(grad_init, grad, total, offset, rows, ld, ld);
    ewcl_buffer_release(logits_dev);
    ewcl_buffer_release(labels_dev);
    ewcl_buffer_release(loss_dev);
    ewcl_buffer_release(correct_dev);
    ewcl_buffer_release(grad_dev);
    free(logits);
    free(labels);
    free(grad_init);
    free(loss);
    free(correct);
    free(grad);
    free(row);
    free(want_grad);
    free(floor);
}

START_TEST(loss_matches_reference)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    const bool small = ewcl_test_small();
    const loss_case cases[] = {
        {1, 1, 1, NULL, NULL},
        {3, 5, 8, NULL, NULL},
        {small ? 17 : 127, 10, 16, NULL, NULL},
        {small ? 9 : 128, 10, 10, NULL, NULL},
        {small ? 5 : 1000, small ? 37 : 129, small ? 40 : 131, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_loss(rt, &cases[i], true);
        check_loss(rt, &cases[i], false);
    }
    ewcl_runtime_destroy(rt);
}
END_TEST

/* Logits of ±80 (exp would overflow without the shift), confident rows whose loss is near
 * 0, and ties, where the prediction is the lowest index among the maxima. */
START_TEST(loss_extremes_and_ties)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    enum { ROWS = 7, CLASSES = 4, LD = 5 };
    static const float logits[ROWS][LD] = {
        {80, -80, 80, -80, 0},   /* tie between 0 and 2, label 2: wrong */
        {80, -80, 80, -80, 0},   /* the same, label 0: right */
        {-80, -80, -80, -80, 0}, /* all tied: class 0 predicted */
        {-80, 80, -80, -80, 0},  /* loss 160 for label 0 */
        {-80, 80, -80, -80, 0},  /* loss exp(−160)-ish: 0 in float */
        {20, 3, 3, 3, 0},        /* confident: loss ≈ 3·e^−17 */
        {1, 2, 2, 1, 0},         /* tie between 1 and 2, label 1: right */
    };
    static const int labels[ROWS] = {2, 0, 3, 0, 1, 0, 1};
    const loss_case lc = {ROWS, CLASSES, LD, &logits[0][0], labels};
    check_loss(rt, &lc, true);
    ewcl_runtime_destroy(rt);
}
END_TEST

/* ---- Reduction -------------------------------------------------------------------------- */

static void check_reduce(ewcl_runtime *rt, size_t n, bool square)
{
    const size_t offset = 7, out_offset = 2;
    float *x = random_floats(offset + n, (unsigned)n, -1.0f, 1.0f);
    const size_t scratch_floats = ewcl_op_reduce_scratch_floats(rt);
    cl_mem x_dev = upload(rt, x, (offset + n) * sizeof(float));
    cl_mem scratch = NULL, out = NULL;
    CK_OK(rt, ewcl_buffer_create(rt, scratch_floats * sizeof(float), &scratch));
    const float nans[4] = {NAN, NAN, NAN, NAN};
    out = upload(rt, nans, sizeof nans);
    CK_OK(rt, ewcl_op_reduce(rt, x_dev, offset, n, square, scratch, out, out_offset));
    float got[4];
    download(rt, out, 4, got);

    const double want = ewcl_test_host_sum(x + offset, n, square);
    double magnitude = 0.0;
    for (size_t i = 0; i < n; i++)
        magnitude += square ? (double)x[offset + i] * x[offset + i] : fabs(x[offset + i]);
    ck_assert_msg(fabs(got[out_offset] - want) <= 1e-5 * magnitude,
                  "reduce n=%zu square=%d: %.9g, want %.9g", n, square, got[out_offset], want);
    for (size_t i = 0; i < 4; i++)
        ck_assert(i == out_offset || isnan(got[i]));
    ewcl_buffer_release(x_dev);
    ewcl_buffer_release(scratch);
    ewcl_buffer_release(out);
    free(x);
}

START_TEST(reduce_matches_host_sum)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    const size_t sizes[] = {0, 1, 1000, ewcl_test_small() ? 4099 : 1000003};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        check_reduce(rt, sizes[i], false);
        check_reduce(rt, sizes[i], true);
    }
    ewcl_runtime_destroy(rt);
}
END_TEST

/* ---- Two devices ------------------------------------------------------------------------ */

static ewcl_runtime *open_device(const char *selector)
{
    ewcl_runtime_options o;
    ewcl_runtime_options_default(&o);
    snprintf(o.device, sizeof o.device, "%s", selector);
    return ewcl_test_open_runtime_with(o);
}

/* The fused forward of one shape on a device: the whole buffer afterwards. */
static float *forward_on(ewcl_runtime *rt, const shape *s, const float *x, const float *bias)
{
    const size_t total = buffer_floats(s);
    float *out = malloc(total * sizeof *out);
    ck_assert_ptr_nonnull(out);
    cl_mem y = upload(rt, x, total * sizeof(float));
    cl_mem b = upload(rt, bias, s->cols * sizeof(float));
    CK_OK(rt, ewcl_op_bias_relu_dropout(rt, y, s->offset, s->rows, s->cols, s->ld, b, 0, true,
                                        0.5f, test_key));
    download(rt, y, total, out);
    ewcl_buffer_release(y);
    ewcl_buffer_release(b);
    return out;
}

START_TEST(same_key_same_bits_on_two_devices)
{
    ewcl_runtime *first = open_device("runtime:pocl,name:pthread");
    ewcl_runtime *second = open_device("runtime:pocl,name:basic");
    ck_assert_str_ne(ewcl_runtime_device(first)->name, ewcl_runtime_device(second)->name);
    for (size_t i = 0; i < sizeof full_shapes / sizeof full_shapes[0]; i++) {
        const shape *s = &full_shapes[i];
        const size_t total = buffer_floats(s);
        float *x = random_floats(total, (unsigned)i, -1.0f, 1.0f);
        float *bias = random_floats(s->cols, 3, -0.5f, 0.5f);
        float *a = forward_on(first, s, x, bias), *b = forward_on(second, s, x, bias);
        ck_assert_msg(memcmp(a, b, total * sizeof(float)) == 0,
                      "%zux%zu: the two devices differ", s->rows, s->cols);
        free(x);
        free(bias);
        free(a);
        free(b);
    }
    ewcl_runtime_destroy(first);
    ewcl_runtime_destroy(second);
}
END_TEST

/* ---- Suite ------------------------------------------------------------------------------ */

static Suite *kernel_suite(bool two_devices)
{
    Suite *suite = suite_create("kernels");
    TCase *tc = tcase_create("kernels");
    tcase_set_timeout(tc, EWCL_TEST_CL_TIMEOUT);
    if (two_devices) {
        tcase_add_test(tc, same_key_same_bits_on_two_devices);
    } else {
        tcase_add_test(tc, reference_philox_matches_known_answers);
        tcase_add_test(tc, device_mask_reveals_philox_known_answer);
        tcase_add_test(tc, forward_matches_reference);
        tcase_add_test(tc, forward_without_dropout_is_identity);
        tcase_add_test(tc, dropout_mask_statistics_and_scale);
        tcase_add_test(tc, forward_rejects_bad_arguments);
        tcase_add_test(tc, backward_matches_reference);
        tcase_add_test(tc, column_sum_matches_reference);
        tcase_add_test(tc, column_sum_of_no_rows);
        tcase_add_test(tc, sgd_matches_reference);
        tcase_add_test(tc, loss_matches_reference);
        tcase_add_test(tc, loss_extremes_and_ties);
        tcase_add_test(tc, reduce_matches_host_sum);
    }
    suite_add_tcase(suite, tc);
    return suite;
}

int main(int argc, char **argv)
{
    const bool two_devices = argc > 1 && strcmp(argv[1], "two-devices") == 0;
    if (argc > 2 || (argc == 2 && !two_devices)) {
        fprintf(stderr, "usage: %s [two-devices]\n", argv[0]);
        return 2;
    }
    ewcl_test_require_device();
    return ewcl_test_run(kernel_suite(two_devices));
}
