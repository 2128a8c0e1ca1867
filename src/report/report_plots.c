/* accuracy.svg and loss.svg from the log. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "report/svg_chart.h"
#include "runtime/error_internal.h"

/* Renders `chart` and writes it; `x`, `y` are freed here. */
static ewcl_status write_chart(const svg_chart *chart, double *x, double *y, const char *path,
                               ewcl_error *err)
{
    if (x == NULL || y == NULL) {
        free(x);
        free(y);
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory building %s", path);
    }
    report_text t = {0};
    svg_chart_render(chart, &t);
    const ewcl_status s = report_text_write(&t, path, err);
    report_text_free(&t);
    free(x);
    free(y);
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
    const svg_chart chart = {"Test precision per task", "iteration", "precision", series,
                             tasks, true, 0.0, 1.0};
    const ewcl_status st = write_chart(&chart, x, y, path, err);
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
    const svg_chart chart = {"Training loss", "iteration", "loss", series, 3, false, 0.0, 0.0};
    return write_chart(&chart, x, y, path, err);
}
