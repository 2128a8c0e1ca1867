/* A data directory: where it is (flag, environment value, Debian's package, or an error
 * saying how to get data) and the four standard files in it, gzip'd or raw. */
#include <stdio.h>
#include <string.h>

#include "data/data_dir.h"
#include "ewcl/data.h"
#include "runtime/error_internal.h"

static bool readable(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f != NULL)
        fclose(f);
    return f != NULL;
}

/* dir/name, else dir/name.gz, into `path`; EWCL_ERR_IO naming both when neither exists. */
static ewcl_status find_file(const char *dir, const char *name, char *path, size_t size,
                             ewcl_error *err)
{
    static const char *const suffixes[] = {"", ".gz"};
    for (size_t i = 0; i < 2; i++) {
        const int n = snprintf(path, size, "%s/%s%s", dir, name, suffixes[i]);
        if (n < 0 || (size_t)n >= size)
            return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "data directory '%s': path too long",
                             dir);
        if (readable(path))
            return EWCL_OK;
    }
    return EWCL_FAIL(err, EWCL_ERR_IO,
                     "data directory '%s' has no readable %s or %s.gz (MNIST-format IDX files "
                     "expected)",
                     dir, name, name);
}

static ewcl_status load_pair(const char *dir, const char *images_name, const char *labels_name,
                             size_t classes, ewcl_idx_set *out, ewcl_error *err)
{
    char images[EWCL_PATH_MAX + 64], labels[EWCL_PATH_MAX + 64];
    ewcl_status status = find_file(dir, images_name, images, sizeof images, err);
    if (status == EWCL_OK)
        status = find_file(dir, labels_name, labels, sizeof labels, err);
    return status == EWCL_OK ? ewcl_idx_load(images, labels, classes, out, err) : status;
}

ewcl_status ewcl_idx_load_dir(const char *dir, size_t classes, ewcl_idx_data *out,
                              ewcl_error *err)
{
    if (out == NULL || dir == NULL)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "ewcl_idx_load_dir: NULL argument");
    memset(out, 0, sizeof *out);
    ewcl_status status = load_pair(dir, EWCL_IDX_TRAIN_IMAGES, EWCL_IDX_TRAIN_LABELS, classes,
                                   &out->train, err);
    if (status == EWCL_OK)
        status = load_pair(dir, EWCL_IDX_TEST_IMAGES, EWCL_IDX_TEST_LABELS, classes, &out->test,
                           err);
    if (status == EWCL_OK &&
        (out->test.rows != out->train.rows || out->test.cols != out->train.cols))
        status = EWCL_FAIL(err, EWCL_ERR_FORMAT,
                           "data directory '%s': test images are %zux%zu but training images "
                           "%zux%zu",
                           dir, out->test.rows, out->test.cols, out->train.rows,
                           out->train.cols);
    if (status != EWCL_OK)
        ewcl_idx_data_free(out);
    return status;
}

void ewcl_idx_data_free(ewcl_idx_data *data)
{
    if (data == NULL)
        return;
    ewcl_idx_free(&data->train);
    ewcl_idx_free(&data->test);
}

static ewcl_status copy_path(const char *dir, char *out, size_t size, ewcl_error *err)
{
    const int n = snprintf(out, size, "%s", dir);
    if (n < 0 || (size_t)n >= size)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "data directory '%s' is longer than %zu bytes", dir, size - 1);
    return EWCL_OK;
}

/* The default counts as present when its training images are there, raw or gzip'd. */
static bool has_training_images(const char *dir)
{
    char path[EWCL_PATH_MAX + 64];
    ewcl_error ignored;
    return find_file(dir, EWCL_IDX_TRAIN_IMAGES, path, sizeof path, &ignored) == EWCL_OK;
}

ewcl_status ewcl_data_dir_resolve_from(const char *flag, const char *env,
                                       const char *default_dir, char *out, size_t size,
                                       ewcl_error *err)
{
    if (out == NULL || size == 0)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "ewcl_data_dir_resolve: no output");
    out[0] = '\0';
    if (flag != NULL && flag[0] != '\0')
        return copy_path(flag, out, size, err);
    if (env != NULL && env[0] != '\0')
        return copy_path(env, out, size, err);
    if (has_training_images(default_dir))
        return copy_path(default_dir, out, size, err);
    return EWCL_FAIL(err, EWCL_ERR_IO,
                     "no data: %s has no Fashion-MNIST; install the Debian package "
                     "dataset-fashion-mnist (apt install dataset-fashion-mnist), or pass "
                     "--data-dir DIR (or set EWCL_DATA_DIR) to a directory of MNIST-format IDX "
                     "files (%s, %s, %s, %s, each raw or .gz)",
                     default_dir, EWCL_IDX_TRAIN_IMAGES, EWCL_IDX_TRAIN_LABELS,
                     EWCL_IDX_TEST_IMAGES, EWCL_IDX_TEST_LABELS);
}

ewcl_status ewcl_data_dir_resolve(const char *flag, const char *env, char *out, size_t size,
                                  ewcl_error *err)
{
    return ewcl_data_dir_resolve_from(flag, env, EWCL_DATA_DIR_DEFAULT, out, size, err);
}
