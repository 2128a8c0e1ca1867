/* ewcl inside an OpenCL application that owns the context and queues: adoption and
 * reference counts, batches in the application's buffers giving logits and loss on the
 * device (against the host reference MLP in double precision), training steps on them
 * (against the reference gradient), and events that chain the application's kernels and
 * ewcl's ops on an out-of-order queue. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cl_buffers.h"
#include "harness.h"
#include "harness_cl.h"
#include "ref/ref_fisher.h"
#include "ref/ref_gemm.h"
#include "ref/ref_mlp.h"

enum { IN = 12, HIDDEN = 9, LAYERS = 1, CLASSES = 4, MAX_BATCH = 8, ROWS = 6 };

/* ---- The application's own OpenCL objects ------------------------------------------------ */

typedef struct app {
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
} app;

/* A context and queue of the application's own on the device the tests run on. */
static app open_app(cl_command_queue_properties properties)
{
    app a;
    ewcl_runtime *probe = ewcl_test_open_runtime();
    a.device = ewcl_runtime_cl_device(probe); /* a root device: valid past the runtime */
    ewcl_runtime_destroy(probe);
    cl_platform_id platform = NULL;
    ck_assert_int_eq(clGetDeviceInfo(a.device, CL_DEVICE_PLATFORM, sizeof platform, &platform,
                                     NULL),
                     CL_SUCCESS);
    const cl_context_properties context_properties[] = {
        CL_CONTEXT_PLATFORM, (cl_context_properties)platform, 0};
    cl_int rc = CL_SUCCESS;
    a.context = clCreateContext(context_properties, 1, &a.device, NULL, NULL, &rc);
    ck_assert_int_eq(rc, CL_SUCCESS);
    a.queue = clCreateCommandQueue(a.context, a.device, properties, &rc);
    ck_assert_int_eq(rc, CL_SUCCESS);
    return a;
}

static void close_app(app *a)
{
    clReleaseCommandQueue(a->queue);
    clReleaseContext(a->context);
}

static ewcl_runtime *adopt(const app *a)
{
    ewcl_runtime_options o;
    ewcl_runtime_options_default(&o);
    ewcl_error err;
    ewcl_runtime *rt = NULL;
    ck_assert_msg(ewcl_runtime_create_from_cl(a->context, a->device, a->queue, &o, &rt, &err) ==
                      EWCL_OK,
                  "adopting: %s", err.message);
    return rt;
}

/* ---- The model and its reference ---------------------------------------------------------- */

static ewcl_mlp_config small_config(float input_dropout, float hidden_dropout)
{
    ewcl_mlp_config c;
    ewcl_mlp_config_default(&c);
    c.input_size = IN;
    c.hidden_size = HIDDEN;
    c.hidden_layer_num = LAYERS;
    c.output_size = CLASSES;
    c.max_batch = MAX_BATCH;
    c.input_dropout = input_dropout;
    c.hidden_dropout = hidden_dropout;
    c.seed = 9;
    return c;
}

static ref_mlp reference_of(const ewcl_mlp_config *c)
{
    ref_mlp r;
    ref_mlp_init(&r, c->input_size, c->hidden_size, c->hidden_layer_num, c->output_size,
                 c->input_dropout, c->hidden_dropout, c->seed, c->pytorch_ewc_compat);
    return r;
}

static double *parameters_of(ewcl_runtime *rt, ewcl_mlp *mlp)
{
    const size_t n = ewcl_mlp_parameter_count(mlp);
    float *host = malloc(n * sizeof *host);
    double *out = malloc(n * sizeof *out);
    CK_OK(rt, ewcl_mlp_read_parameters(mlp, host, n));
    for (size_t i = 0; i < n; i++)
        out[i] = host[i];
    free(host);
    return out;
}

/* The application's batch: ROWS rows of inputs after INPUT_PAD floats, ROWS labels after
 * LABEL_PAD ints, so that offsets are exercised. */
enum { INPUT_PAD = 7, LABEL_PAD = 3 };

typedef struct app_batch {
    float x[INPUT_PAD + ROWS * IN];
    int32_t labels[LABEL_PAD + ROWS];
    cl_mem dx, dlabels;
} app_batch;

