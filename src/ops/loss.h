/* The loss (cl/loss.cl): numerically stable log-softmax with the negative log-likelihood of
 * the true class, its gradient, and correct predictions. */
#ifndef EWCL_OPS_LOSS_H
#define EWCL_OPS_LOSS_H

#include <stddef.h>

#include "runtime/runtime_internal.h"

/* For each row i < rows of logits (row stride ld, `classes` valid columns) and its label
 * labels[i] (cl_int, 0 ≤ label < classes):
 *   loss_rows[i]    = −log softmax(logits_i)[label]   (computed as logsumexp − logit)
 *   correct_rows[i] = 1.0f when argmax(logits_i) == label (ties to the lowest index), else 0
 *   grad[i·ld + c]  = grad_scale · (softmax(logits_i)[c] − [c == label])   (skipped when
 *                     grad is NULL; columns ≥ classes are set to 0)
 * With grad_scale = 1/rows, grad is the gradient of the batch-mean loss. Finite for any
 * finite logits (e.g. ±80). loss_rows and correct_rows hold `rows` floats from offset 0. */
ewcl_status ewcl_op_softmax_nll(ewcl_runtime *rt, cl_mem logits, size_t logits_offset,
                                size_t rows, size_t classes, size_t ld, cl_mem labels,
                                size_t labels_offset, cl_mem loss_rows, cl_mem correct_rows,
                                cl_mem grad, size_t grad_offset, float grad_scale);

#endif
