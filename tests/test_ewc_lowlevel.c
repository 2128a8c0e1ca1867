/* The low-level EWC API (ewcl_ewc_state) on parameter vectors of the test's own, against
 * host computations in double precision written from the definitions: the Fisher from
 * per-sample gradients and from a layer's (a, δ), the penalty (λ/2)·Σ_t F_t·(θ − θ*_t)² of
 * every consolidation mode, and the fused step (explicit, implicit, plain SGD). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cl_buffers.h"
#include "harness.h"

/* Parameters of the vectors: odd, so no work-group size divides it. */
static size_t param_count(void)
{
    return ewcl_test_small() ? 301 : 1207;
}

typedef struct fixture {
    ewcl_runtime *rt;
    cl_context context;
    cl_command_queue queue;
    size_t n;
} fixture;

static fixture open_fixture(void)
{
    fixture f = {.rt = ewcl_test_open_runtime(), .n = param_count()};
    f.context = ewcl_runtime_cl_context(f.rt);
    f.queue = ewcl_runtime_cl_queue(f.rt);
    return f;
}

static ewcl_ewc_state *make_state(fixture *f, ewcl_ewc_mode mode, float lambda, float gamma,
                                  ewcl_penalty_step step)
{
    ewcl_ewc_config c;
    ewcl_ewc_config_default(&c);
    c.mode = mode;
    c.lambda = lambda;
    c.gamma = gamma;
    c.step = step;
    ewcl_ewc_state *st = NULL;
    CK_OK(f->rt, ewcl_ewc_state_create(f->rt, f->n, &c, &st));
    return st;
}

static float *read_span(fixture *f, ewcl_cl_span span)
{
    ck_assert_ptr_nonnull(span.buffer);
    ck_assert_uint_eq(span.count, f->n);
    return test_buffer_read(f->queue, span.buffer, span.offset, span.count, NULL);
}

static void assert_close(const float *device, const double *host, size_t n, double rel,
                         const char *what)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabs(device[i] - host[i]) <= rel * fabs(host[i]) + 1e-30,
                      "%s[%zu]: device %.9g, host %.9g", what, i, (double)device[i], host[i]);
}

START_TEST(fisher_from_per_sample_gradients)
{
    fixture f = open_fixture();
    ewcl_ewc_state *st = make_state(&f, EWCL_EWC_SEPARATE, 1.0f, 1.0f, EWCL_PENALTY_EXPLICIT);
    const size_t n = f.n;
    /* Call A: every parameter, 5 samples, rows padded to n + 3, from element 3. */
    const size_t rows_a = 5, ld_a = n + 3, off_a = 3;
    /* Call B: a block of n/3 parameters from 10, 7 samples: several rows per chunk of the
     * n-float scratch, the last chunk short. */
    const size_t rows_b = 7, count_b = n / 3, ld_b = count_b + 1, off_b = 0, first_b = 10;
    float *ga = test_random_floats(off_a + rows_a * ld_a, 1, -2.0f, 2.0f);
    float *gb = test_random_floats(rows_b * ld_b, 2, -1.0f, 1.0f);
    cl_mem da = test_buffer_from(f.context, ga, (off_a + rows_a * ld_a) * sizeof(float));
    cl_mem db = test_buffer_from(f.context, gb, rows_b * ld_b * sizeof(float));
    CK_OK(f.rt, ewcl_ewc_state_accumulate_gradients(st, da, off_a, rows_a, ld_a, 0, n, 0.5f,
                                                     NULL));
    CK_OK(f.rt, ewcl_ewc_state_accumulate_gradients(st, db, off_b, rows_b, ld_b, first_b,
                                                     count_b, 0.25f, NULL));
    double *expect = calloc(n, sizeof *expect);
    for (size_t r = 0; r < rows_a; r++)
        for (size_t j = 0; j < n; j++) {
            const double g = ga[off_a + r * ld_a + j];
            expect[j] += 0.5 * g * g;
        }
    for (size_t r = 0; r < rows_b; r++)
        for (size_t j = 0; j < count_b; j++) {
            const double g = gb[off_b + r * ld_b + j];
            expect[first_b + j] += 0.25 * g * g;
        }
    float *fisher = read_span(&f, ewcl_ewc_state_cl_span(st, EWCL_EWC_FISHER));
    assert_close(fisher, expect, n, 1e-6, "F");
    free(fisher);
    free(expect);
    free(ga);
    free(gb);
    clReleaseMemObject(da);
    clReleaseMemObject(db);
    ewcl_ewc_state_destroy(st);
    ewcl_runtime_destroy(f.rt);
}
END_TEST

