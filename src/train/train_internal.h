/* The insides of one training run, shared by the files of src/train/. */
#ifndef EWCL_TRAIN_INTERNAL_H
#define EWCL_TRAIN_INTERNAL_H

#include "ewcl/ewcl_cl.h"
#include "ewcl/train.h"
#include "runtime/rng.h"

/* Where the run's time goes. Switching phase first waits for the queue, so work enqueued
 * in one phase is charged to it and not to the next. */
typedef enum train_phase {
    TRAIN_PHASE_SETUP = 0,
    TRAIN_PHASE_TRAIN,
    TRAIN_PHASE_FISHER,
    TRAIN_PHASE_EVAL,
    TRAIN_PHASE_COUNT
} train_phase;

typedef struct train_clock {
    double seconds[TRAIN_PHASE_COUNT];
    double since; /* when the current phase began */
    train_phase current;
} train_clock;

void train_clock_start(train_clock *clock);
ewcl_status train_clock_switch(train_clock *clock, ewcl_runtime *runtime, train_phase next);
/* Seconds spent in `phase` so far, the running stretch included (without waiting). */
double train_clock_seconds(const train_clock *clock, train_phase phase);

/* Checks the settings against each other and the data, into the runtime's record. */
ewcl_status train_config_check(ewcl_runtime *runtime, const ewcl_train_config *config,
                               const ewcl_idx_data *data);

/* Everything a run holds on the device and the host. */
typedef struct train_session {
    ewcl_runtime *rt;
    const ewcl_train_config *config;
    ewcl_train_callbacks callbacks; /* all NULL when the caller gave none */
    ewcl_dataset *train, *test;
    cl_mem *permutations;           /* one per task, on the device */
    ewcl_mlp *mlp;
    ewcl_ewc *ewc;                  /* only when consolidating */
    size_t eval_batch;              /* the MLP's max_batch */
    uint32_t *order;                /* the training set's indices, reshuffled every epoch */
    uint32_t *pool;                 /* scratch for drawing the Fisher subsets */
    uint32_t *eval_subset;          /* test_size test indices, the same at every evaluation */
    uint32_t *test_all;             /* every test index */
    double *scratch_accuracy;       /* task_count entries */
    double mean, std;               /* the normalisation in use */
    ewcl_rng shuffle_rng, fisher_rng;
    train_clock clock;
    uint64_t iteration, train_images;
} train_session;

/* Uploads the data and permutations, creates the MLP (and the EWC state when
 * consolidating) and draws the evaluation subset. On failure what was made is closed. */
ewcl_status train_session_open(train_session *session, ewcl_runtime *runtime,
                               const ewcl_idx_data *data, const ewcl_train_config *config,
                               const ewcl_train_callbacks *callbacks);
void train_session_close(train_session *session);

/* `count` random indices of 0 … n−1 without repetition, the first `count` of `pool`
 * (n entries), drawn by a partial Fisher–Yates shuffle. */
void train_draw_subset(ewcl_rng *rng, uint32_t *pool, size_t n, size_t count);

/* Accuracy of the model (evaluation mode) on the test images `indices` of `task`. */
ewcl_status train_evaluate(train_session *session, size_t task, const uint32_t *indices,
                           size_t count, double *accuracy);

/* The Fisher of `task` from a fresh random subset of its training images, then
 * consolidation. */
ewcl_status train_consolidate(train_session *session, size_t task);

#endif
