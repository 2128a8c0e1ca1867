/* config.json and summary.json, built with cJSON. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "report/report_internal.h"
#include "runtime/error_internal.h"

/* NaN and infinities are not JSON: null stands for "undefined". */
static void add_number(cJSON *object, const char *name, double value)
{
    if (isfinite(value))
        cJSON_AddNumberToObject(object, name, value);
    else
        cJSON_AddNullToObject(object, name);
}

/* A float setting as the user typed it (0.1, not 0.10000000149011612). */
static void add_float(cJSON *object, const char *name, float value)
{
    char text[32];
    snprintf(text, sizeof text, "%.7g", (double)value);
    add_number(object, name, strtod(text, NULL));
}

static void add_count(cJSON *object, const char *name, uint64_t value)
{
    /* Doubles hold integers exactly up to 2^53; a larger one (a seed) goes as a string. */
    if (value <= (UINT64_C(1) << 53)) {
        cJSON_AddNumberToObject(object, name, (double)value);
        return;
    }
    char text[32];
    snprintf(text, sizeof text, "%llu", (unsigned long long)value);
    cJSON_AddStringToObject(object, name, text);
}

static cJSON *number_array(const double *values, size_t count)
{
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; array != NULL && i < count; i++)
        cJSON_AddItemToArray(array, isfinite(values[i]) ? cJSON_CreateNumber(values[i])
                                                        : cJSON_CreateNull());
    return array;
}

static void add_run(cJSON *root, const ewcl_report_run *run)
{
    cJSON_AddStringToObject(root, "ewcl_version", ewcl_version());
    const ewcl_device_info *d = run != NULL ? run->device : NULL;
    if (d == NULL)
        cJSON_AddNullToObject(root, "device");
    else {
        cJSON *device = cJSON_AddObjectToObject(root, "device");
        cJSON_AddStringToObject(device, "name", d->name);
        cJSON_AddStringToObject(device, "runtime", ewcl_cl_runtime_name(d->runtime));
        cJSON_AddStringToObject(device, "type", ewcl_device_type_name(d->type));
        cJSON_AddStringToObject(device, "vendor", d->vendor);
        cJSON_AddStringToObject(device, "platform", d->platform_name);
        cJSON_AddStringToObject(device, "driver_version", d->driver_version);
        cJSON_AddStringToObject(device, "opencl_c_version", d->opencl_c_version);
        cJSON_AddNumberToObject(device, "compute_units", d->compute_units);
    }
}

/* Prints `root` (which it frees) to `path`; a failed print is out of memory. cJSON's Add*
 * calls accept a NULL parent, so the builders above need no check per field. */
static ewcl_status write_json(cJSON *root, const char *path, ewcl_error *err)
{
    char *text = root != NULL ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (text == NULL)
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory building %s", path);
    report_text t = {0};
    report_text_append(&t, "%s\n", text);
    cJSON_free(text);
    const ewcl_status s = report_text_write(&t, path, err);
    report_text_free(&t);
    return s;
}

