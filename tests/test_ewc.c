/* EWC on a device against host references: the batched Fisher against a per-sample loop in
 * double precision (every label mode), consolidation in constant memory against the
 * explicit per-task sum, the penalty against finite differences, λ = 0 against plain SGD,
 * and the explicit step's instability against the implicit step. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ewc/ewc_internal.h"
#include "harness.h"
#include "harness_cl.h"
#include "ops/buffer.h"
#include "ref/ref_fisher.h"
#include "ref/ref_mlp.h"

/* A small net; N not a multiple of the batch. */
enum { IN = 12, HIDDEN = 9, LAYERS = 1, CLASSES = 4, BATCH = 8, SAMPLES = 21 };

typedef struct task_data {
    float x[SAMPLES * IN];
    int32_t labels[SAMPLES];
} task_data;

static void make_task(task_data *t, unsigned seed)
{
    ewcl_test_fill_uniform(t->x, SAMPLES * IN, seed);
    for (size_t i = 0; i < SAMPLES * IN; i++)
        t->x[i] = 2.0f * t->x[i] - 1.0f;
    for (size_t i = 0; i < SAMPLES; i++)
        t->labels[i] = (int32_t)((i * 7 + seed) % CLASSES);
}

static ewcl_status fill_from_task(void *user, ewcl_mlp *m, size_t first, size_t count)
{
    const task_data *t = user;
    return ewcl_mlp_set_batch(m, t->x + first * IN, t->labels + first, count);
}

typedef struct fixture {
    ewcl_runtime *rt;
    ewcl_mlp *mlp;
    ewcl_ewc *ewc;
    ref_mlp ref;
    size_t n;
} fixture;

static int warnings;

static void count_warnings(void *user, ewcl_log_level level, const char *message)
{
    (void)user;
    (void)message;
    warnings += level == EWCL_LOG_WARNING;
}

static fixture open_fixture(ewcl_ewc_config config, bool compat)
{
    fixture f;
    f.rt = ewcl_test_open_runtime_logged(count_warnings, NULL);
    ewcl_mlp_config c;
    ewcl_mlp_config_default(&c);
    c.input_size = IN;
    c.hidden_size = HIDDEN;
    c.hidden_layer_num = LAYERS;
    c.output_size = CLASSES;
    c.max_batch = BATCH;
    c.seed = 5;
    c.pytorch_ewc_compat = compat;
    ck_assert_int_eq(ewcl_mlp_create(f.rt, &c, &f.mlp), EWCL_OK);
    ck_assert_int_eq(ewcl_ewc_create(f.mlp, &config, &f.ewc), EWCL_OK);
    ref_mlp_init(&f.ref, IN, HIDDEN, LAYERS, CLASSES, c.input_dropout, c.hidden_dropout, c.seed,
                 compat);
    f.n = ewcl_mlp_parameter_count(f.mlp);
    /* Nonzero biases keep units off the ReLU kink. */
    float *start = malloc(f.n * sizeof *start);
    ewcl_test_fill_uniform(start, f.n, 41);
    for (size_t i = 0; i < f.n; i++)
        start[i] -= 0.5f;
    ck_assert_int_eq(ewcl_mlp_write_parameters(f.mlp, start, f.n), EWCL_OK);
    free(start);
    warnings = 0;
    return f;
}

static void close_fixture(fixture *f)
{
    ewcl_ewc_destroy(f->ewc);
    ewcl_mlp_destroy(f->mlp);
    ewcl_runtime_destroy(f->rt);
}

static double *read_vector(fixture *f, cl_mem buffer)
{
    float *host = malloc(f->n * sizeof *host);
    double *out = malloc(f->n * sizeof *out);
    ck_assert_int_eq(ewcl_buffer_read(f->rt, buffer, 0, f->n * sizeof *host, host), EWCL_OK);
    for (size_t i = 0; i < f->n; i++)
        out[i] = host[i];
    free(host);
    return out;
}

