/* The low-level EWC API (ewcl_ewc_state in ewcl/ewcl_cl.h): EWC over any flat parameter
 * vector of the caller's, from Fisher pieces the caller computes with its own model. The
 * device work is the same as ewcl_ewc's (src/ewc/ewc_core.c). */
#include <stdlib.h>

#include "ewc/ewc_core.h"
#include "ops/buffer.h"
#include "ops/elementwise.h"
#include "ops/ewc_kernels.h"
#include "ops/launch.h"
#include "ops/reduce.h"
#include "runtime/error_internal.h"

struct ewcl_ewc_state {
    ewcl_ewc_vectors v;
    ewcl_ewc_config config;
    size_t tasks;          /* consolidated so far */
    double residual;       /* R: separate mode's constant part of the penalty */
    float max_importance;  /* max(S) */
    /* Squared layer operands of accumulate_layer, grown to the largest call's shape. */
    cl_mem square_x, square_delta;
    size_t square_x_floats, square_delta_floats;
};

ewcl_status ewcl_ewc_state_create(ewcl_runtime *rt, size_t count, const ewcl_ewc_config *config,
                                  ewcl_ewc_state **out)
{
    if (rt == NULL || config == NULL || out == NULL)
        return rt != NULL ? EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                                      "ewcl_ewc_state_create: NULL argument")
                          : EWCL_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (count == 0)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "ewc state: a vector of 0 parameters");
    ewcl_status s = ewcl_ewc_check_config(rt, config);
    if (s != EWCL_OK)
        return s;
    ewcl_ewc_state *st = calloc(1, sizeof *st);
    if (st == NULL)
        return EWCL_FAIL(&rt->error, EWCL_ERR_OUT_OF_MEMORY, "ewc state: out of memory");
    st->config = *config;
    st->v.rt = rt;
    st->v.n = count;
    const size_t bytes = count * sizeof(float);
    cl_mem *vectors[] = {&st->v.fisher, &st->v.S, &st->v.mu, &st->v.terms};
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0] && s == EWCL_OK; i++)
        s = ewcl_buffer_create(rt, bytes, vectors[i]);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, sizeof(float), &st->v.reduced);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, ewcl_op_reduce_scratch_floats(rt) * sizeof(float),
                               &st->v.reduce_scratch);
    /* No task yet: F = S = μ = 0 make the penalty and its pull exactly zero. */
    const cl_mem zeroed[] = {st->v.fisher, st->v.S, st->v.mu};
    for (size_t i = 0; i < 3 && s == EWCL_OK; i++)
        s = ewcl_buffer_zero(rt, zeroed[i], 0, bytes);
    if (s != EWCL_OK) {
        ewcl_ewc_state_destroy(st);
        return s;
    }
    *out = st;
    return EWCL_OK;
}

void ewcl_ewc_state_destroy(ewcl_ewc_state *st)
{
    if (st == NULL)
        return;
    const cl_mem buffers[] = {st->v.fisher,  st->v.S,        st->v.mu,
                              st->v.terms,   st->v.reduced,  st->v.reduce_scratch,
                              st->square_x,  st->square_delta};
    for (size_t i = 0; i < sizeof buffers / sizeof buffers[0]; i++)
        ewcl_buffer_release(buffers[i]);
    free(st);
}

/* Parameters [first, first + count) must lie in the state's vector. */
static ewcl_status check_range(const ewcl_ewc_state *st, const char *what, size_t first,
                               size_t count)
{
    if (first > st->v.n || count > st->v.n - first)
        return EWCL_FAIL(&st->v.rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "ewc state: %s covers parameters [%zu, %zu), outside the %zu of the "
                         "state",
                         what, first, first + count, st->v.n);
    return EWCL_OK;
}

static ewcl_status accumulate_gradients(ewcl_ewc_state *st, cl_mem grads, size_t offset,
                                        size_t rows, size_t ld, size_t first, size_t count,
                                        float scale)
{
    ewcl_runtime *rt = st->v.rt;
    if (count == 0 || ld < count)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "ewc state: per-sample gradients of %zu parameters with row stride "
                         "%zu (need 1 ≤ count ≤ stride)",
                         count, ld);
    ewcl_status s = check_range(st, "the gradients", first, count);
    if (s == EWCL_OK)
        s = ewcl_check_buffer(rt, "ewc state: per-sample gradients", grads, offset,
                              ewcl_matrix_span(rows, count, ld));
    /* Square as many rows at a time as the n floats of `terms` hold, then add their column
     * sums to F. */
    const size_t chunk = st->v.n / count;
    for (size_t r = 0; r < rows && s == EWCL_OK; r += chunk) {
        const size_t n_rows = rows - r < chunk ? rows - r : chunk;
        s = ewcl_op_weighted_square(rt, grads, offset + r * ld, n_rows, count, ld, NULL, scale,
                                    st->v.terms);
        if (s == EWCL_OK)
            s = ewcl_op_column_sum(rt, st->v.terms, 0, n_rows, count, count, st->v.fisher,
                                   first, true);
    }
    return s;
}

