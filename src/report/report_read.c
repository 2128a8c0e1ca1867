/* A run folder read back: config.json flattened into settings, summary.json checked for
 * its shape, with cJSON. Whatever wrote the files (ewcl, tools/torch_reference.py, a hand),
 * every defect is one message naming the file and what is wrong. */
#define _POSIX_C_SOURCE 200809L /* stat */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report/report_internal.h"
#include "runtime/error_internal.h"

/* A summary is a few kilobytes: anything past this is not one, and is not read into
 * memory. */
#define MAX_FILE_BYTES (16u << 20)
/* As many tasks as a run may have (train_config.c). */
#define MAX_TASKS 4096

/* ---- Files ------------------------------------------------------------------------------ */

/* `dir`/`name`, whole, NUL-terminated; a file that does not exist is
 * EWCL_ERR_INVALID_ARGUMENT (the caller named the wrong folder), one that cannot be read
 * EWCL_ERR_IO. */
static ewcl_status read_file(const char *path, char **out, ewcl_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return EWCL_FAIL(err, errno == ENOENT ? EWCL_ERR_INVALID_ARGUMENT : EWCL_ERR_IO,
                         "cannot read %s: %s%s", path, strerror(errno),
                         errno == ENOENT ? " (not a run folder of `ewcl train`?)" : "");
    /* Grown as it comes, up to the cap: the size a stat reports may not be what is read. */
    char *text = NULL;
    size_t length = 0, capacity = 0;
    ewcl_status s = EWCL_OK;
    for (;;) {
        if (length == capacity) {
            capacity = capacity == 0 ? 4096 : 2 * capacity;
            char *grown = capacity <= 2 * (size_t)MAX_FILE_BYTES ? realloc(text, capacity + 1)
                                                                 : NULL;
            if (grown == NULL) {
                s = EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory reading %s", path);
                break;
            }
            text = grown;
        }
        length += fread(text + length, 1, capacity - length, f);
        if (ferror(f)) {
            s = EWCL_FAIL(err, EWCL_ERR_IO, "cannot read %s: read error", path);
            break;
        }
        if (length > MAX_FILE_BYTES) {
            s = EWCL_FAIL(err, EWCL_ERR_FORMAT, "%s: larger than 16 MiB, not a run's file",
                          path);
            break;
        }
        if (feof(f))
            break;
    }
    fclose(f);
    if (s != EWCL_OK) {
        free(text);
        return s;
    }
    text[length] = '\0';
    *out = text;
    return EWCL_OK;
}

/* The file parsed; a JSON object, else EWCL_ERR_FORMAT naming the line of the defect. */
static ewcl_status parse_file(const char *path, cJSON **out, ewcl_error *err)
{
    *out = NULL;
    char *text = NULL;
    ewcl_status s = read_file(path, &text, err);
    if (s != EWCL_OK)
        return s;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, true);
    if (root == NULL || !cJSON_IsObject(root)) {
        size_t line = 1;
        for (const char *p = text; root == NULL && end != NULL && p < end; p++)
            line += *p == '\n';
        s = root == NULL ? EWCL_FAIL(err, EWCL_ERR_FORMAT, "%s: not valid JSON (line %zu)",
                                     path, line)
                         : EWCL_FAIL(err, EWCL_ERR_FORMAT, "%s: not a JSON object", path);
        cJSON_Delete(root);
        root = NULL;
    }
    free(text);
    *out = root;
    return s;
}

/* ---- config.json: every leaf under its dotted path ---------------------------------------- */

