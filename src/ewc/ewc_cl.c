/* ewcl_ewc for OpenCL pipelines: its vectors as spans, and training steps on batches in the
 * caller's buffers (ewcl/ewcl_cl.h). */
#include "ewc/ewc_core.h"
#include "ewc/ewc_internal.h"
#include "ops/launch.h"
#include "runtime/error_internal.h"

ewcl_cl_span ewcl_ewc_cl_span(const ewcl_ewc *e, ewcl_ewc_vector which)
{
    if (e == NULL)
        return (ewcl_cl_span){NULL, 0, 0};
    const ewcl_ewc_vectors v = ewcl_ewc_vectors_of(e);
    return ewcl_ewc_vectors_span(&v, which);
}

ewcl_status ewcl_ewc_train_step_cl(ewcl_ewc *e, const ewcl_cl_batch *batch, uint64_t step,
                                   float lr, float weight_decay, const ewcl_cl_events *events)
{
    if (e == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    ewcl_status s = ewcl_events_wait(e->rt, events);
    if (s == EWCL_OK && (batch == NULL || batch->labels == NULL))
        s = EWCL_FAIL(&e->rt->error, EWCL_ERR_INVALID_ARGUMENT,
                      "ewc: a training step needs a batch with labels");
    if (s == EWCL_OK)
        s = ewcl_mlp_set_batch_cl(e->mlp, batch, NULL);
    if (s == EWCL_OK)
        s = ewcl_ewc_train_step(e, batch->rows, step, lr, weight_decay);
    return ewcl_events_signal(e->rt, events, s);
}
