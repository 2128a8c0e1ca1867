/* The MLP on a device against the double-precision host reference (tests/ref/ref_mlp.c):
 * layout, initialisation, forward, loss, gradients (also against central finite
 * differences), the SGD step, and bit-for-bit determinism. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "harness_cl.h"
#include "ref/ref_mlp.h"

/* A batch of inputs in [−1, 1) and labels, fixed by `seed`. */
static void make_batch(size_t batch, size_t input, size_t classes, unsigned seed, float *x,
                       int32_t *labels)
{
    ewcl_test_fill_uniform(x, batch * input, seed);
    for (size_t i = 0; i < batch * input; i++)
        x[i] = 2.0f * x[i] - 1.0f;
    float *u = malloc(batch * sizeof *u);
    ewcl_test_fill_uniform(u, batch, seed + 1);
    for (size_t i = 0; i < batch; i++)
        labels[i] = (int32_t)(u[i] * (float)classes) % (int32_t)classes;
    free(u);
}

static ewcl_mlp_config small_config(size_t input, size_t hidden, size_t hidden_layer_num,
                                    size_t output, size_t max_batch, bool compat)
{
    ewcl_mlp_config c;
    ewcl_mlp_config_default(&c);
    c.input_size = input;
    c.hidden_size = hidden;
    c.hidden_layer_num = hidden_layer_num;
    c.output_size = output;
    c.max_batch = max_batch;
    c.seed = 1234;
    c.pytorch_ewc_compat = compat;
    return c;
}

static ewcl_mlp *make_mlp(ewcl_runtime *rt, const ewcl_mlp_config *c)
{
    ewcl_mlp *m = NULL;
    const ewcl_status s = ewcl_mlp_create(rt, c, &m);
    ck_assert_msg(s == EWCL_OK, "mlp: %s", ewcl_runtime_error(rt)->message);
    return m;
}

static ref_mlp reference_of(const ewcl_mlp_config *c)
{
    ref_mlp r;
    ref_mlp_init(&r, c->input_size, c->hidden_size, c->hidden_layer_num, c->output_size,
                 c->input_dropout, c->hidden_dropout, c->seed, c->pytorch_ewc_compat);
    return r;
}

static double *read_params_double(ewcl_mlp *m)
{
    const size_t n = ewcl_mlp_parameter_count(m);
    float *f = malloc(n * sizeof *f);
    double *d = malloc(n * sizeof *d);
    ck_assert_int_eq(ewcl_mlp_read_parameters(m, f, n), EWCL_OK);
    for (size_t i = 0; i < n; i++)
        d[i] = f[i];
    free(f);
    return d;
}

START_TEST(layout_follows_the_definition)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    for (int compat = 0; compat <= 1; compat++) {
        ewcl_mlp_config c;
        ewcl_mlp_config_default(&c);
        c.pytorch_ewc_compat = compat;
        c.max_batch = 2;
        ewcl_mlp *m = make_mlp(rt, &c);
        /* 1024·400+400 + 2·(400·400+400) + 400·10+10 distinct; pytorch-ewc shares one
         * hidden block. */
        ck_assert_uint_eq(ewcl_mlp_parameter_count(m), compat ? 574410 : 734810);
        const ref_mlp r = reference_of(&c);
        ck_assert_uint_eq(ewcl_mlp_layer_count(m), r.layer_count);
        for (size_t l = 0; l < r.layer_count; l++) {
            const ewcl_mlp_layer info = ewcl_mlp_layer_info(m, l);
            ck_assert_uint_eq(info.in, r.in[l]);
            ck_assert_uint_eq(info.out, r.out[l]);
            ck_assert_uint_eq(info.weight_offset, r.weight_offset[l]);
            ck_assert_uint_eq(info.bias_offset, r.bias_offset[l]);
        }
        ewcl_mlp_destroy(m);
    }
    ewcl_runtime_destroy(rt);
}
END_TEST