/* Host F(W) and F(b) of one layer, added into `fisher`. */
static void host_layer_fisher(const ewcl_ewc_layer_args *l, const float *x, const float *delta,
                              double *fisher)
{
    for (size_t r = 0; r < l->rows; r++)
        for (size_t j = 0; j < l->out; j++) {
            const double d = delta[l->delta_offset + r * l->ld_delta + j];
            for (size_t i = 0; i < l->in; i++) {
                const double a = x[l->x_offset + r * l->ldx + i];
                fisher[l->weight_offset + i * l->out + j] += l->scale * a * a * d * d;
            }
            if (l->bias_offset != EWCL_EWC_NO_BIAS)
                fisher[l->bias_offset + j] += l->scale * d * d;
        }
}

START_TEST(fisher_from_layer_inputs_and_output_gradients)
{
    fixture f = open_fixture();
    ewcl_ewc_state *st = make_state(&f, EWCL_EWC_SEPARATE, 1.0f, 1.0f, EWCL_PENALTY_EXPLICIT);
    float *x = test_random_floats(400, 3, -1.5f, 1.5f);
    float *delta = test_random_floats(300, 4, -1.0f, 1.0f);
    cl_mem dx = test_buffer_from(f.context, x, 400 * sizeof(float));
    cl_mem dd = test_buffer_from(f.context, delta, 300 * sizeof(float));
    /* A 13 → 6 layer with bias, strided operands; then a 3 → 4 layer without bias, called
     * twice (accumulation). */
    const ewcl_ewc_layer_args layers[] = {
        {.rows = 9, .in = 13, .out = 6, .x = dx, .x_offset = 2, .ldx = 15, .delta = dd,
         .delta_offset = 1, .ld_delta = 7, .weight_offset = 20, .bias_offset = 98,
         .scale = 1.0f / 9},
        {.rows = 5, .in = 3, .out = 4, .x = dx, .x_offset = 200, .ldx = 3, .delta = dd,
         .delta_offset = 100, .ld_delta = 4, .weight_offset = 200,
         .bias_offset = EWCL_EWC_NO_BIAS, .scale = 0.5f},
        {.rows = 11, .in = 3, .out = 4, .x = dx, .x_offset = 250, .ldx = 5, .delta = dd,
         .delta_offset = 150, .ld_delta = 6, .weight_offset = 200,
         .bias_offset = EWCL_EWC_NO_BIAS, .scale = 2.0f},
    };
    double *expect = calloc(f.n, sizeof *expect);
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
        CK_OK(f.rt, ewcl_ewc_state_accumulate_layer(st, &layers[i], NULL));
        host_layer_fisher(&layers[i], x, delta, expect);
    }
    float *fisher = read_span(&f, ewcl_ewc_state_cl_span(st, EWCL_EWC_FISHER));
    /* Every other parameter stays exactly 0. */
    assert_close(fisher, expect, f.n, 1e-5, "F");
    free(fisher);
    free(expect);
    free(x);
    free(delta);
    clReleaseMemObject(dx);
    clReleaseMemObject(dd);
    ewcl_ewc_state_destroy(st);
    ewcl_runtime_destroy(f.rt);
}
END_TEST

/* Two tasks: F1 written straight into the Fisher span, F2 accumulated from one "sample"
 * whose squared gradient is F2; θ*1, θ*2 the parameters at each consolidation. */
typedef struct two_tasks {
    float *f1, *f2, *theta1, *theta2, *theta3;
    cl_mem d1, d2, d3, g2;
} two_tasks;