static void make_batch(app_batch *b, cl_context context, unsigned seed)
{
    ewcl_test_fill_uniform(b->x, INPUT_PAD + ROWS * IN, seed);
    for (size_t i = 0; i < INPUT_PAD + ROWS * IN; i++)
        b->x[i] = 2.0f * b->x[i] - 1.0f;
    for (size_t i = 0; i < LABEL_PAD + ROWS; i++)
        b->labels[i] = (int32_t)((i * 5 + seed) % CLASSES);
    b->dx = test_buffer_from(context, b->x, sizeof b->x);
    b->dlabels = test_buffer_from(context, b->labels, sizeof b->labels);
}

static ewcl_cl_batch batch_view(const app_batch *b)
{
    return (ewcl_cl_batch){.inputs = b->dx, .inputs_offset = INPUT_PAD, .labels = b->dlabels,
                           .labels_offset = LABEL_PAD, .rows = ROWS};
}

static void free_batch(app_batch *b)
{
    clReleaseMemObject(b->dx);
    clReleaseMemObject(b->dlabels);
}

/* ---- Adoption ------------------------------------------------------------------------------ */

static void check_adoption_counts(cl_command_queue_properties properties)
{
    app a = open_app(properties);
    const cl_uint context_before = test_context_references(a.context);
    const cl_uint queue_before = test_queue_references(a.queue);
    const bool in_order = !(properties & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE);

    ewcl_runtime *rt = adopt(&a);
    /* The caller's in-order queue is used as it is, and retained once; an out-of-order one
     * is left alone for an in-order twin on the same context. */
    ck_assert_uint_eq(test_queue_references(a.queue), queue_before + (in_order ? 1 : 0));
    ck_assert(in_order == (ewcl_runtime_cl_queue(rt) == a.queue));
    ck_assert_uint_gt(test_context_references(a.context), context_before);

    /* Everything made on it — a model, EWC, a low-level state, work run — is released with
     * it. */
    const ewcl_mlp_config c = small_config(0.0f, 0.0f);
    ewcl_mlp *mlp = NULL;
    CK_OK(rt, ewcl_mlp_create(rt, &c, &mlp));
    ewcl_ewc_config ec;
    ewcl_ewc_config_default(&ec);
    ewcl_ewc *ewc = NULL;
    CK_OK(rt, ewcl_ewc_create(mlp, &ec, &ewc));
    ewcl_ewc_state *st = NULL;
    CK_OK(rt, ewcl_ewc_state_create(rt, 100, &ec, &st));
    app_batch b;
    make_batch(&b, a.context, 1);
    const ewcl_cl_batch view = batch_view(&b);
    CK_OK(rt, ewcl_ewc_train_step_cl(ewc, &view, 0, 0.1f, 0.0f, NULL));
    CK_OK(rt, ewcl_runtime_finish(rt));
    ewcl_ewc_state_destroy(st);
    ewcl_ewc_destroy(ewc);
    ewcl_mlp_destroy(mlp);
    ewcl_runtime_destroy(rt);
    free_batch(&b);
    test_wait_for_references(a.context, context_before, a.queue, queue_before);
    ck_assert_uint_eq(test_context_references(a.context), context_before);
    ck_assert_uint_eq(test_queue_references(a.queue), queue_before);

    /* The caller's objects still work. */
    float value = 3.5f;
    cl_mem buffer = test_buffer_from(a.context, &value, sizeof value);
    float *back = test_buffer_read(a.queue, buffer, 0, 1, NULL);
    ck_assert_float_eq(back[0], 3.5f);
    free(back);
    clReleaseMemObject(buffer);
    close_app(&a);
}

START_TEST(adopting_an_in_order_queue_retains_and_releases_it)
{
    check_adoption_counts(0);
}
END_TEST

START_TEST(adopting_an_out_of_order_queue_leaves_it_alone)
{
    check_adoption_counts(CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE);
}
END_TEST

