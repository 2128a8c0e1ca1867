/* metrics.csv: one schema for loss and accuracy rows (see report.h). */
#include <stdio.h>

#include "report/report_internal.h"

ewcl_status ewcl_report_write_metrics_csv(const ewcl_report_log *log, const char *path,
                                          ewcl_error *err)
{
    report_text t = {0};
    report_text_append(&t, "iteration,kind,task,epoch,ce_loss,ewc_loss,total_loss");
    for (size_t j = 0; j < log->task_count; j++)
        report_text_append(&t, ",precision_%zu", j + 1);
    report_text_append(&t, "\n");
    for (size_t i = 0; i < log->count; i++) {
        const report_row *r = &log->rows[i];
        report_text_append(&t, "%llu,%s,%zu,%zu", (unsigned long long)r->iteration,
                           ewcl_report_kind_name(r->kind), r->task + 1, r->epoch + 1);
        if (r->kind == EWCL_REPORT_LOSS)
            report_text_append(&t, ",%.9g,%.9g,%.9g", r->losses[0], r->losses[1],
                               r->losses[2]);
        else
            report_text_append(&t, ",,,");
        for (size_t j = 0; j < log->task_count; j++)
            if (j < r->tasks_seen)
                report_text_append(&t, ",%.9g", r->accuracy[j]);
            else
                report_text_append(&t, ",");
        report_text_append(&t, "\n");
    }
    const ewcl_status s = report_text_write(&t, path, err);
    report_text_free(&t);
    return s;
}
