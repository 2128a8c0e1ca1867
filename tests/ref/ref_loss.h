/* Host reference of the loss (cl/loss.cl) in double precision, from its definition in
 * src/ops/loss.h. */
#ifndef EWCL_REF_LOSS_H
#define EWCL_REF_LOSS_H

#include <stddef.h>

/* One row of logits (`classes` values, in double so that a double-precision model can pass
 * its own; floats convert exactly) with its label, 0 ≤ label < classes:
 *   returns −log softmax(logits)[label], by a stable log-sum-exp;
 *   grad_out[c] = grad_scale·(softmax(logits)[c] − [c == label]) for c < classes, when
 *   grad_out is not NULL;
 *   *argmax_out = the index of the largest logit, the lowest on ties, when not NULL. */
double ref_softmax_nll_row(const double *logits, size_t classes, int label, double *grad_out,
                           double grad_scale, int *argmax_out);

#endif
