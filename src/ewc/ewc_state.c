/* The EWC state as host data, for checkpoints: S and μ with the scalars that go with them,
 * read back and written again bit for bit. */
#include "ewc/ewc_internal.h"
#include "ops/buffer.h"

ewcl_status ewc_state_read(ewcl_ewc *e, float *S, float *mu, ewc_saved_state *out)
{
    const size_t bytes = e->n * sizeof(float);
    ewcl_status s = ewcl_buffer_read(e->rt, e->S, 0, bytes, S);
    if (s == EWCL_OK)
        s = ewcl_buffer_read(e->rt, e->mu, 0, bytes, mu);
    *out = (ewc_saved_state){e->tasks, e->residual, e->max_importance};
    return s;
}

ewcl_status ewc_state_write(ewcl_ewc *e, const float *S, const float *mu,
                            const ewc_saved_state *state)
{
    const size_t bytes = e->n * sizeof(float);
    ewcl_status s = ewcl_buffer_write(e->rt, e->S, 0, bytes, S, true);
    if (s == EWCL_OK)
        s = ewcl_buffer_write(e->rt, e->mu, 0, bytes, mu, true);
    if (s != EWCL_OK)
        return s;
    e->tasks = state->tasks;
    e->residual = state->residual;
    e->max_importance = state->max_importance;
    e->fisher_ready = false;
    return EWCL_OK;
}
