/* Device buffers: thin checked wrappers, so every failure names what it was doing. */
#include "ops/buffer.h"

#include "ops/launch.h"
#include "runtime/error_internal.h"

ewcl_status ewcl_buffer_create(ewcl_runtime *rt, size_t bytes, cl_mem *out)
{
    cl_int rc = CL_SUCCESS;
    /* OpenCL forbids zero-sized buffers; a 0-byte request gets a minimal one. */
    *out = clCreateBuffer(rt->context, CL_MEM_READ_WRITE, bytes > 0 ? bytes : 4, NULL, &rc);
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(&rt->error, rc, "clCreateBuffer of %zu bytes on '%s'", bytes,
                            rt->device.name);
    return EWCL_OK;
}

void ewcl_buffer_release(cl_mem buffer)
{
    if (buffer != NULL)
        clReleaseMemObject(buffer);
}

ewcl_status ewcl_buffer_write(ewcl_runtime *rt, cl_mem buffer, size_t offset_bytes,
                              size_t bytes, const void *host, bool blocking)
{
    if (bytes == 0)
        return EWCL_OK;
    const cl_int rc = clEnqueueWriteBuffer(rt->queue, buffer, blocking ? CL_TRUE : CL_FALSE,
                                           offset_bytes, bytes, host, 0, NULL,
                                           ewcl_trace_event(rt, "write"));
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(&rt->error, rc, "writing %zu bytes to the device", bytes);
    return EWCL_OK;
}

ewcl_status ewcl_buffer_read(ewcl_runtime *rt, cl_mem buffer, size_t offset_bytes,
                             size_t bytes, void *host)
{
    if (bytes == 0)
        return EWCL_OK;
    const cl_int rc = clEnqueueReadBuffer(rt->queue, buffer, CL_TRUE, offset_bytes, bytes, host,
                                          0, NULL, ewcl_trace_event(rt, "read"));
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(&rt->error, rc, "reading %zu bytes from the device", bytes);
    return EWCL_OK;
}

ewcl_status ewcl_buffer_zero(ewcl_runtime *rt, cl_mem buffer, size_t offset_bytes,
                             size_t bytes)
{
    static const char name[] = "ewcl_zero_words";
    if (bytes == 0)
        return EWCL_OK;
    if (offset_bytes % 4 != 0 || bytes % 4 != 0)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "zeroing bytes [%zu, %zu): not whole 32-bit words", offset_bytes,
                         offset_bytes + bytes);
    ewcl_status s = ewcl_check_buffer(rt, name, buffer, offset_bytes / 4, bytes / 4);
    cl_kernel kernel = NULL;
    if (s == EWCL_OK)
        s = ewcl_runtime_kernel(rt, "elementwise", name, &kernel);
    if (s != EWCL_OK)
        return s;
    const cl_uint offset = (cl_uint)(offset_bytes / 4), words = (cl_uint)(bytes / 4);
    cl_int rc = EWCL_ARG(kernel, 0, buffer);
    rc |= EWCL_ARG(kernel, 1, offset);
    rc |= EWCL_ARG(kernel, 2, words);
    s = ewcl_launch_check_args(rt, rc, name);
    return s == EWCL_OK ? ewcl_launch_1d(rt, kernel, name, words) : s;
}

ewcl_status ewcl_buffer_copy(ewcl_runtime *rt, cl_mem from, size_t from_offset_bytes,
                             cl_mem to, size_t to_offset_bytes, size_t bytes)
{
    if (bytes == 0)
        return EWCL_OK;
    const cl_int rc = clEnqueueCopyBuffer(rt->queue, from, to, from_offset_bytes,
                                          to_offset_bytes, bytes, 0, NULL,
                                          ewcl_trace_event(rt, "copy"));
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(&rt->error, rc, "copying %zu bytes on the device", bytes);
    return EWCL_OK;
}
