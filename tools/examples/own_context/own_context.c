/* An application that owns its OpenCL context and data trains a small model with ewcl:
 * it makes the context and an out-of-order queue itself, keeps two tasks' samples in
 * buffers of its own, hands them to ewcl batch by batch, chains its reads after ewcl's
 * work with events, and protects task 1 with EWC while it learns task 2.
 *
 * Exit status: 0 when the model learned both tasks, 1 otherwise or on an error, 3 when
 * there is no OpenCL device. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <ewcl/ewcl.h>
#include <ewcl/ewcl_cl.h>

enum { FEATURES = 16, CLASSES = 4, SAMPLES = 256, BATCH = 32, EPOCHS = 40 };

/* One task, on the application's device: features (SAMPLES × FEATURES floats) and labels
 * (SAMPLES ints), labelled by a random linear "teacher" of its own. */
typedef struct task {
    cl_mem x, y;
    cl_event uploaded[2];
    float host_x[SAMPLES * FEATURES];
    cl_int host_y[SAMPLES];
} task;

typedef struct app {
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    ewcl_runtime *rt;
    ewcl_mlp *mlp;
    ewcl_ewc *ewc;
    task tasks[2];
    uint64_t step;
} app;

static float next_uniform(unsigned *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / (float)(1u << 23) - 1.0f;
}

/* The first device of the first platform that has one, as any OpenCL program finds it. */
static int open_opencl(app *a)
{
    cl_platform_id platforms[8];
    cl_uint count = 0;
    if (clGetPlatformIDs(8, platforms, &count) != CL_SUCCESS)
        count = 0;
    for (cl_uint p = 0; p < count && p < 8; p++)
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 1, &a->device, NULL) ==
            CL_SUCCESS) {
            cl_int rc = CL_SUCCESS;
            const cl_context_properties props[] = {CL_CONTEXT_PLATFORM,
                                                   (cl_context_properties)platforms[p], 0};
            a->context = clCreateContext(props, 1, &a->device, NULL, NULL, &rc);
            if (rc != CL_SUCCESS)
                return 1;
            /* Out of order where the device allows it: ewcl then runs on an in-order queue
             * of its own, and events order the two. */
            cl_command_queue_properties supported = 0;
            clGetDeviceInfo(a->device, CL_DEVICE_QUEUE_PROPERTIES, sizeof supported, &supported,
                            NULL);
            a->queue = clCreateCommandQueue(
                a->context, a->device, supported & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE, &rc);
            return rc == CL_SUCCESS ? 0 : 1;
        }
    fprintf(stderr, "own_context: no OpenCL device\n");
    return 3;
}

static int make_task(app *a, task *t, unsigned seed)
{
    float teacher[FEATURES * CLASSES];
    for (size_t i = 0; i < FEATURES * CLASSES; i++)
        teacher[i] = next_uniform(&seed);
    for (size_t s = 0; s < SAMPLES; s++) {
        float best = -1e30f;
        for (size_t f = 0; f < FEATURES; f++)
            t->host_x[s * FEATURES + f] = next_uniform(&seed);
        for (cl_int c = 0; c < CLASSES; c++) {
            float score = 0.0f;
            for (size_t f = 0; f < FEATURES; f++)
                score += t->host_x[s * FEATURES + f] * teacher[f * CLASSES + (size_t)c];
            if (score > best) {
                best = score;
                t->host_y[s] = c;
            }
        }
    }
    cl_int rc = CL_SUCCESS, rc2 = CL_SUCCESS;
    t->x = clCreateBuffer(a->context, CL_MEM_READ_ONLY, sizeof t->host_x, NULL, &rc);
    t->y = clCreateBuffer(a->context, CL_MEM_READ_ONLY, sizeof t->host_y, NULL, &rc2);
    if (rc != CL_SUCCESS || rc2 != CL_SUCCESS)
        return 1;
    /* Non-blocking uploads on the application's queue: ewcl's first use waits for them. */
    rc = clEnqueueWriteBuffer(a->queue, t->x, CL_FALSE, 0, sizeof t->host_x, t->host_x, 0,
                              NULL, &t->uploaded[0]);
    rc2 = clEnqueueWriteBuffer(a->queue, t->y, CL_FALSE, 0, sizeof t->host_y, t->host_y, 0,
                               NULL, &t->uploaded[1]);
    return rc == CL_SUCCESS && rc2 == CL_SUCCESS ? 0 : 1;
}

static ewcl_cl_batch rows_of(const task *t, size_t first, size_t count)
{
    return (ewcl_cl_batch){.inputs = t->x, .inputs_offset = first * FEATURES, .labels = t->y,
                           .labels_offset = first, .rows = count};
}

static int fail(const app *a, const char *what)
{
    fprintf(stderr, "own_context: %s: %s\n", what, ewcl_runtime_error(a->rt)->message);
    return 1;
}

static int train(app *a, const task *t)
{
    for (int epoch = 0; epoch < EPOCHS; epoch++)
        for (size_t first = 0; first < SAMPLES; first += BATCH) {
            const ewcl_cl_batch b = rows_of(t, first, BATCH);
            /* The task's first step waits for its uploads; the later ones follow it in
             * ewcl's in-order queue. */
            const ewcl_cl_events after_upload = {2, t->uploaded, NULL};
            const bool first_step = epoch == 0 && first == 0;
            if (ewcl_ewc_train_step_cl(a->ewc, &b, a->step, 0.1f, 0.0f,
                                       first_step ? &after_upload : NULL) != EWCL_OK)
                return fail(a, "training step");
            a->step++;
        }
    return 0;
}

