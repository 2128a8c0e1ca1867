/* Launchers of cl/ewc.cl: the pieces of the Fisher estimate, consolidation, the penalty's
 * value terms and the fused update. Each only enqueues. */
#ifndef EWCL_OPS_EWC_KERNELS_H
#define EWCL_OPS_EWC_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ops/elementwise.h"
#include "runtime/runtime_internal.h"

/* Which labels a Fisher batch uses (see cl/ewc.cl). */
typedef enum ewcl_fisher_label_mode {
    EWCL_FISHER_LABELS_TRUE = 0,
    EWCL_FISHER_LABELS_PRED = 1,
    EWCL_FISHER_LABELS_SAMPLE = 2,
    EWCL_FISHER_LABELS_ALL = 3
} ewcl_fisher_label_mode;

/* For each of `rows` logit rows: the label of `mode` into labels_out (cl_int) and the row's
 * weight into weights_out (float). `klass` is the class of mode ALL; `key` seeds mode
 * SAMPLE (element = row). */
ewcl_status ewcl_op_fisher_labels(ewcl_runtime *rt, cl_mem logits, size_t logits_offset,
                                  size_t rows, size_t classes, size_t ld,
                                  ewcl_fisher_label_mode mode, size_t klass,
                                  cl_mem true_labels, ewcl_dropout_key key, cl_mem labels_out,
                                  cl_mem weights_out);

/* out (rows × cols, dense) = scale · weights[row] · x², weights NULL = 1. */
ewcl_status ewcl_op_weighted_square(ewcl_runtime *rt, cl_mem x, size_t offset, size_t rows,
                                    size_t cols, size_t ld, cl_mem weights, float scale,
                                    cl_mem out);

/* Folds Fisher F and parameters θ (n floats each) into S, μ; terms receives each element's
 * residual increment (separate) or 0 (online). */
ewcl_status ewcl_op_ewc_consolidate(ewcl_runtime *rt, cl_mem S, cl_mem mu, cl_mem fisher,
                                    cl_mem theta, size_t n, bool online, float gamma,
                                    cl_mem terms);

/* terms = S·(θ − μ)² over n floats. */
ewcl_status ewcl_op_ewc_penalty_terms(ewcl_runtime *rt, cl_mem S, cl_mem mu, cl_mem theta,
                                      size_t n, cl_mem terms);

/* The fused step over n parameters (explicit or implicit, see cl/ewc.cl). */
ewcl_status ewcl_op_ewc_update(ewcl_runtime *rt, cl_mem theta, cl_mem grad, cl_mem S, cl_mem mu,
                               size_t n, float lr, float weight_decay, float lambda,
                               bool implicit_step);

#endif
