/* What the two EWC objects share: ewcl_ewc (bound to ewcl's MLP, src/ewc/ewc.c and
 * fisher.c) and ewcl_ewc_state (any flat parameter vector, src/ewc/ewc_lowlevel.c). Both
 * keep the same device vectors and run the same sequences of cl/ewc.cl kernels through
 * these functions, so that the MLP's EWC and the low-level API cannot drift apart. */
#ifndef EWCL_EWC_CORE_H
#define EWCL_EWC_CORE_H

#include "ewcl/ewcl_cl.h"

/* The device vectors of a consolidation state over n parameters (n floats each, from
 * offset 0) and the scratch of its reductions. */
typedef struct ewcl_ewc_vectors {
    ewcl_runtime *rt;
    size_t n;
    cl_mem fisher;         /* F: the Fisher to fold in next */
    cl_mem S, mu;          /* summed Fisher and its weighted mean anchor (M = S·μ) */
    cl_mem terms;          /* n floats of scratch */
    cl_mem reduced;        /* one float: the last reduction */
    cl_mem reduce_scratch; /* ewcl_op_reduce_scratch_floats */
} ewcl_ewc_vectors;

/* The vectors of ewcl_ewc `e` (src/ewc/ewc.c). */
ewcl_ewc_vectors ewcl_ewc_vectors_of(const ewcl_ewc *e);

/* The span of one of the vectors (n floats from offset 0). */
ewcl_cl_span ewcl_ewc_vectors_span(const ewcl_ewc_vectors *v, ewcl_ewc_vector which);

/* λ finite and ≥ 0, γ in [0, 1], known enumerations; the message names what is wrong. */
ewcl_status ewcl_ewc_check_config(ewcl_runtime *rt, const ewcl_ewc_config *config);

/* Folds F and the parameters θ (n floats) into S and μ by `mode` (gamma: online mode's
 * decay), grows *residual by separate mode's constant (online modes reset it to 0) and sets
 * *max_importance to max(S). Blocks: one reduction is read, then S. */
ewcl_status ewcl_ewc_fold(const ewcl_ewc_vectors *v, cl_mem theta, ewcl_ewc_mode mode,
                          float gamma, double *residual, float *max_importance);

/* *value = (λ/2)·(Σ S·(θ − μ)² + residual); 0 when `tasks` is 0. Blocks for one read. */
ewcl_status ewcl_ewc_penalty_value(const ewcl_ewc_vectors *v, cl_mem theta, size_t tasks,
                                   float lambda, double residual, double *value);

/* θ ← θ − lr·(g + wd·θ) with, once `tasks` > 0 and λ > 0, the penalty's pull (explicit or
 * implicit by config->step) in the same kernel; without them plain SGD, bit for bit. */
ewcl_status ewcl_ewc_fused_step(const ewcl_ewc_vectors *v, cl_mem theta, cl_mem grad,
                                const ewcl_ewc_config *config, size_t tasks, float lr,
                                float weight_decay);

/* The Fisher of one linear layer from a batch (see ewcl_ewc_layer_args):
 * F(W) += scale·(x∘x)ᵀ(w·δ∘δ), F(b) += scale·Σ_r w_r·δ_r∘δ_r, with row weights w
 * (`row_weights`, NULL = 1). square_x and square_delta are scratch of rows·in and
 * rows·out floats. */
ewcl_status ewcl_ewc_fisher_layer(ewcl_runtime *rt, ewcl_gemm_engine engine,
                                  const ewcl_ewc_layer_args *layer, cl_mem row_weights,
                                  cl_mem square_x, cl_mem square_delta, cl_mem fisher);

/* The explicit step multiplies θ − μ by (1 − lr·λ·S) each step: beyond 2 it oscillates
 * with growing amplitude. Logs a warning naming the largest stable λ and lr then. */
void ewcl_ewc_warn_if_unstable(ewcl_runtime *rt, const ewcl_ewc_config *config, float lr,
                               float max_importance);

#endif
