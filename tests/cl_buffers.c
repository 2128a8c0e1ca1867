/* Helpers for tests that act as an OpenCL application beside ewcl. */
#include "cl_buffers.h"

#include <stdlib.h>
#include <time.h>

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

cl_uint test_context_references(cl_context context)
{
    cl_uint count = 0;
    ck_assert_int_eq(clGetContextInfo(context, CL_CONTEXT_REFERENCE_COUNT, sizeof count, &count,
                                      NULL),
                     CL_SUCCESS);
    return count;
}

cl_uint test_queue_references(cl_command_queue queue)
{
    cl_uint count = 0;
    ck_assert_int_eq(clGetCommandQueueInfo(queue, CL_QUEUE_REFERENCE_COUNT, sizeof count,
                                           &count, NULL),
                     CL_SUCCESS);
    return count;
}

void test_wait_for_references(cl_context context, cl_uint context_count, cl_command_queue queue,
                              cl_uint queue_count)
{
    for (int tries = 0; tries < 200 && (test_context_references(context) != context_count ||
                                        test_queue_references(queue) != queue_count);
         tries++)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
}