/* Accuracy over the task: evaluate each batch on the device and read its correct count
 * from the loss span on the application's queue, after ewcl's event. */
static int accuracy(app *a, const task *t, double *out)
{
    const ewcl_cl_span loss = ewcl_mlp_cl_span(a->mlp, EWCL_MLP_LOSS);
    double correct = 0.0;
    for (size_t first = 0; first < SAMPLES; first += BATCH) {
        const ewcl_cl_batch b = rows_of(t, first, BATCH);
        cl_event done = NULL;
        if (ewcl_mlp_evaluate_cl(a->mlp, &b, &(ewcl_cl_events){2, t->uploaded, &done}) !=
            EWCL_OK)
            return fail(a, "evaluation");
        float sums[2]; /* summed loss, correct predictions */
        const cl_int rc = clEnqueueReadBuffer(a->queue, loss.buffer, CL_TRUE,
                                              loss.offset * sizeof(float), sizeof sums, sums, 1,
                                              &done, NULL);
        clReleaseEvent(done);
        if (rc != CL_SUCCESS)
            return 1;
        correct += sums[1];
    }
    *out = correct / SAMPLES;
    return 0;
}

static ewcl_status fill_fisher_batch(void *user, ewcl_mlp *mlp, size_t first, size_t count)
{
    const task *t = user;
    const ewcl_cl_batch b = rows_of(t, first, count);
    return ewcl_mlp_set_batch_cl(mlp, &b, NULL);
}

static int run(app *a)
{
    double acc1 = 0, acc2 = 0, before = 0;
    if (train(a, &a->tasks[0]) || accuracy(a, &a->tasks[0], &before))
        return 1;
    printf("after task 1: task 1 accuracy %.3f\n", before);
    if (ewcl_ewc_estimate_fisher(a->ewc, SAMPLES, SAMPLES, fill_fisher_batch, &a->tasks[0]) !=
            EWCL_OK ||
        ewcl_ewc_consolidate(a->ewc, 0.1f) != EWCL_OK)
        return fail(a, "consolidating task 1");
    double penalty = 0;
    if (train(a, &a->tasks[1]) || accuracy(a, &a->tasks[0], &acc1) ||
        accuracy(a, &a->tasks[1], &acc2))
        return 1;
    if (ewcl_ewc_penalty(a->ewc, &penalty) != EWCL_OK)
        return fail(a, "penalty");
    printf("after task 2: task 1 accuracy %.3f, task 2 accuracy %.3f, EWC penalty %.4f\n", acc1,
           acc2, penalty);
    if (before < 0.8 || acc2 < 0.8) {
        fprintf(stderr, "own_context: a task was not learned\n");
        return 1;
    }
    printf("ok: trained on the application's own context and buffers\n");
    return 0;
}

int main(void)
{
    static app a; /* the tasks' host copies are large */
    int status = open_opencl(&a);
    if (status != 0)
        return status;
    ewcl_runtime_options options;
    ewcl_runtime_options_default(&options);
    ewcl_error err;
    if (ewcl_runtime_create_from_cl(a.context, a.device, a.queue, &options, &a.rt, &err) !=
        EWCL_OK) {
        fprintf(stderr, "own_context: %s\n", err.message);
        return 1;
    }
    printf("ewcl %s on %s, %s queue\n", ewcl_version(), ewcl_runtime_device(a.rt)->name,
           ewcl_runtime_cl_queue(a.rt) == a.queue ? "the application's in-order"
                                                  : "its own in-order twin of an out-of-order");
    ewcl_mlp_config mc;
    ewcl_mlp_config_default(&mc);
    mc.input_size = FEATURES;
    mc.hidden_size = 64;
    mc.hidden_layer_num = 1;
    mc.output_size = CLASSES;
    mc.input_dropout = mc.hidden_dropout = 0.0f;
    mc.max_batch = BATCH;
    mc.seed = 1;
    ewcl_ewc_config ec;
    ewcl_ewc_config_default(&ec);
    ec.lambda = 1000.0f;
    ec.step = EWCL_PENALTY_IMPLICIT; /* stable for any λ */
    status = 1;
    if (make_task(&a, &a.tasks[0], 1) || make_task(&a, &a.tasks[1], 2))
        fprintf(stderr, "own_context: uploading the tasks failed\n");
    else if (ewcl_mlp_create(a.rt, &mc, &a.mlp) != EWCL_OK ||
             ewcl_ewc_create(a.mlp, &ec, &a.ewc) != EWCL_OK)
        status = fail(&a, "creating the model");
    else
        status = run(&a);

    ewcl_ewc_destroy(a.ewc);
    ewcl_mlp_destroy(a.mlp);
    ewcl_runtime_destroy(a.rt);
    for (int t = 0; t < 2; t++) {
        for (int u = 0; u < 2; u++)
            if (a.tasks[t].uploaded[u] != NULL)
                clReleaseEvent(a.tasks[t].uploaded[u]);
        if (a.tasks[t].x != NULL)
            clReleaseMemObject(a.tasks[t].x);
        if (a.tasks[t].y != NULL)
            clReleaseMemObject(a.tasks[t].y);
    }
    clReleaseCommandQueue(a.queue);
    clReleaseContext(a.context);
    return status;
}