/* ‖a − b‖ ≤ tolerance·‖b‖ over each layer's weights and bias. */
static void assert_close_per_layer(const fixture *f, const double *a, const double *b,
                                   double tolerance, const char *what)
{
    for (size_t l = 0; l < ewcl_mlp_layer_count(f->mlp); l++) {
        const ewcl_mlp_layer s = ewcl_mlp_layer_info(f->mlp, l);
        double diff = 0, norm = 0;
        for (size_t i = s.weight_offset; i < s.bias_offset + s.out; i++) {
            diff += (a[i] - b[i]) * (a[i] - b[i]);
            norm += b[i] * b[i];
        }
        ck_assert_msg(sqrt(diff) <= tolerance * sqrt(norm) + 1e-12,
                      "%s, layer %zu: |diff| %g, |ref| %g", what, l, sqrt(diff), sqrt(norm));
    }
}

static void check_fisher_mode(ewcl_fisher_labels labels, ref_fisher_mode ref_mode)
{
    ewcl_ewc_config config;
    ewcl_ewc_config_default(&config);
    config.labels = labels;
    fixture f = open_fixture(config, false);
    task_data task;
    make_task(&task, 3);
    ck_assert_int_eq(ewcl_ewc_estimate_fisher(f.ewc, SAMPLES, SAMPLES, fill_from_task, &task),
                     EWCL_OK);
    double *device = read_vector(&f, f.ewc->fisher);
    double *params = read_vector(&f, f.mlp->parameters);
    double *ref = malloc(f.n * sizeof *ref);
    ref_fisher(&f.ref, params, task.x, task.labels, SAMPLES, ref_mode, ref);
    assert_close_per_layer(&f, device, ref, 1e-4, "Fisher");

    /* The statistics describe the same estimate. */
    for (size_t l = 0; l < ewcl_mlp_layer_count(f.mlp); l++) {
        const ewcl_mlp_layer s = ewcl_mlp_layer_info(f.mlp, l);
        ewcl_fisher_stats st;
        ck_assert_int_eq(ewcl_ewc_fisher_stats(f.ewc, l, &st), EWCL_OK);
        double sum = 0, max = 0;
        size_t zeros = 0;
        for (size_t i = s.weight_offset; i < s.bias_offset + s.out; i++) {
            sum += device[i];
            max = fmax(max, device[i]);
            zeros += device[i] == 0.0;
        }
        ck_assert_uint_eq(st.count, s.in * s.out + s.out);
        ck_assert_double_eq_tol(st.sum, sum, 1e-6 * sum + 1e-12);
        ck_assert_double_eq_tol(st.max, max, 1e-12);
        ck_assert_uint_eq(st.zeros, zeros);
    }
    free(device);
    free(params);
    free(ref);
    close_fixture(&f);
}

START_TEST(fisher_true_matches_per_sample_loop)
{
    check_fisher_mode(EWCL_FISHER_TRUE, REF_FISHER_TRUE);
}
END_TEST

START_TEST(fisher_pred_matches_per_sample_loop)
{
    check_fisher_mode(EWCL_FISHER_PRED, REF_FISHER_PRED);
}
END_TEST

START_TEST(fisher_all_matches_expectation)
{
    check_fisher_mode(EWCL_FISHER_ALL, REF_FISHER_ALL);
}
END_TEST

static double *sampled_fisher(uint64_t seed)
{
    ewcl_ewc_config config;
    ewcl_ewc_config_default(&config);
    config.labels = EWCL_FISHER_SAMPLE;
    config.seed = seed;
    fixture f = open_fixture(config, false);
    task_data task;
    make_task(&task, 3);
    ck_assert_int_eq(ewcl_ewc_estimate_fisher(f.ewc, SAMPLES, SAMPLES, fill_from_task, &task),
                     EWCL_OK);
    double *out = read_vector(&f, f.ewc->fisher);
    close_fixture(&f);
    return out;
}

