/* ewcl's low-level EWC API on a parameter vector of the application's own — no ewcl model:
 * a Fisher from per-sample gradients, consolidation, the penalty checked against the same
 * sum computed here on the host, and one step with the penalty's pull.
 *
 * Exit status: 0 when the device's penalty matches the host's, 1 otherwise or on an
 * error, 3 when no OpenCL device is usable. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <ewcl/ewcl.h>
#include <ewcl/ewcl_cl.h>

enum { PARAMS = 1000, SAMPLES = 8 };

/* Repeatable numbers in [-1, 1) without depending on the C library's rand(). */
static float next_uniform(unsigned *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / (float)(1u << 23) - 1.0f;
}

static int fail(ewcl_runtime *rt, const char *what)
{
    fprintf(stderr, "lowlevel_ewc: %s: %s\n", what, ewcl_runtime_error(rt)->message);
    return 1;
}

static cl_mem upload(ewcl_runtime *rt, const float *host, size_t count)
{
    cl_int rc = CL_SUCCESS;
    cl_mem buffer = clCreateBuffer(ewcl_runtime_cl_context(rt),
                                   CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                                   count * sizeof *host, (void *)host, &rc);
    return rc == CL_SUCCESS ? buffer : NULL;
}

/* The state, the application's buffers and host copies of what it uploaded. */
typedef struct app {
    ewcl_runtime *rt;
    ewcl_ewc_state *ewc;
    float theta[PARAMS], moved[PARAMS], grads[SAMPLES * PARAMS], step_grad[PARAMS];
    cl_mem d_theta, d_grads, d_step_grad;
} app;

/* (λ/2)·Σ F·(θ − θ*)² with F = (1/N)·Σ_samples g², in double precision. */
static double host_penalty(const app *a, double lambda)
{
    double sum = 0.0;
    for (size_t i = 0; i < PARAMS; i++) {
        double fisher = 0.0;
        for (size_t s = 0; s < SAMPLES; s++)
            fisher += (double)a->grads[s * PARAMS + i] * a->grads[s * PARAMS + i];
        fisher /= SAMPLES;
        const double d = (double)a->moved[i] - a->theta[i];
        sum += fisher * d * d;
    }
    return 0.5 * lambda * sum;
}

static int run(app *a, const ewcl_ewc_config *config)
{
    /* Task 1 is learned: its per-sample gradients give the Fisher, θ is its anchor. */
    if (ewcl_ewc_state_accumulate_gradients(a->ewc, a->d_grads, 0, SAMPLES, PARAMS, 0, PARAMS,
                                            1.0f / SAMPLES, NULL) != EWCL_OK)
        return fail(a->rt, "accumulating the Fisher");
    if (ewcl_ewc_state_consolidate(a->ewc, a->d_theta, NULL) != EWCL_OK)
        return fail(a->rt, "consolidating");
    /* Task 2 moves the parameters away. */
    if (clEnqueueWriteBuffer(ewcl_runtime_cl_queue(a->rt), a->d_theta, CL_TRUE, 0,
                             sizeof a->moved, a->moved, 0, NULL, NULL) != CL_SUCCESS) {
        fprintf(stderr, "lowlevel_ewc: writing the moved parameters failed\n");
        return 1;
    }
    double device = 0.0;
    if (ewcl_ewc_state_penalty(a->ewc, a->d_theta, &device, NULL) != EWCL_OK)
        return fail(a->rt, "computing the penalty");
    const double host = host_penalty(a, config->lambda);
    const double relative = fabs(device - host) / host;
    printf("penalty: device %.6f, host %.6f, relative difference %.1e\n", device, host,
           relative);
    if (!(relative <= 1e-5)) {
        fprintf(stderr, "lowlevel_ewc: the device's penalty differs from the host's\n");
        return 1;
    }
    /* One step of task 2 with a zero task gradient: only the penalty pulls, so it drops. */
    double after = 0.0;
    if (ewcl_ewc_state_step(a->ewc, a->d_theta, a->d_step_grad, 0.1f, 0.0f, NULL) != EWCL_OK ||
        ewcl_ewc_state_penalty(a->ewc, a->d_theta, &after, NULL) != EWCL_OK)
        return fail(a->rt, "stepping");
    printf("after one step pulled by the penalty: %.6f\n", after);
    if (!(after < device)) {
        fprintf(stderr, "lowlevel_ewc: the penalty's pull did not lower it\n");
        return 1;
    }
    printf("ok: the penalty matches the host computation\n");
    return 0;
}

int main(void)
{
    ewcl_runtime_options options;
    ewcl_runtime_options_default(&options);
    ewcl_options_apply_env(&options); /* EWCL_DEVICE, EWCL_CACHE_DIR, … */
    ewcl_error err;
    static app a; /* large arrays: not on the stack */
    const ewcl_status opened = ewcl_runtime_create(&options, &a.rt, &err);
    if (opened != EWCL_OK) {
        fprintf(stderr, "lowlevel_ewc: %s\n", err.message);
        return opened == EWCL_ERR_NO_DEVICE || opened == EWCL_ERR_NO_PLATFORM ? 3 : 1;
    }
    printf("ewcl %s on %s\n", ewcl_version(), ewcl_runtime_device(a.rt)->name);

    unsigned seed = 12345;
    for (size_t i = 0; i < PARAMS; i++) {
        a.theta[i] = next_uniform(&seed);
        a.moved[i] = a.theta[i] + 0.3f * next_uniform(&seed);
        a.step_grad[i] = 0.0f;
    }
    for (size_t i = 0; i < SAMPLES * PARAMS; i++)
        a.grads[i] = next_uniform(&seed);
    a.d_theta = upload(a.rt, a.theta, PARAMS);
    a.d_grads = upload(a.rt, a.grads, SAMPLES * PARAMS);
    a.d_step_grad = upload(a.rt, a.step_grad, PARAMS);

    ewcl_ewc_config config;
    ewcl_ewc_config_default(&config);
    config.lambda = 4.0f;
    int status = 1;
    if (a.d_theta == NULL || a.d_grads == NULL || a.d_step_grad == NULL)
        fprintf(stderr, "lowlevel_ewc: creating the buffers failed\n");
    else if (ewcl_ewc_state_create(a.rt, PARAMS, &config, &a.ewc) != EWCL_OK)
        status = fail(a.rt, "creating the EWC state");
    else
        status = run(&a, &config);

    ewcl_ewc_state_destroy(a.ewc);
    const cl_mem buffers[] = {a.d_theta, a.d_grads, a.d_step_grad};
    for (size_t i = 0; i < 3; i++)
        if (buffers[i] != NULL)
            clReleaseMemObject(buffers[i]);
    ewcl_runtime_destroy(a.rt);
    return status;
}
