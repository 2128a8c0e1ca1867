/* Checkpoint files: written atomically and never over an existing name, read whole, and
 * found in a folder newest first, skipping (and naming) any that cannot be used. */
#define _POSIX_C_SOURCE 200809L /* open, dirent */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/error_internal.h"
#include "runtime/file_util.h"
#include "train/checkpoint_internal.h"

bool checkpoint_path(char *out, size_t size, const char *dir, uint64_t sequence)
{
    const int n = snprintf(out, size, "%s/" EWCL_CHECKPOINT_PREFIX "%08" PRIu64
                                      EWCL_CHECKPOINT_SUFFIX,
                           dir, sequence);
    return n > 0 && (size_t)n < size;
}

/* The sequence of a checkpoint's file name; false for any other name (temporary files
 * included). */
static bool parse_name(const char *name, uint64_t *sequence)
{
    const size_t prefix = strlen(EWCL_CHECKPOINT_PREFIX), suffix = strlen(EWCL_CHECKPOINT_SUFFIX);
    const size_t n = strlen(name);
    if (n <= prefix + suffix || strncmp(name, EWCL_CHECKPOINT_PREFIX, prefix) != 0 ||
        strcmp(name + n - suffix, EWCL_CHECKPOINT_SUFFIX) != 0)
        return false;
    uint64_t value = 0;
    for (size_t i = prefix; i < n - suffix; i++) {
        if (name[i] < '0' || name[i] > '9' || value > (UINT64_MAX - 9) / 10)
            return false;
        value = 10 * value + (uint64_t)(name[i] - '0');
    }
    *sequence = value;
    return true;
}

static int compare_sequences(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

ewcl_status checkpoint_list(const char *dir, checkpoint_listing *out, ewcl_error *err)
{
    *out = (checkpoint_listing){0};
    DIR *d = opendir(dir);
    if (d == NULL)
        return EWCL_FAIL(err, EWCL_ERR_IO, "cannot read the checkpoint folder %s: %s", dir,
                         strerror(errno));
    size_t capacity = 0;
    ewcl_status st = EWCL_OK;
    for (struct dirent *e; st == EWCL_OK && (e = readdir(d)) != NULL;) {
        uint64_t sequence = 0;
        if (!parse_name(e->d_name, &sequence))
            continue;
        if (out->count == capacity) {
            capacity = capacity > 0 ? 2 * capacity : 16;
            uint64_t *grown = realloc(out->sequences, capacity * sizeof *grown);
            if (grown == NULL) {
                st = EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "checkpoint: out of memory");
                break;
            }
            out->sequences = grown;
        }
        out->sequences[out->count++] = sequence;
    }
    closedir(d);
    if (st != EWCL_OK) {
        checkpoint_listing_free(out);
        return st;
    }
    if (out->count > 1)
        qsort(out->sequences, out->count, sizeof *out->sequences, compare_sequences);
    return EWCL_OK;
}

void checkpoint_listing_free(checkpoint_listing *listing)
{
    free(listing->sequences);
    *listing = (checkpoint_listing){0};
}

void checkpoint_remove_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    const size_t prefix = strlen(EWCL_CHECKPOINT_PREFIX);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        const char *tmp = strstr(e->d_name, EWCL_CHECKPOINT_SUFFIX ".tmp");
        char path[EWCL_PATH_MAX];
        if (strncmp(e->d_name, EWCL_CHECKPOINT_PREFIX, prefix) == 0 && tmp != NULL &&
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < sizeof path)
            unlink(path);
    }
    closedir(d);
}

/* ---- Writing --------------------------------------------------------------------------- */

ewcl_status checkpoint_write_atomic(const char *path, const uint8_t *bytes, size_t size,
                                    ewcl_error *err)
{
    /* A name that exists is never replaced: it may be a checkpoint that could not be read,
     * kept for whoever wants to look at it. */
    if (access(path, F_OK) == 0)
        return EWCL_FAIL(err, EWCL_ERR_IO, "cannot write checkpoint %s: it exists already",
                         path);
    const void *const parts[1] = {bytes};
    int error_number = 0;
    switch (ewcl_write_file_atomic(path, parts, &size, 1, true, &error_number)) {
    case EWCL_WRITE_OK:
        return EWCL_OK;
    case EWCL_WRITE_PATH_TOO_LONG:
        return EWCL_FAIL(err, EWCL_ERR_IO, "cannot write checkpoint %s: path too long", path);
    case EWCL_WRITE_NOT_SYNCED:
        return EWCL_FAIL(err, EWCL_ERR_IO, "checkpoint %s written, but its folder could not be "
                         "synced: %s", path, strerror(error_number));
    default:
        return EWCL_FAIL(err, EWCL_ERR_IO, "cannot write checkpoint %s: %s", path,
                         strerror(error_number));
    }
}