START_TEST(adopting_a_queue_of_another_context_fails_and_keeps_counts)
{
    app a = open_app(0), other = open_app(0);
    const cl_uint context_before = test_context_references(a.context);
    const cl_uint queue_before = test_queue_references(other.queue);
    ewcl_runtime_options o;
    ewcl_runtime_options_default(&o);
    ewcl_error err;
    ewcl_runtime *rt = NULL;
    ck_assert_int_eq(ewcl_runtime_create_from_cl(a.context, a.device, other.queue, &o, &rt,
                                                 &err),
                     EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(rt);
    ck_assert_ptr_nonnull(strstr(err.message, "another context"));
    ck_assert_uint_eq(test_context_references(a.context), context_before);
    ck_assert_uint_eq(test_queue_references(other.queue), queue_before);
    close_app(&a);
    close_app(&other);
}
END_TEST

/* ---- Batches in the application's buffers ------------------------------------------------ */

START_TEST(evaluate_gives_logits_and_loss_on_the_device)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    const ewcl_mlp_config c = small_config(0.2f, 0.5f);
    ewcl_mlp *mlp = NULL;
    CK_OK(rt, ewcl_mlp_create(rt, &c, &mlp));
    app_batch b;
    make_batch(&b, ewcl_runtime_cl_context(rt), 2);
    ewcl_cl_batch view = batch_view(&b);
    CK_OK(rt, ewcl_mlp_evaluate_cl(mlp, &view, NULL));

    const ewcl_cl_span logits = ewcl_mlp_cl_span(mlp, EWCL_MLP_LOGITS);
    const ewcl_cl_span loss = ewcl_mlp_cl_span(mlp, EWCL_MLP_LOSS);
    ck_assert_uint_eq(logits.count, MAX_BATCH * CLASSES);
    ck_assert_uint_eq(loss.count, 2);
    cl_command_queue queue = ewcl_runtime_cl_queue(rt);
    float *device_logits = test_buffer_read(queue, logits.buffer, logits.offset,
                                            ROWS * CLASSES, NULL);
    float *device_loss = test_buffer_read(queue, loss.buffer, loss.offset, 2, NULL);

    const ref_mlp ref = reference_of(&c);
    double *params = parameters_of(rt, mlp);
    double host_logits[ROWS * CLASSES];
    const double mean = ref_mlp_loss(&ref, params, b.x + INPUT_PAD, b.labels + LABEL_PAD, ROWS,
                                     false, 0, NULL, host_logits);
    size_t correct = 0;
    for (size_t r = 0; r < ROWS; r++) {
        size_t best = 0;
        for (size_t k = 0; k < CLASSES; k++) {
            const double v = host_logits[r * CLASSES + k];
            ck_assert_msg(fabs(device_logits[r * CLASSES + k] - v) <= 1e-5 * (1.0 + fabs(v)),
                          "logit %zu,%zu: %g vs %g", r, k, (double)device_logits[r * CLASSES + k],
                          v);
            best = v > host_logits[r * CLASSES + best] ? k : best;
        }
        correct += (int32_t)best == b.labels[LABEL_PAD + r];
    }
    ck_assert_double_eq_tol(device_loss[0] / ROWS, mean, 1e-5 * (1.0 + mean));
    ck_assert_float_eq(device_loss[1], (float)correct);

    /* Without labels: the same logits, no loss needed. */
    view.labels = NULL;
    CK_OK(rt, ewcl_mlp_evaluate_cl(mlp, &view, NULL));
    float *again = test_buffer_read(queue, logits.buffer, logits.offset, ROWS * CLASSES, NULL);
    ck_assert(memcmp(again, device_logits, ROWS * CLASSES * sizeof *again) == 0);

    /* A batch that does not fit is refused before anything runs. */
    view.rows = MAX_BATCH + 1;
    ck_assert_int_eq(ewcl_mlp_evaluate_cl(mlp, &view, NULL), EWCL_ERR_INVALID_ARGUMENT);
    view.rows = ROWS;
    view.inputs_offset = INPUT_PAD + 1; /* one float past the end */
    ck_assert_int_eq(ewcl_mlp_evaluate_cl(mlp, &view, NULL), EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(ewcl_runtime_error(rt)->message, "batch inputs"));

    free(again);
    free(device_logits);
    free(device_loss);
    free(params);
    free_batch(&b);
    ewcl_mlp_destroy(mlp);
    ewcl_runtime_destroy(rt);
}
END_TEST

