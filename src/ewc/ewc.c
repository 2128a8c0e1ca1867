/* The EWC state: creation, consolidation, the penalty's value and the fused step. */
#include <float.h>
#include <stdlib.h>

#include "ewc/ewc_internal.h"
#include "ops/buffer.h"
#include "ops/elementwise.h"
#include "ops/ewc_kernels.h"
#include "ops/reduce.h"
#include "runtime/error_internal.h"

void ewcl_ewc_config_default(ewcl_ewc_config *c)
{
    if (c == NULL)
        return;
    c->mode = EWCL_EWC_SEPARATE;
    c->lambda = 40.0f;
    c->gamma = 1.0f;
    c->labels = EWCL_FISHER_TRUE;
    c->fisher_dropout = false;
    c->step = EWCL_PENALTY_EXPLICIT;
    c->seed = 0;
}

static ewcl_status check_config(ewcl_runtime *rt, const ewcl_ewc_config *c)
{
    if (!(c->lambda >= 0.0f && c->lambda <= FLT_MAX))
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "ewc: lambda must be finite and ≥ 0, not %g", (double)c->lambda);
    if (!(c->gamma >= 0.0f && c->gamma <= 1.0f))
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "ewc: gamma must lie in [0, 1], not %g", (double)c->gamma);
    if ((unsigned)c->mode > EWCL_EWC_OVERWRITE || (unsigned)c->labels > EWCL_FISHER_ALL ||
        (unsigned)c->step > EWCL_PENALTY_IMPLICIT)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT, "ewc: unknown mode");
    return EWCL_OK;
}

static ewcl_status allocate(ewcl_ewc *e)
{
    ewcl_runtime *rt = e->rt;
    const ewcl_mlp_config *c = &e->mlp->config;
    const size_t f = sizeof(float), rows = c->max_batch;
    cl_mem *vectors[] = {&e->fisher, &e->S, &e->mu, &e->terms};
    ewcl_status s = EWCL_OK;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0] && s == EWCL_OK; i++)
        s = ewcl_buffer_create(rt, e->n * f, vectors[i]);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, f, &e->reduced);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, ewcl_op_reduce_scratch_floats(rt) * f, &e->reduce_scratch);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, rows * e->mlp->max_width * f, &e->square_x);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, rows * e->mlp->max_width * f, &e->square_delta);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, rows * sizeof(cl_int), &e->labels);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, rows * f, &e->weights);
    /* No task yet: S = 0 and μ = 0 make the penalty and its gradient exactly zero. */
    cl_mem zeroed[] = {e->fisher, e->S, e->mu};
    for (size_t i = 0; i < 3 && s == EWCL_OK; i++)
        s = ewcl_buffer_zero(rt, zeroed[i], 0, e->n * f);
    e->stats = calloc(e->mlp->layer_count, sizeof *e->stats);
    if (s == EWCL_OK && e->stats == NULL)
        s = EWCL_FAIL(&rt->error, EWCL_ERR_OUT_OF_MEMORY, "ewc: out of memory");
    return s;
}