ewcl_status ewcl_ewc_state_accumulate_gradients(ewcl_ewc_state *st, cl_mem grads, size_t offset,
                                                size_t rows, size_t ld, size_t first,
                                                size_t count, float scale,
                                                const ewcl_cl_events *events)
{
    if (st == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    ewcl_status s = ewcl_events_wait(st->v.rt, events);
    if (s == EWCL_OK)
        s = accumulate_gradients(st, grads, offset, rows, ld, first, count, scale);
    return ewcl_events_signal(st->v.rt, events, s);
}

/* Makes *buffer hold at least `floats` floats, replacing it when it is smaller. */
static ewcl_status ensure_scratch(ewcl_runtime *rt, cl_mem *buffer, size_t *capacity,
                                  size_t floats)
{
    if (floats <= *capacity)
        return EWCL_OK;
    ewcl_buffer_release(*buffer);
    *buffer = NULL;
    *capacity = 0;
    ewcl_status s = ewcl_buffer_create(rt, floats * sizeof(float), buffer);
    if (s == EWCL_OK)
        *capacity = floats;
    return s;
}

static ewcl_status accumulate_layer(ewcl_ewc_state *st, const ewcl_ewc_layer_args *l)
{
    ewcl_runtime *rt = st->v.rt;
    if (l == NULL || l->in == 0 || l->out == 0 || l->ldx < l->in || l->ld_delta < l->out)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "ewc state: layer of %zu → %zu with row strides %zu (x) and %zu (δ) "
                         "(need sizes ≥ 1 and strides ≥ them)",
                         l ? l->in : 0, l ? l->out : 0, l ? l->ldx : 0, l ? l->ld_delta : 0);
    if (l->rows == 0)
        return EWCL_OK;
    ewcl_status s = check_range(st, "the layer's weights", l->weight_offset, l->in * l->out);
    if (s == EWCL_OK && l->bias_offset != EWCL_EWC_NO_BIAS)
        s = check_range(st, "the layer's bias", l->bias_offset, l->out);
    if (s == EWCL_OK)
        s = ewcl_check_buffer(rt, "ewc state: layer inputs x", l->x, l->x_offset,
                              ewcl_matrix_span(l->rows, l->in, l->ldx));
    if (s == EWCL_OK)
        s = ewcl_check_buffer(rt, "ewc state: layer output gradients δ", l->delta,
                              l->delta_offset, ewcl_matrix_span(l->rows, l->out, l->ld_delta));
    if (s == EWCL_OK)
        s = ensure_scratch(rt, &st->square_x, &st->square_x_floats, l->rows * l->in);
    if (s == EWCL_OK)
        s = ensure_scratch(rt, &st->square_delta, &st->square_delta_floats, l->rows * l->out);
    if (s == EWCL_OK)
        s = ewcl_ewc_fisher_layer(rt, EWCL_GEMM_AUTO, l, NULL, st->square_x, st->square_delta,
                                  st->v.fisher);
    return s;
}

ewcl_status ewcl_ewc_state_accumulate_layer(ewcl_ewc_state *st, const ewcl_ewc_layer_args *layer,
                                            const ewcl_cl_events *events)
{
    if (st == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    ewcl_status s = ewcl_events_wait(st->v.rt, events);
    if (s == EWCL_OK)
        s = accumulate_layer(st, layer);
    return ewcl_events_signal(st->v.rt, events, s);
}

static ewcl_status check_vector(const ewcl_ewc_state *st, const char *what, cl_mem buffer)
{
    return ewcl_check_buffer(st->v.rt, what, buffer, 0, st->v.n);
}

static ewcl_status consolidate(ewcl_ewc_state *st, cl_mem theta)
{
    ewcl_status s = check_vector(st, "ewc state: parameters θ", theta);
    if (s == EWCL_OK)
        s = ewcl_ewc_fold(&st->v, theta, st->config.mode, st->config.gamma, &st->residual,
                          &st->max_importance);
    if (s != EWCL_OK)
        return s;
    st->tasks++;
    /* The next task's Fisher accumulates from zero. */
    return ewcl_buffer_zero(st->v.rt, st->v.fisher, 0, st->v.n * sizeof(float));
}

ewcl_status ewcl_ewc_state_consolidate(ewcl_ewc_state *st, cl_mem theta,
                                       const ewcl_cl_events *events)
{
    if (st == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    ewcl_status s = ewcl_events_wait(st->v.rt, events);
    if (s == EWCL_OK)
        s = consolidate(st, theta);
    return ewcl_events_signal(st->v.rt, events, s);
}

ewcl_status ewcl_ewc_state_step(ewcl_ewc_state *st, cl_mem theta, cl_mem grad, float lr,
                                float weight_decay, const ewcl_cl_events *events)
{
    if (st == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    ewcl_status s = ewcl_events_wait(st->v.rt, events);
    if (s == EWCL_OK)
        s = check_vector(st, "ewc state: parameters θ", theta);
    if (s == EWCL_OK)
        s = check_vector(st, "ewc state: gradients", grad);
    if (s == EWCL_OK)
        s = ewcl_ewc_fused_step(&st->v, theta, grad, &st->config, st->tasks, lr, weight_decay);
    return ewcl_events_signal(st->v.rt, events, s);
}

ewcl_status ewcl_ewc_state_penalty(ewcl_ewc_state *st, cl_mem theta, double *value,
                                   const ewcl_cl_events *events)
{
    if (st == NULL || value == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    *value = 0.0;
    ewcl_status s = ewcl_events_wait(st->v.rt, events);
    if (s == EWCL_OK)
        s = check_vector(st, "ewc state: parameters θ", theta);
    if (s == EWCL_OK)
        s = ewcl_ewc_penalty_value(&st->v, theta, st->tasks, st->config.lambda, st->residual,
                                   value);
    return ewcl_events_signal(st->v.rt, events, s);
}

size_t ewcl_ewc_state_tasks_consolidated(const ewcl_ewc_state *st)
{
    return st != NULL ? st->tasks : 0;
}

float ewcl_ewc_state_max_importance(const ewcl_ewc_state *st)
{
    return st != NULL ? st->max_importance : 0.0f;
}

ewcl_cl_span ewcl_ewc_state_cl_span(const ewcl_ewc_state *st, ewcl_ewc_vector which)
{
    return st != NULL ? ewcl_ewc_vectors_span(&st->v, which) : (ewcl_cl_span){NULL, 0, 0};
}
