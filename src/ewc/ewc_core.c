/* The sequences of cl/ewc.cl kernels that ewcl_ewc and ewcl_ewc_state share. */
#include "ewc/ewc_core.h"

#include <float.h>
#include <stdlib.h>

#include "ops/buffer.h"
#include "ops/elementwise.h"
#include "ops/ewc_kernels.h"
#include "ops/reduce.h"
#include "runtime/error_internal.h"
#include "runtime/runtime_internal.h"

ewcl_cl_span ewcl_ewc_vectors_span(const ewcl_ewc_vectors *v, ewcl_ewc_vector which)
{
    switch (which) {
    case EWCL_EWC_FISHER:
        return (ewcl_cl_span){v->fisher, 0, v->n};
    case EWCL_EWC_IMPORTANCE:
        return (ewcl_cl_span){v->S, 0, v->n};
    case EWCL_EWC_ANCHOR:
        return (ewcl_cl_span){v->mu, 0, v->n};
    }
    return (ewcl_cl_span){NULL, 0, 0};
}

ewcl_status ewcl_ewc_check_config(ewcl_runtime *rt, const ewcl_ewc_config *c)
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

/* Σ terms[0..n) on the device, read back. */
static ewcl_status sum_terms(const ewcl_ewc_vectors *v, float *sum)
{
    ewcl_status s =
        ewcl_op_reduce(v->rt, v->terms, 0, v->n, false, v->reduce_scratch, v->reduced, 0);
    return s == EWCL_OK ? ewcl_buffer_read(v->rt, v->reduced, 0, sizeof *sum, sum) : s;
}

/* The largest S entry, read back once per consolidation (never per step). */
static ewcl_status read_max_importance(const ewcl_ewc_vectors *v, float *out)
{
    float *host = malloc(v->n * sizeof *host);
    if (host == NULL)
        return EWCL_FAIL(&v->rt->error, EWCL_ERR_OUT_OF_MEMORY, "ewc: out of memory");
    ewcl_status s = ewcl_buffer_read(v->rt, v->S, 0, v->n * sizeof *host, host);
    float max = 0.0f;
    for (size_t i = 0; s == EWCL_OK && i < v->n; i++)
        max = host[i] > max ? host[i] : max;
    free(host);
    if (s == EWCL_OK)
        *out = max;
    return s;
}

ewcl_status ewcl_ewc_fold(const ewcl_ewc_vectors *v, cl_mem theta, ewcl_ewc_mode mode,
                          float gamma, double *residual, float *max_importance)
{
    const bool online = mode != EWCL_EWC_SEPARATE;
    ewcl_status s = ewcl_op_ewc_consolidate(v->rt, v->S, v->mu, v->fisher, theta, v->n, online,
                                            mode == EWCL_EWC_OVERWRITE ? 0.0f : gamma,
                                            v->terms);
    /* The residual R grows by the terms' sum (separate) or restarts at 0 (online); one
     * read per task. */
    float increment = 0.0f;
    if (s == EWCL_OK)
        s = sum_terms(v, &increment);
    if (s == EWCL_OK)
        *residual = online ? 0.0 : *residual + (double)increment;
    return s == EWCL_OK ? read_max_importance(v, max_importance) : s;
}

ewcl_status ewcl_ewc_penalty_value(const ewcl_ewc_vectors *v, cl_mem theta, size_t tasks,
                                   float lambda, double residual, double *value)
{
    *value = 0.0;
    if (tasks == 0)
        return EWCL_OK;
    ewcl_status s = ewcl_op_ewc_penalty_terms(v->rt, v->S, v->mu, theta, v->n, v->terms);
    float sum = 0.0f;
    if (s == EWCL_OK)
        s = sum_terms(v, &sum);
    if (s == EWCL_OK)
        *value = 0.5 * (double)lambda * ((double)sum + residual);
    return s;
}

ewcl_status ewcl_ewc_fused_step(const ewcl_ewc_vectors *v, cl_mem theta, cl_mem grad,
                                const ewcl_ewc_config *config, size_t tasks, float lr,
                                float weight_decay)
{
    /* Without a consolidated task or with λ = 0 the penalty is nothing: plain SGD, bit for
     * bit. */
    if (tasks == 0 || config->lambda == 0.0f)
        return ewcl_op_sgd_update(v->rt, theta, grad, 0, v->n, lr, weight_decay);
    return ewcl_op_ewc_update(v->rt, theta, grad, v->S, v->mu, v->n, lr, weight_decay,
                              config->lambda, config->step == EWCL_PENALTY_IMPLICIT);
}

ewcl_status ewcl_ewc_fisher_layer(ewcl_runtime *rt, ewcl_gemm_engine engine,
                                  const ewcl_ewc_layer_args *l, cl_mem row_weights,
                                  cl_mem square_x, cl_mem square_delta, cl_mem fisher)
{
    ewcl_status s = ewcl_op_weighted_square(rt, l->x, l->x_offset, l->rows, l->in, l->ldx,
                                            NULL, 1.0f, square_x);
    if (s == EWCL_OK)
        s = ewcl_op_weighted_square(rt, l->delta, l->delta_offset, l->rows, l->out,
                                    l->ld_delta, row_weights, l->scale, square_delta);
    const ewcl_gemm_args g = {
        .trans_a = EWCL_TRANS, .trans_b = EWCL_NO_TRANS,
        .m = l->in, .n = l->out, .k = l->rows, .alpha = 1.0f, .beta = 1.0f,
        .a = square_x, .a_offset = 0, .lda = l->in,
        .b = square_delta, .b_offset = 0, .ldb = l->out,
        .c = fisher, .c_offset = l->weight_offset, .ldc = l->out,
    };
    if (s == EWCL_OK)
        s = ewcl_gemm(rt, engine, &g);
    if (s == EWCL_OK && l->bias_offset != EWCL_EWC_NO_BIAS)
        s = ewcl_op_column_sum(rt, square_delta, 0, l->rows, l->out, l->out, fisher,
                               l->bias_offset, true);
    return s;
}

void ewcl_ewc_warn_if_unstable(ewcl_runtime *rt, const ewcl_ewc_config *config, float lr,
                               float max_importance)
{
    const double product = (double)lr * config->lambda * max_importance;
    if (config->step != EWCL_PENALTY_EXPLICIT || !(product >= 2.0))
        return;
    ewcl_runtime_log(rt, EWCL_LOG_WARNING,
                     "EWC penalty step unstable: lr·λ·max(S) = %.3g ≥ 2 (max S = %.3g); the "
                     "explicit step diverges unless λ < %.3g or lr < %.3g — or use the "
                     "implicit step (--penalty-step implicit)",
                     product, (double)max_importance, 2.0 / ((double)lr * max_importance),
                     2.0 / ((double)config->lambda * max_importance));
}