START_TEST(fisher_sample_is_seeded_and_unbiased)
{
    double *a = sampled_fisher(1), *b = sampled_fisher(1), *c = sampled_fisher(2);
    fixture f = open_fixture((ewcl_ewc_config){.lambda = 1, .gamma = 1}, false);
    ck_assert(memcmp(a, b, f.n * sizeof *a) == 0);
    ck_assert(memcmp(a, c, f.n * sizeof *a) != 0);
    /* The mean over seeds approaches the exact expectation. */
    double *params = read_vector(&f, f.mlp->parameters);
    double *all = malloc(f.n * sizeof *all), *mean = calloc(f.n, sizeof *mean);
    task_data task;
    make_task(&task, 3);
    ref_fisher(&f.ref, params, task.x, task.labels, SAMPLES, REF_FISHER_ALL, all);
    const int seeds = ewcl_test_small() ? 6 : 64;
    for (int s = 0; s < seeds; s++) {
        double *one = sampled_fisher(100 + (uint64_t)s);
        for (size_t i = 0; i < f.n; i++)
            mean[i] += one[i] / seeds;
        free(one);
    }
    double diff = 0, norm = 0, single = 0;
    for (size_t i = 0; i < f.n; i++) {
        diff += (mean[i] - all[i]) * (mean[i] - all[i]);
        single += (a[i] - all[i]) * (a[i] - all[i]);
        norm += all[i] * all[i];
    }
    /* Averaging k draws shrinks the error like 1/√k: well below a single draw's. */
    ck_assert_msg(sqrt(diff) < 0.5 * sqrt(single), "mean error %g, one draw %g", sqrt(diff),
                  sqrt(single));
    ck_assert_msg(sqrt(diff) < 0.25 * sqrt(norm), "mean error %g, |all| %g", sqrt(diff),
                  sqrt(norm));
    free(a);
    free(b);
    free(c);
    free(params);
    free(all);
    free(mean);
    close_fixture(&f);
}
END_TEST

/* The labels drawn for the last Fisher batch, from the state's label buffer. */
static int32_t *drawn_labels(uint64_t seed, const char *device, double **fisher)
{
    setenv("EWCL_TEST_DEVICE", device, 1);
    ewcl_ewc_config config;
    ewcl_ewc_config_default(&config);
    config.labels = EWCL_FISHER_SAMPLE;
    config.seed = seed;
    fixture f = open_fixture(config, false);
    task_data task;
    make_task(&task, 3);
    ck_assert_int_eq(ewcl_ewc_estimate_fisher(f.ewc, SAMPLES, SAMPLES, fill_from_task, &task),
                     EWCL_OK);
    const size_t last = SAMPLES % BATCH ? SAMPLES % BATCH : BATCH;
    int32_t *labels = calloc(BATCH, sizeof *labels);
    ck_assert_int_eq(ewcl_buffer_read(f.rt, f.ewc->labels, 0, last * sizeof *labels, labels),
                     EWCL_OK);
    *fisher = read_vector(&f, f.ewc->fisher);
    close_fixture(&f);
    return labels;
}

START_TEST(fisher_sample_draws_the_same_labels_on_two_devices)
{
    double *fa = NULL, *fb = NULL;
    int32_t *a = drawn_labels(9, "runtime:pocl,name:pthread", &fa);
    int32_t *b = drawn_labels(9, "runtime:pocl,name:basic", &fb);
    ck_assert(memcmp(a, b, BATCH * sizeof *a) == 0);
    /* Same labels, so the same Fisher up to the devices' float rounding. */
    const size_t n = (IN * HIDDEN + HIDDEN) + (HIDDEN * HIDDEN + HIDDEN) +
                     (HIDDEN * CLASSES + CLASSES);
    double diff = 0, norm = 0;
    for (size_t i = 0; i < n; i++) {
        diff += (fa[i] - fb[i]) * (fa[i] - fb[i]);
        norm += fb[i] * fb[i];
    }
    ck_assert_msg(sqrt(diff) <= 1e-5 * sqrt(norm), "Fisher differs by %g of %g", sqrt(diff),
                  sqrt(norm));
    free(a);
    free(b);
    free(fa);
    free(fb);
}
END_TEST

