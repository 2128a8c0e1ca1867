/* ewcl — the report layer: a training run's metrics and plots as files.
 *
 * A log collects the points of a run as its callbacks deliver them (losses, periodic
 * evaluations, the end-of-task rows of the accuracy matrix); writers turn the log, the
 * configuration and the result into CSV, JSON and SVG. Every file is written atomically
 * (a temporary file beside it, then rename), so a reader never sees half of one. Errors are
 * EWCL_ERR_IO (or EWCL_ERR_OUT_OF_MEMORY) in `err`, the message naming the path; nothing is
 * printed.
 *
 *   ewcl_report_log *log = NULL;
 *   ewcl_report_prepare_dir("runs/a", &err);       // before training: fail early
 *   ewcl_report_log_create(cfg.task_number, &log, &err);
 *   ... in the callbacks: ewcl_report_log_loss / ewcl_report_log_accuracy ...
 *   ewcl_report_write_all("runs/a", log, &cfg, &result, &run, &err);
 *   ewcl_report_log_destroy(log);
 */
#ifndef EWCL_REPORT_H
#define EWCL_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ewcl/error.h"
#include "ewcl/runtime.h"
#include "ewcl/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a row of the log holds. */
typedef enum ewcl_report_kind {
    EWCL_REPORT_LOSS = 0, /* the losses of the last batch at a loss-log point */
    EWCL_REPORT_EVAL,     /* periodic evaluation on each seen task's fixed test subset */
    EWCL_REPORT_TASK_END  /* the end of a task: full test sets of the tasks seen */
} ewcl_report_kind;

/* The name used in metrics.csv's `kind` column: "loss", "eval", "task_end". */
EWCL_API const char *ewcl_report_kind_name(ewcl_report_kind kind);

typedef struct ewcl_report_log ewcl_report_log;

/* An empty log for a run of `task_count` tasks. */
EWCL_API ewcl_status ewcl_report_log_create(size_t task_count, ewcl_report_log **out,
                                            ewcl_error *err);
/* NULL does nothing. */
EWCL_API void ewcl_report_log_destroy(ewcl_report_log *log);

/* A loss point (0-based task and epoch, as the callbacks give them). */
EWCL_API ewcl_status ewcl_report_log_loss(ewcl_report_log *log, uint64_t iteration,
                                          size_t task, size_t epoch, double cross_entropy,
                                          double ewc_loss, double total_loss, ewcl_error *err);
/* An accuracy point (EWCL_REPORT_EVAL or EWCL_REPORT_TASK_END): accuracy[j] for the tasks
 * j < tasks_seen (at most task_count); the others stay empty. */
EWCL_API ewcl_status ewcl_report_log_accuracy(ewcl_report_log *log, ewcl_report_kind kind,
                                              uint64_t iteration, size_t task, size_t epoch,
                                              const double *accuracy, size_t tasks_seen,
                                              ewcl_error *err);

/* Where and with what a run ran, for config.json and summary.json. */
typedef struct ewcl_report_run {
    const ewcl_device_info *device; /* may be NULL: written as null */
    const char *data_dir;           /* may be NULL */
} ewcl_report_run;

/* Creates `dir` with its parents and checks that a file can be written there (a probe that
 * is removed again): call it before training so that a bad directory fails at once. */
EWCL_API ewcl_status ewcl_report_prepare_dir(const char *dir, ewcl_error *err);

/* metrics.csv: the header
 *   iteration,kind,task,epoch,ce_loss,ewc_loss,total_loss,precision_1,…,precision_T
 * then one row per logged point, in the order logged; task and epoch count from 1; fields
 * a row does not have (losses of an accuracy row, precision of a task not yet seen) are
 * empty. */
EWCL_API ewcl_status ewcl_report_write_metrics_csv(const ewcl_report_log *log,
                                                   const char *path, ewcl_error *err);
/* accuracy.svg: each task's test precision against iterations (eval and task_end points),
 * one <polyline> per task, with axes, ticks, labels and a legend. */
EWCL_API ewcl_status ewcl_report_write_accuracy_svg(const ewcl_report_log *log,
                                                    const char *path, ewcl_error *err);
/* loss.svg: cross-entropy, EWC and total loss against iterations, one <polyline> each. */
EWCL_API ewcl_status ewcl_report_write_loss_svg(const ewcl_report_log *log, const char *path,
                                                ewcl_error *err);
/* config.json: every setting of `config`, the device, the data directory, ewcl's version. */
EWCL_API ewcl_status ewcl_report_write_config_json(const ewcl_train_config *config,
                                                   const ewcl_report_run *run,
                                                   const char *path, ewcl_error *err);
/* summary.json: the accuracy matrix, average accuracy after each task, BWT and forgetting
 * (null when undefined, T < 2), the times, images/s and the device. */
EWCL_API ewcl_status ewcl_report_write_summary_json(const ewcl_train_result *result,
                                                    const ewcl_report_run *run,
                                                    const char *path, ewcl_error *err);

/* All five files above into `dir` (which must exist: ewcl_report_prepare_dir). `result`
 * NULL (a run that failed) leaves out summary.json: the rest shows how far it got. */
EWCL_API ewcl_status ewcl_report_write_all(const char *dir, const ewcl_report_log *log,
                                           const ewcl_train_config *config,
                                           const ewcl_train_result *result,
                                           const ewcl_report_run *run, ewcl_error *err);

#ifdef __cplusplus
}
#endif
#endif
