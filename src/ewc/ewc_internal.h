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

#endif