START_TEST(fisher_refuses_more_samples_than_the_task_has)
{
    ewcl_ewc_config config;
    ewcl_ewc_config_default(&config);
    fixture f = open_fixture(config, false);
    task_data task;
    make_task(&task, 1);
    ck_assert_int_eq(ewcl_ewc_estimate_fisher(f.ewc, SAMPLES + 1, SAMPLES, fill_from_task, &task),
                     EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(ewcl_runtime_error(f.rt)->message, "22 samples"));
    ck_assert_int_eq(ewcl_ewc_consolidate(f.ewc, 0.1f), EWCL_ERR_INVALID_ARGUMENT);
    close_fixture(&f);
}
END_TEST

/* The implied penalty gradient of one step: with the MLP's gradient zeroed and no weight
 * decay, θ' = θ − lr·∇P(θ), so ∇P = (θ − θ')/lr. */
static double *penalty_gradient(fixture *f, const float *theta)
{
    ck_assert_int_eq(ewcl_mlp_write_parameters(f->mlp, theta, f->n), EWCL_OK);
    ck_assert_int_eq(ewcl_buffer_zero(f->rt, f->mlp->gradients, 0, f->n * sizeof(float)),
                     EWCL_OK);
    const float lr = 1.0f;
    ck_assert_int_eq(ewcl_ewc_step(f->ewc, lr, 0.0f), EWCL_OK);
    double *after = read_vector(f, f->mlp->parameters);
    for (size_t i = 0; i < f->n; i++)
        after[i] = ((double)theta[i] - after[i]) / lr;
    return after;
}

/* Consolidates three tasks, each at its own parameters; keeps (F_t, θ*_t) on the host. */
static void consolidate_three(fixture *f, double *fishers[3], double *anchors[3])
{
    for (int t = 0; t < 3; t++) {
        float *theta = malloc(f->n * sizeof *theta);
        ewcl_test_fill_uniform(theta, f->n, 10 + (unsigned)t);
        for (size_t i = 0; i < f->n; i++)
            theta[i] -= 0.5f;
        ck_assert_int_eq(ewcl_mlp_write_parameters(f->mlp, theta, f->n), EWCL_OK);
        free(theta);
        task_data task;
        make_task(&task, 20 + (unsigned)t);
        ck_assert_int_eq(
            ewcl_ewc_estimate_fisher(f->ewc, SAMPLES, SAMPLES, fill_from_task, &task), EWCL_OK);
        fishers[t] = read_vector(f, f->ewc->fisher);
        anchors[t] = read_vector(f, f->mlp->parameters);
        ck_assert_int_eq(ewcl_ewc_consolidate(f->ewc, 0.01f), EWCL_OK);
    }
    ck_assert_uint_eq(ewcl_ewc_tasks_consolidated(f->ewc), 3);
}

/* Value and gradient of (λ/2)·Σ_t w_t F_t (θ − a_t)² on the host, for the chosen tasks. */
static double host_penalty(const fixture *f, double lambda, double *const fishers[],
                           double *const anchors[], int tasks, const float *theta,
                           double *gradient)
{
    double value = 0;
    memset(gradient, 0, f->n * sizeof *gradient);
    for (int t = 0; t < tasks; t++)
        for (size_t i = 0; i < f->n; i++) {
            const double d = theta[i] - anchors[t][i];
            value += 0.5 * lambda * fishers[t][i] * d * d;
            gradient[i] += lambda * fishers[t][i] * d;
        }
    return value;
}

static float *probe_point(size_t n)
{
    float *theta = malloc(n * sizeof *theta);
    ewcl_test_fill_uniform(theta, n, 99);
    for (size_t i = 0; i < n; i++)
        theta[i] = theta[i] - 0.5f;
    return theta;
}

