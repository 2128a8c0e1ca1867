/* The command record behind ewcl_runtime_kernel_times: with a profiling queue, every
 * launch and transfer leaves its event here, and the sum by name is taken on demand. One
 * event per command is what OpenCL offers; an epoch of the default network is ~15,000 of
 * them, so callers drain the record at least once per epoch. */
#include <stdlib.h>
#include <string.h>

#include "runtime/error_internal.h"
#include "runtime/runtime_internal.h"

cl_event *ewcl_trace_event(ewcl_runtime *rt, const char *name)
{
    if (!rt->options.profiling)
        return NULL;
    if (rt->trace_count == rt->trace_capacity) {
        const size_t capacity = rt->trace_capacity > 0 ? 2 * rt->trace_capacity : 1024;
        ewcl_trace_entry *grown = realloc(rt->trace, capacity * sizeof *grown);
        if (grown == NULL)
            return NULL;
        rt->trace = grown;
        rt->trace_capacity = capacity;
    }
    ewcl_trace_entry *e = &rt->trace[rt->trace_count++];
    e->name = name;
    e->event = NULL;
    return &e->event;
}

void ewcl_trace_clear(ewcl_runtime *rt)
{
    for (size_t i = 0; i < rt->trace_count; i++)
        if (rt->trace[i].event != NULL)
            clReleaseEvent(rt->trace[i].event);
    free(rt->trace);
    rt->trace = NULL;
    rt->trace_count = rt->trace_capacity = 0;
}

/* The entry for `name` in `t`, added when new; NULL when out of memory. Names are few (a
 * few dozen kernels), so a linear search is enough. */
static ewcl_kernel_time *entry_for(ewcl_kernel_times *t, const char *name, size_t *capacity)
{
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->entries[i].name, name) == 0)
            return &t->entries[i];
    if (t->count == *capacity) {
        *capacity = *capacity > 0 ? 2 * *capacity : 32;
        ewcl_kernel_time *grown = realloc(t->entries, *capacity * sizeof *grown);
        if (grown == NULL)
            return NULL;
        t->entries = grown;
    }
    t->entries[t->count] = (ewcl_kernel_time){name, 0, 0.0};
    return &t->entries[t->count++];
}

ewcl_status ewcl_runtime_kernel_times(ewcl_runtime *rt, ewcl_kernel_times *out)
{
    if (rt == NULL || out == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    if (!rt->options.profiling)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "kernel times need a profiling queue (options.profiling)");
    cl_int rc = clFinish(rt->queue);
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(&rt->error, rc, "clFinish before reading kernel times");
    ewcl_status s = EWCL_OK;
    size_t capacity = 0;
    cl_ulong first = 0, last = 0;
    for (size_t i = 0; i < rt->trace_count && s == EWCL_OK; i++) {
        const ewcl_trace_entry *e = &rt->trace[i];
        if (e->event == NULL)
            continue;
        cl_ulong start = 0, end = 0;
        rc = clGetEventProfilingInfo(e->event, CL_PROFILING_COMMAND_START, sizeof start, &start,
                                     NULL);
        if (rc == CL_SUCCESS)
            rc = clGetEventProfilingInfo(e->event, CL_PROFILING_COMMAND_END, sizeof end, &end,
                                         NULL);
        if (rc != CL_SUCCESS) {
            s = EWCL_FAIL_CL(&rt->error, rc, "clGetEventProfilingInfo for %s", e->name);
            break;
        }
        ewcl_kernel_time *k = entry_for(out, e->name, &capacity);
        if (k == NULL) {
            s = EWCL_FAIL(&rt->error, EWCL_ERR_OUT_OF_MEMORY, "out of memory summing kernel times");
            break;
        }
        const double seconds = end > start ? 1e-9 * (double)(end - start) : 0.0;
        k->count++;
        k->seconds += seconds;
        out->busy_seconds += seconds;
        out->commands++;
        if (out->commands == 1 || start < first)
            first = start;
        if (end > last)
            last = end;
    }
    out->span_seconds = last > first ? 1e-9 * (double)(last - first) : 0.0;
    ewcl_trace_clear(rt);
    if (s != EWCL_OK)
        ewcl_kernel_times_free(out);
    return s;
}

void ewcl_kernel_times_free(ewcl_kernel_times *times)
{
    if (times == NULL)
        return;
    free(times->entries);
    memset(times, 0, sizeof *times);
}
