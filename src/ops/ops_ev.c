/* The event-taking twins of the public ops that predate ewcl_cl_events: each brackets the
 * op with the caller's wait list and its own completion event (src/ops/launch.c). */
#include "data/dataset_internal.h"
#include "ops/launch.h"

ewcl_status ewcl_gemm_ev(ewcl_runtime *rt, ewcl_gemm_engine engine, const ewcl_gemm_args *args,
                         const ewcl_cl_events *events)
{
    if (rt == NULL || args == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    ewcl_status s = ewcl_events_wait(rt, events);
    if (s == EWCL_OK)
        s = ewcl_gemm(rt, engine, args);
    return ewcl_events_signal(rt, events, s);
}

ewcl_status ewcl_dataset_gather_ev(ewcl_dataset *ds, cl_mem permutation, const uint32_t *indices,
                                   size_t batch, cl_mem inputs, cl_mem labels,
                                   const ewcl_cl_events *events)
{
    if (ds == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    ewcl_status s = ewcl_events_wait(ds->rt, events);
    if (s == EWCL_OK)
        s = ewcl_dataset_gather(ds, permutation, indices, batch, inputs, labels);
    return ewcl_events_signal(ds->rt, events, s);
}