static void check_mode_against_tasks(ewcl_ewc_mode mode, float gamma, int tasks_in_sum,
                                     bool summed_fisher_latest_anchor)
{
    ewcl_ewc_config config;
    ewcl_ewc_config_default(&config);
    config.mode = mode;
    config.gamma = gamma;
    config.lambda = 3.0f;
    fixture f = open_fixture(config, false);
    double *fishers[3], *anchors[3];
    consolidate_three(&f, fishers, anchors);
    if (summed_fisher_latest_anchor) {
        /* online with γ = 1: the summed Fisher, anchored at the latest parameters. */
        for (size_t i = 0; i < f.n; i++) {
            fishers[2][i] += fishers[0][i] + fishers[1][i];
        }
    }
    float *theta = probe_point(f.n);
    double *host_grad = malloc(f.n * sizeof *host_grad);
    const int first = 3 - tasks_in_sum;
    const double host_value = host_penalty(&f, config.lambda, fishers + first, anchors + first,
                                           tasks_in_sum, theta, host_grad);
    ck_assert_int_eq(ewcl_mlp_write_parameters(f.mlp, theta, f.n), EWCL_OK);
    double value = 0;
    ck_assert_int_eq(ewcl_ewc_penalty(f.ewc, &value), EWCL_OK);
    ck_assert_msg(fabs(value - host_value) <= 1e-4 * host_value, "penalty %g vs %g", value,
                  host_value);
    double *grad = penalty_gradient(&f, theta);
    assert_close_per_layer(&f, grad, host_grad, 1e-4, "penalty gradient");
    free(grad);
    free(host_grad);
    free(theta);
    for (int t = 0; t < 3; t++) {
        free(fishers[t]);
        free(anchors[t]);
    }
    close_fixture(&f);
}

START_TEST(separate_equals_the_sum_over_tasks)
{
    check_mode_against_tasks(EWCL_EWC_SEPARATE, 1.0f, 3, false);
}
END_TEST

START_TEST(overwrite_and_online_gamma_0_keep_the_latest_task)
{
    check_mode_against_tasks(EWCL_EWC_OVERWRITE, 1.0f, 1, false);
    check_mode_against_tasks(EWCL_EWC_ONLINE, 0.0f, 1, false);
}
END_TEST

START_TEST(online_gamma_1_sums_fishers_at_the_latest_anchor)
{
    check_mode_against_tasks(EWCL_EWC_ONLINE, 1.0f, 1, true);
}
END_TEST

