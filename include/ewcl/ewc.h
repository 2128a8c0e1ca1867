/* ewcl — the ewc layer: Elastic Weight Consolidation for an MLP (Kirkpatrick et al., PNAS
 * 2017), on the device, in memory that does not grow with the number of tasks.
 *
 * After a task: estimate the diagonal Fisher F of that task's log-likelihood from N of its
 * samples, then consolidate it with the current parameters θ*. Later training adds the
 * penalty (λ/2)·Σ_t Σ_i F_t,i·(θ_i − θ*_t,i)² — note the 1/2 — whose gradient joins every
 * update in one fused kernel.
 *
 * Modes: separate (the paper: one penalty per past task, kept as the sums S = Σ F_t,
 * M = Σ F_t·θ*_t and a scalar), online (Schwarz et al. 2018: F̃ ← γ·F̃ + F_t, θ* ← θ) and
 * overwrite (only the latest task, what pytorch-ewc does: online with γ = 0).
 *
 *   ewcl_ewc_config cfg;
 *   ewcl_ewc_config_default(&cfg);           // separate, λ 40, true labels, dropout off
 *   ewcl_ewc *ewc = NULL;
 *   ewcl_ewc_create(mlp, &cfg, &ewc);
 *   ...train task 1 with ewcl_ewc_train_step(ewc, batch, step, lr, wd)...
 *   ewcl_ewc_estimate_fisher(ewc, 1024, fill_batch, task1_data);
 *   ewcl_ewc_consolidate(ewc);
 *   ...train task 2 with ewcl_ewc_train_step: now with the penalty...
 */
#ifndef EWCL_EWC_H
#define EWCL_EWC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ewcl/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ewcl_ewc_mode {
    EWCL_EWC_SEPARATE = 0, /* Σ_t F_t·(θ − θ*_t)², the paper */
    EWCL_EWC_ONLINE,       /* F̃ ← γ·F̃ + F_t, θ* ← θ */
    EWCL_EWC_OVERWRITE     /* F̃ ← F_t, θ* ← θ: pytorch-ewc */
} ewcl_ewc_mode;

typedef enum ewcl_fisher_labels {
    EWCL_FISHER_TRUE = 0, /* the data's labels: the empirical Fisher (pytorch-ewc) */
    EWCL_FISHER_SAMPLE,   /* a label drawn from the model's softmax: the paper's Fisher */
    EWCL_FISHER_PRED,     /* the model's argmax */
    EWCL_FISHER_ALL       /* the exact expectation over all classes, weighted by softmax */
} ewcl_fisher_labels;

typedef enum ewcl_penalty_step {
    EWCL_PENALTY_EXPLICIT = 0, /* θ ← θ − lr·(g + wd·θ + λ·(Sθ − M)): diverges once
                                  lr·λ·max(S) ≥ 2 */
    EWCL_PENALTY_IMPLICIT      /* the exact proximal step of the quadratic: stable for any λ */
} ewcl_penalty_step;

typedef struct ewcl_ewc_config {
    ewcl_ewc_mode mode;          /* EWCL_EWC_SEPARATE */
    float lambda;                /* 40 */
    float gamma;                 /* 1.0: online mode's decay */
    ewcl_fisher_labels labels;   /* EWCL_FISHER_TRUE */
    bool fisher_dropout;         /* false: estimate in evaluation mode */
    ewcl_penalty_step step;      /* EWCL_PENALTY_EXPLICIT */
    uint64_t seed;               /* label draws of EWCL_FISHER_SAMPLE (and Fisher dropout) */
} ewcl_ewc_config;

EWCL_API void ewcl_ewc_config_default(ewcl_ewc_config *config);

typedef struct ewcl_ewc ewcl_ewc;

/* EWC state for `mlp`'s parameters (same layout), initially with no task consolidated. */
EWCL_API ewcl_status ewcl_ewc_create(ewcl_mlp *mlp, const ewcl_ewc_config *config,
                                     ewcl_ewc **out);
EWCL_API void ewcl_ewc_destroy(ewcl_ewc *ewc);

/* Fills the MLP's batch (inputs and labels, e.g. with ewcl_mlp_set_batch or on the device)
 * with samples [first, first + count) of the task just learned. */
typedef ewcl_status (*ewcl_fill_batch_fn)(void *user, ewcl_mlp *mlp, size_t first,
                                          size_t count);

/* The diagonal Fisher of the task from `samples` samples, in batches of the MLP's
 * max_batch (the last one smaller), with no per-sample loop: per layer
 * F(W) = (1/N)·(a∘a)ᵀ(δ∘δ), F(b) = (1/N)·Σ δ∘δ, δ the per-sample gradient of the
 * log-likelihood at the layer's output. `available` is how many samples the task has:
 * asking for more is EWCL_ERR_INVALID_ARGUMENT. In pytorch_ewc_compat mode the hidden
 * layers share one block, whose estimate is the sum over those layers of each one's
 * squared per-sample gradient — not the square of their sum, which would need a per-sample
 * loop: an approximation of pytorch-ewc's Fisher for that block only. */
EWCL_API ewcl_status ewcl_ewc_estimate_fisher(ewcl_ewc *ewc, size_t samples, size_t available,
                                              ewcl_fill_batch_fn fill, void *user);

/* Sum, maximum and zero entries of the last Fisher estimate, for one layer's weights and
 * bias together. */
typedef struct ewcl_fisher_stats {
    double sum;
    float max;
    size_t zeros;
    size_t count;
} ewcl_fisher_stats;
EWCL_API ewcl_status ewcl_ewc_fisher_stats(ewcl_ewc *ewc, size_t layer, ewcl_fisher_stats *out);

/* Folds the last Fisher estimate and the MLP's current parameters into the penalty.
 * Returns EWCL_OK; when lr·λ·max(S) ≥ 2 for `lr` the explicit step would diverge, and a
 * warning naming the largest stable λ and lr goes to the runtime's log (the implicit step
 * is stable for any λ). */
EWCL_API ewcl_status ewcl_ewc_consolidate(ewcl_ewc *ewc, float lr);
EWCL_API size_t ewcl_ewc_tasks_consolidated(const ewcl_ewc *ewc);
/* max(S): the largest summed Fisher entry, which bounds the explicit step's stability. */
EWCL_API float ewcl_ewc_max_importance(const ewcl_ewc *ewc);

/* The SGD step with weight decay and, once a task is consolidated and λ > 0, the penalty's
 * pull (explicit or implicit), in one kernel; plain SGD otherwise. */
EWCL_API ewcl_status ewcl_ewc_step(ewcl_ewc *ewc, float lr, float weight_decay);
/* forward (train) + loss + backward + ewcl_ewc_step; nothing is read back. */
EWCL_API ewcl_status ewcl_ewc_train_step(ewcl_ewc *ewc, size_t batch, uint64_t step, float lr,
                                         float weight_decay);

/* The penalty's value (λ/2)·(Σ S(θ − μ)² + R) at the current parameters: a reduction on
 * the device and one read; call it only when logging. 0 before any consolidation. */
EWCL_API ewcl_status ewcl_ewc_penalty(ewcl_ewc *ewc, double *value);

#ifdef __cplusplus
}
#endif
#endif
