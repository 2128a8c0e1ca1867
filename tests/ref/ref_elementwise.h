/* Host references of the element-wise ops (cl/elementwise.cl) in double precision, from
 * their definitions in src/ops/elementwise.h. Matrices are row-major with row stride ld;
 * outputs are doubles laid out like the inputs, and only the rows×cols part is written. */
#ifndef EWCL_REF_ELEMENTWISE_H
#define EWCL_REF_ELEMENTWISE_H

#include <stddef.h>
#include <stdint.h>

/* Whether dropout keeps `element` (= row·cols + col of the masked matrix, < 2^34): word
 * element % 4 of Philox-4x32-10 at counter (element / 4, stream, step low, step high) and
 * key (seed low, seed high), kept when its uniform (top 24 bits / 2^24) is ≥ p. 1 = kept. */
int ref_dropout_keep(uint64_t seed, uint32_t stream, uint64_t step, uint64_t element, double p);

/* The factor kept elements are multiplied by: 1/(1−p) (inverted dropout; 1 for p = 0). */
double ref_dropout_scale(double p);

/* out = drop(act(y + bias)) over rows×cols: bias (cols floats) skipped when NULL, act is
 * ReLU when `relu` (NaN passes through), drop zeroes the elements ref_dropout_keep rejects
 * and scales the others by ref_dropout_scale(p); p = 0 leaves every element as it is. */
void ref_bias_relu_dropout(const float *y, size_t rows, size_t cols, size_t ld,
                           const float *bias, int relu, double p, uint64_t seed,
                           uint32_t stream, uint64_t step, double *out);

/* out[i] = a[i] > 0 ? g[i]·ref_dropout_scale(p) : 0 over count elements: the backward of a
 * ReLU + dropout layer from its forward output a. */
void ref_relu_dropout_backward(const float *a, const float *g, size_t count, double p,
                               double *out);

/* out[j] = Σ_i dz[i·ld + j] for j < cols, i < rows. */
void ref_column_sum(const float *dz, size_t rows, size_t cols, size_t ld, double *out);

/* out[i] = θ[i] − lr·(g[i] + wd·θ[i]) over count elements: SGD with weight decay. */
void ref_sgd_update(const float *theta, const float *grad, size_t count, double lr,
                    double weight_decay, double *out);

#endif
