/* The continual-learning loop: tasks × epochs × shuffled batches, with loss-log points,
 * periodic evaluations, the accuracy matrix at the end of every task and consolidation
 * between tasks. Nothing is read back between log points. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/error_internal.h"
#include "runtime/runtime_internal.h"
#include "train/train_internal.h"

/* Where the loop is, for progress reports and error messages. */
typedef struct loop_position {
    size_t task, epoch, batch, batch_count;
    size_t last_batch_size;
} loop_position;

static ewcl_train_progress progress_at(const train_session *s, const loop_position *p)
{
    const double seconds = train_clock_seconds(&s->clock, TRAIN_PHASE_TRAIN);
    return (ewcl_train_progress){
        .task = p->task,
        .task_count = s->config->task_number,
        .epoch = p->epoch,
        .epoch_count = s->config->epochs_per_task,
        .batch = p->batch,
        .batch_count = p->batch_count,
        .iteration = s->iteration,
        .train_seconds = seconds,
        .images_per_second = seconds > 0.0 ? (double)s->train_images / seconds : 0.0,
    };
}

/* Reads the last batch's loss and accuracy and the penalty: a loss-log point. A loss that
 * is not finite ends the run. */
static ewcl_status read_losses(train_session *s, const loop_position *p,
                               ewcl_train_progress *out)
{
    *out = progress_at(s, p);
    out->has_losses = true;
    size_t correct = 0;
    ewcl_status st = ewcl_mlp_read_loss(s->mlp, p->last_batch_size, &out->cross_entropy,
                                        &correct);
    if (st == EWCL_OK && s->ewc != NULL)
        st = ewcl_ewc_penalty(s->ewc, &out->ewc_loss);
    if (st != EWCL_OK)
        return st;
    out->precision = (double)correct / (double)p->last_batch_size;
    out->total_loss = out->cross_entropy + out->ewc_loss;
    if (isfinite(out->total_loss))
        return EWCL_OK;
    const ewcl_train_config *c = s->config;
    /* The explicit penalty step has its own limit, which a smaller λ also cures. */
    const double product =
        s->ewc != NULL ? (double)c->lr * c->ewc.lambda * ewcl_ewc_max_importance(s->ewc) : 0.0;
    const bool unstable_penalty = c->ewc.step == EWCL_PENALTY_EXPLICIT && product >= 2.0;
    return EWCL_FAIL(&s->rt->error, EWCL_ERR_NUMERIC,
                     "training diverged at task %zu/%zu, epoch %zu/%zu, step %zu/%zu "
                     "(iteration %llu): cross-entropy %g, EWC loss %g; try a smaller "
                     "learning rate than lr = %g%s",
                     p->task + 1, c->task_number, p->epoch + 1, c->epochs_per_task, p->batch,
                     p->batch_count, (unsigned long long)s->iteration, out->cross_entropy,
                     out->ewc_loss, (double)c->lr,
                     unstable_penalty ? ", a smaller lambda, or the implicit penalty step "
                                        "(lr·λ·max(S) ≥ 2 makes the explicit one unstable)"
                                      : "");
}

static bool every(uint64_t iteration, size_t interval)
{
    return interval > 0 && iteration % interval == 0;
}

/* Keeps a logged point for checkpoints. */
static ewcl_status remember(train_session *s, const ewcl_train_point *point)
{
    if (!train_history_append(&s->history, point))
        return EWCL_FAIL(&s->rt->error, EWCL_ERR_OUT_OF_MEMORY, "train: out of memory");
    return EWCL_OK;
}

/* Accuracy on the fixed test subset of every task seen so far. */
static ewcl_status periodic_evaluation(train_session *s, size_t task, size_t epoch)
{
    ewcl_status st = train_clock_switch(&s->clock, s->rt, TRAIN_PHASE_EVAL);
    for (size_t j = 0; j <= task && st == EWCL_OK; j++)
        st = train_evaluate(s, j, s->eval_subset, s->config->test_size,
                            &s->scratch_accuracy[j]);
    if (st == EWCL_OK && s->callbacks.evaluation != NULL) {
        const ewcl_train_evaluation e = {task, s->iteration, task + 1, s->scratch_accuracy,
                                         s->config->test_size};
        s->callbacks.evaluation(s->callbacks.user, &e);
    }
    const ewcl_train_point point = {.kind = EWCL_TRAIN_POINT_EVAL, .iteration = s->iteration,
                                    .task = task, .epoch = epoch,
                                    .accuracy = s->scratch_accuracy, .tasks_seen = task + 1};
    if (st == EWCL_OK)
        st = remember(s, &point);
    const ewcl_status back = train_clock_switch(&s->clock, s->rt, TRAIN_PHASE_TRAIN);
    return st != EWCL_OK ? st : back;
}

