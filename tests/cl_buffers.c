/* Helpers for tests that act as an OpenCL application beside ewcl. */
#include "cl_buffers.h"

#include <stdlib.h>

#include "harness_cl.h"

cl_mem test_buffer_from(cl_context context, const void *host, size_t bytes)
{
    cl_int rc = CL_SUCCESS;
    cl_mem buffer = clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, bytes,
                                   (void *)host, &rc);
    ck_assert_int_eq(rc, CL_SUCCESS);
    return buffer;
}

float *test_buffer_read(cl_command_queue queue, cl_mem buffer, size_t offset, size_t count,
                        cl_event wait)
{
    float *host = malloc(count * sizeof *host);
    ck_assert_ptr_nonnull(host);
    ck_assert_int_eq(clEnqueueReadBuffer(queue, buffer, CL_TRUE, offset * sizeof *host,
                                         count * sizeof *host, host, wait != NULL ? 1 : 0,
                                         wait != NULL ? &wait : NULL, NULL),
                     CL_SUCCESS);
    return host;
}

float *test_random_floats(size_t n, unsigned seed, float lo, float hi)
{
    float *x = malloc(n * sizeof *x);
    ck_assert_ptr_nonnull(x);
    ewcl_test_fill_uniform(x, n, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * x[i];
    return x;
}
