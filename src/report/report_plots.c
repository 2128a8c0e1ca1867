/* accuracy.svg and loss.svg from the log. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "report/svg_chart.h"
#include "runtime/error_internal.h"

/* Where each task after the first starts: the end of the one before (its task_end row);
 * malloc'd (at least one element, so that NULL means out of memory), count in *count. */
static svg_marker *task_markers(const ewcl_report_log *log, size_t *count)
{
    svg_marker *markers = malloc((log->task_count > 1 ? log->task_count : 1) * sizeof *markers);
    *count = 0;
    for (size_t i = 0; markers != NULL && i < log->count; i++) {
        const report_row *r = &log->rows[i];
        if (r->kind != EWCL_REPORT_TASK_END || r->task + 1 >= log->task_count ||
            *count + 1 >= log->task_count)
            continue;
        markers[*count].x = (double)r->iteration;
        snprintf(markers[*count].name, sizeof markers[*count].name, "task %zu", r->task + 2);
        ++*count;
    }
    return markers;
}

/* Renders `chart` with the task boundaries of `log` and writes it; `x`, `y` are freed
 * here. */
static ewcl_status write_chart(svg_chart chart, const ewcl_report_log *log, double *x,
                               double *y, const char *path, ewcl_error *err)
{
    svg_marker *markers = task_markers(log, &chart.marker_count);
    if (x == NULL || y == NULL || markers == NULL) {
        free(x);
        free(y);
        free(markers);
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory building %s", path);
    }
    chart.markers = markers;
    report_text t = {0};
    svg_chart_render(&chart, &t);
    const ewcl_status s = report_text_write(&t, path, err);
    report_text_free(&t);
    free(x);
    free(y);
    free(markers);
    return s;
}

ewcl_status ewcl_report_write_accuracy_svg(const ewcl_report_log *log, const char *path,
                                           ewcl_error *err)
{
    const size_t tasks = log->task_count, n = log->count;
    /* One block of n points per task: x the iteration, y NaN where the row lacks the task. */
    double *x = malloc((n * tasks + 1) * sizeof *x), *y = malloc((n * tasks + 1) * sizeof *y);
    svg_series *series = calloc(tasks, sizeof *series);
    if (series == NULL) {
        free(x);
        free(y);
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory building %s", path);
    }
    for (size_t j = 0; j < tasks && x != NULL && y != NULL; j++) {
        svg_series *s = &series[j];
        snprintf(s->name, sizeof s->name, "task %zu", j + 1);
        s->x = x + j * n;
        s->y = y + j * n;
        for (size_t i = 0; i < n; i++) {
            const report_row *r = &log->rows[i];
            if (r->kind == EWCL_REPORT_LOSS || j >= r->tasks_seen)
                continue;
            x[j * n + s->count] = (double)r->iteration;
            y[j * n + s->count] = r->accuracy[j];
            s->count++;
        }
    }
    const svg_chart chart = {.title = "Test precision per task", .x_label = "iteration",
                             .y_label = "precision", .series = series, .series_count = tasks,
                             .fixed_y = true, .y_min = 0.0, .y_max = 1.0};
    const ewcl_status st = write_chart(chart, log, x, y, path, err);
    free(series);
    return st;
}

ewcl_status ewcl_report_write_loss_svg(const ewcl_report_log *log, const char *path,
                                       ewcl_error *err)
{
    static const char *const names[3] = {"cross-entropy", "EWC penalty", "total"};
    const size_t n = log->count;
    double *x = malloc((n + 1) * sizeof *x), *y = malloc((3 * n + 1) * sizeof *y);
    svg_series series[3] = {{{0}, NULL, NULL, 0}};
    for (size_t k = 0; k < 3 && x != NULL && y != NULL; k++) {
        snprintf(series[k].name, sizeof series[k].name, "%s", names[k]);
        series[k].x = x;
        series[k].y = y + k * n;
        size_t count = 0;
        for (size_t i = 0; i < n; i++)
            if (log->rows[i].kind == EWCL_REPORT_LOSS) {
                x[count] = (double)log->rows[i].iteration;
                y[k * n + count++] = log->rows[i].losses[k];
            }
        series[k].count = count;
    }
    const svg_chart chart = {.title = "Training loss", .x_label = "iteration",
                             .y_label = "loss", .series = series, .series_count = 3};
    return write_chart(chart, log, x, y, path, err);
}
