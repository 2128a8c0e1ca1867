/* What every host launcher of the ops layer shares: cached kernel objects, argument
 * setting, and enqueueing with the profile's work-group sizes. Ops only enqueue; nothing
 * here waits for the device. */
#ifndef EWCL_OPS_LAUNCH_H
#define EWCL_OPS_LAUNCH_H

#include <stddef.h>

#include "runtime/runtime_internal.h"

/* Sets argument `index` of `kernel` to the value of the lvalue `value`; accumulate the
 * results with |= and check once with ewcl_launch_check_args. */
#define EWCL_ARG(kernel, index, value) clSetKernelArg((kernel), (index), sizeof(value), &(value))

/* Turns an accumulated clSetKernelArg result into a status naming the kernel. */
ewcl_status ewcl_launch_check_args(ewcl_runtime *rt, cl_int rc, const char *kernel_name);

/* Enqueues `kernel` over `n` work-items in groups of the profile's 1-D size; the global
 * size is rounded up, so kernels must check their index against n. n = 0 enqueues nothing. */
ewcl_status ewcl_launch_1d(ewcl_runtime *rt, cl_kernel kernel, const char *kernel_name,
                           size_t n);

/* A 2-D range: `global` is rounded up to multiples of `local` (NULL local = the driver
 * chooses, global as given). Empty ranges enqueue nothing. */
ewcl_status ewcl_launch_2d(ewcl_runtime *rt, cl_kernel kernel, const char *kernel_name,
                           const size_t global[2], const size_t *local);

/* A 2-D range of width × rows work-items over a row-major matrix: groups run along a row as
 * far as it is wide (up to the profile's size) and stack rows when it is narrow, so that no
 * group degenerates to a sliver (tiny groups cost PoCL up to 25×). */
ewcl_status ewcl_launch_rows(ewcl_runtime *rt, cl_kernel kernel, const char *kernel_name,
                             size_t width, size_t rows);

/* Checks that `buffer` is not NULL, that floats [offset, offset + count) lie inside it, and
 * that the kernels' 32-bit index arithmetic holds; `what` names it in the message. */
ewcl_status ewcl_check_buffer(ewcl_runtime *rt, const char *what, cl_mem buffer, size_t offset,
                              size_t count);

/* Floats spanned by a rows×cols row-major matrix with row stride ld (0 when empty). */
size_t ewcl_matrix_span(size_t rows, size_t cols, size_t ld);

/* The event plumbing of the public cl-level ops (ewcl_cl_events in ewcl/ewcl_cl.h). The
 * runtime's queue is in-order, so one op of any number of kernels, GEMM engines included,
 * is bracketed by two commands instead of threading events through every launch:
 *   ewcl_events_wait   before the op's first command: a barrier on the caller's wait list
 *                      (nothing when the list is empty); clears *done first, so a failed op
 *                      never hands out a stale event. A list of events without a pointer,
 *                      or a pointer with no count, is EWCL_ERR_INVALID_ARGUMENT.
 *   ewcl_events_signal after the op: when `op_status` is EWCL_OK and the caller asked, a
 *                      marker whose event completes with everything enqueued before it.
 *                      Returns op_status when that is an error.
 * `events` may be NULL: neither waits nor signals. */
ewcl_status ewcl_events_wait(ewcl_runtime *rt, const ewcl_cl_events *events);
ewcl_status ewcl_events_signal(ewcl_runtime *rt, const ewcl_cl_events *events,
                               ewcl_status op_status);

#endif
