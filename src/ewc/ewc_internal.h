/* The EWC state's insides, shared by the files of src/ewc/. */
#ifndef EWCL_EWC_INTERNAL_H
#define EWCL_EWC_INTERNAL_H

#include "ewcl/ewc.h"
#include "nn/mlp_internal.h"

struct ewcl_ewc {
    ewcl_mlp *mlp;
    ewcl_runtime *rt;
    ewcl_ewc_config config;
    size_t n;          /* parameters */
    cl_mem fisher;     /* the last estimate F_t */
    cl_mem S, mu;      /* summed Fisher and its weighted mean anchor (M = S·μ) */
    cl_mem terms;      /* n floats of scratch for reductions */
    cl_mem reduced;    /* one float: the last reduction */
    double residual;   /* R: separate mode's constant part of the penalty */
    cl_mem reduce_scratch;
    /* Fisher batch scratch: squared layer inputs and outputs, labels, row weights */
    cl_mem square_x, square_delta, labels, weights;
    size_t tasks;      /* consolidated so far */
    float max_importance;
    bool fisher_ready;
    ewcl_fisher_stats *stats; /* per layer, of the last estimate */
};

/* The consolidated state of an EWC object beside its two vectors: what a checkpoint saves
 * and restores (src/ewc/ewc_state.c). The last Fisher estimate is not part of it: every
 * estimate starts from zero and is folded in at once. */
typedef struct ewc_saved_state {
    size_t tasks;          /* consolidated so far */
    double residual;       /* separate mode's constant part of the penalty */
    float max_importance;  /* max(S) */
} ewc_saved_state;

/* Host copies of S and μ (ewc->n floats each) and the scalars. Reads block. */
ewcl_status ewc_state_read(ewcl_ewc *ewc, float *S, float *mu, ewc_saved_state *out);
/* Replaces S, μ and the scalars; the next step uses them. */
ewcl_status ewc_state_write(ewcl_ewc *ewc, const float *S, const float *mu,
                            const ewc_saved_state *state);

#endif