/* ---- Reading --------------------------------------------------------------------------- */

static ewcl_status read_whole(const char *path, uint8_t **bytes, size_t *size, ewcl_error *err)
{
    *bytes = NULL;
    *size = 0;
    const int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        const int saved = errno;
        if (fd >= 0)
            close(fd);
        return EWCL_FAIL(err, EWCL_ERR_IO, "cannot read checkpoint %s: %s", path,
                         strerror(saved));
    }
    const size_t length = (size_t)st.st_size;
    uint8_t *data = malloc(length > 0 ? length : 1);
    size_t done = 0;
    while (data != NULL && done < length) {
        const ssize_t n = read(fd, data + done, length - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    const int saved = errno;
    close(fd);
    if (data == NULL)
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "cannot read checkpoint %s: out of memory",
                         path);
    if (done < length) {
        free(data);
        return EWCL_FAIL(err, EWCL_ERR_IO, "cannot read checkpoint %s: %s", path,
                         strerror(saved));
    }
    *bytes = data;
    *size = length;
    return EWCL_OK;
}

ewcl_status ewcl_checkpoint_load(const char *path, ewcl_checkpoint **out, ewcl_error *err)
{
    if (out != NULL)
        *out = NULL;
    if (path == NULL || out == NULL)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "ewcl_checkpoint_load: NULL argument");
    uint8_t *bytes = NULL;
    size_t size = 0;
    ewcl_status st = read_whole(path, &bytes, &size, err);
    if (st != EWCL_OK)
        return st;
    ewcl_error inner;
    ewcl_error_clear(&inner);
    st = ewcl_checkpoint_parse(bytes, size, out, &inner);
    free(bytes);
    /* The reason keeps its location; the file goes in front. */
    if (st != EWCL_OK)
        return ewcl_fail_at(err, st, NULL, 0, "checkpoint %s refused: %s", path,
                            inner.message);
    return EWCL_OK;
}

static void warn(ewcl_log_fn log, void *user, const char *message)
{
    if (log != NULL)
        log(user, EWCL_LOG_WARNING, message);
}

ewcl_status ewcl_checkpoint_find(const char *dir, const ewcl_train_config *config,
                                 ewcl_log_fn log, void *user, ewcl_checkpoint **out,
                                 char *path, size_t path_size, ewcl_error *err)
{
    if (out != NULL)
        *out = NULL;
    if (dir == NULL || out == NULL || path == NULL || path_size == 0)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "ewcl_checkpoint_find: NULL argument");
    path[0] = '\0';
    checkpoint_listing listing;
    ewcl_status st = checkpoint_list(dir, &listing, err);
    for (size_t i = listing.count; st == EWCL_OK && i-- > 0;) {
        char candidate[EWCL_PATH_MAX];
        if (!checkpoint_path(candidate, sizeof candidate, dir, listing.sequences[i])) {
            st = EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "checkpoint folder path too long: %s",
                           dir);
            break;
        }
        ewcl_error why;
        ewcl_error_clear(&why);
        ewcl_checkpoint *ck = NULL;
        ewcl_status loaded = ewcl_checkpoint_load(candidate, &ck, &why);
        if (loaded == EWCL_OK && config != NULL) {
            ewcl_error mismatch;
            ewcl_error_clear(&mismatch);
            if (ewcl_checkpoint_check_config(ck, config, &mismatch) != EWCL_OK) {
                ewcl_fail_at(&why, EWCL_ERR_FORMAT, NULL, 0,
                             "checkpoint %s refused: another configuration: %s", candidate,
                             mismatch.message);
                ewcl_checkpoint_destroy(ck);
                ck = NULL;
                loaded = EWCL_ERR_FORMAT;
            }
        }
        if (loaded == EWCL_OK) {
            snprintf(path, path_size, "%s", candidate);
            *out = ck;
            break;
        }
        if (loaded == EWCL_ERR_OUT_OF_MEMORY) {
            ewcl_error_copy(err, &why);
            st = loaded;
            break;
        }
        warn(log, user, why.message);
    }
    checkpoint_listing_free(&listing);
    return st;
}
