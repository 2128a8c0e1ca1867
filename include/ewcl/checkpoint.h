/* ewcl — checkpoints of a training run: the whole state in one file, to resume from, to
 * evaluate, to move to another device.
 *
 * A checkpoint holds the format version, the configuration, the device it ran on, a
 * fingerprint of the data (counts, sizes and a CRC-32 of each set), the parameters, the EWC
 * state (S and μ with their scalars: whatever the mode keeps), every random generator's
 * state (shuffle and Fisher-subset generators; the shuffled order of the epoch under way;
 * dropout needs only the seed and the iteration), where the run is (task, epoch, batch,
 * iteration), the accuracy matrix rows so far and every logged point (losses, evaluations,
 * task ends). The file:
 *
 *   offset 0   8 bytes  magic "EWCLCKPT"
 *          8   u32      format version (EWCL_CHECKPOINT_VERSION)
 *         12   u32      CRC-32 (zlib) of the payload
 *         16   u64      payload length in bytes
 *         24   payload  little-endian fields in a fixed order (src/train/checkpoint_format.c)
 *
 * Files are named checkpoint-<sequence>.ewclckpt, the sequence counting every checkpoint
 * of a run, resumed runs included: the newest is the highest sequence. They are written
 * atomically (a temporary file in the same folder, fsync, rename, fsync of the folder), so
 * a crash leaves the previous checkpoint whole, and a name that exists is never reused.
 *
 *   ewcl_checkpoint *ck = NULL;
 *   char path[EWCL_PATH_MAX];
 *   if (ewcl_checkpoint_find("runs/a/checkpoints", NULL, NULL, &ck, path, sizeof path,
 *                            &err) == EWCL_OK && ck != NULL) {
 *       ewcl_train_checkpointing k;
 *       ewcl_train_checkpointing_default(&k);
 *       k.dir = "runs/a/checkpoints";
 *       k.resume = ck;
 *       ewcl_train_run_checkpointed(rt, &data, ewcl_checkpoint_config(ck), NULL, &k, &result);
 *   }
 *   ewcl_checkpoint_destroy(ck);
 */
#ifndef EWCL_CHECKPOINT_H
#define EWCL_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "ewcl/error.h"
#include "ewcl/train.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EWCL_CHECKPOINT_VERSION 1u
#define EWCL_CHECKPOINT_MAGIC "EWCLCKPT"
#define EWCL_CHECKPOINT_HEADER_SIZE 24u
#define EWCL_CHECKPOINT_PREFIX "checkpoint-"
#define EWCL_CHECKPOINT_SUFFIX ".ewclckpt"

/* Where the run stands in a checkpoint: the next batch to train is `batch` of epoch `epoch`
 * of task `task` (all from 0); task == task_count means the run is complete. */
typedef struct ewcl_checkpoint_position {
    size_t task, epoch, batch;
    size_t task_count;
    uint64_t iteration;     /* batches trained so far */
    size_t tasks_done;      /* rows of the accuracy matrix filled: the tasks finished */
    uint64_t sequence;      /* of this checkpoint in its run, from 1 */
} ewcl_checkpoint_position;

/* One logged point of the run, as the callbacks delivered it. */
typedef enum ewcl_train_point_kind {
    EWCL_TRAIN_POINT_LOSS = 0, /* a loss-log point */
    EWCL_TRAIN_POINT_EVAL,     /* a periodic evaluation on the test subsets */
    EWCL_TRAIN_POINT_TASK_END  /* a row of the accuracy matrix */
} ewcl_train_point_kind;

typedef struct ewcl_train_point {
    ewcl_train_point_kind kind;
    uint64_t iteration;
    size_t task, epoch;                 /* from 0 */
    double cross_entropy, ewc_loss, total_loss, precision; /* LOSS only */
    const double *accuracy;             /* EVAL and TASK_END: tasks_seen entries */
    size_t tasks_seen;
} ewcl_train_point;

typedef struct ewcl_checkpoint ewcl_checkpoint;

