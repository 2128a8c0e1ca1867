/* Device buffers of floats (and ints) for the layers above ops: create, copy in and out,
 * fill. Reads block; writes and fills are enqueued in order. */
#ifndef EWCL_OPS_BUFFER_H
#define EWCL_OPS_BUFFER_H

#include <stddef.h>

#include "runtime/runtime_internal.h"

ewcl_status ewcl_buffer_create(ewcl_runtime *rt, size_t bytes, cl_mem *out);
void ewcl_buffer_release(cl_mem buffer);

/* Copies host → device without waiting (the host memory must stay valid until the queue
 * reaches the copy, so pass blocking = true for stack or temporary memory). */
ewcl_status ewcl_buffer_write(ewcl_runtime *rt, cl_mem buffer, size_t offset_bytes,
                              size_t bytes, const void *host, bool blocking);
/* Copies device → host and waits. */
ewcl_status ewcl_buffer_read(ewcl_runtime *rt, cl_mem buffer, size_t offset_bytes,
                             size_t bytes, void *host);
/* Sets `bytes` bytes at `offset_bytes` to zero (both multiples of 4), with a kernel. */
ewcl_status ewcl_buffer_zero(ewcl_runtime *rt, cl_mem buffer, size_t offset_bytes,
                             size_t bytes);
/* Copies between device buffers. */
ewcl_status ewcl_buffer_copy(ewcl_runtime *rt, cl_mem from, size_t from_offset_bytes,
                             cl_mem to, size_t to_offset_bytes, size_t bytes);

#endif
