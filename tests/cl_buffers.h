/* Helpers for tests that act as an OpenCL application beside ewcl: buffers of their own on
 * the runtime's context, filled and read with plain OpenCL calls, not through ewcl. */
#ifndef EWCL_TEST_CL_BUFFERS_H
#define EWCL_TEST_CL_BUFFERS_H

#include <check.h>
#include <stddef.h>

#include "ewcl/ewcl_cl.h"

/* Fails the test with the runtime's message unless `call` returns EWCL_OK. */
#define CK_OK(rt, call)                                                                       \
    do {                                                                                      \
        const ewcl_status ck_status_ = (call);                                                \
        ck_assert_msg(ck_status_ == EWCL_OK, "%s: %s", #call,                                 \
                      ewcl_runtime_error(rt)->message);                                       \
    } while (0)

/* A new buffer of `bytes` on `context` holding a copy of `host`. */
cl_mem test_buffer_from(cl_context context, const void *host, size_t bytes);

/* Blocking read of `count` floats from element `offset` of `buffer`, on `queue`, after
 * `wait` (may be NULL): the returned array is malloc'd. */
float *test_buffer_read(cl_command_queue queue, cl_mem buffer, size_t offset, size_t count,
                        cl_event wait);

/* n floats uniform in [lo, hi), repeatable from `seed`. */
float *test_random_floats(size_t n, unsigned seed, float lo, float hi);

#endif