START_TEST(penalty_is_a_quadratic_around_its_anchor)
{
    ewcl_ewc_config config;
    ewcl_ewc_config_default(&config);
    fixture f = open_fixture(config, false);
    task_data task;
    make_task(&task, 7);
    ck_assert_int_eq(ewcl_ewc_estimate_fisher(f.ewc, SAMPLES, SAMPLES, fill_from_task, &task),
                     EWCL_OK);
    float *anchor = malloc(f.n * sizeof *anchor);
    ck_assert_int_eq(ewcl_mlp_read_parameters(f.mlp, anchor, f.n), EWCL_OK);
    ck_assert_int_eq(ewcl_ewc_consolidate(f.ewc, 0.1f), EWCL_OK);
    double value = -1;
    ck_assert_int_eq(ewcl_ewc_penalty(f.ewc, &value), EWCL_OK);
    ck_assert(value == 0.0); /* exactly: S·(θ − μ)² with θ = μ */

    /* Along a direction d: P(anchor + t·d) = t²·P(anchor + d). */
    float *point = malloc(f.n * sizeof *point), *dir = probe_point(f.n);
    double at_one = 0;
    for (int t = 1; t <= 3; t++) {
        for (size_t i = 0; i < f.n; i++)
            point[i] = anchor[i] + (float)t * 0.25f * dir[i];
        ck_assert_int_eq(ewcl_mlp_write_parameters(f.mlp, point, f.n), EWCL_OK);
        ck_assert_int_eq(ewcl_ewc_penalty(f.ewc, &value), EWCL_OK);
        if (t == 1)
            at_one = value;
        ck_assert_msg(fabs(value - t * t * at_one) <= 1e-5 * value, "t=%d: %g vs %g", t, value,
                      t * t * at_one);
    }
    /* The gradient against central differences of the value, coordinate by coordinate. */
    for (size_t i = 0; i < f.n; i++)
        point[i] = anchor[i] + 0.25f * dir[i];
    double *grad = penalty_gradient(&f, point);
    double diff = 0, norm = 0;
    for (size_t i = 0; i < f.n; i += 7) {
        const float saved = point[i], h = 1e-2f;
        double up, down;
        point[i] = saved + h;
        ck_assert_int_eq(ewcl_mlp_write_parameters(f.mlp, point, f.n), EWCL_OK);
        ck_assert_int_eq(ewcl_ewc_penalty(f.ewc, &up), EWCL_OK);
        point[i] = saved - h;
        ck_assert_int_eq(ewcl_mlp_write_parameters(f.mlp, point, f.n), EWCL_OK);
        ck_assert_int_eq(ewcl_ewc_penalty(f.ewc, &down), EWCL_OK);
        point[i] = saved;
        const double fd = (up - down) / (2.0 * h);
        diff += (grad[i] - fd) * (grad[i] - fd);
        norm += fd * fd;
    }
    ck_assert_msg(sqrt(diff) <= 1e-3 * sqrt(norm), "|grad − fd| %g, |fd| %g", sqrt(diff),
                  sqrt(norm));
    free(grad);
    free(anchor);
    free(point);
    free(dir);
    close_fixture(&f);
}
END_TEST

static float *train_steps(ewcl_ewc_config config, bool with_ewc, int steps)
{
    fixture f = open_fixture(config, false);
    task_data task;
    make_task(&task, 2);
    ck_assert_int_eq(ewcl_ewc_estimate_fisher(f.ewc, SAMPLES, SAMPLES, fill_from_task, &task),
                     EWCL_OK);
    ck_assert_int_eq(ewcl_ewc_consolidate(f.ewc, 0.1f), EWCL_OK);
    for (int s = 0; s < steps; s++) {
        ck_assert_int_eq(fill_from_task(&task, f.mlp, (size_t)s % 2, BATCH), EWCL_OK);
        const ewcl_status status =
            with_ewc ? ewcl_ewc_train_step(f.ewc, BATCH, (uint64_t)s, 0.1f, 0.01f)
                     : ewcl_mlp_train_step(f.mlp, BATCH, (uint64_t)s, 0.1f, 0.01f);
        ck_assert_int_eq(status, EWCL_OK);
    }
    float *theta = malloc(f.n * sizeof *theta);
    ck_assert_int_eq(ewcl_mlp_read_parameters(f.mlp, theta, f.n), EWCL_OK);
    close_fixture(&f);
    return theta;
}

START_TEST(lambda_zero_is_plain_sgd_bit_for_bit)
{
    ewcl_ewc_config config;
    ewcl_ewc_config_default(&config);
    config.lambda = 0.0f;
    float *with = train_steps(config, true, 10), *without = train_steps(config, false, 10);
    const size_t n = (IN * HIDDEN + HIDDEN) + (HIDDEN * HIDDEN + HIDDEN) +
                     (HIDDEN * CLASSES + CLASSES);
    ck_assert(memcmp(with, without, n * sizeof *with) == 0);
    free(with);
    free(without);
}
END_TEST

