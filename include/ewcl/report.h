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
/* The same document as text (ending in a newline) in *out, to be freed with free(). */
EWCL_API ewcl_status ewcl_report_summary_json(const ewcl_train_result *result,
                                              const ewcl_report_run *run, char **out,
                                              ewcl_error *err);

/* All five files above into `dir` (which must exist: ewcl_report_prepare_dir). `result`
 * NULL (a run that failed) leaves out summary.json: the rest shows how far it got. */
EWCL_API ewcl_status ewcl_report_write_all(const char *dir, const ewcl_report_log *log,
                                           const ewcl_train_config *config,
                                           const ewcl_train_result *result,
                                           const ewcl_report_run *run, ewcl_error *err);

/* ---- Reading a run folder back (`ewcl report`) ------------------------------------------ */

/* One leaf of config.json under its dotted path: "schedule.lr" = "0.1". */
typedef struct ewcl_report_setting {
    char *key;
    char *value; /* a string as written; a number, boolean, null or array as compact JSON */
} ewcl_report_setting;

/* What a run folder's config.json and summary.json say. Numbers that are null or absent in
 * summary.json are NaN (BWT of one task, a time another implementation does not measure). */
typedef struct ewcl_report_record {
    ewcl_report_setting *settings; /* config.json's leaves in file order; unknown keys kept */
    size_t setting_count;
    size_t task_count;
    double *accuracy;              /* task_count², R[i·task_count + j] */
    double *average_accuracy;      /* task_count */
    double final_average_accuracy, bwt, forgetting;
    double setup_seconds, train_seconds, fisher_seconds, eval_seconds, total_seconds;
    double images_per_second;
} ewcl_report_record;

/* Reads `dir`/config.json and `dir`/summary.json (as ewcl_report_write_all and
 * tools/torch_reference.py write them). Errors, the message naming the file: a folder or
 * file that does not exist, EWCL_ERR_INVALID_ARGUMENT (not a run folder); one that cannot be
 * read, EWCL_ERR_IO; text that is not JSON (with its line), or a summary of the wrong shape
 * (task_count not 1 … 4096, an accuracy matrix that is not task_count rows of task_count
 * numbers in [0, 1] or null, a metric or time that is not a number or null),
 * EWCL_ERR_FORMAT. On failure *out is empty. */
EWCL_API ewcl_status ewcl_report_read_run(const char *dir, ewcl_report_record *out,
                                          ewcl_error *err);
/* The value of setting `key`, NULL when the run has none. */
EWCL_API const char *ewcl_report_record_setting(const ewcl_report_record *record,
                                                const char *key);
/* Frees and empties the record; NULL or an empty record does nothing. */
EWCL_API void ewcl_report_record_free(ewcl_report_record *record);

/* ---- Other documents ------------------------------------------------------------------- */

/* `size` bytes to `path`, atomically like every file above (for documents a caller builds
 * itself, such as `ewcl compare`'s compare.json). */
EWCL_API ewcl_status ewcl_report_write_file(const char *path, const void *bytes, size_t size,
                                            ewcl_error *err);

/* One panel of a bar chart: a value per category. */
typedef struct ewcl_report_bars {
    const char *title, *y_label; /* plain text */
    const double *values;        /* one per category; NaN draws no bar, only "n/a" */
    double y_max;                /* top of the y axis; 0: from the data */
} ewcl_report_bars;

/* Bar charts over the same named categories (device names, say: escaped here), one panel
 * below the other in one SVG document, written atomically. */
EWCL_API ewcl_status ewcl_report_write_bars_svg(const char *const *categories, size_t count,
                                                const ewcl_report_bars *panels,
                                                size_t panel_count, const char *path,
                                                ewcl_error *err);

#ifdef __cplusplus
}
#endif
#endif
