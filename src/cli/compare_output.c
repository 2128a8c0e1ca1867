/* What `ewcl compare` shows and keeps: the table, compare.json and compare.svg. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

/* "0 pocl pthread-AMD EPYC…" for an opened device, else the selector. */
static void device_label(const compare_row *row, char *out, size_t size)
{
    if (row->opened)
        snprintf(out, size, "%d %s %s", row->device.index,
                 ewcl_cl_runtime_name(row->device.runtime), row->device.name);
    else
        snprintf(out, size, "%s", row->selector);
}

static const char *agreement_word(const compare_row *row)
{
    if (row->status != EWCL_OK)
        return "failed";
    if (row->reference)
        return "reference";
    return row->agrees ? "ok" : "MISMATCH";
}

void compare_print_table(const compare_plan *plan, const compare_row *rows, size_t count)
{
    printf("\n%-36s %-7s %8s %8s %7s %8s %8s %8s %9s %7s  %s\n", "device (index runtime name)",
           "gemm", "train s", "Fisher s", "eval s", "img/s", "avg acc", "BWT", "|dθ|/|θ|",
           "|dR|", "agreement");
    for (size_t i = 0; i < count; i++) {
        const compare_row *row = &rows[i];
        char label[300];
        device_label(row, label, sizeof label);
        if (row->status != EWCL_OK) {
            printf("%-36.36s failed: %s\n", label, row->error);
            continue;
        }
        const ewcl_train_result *r = &row->result;
        printf("%-36.36s %-7s %8.3f %8.3f %7.3f %8.0f %8.4f %+8.4f", label, row->engine,
               r->train_seconds, r->fisher_seconds_total, r->eval_seconds,
               r->images_per_second, r->average_accuracy[r->task_count - 1], r->bwt);
        if (isnan(row->parameter_delta))
            printf(" %9s %7s", "-", "-");
        else
            printf(" %9.2e %7.4f", row->parameter_delta, row->accuracy_delta);
        printf("  %s\n", agreement_word(row));
    }
    printf("\nagreement with the first device: max |dθ| over max |θ| within %g, max |dR| of "
           "the accuracy matrix within %g; outside either, MISMATCH suggests a driver or "
           "kernel bug\n",
           plan->tolerance_parameters, plan->tolerance_accuracy);
}

/* A number, or null for NaN (JSON has no NaN). */
static void add_number(cJSON *o, const char *key, double value)
{
    if (isfinite(value))
        cJSON_AddNumberToObject(o, key, value);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *device_json(const compare_row *row)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "selector", row->selector);
    if (row->opened) {
        cJSON_AddNumberToObject(o, "index", row->device.index);
        cJSON_AddStringToObject(o, "platform", row->device.platform_name);
        cJSON_AddStringToObject(o, "name", row->device.name);
        cJSON_AddStringToObject(o, "type", ewcl_device_type_name(row->device.type));
        cJSON_AddStringToObject(o, "runtime", ewcl_cl_runtime_name(row->device.runtime));
        cJSON_AddStringToObject(o, "driver_version", row->device.driver_version);
        cJSON_AddStringToObject(o, "gemm_engine", row->engine);
    }
    cJSON_AddStringToObject(o, "status", row->status == EWCL_OK ? "ok" : "failed");
    cJSON_AddNumberToObject(o, "exit_code", row->exit_code);
    if (row->status != EWCL_OK) {
        cJSON_AddStringToObject(o, "error", row->error);
        return o;
    }
    const ewcl_train_result *r = &row->result;
    const size_t t = r->task_count;
    add_number(o, "setup_seconds", r->setup_seconds);
    add_number(o, "train_seconds", r->train_seconds);
    add_number(o, "fisher_seconds", r->fisher_seconds_total);
    add_number(o, "eval_seconds", r->eval_seconds);
    add_number(o, "total_seconds", r->total_seconds);
    add_number(o, "images_per_second", r->images_per_second);
    add_number(o, "average_accuracy", r->average_accuracy[t - 1]);
    add_number(o, "bwt", r->bwt);
    add_number(o, "forgetting", r->forgetting);
    cJSON *matrix = cJSON_AddArrayToObject(o, "accuracy");
    for (size_t i = 0; i < t; i++)
        cJSON_AddItemToArray(matrix, cJSON_CreateDoubleArray(r->accuracy + i * t, (int)t));
    add_number(o, "parameter_delta", row->parameter_delta);
    add_number(o, "accuracy_delta", row->accuracy_delta);
    cJSON_AddStringToObject(o, "agreement", agreement_word(row));
    return o;
}