static two_tasks make_two_tasks(fixture *f)
{
    two_tasks t;
    t.f1 = test_random_floats(f->n, 5, 0.0f, 2.0f);
    t.f2 = test_random_floats(f->n, 6, 0.0f, 3.0f);
    t.theta1 = test_random_floats(f->n, 7, -1.0f, 1.0f);
    t.theta2 = test_random_floats(f->n, 8, -1.0f, 1.0f);
    t.theta3 = test_random_floats(f->n, 9, -1.0f, 1.0f);
    t.f1[3] = t.f2[3] = 0.0f; /* a parameter no task cares about */
    float *g = malloc(f->n * sizeof *g);
    for (size_t i = 0; i < f->n; i++)
        g[i] = sqrtf(t.f2[i]);
    t.d1 = test_buffer_from(f->context, t.theta1, f->n * sizeof(float));
    t.d2 = test_buffer_from(f->context, t.theta2, f->n * sizeof(float));
    t.d3 = test_buffer_from(f->context, t.theta3, f->n * sizeof(float));
    t.g2 = test_buffer_from(f->context, g, f->n * sizeof(float));
    for (size_t i = 0; i < f->n; i++) /* what the device will square */
        t.f2[i] = g[i] * g[i];
    free(g);
    return t;
}

static void free_two_tasks(two_tasks *t)
{
    free(t->f1);
    free(t->f2);
    free(t->theta1);
    free(t->theta2);
    free(t->theta3);
    clReleaseMemObject(t->d1);
    clReleaseMemObject(t->d2);
    clReleaseMemObject(t->d3);
    clReleaseMemObject(t->g2);
}

static void consolidate_two_tasks(fixture *f, ewcl_ewc_state *st, const two_tasks *t)
{
    const ewcl_cl_span fisher = ewcl_ewc_state_cl_span(st, EWCL_EWC_FISHER);
    ck_assert_int_eq(clEnqueueWriteBuffer(f->queue, fisher.buffer, CL_TRUE,
                                          fisher.offset * sizeof(float),
                                          f->n * sizeof(float), t->f1, 0, NULL, NULL),
                     CL_SUCCESS);
    CK_OK(f->rt, ewcl_ewc_state_consolidate(st, t->d1, NULL));
    /* The next task's Fisher starts from zero. */
    float *after = read_span(f, fisher);
    for (size_t i = 0; i < f->n; i++)
        ck_assert_float_eq(after[i], 0.0f);
    free(after);
    CK_OK(f->rt, ewcl_ewc_state_accumulate_gradients(st, t->g2, 0, 1, f->n, 0, f->n, 1.0f,
                                                      NULL));
    CK_OK(f->rt, ewcl_ewc_state_consolidate(st, t->d2, NULL));
    ck_assert_uint_eq(ewcl_ewc_state_tasks_consolidated(st), 2);
}

static void check_penalty(ewcl_ewc_mode mode)
{
    fixture f = open_fixture();
    const float lambda = 3.5f, gamma = 0.7f;
    ewcl_ewc_state *st = make_state(&f, mode, lambda, gamma, EWCL_PENALTY_EXPLICIT);
    two_tasks t = make_two_tasks(&f);
    double value = -1.0;
    CK_OK(f.rt, ewcl_ewc_state_penalty(st, t.d3, &value, NULL));
    ck_assert_double_eq(value, 0.0);
    consolidate_two_tasks(&f, st, &t);

    /* The definition per mode, task by task. */
    double expect = 0.0, max_s = 0.0;
    for (size_t i = 0; i < f.n; i++) {
        const double d1 = (double)t.theta3[i] - t.theta1[i];
        const double d2 = (double)t.theta3[i] - t.theta2[i];
        double s = 0.0;
        if (mode == EWCL_EWC_SEPARATE) {
            expect += t.f1[i] * d1 * d1 + t.f2[i] * d2 * d2;
            s = (double)t.f1[i] + t.f2[i];
        } else {
            s = (mode == EWCL_EWC_ONLINE ? gamma * (double)t.f1[i] : 0.0) + t.f2[i];
            expect += s * d2 * d2;
        }
        max_s = fmax(max_s, s);
    }
    expect *= 0.5 * lambda;
    CK_OK(f.rt, ewcl_ewc_state_penalty(st, t.d3, &value, NULL));
    ck_assert_msg(fabs(value - expect) <= 1e-5 * expect, "penalty %.9g, host %.9g", value,
                  expect);
    ck_assert_double_eq_tol(ewcl_ewc_state_max_importance(st), max_s, 1e-6 * max_s);
    /* Online modes anchor at the last task's parameters. */
    if (mode != EWCL_EWC_SEPARATE) {
        float *anchor = read_span(&f, ewcl_ewc_state_cl_span(st, EWCL_EWC_ANCHOR));
        ck_assert(memcmp(anchor, t.theta2, f.n * sizeof *anchor) == 0);
        free(anchor);
    }
    free_two_tasks(&t);
    ewcl_ewc_state_destroy(st);
    ewcl_runtime_destroy(f.rt);
}