START_TEST(train_step_on_the_applications_batch_follows_the_gradient)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    const ewcl_mlp_config c = small_config(0.2f, 0.5f);
    ewcl_mlp *mlp = NULL;
    CK_OK(rt, ewcl_mlp_create(rt, &c, &mlp));
    app_batch b;
    make_batch(&b, ewcl_runtime_cl_context(rt), 3);
    const ref_mlp ref = reference_of(&c);
    const size_t n = ref.parameter_count;
    double *before = parameters_of(rt, mlp);
    double *grad = malloc(n * sizeof *grad);
    const uint64_t step = 5;
    const float lr = 0.1f, wd = 0.01f;
    ref_mlp_loss(&ref, before, b.x + INPUT_PAD, b.labels + LABEL_PAD, ROWS, true, step, grad,
                 NULL);
    const ewcl_cl_batch view = batch_view(&b);
    CK_OK(rt, ewcl_mlp_train_step_cl(mlp, &view, step, lr, wd, NULL));
    double *after = parameters_of(rt, mlp);
    for (size_t i = 0; i < n; i++) {
        const double expect = before[i] - lr * (grad[i] + wd * before[i]);
        ck_assert_msg(fabs(after[i] - expect) <= 1e-6 * (1.0 + fabs(expect)),
                      "θ[%zu]: %.9g vs %.9g", i, after[i], expect);
    }
    /* Labels are required to train. */
    ewcl_cl_batch unlabelled = view;
    unlabelled.labels = NULL;
    ck_assert_int_eq(ewcl_mlp_train_step_cl(mlp, &unlabelled, 0, lr, wd, NULL),
                     EWCL_ERR_INVALID_ARGUMENT);
    free(before);
    free(after);
    free(grad);
    free_batch(&b);
    ewcl_mlp_destroy(mlp);
    ewcl_runtime_destroy(rt);
}
END_TEST

/* The Fisher's batches come from the application's buffer: rows [first, first + count). */
static ewcl_status fill_from_app(void *user, ewcl_mlp *mlp, size_t first, size_t count)
{
    const app_batch *b = user;
    const ewcl_cl_batch rows = {.inputs = b->dx, .inputs_offset = INPUT_PAD + first * IN,
                                .labels = b->dlabels, .labels_offset = LABEL_PAD + first,
                                .rows = count};
    return ewcl_mlp_set_batch_cl(mlp, &rows, NULL);
}