START_TEST(initialisation_is_xavier_normal_and_seeded)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    ewcl_mlp_config c;
    ewcl_mlp_config_default(&c);
    c.max_batch = 2;
    c.seed = 7;
    ewcl_mlp *a = make_mlp(rt, &c), *b = make_mlp(rt, &c);
    c.seed = 8;
    ewcl_mlp *other = make_mlp(rt, &c);
    const size_t n = ewcl_mlp_parameter_count(a);
    double *pa = read_params_double(a), *pb = read_params_double(b),
           *po = read_params_double(other);
    ck_assert(memcmp(pa, pb, n * sizeof *pa) == 0);
    ck_assert(memcmp(pa, po, n * sizeof *pa) != 0);
    for (size_t l = 0; l < ewcl_mlp_layer_count(a); l++) {
        const ewcl_mlp_layer s = ewcl_mlp_layer_info(a, l);
        double sum = 0, sum2 = 0;
        const size_t count = s.in * s.out;
        for (size_t i = 0; i < count; i++) {
            sum += pa[s.weight_offset + i];
            sum2 += pa[s.weight_offset + i] * pa[s.weight_offset + i];
        }
        const double mean = sum / (double)count, std = sqrt(sum2 / (double)count);
        const double expected = sqrt(2.0 / (double)(s.in + s.out));
        /* Sample statistics of `count` normals: 5 standard errors. */
        ck_assert_msg(fabs(mean) < 5 * expected / sqrt((double)count), "layer %zu mean %g", l,
                      mean);
        ck_assert_msg(fabs(std / expected - 1) < 5 / sqrt(2.0 * (double)count),
                      "layer %zu std %g, expected %g", l, std, expected);
        for (size_t j = 0; j < s.out; j++)
            ck_assert(pa[s.bias_offset + j] == 0.0);
    }
    free(pa);
    free(pb);
    free(po);
    ewcl_mlp_destroy(a);
    ewcl_mlp_destroy(b);
    ewcl_mlp_destroy(other);
    ewcl_runtime_destroy(rt);
}
END_TEST

