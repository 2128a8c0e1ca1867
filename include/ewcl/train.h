/* ewcl — the train layer: the continual-learning experiment of pytorch-ewc as one function.
 *
 * Tasks × epochs × shuffled batches on permuted copies of one data set: every task applies
 * its own fixed pixel permutation (the first task too). Batches are gathered on the device
 * from images that stay there; only each batch's index list crosses from the host. With
 * `consolidate`, after every task but the last (every task with `consolidate_last`) the
 * diagonal Fisher of that task is estimated and consolidated, and later training adds the
 * penalty (λ/2)·Σ F·(θ − θ*)². Accuracy is measured periodically on a fixed subset of each
 * seen task's test set, and at the end of every task on the full test set of every task:
 * the accuracy matrix R[i][j] (after task i, on task j), from which the metrics come.
 *
 *   ewcl_train_config cfg;
 *   ewcl_train_config_default(&cfg);          // pytorch-ewc's defaults
 *   cfg.consolidate = true;
 *   ewcl_train_result result;
 *   if (ewcl_train_run(rt, &data, &cfg, NULL, &result) == EWCL_OK)
 *       printf("average %.3f, BWT %.3f\n",
 *              result.average_accuracy[cfg.task_number - 1], result.bwt);
 *   else
 *       fprintf(stderr, "%s\n", ewcl_runtime_error(rt)->message);
 *   ewcl_train_result_free(&result);
 */
#ifndef EWCL_TRAIN_H
#define EWCL_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ewcl/data.h"
#include "ewcl/ewc.h"
#include "ewcl/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Configuration ------------------------------------------------------------------- */

typedef struct ewcl_train_config {
    /* The network (see ewcl_mlp_config). */
    size_t hidden_size;       /* 400 */
    size_t hidden_layer_num;  /* 2 */
    float hidden_dropout;     /* 0.5 */
    float input_dropout;      /* 0.2 */
    bool pytorch_ewc_compat;  /* false: the network as pytorch-ewc builds it (nn.h) */
    ewcl_gemm_engine gemm;    /* EWCL_GEMM_AUTO */
    /* The schedule. */
    size_t task_number;       /* 8 */
    size_t epochs_per_task;   /* 3 */
    size_t batch_size;        /* 128; each epoch's last, partial batch is trained too */
    float lr;                 /* 0.1: plain SGD */
    float weight_decay;       /* 0 */
    uint64_t seed;            /* 0: weights, dropout, permutations, shuffles, subsets */
    /* EWC. */
    bool consolidate;           /* false: the plain-SGD baseline */
    bool consolidate_last;      /* with consolidate, also after the last task, so that a
                                   later run can continue from the consolidated state */
    ewcl_ewc_config ewc;        /* ewcl_ewc_config_default (λ 40, explicit step); its
                                   seed is replaced by `seed` */
    size_t fisher_sample_size;  /* 1024 images of the task, a seeded random subset */
    /* Evaluation and logging (iterations count batches over the whole run). */
    size_t test_size;           /* 1024 test images per task at each periodic evaluation */
    size_t eval_log_interval;   /* 250; 0: evaluate only at the end of each task */
    size_t loss_log_interval;   /* 250; 0: read the loss only at the end of each task */
    size_t progress_interval;   /* 10: iterations between progress calls without losses
                                   (0: none but at epoch ends) */
    /* The inputs. */
    size_t pad;                 /* 2: pixels of 0 on each side (28×28 → 32×32) */
    double mean, std;           /* NaN (default): the training set's pixel statistics */
} ewcl_train_config;

/* pytorch-ewc's defaults (its main.py), with ewcl's fixes: separate penalties per task, the
 * Fisher in evaluation mode, distinct hidden layers, inputs normalised by the data's own
 * statistics. The penalty step stays explicit, as in the references; it diverges once
 * lr·λ·max(S) ≥ 2 (consolidation warns), and EWCL_PENALTY_IMPLICIT is stable for any λ. */
EWCL_API void ewcl_train_config_default(ewcl_train_config *config);

/* Reproduces pytorch-ewc's first three defects on top of `config`: shared hidden weights and
 * its dropout placement (pytorch_ewc_compat), only the latest task protected
 * (EWCL_EWC_OVERWRITE) and the empirical Fisher estimated with dropout on. */