START_TEST(ewc_on_the_applications_batches_matches_the_reference)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    ewcl_mlp_config c = small_config(0.0f, 0.0f);
    c.max_batch = 4; /* the Fisher's ROWS samples take two batches */
    ewcl_mlp *mlp = NULL;
    CK_OK(rt, ewcl_mlp_create(rt, &c, &mlp));
    ewcl_ewc_config ec;
    ewcl_ewc_config_default(&ec);
    ec.lambda = 3.0f;
    ewcl_ewc *ewc = NULL;
    CK_OK(rt, ewcl_ewc_create(mlp, &ec, &ewc));
    app_batch b;
    make_batch(&b, ewcl_runtime_cl_context(rt), 4);
    const ref_mlp ref = reference_of(&c);
    const size_t n = ref.parameter_count;
    cl_command_queue queue = ewcl_runtime_cl_queue(rt);

    /* The Fisher, read through its span, is the per-sample loop's. */
    double *anchor = parameters_of(rt, mlp);
    CK_OK(rt, ewcl_ewc_estimate_fisher(ewc, ROWS, ROWS, fill_from_app, &b));
    double *fisher = malloc(n * sizeof *fisher);
    ref_fisher(&ref, anchor, b.x + INPUT_PAD, b.labels + LABEL_PAD, ROWS, REF_FISHER_TRUE,
               fisher);
    const ewcl_cl_span fisher_span = ewcl_ewc_cl_span(ewc, EWCL_EWC_FISHER);
    ck_assert_uint_eq(fisher_span.count, n);
    float *device_fisher = test_buffer_read(queue, fisher_span.buffer, fisher_span.offset, n,
                                            NULL);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabs(device_fisher[i] - fisher[i]) <= 1e-4 * fisher[i] + 1e-9,
                      "F[%zu]: %g vs %g", i, (double)device_fisher[i], fisher[i]);
    CK_OK(rt, ewcl_ewc_consolidate(ewc, 0.1f));

    /* Move away from the anchor, then one step on the application's batch: the gradient
     * plus λ·F·(θ − θ*), with importance and anchor read through their spans. */
    float *moved = malloc(n * sizeof *moved);
    for (size_t i = 0; i < n; i++)
        moved[i] = (float)anchor[i] + 0.05f * (float)((int)(i % 7) - 3);
    CK_OK(rt, ewcl_mlp_write_parameters(mlp, moved, n));
    float *importance = test_buffer_read(queue, ewcl_ewc_cl_span(ewc, EWCL_EWC_IMPORTANCE).buffer,
                                         0, n, NULL);
    float *mu = test_buffer_read(queue, ewcl_ewc_cl_span(ewc, EWCL_EWC_ANCHOR).buffer, 0, n,
                                 NULL);
    double *theta = parameters_of(rt, mlp);
    double *grad = malloc(n * sizeof *grad);
    ewcl_cl_batch view = batch_view(&b);
    view.rows = c.max_batch;
    ref_mlp_loss(&ref, theta, b.x + INPUT_PAD, b.labels + LABEL_PAD, view.rows, true, 1, grad,
                 NULL);
    const float lr = 0.05f;
    CK_OK(rt, ewcl_ewc_train_step_cl(ewc, &view, 1, lr, 0.0f, NULL));
    double *after = parameters_of(rt, mlp);
    for (size_t i = 0; i < n; i++) {
        if (importance[i] > 0.0f) /* one task: μ is θ* wherever the task has weight */
            ck_assert_float_eq(mu[i], (float)anchor[i]);
        const double expect =
            theta[i] - lr * (grad[i] + ec.lambda * importance[i] * (theta[i] - anchor[i]));
        ck_assert_msg(fabs(after[i] - expect) <= 1e-6 * (1.0 + fabs(expect)),
                      "θ[%zu]: %.9g vs %.9g", i, after[i], expect);
    }
    free(anchor);
    free(fisher);
    free(device_fisher);
    free(moved);
    free(importance);
    free(mu);
    free(theta);
    free(grad);
    free(after);
    free_batch(&b);
    ewcl_ewc_destroy(ewc);
    ewcl_mlp_destroy(mlp);
    ewcl_runtime_destroy(rt);
}
END_TEST

/* ---- Events across the application's out-of-order queue ---------------------------------- */

/* The application's kernels: a fill whose values are exact in float, and a scaled copy. */
static const char app_source[] =
    "__kernel void app_fill(__global float *x, uint n, float scale) {\n"
    "    uint i = get_global_id(0);\n"
    "    if (i < n) x[i] = scale * (float)((i * 7u) % 13u) - 3.0f;\n"
    "}\n"
    "__kernel void app_scale(__global const float *src, uint offset, __global float *dst,\n"
    "                        uint n, float a) {\n"
    "    uint i = get_global_id(0);\n"
    "    if (i < n) dst[i] = a * src[offset + i];\n"
    "}\n";

static float app_fill_value(size_t i, float scale)
{
    return scale * (float)((i * 7u) % 13u) - 3.0f;
}

typedef struct app_kernels {
    cl_program program;
    cl_kernel fill, scale;
} app_kernels;

static app_kernels build_app_kernels(const app *a)
{
    app_kernels k;
    const char *source = app_source;
    cl_int rc = CL_SUCCESS;
    k.program = clCreateProgramWithSource(a->context, 1, &source, NULL, &rc);
    ck_assert_int_eq(rc, CL_SUCCESS);
    ck_assert_int_eq(clBuildProgram(k.program, 1, &a->device, "", NULL, NULL), CL_SUCCESS);
    k.fill = clCreateKernel(k.program, "app_fill", &rc);
    ck_assert_int_eq(rc, CL_SUCCESS);
    k.scale = clCreateKernel(k.program, "app_scale", &rc);
    ck_assert_int_eq(rc, CL_SUCCESS);
    return k;
}

