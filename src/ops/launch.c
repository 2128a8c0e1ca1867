/* Shared launch helpers of the ops layer. */
#include "ops/launch.h"

#include <stdint.h>

#include "runtime/error_internal.h"

ewcl_status ewcl_launch_check_args(ewcl_runtime *rt, cl_int rc, const char *kernel_name)
{
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(&rt->error, rc, "clSetKernelArg for %s", kernel_name);
    return EWCL_OK;
}

static size_t round_up(size_t n, size_t multiple)
{
    return (n + multiple - 1) / multiple * multiple;
}

ewcl_status ewcl_launch_1d(ewcl_runtime *rt, cl_kernel kernel, const char *kernel_name,
                           size_t n)
{
    if (n == 0)
        return EWCL_OK;
    const size_t local = rt->profile.work_group_size;
    const size_t global = round_up(n, local);
    const cl_int rc =
        clEnqueueNDRangeKernel(rt->queue, kernel, 1, NULL, &global, &local, 0, NULL,
                               ewcl_trace_event(rt, kernel_name));
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(&rt->error, rc, "enqueue %s over %zu items", kernel_name, n);
    return EWCL_OK;
}

ewcl_status ewcl_launch_2d(ewcl_runtime *rt, cl_kernel kernel, const char *kernel_name,
                           const size_t global[2], const size_t *local)
{
    if (global[0] == 0 || global[1] == 0)
        return EWCL_OK;
    size_t rounded[2] = {global[0], global[1]};
    if (local != NULL) {
        rounded[0] = round_up(global[0], local[0]);
        rounded[1] = round_up(global[1], local[1]);
    }
    const cl_int rc =
        clEnqueueNDRangeKernel(rt->queue, kernel, 2, NULL, rounded, local, 0, NULL,
                               ewcl_trace_event(rt, kernel_name));
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(&rt->error, rc, "enqueue %s over %zux%zu", kernel_name, global[0],
                            global[1]);
    return EWCL_OK;
}

ewcl_status ewcl_launch_rows(ewcl_runtime *rt, cl_kernel kernel, const char *kernel_name,
                             size_t width, size_t rows)
{
    const size_t group = rt->profile.work_group_size;
    size_t local[2] = {1, 1};
    while (local[0] < width && 2 * local[0] <= group)
        local[0] *= 2;
    local[1] = group / local[0];
    const size_t global[2] = {width, rows};
    return ewcl_launch_2d(rt, kernel, kernel_name, global, local);
}

ewcl_status ewcl_check_buffer(ewcl_runtime *rt, const char *what, cl_mem buffer, size_t offset,
                              size_t count)
{
    if (buffer == NULL)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT, "%s: NULL buffer", what);
    size_t bytes = 0;
    const cl_int rc = clGetMemObjectInfo(buffer, CL_MEM_SIZE, sizeof bytes, &bytes, NULL);
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(&rt->error, rc, "%s: querying the buffer size", what);
    const size_t floats = bytes / sizeof(float);
    if (offset > floats || count > floats - offset)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "%s: floats [%zu, %zu) outside a buffer of %zu", what, offset,
                         offset + count, floats);
    if (offset + count > UINT32_MAX)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "%s: %zu floats exceed the kernels' 32-bit indexing", what,
                         offset + count);
    return EWCL_OK;
}

size_t ewcl_matrix_span(size_t rows, size_t cols, size_t ld)
{
    return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
}

ewcl_status ewcl_events_wait(ewcl_runtime *rt, const ewcl_cl_events *events)
{
    if (events == NULL)
        return EWCL_OK;
    if (events->done != NULL)
        *events->done = NULL;
    if ((events->wait_count == 0) != (events->wait == NULL))
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "events: a wait list of %u events at %p (a count needs a list, a list "
                         "needs a count)",
                         (unsigned)events->wait_count, (const void *)events->wait);
    if (events->wait_count == 0)
        return EWCL_OK;
    /* A barrier, not a marker: later commands of the in-order queue must not start before
     * the caller's events complete. */
    const cl_int rc =
        clEnqueueBarrierWithWaitList(rt->queue, events->wait_count, events->wait, NULL);
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(&rt->error, rc,
                            "waiting for the caller's %u events (they must belong to the "
                            "runtime's context)",
                            (unsigned)events->wait_count);
    return EWCL_OK;
}

ewcl_status ewcl_events_signal(ewcl_runtime *rt, const ewcl_cl_events *events,
                               ewcl_status op_status)
{
    if (op_status != EWCL_OK || events == NULL || events->done == NULL)
        return op_status;
    /* With an empty wait list the marker completes when every earlier command has. */
    const cl_int rc = clEnqueueMarkerWithWaitList(rt->queue, 0, NULL, events->done);
    if (rc != CL_SUCCESS) {
        *events->done = NULL;
        return EWCL_FAIL_CL(&rt->error, rc, "clEnqueueMarkerWithWaitList for the op's event");
    }
    return EWCL_OK;
}
