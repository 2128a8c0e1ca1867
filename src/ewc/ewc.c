/* The EWC state: creation, consolidation, the penalty's value and the fused step. */
#include <stdlib.h>

#include "ewc/ewc_core.h"
#include "ewc/ewc_internal.h"
#include "ops/buffer.h"
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
    ewcl_status s = ewcl_ewc_check_config(mlp->rt, config);
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

ewcl_ewc_vectors ewcl_ewc_vectors_of(const ewcl_ewc *e)
{
    return (ewcl_ewc_vectors){.rt = e->rt, .n = e->n, .fisher = e->fisher, .S = e->S,
                              .mu = e->mu, .terms = e->terms, .reduced = e->reduced,
                              .reduce_scratch = e->reduce_scratch};
}

ewcl_status ewcl_ewc_consolidate(ewcl_ewc *e, float lr)
{
    if (!e->fisher_ready)
        return EWCL_FAIL(&e->rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "ewc: consolidate needs a Fisher estimate of the task first");
    const ewcl_ewc_vectors v = ewcl_ewc_vectors_of(e);
    ewcl_status s = ewcl_ewc_fold(&v, e->mlp->parameters, e->config.mode, e->config.gamma,
                                  &e->residual, &e->max_importance);
    if (s != EWCL_OK)
        return s;
    e->tasks++;
    e->fisher_ready = false;
    ewcl_ewc_warn_if_unstable(e->rt, &e->config, lr, e->max_importance);
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
    const ewcl_ewc_vectors v = ewcl_ewc_vectors_of(e);
    return ewcl_ewc_fused_step(&v, e->mlp->parameters, e->mlp->gradients, &e->config, e->tasks,
                               lr, weight_decay);
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
    const ewcl_ewc_vectors v = ewcl_ewc_vectors_of(e);
    return ewcl_ewc_penalty_value(&v, e->mlp->parameters, e->tasks, e->config.lambda,
                                  e->residual, value);
}