/* Enqueues app_fill over n floats of x after `wait` (may be NULL); returns its event. */
static cl_event enqueue_fill(const app *a, const app_kernels *k, cl_mem x, cl_uint n,
                             float scale)
{
    cl_int rc = clSetKernelArg(k->fill, 0, sizeof x, &x);
    rc |= clSetKernelArg(k->fill, 1, sizeof n, &n);
    rc |= clSetKernelArg(k->fill, 2, sizeof scale, &scale);
    ck_assert_int_eq(rc, CL_SUCCESS);
    const size_t global = n;
    cl_event done = NULL;
    ck_assert_int_eq(clEnqueueNDRangeKernel(a->queue, k->fill, 1, NULL, &global, NULL, 0, NULL,
                                            &done),
                     CL_SUCCESS);
    return done;
}

/* Enqueues dst = factor · span[0..n) after `wait`; returns its event. */
static cl_event enqueue_scale(const app *a, const app_kernels *k, ewcl_cl_span span, cl_mem dst,
                              cl_uint n, float factor, cl_event wait)
{
    const cl_uint offset = (cl_uint)span.offset;
    cl_int rc = clSetKernelArg(k->scale, 0, sizeof span.buffer, &span.buffer);
    rc |= clSetKernelArg(k->scale, 1, sizeof offset, &offset);
    rc |= clSetKernelArg(k->scale, 2, sizeof dst, &dst);
    rc |= clSetKernelArg(k->scale, 3, sizeof n, &n);
    rc |= clSetKernelArg(k->scale, 4, sizeof factor, &factor);
    ck_assert_int_eq(rc, CL_SUCCESS);
    const size_t global = n;
    cl_event done = NULL;
    ck_assert_int_eq(clEnqueueNDRangeKernel(a->queue, k->scale, 1, NULL, &global, NULL, 1, &wait,
                                            &done),
                     CL_SUCCESS);
    return done;
}

static cl_mem app_buffer(const app *a, size_t floats)
{
    cl_int rc = CL_SUCCESS;
    cl_mem buffer = clCreateBuffer(a->context, CL_MEM_READ_WRITE, floats * sizeof(float), NULL,
                                   &rc);
    ck_assert_int_eq(rc, CL_SUCCESS);
    return buffer;
}