/* Forward + loss on the device against the reference, train and eval, then the gradient. */
static void check_against_reference(const ewcl_mlp_config *c, size_t batch, uint64_t step)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    ewcl_mlp *m = make_mlp(rt, c);
    const ref_mlp r = reference_of(c);
    const size_t n = ewcl_mlp_parameter_count(m), classes = c->output_size;
    float *x = malloc(batch * c->input_size * sizeof *x);
    int32_t *labels = malloc(batch * sizeof *labels);
    make_batch(batch, c->input_size, classes, 99, x, labels);
    ck_assert_int_eq(ewcl_mlp_set_batch(m, x, labels, batch), EWCL_OK);
    double *params = read_params_double(m);
    double *ref_grad = malloc(n * sizeof *ref_grad);
    double *ref_logits = malloc(batch * classes * sizeof *ref_logits);
    float *logits = malloc(batch * classes * sizeof *logits);
    float *grad = malloc(n * sizeof *grad);

    for (int train = 0; train <= 1; train++) {
        const double ref_loss =
            ref_mlp_loss(&r, params, x, labels, batch, train, step, ref_grad, ref_logits);
        ck_assert_int_eq(ewcl_mlp_forward(m, batch, train, step), EWCL_OK);
        ck_assert_int_eq(ewcl_mlp_loss(m, batch, true), EWCL_OK);
        ck_assert_int_eq(ewcl_mlp_backward(m, batch), EWCL_OK);
        double loss = 0;
        size_t correct = 0;
        ck_assert_int_eq(ewcl_mlp_read_loss(m, batch, &loss, &correct), EWCL_OK);
        ck_assert_int_eq(ewcl_mlp_read_logits(m, batch, logits), EWCL_OK);
        ck_assert_int_eq(ewcl_mlp_read_gradients(m, grad, n), EWCL_OK);

        /* Float forward vs double: error grows with depth and width; 1e-4 relative to the
         * logits' scale covers K ≤ 1024 float sums comfortably. */
        double scale = 1e-3, max_err = 0;
        size_t ref_correct = 0;
        for (size_t i = 0; i < batch; i++) {
            size_t best = 0;
            for (size_t j = 0; j < classes; j++) {
                scale = fmax(scale, fabs(ref_logits[i * classes + j]));
                max_err = fmax(max_err, fabs(logits[i * classes + j] - ref_logits[i * classes + j]));
                if (ref_logits[i * classes + j] > ref_logits[i * classes + best])
                    best = j;
            }
            ref_correct += (int32_t)best == labels[i];
        }
        ck_assert_msg(max_err <= 1e-4 * scale, "train=%d logits off by %g (scale %g)", train,
                      max_err, scale);
        ck_assert_msg(fabs(loss - ref_loss) <= 1e-4 * fmax(1.0, ref_loss), "loss %g vs %g", loss,
                      ref_loss);
        ck_assert_uint_eq(correct, ref_correct);

        /* Gradient per layer: relative error of the whole weight and bias blocks. */
        for (size_t l = 0; l < ewcl_mlp_layer_count(m); l++) {
            const ewcl_mlp_layer s = ewcl_mlp_layer_info(m, l);
            const size_t blocks[2][2] = {{s.weight_offset, s.in * s.out},
                                         {s.bias_offset, s.out}};
            for (int k = 0; k < 2; k++) {
                double diff = 0, norm = 0;
                for (size_t i = blocks[k][0]; i < blocks[k][0] + blocks[k][1]; i++) {
                    diff += (grad[i] - ref_grad[i]) * (grad[i] - ref_grad[i]);
                    norm += ref_grad[i] * ref_grad[i];
                }
                ck_assert_msg(sqrt(diff) <= 1e-4 * sqrt(norm) + 1e-9,
                              "train=%d layer %zu %s gradient off: |d| %g, |g| %g", train, l,
                              k ? "bias" : "weight", sqrt(diff), sqrt(norm));
            }
        }
    }
    free(x);
    free(labels);
    free(params);
    free(ref_grad);
    free(ref_logits);
    free(logits);
    free(grad);
    ewcl_mlp_destroy(m);
    ewcl_runtime_destroy(rt);
}

START_TEST(small_net_matches_reference)
{
    ewcl_mlp_config c = small_config(20, 7, 1, 3, 5, false);
    check_against_reference(&c, 5, 3);
    c = small_config(33, 17, 2, 10, 9, true); /* compat: shared hidden block */
    check_against_reference(&c, 9, 11);
}
END_TEST

START_TEST(default_net_matches_reference)
{
    if (ewcl_test_small())
        return; /* the simulator takes minutes at this size; PoCL runs it */
    ewcl_mlp_config c;
    ewcl_mlp_config_default(&c);
    c.max_batch = 32;
    check_against_reference(&c, 32, 5);
}
END_TEST

/* The device gradient against central differences of the double reference loss, with the
 * dropout masks of one training step held fixed. */
