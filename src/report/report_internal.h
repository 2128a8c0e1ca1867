/* The report layer's shared pieces: the log's rows, a growing text buffer, atomic writes. */
#ifndef EWCL_REPORT_INTERNAL_H
#define EWCL_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ewcl/report.h"

typedef struct report_row {
    ewcl_report_kind kind;
    uint64_t iteration;
    size_t task, epoch;       /* 0-based */
    double losses[3];         /* cross-entropy, EWC, total: loss rows only */
    double *accuracy;         /* tasks_seen entries (owned): accuracy rows only */
    size_t tasks_seen;
} report_row;

struct ewcl_report_log {
    size_t task_count;
    report_row *rows;
    size_t count, capacity;
};

/* Text built in memory, written in one go. After a failed allocation `failed` is set and
 * further appends do nothing, so that writers check once at the end. */
typedef struct report_text {
    char *data;
    size_t length, capacity;
    bool failed;
} report_text;

void report_text_append(report_text *t, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void report_text_free(report_text *t);

/* Writes `t` to `path` through a temporary file and rename; EWCL_ERR_OUT_OF_MEMORY when the
 * text could not be built. */
ewcl_status report_text_write(const report_text *t, const char *path, ewcl_error *err);

#endif