/* The position after the batch just trained; false after a task's last batch: that state
 * becomes resumable only once the task's end has run. */
static bool next_position(const train_session *s, const loop_position *p, train_position *next)
{
    if (p->batch < p->batch_count)
        *next = (train_position){p->task, p->epoch, p->batch};
    else if (p->epoch + 1 < s->config->epochs_per_task)
        *next = (train_position){p->task, p->epoch + 1, 0};
    else
        return false;
    return true;
}

/* A loss-log point's losses, kept; and, being finite, the state as the last finite one. */
static ewcl_status remember_losses(train_session *s, const loop_position *p,
                                   const ewcl_train_progress *losses)
{
    const ewcl_train_point point = {
        .kind = EWCL_TRAIN_POINT_LOSS, .iteration = s->iteration, .task = p->task,
        .epoch = p->epoch, .cross_entropy = losses->cross_entropy,
        .ewc_loss = losses->ewc_loss, .total_loss = losses->total_loss,
        .precision = losses->precision};
    ewcl_status st = remember(s, &point);
    train_position next;
    if (st == EWCL_OK && next_position(s, p, &next))
        st = train_checkpoint_snapshot(s, s->result, next);
    return st;
}

static bool stop_requested(const train_session *s)
{
    return s->callbacks.stop_requested != NULL && s->callbacks.stop_requested(s->callbacks.user);
}

/* After a step: a checkpoint when one is due or a stop was asked for (then the run ends
 * here). At a task's last step both wait for the task's end. */
static ewcl_status checkpoint_after_step(train_session *s, const loop_position *p)
{
    train_position next;
    if (!next_position(s, p, &next))
        return EWCL_OK;
    const bool stop = stop_requested(s);
    ewcl_status st = EWCL_OK;
    if (stop || every(s->iteration, s->checkpointing.every))
        st = train_checkpoint_write(s, s->result, next);
    s->stopped = stop;
    return st;
}

/* After a task's end: its checkpoint, and a stop asked for during it. */
static ewcl_status checkpoint_after_task(train_session *s, size_t task)
{
    const ewcl_status st = train_checkpoint_write(s, s->result, (train_position){task + 1, 0, 0});
    s->stopped = task + 1 < s->config->task_number && stop_requested(s);
    return st;
}

/* What follows one trained batch: a loss-log point, a progress report, an evaluation. */
static ewcl_status after_batch(train_session *s, const loop_position *p)
{
    const ewcl_train_config *c = s->config;
    ewcl_train_progress progress;
    ewcl_status st = EWCL_OK;
    if (every(s->iteration, c->loss_log_interval)) {
        st = read_losses(s, p, &progress);
        if (st == EWCL_OK)
            st = remember_losses(s, p, &progress);
        if (st == EWCL_OK && s->callbacks.progress != NULL)
            s->callbacks.progress(s->callbacks.user, &progress);
    } else if (s->callbacks.progress != NULL &&
               (every(s->iteration, c->progress_interval) || p->batch == p->batch_count)) {
        progress = progress_at(s, p);
        s->callbacks.progress(s->callbacks.user, &progress);
    }
    if (st == EWCL_OK && every(s->iteration, c->eval_log_interval))
        st = periodic_evaluation(s, p->task, p->epoch);
    return st;
}

/* Trains the epoch from batch `first` (0, or where a resumed run stands: then the order of
 * the epoch is the checkpoint's, already shuffled). */
static ewcl_status train_epoch(train_session *s, loop_position *p, size_t first_batch)
{
    const ewcl_train_config *c = s->config;
    const size_t n = ewcl_dataset_count(s->train), size = c->batch_size;
    if (first_batch == 0)
        ewcl_rng_shuffle(&s->shuffle_rng, s->order, n);
    ewcl_mlp *m = s->mlp;
    ewcl_status st = EWCL_OK;
    for (p->batch = first_batch; p->batch < p->batch_count && st == EWCL_OK && !s->stopped;) {
        const size_t first = p->batch * size;
        const size_t count = n - first < size ? n - first : size;
        st = ewcl_dataset_gather(s->train, s->permutations[p->task], s->order + first, count,
                                 ewcl_mlp_cl_inputs(m), ewcl_mlp_cl_labels(m));
        /* The step number keys the dropout masks: unique over the run. */
        if (st == EWCL_OK)
            st = s->ewc != NULL
                     ? ewcl_ewc_train_step(s->ewc, count, s->iteration, c->lr, c->weight_decay)
                     : ewcl_mlp_train_step(m, count, s->iteration, c->lr, c->weight_decay);
        if (st != EWCL_OK)
            break;
        s->iteration++;
        s->train_images += count;
        p->batch++;
        p->last_batch_size = count;
        st = after_batch(s, p);
        if (st == EWCL_OK)
            st = checkpoint_after_step(s, p);
    }
    return st;
}

