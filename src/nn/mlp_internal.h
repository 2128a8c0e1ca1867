/* The MLP's insides, shared by the files of src/nn/. */
#ifndef EWCL_MLP_INTERNAL_H
#define EWCL_MLP_INTERNAL_H

#include "ewcl/ewcl_cl.h"
#include "runtime/runtime_internal.h"

/* One linear layer in the forward order, with what follows it. */
typedef struct mlp_layer_plan {
    ewcl_mlp_layer shape;
    bool relu;             /* hidden layers: ReLU, then dropout */
    float train_dropout;   /* dropout after this layer's activation, in training */
    size_t input_act;      /* offset in `acts` of this layer's input (SIZE_MAX = inputs) */
    size_t output_act;     /* offset in `acts` of its output (pre-activation, then output) */
    bool shares_later;     /* a later layer uses the same parameters (compat mode) */
} mlp_layer_plan;

struct ewcl_mlp {
    ewcl_runtime *rt;
    ewcl_mlp_config config;
    size_t layer_count;
    mlp_layer_plan *layers;
    size_t parameter_count;
    size_t max_width;       /* widest layer input or output: sizes the gradient buffers */
    cl_mem parameters, gradients;
    cl_mem inputs;          /* max_batch × input_size */
    cl_mem labels;          /* max_batch cl_int */
    cl_mem dropped_inputs;  /* max_batch × input_size: inputs after input dropout */
    cl_mem acts;            /* every layer's output, max_batch rows each */
    cl_mem deltas[2];       /* ping-pong gradients w.r.t. layer outputs */
    cl_mem loss_rows, correct_rows, reduce_scratch, loss_sums; /* loss_sums: loss, correct */
    bool forward_trained;   /* the last forward pass applied dropout */
};

/* Called by ewcl_mlp_backward_visit for each layer, last to first, with the layer's input
 * x (batch rows at x_offset, row stride = its `in`) and δ, the per-row gradient at its
 * output (batch × out, dense). */
typedef ewcl_status (*ewcl_mlp_layer_visitor)(void *user, ewcl_mlp *m, size_t layer,
                                              size_t batch, cl_mem x, size_t x_offset,
                                              cl_mem delta);

/* The backward pass of the last forward pass, handing each layer's (x, δ) to `visit`
 * instead of forming parameter gradients (ewcl_mlp_backward's visitor does that; the
 * Fisher estimate squares them). Starts from the logits' gradient in deltas[0]. */
ewcl_status ewcl_mlp_backward_visit(ewcl_mlp *m, size_t batch, ewcl_mlp_layer_visitor visit,
                                    void *user);

/* The loss of the last forward pass against `labels` (cl_int per row), and, when
 * `gradient`, grad_scale·(softmax − onehot) into deltas[0] for the backward pass. */
ewcl_status ewcl_mlp_output_gradient(ewcl_mlp *m, size_t batch, cl_mem labels,
                                     float grad_scale, bool gradient);

/* Xavier-normal weights, zero biases, from the config's seed (src/nn/mlp_init.c). */
ewcl_status ewcl_mlp_init_parameters(ewcl_mlp *mlp);

#endif
