/* Matrix products: the engines behind ewcl_gemm (declared with ewcl_gemm_args in
 * include/ewcl/ewcl_cl.h).
 *
 * Row-major, C = alpha·op(A)·op(B) + beta·C, op ∈ {none, transpose}. op(A) is m×k and
 * op(B) k×n; C is m×n. Storage (row-major, element offsets and leading dimensions in
 * floats):
 *   A not transposed: m×k, A(i,p) = a[a_offset + i·lda + p], lda ≥ k
 *   A transposed:     k×m, op(A)(i,p) = a[a_offset + p·lda + i], lda ≥ m
 *   B not transposed: k×n, B(p,j) = b[b_offset + p·ldb + j], ldb ≥ n
 *   B transposed:     n×k, op(B)(p,j) = b[b_offset + j·ldb + p], ldb ≥ k
 *   C:                m×n, C(i,j) = c[c_offset + i·ldc + j], ldc ≥ n
 * beta = 0 means C is not read (so NaN or garbage in C does not survive), as in BLAS; k = 0
 * scales C by beta. Any m, n, k ≥ 0; m = 0 or n = 0 does nothing.
 *
 * Two engines do it: the project's cl/gemm.cl (native) and CLBlast. ewcl_gemm picks one per
 * device (the profile's choice, or the caller's). */
#ifndef EWCL_OPS_GEMM_H
#define EWCL_OPS_GEMM_H

#include <stddef.h>

#include "runtime/runtime_internal.h"

/* The engine EWCL_GEMM_AUTO means on this runtime: the profile's choice, or, where the
 * profile leaves it open, the faster engine in a short timed probe (remembered in the
 * cache folder, so it runs once per device). */
ewcl_status ewcl_gemm_choose_engine(ewcl_runtime *rt, ewcl_gemm_engine *out);

/* The engines, called by ewcl_gemm with validated arguments. */
ewcl_status ewcl_gemm_native(ewcl_runtime *rt, const ewcl_gemm_args *args);
ewcl_status ewcl_gemm_clblast(ewcl_runtime *rt, const ewcl_gemm_args *args);

#endif
