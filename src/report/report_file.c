/* Text buffers, atomic writes and the report directory. */
#define _POSIX_C_SOURCE 200809L /* mkdir, stat, getpid */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/report_internal.h"
#include "runtime/error_internal.h"
#include "runtime/file_util.h"

void report_text_append(report_text *t, const char *format, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list args;
        va_start(args, format);
        const size_t room = t->capacity - t->length;
        const int n = vsnprintf(t->data == NULL ? NULL : t->data + t->length, room, format,
                                args);
        va_end(args);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if ((size_t)n < room) {
            t->length += (size_t)n;
            return;
        }
        const size_t capacity = 2 * (t->capacity + (size_t)n) + 256;
        char *data = realloc(t->data, capacity);
        if (data == NULL) {
            t->failed = true;
            return;
        }
        t->data = data;
        t->capacity = capacity;
    }
}

void report_text_free(report_text *t)
{
    free(t->data);
    *t = (report_text){0};
}

ewcl_status report_text_write(const report_text *t, const char *path, ewcl_error *err)
{
    if (t->failed)
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory building %s", path);
    const void *const parts[1] = {t->data};
    int error_number = 0;
    switch (ewcl_write_file_atomic(path, parts, &t->length, 1, false, &error_number)) {
    case EWCL_WRITE_OK:
        return EWCL_OK;
    case EWCL_WRITE_PATH_TOO_LONG:
        return EWCL_FAIL(err, EWCL_ERR_IO, "path too long: %s", path);
    default:
        return EWCL_FAIL(err, EWCL_ERR_IO, "cannot write %s: %s", path, strerror(error_number));
    }
}

/* mkdir -p: each missing component in turn; an existing directory is fine. */
static ewcl_status make_dirs(const char *dir, ewcl_error *err)
{
    char path[EWCL_PATH_MAX];
    if (dir == NULL || dir[0] == '\0')
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "empty report directory");
    if ((size_t)snprintf(path, sizeof path, "%s", dir) >= sizeof path)
        return EWCL_FAIL(err, EWCL_ERR_IO, "report directory path too long: %s", dir);
    for (char *p = path + 1;; p++) {
        const bool end = *p == '\0';
        if (*p != '/' && !end)
            continue;
        *p = '\0';
        struct stat st;
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return EWCL_FAIL(err, EWCL_ERR_IO, "cannot create report directory %s: %s", dir,
                             strerror(errno));
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            return EWCL_FAIL(err, EWCL_ERR_IO,
                             "cannot create report directory %s: %s is not a directory", dir,
                             path);
        if (end)
            return EWCL_OK;
        *p = '/';
    }
}

ewcl_status ewcl_report_prepare_dir(const char *dir, ewcl_error *err)
{
    ewcl_status s = make_dirs(dir, err);
    if (s != EWCL_OK)
        return s;
    /* Permissions alone do not say it (root, read-only mounts): try a real write. */
    char probe[EWCL_PATH_MAX + 32];
    if ((size_t)snprintf(probe, sizeof probe, "%s/.ewcl-probe%ld", dir, (long)getpid()) >=
        sizeof probe)
        return EWCL_FAIL(err, EWCL_ERR_IO, "report directory path too long: %s", dir);
    FILE *f = fopen(probe, "wb");
    if (f == NULL || fclose(f) != 0)
        return EWCL_FAIL(err, EWCL_ERR_IO, "cannot write into report directory %s: %s", dir,
                         strerror(errno));
    remove(probe);
    return EWCL_OK;
}

ewcl_status ewcl_report_write_all(const char *dir, const ewcl_report_log *log,
                                  const ewcl_train_config *config,
                                  const ewcl_train_result *result, const ewcl_report_run *run,
                                  ewcl_error *err)
{
    static const char *const names[] = {"config.json", "metrics.csv", "summary.json",
                                        "accuracy.svg", "loss.svg"};
    ewcl_status s = EWCL_OK;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && s == EWCL_OK; i++) {
        char path[EWCL_PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= sizeof path)
            return EWCL_FAIL(err, EWCL_ERR_IO, "report path too long: %s/%s", dir, names[i]);
        switch (i) {
        case 0:
            s = ewcl_report_write_config_json(config, run, path, err);
            break;
        case 1:
            s = ewcl_report_write_metrics_csv(log, path, err);
            break;
        case 2:
            if (result != NULL)
                s = ewcl_report_write_summary_json(result, run, path, err);
            break;
        case 3:
            s = ewcl_report_write_accuracy_svg(log, path, err);
            break;
        default:
            s = ewcl_report_write_loss_svg(log, path, err);
        }
    }
    return s;
}
