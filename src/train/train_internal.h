/* The insides of one training run, shared by the files of src/train/. */
#ifndef EWCL_TRAIN_INTERNAL_H
#define EWCL_TRAIN_INTERNAL_H

#include "ewcl/ewcl_cl.h"
#include "ewcl/train.h"
#include "runtime/rng.h"
#include "train/checkpoint_internal.h"

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
    ewcl_train_result *result;      /* being filled: its rows go into checkpoints */
    train_history history;          /* every logged point, for checkpoints */
    /* Checkpoints (src/train/train_checkpoint.c); dir NULL: none. */
    ewcl_train_checkpointing checkpointing;
    checkpoint_data_id data_id;
    uint64_t sequence;              /* of the newest checkpoint file in the folder */
    uint64_t *kept;                 /* sequences this run may remove, oldest first */
    size_t kept_count;
    uint64_t written_iteration;     /* of the last checkpoint written (UINT64_MAX: none) */
    uint8_t *snapshot;              /* the state at the last finite loss, serialised */
    size_t snapshot_size;
    uint64_t snapshot_iteration;
    double checkpoint_seconds;
    char last_checkpoint[EWCL_PATH_MAX];
    bool stopped;                   /* stop_requested ended the run */
} train_session;

/* The next batch to train: batch `batch` of epoch `epoch` of task `task`. */
typedef struct train_position {
    size_t task, epoch, batch;
} train_position;

/* Uploads the data and permutations, creates the MLP (and the EWC state when
 * consolidating) and draws the evaluation subset. On failure what was made is closed. */
ewcl_status train_session_open(train_session *session, ewcl_runtime *runtime,
                               const ewcl_idx_data *data, const ewcl_train_config *config,
                               const ewcl_train_callbacks *callbacks);
void train_session_close(train_session *session);

/* Prepares checkpointing into `k->dir` (NULL `k` or dir: none): the data's fingerprint, the
 * folder's existing checkpoints (a fresh run refuses a folder that has some). */
ewcl_status train_checkpoint_prepare(train_session *session, const ewcl_train_checkpointing *k,
                                     const ewcl_idx_data *data);
/* Continues from `ck`: parameters, EWC state, generators, order, counters, the accuracy
 * rows and history so far into the session and `result`. */
ewcl_status train_checkpoint_restore(train_session *session, const ewcl_checkpoint *ck,
                                     ewcl_train_result *result);
/* Writes a checkpoint of the state before `next` (nothing without a folder) and removes
 * the oldest beyond `keep`. */
ewcl_status train_checkpoint_write(train_session *session, const ewcl_train_result *result,
                                   train_position next);
/* Keeps the state before `next` in memory: the last state known finite. */
ewcl_status train_checkpoint_snapshot(train_session *session, const ewcl_train_result *result,
                                      train_position next);
/* Writes the snapshot when it is newer than the last checkpoint (the loss just turned
 * non-finite); a failure goes to the runtime's log as a warning, leaving the record to the
 * error that stopped the run. */
void train_checkpoint_save_snapshot(train_session *session);
void train_checkpoint_close(train_session *session);

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
