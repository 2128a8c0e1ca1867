/* What a training run needs on the device, added up from its settings and the data's
 * shape before anything is allocated, and the check against the device's limits. */
#ifndef EWCL_TRAIN_MEMORY_H
#define EWCL_TRAIN_MEMORY_H

#include "ewcl/train.h"

/* Bytes per part of a run, as the session allocates them. Doubles, so that absurd
 * settings add up without overflowing (exact below 2^53 bytes). */
typedef struct train_memory {
    double data;       /* both sets' images, labels, pixel offsets, batch index lists */
    double tasks;      /* one pixel permutation per task */
    double model;      /* parameters and gradients */
    double batch;      /* inputs, dropped inputs, labels, activations, two delta buffers,
                          per-row loss and correct flags, for the largest batch */
    double ewc;        /* Fisher, S, mu and the penalty terms (one parameter vector each),
                          and the Fisher's per-row squares, labels and weights */
    double total;
    double largest;    /* the largest single buffer */
    const char *largest_what;
} train_memory;

/* The device memory a run of `config` on sets shaped like `data` allocates. */
void train_memory_estimate(const ewcl_train_config *config, const ewcl_idx_data *data,
                           train_memory *out);

/* Refuses, as EWCL_ERR_OUT_OF_MEMORY before anything is allocated, a run that needs more
 * than the device's global memory or a buffer larger than its largest allocation, saying
 * "needs N MiB, device has M MiB" and where the bytes go. */
ewcl_status train_memory_check(ewcl_runtime *runtime, const ewcl_train_config *config,
                               const ewcl_idx_data *data);

#endif
