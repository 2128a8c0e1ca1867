/* Host reference of the diagonal Fisher in double precision: the per-sample loop that the
 * device's batched estimate must equal (one backward pass per sample and label). */
#ifndef EWCL_REF_FISHER_H
#define EWCL_REF_FISHER_H

#include <stddef.h>
#include <stdint.h>

#include "ref/ref_mlp.h"

typedef enum ref_fisher_mode {
    REF_FISHER_TRUE = 0, /* the sample's own label */
    REF_FISHER_PRED = 1, /* the argmax of the model's logits (lowest on ties) */
    REF_FISHER_ALL = 3   /* every class c, weighted by softmax_c */
} ref_fisher_mode;

/* fisher[i] = (1/n)·Σ_samples Σ_labels weight·(∂ log p(label | x) / ∂θ_i)², evaluated
 * without dropout; fisher holds r->parameter_count doubles. */
void ref_fisher(const ref_mlp *r, const double *params, const float *inputs,
                const int32_t *labels, size_t n, ref_fisher_mode mode, double *fisher);

#endif
