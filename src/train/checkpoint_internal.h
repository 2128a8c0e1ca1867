/* The insides of checkpoints, shared by src/train/checkpoint_*.c and the training loop. */
#ifndef EWCL_CHECKPOINT_INTERNAL_H
#define EWCL_CHECKPOINT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ewc/ewc_internal.h"
#include "ewcl/checkpoint.h"
#include "train/checkpoint_codec.h"

/* ---- The logged points of a run (src/train/train_history.c) --------------------------- */

/* Points in logging order; each accuracy list lives in `values` at its entry's offset (so
 * that growing the arrays never leaves a pointer dangling). */
typedef struct train_history_entry {
    ewcl_train_point point; /* accuracy NULL here: see train_history_get */
    size_t offset;
} train_history_entry;

typedef struct train_history {
    train_history_entry *entries;
    size_t count, capacity;
    double *values;
    size_t value_count, value_capacity;
} train_history;

/* Appends a copy of `point` and its accuracy list; false when out of memory. */
bool train_history_append(train_history *h, const ewcl_train_point *point);
/* Point `index` with its accuracy pointer filled. */
ewcl_train_point train_history_get(const train_history *h, size_t index);
/* `dst` (empty) becomes a copy of `src`; false when out of memory. */
bool train_history_copy(train_history *dst, const train_history *src);
void train_history_free(train_history *h);

/* ---- What a checkpoint holds ----------------------------------------------------------- */

/* The data a run trained on: enough to refuse other data on resume. */
typedef struct checkpoint_data_id {
    uint64_t train_count, test_count, rows, cols, classes;
    uint32_t train_crc, test_crc; /* CRC-32 of each set's images, then its labels */
} checkpoint_data_id;

struct ewcl_checkpoint {
    ewcl_train_config config;
    uint64_t sequence;
    char device[256], platform[128];
    checkpoint_data_id data;
    size_t task, epoch, batch; /* the next batch to train (ewcl_checkpoint_position) */
    uint64_t iteration, train_images;
    uint64_t shuffle_rng[4], fisher_rng[4];
    uint32_t *order;           /* data.train_count: the order of the epoch under way */
    double mean, std;          /* the normalisation in use */
    size_t parameter_count;
    float *parameters;
    bool has_ewc;              /* config.consolidate */
    ewc_saved_state ewc;
    float *ewc_S, *ewc_mu;     /* parameter_count each, when has_ewc */
    double *accuracy;          /* task_number²; rows < task filled */
    double *average_accuracy;  /* task_number */
    double *fisher_seconds;    /* task_number */
    double phase_seconds[4];   /* setup, train, Fisher, evaluation so far */
    double checkpoint_seconds;
    train_history history;
};

/* An empty checkpoint with its arrays allocated for `config`, `train_count` and
 * `parameter_count`; NULL when out of memory. */
ewcl_checkpoint *checkpoint_alloc(const ewcl_train_config *config, size_t train_count,
                                  size_t parameter_count);

/* The data's fingerprint. */
void checkpoint_data_id_of(const ewcl_idx_data *data, checkpoint_data_id *out);
/* EWCL_OK when `data` is the checkpoint's; else EWCL_ERR_INVALID_ARGUMENT saying what
 * differs. */
ewcl_status checkpoint_check_data(const ewcl_checkpoint *ck, const ewcl_idx_data *data,
                                  ewcl_error *err);

/* Parameters of the MLP a configuration builds for inputs of `input_size` and `classes`
 * classes (the layer plan of src/nn/mlp.c, counted without building it); 0 when the sizes
 * overflow. */
size_t checkpoint_parameter_count(const ewcl_train_config *config, size_t input_size,
                                  size_t classes);

/* The configuration's fields (src/train/checkpoint_config.c). Reading returns NULL, or the
 * name of the setting whose value is out of range (or that ran past the end: r->failed). */
void checkpoint_put_config(ck_writer *w, const ewcl_train_config *config);
const char *checkpoint_get_config(ck_reader *r, ewcl_train_config *config);

/* The whole file (header and payload) in a malloc'd buffer; EWCL_ERR_OUT_OF_MEMORY. */
ewcl_status checkpoint_serialise(const ewcl_checkpoint *ck, uint8_t **bytes, size_t *size,
                                 ewcl_error *err);

/* ---- Files (src/train/checkpoint_file.c) ----------------------------------------------- */

/* Writes `size` bytes as `path` atomically: a temporary file beside it, fsync, rename,
 * fsync of the folder. A failure is EWCL_ERR_IO naming `path`, with nothing left behind
 * and the file that was there (if any) untouched. */
ewcl_status checkpoint_write_atomic(const char *path, const uint8_t *bytes, size_t size,
                                    ewcl_error *err);

/* The checkpoint files of a folder, by sequence (from the names). */
typedef struct checkpoint_listing {
    uint64_t *sequences;
    size_t count;
} checkpoint_listing;

/* Lists `dir` (EWCL_ERR_IO when it cannot be read), sorted by increasing sequence. */
ewcl_status checkpoint_list(const char *dir, checkpoint_listing *out, ewcl_error *err);
void checkpoint_listing_free(checkpoint_listing *listing);

/* Removes the temporary files a killed writer left in `dir` (never a checkpoint). */
void checkpoint_remove_temporaries(const char *dir);

/* "<dir>/checkpoint-<sequence>.ewclckpt"; false when it does not fit. */
bool checkpoint_path(char *out, size_t size, const char *dir, uint64_t sequence);

#endif