static void check_finite_differences(const ewcl_mlp_config *c, size_t batch)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    ewcl_mlp *m = make_mlp(rt, c);
    const ref_mlp r = reference_of(c);
    const size_t n = ewcl_mlp_parameter_count(m);
    float *x = malloc(batch * c->input_size * sizeof *x);
    int32_t *labels = malloc(batch * sizeof *labels);
    make_batch(batch, c->input_size, c->output_size, 5, x, labels);
    ck_assert_int_eq(ewcl_mlp_set_batch(m, x, labels, batch), EWCL_OK);
    /* Nonzero biases: with zero biases a unit whose inputs are all dropped sits exactly on
     * the ReLU kink, where a central difference sees half a slope. */
    float *start = malloc(n * sizeof *start);
    ewcl_test_fill_uniform(start, n, 77);
    for (size_t i = 0; i < n; i++)
        start[i] = start[i] - 0.5f;
    ck_assert_int_eq(ewcl_mlp_write_parameters(m, start, n), EWCL_OK);
    free(start);
    const uint64_t step = 17;
    ck_assert_int_eq(ewcl_mlp_forward(m, batch, true, step), EWCL_OK);
    ck_assert_int_eq(ewcl_mlp_loss(m, batch, true), EWCL_OK);
    ck_assert_int_eq(ewcl_mlp_backward(m, batch), EWCL_OK);
    float *grad = malloc(n * sizeof *grad);
    ck_assert_int_eq(ewcl_mlp_read_gradients(m, grad, n), EWCL_OK);
    double *params = read_params_double(m);

    const double h = 1e-5;
    for (size_t l = 0; l < ewcl_mlp_layer_count(m); l++) {
        const ewcl_mlp_layer s = ewcl_mlp_layer_info(m, l);
        const size_t blocks[2][2] = {{s.weight_offset, s.in * s.out}, {s.bias_offset, s.out}};
        for (int k = 0; k < 2; k++) {
            double diff = 0, norm = 0;
            for (size_t i = blocks[k][0]; i < blocks[k][0] + blocks[k][1]; i++) {
                const double saved = params[i];
                params[i] = saved + h;
                const double up = ref_mlp_loss(&r, params, x, labels, batch, true, step, NULL, NULL);
                params[i] = saved - h;
                const double down =
                    ref_mlp_loss(&r, params, x, labels, batch, true, step, NULL, NULL);
                params[i] = saved;
                const double fd = (up - down) / (2 * h);
                diff += (grad[i] - fd) * (grad[i] - fd);
                norm += fd * fd;
            }
            ck_assert_msg(sqrt(diff) <= 1e-3 * sqrt(norm) + 1e-7,
                          "layer %zu %s: |grad − fd| %g, |fd| %g", l, k ? "bias" : "weight",
                          sqrt(diff), sqrt(norm));
        }
    }
    free(x);
    free(labels);
    free(grad);
    free(params);
    ewcl_mlp_destroy(m);
    ewcl_runtime_destroy(rt);
}

START_TEST(gradient_matches_finite_differences)
{
    ewcl_mlp_config c = small_config(20, 7, 1, 3, 5, false);
    check_finite_differences(&c, 5);
    c = small_config(12, 6, 2, 4, 4, true);
    check_finite_differences(&c, 4);
}
END_TEST

START_TEST(sgd_step_matches_reference)
{
    ewcl_mlp_config c = small_config(24, 16, 1, 5, 8, false);
    ewcl_runtime *rt = ewcl_test_open_runtime();
    ewcl_mlp *m = make_mlp(rt, &c);
    const ref_mlp r = reference_of(&c);
    const size_t n = ewcl_mlp_parameter_count(m), batch = 8;
    float x[8 * 24];
    int32_t labels[8];
    make_batch(batch, c.input_size, c.output_size, 3, x, labels);
    ck_assert_int_eq(ewcl_mlp_set_batch(m, x, labels, batch), EWCL_OK);
    double *before = read_params_double(m);
    double *g = malloc(n * sizeof *g);
    ref_mlp_loss(&r, before, x, labels, batch, true, 4, g, NULL);
    const float lr = 0.1f, wd = 0.01f;
    ck_assert_int_eq(ewcl_mlp_train_step(m, batch, 4, lr, wd), EWCL_OK);
    double *after = read_params_double(m);
    for (size_t i = 0; i < n; i++) {
        const double expected = before[i] - (double)lr * (g[i] + (double)wd * before[i]);
        ck_assert_msg(fabs(after[i] - expected) <= 1e-6 + 1e-5 * fabs(expected),
                      "parameter %zu: %.9g, expected %.9g", i, after[i], expected);
    }
    free(before);
    free(after);
    free(g);
    ewcl_mlp_destroy(m);
    ewcl_runtime_destroy(rt);
}
END_TEST