EWCL_API void ewcl_train_config_pytorch_ewc(ewcl_train_config *config);

/* ---- Callbacks ----------------------------------------------------------------------- */

/* Where the run is. Tasks, epochs and batches count from 0; `iteration` counts the batches
 * trained so far over the whole run. */
typedef struct ewcl_train_progress {
    size_t task, task_count;
    size_t epoch, epoch_count;
    size_t batch, batch_count; /* batches of this epoch done so far, of how many */
    uint64_t iteration;
    bool has_losses;           /* a loss-log point: the fields below are filled */
    double precision;          /* the last batch's training accuracy */
    double cross_entropy;      /* the last batch's mean cross-entropy */
    double ewc_loss;           /* the penalty at the current parameters (0 without EWC) */
    double total_loss;         /* cross_entropy + ewc_loss */
    double train_seconds;      /* training time so far (evaluation and Fisher excluded) */
    double images_per_second;  /* training images so far / train_seconds */
} ewcl_train_progress;

/* A periodic evaluation: accuracy on the fixed test subset of each task seen so far. */
typedef struct ewcl_train_evaluation {
    size_t task;               /* the task being trained */
    uint64_t iteration;
    size_t tasks_seen;         /* task + 1 */
    const double *accuracy;    /* tasks_seen entries, valid during the call */
    size_t test_size;
} ewcl_train_evaluation;

/* The end of a task: its row of the accuracy matrix (full test sets) and what it cost. */
typedef struct ewcl_train_task_end {
    size_t task, task_count;
    const double *accuracy;    /* task_count entries R[task][0 … task_count), valid during
                                  the call; entries past `task` are tasks not yet trained */
    double average_accuracy;   /* mean of accuracy[0 … task] */
    double fisher_seconds;     /* Fisher estimate and consolidation after this task (0 when
                                  none: without consolidate, and after the last task
                                  unless consolidate_last) */
    float max_importance;      /* max of the summed Fisher S after consolidation (0: none) */
    const ewcl_fisher_stats *fisher_stats; /* per layer, of this task's Fisher estimate;
                                              NULL when none was made */
    size_t layer_count;
} ewcl_train_task_end;

typedef struct ewcl_train_callbacks {
    /* At every loss-log point (has_losses), every progress_interval iterations and at the
     * end of every epoch. */
    void (*progress)(void *user, const ewcl_train_progress *progress);
    void (*evaluation)(void *user, const ewcl_train_evaluation *evaluation);
    void (*task_end)(void *user, const ewcl_train_task_end *task_end);
    void *user;
    /* Asked after every training step (NULL: never): true ends the run there — after the
     * task's end when it was a task's last step — with a checkpoint when checkpointing
     * (ewcl_train_run_checkpointed), and result.stopped set. The caller's way to stop a run
     * from a signal handler: the library installs none. */
    bool (*stop_requested)(void *user);
} ewcl_train_callbacks;

/* ---- Running ------------------------------------------------------------------------- */

typedef struct ewcl_train_result {
    size_t task_count;
    double *accuracy;          /* task_count², R[i·task_count + j]: after task i, on the full
                                  test set of task j (j > i: a task not yet trained) */
    double *average_accuracy;  /* task_count: after task i, the mean of R[i][0 … i] */
    double *fisher_seconds;    /* task_count: Fisher estimate + consolidation after task i */
    double bwt;                /* ewcl_train_bwt of the matrix */
    double forgetting;         /* ewcl_train_forgetting of the matrix */
    double setup_seconds;      /* uploads, model creation, program builds */
    double train_seconds, fisher_seconds_total, eval_seconds, total_seconds;
    uint64_t iterations;
    uint64_t train_images;
    double images_per_second;  /* train_images / train_seconds */
    size_t parameter_count;
    float *parameters;         /* parameter_count: the final θ, [W1 b1 … WL bL] as in
                                  nn.h (compare one device's run with another's) */
    double mean, std;          /* the normalisation used */
    double checkpoint_seconds; /* writing checkpoints (not part of total_seconds) */
    bool stopped;              /* stop_requested ended the run early: rows past the last
                                  finished task are empty, the metrics not meaningful */
    char checkpoint[EWCL_PATH_MAX]; /* the last checkpoint written ("" when none) */
} ewcl_train_result;

