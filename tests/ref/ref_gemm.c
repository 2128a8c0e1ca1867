/* The matrix product by its definition, in double precision. */
#include "ref/ref_gemm.h"

#include <math.h>

static double element(const float *x, size_t ld, bool transposed, size_t row, size_t col)
{
    return transposed ? x[col * ld + row] : x[row * ld + col];
}

void ref_gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, double alpha,
              const float *a, size_t lda, const float *b, size_t ldb, double beta,
              const float *c, size_t ldc, double *out, double *scale)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double sum = 0.0, magnitude = 0.0;
            for (size_t p = 0; alpha != 0.0 && p < k; p++) {
                const double x = element(a, lda, trans_a, i, p);
                const double y = element(b, ldb, trans_b, p, j);
                sum += x * y;
                magnitude += fabs(x * y);
            }
            const double old = beta == 0.0 ? 0.0 : c[i * ldc + j];
            out[i * n + j] = alpha * sum + beta * old;
            if (scale != NULL)
                scale[i * n + j] = fabs(alpha) * magnitude + fabs(beta) * fabs(old);
        }
}