static float *train_run(const ewcl_mlp_config *c, size_t batch, size_t steps)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    ewcl_mlp *m = make_mlp(rt, c);
    float *x = malloc(batch * c->input_size * sizeof *x);
    int32_t *labels = malloc(batch * sizeof *labels);
    for (size_t s = 0; s < steps; s++) {
        make_batch(batch, c->input_size, c->output_size, (unsigned)s, x, labels);
        ck_assert_int_eq(ewcl_mlp_set_batch(m, x, labels, batch), EWCL_OK);
        ck_assert_int_eq(ewcl_mlp_train_step(m, batch, s, 0.1f, 0.0f), EWCL_OK);
    }
    const size_t n = ewcl_mlp_parameter_count(m);
    float *params = malloc(n * sizeof *params);
    ck_assert_int_eq(ewcl_mlp_read_parameters(m, params, n), EWCL_OK);
    free(x);
    free(labels);
    ewcl_mlp_destroy(m);
    ewcl_runtime_destroy(rt);
    return params;
}

START_TEST(same_seed_same_bits)
{
    const ewcl_mlp_config c = small_config(64, 32, 1, 10, 16, false);
    const size_t steps = ewcl_test_small() ? 5 : 50;
    float *a = train_run(&c, 16, steps), *b = train_run(&c, 16, steps);
    const ref_mlp r = reference_of(&c);
    ck_assert(memcmp(a, b, r.parameter_count * sizeof *a) == 0);
    free(a);
    free(b);
}
END_TEST

START_TEST(bad_arguments_are_refused)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    ewcl_mlp_config c = small_config(4, 3, 0, 2, 2, false);
    ewcl_mlp *m = make_mlp(rt, &c);
    float x[3 * 4] = {0};
    int32_t labels[3] = {0, 1, 2};
    ck_assert_int_eq(ewcl_mlp_set_batch(m, x, labels, 3), EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ewcl_mlp_set_batch(m, x, labels, 2), EWCL_OK);
    labels[1] = 2; /* only classes 0 and 1 exist */
    ck_assert_int_eq(ewcl_mlp_set_batch(m, x, labels, 2), EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(ewcl_runtime_error(rt)->message, "label 2"));
    ck_assert_int_eq(ewcl_mlp_forward(m, 0, false, 0), EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ewcl_mlp_forward(m, 3, false, 0), EWCL_ERR_INVALID_ARGUMENT);
    float params[1];
    ck_assert_int_eq(ewcl_mlp_read_parameters(m, params, 1), EWCL_ERR_INVALID_ARGUMENT);
    ewcl_mlp_destroy(m);
    ewcl_mlp *none = NULL;
    c.hidden_dropout = 1.0f;
    ck_assert_int_eq(ewcl_mlp_create(rt, &c, &none), EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(none);
    c = small_config(0, 3, 0, 2, 2, false);
    ck_assert_int_eq(ewcl_mlp_create(rt, &c, &none), EWCL_ERR_INVALID_ARGUMENT);
    ewcl_runtime_destroy(rt);
}
END_TEST

int main(void)
{
    ewcl_test_require_device();
    Suite *suite = suite_create("mlp");
    TCase *tc = tcase_create("mlp");
    tcase_set_timeout(tc, EWCL_TEST_CL_TIMEOUT);
    tcase_add_test(tc, layout_follows_the_definition);
    tcase_add_test(tc, initialisation_is_xavier_normal_and_seeded);
    tcase_add_test(tc, small_net_matches_reference);
    tcase_add_test(tc, default_net_matches_reference);
    tcase_add_test(tc, gradient_matches_finite_differences);
    tcase_add_test(tc, sgd_step_matches_reference);
    tcase_add_test(tc, same_seed_same_bits);
    tcase_add_test(tc, bad_arguments_are_refused);
    suite_add_tcase(suite, tc);
    return ewcl_test_run(suite);
}