START_TEST(explicit_step_diverges_where_implicit_converges)
{
    for (int implicit = 0; implicit <= 1; implicit++) {
        ewcl_ewc_config config;
        ewcl_ewc_config_default(&config);
        config.lambda = 1e5f;
        config.step = implicit ? EWCL_PENALTY_IMPLICIT : EWCL_PENALTY_EXPLICIT;
        fixture f = open_fixture(config, false);
        task_data task;
        make_task(&task, 4);
        ck_assert_int_eq(
            ewcl_ewc_estimate_fisher(f.ewc, SAMPLES, SAMPLES, fill_from_task, &task), EWCL_OK);
        ck_assert_int_eq(ewcl_ewc_consolidate(f.ewc, 0.1f), EWCL_OK);
        ck_assert_int_eq(warnings, implicit ? 0 : 1);
        double *S = read_vector(&f, f.ewc->S), *mu = read_vector(&f, f.ewc->mu);
        const double lr = 0.1, lambda = config.lambda;
        float *theta = probe_point(f.n);
        /* Steps from `theta` with g = 0; the first against the host formula. */
        ck_assert_int_eq(ewcl_mlp_write_parameters(f.mlp, theta, f.n), EWCL_OK);
        for (int s = 0; s < 50; s++) {
            ck_assert_int_eq(ewcl_buffer_zero(f.rt, f.mlp->gradients, 0, f.n * sizeof(float)),
                             EWCL_OK);
            ck_assert_int_eq(ewcl_ewc_step(f.ewc, (float)lr, 0.0f), EWCL_OK);
            if (s == 0 && implicit) {
                double *after = read_vector(&f, f.mlp->parameters);
                for (size_t i = 0; i < f.n; i++) {
                    const double pull = lr * lambda * S[i];
                    const double expected = (theta[i] + pull * mu[i]) / (1.0 + pull);
                    ck_assert_msg(fabs(after[i] - expected) <= 1e-5 * (fabs(expected) + 1e-3),
                                  "implicit step %zu: %g vs %g", i, after[i], expected);
                }
                free(after);
            }
        }
        double *final = read_vector(&f, f.mlp->parameters);
        double worst = 0;
        bool finite = true;
        for (size_t i = 0; i < f.n; i++) {
            finite = finite && isfinite(final[i]);
            /* Where the Fisher is positive the minimiser of the penalty is μ. */
            if (S[i] * lr * lambda > 1.0 && isfinite(final[i]))
                worst = fmax(worst, fabs(final[i] - mu[i]));
        }
        if (implicit) {
            ck_assert(finite);
            ck_assert_msg(worst < 1e-4, "implicit step: %g from the minimiser", worst);
        } else {
            ck_assert_msg(!finite || worst > 1e3, "explicit step stayed at %g", worst);
        }
        free(final);
        free(S);
        free(mu);
        free(theta);
        close_fixture(&f);
    }
}
END_TEST

int main(int argc, char **argv)
{
    ewcl_test_require_device();
    Suite *suite = suite_create("ewc");
    TCase *tc = tcase_create("ewc");
    tcase_set_timeout(tc, EWCL_TEST_CL_TIMEOUT);
    /* Run with POCL_DEVICES="pthread basic": the cross-device check alone. */
    if (argc > 1 && strcmp(argv[1], "two-devices") == 0) {
        tcase_add_test(tc, fisher_sample_draws_the_same_labels_on_two_devices);
        suite_add_tcase(suite, tc);
        return ewcl_test_run(suite);
    }
    tcase_add_test(tc, fisher_true_matches_per_sample_loop);
    tcase_add_test(tc, fisher_pred_matches_per_sample_loop);
    tcase_add_test(tc, fisher_all_matches_expectation);
    tcase_add_test(tc, fisher_sample_is_seeded_and_unbiased);
    tcase_add_test(tc, fisher_refuses_more_samples_than_the_task_has);
    tcase_add_test(tc, separate_equals_the_sum_over_tasks);
    tcase_add_test(tc, overwrite_and_online_gamma_0_keep_the_latest_task);
    tcase_add_test(tc, online_gamma_1_sums_fishers_at_the_latest_anchor);
    tcase_add_test(tc, penalty_is_a_quadratic_around_its_anchor);
    tcase_add_test(tc, lambda_zero_is_plain_sgd_bit_for_bit);
    tcase_add_test(tc, explicit_step_diverges_where_implicit_converges);
    suite_add_tcase(suite, tc);
    return ewcl_test_run(suite);
}