START_TEST(events_chain_the_applications_kernels_around_ewcl_ops)
{
    app a = open_app(CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE);
    ewcl_runtime *rt = adopt(&a);
    app_kernels k = build_app_kernels(&a);
    const ewcl_mlp_config c = small_config(0.0f, 0.0f);
    ewcl_mlp *mlp = NULL;
    CK_OK(rt, ewcl_mlp_create(rt, &c, &mlp));
    int32_t labels[ROWS];
    for (size_t i = 0; i < ROWS; i++)
        labels[i] = (int32_t)(i % CLASSES);
    cl_mem x = app_buffer(&a, ROWS * IN), logits_copy = app_buffer(&a, ROWS * CLASSES);
    cl_mem dlabels = test_buffer_from(a.context, labels, sizeof labels);

    /* fill x (app) → evaluate (ewcl) → copy 2·logits (app), linked only by events. */
    cl_event filled = enqueue_fill(&a, &k, x, ROWS * IN, 0.25f);
    cl_event evaluated = NULL;
    const ewcl_cl_batch view = {.inputs = x, .labels = dlabels, .rows = ROWS};
    CK_OK(rt, ewcl_mlp_evaluate_cl(mlp, &view, &(ewcl_cl_events){1, &filled, &evaluated}));
    ck_assert_ptr_nonnull(evaluated);
    cl_event copied = enqueue_scale(&a, &k, ewcl_mlp_cl_span(mlp, EWCL_MLP_LOGITS), logits_copy,
                                    ROWS * CLASSES, 2.0f, evaluated);
    float *device = test_buffer_read(a.queue, logits_copy, 0, ROWS * CLASSES, copied);

    float host_x[ROWS * IN];
    for (size_t i = 0; i < ROWS * IN; i++)
        host_x[i] = app_fill_value(i, 0.25f);
    const ref_mlp ref = reference_of(&c);
    double *params = parameters_of(rt, mlp);
    double host_logits[ROWS * CLASSES];
    ref_mlp_loss(&ref, params, host_x, labels, ROWS, false, 0, NULL, host_logits);
    for (size_t i = 0; i < ROWS * CLASSES; i++)
        ck_assert_msg(fabs(device[i] - 2.0 * host_logits[i]) <= 1e-5 * (1.0 + fabs(host_logits[i])),
                      "2·logit %zu: %g vs %g", i, (double)device[i], 2.0 * host_logits[i]);

    /* The same through the GEMM: fill A (app) → C = A·B (ewcl_gemm_ev) → copy C (app). */
    enum { M = 5, K = 7, N = 3 };
    cl_mem da = app_buffer(&a, M * K), dc = app_buffer(&a, M * N),
           dc_copy = app_buffer(&a, M * N);
    float host_b[K * N];
    for (size_t i = 0; i < K * N; i++)
        host_b[i] = (float)i * 0.5f - 4.0f;
    cl_mem db = test_buffer_from(a.context, host_b, sizeof host_b);
    cl_event a_filled = enqueue_fill(&a, &k, da, M * K, 1.0f), multiplied = NULL;
    const ewcl_gemm_args g = {.trans_a = EWCL_NO_TRANS, .trans_b = EWCL_NO_TRANS, .m = M,
                              .n = N, .k = K, .alpha = 1.0f, .beta = 0.0f, .a = da, .lda = K,
                              .b = db, .ldb = N, .c = dc, .ldc = N};
    CK_OK(rt, ewcl_gemm_ev(rt, EWCL_GEMM_AUTO, &g,
                           &(ewcl_cl_events){1, &a_filled, &multiplied}));
    cl_event c_copied = enqueue_scale(&a, &k, (ewcl_cl_span){dc, 0, M * N}, dc_copy, M * N,
                                      1.0f, multiplied);
    float *product = test_buffer_read(a.queue, dc_copy, 0, M * N, c_copied);
    float host_a[M * K];
    for (size_t i = 0; i < M * K; i++)
        host_a[i] = app_fill_value(i, 1.0f);
    double expect[M * N];
    ref_gemm(false, false, M, N, K, 1.0, host_a, K, host_b, N, 0.0, NULL, N, expect, NULL);
    for (size_t i = 0; i < M * N; i++)
        ck_assert_double_eq_tol(product[i], expect[i], 1e-5 * (1.0 + fabs(expect[i])));

    /* ewcl's events are complete once what waited on them has run. */
    cl_int state = CL_QUEUED;
    clGetEventInfo(multiplied, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof state, &state, NULL);
    ck_assert_int_eq(state, CL_COMPLETE);

    cl_event events[] = {filled, evaluated, copied, a_filled, multiplied, c_copied};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        clReleaseEvent(events[i]);
    cl_mem buffers[] = {x, logits_copy, dlabels, da, db, dc, dc_copy};
    for (size_t i = 0; i < sizeof buffers / sizeof buffers[0]; i++)
        clReleaseMemObject(buffers[i]);
    free(device);
    free(product);
    free(params);
    clReleaseKernel(k.fill);
    clReleaseKernel(k.scale);
    clReleaseProgram(k.program);
    ewcl_mlp_destroy(mlp);
    ewcl_runtime_destroy(rt);
    close_app(&a);
}
END_TEST

int main(void)
{
    ewcl_test_require_device();
    Suite *suite = suite_create("interop");
    TCase *tc = tcase_create("interop");
    tcase_set_timeout(tc, EWCL_TEST_CL_TIMEOUT);
    tcase_add_test(tc, adopting_an_in_order_queue_retains_and_releases_it);
    tcase_add_test(tc, adopting_an_out_of_order_queue_leaves_it_alone);
    tcase_add_test(tc, adopting_a_queue_of_another_context_fails_and_keeps_counts);
    tcase_add_test(tc, evaluate_gives_logits_and_loss_on_the_device);
    tcase_add_test(tc, train_step_on_the_applications_batch_follows_the_gradient);
    tcase_add_test(tc, ewc_on_the_applications_batches_matches_the_reference);
    tcase_add_test(tc, events_chain_the_applications_kernels_around_ewcl_ops);
    suite_add_tcase(suite, tc);
    return ewcl_test_run(suite);
}
