/* The MLP in double precision, the obvious way: one layer at a time, full matrices. */
#include "ref/ref_mlp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref_elementwise.h"
#include "ref/ref_loss.h"

void ref_mlp_init(ref_mlp *r, size_t input, size_t hidden, size_t hidden_layer_num,
                  size_t output, double input_dropout, double hidden_dropout, uint64_t seed,
                  bool compat)
{
    memset(r, 0, sizeof *r);
    r->layer_count = hidden_layer_num + 2;
    r->seed = seed;
    r->pixel_dropout = compat ? 0.0 : input_dropout;
    size_t next = 0;
    for (size_t l = 0; l < r->layer_count; l++) {
        const bool first = l == 0, last = l + 1 == r->layer_count;
        r->in[l] = first ? input : hidden;
        r->out[l] = last ? output : hidden;
        if (compat && l >= 2 && !last) {
            /* pytorch-ewc repeats one module: every hidden→hidden layer is layer 1. */
            r->weight_offset[l] = r->weight_offset[1];
            r->bias_offset[l] = r->bias_offset[1];
        } else {
            r->weight_offset[l] = next;
            r->bias_offset[l] = next + r->in[l] * r->out[l];
            next = r->bias_offset[l] + r->out[l];
        }
        r->dropout_after[l] = last ? 0.0 : (compat && first) ? input_dropout : hidden_dropout;
    }
    r->parameter_count = next;
}

/* x·(keep ? 1/(1−p) : 0) with the device's mask for (stream, element). */
static double dropped(const ref_mlp *r, double x, double p, uint32_t stream, uint64_t step,
                      uint64_t element)
{
    if (p <= 0.0)
        return x;
    return ref_dropout_keep(r->seed, stream, step, element, p) ? x / (1.0 - p) : 0.0;
}

double ref_mlp_loss(const ref_mlp *r, const double *params, const float *inputs,
                    const int32_t *labels, size_t batch, bool train, uint64_t step,
                    double *grad, double *logits)
{
    const size_t L = r->layer_count;
    /* acts[0] = (dropped) inputs; acts[l + 1] = output of layer l. */
    double *acts[REF_MLP_MAX_LAYERS + 1];
    acts[0] = malloc(batch * r->in[0] * sizeof(double));
    for (size_t e = 0; e < batch * r->in[0]; e++)
        acts[0][e] = train ? dropped(r, inputs[e], r->pixel_dropout, 0, step, e) : inputs[e];
    for (size_t l = 0; l < L; l++) {
        const double *W = params + r->weight_offset[l], *b = params + r->bias_offset[l];
        const size_t in = r->in[l], out = r->out[l];
        double *y = acts[l + 1] = malloc(batch * out * sizeof(double));
        for (size_t i = 0; i < batch; i++)
            for (size_t j = 0; j < out; j++) {
                double z = b[j];
                for (size_t k = 0; k < in; k++)
                    z += acts[l][i * in + k] * W[k * out + j];
                if (l + 1 < L) {
                    z = z > 0.0 ? z : 0.0;
                    if (train)
                        z = dropped(r, z, r->dropout_after[l], (uint32_t)(1 + l), step,
                                    i * out + j);
                }
                y[i * out + j] = z;
            }
    }

    const size_t classes = r->out[L - 1];
    double *delta = calloc(batch * classes, sizeof(double));
    double loss = 0.0;
    for (size_t i = 0; i < batch; i++) {
        int argmax = 0;
        loss += ref_softmax_nll_row(acts[L] + i * classes, classes, labels[i],
                                    delta + i * classes, 1.0 / (double)batch, &argmax);
    }
    if (logits != NULL)
        memcpy(logits, acts[L], batch * classes * sizeof(double));

    if (grad != NULL) {
        memset(grad, 0, r->parameter_count * sizeof(double));
        for (size_t l = L; l-- > 0;) {
            const size_t in = r->in[l], out = r->out[l];
            double *gW = grad + r->weight_offset[l], *gb = grad + r->bias_offset[l];
            for (size_t i = 0; i < batch; i++)
                for (size_t j = 0; j < out; j++) {
                    gb[j] += delta[i * out + j];
                    for (size_t k = 0; k < in; k++)
                        gW[k * out + j] += acts[l][i * in + k] * delta[i * out + j];
                }
            if (l == 0)
                break;
            /* Through layer l's weights, then layer l−1's dropout and ReLU: the stored
             * output is positive exactly where both let the signal through. */
            const double *W = params + r->weight_offset[l];
            const double p = train ? r->dropout_after[l - 1] : 0.0;
            double *below = calloc(batch * in, sizeof(double));
            for (size_t i = 0; i < batch; i++)
                for (size_t k = 0; k < in; k++) {
                    if (acts[l][i * in + k] <= 0.0)
                        continue;
                    double sum = 0.0;
                    for (size_t j = 0; j < out; j++)
                        sum += delta[i * out + j] * W[k * out + j];
                    below[i * in + k] = sum / (1.0 - p);
                }
            free(delta);
            delta = below;
        }
    }
    free(delta);
    for (size_t l = 0; l <= L; l++)
        free(acts[l]);
    return loss / (double)batch;
}