static bool add_setting(ewcl_report_record *r, const char *key, const cJSON *leaf)
{
    ewcl_report_setting *grown =
        realloc(r->settings, (r->setting_count + 1) * sizeof *r->settings);
    if (grown == NULL)
        return false;
    r->settings = grown;
    /* Copied, since the record frees with free() and cJSON's allocator may differ. */
    char *printed = cJSON_IsString(leaf) ? NULL : cJSON_PrintUnformatted(leaf);
    const char *text = cJSON_IsString(leaf) ? leaf->valuestring : printed;
    char *value = text != NULL ? strdup(text) : NULL;
    cJSON_free(printed);
    char *copy = strdup(key);
    if (value == NULL || copy == NULL) {
        free(value);
        free(copy);
        return false;
    }
    r->settings[r->setting_count++] = (ewcl_report_setting){copy, value};
    return true;
}

/* Objects are walked into; anything else is one setting. */
static bool flatten(ewcl_report_record *r, const char *prefix, const cJSON *node)
{
    for (const cJSON *item = node->child; item != NULL; item = item->next) {
        const size_t length = strlen(prefix) + strlen(item->string) + 2;
        char *key = malloc(length);
        if (key == NULL)
            return false;
        snprintf(key, length, "%s%s%s", prefix, prefix[0] != '\0' ? "." : "", item->string);
        const bool ok =
            cJSON_IsObject(item) ? flatten(r, key, item) : add_setting(r, key, item);
        free(key);
        if (!ok)
            return false;
    }
    return true;
}

/* ---- summary.json: the shape checked, nulls as NaN ------------------------------------------ */

/* `name` of `object`: a finite number, or null or absent (NaN); false for anything else
 * (cJSON reads 1e999 as infinity). */
static bool optional_number(const cJSON *object, const char *name, double *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    *out = NAN;
    if (cJSON_IsNumber(item) && isfinite(item->valuedouble))
        *out = item->valuedouble;
    return item == NULL || cJSON_IsNull(item) || isfinite(*out);
}

/* An accuracy: a number in [0, 1], or null (NaN). */
static bool accuracy_value(const cJSON *item, double *out)
{
    *out = NAN;
    if (cJSON_IsNull(item))
        return true;
    if (!cJSON_IsNumber(item) || !(item->valuedouble >= 0.0 && item->valuedouble <= 1.0))
        return false;
    *out = item->valuedouble;
    return true;
}

/* `count` accuracies of a JSON array into `out`; false when it is not one. */
static bool accuracy_row(const cJSON *array, size_t count, double *out)
{
    if (!cJSON_IsArray(array) || (size_t)cJSON_GetArraySize(array) != count)
        return false;
    size_t j = 0;
    for (const cJSON *item = array->child; item != NULL; item = item->next)
        if (!accuracy_value(item, &out[j++]))
            return false;
    return true;
}

static ewcl_status read_matrix(const cJSON *root, const char *path, ewcl_report_record *r,
                               ewcl_error *err)
{
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(root, "task_count");
    const double t = cJSON_IsNumber(count) ? count->valuedouble : NAN;
    if (!(t >= 1.0 && t <= MAX_TASKS && t == floor(t)))
        return EWCL_FAIL(err, EWCL_ERR_FORMAT,
                         "%s: \"task_count\" must be a whole number from 1 to %d", path,
                         MAX_TASKS);
    const size_t n = (size_t)t;
    r->task_count = n;
    r->accuracy = malloc(n * n * sizeof *r->accuracy);
    r->average_accuracy = malloc(n * sizeof *r->average_accuracy);
    if (r->accuracy == NULL || r->average_accuracy == NULL)
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory reading %s", path);
    const cJSON *matrix = cJSON_GetObjectItemCaseSensitive(root, "accuracy");
    if (!cJSON_IsArray(matrix) || (size_t)cJSON_GetArraySize(matrix) != n)
        return EWCL_FAIL(err, EWCL_ERR_FORMAT,
                         "%s: \"accuracy\" must be an array of %zu rows (task_count)", path, n);
    size_t i = 0;
    for (const cJSON *row = matrix->child; row != NULL; row = row->next, i++)
        if (!accuracy_row(row, n, r->accuracy + i * n))
            return EWCL_FAIL(err, EWCL_ERR_FORMAT,
                             "%s: \"accuracy\" row %zu must be %zu accuracies in [0, 1] or null",
                             path, i + 1, n);
    const cJSON *average = cJSON_GetObjectItemCaseSensitive(root, "average_accuracy");
    for (size_t j = 0; j < n; j++)
        r->average_accuracy[j] = NAN;
    if (average != NULL && !accuracy_row(average, n, r->average_accuracy))
        return EWCL_FAIL(err, EWCL_ERR_FORMAT,
                         "%s: \"average_accuracy\" must be %zu accuracies in [0, 1] or null",
                         path, n);
    return EWCL_OK;
}