/* Runs the experiment on `runtime` with `data` (the host sets; copied to the device, so they
 * may be freed afterwards). `callbacks` may be NULL. The run is the same, bit for bit, for
 * the same seed on the same device. Errors go to the runtime's record
 * (ewcl_runtime_error): EWCL_ERR_INVALID_ARGUMENT for a bad setting (test_size or
 * fisher_sample_size larger than the sets), EWCL_ERR_NUMERIC when a loss read at a loss-log
 * point (or at the end of a task) is not finite — the message names the task, epoch and
 * step. On success `out` holds the results (free with ewcl_train_result_free); on failure it
 * is empty. */
EWCL_API ewcl_status ewcl_train_run(ewcl_runtime *runtime, const ewcl_idx_data *data,
                                    const ewcl_train_config *config,
                                    const ewcl_train_callbacks *callbacks,
                                    ewcl_train_result *out);
/* ---- Checkpoints (include/ewcl/checkpoint.h) ----------------------------------------- */

typedef struct ewcl_checkpoint ewcl_checkpoint;

typedef struct ewcl_train_checkpointing {
    const char *dir;    /* the folder (created with its parents); NULL: no checkpoints */
    uint64_t every;     /* also every this many iterations (0: only at each task's end) */
    size_t keep;        /* 2: the newest this many are kept, older ones this run wrote (or
                           resumed from) are removed; files it could not read never are */
    const ewcl_checkpoint *resume; /* NULL: a fresh run */
} ewcl_train_checkpointing;

/* No folder, every task's end, keep 2, no resume. */
EWCL_API void ewcl_train_checkpointing_default(ewcl_train_checkpointing *checkpointing);

/* ewcl_train_run with checkpoints (`checkpointing` NULL: none). A checkpoint is written
 * after every task, every `every` iterations (but not at a task's last step: its end
 * follows), when stop_requested stops the run, and when a loss is not finite (then the
 * state at the last loss-log point whose loss was finite, unless a checkpoint already
 * holds it). A fresh run refuses a folder that already holds checkpoints
 * (EWCL_ERR_INVALID_ARGUMENT: resume from them or choose another). With `resume` the run
 * continues where the checkpoint stands; `config` must equal its configuration
 * (ewcl_checkpoint_check_config) and `data` its data. On the same device the finished run's
 * parameters and accuracy matrix are bit-identical to an uninterrupted run's; on another
 * device they agree up to rounding. A checkpoint that cannot be written is EWCL_ERR_IO
 * naming the path; the previous one stays. */
EWCL_API ewcl_status ewcl_train_run_checkpointed(ewcl_runtime *runtime,
                                                 const ewcl_idx_data *data,
                                                 const ewcl_train_config *config,
                                                 const ewcl_train_callbacks *callbacks,
                                                 const ewcl_train_checkpointing *checkpointing,
                                                 ewcl_train_result *out);

/* Frees the arrays and empties the result; NULL does nothing. */
EWCL_API void ewcl_train_result_free(ewcl_train_result *result);

/* ---- Metrics (pure; `r` is a T×T accuracy matrix, row-major, r[i·T + j]) ---------------- */

/* Mean of r[i][0 … i]: the average accuracy after task i over the tasks seen. */
EWCL_API double ewcl_train_average_accuracy(const double *r, size_t t, size_t i);
/* Backward transfer (Lopez-Paz & Ranzato 2017): (1/(T−1))·Σ_{j<T−1} (r[T−1][j] − r[j][j]),
 * negative when learning later tasks costs accuracy on earlier ones. NaN when T < 2. */
EWCL_API double ewcl_train_bwt(const double *r, size_t t);
/* Forgetting (Chaudhry et al. 2018): the mean over j < T−1 of
 * max_{j ≤ i < T−1} r[i][j] − r[T−1][j], the best accuracy a task ever had minus its final
 * one. NaN when T < 2. */
EWCL_API double ewcl_train_forgetting(const double *r, size_t t);

#ifdef __cplusplus
}
#endif
#endif
