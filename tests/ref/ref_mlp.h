/* Host reference of the whole MLP in double precision: layout, forward (with the same
 * Philox dropout masks as the device), mean cross-entropy, and backward. Written from the
 * definitions in include/ewcl/nn.h, independently of src/nn/. */
#ifndef EWCL_REF_MLP_H
#define EWCL_REF_MLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REF_MLP_MAX_LAYERS 16

typedef struct ref_mlp {
    size_t layer_count;
    size_t in[REF_MLP_MAX_LAYERS], out[REF_MLP_MAX_LAYERS];
    size_t weight_offset[REF_MLP_MAX_LAYERS], bias_offset[REF_MLP_MAX_LAYERS];
    double dropout_after[REF_MLP_MAX_LAYERS]; /* in training, after layer l's ReLU */
    double pixel_dropout;                     /* in training, on the inputs */
    size_t parameter_count;
    uint64_t seed;
} ref_mlp;

/* The network nn.h describes for these sizes (compat: pytorch-ewc's shared hidden block
 * and dropout placement). */
void ref_mlp_init(ref_mlp *r, size_t input, size_t hidden, size_t hidden_layer_num,
                  size_t output, double input_dropout, double hidden_dropout, uint64_t seed,
                  bool compat);

/* Mean cross-entropy of a batch; fills grad (parameter_count doubles, may be NULL) with its
 * gradient and logits (batch × output, may be NULL). `train` applies the dropout masks of
 * training step `step`. */
double ref_mlp_loss(const ref_mlp *r, const double *params, const float *inputs,
                    const int32_t *labels, size_t batch, bool train, uint64_t step,
                    double *grad, double *logits);

#endif
