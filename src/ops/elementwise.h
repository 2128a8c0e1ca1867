/* Element-wise kernels of the MLP (cl/elementwise.cl): the fused bias + ReLU + dropout of
 * the forward pass, its backward, input dropout, the bias gradient, and the SGD update. */
#ifndef EWCL_OPS_ELEMENTWISE_H
#define EWCL_OPS_ELEMENTWISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/runtime_internal.h"

/* Which Philox stream a dropout mask comes from: the same key gives the same mask on every
 * device. Element e of the masked matrix (e = row·cols + col) uses Philox-4x32-10 with
 * key (seed low 32 bits, seed high 32 bits) and counter (e / 4, stream, step low 32 bits,
 * step high 32 bits), output word e % 4; it is kept when its top 24 bits / 2^24 ≥ p. */
typedef struct ewcl_dropout_key {
    uint64_t seed;
    uint32_t stream; /* one per dropout site (layer), so sites draw independent masks */
    uint64_t step;   /* training step: a fresh mask every step */
} ewcl_dropout_key;

/* In place over y (rows×cols, row stride ld): y ← drop(act(y + bias)), where bias (cols
 * floats at bias_offset) is skipped when `bias` is NULL, act is ReLU when `relu`, and drop
 * zeroes an element with probability p and scales the kept ones by 1/(1−p) (inverted
 * dropout, as PyTorch). p = 0 applies no mask and no scale. 0 ≤ p < 1. */
ewcl_status ewcl_op_bias_relu_dropout(ewcl_runtime *rt, cl_mem y, size_t y_offset, size_t rows,
                                      size_t cols, size_t ld, cl_mem bias, size_t bias_offset,
                                      bool relu, float p, ewcl_dropout_key key);

/* Backward of the above for ReLU layers, from the layer's forward OUTPUT a: in place over
 * the gradient g (count floats), g ← (a > 0) ? g / (1−p) : 0. An element is positive after
 * ReLU and dropout exactly when it passed both, so no mask needs storing. */
ewcl_status ewcl_op_relu_dropout_backward(ewcl_runtime *rt, cl_mem a, size_t a_offset,
                                          cl_mem g, size_t g_offset, size_t count, float p);

/* out[j] (+)= Σ_i dz[i·ld + j] for j < cols, i < rows: the bias gradient. With
 * `accumulate` the sums are added to out, else they replace it. */
ewcl_status ewcl_op_column_sum(ewcl_runtime *rt, cl_mem dz, size_t dz_offset, size_t rows,
                               size_t cols, size_t ld, cl_mem out, size_t out_offset,
                               bool accumulate);

/* θ ← θ − lr·(g + wd·θ) over count floats (θ and g at the same offset): SGD with weight
 * decay as PyTorch's SGD applies it. */
ewcl_status ewcl_op_sgd_update(ewcl_runtime *rt, cl_mem theta, cl_mem grad, size_t offset,
                               size_t count, float lr, float weight_decay);

#endif
