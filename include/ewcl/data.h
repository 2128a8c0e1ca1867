/* ewcl — the data layer: MNIST-format IDX files (gzip'd or raw), a generator of synthetic
 * IDX sets, the data directory, datasets resident on the device, and task generators.
 *
 *   char dir[EWCL_PATH_MAX];
 *   ewcl_idx_data data;
 *   if (ewcl_data_dir_resolve(flag, getenv("EWCL_DATA_DIR"), dir, sizeof dir, &err) ||
 *       ewcl_idx_load_dir(dir, 10, &data, &err))
 *       fprintf(stderr, "ewcl: %s\n", err.message);
 *   double mean, std;
 *   ewcl_idx_pixel_stats(&data.train, &mean, &std);       // normalise by the training set
 *   ewcl_dataset_options o;
 *   ewcl_dataset_options_default(&o);                       // 28×28 padded to 32×32
 *   o.mean = mean; o.std = std;
 *   ewcl_dataset *train = NULL, *test = NULL;
 *   ewcl_dataset_create(rt, &data.train, &o, &train);       // bytes on the device
 *   ewcl_dataset_create(rt, &data.test, &o, &test);         // normalised like the training set
 *   ewcl_idx_data_free(&data);                              // the host copy is no longer needed
 *   // per task: ewcl_task_permutation(&gen, task, perm, ewcl_dataset_input_size(train), &err),
 *   // uploaded once (ewcl_permutation_upload); per batch: ewcl_dataset_gather (ewcl_cl.h).
 */
#ifndef EWCL_DATA_H
#define EWCL_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ewcl/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- IDX files ------------------------------------------------------------------------- */

/* The largest image or label payload a file may declare: MNIST's is 47 MB, so 2 GiB or
 * more is a corrupt header, refused before any allocation. */
#define EWCL_IDX_MAX_BYTES (((size_t)1 << 31) - 1)

/* The standard names in a data directory; each may also carry ".gz". */
#define EWCL_IDX_TRAIN_IMAGES "train-images-idx3-ubyte"
#define EWCL_IDX_TRAIN_LABELS "train-labels-idx1-ubyte"
#define EWCL_IDX_TEST_IMAGES "t10k-images-idx3-ubyte"
#define EWCL_IDX_TEST_LABELS "t10k-labels-idx1-ubyte"

/* A set of labelled grey images, row-major bytes: image i is
 * images[i·rows·cols … (i+1)·rows·cols), its class labels[i] < classes. */
typedef struct ewcl_idx_set {
    size_t count, rows, cols, classes;
    uint8_t *images;
    uint8_t *labels;
} ewcl_idx_set;

/* Reads an image file (magic 0x00000803: unsigned bytes, count × rows × cols) and a label
 * file (0x00000801: count) — gzip'd or raw, whatever their names — and checks magic, rank,
 * dimensions (none zero, payload ≤ EWCL_IDX_MAX_BYTES), matching counts, every label
 * < classes (1 … 256) and the exact (decompressed) length, before allocating anything
 * sized by the files. A defect is EWCL_ERR_FORMAT, an unreadable file EWCL_ERR_IO; the
 * one-line message names the file and what is wrong. On failure *out is empty. */
EWCL_API ewcl_status ewcl_idx_load(const char *images_path, const char *labels_path,
                                   size_t classes, ewcl_idx_set *out, ewcl_error *err);
/* Frees the arrays and empties the set; NULL or an empty set does nothing. */
EWCL_API void ewcl_idx_free(ewcl_idx_set *set);

/* Mean and (population) standard deviation of all pixels scaled to [0, 1] — the numbers to
 * normalise with, from the training set. Fashion-MNIST: 0.2860, 0.3530. */
EWCL_API void ewcl_idx_pixel_stats(const ewcl_idx_set *set, double *mean, double *std);

/* A data directory's training and test sets. */
typedef struct ewcl_idx_data {
    ewcl_idx_set train, test;
} ewcl_idx_data;

/* Loads the four standard files from `dir`, each NAME or NAME.gz (the raw one when both
 * exist). A missing file is EWCL_ERR_IO naming the directory and the file; a test set whose
 * images differ in size from the training set's is EWCL_ERR_FORMAT. */
EWCL_API ewcl_status ewcl_idx_load_dir(const char *dir, size_t classes, ewcl_idx_data *out,
                                       ewcl_error *err);
EWCL_API void ewcl_idx_data_free(ewcl_idx_data *data);

/* Where Debian's package dataset-fashion-mnist puts its files. */
#define EWCL_DATA_DIR_DEFAULT "/usr/share/datasets/fashion-mnist"