/* The whole comparison as text (malloc'd), or NULL when out of memory. */
static char *compare_json(const compare_plan *plan, const compare_row *rows, size_t count)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "ewcl_version", ewcl_version());
    cJSON *tolerance = cJSON_AddObjectToObject(root, "tolerance");
    cJSON_AddNumberToObject(tolerance, "parameters", plan->tolerance_parameters);
    cJSON_AddNumberToObject(tolerance, "accuracy", plan->tolerance_accuracy);
    cJSON *devices = cJSON_AddArrayToObject(root, "devices");
    size_t failed = 0, mismatched = 0;
    for (size_t i = 0; i < count; i++) {
        cJSON_AddItemToArray(devices, device_json(&rows[i]));
        failed += rows[i].status != EWCL_OK;
        mismatched += rows[i].status == EWCL_OK && !rows[i].agrees;
    }
    cJSON_AddNumberToObject(root, "failed", (double)failed);
    cJSON_AddNumberToObject(root, "mismatched", (double)mismatched);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}

void compare_print_json(const compare_plan *plan, const compare_row *rows, size_t count)
{
    char *text = compare_json(plan, rows, count);
    if (text != NULL)
        puts(text);
    cJSON_free(text);
}

/* Time (train + Fisher + evaluation) and final average accuracy, a bar per device. */
static ewcl_status write_svg(const char *path, const compare_row *rows, size_t count,
                             ewcl_error *err)
{
    char (*labels)[64] = calloc(count, sizeof *labels);
    const char **names = calloc(count, sizeof *names);
    double *seconds = calloc(count, sizeof *seconds), *accuracy = calloc(count, sizeof *accuracy);
    ewcl_status s = EWCL_ERR_OUT_OF_MEMORY;
    if (labels != NULL && names != NULL && seconds != NULL && accuracy != NULL) {
        for (size_t i = 0; i < count; i++) {
            const compare_row *row = &rows[i];
            device_label(row, labels[i], sizeof labels[i]);
            labels[i][24] = '\0'; /* room for several bars side by side */
            names[i] = labels[i];
            const ewcl_train_result *r = &row->result;
            const bool ok = row->status == EWCL_OK;
            seconds[i] = ok ? r->train_seconds + r->fisher_seconds_total + r->eval_seconds : NAN;
            accuracy[i] = ok ? r->average_accuracy[r->task_count - 1] : NAN;
        }
        const ewcl_report_bars panels[2] = {
            {"Time per device: training + Fisher + evaluation", "seconds", seconds, 0.0},
            {"Average accuracy after the last task", "accuracy", accuracy, 1.0},
        };
        s = ewcl_report_write_bars_svg(names, count, panels, 2, path, err);
    } else {
        ewcl_error_clear(err);
        snprintf(err->message, sizeof err->message, "out of memory drawing compare.svg");
    }
    free(labels);
    free(names);
    free(seconds);
    free(accuracy);
    return s;
}

int compare_write_files(const compare_plan *plan, const compare_row *rows, size_t count)
{
    const char *dir = plan->request.log_dir;
    char path[EWCL_PATH_MAX + 32];
    ewcl_error err;
    ewcl_error_clear(&err);
    const ewcl_report_run run = {NULL, plan->request.data_dir_used};
    snprintf(path, sizeof path, "%s/config.json", dir);
    ewcl_status s = ewcl_report_write_config_json(&plan->request.config, &run, path, &err);
    char *text = s == EWCL_OK ? compare_json(plan, rows, count) : NULL;
    if (s == EWCL_OK && text == NULL) {
        s = EWCL_ERR_OUT_OF_MEMORY;
        snprintf(err.message, sizeof err.message, "out of memory building compare.json");
    }
    snprintf(path, sizeof path, "%s/compare.json", dir);
    if (s == EWCL_OK)
        s = ewcl_report_write_file(path, text, strlen(text), &err);
    cJSON_free(text);
    snprintf(path, sizeof path, "%s/compare.svg", dir);
    if (s == EWCL_OK)
        s = write_svg(path, rows, count, &err);
    if (s == EWCL_OK)
        return CLI_EXIT_OK;
    cli_error("compare: %s", err.message);
    return CLI_EXIT_RUNTIME;
}
