/* Host launcher of cl/reduce.cl: two passes, the result left on the device. */
#include "ops/reduce.h"

#include "ops/launch.h"
#include "runtime/error_internal.h"

#define PROGRAM "reduce"

/* Work-groups of the first pass: a few per compute unit, so that every unit is busy and
 * uneven progress evens out, while the second pass stays one short work-group. */
#define GROUPS_PER_COMPUTE_UNIT 4
#define MAX_GROUPS 1024

size_t ewcl_op_reduce_scratch_floats(const ewcl_runtime *rt)
{
    const size_t groups = (size_t)rt->device.compute_units * GROUPS_PER_COMPUTE_UNIT;
    return groups == 0 ? 1 : groups < MAX_GROUPS ? groups : MAX_GROUPS;
}

/* Pass 1: `groups` work-groups leave their partial sums in scratch[0 … groups). */
static ewcl_status launch_partial(ewcl_runtime *rt, cl_mem x, size_t offset, size_t n,
                                  bool square, cl_mem scratch, size_t groups)
{
    static const char name[] = "ewcl_reduce_partial";
    cl_kernel kernel = NULL;
    ewcl_status status = ewcl_runtime_kernel(rt, PROGRAM, name, &kernel);
    if (status != EWCL_OK)
        return status;
    const size_t local = rt->profile.work_group_size;
    const cl_uint off = (cl_uint)offset, count = (cl_uint)n, sq = square;
    cl_int rc = EWCL_ARG(kernel, 0, x);
    rc |= EWCL_ARG(kernel, 1, off);
    rc |= EWCL_ARG(kernel, 2, count);
    rc |= EWCL_ARG(kernel, 3, sq);
    rc |= EWCL_ARG(kernel, 4, scratch);
    rc |= clSetKernelArg(kernel, 5, local * sizeof(float), NULL);
    status = ewcl_launch_check_args(rt, rc, name);
    return status == EWCL_OK ? ewcl_launch_1d(rt, kernel, name, groups * local) : status;
}

/* Pass 2: one work-group adds the partials into out[out_offset]. */
static ewcl_status launch_final(ewcl_runtime *rt, cl_mem scratch, size_t groups, cl_mem out,
                                size_t out_offset)
{
    static const char name[] = "ewcl_reduce_final";
    cl_kernel kernel = NULL;
    ewcl_status status = ewcl_runtime_kernel(rt, PROGRAM, name, &kernel);
    if (status != EWCL_OK)
        return status;
    const size_t local = rt->profile.work_group_size;
    const cl_uint count = (cl_uint)groups, off = (cl_uint)out_offset;
    cl_int rc = EWCL_ARG(kernel, 0, scratch);
    rc |= EWCL_ARG(kernel, 1, count);
    rc |= EWCL_ARG(kernel, 2, out);
    rc |= EWCL_ARG(kernel, 3, off);
    rc |= clSetKernelArg(kernel, 4, local * sizeof(float), NULL);
    status = ewcl_launch_check_args(rt, rc, name);
    return status == EWCL_OK ? ewcl_launch_1d(rt, kernel, name, local) : status;
}

ewcl_status ewcl_op_reduce(ewcl_runtime *rt, cl_mem x, size_t offset, size_t n, bool square,
                           cl_mem scratch, cl_mem out, size_t out_offset)
{
    /* No more groups than the data fills (a work-item takes 16 floats at a time): small
     * vectors (a batch's losses) take one group, and n = 0 takes none (the total is 0). */
    const size_t per_group = 16 * rt->profile.work_group_size;
    const size_t needed = (n + per_group - 1) / per_group,
                 most = ewcl_op_reduce_scratch_floats(rt);
    const size_t groups = needed < most ? needed : most;
    ewcl_status status = ewcl_check_buffer(rt, "reduce out", out, out_offset, 1);
    if (status == EWCL_OK)
        status = ewcl_check_buffer(rt, "reduce scratch", scratch, 0, most);
    if (status == EWCL_OK && n > 0)
        status = ewcl_check_buffer(rt, "reduce x", x, offset, n);
    if (status == EWCL_OK && groups > 0)
        status = launch_partial(rt, x, offset, n, square, scratch, groups);
    if (status == EWCL_OK)
        status = launch_final(rt, scratch, groups, out, out_offset);
    return status;
}
