/* The log of a run's points, in the order the callbacks deliver them. */
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"
#include "runtime/error_internal.h"

const char *ewcl_report_kind_name(ewcl_report_kind kind)
{
    switch (kind) {
    case EWCL_REPORT_LOSS:
        return "loss";
    case EWCL_REPORT_EVAL:
        return "eval";
    default:
        return "task_end";
    }
}

ewcl_status ewcl_report_log_create(size_t task_count, ewcl_report_log **out, ewcl_error *err)
{
    *out = NULL;
    if (task_count == 0)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "a report log needs at least one task");
    ewcl_report_log *log = calloc(1, sizeof *log);
    if (log == NULL)
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory for the report log");
    log->task_count = task_count;
    *out = log;
    return EWCL_OK;
}

void ewcl_report_log_destroy(ewcl_report_log *log)
{
    if (log == NULL)
        return;
    for (size_t i = 0; i < log->count; i++)
        free(log->rows[i].accuracy);
    free(log->rows);
    free(log);
}

/* A new zeroed row at the end, or NULL when memory runs out. */
static report_row *append_row(ewcl_report_log *log)
{
    if (log->count == log->capacity) {
        const size_t capacity = log->capacity == 0 ? 64 : 2 * log->capacity;
        report_row *rows = realloc(log->rows, capacity * sizeof *rows);
        if (rows == NULL)
            return NULL;
        log->rows = rows;
        log->capacity = capacity;
    }
    report_row *row = &log->rows[log->count++];
    memset(row, 0, sizeof *row);
    return row;
}

ewcl_status ewcl_report_log_loss(ewcl_report_log *log, uint64_t iteration, size_t task,
                                 size_t epoch, double cross_entropy, double ewc_loss,
                                 double total_loss, ewcl_error *err)
{
    report_row *row = append_row(log);
    if (row == NULL)
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory for the report log");
    *row = (report_row){.kind = EWCL_REPORT_LOSS, .iteration = iteration, .task = task,
                        .epoch = epoch, .losses = {cross_entropy, ewc_loss, total_loss}};
    return EWCL_OK;
}

ewcl_status ewcl_report_log_accuracy(ewcl_report_log *log, ewcl_report_kind kind,
                                     uint64_t iteration, size_t task, size_t epoch,
                                     const double *accuracy, size_t tasks_seen,
                                     ewcl_error *err)
{
    if (kind == EWCL_REPORT_LOSS || tasks_seen > log->task_count)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "report log: an accuracy row of %zu tasks (of %zu)", tasks_seen,
                         log->task_count);
    /* At least one element: malloc(0) may return NULL, which would read as failure. */
    double *copy = malloc((tasks_seen > 0 ? tasks_seen : 1) * sizeof *copy);
    report_row *row = copy == NULL ? NULL : append_row(log);
    if (row == NULL) {
        free(copy);
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory for the report log");
    }
    if (tasks_seen > 0)
        memcpy(copy, accuracy, tasks_seen * sizeof *copy);
    *row = (report_row){.kind = kind, .iteration = iteration, .task = task, .epoch = epoch,
                        .accuracy = copy, .tasks_seen = tasks_seen};
    return EWCL_OK;
}
