/* The run's settings: pytorch-ewc's defaults, its defects on request, and their checks. */
#include <math.h>

#include "runtime/error_internal.h"
#include "runtime/runtime_internal.h"
#include "train/train_internal.h"

/* More tasks than this is a typo: every task keeps a permutation on the device and a row of
 * the accuracy matrix, and is evaluated after every later task. */
#define MAX_TASKS 4096

void ewcl_train_config_default(ewcl_train_config *c)
{
    if (c == NULL)
        return;
    *c = (ewcl_train_config){
        .hidden_size = 400,
        .hidden_layer_num = 2,
        .hidden_dropout = 0.5f,
        .input_dropout = 0.2f,
        .pytorch_ewc_compat = false,
        .gemm = EWCL_GEMM_AUTO,
        .task_number = 8,
        .epochs_per_task = 3,
        .batch_size = 128,
        .lr = 0.1f,
        .weight_decay = 0.0f,
        .seed = 0,
        .consolidate = false,
        .consolidate_last = false,
        .fisher_sample_size = 1024,
        .test_size = 1024,
        .eval_log_interval = 250,
        .loss_log_interval = 250,
        .progress_interval = 10,
        .pad = 2,
        .mean = NAN,
        .std = NAN,
    };
    /* The explicit penalty step stays the default, as in the references: with separate
     * penalties S grows with every task and at pytorch-ewc's lr and λ the step crosses
     * lr·λ·max(S) = 2 (measured: task 8 of Fashion-MNIST); consolidation warns then, and
     * the implicit step is the remedy the warning names. */
    ewcl_ewc_config_default(&c->ewc);
}

void ewcl_train_config_pytorch_ewc(ewcl_train_config *c)
{
    if (c == NULL)
        return;
    c->pytorch_ewc_compat = true;
    c->ewc.mode = EWCL_EWC_OVERWRITE;
    c->ewc.labels = EWCL_FISHER_TRUE;
    c->ewc.fisher_dropout = true;
}

static bool finite_nonnegative(float x)
{
    return isfinite(x) && x >= 0.0f;
}

ewcl_status train_config_check(ewcl_runtime *rt, const ewcl_train_config *c,
                               const ewcl_idx_data *data)
{
    ewcl_error *err = &rt->error;
    if (c->task_number == 0 || c->task_number > MAX_TASKS || c->epochs_per_task == 0 ||
        c->batch_size == 0 || c->batch_size > UINT32_MAX)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "train: task number (1 to %d), epochs per task and batch size must be "
                         "positive, not %zu, %zu and %zu",
                         MAX_TASKS, c->task_number, c->epochs_per_task, c->batch_size);
    if (!finite_nonnegative(c->lr) || !finite_nonnegative(c->weight_decay))
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "train: lr and weight decay must be finite and ≥ 0, not %g and %g",
                         (double)c->lr, (double)c->weight_decay);
    if (data->train.count == 0 || data->test.count == 0 || data->train.rows != data->test.rows ||
        data->train.cols != data->test.cols || data->train.classes != data->test.classes)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "train: the training and test sets must be non-empty, with images of "
                         "one size and the same classes");
    if (data->train.count > UINT32_MAX || data->test.count > UINT32_MAX)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "train: sets of more than %u images", UINT32_MAX);
    if (c->test_size == 0 || c->test_size > data->test.count)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "train: test size %zu outside 1 to %zu (the test set's images)",
                         c->test_size, data->test.count);
    /* Checked now rather than after the first task has been trained. */
    if (c->consolidate && (c->task_number > 1 || c->consolidate_last) &&
        (c->fisher_sample_size == 0 || c->fisher_sample_size > data->train.count))
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "train: Fisher sample size %zu outside 1 to %zu (a task's training "
                         "images)",
                         c->fisher_sample_size, data->train.count);
    const bool given = !isnan(c->mean) || !isnan(c->std);
    if (given && !(isfinite(c->mean) && isfinite(c->std) && c->std > 0.0))
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "train: normalisation needs a finite mean and std > 0 (%g, %g), or "
                         "both NaN to use the training set's",
                         c->mean, c->std);
    return EWCL_OK;
}
