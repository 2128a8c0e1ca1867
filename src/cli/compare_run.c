/* One device's run for `ewcl compare`, and how far it strays from the first device's. */
#include <math.h>
#include <stdio.h>

#include "compare.h"

/* Prints one line per finished task, so that a long comparison shows it is alive. */
static void on_task_end(void *user, const ewcl_train_task_end *e)
{
    const compare_row *row = user;
    printf("  [%s] after task %zu/%zu: average accuracy %.4f\n", row->selector, e->task + 1,
           e->task_count, e->average_accuracy);
    fflush(stdout);
}

static void fail(compare_row *row, ewcl_status status, const char *message)
{
    row->status = status;
    row->exit_code = cli_exit_code(status);
    snprintf(row->error, sizeof row->error, "%s", message);
}

void compare_run_device(const compare_plan *plan, const ewcl_idx_data *data, compare_row *row)
{
    ewcl_runtime_options options = plan->flags.options;
    snprintf(options.device, sizeof options.device, "%s", row->selector);
    row->parameter_delta = row->accuracy_delta = NAN;
    row->agrees = true;
    ewcl_error err;
    ewcl_error_clear(&err);
    ewcl_runtime *rt = NULL;
    ewcl_status s = ewcl_runtime_create(&options, &rt, &err);
    if (s != EWCL_OK) {
        fail(row, s, err.message);
        return;
    }
    row->opened = true;
    row->device = *ewcl_runtime_device(rt);
    ewcl_gemm_engine engine = EWCL_GEMM_AUTO;
    s = ewcl_runtime_gemm_engine(rt, &engine);
    row->engine = ewcl_gemm_engine_name(engine);
    const bool quiet = plan->request.quiet || plan->request.json;
    const ewcl_train_callbacks callbacks = {.task_end = quiet ? NULL : on_task_end, .user = row};
    if (s == EWCL_OK)
        s = ewcl_train_run(rt, data, &plan->request.config, &callbacks, &row->result);
    if (s != EWCL_OK)
        fail(row, s, ewcl_runtime_error(rt)->message);
    ewcl_runtime_destroy(rt);
}

/* The larger of the two, NaN once either is NaN (fmax would drop it). */
static double max_keeping_nan(double current, double value)
{
    return isnan(value) || value > current ? value : current;
}

void compare_agreement(const compare_plan *plan, const compare_row *first, compare_row *row)
{
    const ewcl_train_result *a = &first->result, *b = &row->result;
    double largest = 0.0, delta = 0.0;
    for (size_t i = 0; i < a->parameter_count; i++) {
        largest = max_keeping_nan(largest, fabs((double)a->parameters[i]));
        delta = max_keeping_nan(delta, fabs((double)a->parameters[i] - (double)b->parameters[i]));
    }
    row->parameter_delta = largest > 0.0 ? delta / largest : delta;
    /* Entries right of the diagonal are tasks not yet trained: chance level, not compared. */
    const size_t t = a->task_count;
    double accuracy = 0.0;
    for (size_t i = 0; i < t; i++)
        for (size_t j = 0; j <= i; j++)
            accuracy = max_keeping_nan(accuracy,
                                       fabs(a->accuracy[i * t + j] - b->accuracy[i * t + j]));
    row->accuracy_delta = accuracy;
    /* NaN (a non-finite parameter) fails both comparisons. */
    row->agrees = row->parameter_delta <= plan->tolerance_parameters &&
                  row->accuracy_delta <= plan->tolerance_accuracy;
}