/* The data directory: `flag` (--data-dir) when non-empty, else `env` ($EWCL_DATA_DIR — the
 * caller reads the environment, the library never does) when non-empty, else
 * EWCL_DATA_DIR_DEFAULT when it holds a training image file, else EWCL_ERR_IO with a
 * message saying how to get data. Either argument may be NULL. The path goes to `out`
 * (EWCL_ERR_INVALID_ARGUMENT when longer than `size`). */
EWCL_API ewcl_status ewcl_data_dir_resolve(const char *flag, const char *env, char *out,
                                           size_t size, ewcl_error *err);

/* Writes a learnable synthetic set in MNIST's format into the existing directory `dir`:
 * the four standard files (with ".gz" and gzip'd when `gzip`). Each class is a bright disc
 * at its own place on a ring around the centre plus a faint line through the centre at its
 * own angle; every image shifts it by up to a pixel, dims it and adds noise. Labels and
 * noise come from `seed`: a seed gives the same bytes every time. 1 ≤ classes ≤ 256, counts and sizes ≥ 1, payloads within
 * EWCL_IDX_MAX_BYTES (else EWCL_ERR_INVALID_ARGUMENT); EWCL_ERR_IO names a file that could
 * not be written. */
EWCL_API ewcl_status ewcl_idx_write_synthetic(const char *dir, size_t train_count,
                                              size_t test_count, size_t rows, size_t cols,
                                              size_t classes, uint64_t seed, bool gzip,
                                              ewcl_error *err);

/* ---- Tasks ----------------------------------------------------------------------------- */

/* What makes one task of a continual-learning scenario from the shared data: for now, the
 * pixel permutation applied to every input of task `task` (0-based). An interface, so that
 * other scenarios can be added beside `permuted`. */
typedef struct ewcl_task_generator ewcl_task_generator;
struct ewcl_task_generator {
    const char *name; /* "permuted" */
    uint64_t seed;    /* the run's seed */
    /* Fills perm[0 … size) with a permutation of 0 … size−1: input p of the task takes the
     * (padded) pixel perm[p]. */
    ewcl_status (*make_permutation)(const ewcl_task_generator *generator, size_t task,
                                    uint32_t *perm, size_t size, ewcl_error *err);
};

/* Permuted MNIST: every task, the first included, its own seeded random permutation of the
 * inputs, from (seed, task) alone — the same on every run and every device. */
EWCL_API void ewcl_task_generator_permuted(ewcl_task_generator *out, uint64_t seed);

/* Calls generator->make_permutation after checking the arguments (size 1 … 2^32 − 1). */
EWCL_API ewcl_status ewcl_task_permutation(const ewcl_task_generator *generator, size_t task,
                                           uint32_t *perm, size_t size, ewcl_error *err);

/* ---- Datasets on the device ------------------------------------------------------------ *
 * A set's images stay on the device as bytes with their labels; batches are gathered there
 * (ewcl_dataset_gather in ewcl_cl.h), so the only copy per batch is its list of indices. */

/* How pixels become inputs. Precisely, an input is fma(pixel, scale, shift) with
 * scale = 1/(255·std) and shift = −mean/std rounded to float: fma rounds once, so every
 * device gives the same bits, within three float roundings of (pixel/255 − mean)/std; a
 * padded pixel is exactly shift. */
typedef struct ewcl_dataset_options {
    size_t pad;  /* pixels of value 0 added on each side: 2 (default) makes 28×28 32×32 */
    double mean; /* inputs are (pixel/255 − mean)/std; defaults 0 and 1: pixels in [0, 1] */
    double std;
} ewcl_dataset_options;

EWCL_API void ewcl_dataset_options_default(ewcl_dataset_options *options);

typedef struct ewcl_dataset ewcl_dataset;

/* Copies the set's images and labels to the runtime's device, count·(rows·cols + 1) +
 * count bytes (the set may be freed afterwards). pad ≤ 64, std > 0 and finite, else EWCL_ERR_INVALID_ARGUMENT; errors go to
 * the runtime's record. */
EWCL_API ewcl_status ewcl_dataset_create(ewcl_runtime *runtime, const ewcl_idx_set *set,
                                         const ewcl_dataset_options *options,
                                         ewcl_dataset **out);
EWCL_API void ewcl_dataset_destroy(ewcl_dataset *dataset);

EWCL_API size_t ewcl_dataset_count(const ewcl_dataset *dataset);
/* Floats per gathered input: (rows + 2·pad)·(cols + 2·pad). */
EWCL_API size_t ewcl_dataset_input_size(const ewcl_dataset *dataset);
EWCL_API size_t ewcl_dataset_classes(const ewcl_dataset *dataset);

#ifdef __cplusplus
}
#endif
#endif
