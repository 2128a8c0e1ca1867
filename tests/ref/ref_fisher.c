/* The per-sample loop: what pytorch-ewc does, in double precision. */
#include "ref/ref_fisher.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Adds weight·g² of sample x's gradient for `label` to fisher. */
static void add_squared_gradient(const ref_mlp *r, const double *params, const float *x,
                                 int32_t label, double weight, double *grad, double *fisher)
{
    ref_mlp_loss(r, params, x, &label, 1, false, 0, grad, NULL);
    for (size_t i = 0; i < r->parameter_count; i++)
        fisher[i] += weight * grad[i] * grad[i];
}

void ref_fisher(const ref_mlp *r, const double *params, const float *inputs,
                const int32_t *labels, size_t n, ref_fisher_mode mode, double *fisher)
{
    const size_t in = r->in[0], classes = r->out[r->layer_count - 1];
    double *grad = malloc(r->parameter_count * sizeof *grad);
    double *logits = malloc(classes * sizeof *logits);
    memset(fisher, 0, r->parameter_count * sizeof *fisher);
    for (size_t s = 0; s < n; s++) {
        const float *x = inputs + s * in;
        ref_mlp_loss(r, params, x, &labels[s], 1, false, 0, NULL, logits);
        size_t best = 0;
        double max = logits[0], sum = 0.0;
        for (size_t c = 1; c < classes; c++)
            if (logits[c] > max) {
                max = logits[c];
                best = c;
            }
        for (size_t c = 0; c < classes; c++)
            sum += exp(logits[c] - max);
        if (mode == REF_FISHER_TRUE)
            add_squared_gradient(r, params, x, labels[s], 1.0, grad, fisher);
        else if (mode == REF_FISHER_PRED)
            add_squared_gradient(r, params, x, (int32_t)best, 1.0, grad, fisher);
        else
            for (size_t c = 0; c < classes; c++)
                add_squared_gradient(r, params, x, (int32_t)c, exp(logits[c] - max) / sum, grad,
                                     fisher);
    }
    for (size_t i = 0; i < r->parameter_count; i++)
        fisher[i] /= (double)n;
    free(grad);
    free(logits);
}