START_TEST(penalty_separate_is_the_sum_over_tasks)
{
    check_penalty(EWCL_EWC_SEPARATE);
}
END_TEST

START_TEST(penalty_online_decays_the_old_fisher)
{
    check_penalty(EWCL_EWC_ONLINE);
}
END_TEST

START_TEST(penalty_overwrite_keeps_the_last_task)
{
    check_penalty(EWCL_EWC_OVERWRITE);
}
END_TEST

/* θ' from θ3 after one step, on the host: the sums over both tasks of separate mode. */
static double host_step(const two_tasks *t, size_t i, double g, double lr, double wd,
                        double lambda, ewcl_penalty_step step, bool consolidated)
{
    const double theta = t->theta3[i], plain = g + wd * theta;
    if (!consolidated)
        return theta - lr * plain;
    const double s = (double)t->f1[i] + t->f2[i];
    const double m = (double)t->f1[i] * t->theta1[i] + (double)t->f2[i] * t->theta2[i];
    if (step == EWCL_PENALTY_IMPLICIT)
        return (theta - lr * plain + lr * lambda * m) / (1.0 + lr * lambda * s);
    return theta - lr * (plain + lambda * (s * theta - m));
}

static void check_step(ewcl_penalty_step step, bool consolidated)
{
    fixture f = open_fixture();
    const float lr = 0.05f, wd = 0.01f, lambda = 2.0f;
    ewcl_ewc_state *st = make_state(&f, EWCL_EWC_SEPARATE, lambda, 1.0f, step);
    two_tasks t = make_two_tasks(&f);
    if (consolidated)
        consolidate_two_tasks(&f, st, &t);
    float *g = test_random_floats(f.n, 10, -1.0f, 1.0f);
    cl_mem dg = test_buffer_from(f.context, g, f.n * sizeof(float));
    CK_OK(f.rt, ewcl_ewc_state_step(st, t.d3, dg, lr, wd, NULL));
    float *theta = test_buffer_read(f.queue, t.d3, 0, f.n, NULL);
    for (size_t i = 0; i < f.n; i++) {
        const double expect = host_step(&t, i, g[i], lr, wd, lambda, step, consolidated);
        ck_assert_msg(fabs(theta[i] - expect) <= 2e-6 * (1.0 + fabs(expect)),
                      "θ[%zu]: device %.9g, host %.9g", i, (double)theta[i], expect);
    }
    free(theta);
    free(g);
    clReleaseMemObject(dg);
    free_two_tasks(&t);
    ewcl_ewc_state_destroy(st);
    ewcl_runtime_destroy(f.rt);
}

START_TEST(explicit_step_pulls_towards_every_task)
{
    check_step(EWCL_PENALTY_EXPLICIT, true);
}
END_TEST

START_TEST(implicit_step_is_the_proximal_step)
{
    check_step(EWCL_PENALTY_IMPLICIT, true);
}
END_TEST

START_TEST(step_before_consolidation_is_sgd)
{
    check_step(EWCL_PENALTY_EXPLICIT, false);
}
END_TEST

static void expect_invalid(ewcl_runtime *rt, ewcl_status status, const char *fragment)
{
    ck_assert_int_eq(status, EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(ewcl_runtime_error(rt)->message, fragment) != NULL,
                  "message '%s' lacks '%s'", ewcl_runtime_error(rt)->message, fragment);
}

