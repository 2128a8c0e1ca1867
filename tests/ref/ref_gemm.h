/* Host reference of the matrix product, in double precision, written from the definition
 * (the triple loop), independently of cl/gemm.cl. Storage as in src/ops/gemm.h: row-major,
 * the pointers already at the matrices' first elements, leading dimensions in floats. */
#ifndef EWCL_REF_GEMM_H
#define EWCL_REF_GEMM_H

#include <stdbool.h>
#include <stddef.h>

/* out(i,j) = alpha·Σ_p op(A)(i,p)·op(B)(p,j) + beta·C(i,j), with out dense m×n (row i at
 * out + i·n). As in BLAS, alpha = 0 does not read a and b, and beta = 0 does not read c
 * (which may then be NULL). When `scale` is not NULL it receives, per element, the size
 * of what was summed, |alpha|·Σ_p |op(A)(i,p)|·|op(B)(p,j)| + |beta|·|C(i,j)|: the
 * yardstick of rounding error. */
void ref_gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, double alpha,
              const float *a, size_t lda, const float *b, size_t ldb, double beta,
              const float *c, size_t ldc, double *out, double *scale);

#endif