/* After a task: a last look at the loss (so a divergence never goes unreported), the
 * accuracy matrix's row, and consolidation unless it was the last task (and
 * consolidate_last is off). */
static ewcl_status end_task(train_session *s, loop_position *p, ewcl_train_result *r)
{
    const ewcl_train_config *c = s->config;
    const size_t t = p->task, tasks = c->task_number;
    ewcl_train_progress last;
    p->epoch = c->epochs_per_task - 1;
    ewcl_status st = read_losses(s, p, &last);
    if (st == EWCL_OK)
        st = train_clock_switch(&s->clock, s->rt, TRAIN_PHASE_EVAL);
    double *row = r->accuracy + t * tasks;
    for (size_t j = 0; j < tasks && st == EWCL_OK; j++)
        st = train_evaluate(s, j, s->test_all, ewcl_dataset_count(s->test), &row[j]);
    r->average_accuracy[t] = ewcl_train_average_accuracy(r->accuracy, tasks, t);
    const ewcl_train_point point = {.kind = EWCL_TRAIN_POINT_TASK_END,
                                    .iteration = s->iteration, .task = t, .epoch = p->epoch,
                                    .accuracy = row, .tasks_seen = t + 1};
    if (st == EWCL_OK)
        st = remember(s, &point);
    const bool consolidate = s->ewc != NULL && (t + 1 < tasks || c->consolidate_last);
    if (st == EWCL_OK && consolidate) {
        st = train_clock_switch(&s->clock, s->rt, TRAIN_PHASE_FISHER);
        const double start = train_clock_seconds(&s->clock, TRAIN_PHASE_FISHER);
        if (st == EWCL_OK)
            st = train_consolidate(s, t);
        if (st == EWCL_OK)
            st = train_clock_switch(&s->clock, s->rt, TRAIN_PHASE_TRAIN);
        r->fisher_seconds[t] = train_clock_seconds(&s->clock, TRAIN_PHASE_FISHER) - start;
    } else if (st == EWCL_OK)
        st = train_clock_switch(&s->clock, s->rt, TRAIN_PHASE_TRAIN);
    if (st == EWCL_OK && s->callbacks.task_end != NULL) {
        /* Once per task: the Fisher's statistics for whoever reports them. */
        const size_t layers = ewcl_mlp_layer_count(s->mlp);
        ewcl_fisher_stats *stats = consolidate ? calloc(layers, sizeof *stats) : NULL;
        for (size_t l = 0; stats != NULL && l < layers && st == EWCL_OK; l++)
            st = ewcl_ewc_fisher_stats(s->ewc, l, &stats[l]);
        const ewcl_train_task_end e = {
            t, tasks, row, r->average_accuracy[t], r->fisher_seconds[t],
            consolidate ? ewcl_ewc_max_importance(s->ewc) : 0.0f, stats,
            stats != NULL ? layers : 0};
        if (st == EWCL_OK)
            s->callbacks.task_end(s->callbacks.user, &e);
        free(stats);
    }
    return st;
}

static ewcl_status allocate_result(ewcl_runtime *rt, size_t tasks, ewcl_train_result *r)
{
    r->task_count = tasks;
    r->accuracy = calloc(tasks * tasks, sizeof *r->accuracy);
    r->average_accuracy = calloc(tasks, sizeof *r->average_accuracy);
    r->fisher_seconds = calloc(tasks, sizeof *r->fisher_seconds);
    if (r->accuracy == NULL || r->average_accuracy == NULL || r->fisher_seconds == NULL)
        return EWCL_FAIL(&rt->error, EWCL_ERR_OUT_OF_MEMORY, "train: out of memory");
    return EWCL_OK;
}

static void summarise(const train_session *s, ewcl_train_result *r)
{
    const size_t tasks = r->task_count;
    const train_clock *k = &s->clock;
    r->bwt = ewcl_train_bwt(r->accuracy, tasks);
    r->forgetting = ewcl_train_forgetting(r->accuracy, tasks);
    r->setup_seconds = k->seconds[TRAIN_PHASE_SETUP];
    r->train_seconds = k->seconds[TRAIN_PHASE_TRAIN];
    r->fisher_seconds_total = k->seconds[TRAIN_PHASE_FISHER];
    r->eval_seconds = k->seconds[TRAIN_PHASE_EVAL];
    r->total_seconds = r->setup_seconds + r->train_seconds + r->fisher_seconds_total +
                       r->eval_seconds;
    r->iterations = s->iteration;
    r->train_images = s->train_images;
    r->images_per_second =
        r->train_seconds > 0.0 ? (double)s->train_images / r->train_seconds : 0.0;
    r->parameter_count = ewcl_mlp_parameter_count(s->mlp);
    r->mean = s->mean;
    r->std = s->std;
    r->checkpoint_seconds = s->checkpoint_seconds;
    r->stopped = s->stopped;
    snprintf(r->checkpoint, sizeof r->checkpoint, "%s", s->last_checkpoint);
}

