/* Element-wise references: the definitions, one element at a time, in double. */
#include "ref/ref_elementwise.h"

#include "ref/ref_philox.h"

int ref_dropout_keep(uint64_t seed, uint32_t stream, uint64_t step, uint64_t element, double p)
{
    const uint32_t counter[4] = {(uint32_t)(element / 4), stream, (uint32_t)step,
                                 (uint32_t)(step >> 32)};
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    uint32_t words[4];
    ref_philox4x32_10(counter, key, words);
    return ref_philox_uniform(words[element % 4]) >= p;
}

double ref_dropout_scale(double p)
{
    return 1.0 / (1.0 - p);
}

void ref_bias_relu_dropout(const float *y, size_t rows, size_t cols, size_t ld,
                           const float *bias, int relu, double p, uint64_t seed,
                           uint32_t stream, uint64_t step, double *out)
{
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < cols; j++) {
            double v = (double)y[i * ld + j] + (bias != NULL ? (double)bias[j] : 0.0);
            if (relu && v < 0.0)
                v = 0.0;
            if (p > 0.0)
                v = ref_dropout_keep(seed, stream, step, (uint64_t)i * cols + j, p)
                        ? v * ref_dropout_scale(p)
                        : 0.0;
            out[i * ld + j] = v;
        }
    }
}

void ref_relu_dropout_backward(const float *a, const float *g, size_t count, double p,
                               double *out)
{
    for (size_t i = 0; i < count; i++)
        out[i] = a[i] > 0.0f ? (double)g[i] * ref_dropout_scale(p) : 0.0;
}

void ref_column_sum(const float *dz, size_t rows, size_t cols, size_t ld, double *out)
{
    for (size_t j = 0; j < cols; j++) {
        double sum = 0.0;
        for (size_t i = 0; i < rows; i++)
            sum += dz[i * ld + j];
        out[j] = sum;
    }
}

void ref_sgd_update(const float *theta, const float *grad, size_t count, double lr,
                    double weight_decay, double *out)
{
    for (size_t i = 0; i < count; i++)
        out[i] = (double)theta[i] - lr * ((double)grad[i] + weight_decay * (double)theta[i]);
}
