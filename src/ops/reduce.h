/* Reductions (cl/reduce.cl): the sum or sum of squares of a float vector, left on the
 * device, so that losses and norms are read back only when someone asks. */
#ifndef EWCL_OPS_REDUCE_H
#define EWCL_OPS_REDUCE_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/runtime_internal.h"

/* Floats of scratch space ewcl_op_reduce needs (one partial per work-group of pass 1). */
size_t ewcl_op_reduce_scratch_floats(const ewcl_runtime *rt);

/* out[out_offset] = Σ x[offset + i] (or Σ x², when `square`) for i < n, in two passes:
 * work-group partials into `scratch`, then one work-group over them. n = 0 gives 0. */
ewcl_status ewcl_op_reduce(ewcl_runtime *rt, cl_mem x, size_t offset, size_t n, bool square,
                           cl_mem scratch, cl_mem out, size_t out_offset);

#endif
