/* ewcl — the nn layer: a multilayer perceptron of any depth on one runtime.
 *
 * The network (pytorch-ewc's, with its defects fixed): input → dropout(p_in) →
 * [Linear → ReLU → dropout(p_hidden)] × (1 + hidden_layer_num) → Linear → logits.
 * The defaults give 1024 → 400 → 400 → 400 → 10 with distinct hidden layers (734,810
 * parameters). `pytorch_ewc_compat` reproduces pytorch-ewc instead: no dropout on the
 * pixels, "input" dropout after the first ReLU, and one weight matrix shared by all the
 * 400→400 layers (574,410 parameters).
 *
 * All parameters live in one flat device vector [W1 b1 W2 b2 … WL bL]; the gradients use
 * the same layout. Weights are stored row-major as [in × out] (a layer computes
 * y = x·W + b). Activations are allocated once for `max_batch` rows: training steps
 * allocate nothing.
 *
 *   ewcl_mlp_config cfg;
 *   ewcl_mlp_config_default(&cfg);
 *   ewcl_mlp *mlp = NULL;
 *   ewcl_mlp_create(rt, &cfg, &mlp);
 *   ewcl_mlp_set_batch(mlp, images, labels, 128);      // host floats and int labels
 *   ewcl_mlp_train_step(mlp, 128, step, 0.1f, 0.0f);   // forward, loss, backward, SGD
 *   ewcl_mlp_destroy(mlp);
 */
#ifndef EWCL_NN_H
#define EWCL_NN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ewcl/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ewcl_mlp_config {
    size_t input_size;       /* 1024: 28×28 padded to 32×32 */
    size_t hidden_size;      /* 400 */
    size_t hidden_layer_num; /* 2: the hidden→hidden layers after the first one */
    size_t output_size;      /* 10 */
    float input_dropout;     /* 0.2 */
    float hidden_dropout;    /* 0.5 */
    size_t max_batch;        /* 128: the largest batch forward/backward will see */
    uint64_t seed;           /* initial weights and dropout masks */
    bool pytorch_ewc_compat; /* pytorch-ewc's dropout placement and shared hidden weights */
    ewcl_gemm_engine gemm;   /* EWCL_GEMM_AUTO: the device profile's choice */
} ewcl_mlp_config;

EWCL_API void ewcl_mlp_config_default(ewcl_mlp_config *config);

typedef struct ewcl_mlp ewcl_mlp;

/* Allocates the parameters (Xavier-normal weights, zero biases, from `config->seed` on the
 * host, so identical on every device), gradients and activations. */
EWCL_API ewcl_status ewcl_mlp_create(ewcl_runtime *runtime, const ewcl_mlp_config *config,
                                     ewcl_mlp **out);
EWCL_API void ewcl_mlp_destroy(ewcl_mlp *mlp);

/* One linear layer's place in the flat vector; shared layers report the same offsets. */
typedef struct ewcl_mlp_layer {
    size_t in, out;
    size_t weight_offset; /* in·out floats, row-major [in × out] */
    size_t bias_offset;   /* out floats */
} ewcl_mlp_layer;

EWCL_API size_t ewcl_mlp_parameter_count(const ewcl_mlp *mlp);
EWCL_API size_t ewcl_mlp_layer_count(const ewcl_mlp *mlp);
EWCL_API ewcl_mlp_layer ewcl_mlp_layer_info(const ewcl_mlp *mlp, size_t layer);

/* Host copies of the flat vectors (count = ewcl_mlp_parameter_count). Reads block. */
EWCL_API ewcl_status ewcl_mlp_read_parameters(ewcl_mlp *mlp, float *host, size_t count);
EWCL_API ewcl_status ewcl_mlp_write_parameters(ewcl_mlp *mlp, const float *host, size_t count);
EWCL_API ewcl_status ewcl_mlp_read_gradients(ewcl_mlp *mlp, float *host, size_t count);

/* Copies a batch from the host: `batch` rows of input_size floats and `batch` labels in
 * [0, output_size). */
EWCL_API ewcl_status ewcl_mlp_set_batch(ewcl_mlp *mlp, const float *inputs,
                                        const int32_t *labels, size_t batch);

/* Forward pass over the current batch. `train` applies dropout with masks keyed by
 * (seed, layer, step); evaluation applies none. */
EWCL_API ewcl_status ewcl_mlp_forward(ewcl_mlp *mlp, size_t batch, bool train, uint64_t step);
/* Softmax cross-entropy of the logits against the batch's labels (batch mean), kept on the
 * device; with `gradient`, also the gradient of the logits for ewcl_mlp_backward. */
EWCL_API ewcl_status ewcl_mlp_loss(ewcl_mlp *mlp, size_t batch, bool gradient);
/* Gradients of the batch-mean loss for every parameter (after ewcl_mlp_loss with gradient,
 * on the activations of the last forward pass). */
EWCL_API ewcl_status ewcl_mlp_backward(ewcl_mlp *mlp, size_t batch);
/* θ ← θ − lr·(g + weight_decay·θ). */
EWCL_API ewcl_status ewcl_mlp_sgd_step(ewcl_mlp *mlp, float lr, float weight_decay);
/* forward (train) + loss with gradient + backward + SGD; nothing is read back. */
EWCL_API ewcl_status ewcl_mlp_train_step(ewcl_mlp *mlp, size_t batch, uint64_t step, float lr,
                                         float weight_decay);

/* Reads the last loss (batch mean) and the number of correct predictions (argmax, ties to
 * the lowest class); blocks. Either output may be NULL. */
EWCL_API ewcl_status ewcl_mlp_read_loss(ewcl_mlp *mlp, size_t batch, double *mean_loss,
                                        size_t *correct);
/* Reads the logits of the last forward pass: batch × output_size floats. */
EWCL_API ewcl_status ewcl_mlp_read_logits(ewcl_mlp *mlp, size_t batch, float *host);

#ifdef __cplusplus
}
#endif
#endif
