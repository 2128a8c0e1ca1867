/* `ewcl compare`: one configuration of `ewcl train` on several devices, one after another,
 * each in a fresh runtime; the runs side by side and their agreement with the first. */
#ifndef EWCL_CLI_COMPARE_H
#define EWCL_CLI_COMPARE_H

#include "train_request.h"

/* How far a device may stray from the first one before it is flagged. The same seed gives
 * the same run up to float rounding, which training amplifies; these bounds sit well above
 * what rounding did between PoCL's two drivers and Oclgrind (README, "Comparing devices"). */
#define COMPARE_TOLERANCE_PARAMETERS 0.05 /* max |Δθ| / max |θ| of the first device */
#define COMPARE_TOLERANCE_ACCURACY 0.02   /* max |ΔR[i][j]| of the accuracy matrices */

/* One device's row. */
typedef struct compare_row {
    char selector[256];          /* as --devices named it (a flat index by default) */
    bool opened;                 /* the runtime was made: `device` is filled */
    ewcl_device_info device;
    const char *engine;          /* GEMM engine the run used ("native", "clblast") */
    ewcl_status status;          /* EWCL_OK, or why the device failed */
    int exit_code;               /* 0, or what `ewcl train` would have exited with */
    char error[EWCL_ERROR_MESSAGE_MAX]; /* the failure's message */
    ewcl_train_result result;    /* when status is EWCL_OK */
    /* Agreement with the first device that ran (NaN for that one and for failures). */
    double parameter_delta;      /* max |Δθ| / max |θ_first| */
    double accuracy_delta;       /* max |ΔR[i][j]| over i ≥ j (the trained entries) */
    bool agrees;                 /* within the tolerances above (true when not compared) */
    bool reference;              /* the first device that ran: the others are compared to it */
} compare_row;

/* What the command was asked. */
typedef struct compare_plan {
    train_request request;
    cli_runtime_flags flags;     /* options.device is replaced by each row's selector */
    double tolerance_parameters, tolerance_accuracy;
    char devices[1024];          /* --devices "SEL1;SEL2"; empty: every usable device */
} compare_plan;

/* Runs the plan's configuration on row->selector in a fresh runtime; fills the row. */
void compare_run_device(const compare_plan *plan, const ewcl_idx_data *data, compare_row *row);

/* Fills the agreement fields of `row` against `first` (both ran). */
void compare_agreement(const compare_plan *plan, const compare_row *first, compare_row *row);

/* The table on stdout. */
void compare_print_table(const compare_plan *plan, const compare_row *rows, size_t count);

/* compare.json's document on stdout (--json). */
void compare_print_json(const compare_plan *plan, const compare_row *rows, size_t count);

/* config.json, compare.json and compare.svg into the plan's log folder; the exit code (one line printed
 * on failure). */
int compare_write_files(const compare_plan *plan, const compare_row *rows, size_t count);

#endif