static ewcl_status read_metrics(const cJSON *root, const char *path, ewcl_report_record *r,
                                ewcl_error *err)
{
    const struct {
        const char *name;
        double *out;
    } top[] = {{"final_average_accuracy", &r->final_average_accuracy},
               {"bwt", &r->bwt},
               {"forgetting", &r->forgetting},
               {"images_per_second", &r->images_per_second}},
      times[] = {{"setup", &r->setup_seconds},
                 {"train", &r->train_seconds},
                 {"fisher", &r->fisher_seconds},
                 {"eval", &r->eval_seconds},
                 {"total", &r->total_seconds}};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        if (!optional_number(root, top[i].name, top[i].out))
            return EWCL_FAIL(err, EWCL_ERR_FORMAT, "%s: \"%s\" must be a number or null",
                             path, top[i].name);
    const cJSON *seconds = cJSON_GetObjectItemCaseSensitive(root, "seconds");
    if (seconds != NULL && !cJSON_IsObject(seconds))
        return EWCL_FAIL(err, EWCL_ERR_FORMAT, "%s: \"seconds\" must be an object", path);
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        if (!optional_number(seconds, times[i].name, times[i].out))
            return EWCL_FAIL(err, EWCL_ERR_FORMAT,
                             "%s: \"seconds\".\"%s\" must be a number or null", path,
                             times[i].name);
    return EWCL_OK;
}

/* ---- The record ------------------------------------------------------------------------- */

ewcl_status ewcl_report_read_run(const char *dir, ewcl_report_record *out, ewcl_error *err)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (dir == NULL || stat(dir, &st) != 0)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "%s: no such folder",
                         dir != NULL ? dir : "(null)");
    if (!S_ISDIR(st.st_mode))
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "%s: not a folder", dir);
    char config_path[EWCL_PATH_MAX + 16], summary_path[EWCL_PATH_MAX + 16];
    if ((size_t)snprintf(config_path, sizeof config_path, "%s/config.json", dir) >=
            sizeof config_path ||
        (size_t)snprintf(summary_path, sizeof summary_path, "%s/summary.json", dir) >=
            sizeof summary_path)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "run folder path too long: %s", dir);
    cJSON *config = NULL, *summary = NULL;
    ewcl_status s = parse_file(config_path, &config, err);
    if (s == EWCL_OK)
        s = parse_file(summary_path, &summary, err);
    if (s == EWCL_OK && !flatten(out, "", config))
        s = EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory reading %s", config_path);
    if (s == EWCL_OK)
        s = read_matrix(summary, summary_path, out, err);
    if (s == EWCL_OK)
        s = read_metrics(summary, summary_path, out, err);
    cJSON_Delete(config);
    cJSON_Delete(summary);
    if (s != EWCL_OK)
        ewcl_report_record_free(out);
    return s;
}

const char *ewcl_report_record_setting(const ewcl_report_record *r, const char *key)
{
    for (size_t i = 0; r != NULL && key != NULL && i < r->setting_count; i++)
        if (strcmp(r->settings[i].key, key) == 0)
            return r->settings[i].value;
    return NULL;
}

void ewcl_report_record_free(ewcl_report_record *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->setting_count; i++) {
        free(r->settings[i].key);
        free(r->settings[i].value);
    }
    free(r->settings);
    free(r->accuracy);
    free(r->average_accuracy);
    memset(r, 0, sizeof *r);
}