START_TEST(bad_arguments_are_refused_with_a_message)
{
    fixture f = open_fixture();
    ewcl_ewc_config c;
    ewcl_ewc_config_default(&c);
    ewcl_ewc_state *st = NULL;
    expect_invalid(f.rt, ewcl_ewc_state_create(f.rt, 0, &c, &st), "0 parameters");
    ck_assert_ptr_null(st);
    c.gamma = 2.0f;
    expect_invalid(f.rt, ewcl_ewc_state_create(f.rt, f.n, &c, &st), "gamma");
    ck_assert_int_eq(ewcl_ewc_state_create(NULL, f.n, &c, &st), EWCL_ERR_INVALID_ARGUMENT);
    st = make_state(&f, EWCL_EWC_SEPARATE, 1.0f, 1.0f, EWCL_PENALTY_EXPLICIT);

    float *host = test_random_floats(f.n, 11, -1.0f, 1.0f);
    cl_mem full = test_buffer_from(f.context, host, f.n * sizeof(float));
    cl_mem shorter = test_buffer_from(f.context, host, (f.n - 1) * sizeof(float));
    expect_invalid(f.rt, ewcl_ewc_state_accumulate_gradients(st, full, 0, 2, f.n, 0, f.n, 1, NULL),
                   "per-sample gradients");
    expect_invalid(f.rt, ewcl_ewc_state_accumulate_gradients(st, full, 0, 1, 5, 4, 6, 1, NULL),
                   "row stride");
    expect_invalid(f.rt,
                   ewcl_ewc_state_accumulate_gradients(st, full, 0, 1, 8, f.n - 4, 8, 1, NULL),
                   "outside");
    expect_invalid(f.rt, ewcl_ewc_state_accumulate_gradients(st, NULL, 0, 1, 8, 0, 8, 1, NULL),
                   "NULL buffer");
    const ewcl_ewc_layer_args beyond = {.rows = 1, .in = 2, .out = 2, .x = full, .ldx = 2,
                                        .delta = full, .ld_delta = 2,
                                        .weight_offset = f.n - 3, .bias_offset = 0,
                                        .scale = 1};
    expect_invalid(f.rt, ewcl_ewc_state_accumulate_layer(st, &beyond, NULL), "weights");
    const ewcl_ewc_layer_args narrow = {.rows = 1, .in = 4, .out = 2, .x = full, .ldx = 3,
                                        .delta = full, .ld_delta = 2, .scale = 1};
    expect_invalid(f.rt, ewcl_ewc_state_accumulate_layer(st, &narrow, NULL), "strides");
    expect_invalid(f.rt, ewcl_ewc_state_consolidate(st, shorter, NULL), "parameters θ");
    expect_invalid(f.rt, ewcl_ewc_state_step(st, full, shorter, 0.1f, 0.0f, NULL), "gradients");
    double value = 0;
    expect_invalid(f.rt, ewcl_ewc_state_penalty(st, shorter, &value, NULL), "parameters θ");

    /* A wait list with no events, and an event that is never handed out on failure. */
    cl_event done = (cl_event)&value;
    const ewcl_cl_events broken = {.wait_count = 1, .wait = NULL, .done = &done};
    expect_invalid(f.rt, ewcl_ewc_state_step(st, full, full, 0.1f, 0.0f, &broken), "wait list");
    ck_assert_ptr_null(done);
    done = (cl_event)&value;
    const ewcl_cl_events asked = {.done = &done};
    expect_invalid(f.rt, ewcl_ewc_state_consolidate(st, shorter, &asked), "parameters θ");
    ck_assert_ptr_null(done);
    ck_assert_uint_eq(ewcl_ewc_state_tasks_consolidated(st), 0);

    free(host);
    clReleaseMemObject(full);
    clReleaseMemObject(shorter);
    ewcl_ewc_state_destroy(st);
    ewcl_ewc_state_destroy(NULL);
    ewcl_runtime_destroy(f.rt);
}
END_TEST

int main(void)
{
    ewcl_test_require_device();
    Suite *suite = suite_create("ewc_lowlevel");
    TCase *tc = tcase_create("ewc_lowlevel");
    tcase_set_timeout(tc, EWCL_TEST_CL_TIMEOUT);
    tcase_add_test(tc, fisher_from_per_sample_gradients);
    tcase_add_test(tc, fisher_from_layer_inputs_and_output_gradients);
    tcase_add_test(tc, penalty_separate_is_the_sum_over_tasks);
    tcase_add_test(tc, penalty_online_decays_the_old_fisher);
    tcase_add_test(tc, penalty_overwrite_keeps_the_last_task);
    tcase_add_test(tc, explicit_step_pulls_towards_every_task);
    tcase_add_test(tc, implicit_step_is_the_proximal_step);
    tcase_add_test(tc, step_before_consolidation_is_sgd);
    tcase_add_test(tc, bad_arguments_are_refused_with_a_message);
    suite_add_tcase(suite, tc);
    return ewcl_test_run(suite);
}