/* Parses and validates a checkpoint held in memory: header (magic, version, length), CRC
 * and every field (sizes consistent with the configuration, values in range). Host only,
 * no OpenCL: any bytes give EWCL_OK or EWCL_ERR_FORMAT with a message saying which check
 * failed (wrong magic, version N not 1, truncated, CRC mismatch, …), never a crash. */
EWCL_API ewcl_status ewcl_checkpoint_parse(const void *bytes, size_t size,
                                           ewcl_checkpoint **out, ewcl_error *err);
/* Reads and parses a file; the message names it. EWCL_ERR_IO when it cannot be read. */
EWCL_API ewcl_status ewcl_checkpoint_load(const char *path, ewcl_checkpoint **out,
                                          ewcl_error *err);
/* The newest valid checkpoint in `dir`, its path into `path`. Every checkpoint file that is
 * refused (unreadable, corrupt, truncated, foreign version; or written with another
 * configuration than `config`, when `config` is not NULL) is named with the reason through
 * `log` (may be NULL) at EWCL_LOG_WARNING, and the next older one is tried. None valid:
 * EWCL_OK with *out NULL. A missing `dir` is EWCL_ERR_IO. */
EWCL_API ewcl_status ewcl_checkpoint_find(const char *dir, const ewcl_train_config *config,
                                          ewcl_log_fn log, void *user, ewcl_checkpoint **out,
                                          char *path, size_t path_size, ewcl_error *err);
/* NULL does nothing. */
EWCL_API void ewcl_checkpoint_destroy(ewcl_checkpoint *checkpoint);

/* EWCL_OK when `config` is the checkpoint's configuration in every setting that changes the
 * run (all but progress_interval); else EWCL_ERR_INVALID_ARGUMENT with a message naming the
 * first setting that differs and both values. */
EWCL_API ewcl_status ewcl_checkpoint_check_config(const ewcl_checkpoint *checkpoint,
                                                  const ewcl_train_config *config,
                                                  ewcl_error *err);

/* What a checkpoint holds; pointers are valid until ewcl_checkpoint_destroy. */
EWCL_API const ewcl_train_config *ewcl_checkpoint_config(const ewcl_checkpoint *checkpoint);
EWCL_API ewcl_checkpoint_position ewcl_checkpoint_where(const ewcl_checkpoint *checkpoint);
/* The device's name and its platform's, as `ewcl devices` shows them. */
EWCL_API const char *ewcl_checkpoint_device(const ewcl_checkpoint *checkpoint);
EWCL_API const char *ewcl_checkpoint_platform(const ewcl_checkpoint *checkpoint);
/* The accuracy matrix so far: task_count² entries, rows < tasks_done filled. */
EWCL_API const double *ewcl_checkpoint_accuracy(const ewcl_checkpoint *checkpoint);
EWCL_API const float *ewcl_checkpoint_parameters(const ewcl_checkpoint *checkpoint,
                                                 size_t *count);
/* The logged points in the order they were logged. */
EWCL_API size_t ewcl_checkpoint_point_count(const ewcl_checkpoint *checkpoint);
EWCL_API ewcl_train_point ewcl_checkpoint_point(const ewcl_checkpoint *checkpoint,
                                                size_t index);

/* Evaluates the checkpoint's model on the full test set of every task it has seen (tasks
 * finished, and the one under way), with the run's permutations and normalisation:
 * accuracy[j] for j < *tasks_seen (`accuracy` holds task_count entries). `data` must be the
 * data the run trained on (the fingerprint is checked: EWCL_ERR_INVALID_ARGUMENT
 * otherwise). At a task's end the row equals the run's R row on the same device. */
EWCL_API ewcl_status ewcl_checkpoint_evaluate(ewcl_runtime *runtime,
                                              const ewcl_checkpoint *checkpoint,
                                              const ewcl_idx_data *data, double *accuracy,
                                              size_t *tasks_seen);

#ifdef __cplusplus
}
#endif
#endif