/* The final θ on the host: 4 bytes a parameter, read once, so that runs on two devices can
 * be compared value by value. */
static ewcl_status read_final_parameters(const train_session *s, ewcl_train_result *r)
{
    r->parameters = malloc(r->parameter_count * sizeof *r->parameters);
    if (r->parameters == NULL)
        return EWCL_FAIL(&s->rt->error, EWCL_ERR_OUT_OF_MEMORY,
                         "train: out of memory for the final parameters");
    return ewcl_mlp_read_parameters(s->mlp, r->parameters, r->parameter_count);
}

ewcl_status ewcl_train_run(ewcl_runtime *rt, const ewcl_idx_data *data,
                           const ewcl_train_config *config,
                           const ewcl_train_callbacks *callbacks, ewcl_train_result *out)
{
    return ewcl_train_run_checkpointed(rt, data, config, callbacks, NULL, out);
}

/* A resumed run's checkpoint must belong to these settings and these data. */
static ewcl_status check_resume(ewcl_runtime *rt, const ewcl_checkpoint *resume,
                                const ewcl_train_config *config, const ewcl_idx_data *data)
{
    if (resume == NULL)
        return EWCL_OK;
    ewcl_status st = ewcl_checkpoint_check_config(resume, config, &rt->error);
    return st != EWCL_OK ? st : checkpoint_check_data(resume, data, &rt->error);
}

/* The loop from `start` on: epochs, task ends, checkpoints, until done or stopped. */
static ewcl_status train_loop(train_session *s, train_position start, ewcl_train_result *out)
{
    const ewcl_train_config *c = s->config;
    const size_t n = ewcl_dataset_count(s->train);
    loop_position p = {.batch_count = (n + c->batch_size - 1) / c->batch_size};
    ewcl_status st = EWCL_OK;
    for (p.task = start.task; p.task < c->task_number && st == EWCL_OK && !s->stopped;
         p.task++) {
        const bool first_task = p.task == start.task;
        for (p.epoch = first_task ? start.epoch : 0;
             p.epoch < c->epochs_per_task && st == EWCL_OK && !s->stopped; p.epoch++)
            st = train_epoch(s, &p, first_task && p.epoch == start.epoch ? start.batch : 0);
        if (st == EWCL_OK && !s->stopped)
            st = end_task(s, &p, out);
        if (st == EWCL_OK && !s->stopped)
            st = checkpoint_after_task(s, p.task);
    }
    return st;
}

ewcl_status ewcl_train_run_checkpointed(ewcl_runtime *rt, const ewcl_idx_data *data,
                                        const ewcl_train_config *config,
                                        const ewcl_train_callbacks *callbacks,
                                        const ewcl_train_checkpointing *checkpointing,
                                        ewcl_train_result *out)
{
    if (rt == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (data == NULL || config == NULL || out == NULL)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT, "ewcl_train_run: NULL argument");
    const ewcl_checkpoint *resume = checkpointing != NULL ? checkpointing->resume : NULL;
    ewcl_status st = train_config_check(rt, config, data);
    if (st == EWCL_OK)
        st = check_resume(rt, resume, config, data);
    if (st != EWCL_OK)
        return st;
    train_session s;
    st = train_session_open(&s, rt, data, config, callbacks);
    if (st != EWCL_OK)
        return st;
    s.result = out;
    st = train_checkpoint_prepare(&s, checkpointing, data);
    if (st == EWCL_OK)
        st = allocate_result(rt, config->task_number, out);
    train_position start = {0, 0, 0};
    if (st == EWCL_OK && resume != NULL) {
        st = train_checkpoint_restore(&s, resume, out);
        start = (train_position){resume->task, resume->epoch, resume->batch};
    }
    if (st == EWCL_OK)
        st = train_clock_switch(&s.clock, rt, TRAIN_PHASE_TRAIN);
    if (st == EWCL_OK)
        st = train_loop(&s, start, out);
    /* A loss that turned non-finite: the last finite state goes to disk first. */
    if (st == EWCL_ERR_NUMERIC)
        train_checkpoint_save_snapshot(&s);
    if (st == EWCL_OK)
        st = train_clock_switch(&s.clock, rt, TRAIN_PHASE_SETUP);
    if (st == EWCL_OK) {
        summarise(&s, out);
        st = read_final_parameters(&s, out);
    }
    if (st != EWCL_OK)
        ewcl_train_result_free(out);
    train_session_close(&s);
    return st;
}