ewcl_status ewcl_report_write_config_json(const ewcl_train_config *c,
                                          const ewcl_report_run *run, const char *path,
                                          ewcl_error *err)
{
    static const char *const gemm[] = {"auto", "native", "clblast"};
    static const char *const modes[] = {"separate", "online", "overwrite"};
    static const char *const labels[] = {"true", "sample", "pred", "all"};
    static const char *const steps[] = {"explicit", "implicit"};
    cJSON *root = cJSON_CreateObject();
    if (root == NULL)
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory building %s", path);
    add_run(root, run);
    if (run != NULL && run->data_dir != NULL)
        cJSON_AddStringToObject(root, "data_dir", run->data_dir);
    cJSON *n = cJSON_AddObjectToObject(root, "network");
    add_count(n, "hidden_size", c->hidden_size);
    add_count(n, "hidden_layer_num", c->hidden_layer_num);
    add_float(n, "hidden_dropout", c->hidden_dropout);
    add_float(n, "input_dropout", c->input_dropout);
    cJSON_AddBoolToObject(n, "pytorch_ewc_compat", c->pytorch_ewc_compat);
    cJSON_AddStringToObject(n, "gemm", gemm[c->gemm]);
    cJSON *s = cJSON_AddObjectToObject(root, "schedule");
    add_count(s, "task_number", c->task_number);
    add_count(s, "epochs_per_task", c->epochs_per_task);
    add_count(s, "batch_size", c->batch_size);
    add_float(s, "lr", c->lr);
    add_float(s, "weight_decay", c->weight_decay);
    add_count(s, "seed", c->seed);
    cJSON *e = cJSON_AddObjectToObject(root, "ewc");
    cJSON_AddBoolToObject(e, "consolidate", c->consolidate);
    cJSON_AddBoolToObject(e, "consolidate_last", c->consolidate_last);
    cJSON_AddStringToObject(e, "mode", modes[c->ewc.mode]);
    add_float(e, "lambda", c->ewc.lambda);
    add_float(e, "gamma", c->ewc.gamma);
    cJSON_AddStringToObject(e, "fisher_labels", labels[c->ewc.labels]);
    cJSON_AddBoolToObject(e, "fisher_dropout", c->ewc.fisher_dropout);
    cJSON_AddStringToObject(e, "penalty_step", steps[c->ewc.step]);
    add_count(e, "fisher_sample_size", c->fisher_sample_size);
    cJSON *l = cJSON_AddObjectToObject(root, "logging");
    add_count(l, "test_size", c->test_size);
    add_count(l, "eval_log_interval", c->eval_log_interval);
    add_count(l, "loss_log_interval", c->loss_log_interval);
    add_count(l, "progress_interval", c->progress_interval);
    cJSON *i = cJSON_AddObjectToObject(root, "inputs");
    add_count(i, "pad", c->pad);
    /* null: the training set's own statistics (the default). */
    add_number(i, "mean", c->mean);
    add_number(i, "std", c->std);
    return write_json(root, path, err);
}

/* summary.json's document; NULL when memory runs out. */
static cJSON *summary_document(const ewcl_train_result *r, const ewcl_report_run *run)
{
    const size_t t = r->task_count;
    cJSON *root = cJSON_CreateObject();
    if (root == NULL)
        return NULL;
    add_run(root, run);
    add_count(root, "task_count", t);
    /* Row i: after training task i; column j: the full test set of task j. */
    cJSON *matrix = cJSON_AddArrayToObject(root, "accuracy");
    for (size_t i = 0; matrix != NULL && i < t; i++)
        cJSON_AddItemToArray(matrix, number_array(r->accuracy + i * t, t));
    cJSON_AddItemToObject(root, "average_accuracy", number_array(r->average_accuracy, t));
    add_number(root, "final_average_accuracy", t > 0 ? r->average_accuracy[t - 1] : NAN);
    add_number(root, "bwt", r->bwt); /* null when T < 2 */
    add_number(root, "forgetting", r->forgetting);
    cJSON *times = cJSON_AddObjectToObject(root, "seconds");
    add_number(times, "setup", r->setup_seconds);
    add_number(times, "train", r->train_seconds);
    add_number(times, "fisher", r->fisher_seconds_total);
    add_number(times, "eval", r->eval_seconds);
    add_number(times, "total", r->total_seconds);
    cJSON_AddItemToObject(times, "fisher_per_task", number_array(r->fisher_seconds, t));
    add_count(root, "iterations", r->iterations);
    add_count(root, "train_images", r->train_images);
    add_number(root, "images_per_second", r->images_per_second);
    add_count(root, "parameter_count", r->parameter_count);
    cJSON *norm = cJSON_AddObjectToObject(root, "normalisation");
    add_number(norm, "mean", r->mean);
    add_number(norm, "std", r->std);
    return root;
}

ewcl_status ewcl_report_write_summary_json(const ewcl_train_result *r,
                                           const ewcl_report_run *run, const char *path,
                                           ewcl_error *err)
{
    return write_json(summary_document(r, run), path, err);
}

ewcl_status ewcl_report_summary_json(const ewcl_train_result *r, const ewcl_report_run *run,
                                     char **out, ewcl_error *err)
{
    *out = NULL;
    cJSON *root = summary_document(r, run);
    char *text = root != NULL ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    /* The caller frees with free(), which need not be cJSON's allocator. */
    report_text t = {0};
    if (text != NULL)
        report_text_append(&t, "%s\n", text);
    cJSON_free(text);
    if (text == NULL || t.failed) {
        report_text_free(&t);
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory building the summary");
    }
    *out = t.data;
    return EWCL_OK;
}