ewcl_status ewcl_ewc_create(ewcl_mlp *mlp, const ewcl_ewc_config *config, ewcl_ewc **out)
{
    if (mlp == NULL || config == NULL || out == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    *out = NULL;
    ewcl_status s = check_config(mlp->rt, config);
    if (s != EWCL_OK)
        return s;
    ewcl_ewc *e = calloc(1, sizeof *e);
    if (e == NULL)
        return EWCL_FAIL(&mlp->rt->error, EWCL_ERR_OUT_OF_MEMORY, "ewc: out of memory");
    e->mlp = mlp;
    e->rt = mlp->rt;
    e->config = *config;
    e->n = mlp->parameter_count;
    s = allocate(e);
    if (s != EWCL_OK) {
        ewcl_ewc_destroy(e);
        return s;
    }
    *out = e;
    return EWCL_OK;
}

void ewcl_ewc_destroy(ewcl_ewc *e)
{
    if (e == NULL)
        return;
    cl_mem buffers[] = {e->fisher,   e->S,          e->mu,     e->terms,  e->reduced,
                        e->reduce_scratch, e->square_x, e->square_delta, e->labels,
                        e->weights};
    for (size_t i = 0; i < sizeof buffers / sizeof buffers[0]; i++)
        ewcl_buffer_release(buffers[i]);
    free(e->stats);
    free(e);
}

/* The largest S entry, read back once per consolidation (never per step). */
static ewcl_status read_max_importance(ewcl_ewc *e)
{
    float *host = malloc(e->n * sizeof *host);
    if (host == NULL)
        return EWCL_FAIL(&e->rt->error, EWCL_ERR_OUT_OF_MEMORY, "ewc: out of memory");
    ewcl_status s = ewcl_buffer_read(e->rt, e->S, 0, e->n * sizeof *host, host);
    float max = 0.0f;
    for (size_t i = 0; s == EWCL_OK && i < e->n; i++)
        max = host[i] > max ? host[i] : max;
    free(host);
    e->max_importance = max;
    return s;
}

/* The explicit step multiplies θ − μ by (1 − lr·λ·S) each step: beyond 2 it oscillates
 * with growing amplitude. */
static void warn_if_unstable(ewcl_ewc *e, float lr)
{
    const double product = (double)lr * e->config.lambda * e->max_importance;
    if (e->config.step != EWCL_PENALTY_EXPLICIT || !(product >= 2.0))
        return;
    ewcl_runtime_log(e->rt, EWCL_LOG_WARNING,
                     "EWC penalty step unstable: lr·λ·max(S) = %.3g ≥ 2 (max S = %.3g); the "
                     "explicit step diverges unless λ < %.3g or lr < %.3g — or use the "
                     "implicit step (--penalty-step implicit)",
                     product, (double)e->max_importance,
                     2.0 / ((double)lr * e->max_importance),
                     2.0 / ((double)e->config.lambda * e->max_importance));
}

ewcl_status ewcl_ewc_consolidate(ewcl_ewc *e, float lr)
{
    if (!e->fisher_ready)
        return EWCL_FAIL(&e->rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "ewc: consolidate needs a Fisher estimate of the task first");
    const bool online = e->config.mode != EWCL_EWC_SEPARATE;
    const float gamma = e->config.mode == EWCL_EWC_OVERWRITE ? 0.0f : e->config.gamma;
    ewcl_status s = ewcl_op_ewc_consolidate(e->rt, e->S, e->mu, e->fisher, e->mlp->parameters,
                                            e->n, online, gamma, e->terms);
    /* The residual R grows by the terms' sum (separate) or restarts at 0 (online); one
     * read per task. */
    float increment = 0.0f;
    if (s == EWCL_OK)
        s = ewcl_op_reduce(e->rt, e->terms, 0, e->n, false, e->reduce_scratch, e->reduced, 0);
    if (s == EWCL_OK)
        s = ewcl_buffer_read(e->rt, e->reduced, 0, sizeof increment, &increment);
    if (s == EWCL_OK)
        e->residual = online ? 0.0 : e->residual + (double)increment;
    if (s == EWCL_OK)
        s = read_max_importance(e);
    if (s != EWCL_OK)
        return s;
    e->tasks++;
    e->fisher_ready = false;
    warn_if_unstable(e, lr);
    return EWCL_OK;
}

size_t ewcl_ewc_tasks_consolidated(const ewcl_ewc *e)
{
    return e != NULL ? e->tasks : 0;
}

float ewcl_ewc_max_importance(const ewcl_ewc *e)
{
    return e != NULL ? e->max_importance : 0.0f;
}

ewcl_status ewcl_ewc_step(ewcl_ewc *e, float lr, float weight_decay)
{
    /* Without a consolidated task or with λ = 0 the penalty is nothing: plain SGD, bit for
     * bit. */
    if (e->tasks == 0 || e->config.lambda == 0.0f)
        return ewcl_mlp_sgd_step(e->mlp, lr, weight_decay);
    return ewcl_op_ewc_update(e->rt, e->mlp->parameters, e->mlp->gradients, e->S, e->mu, e->n,
                              lr, weight_decay, e->config.lambda,
                              e->config.step == EWCL_PENALTY_IMPLICIT);
}

ewcl_status ewcl_ewc_train_step(ewcl_ewc *e, size_t batch, uint64_t step, float lr,
                                float weight_decay)
{
    ewcl_status s = ewcl_mlp_forward(e->mlp, batch, true, step);
    if (s == EWCL_OK)
        s = ewcl_mlp_loss(e->mlp, batch, true);
    if (s == EWCL_OK)
        s = ewcl_mlp_backward(e->mlp, batch);
    if (s == EWCL_OK)
        s = ewcl_ewc_step(e, lr, weight_decay);
    return s;
}

ewcl_status ewcl_ewc_penalty(ewcl_ewc *e, double *value)
{
    *value = 0.0;
    if (e->tasks == 0)
        return EWCL_OK;
    ewcl_status s = ewcl_op_ewc_penalty_terms(e->rt, e->S, e->mu, e->mlp->parameters, e->n,
                                              e->terms);
    if (s == EWCL_OK)
        s = ewcl_op_reduce(e->rt, e->terms, 0, e->n, false, e->reduce_scratch, e->reduced, 0);
    float sum = 0.0f;
    if (s == EWCL_OK)
        s = ewcl_buffer_read(e->rt, e->reduced, 0, sizeof sum, &sum);
    if (s == EWCL_OK)
        *value = 0.5 * (double)e->config.lambda * ((double)sum + e->residual);
    return s;
}
