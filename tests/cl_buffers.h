/* Helpers for tests that act as an OpenCL application beside ewcl: buffers of their own on
 * the runtime's context, filled and read with plain OpenCL calls, not through ewcl. */
#ifndef EWCL_TEST_CL_BUFFERS_H
#define EWCL_TEST_CL_BUFFERS_H

#include <check.h>
#include <stddef.h>

#include "ewcl/ewcl_cl.h"

/* A new buffer of `bytes` on `context` holding a copy of `host`. */
cl_mem test_buffer_from(cl_context context, const void *host, size_t bytes);

/* Blocking read of `count` floats from element `offset` of `buffer`, on `queue`, after
 * `wait` (may be NULL): the returned array is malloc'd. */
float *test_buffer_read(cl_command_queue queue, cl_mem buffer, size_t offset, size_t count,
                        cl_event wait);

/* n floats uniform in [lo, hi), repeatable from `seed`. */
float *test_random_floats(size_t n, unsigned seed, float lo, float hi);

/* The reference counts OpenCL reports for a context and a queue. */
cl_uint test_context_references(cl_context context);
cl_uint test_queue_references(cl_command_queue queue);

/* Waits (up to 2 s) until the context and the queue have the given reference counts: PoCL
 * drops the holds of released objects from its own thread a moment later, so a count read
 * at once may be stale. The caller then asserts the counts. */
void test_wait_for_references(cl_context context, cl_uint context_count, cl_command_queue queue,
                              cl_uint queue_count);

#endif
