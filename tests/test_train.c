/* The continual-learning loop end to end on a small generated data set: EWC keeps the first
 * task better than plain SGD, a seed fixes the run, the metrics match hand-computed
 * matrices, a diverging run and impossible sizes are reported; and `ewcl train` as a user
 * meets it: a short run prints the matrix, bad flags and a missing directory give their exit
 * codes with one line, --log-dir writes the run's files. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ewcl/ewcl.h"
#include "harness.h"
#include "harness_data.h"
#include "harness_program.h"

/* The data: ten classes of 12×12 images (16×16 inputs once padded), enough for a hidden
 * layer of 64 to learn each permuted task in three epochs. */
enum { TRAIN_IMAGES = 3000, TEST_IMAGES = 1000, SIDE = 12, CLASSES = 10, DATA_SEED = 7 };

/* Written once by main, before Check forks. */
static char data_dir[4096];

/* Three tasks, three epochs, batches of 32 (94 per epoch, the last of 24). */
static ewcl_train_config small_config(bool consolidate)
{
    ewcl_train_config c;
    ewcl_train_config_default(&c);
    c.hidden_size = 64;
    c.hidden_layer_num = 1;
    c.task_number = 3;
    c.epochs_per_task = 3;
    c.batch_size = 32;
    c.test_size = 500;
    c.fisher_sample_size = 1000;
    c.eval_log_interval = 100;
    c.loss_log_interval = 50;
    c.consolidate = consolidate;
    /* Measured with seeds 0 to 5: λ 300 with the implicit step kept 0.10 to 0.20 more of
     * task 1 than plain SGD (λ 40 only 0.06 at seed 0; the explicit step is unstable past
     * λ ≈ 90 here). */
    c.ewc.lambda = 300.0f;
    c.ewc.step = EWCL_PENALTY_IMPLICIT;
    return c;
}

/* What the callbacks saw. */
typedef struct seen {
    size_t progress, losses, evaluations, task_ends;
    uint64_t last_iteration;
    bool ordered;
} seen;

static void count_progress(void *user, const ewcl_train_progress *p)
{
    seen *s = user;
    s->progress++;
    s->losses += p->has_losses;
    s->ordered = s->ordered && p->iteration >= s->last_iteration && p->batch <= p->batch_count;
    s->last_iteration = p->iteration;
}

static void count_evaluation(void *user, const ewcl_train_evaluation *e)
{
    seen *s = user;
    s->evaluations++;
    s->ordered = s->ordered && e->tasks_seen == e->task + 1;
}

static void count_task_end(void *user, const ewcl_train_task_end *e)
{
    seen *s = user;
    s->ordered = s->ordered && e->task == s->task_ends;
    s->task_ends++;
}

/* Runs `c` on a fresh runtime; fails the test on error. */
static ewcl_train_result run(const ewcl_train_config *c, seen *counts)
{
    ewcl_idx_data data = ewcl_test_load_data(data_dir, CLASSES);
    ewcl_runtime *rt = ewcl_test_open_runtime();
    const ewcl_train_callbacks callbacks = {.progress = count_progress,
                                            .evaluation = count_evaluation,
                                            .task_end = count_task_end, .user = counts};
    ewcl_train_result r;
    const ewcl_status s = ewcl_train_run(rt, &data, c, counts != NULL ? &callbacks : NULL, &r);
    ck_assert_msg(s == EWCL_OK, "%s", ewcl_runtime_error(rt)->message);
    ewcl_runtime_destroy(rt);
    ewcl_idx_data_free(&data);
    return r;
}

/* ---- The metrics ---------------------------------------------------------------------- */

START_TEST(metrics_match_hand_computed_matrices)
{
    /* Right of the diagonal: tasks not yet trained, which no metric may read. */
    const double r[9] = {
        0.90, 0.99, 0.99,
        0.92, 0.95, 0.99,
        0.70, 0.85, 0.90,
    };
    ck_assert_double_eq_tol(ewcl_train_average_accuracy(r, 3, 0), 0.90, 1e-12);
    ck_assert_double_eq_tol(ewcl_train_average_accuracy(r, 3, 1), (0.92 + 0.95) / 2, 1e-12);
    ck_assert_double_eq_tol(ewcl_train_average_accuracy(r, 3, 2), (0.70 + 0.85 + 0.90) / 3,
                            1e-12);
    /* BWT: ((0.70 − 0.90) + (0.85 − 0.95)) / (T − 1 = 2). */
    ck_assert_double_eq_tol(ewcl_train_bwt(r, 3), -0.15, 1e-12);
    /* Forgetting: task 1 peaked at 0.92 after task 2, not on the diagonal:
     * ((0.92 − 0.70) + (0.95 − 0.85)) / 2. */
    ck_assert_double_eq_tol(ewcl_train_forgetting(r, 3), 0.16, 1e-12);

    /* Positive backward transfer: a task that only improved has negative forgetting. */
    const double up[4] = {0.50, 0.00, 0.80, 0.60};
    ck_assert_double_eq_tol(ewcl_train_bwt(up, 2), 0.30, 1e-12);
    ck_assert_double_eq_tol(ewcl_train_forgetting(up, 2), -0.30, 1e-12);
    ck_assert_double_eq_tol(ewcl_train_average_accuracy(up, 2, 1), 0.70, 1e-12);

    /* One task: nothing to transfer to. */
    const double one[1] = {0.8};
    ck_assert(isnan(ewcl_train_bwt(one, 1)));
    ck_assert(isnan(ewcl_train_forgetting(one, 1)));
    ck_assert_double_eq_tol(ewcl_train_average_accuracy(one, 1, 0), 0.8, 1e-12);
    ck_assert(isnan(ewcl_train_average_accuracy(one, 1, 1)));
}
END_TEST

/* ---- The loop ------------------------------------------------------------------------- */

static void check_result_shape(const ewcl_train_result *r, const ewcl_train_config *c)
{
    const uint64_t batches = (TRAIN_IMAGES + c->batch_size - 1) / c->batch_size;
    ck_assert_uint_eq(r->task_count, c->task_number);
    ck_assert_uint_eq(r->iterations, c->task_number * c->epochs_per_task * batches);
    ck_assert_uint_eq(r->train_images, c->task_number * c->epochs_per_task * TRAIN_IMAGES);
    for (size_t i = 0; i < r->task_count * r->task_count; i++)
        ck_assert(r->accuracy[i] >= 0.0 && r->accuracy[i] <= 1.0);
    /* Every task learned well past chance (0.1) right after its training. */
    for (size_t i = 0; i < r->task_count; i++)
        ck_assert_msg(r->accuracy[i * r->task_count + i] > 0.8, "task %zu: %.3f", i + 1,
                      r->accuracy[i * r->task_count + i]);
    ck_assert(r->images_per_second > 0.0 && r->train_seconds > 0.0);
    ck_assert_double_eq_tol(r->bwt, ewcl_train_bwt(r->accuracy, r->task_count), 1e-15);
}

START_TEST(ewc_keeps_the_first_task_better_than_plain_sgd)
{
    const ewcl_train_config plain_config = small_config(false);
    const ewcl_train_config ewc_config = small_config(true);
    seen counts = {.ordered = true};
    ewcl_train_result plain = run(&plain_config, NULL);
    ewcl_train_result ewc = run(&ewc_config, &counts);
    check_result_shape(&plain, &plain_config);
    check_result_shape(&ewc, &ewc_config);

    const double plain_first = plain.accuracy[2 * 3 + 0], ewc_first = ewc.accuracy[2 * 3 + 0];
    printf("task 1 after task 3: plain %.4f, EWC %.4f; average %.4f vs %.4f; BWT %.4f vs "
           "%.4f\n",
           plain_first, ewc_first, plain.average_accuracy[2], ewc.average_accuracy[2],
           plain.bwt, ewc.bwt);
    /* The margin is half the smallest one measured over six seeds (0.10). */
    ck_assert_msg(ewc_first - plain_first >= 0.05,
                  "EWC kept %.4f of task 1, plain SGD %.4f: less than 0.05 apart", ewc_first,
                  plain_first);
    ck_assert(ewc.bwt > plain.bwt);

    /* Consolidation after tasks 1 and 2 only; the callbacks at their intervals. */
    ck_assert(ewc.fisher_seconds[0] > 0.0 && ewc.fisher_seconds[1] > 0.0);
    ck_assert(ewc.fisher_seconds[2] == 0.0 && plain.fisher_seconds_total == 0.0);
    ck_assert(counts.ordered);
    ck_assert_uint_eq(counts.task_ends, 3);
    ck_assert_uint_eq(counts.evaluations, ewc.iterations / ewc_config.eval_log_interval);
    ck_assert_uint_eq(counts.losses, ewc.iterations / ewc_config.loss_log_interval);
    ck_assert_uint_gt(counts.progress, counts.losses);
    ewcl_train_result_free(&plain);
    ewcl_train_result_free(&ewc);
}
END_TEST

START_TEST(a_seed_fixes_the_accuracy_matrix)
{
    ewcl_train_config c = small_config(true);
    c.epochs_per_task = 1;
    ewcl_train_result one = run(&c, NULL);
    ewcl_train_result two = run(&c, NULL);
    c.seed = 1;
    ewcl_train_result other = run(&c, NULL);
    const size_t cells = c.task_number * c.task_number;
    ck_assert_mem_eq(one.accuracy, two.accuracy, cells * sizeof *one.accuracy);
    ck_assert_msg(memcmp(one.accuracy, other.accuracy, cells * sizeof *one.accuracy) != 0,
                  "seeds 0 and 1 gave the same matrix");
    ewcl_train_result_free(&one);
    ewcl_train_result_free(&two);
    ewcl_train_result_free(&other);
}
END_TEST

/* Runs `c` expecting failure `expected`; returns the runtime's message (static copy). */
static const char *run_failing(const ewcl_train_config *c, ewcl_status expected)
{
    static char message[EWCL_ERROR_MESSAGE_MAX];
    ewcl_idx_data data = ewcl_test_load_data(data_dir, CLASSES);
    ewcl_runtime *rt = ewcl_test_open_runtime();
    ewcl_train_result r;
    const ewcl_status s = ewcl_train_run(rt, &data, c, NULL, &r);
    snprintf(message, sizeof message, "%s", ewcl_runtime_error(rt)->message);
    ck_assert_msg(s == expected, "status %s, expected %s: %s", ewcl_status_name(s),
                  ewcl_status_name(expected), message);
    /* A failed run leaves nothing to free. */
    ck_assert_ptr_null(r.accuracy);
    ewcl_runtime_destroy(rt);
    ewcl_idx_data_free(&data);
    return message;
}

START_TEST(a_diverging_run_names_task_epoch_and_step)
{
    ewcl_train_config c = small_config(false);
    c.lr = 1e6f;
    c.loss_log_interval = 3;
    const char *message = run_failing(&c, EWCL_ERR_NUMERIC);
    ck_assert_msg(strstr(message, "task 1/3, epoch 1/3, step 3/94") != NULL &&
                      strstr(message, "learning rate") != NULL,
                  "%s", message);
    /* Without loss-log points the end of the task still catches it. */
    c.loss_log_interval = 0;
    c.eval_log_interval = 0;
    c.epochs_per_task = 1;
    message = run_failing(&c, EWCL_ERR_NUMERIC);
    ck_assert_msg(strstr(message, "task 1/3, epoch 1/1, step 94/94") != NULL, "%s", message);
}
END_TEST

START_TEST(impossible_sizes_are_refused_before_training)
{
    ewcl_train_config c = small_config(true);
    c.fisher_sample_size = TRAIN_IMAGES + 1;
    const char *message = run_failing(&c, EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(message, "3001") != NULL && strstr(message, "3000") != NULL, "%s",
                  message);
    c = small_config(false);
    c.test_size = TEST_IMAGES + 1;
    message = run_failing(&c, EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(message, "1001") != NULL, "%s", message);
}
END_TEST

/* ---- The command line ----------------------------------------------------------------- */

/* `ewcl train --device <the test device> args...` in a fresh folder, removed afterwards: a
 * run without --log-dir writes its default runs/ folder there, not into the build tree. */
static ewcl_test_output run_cli(const char *const args[])
{
    const char *argv[48] = {"train", "--device", ewcl_test_device_selector()};
    size_t n = 3;
    for (size_t i = 0; args[i] != NULL && n + 1 < sizeof argv / sizeof argv[0]; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", ewcl_test_make_temp_dir("train-cli"));
    ewcl_test_output r = ewcl_test_run_program_in(dir, EWCL_PROGRAM_PATH, argv, NULL);
    ewcl_test_remove_tree(dir);
    return r;
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (const char *p = text; *p != '\0'; p++)
        n += *p == '\n';
    return n;
}

START_TEST(cli_trains_and_prints_the_matrix)
{
    ewcl_test_output r = run_cli(
        EWCL_ARGS("--data-dir", data_dir, "--task-number", "2", "--epochs-per-task", "1",
                  "--hidden-size", "32", "--hidden-layer-num", "1", "--batch-size", "64",
                  "--test-size", "200", "--fisher-estimation-sample-size", "500",
                  "--loss-log-interval", "20", "--eval-log-interval", "40", "--consolidate"));
    ewcl_test_expect_code(&r, 0);
    /* Not a terminal: a plain line per loss report and evaluation. */
    ck_assert_msg(strstr(r.out, "task 1/2 | epoch 1/1 | progress 20/47") != NULL, "%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "evaluation at iteration 40"));
    ck_assert_ptr_null(strchr(r.out, '\r'));
    const char *needles[] = {"accuracy R[i][j]", "after 1 ", "after 2 ",
                             "average accuracy after task 2:", "backward transfer (BWT):",
                             "divided by T-1 = 1", "forgetting:", "s/epoch", "Fisher",
                             "training images/s", "device:"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        ck_assert_msg(strstr(r.out, needles[i]) != NULL, "no '%s' in:\n%s", needles[i], r.out);
    ewcl_test_output_free(&r);

    r = run_cli(EWCL_ARGS("--data-dir", data_dir, "--task-number", "1", "--epochs-per-task",
                          "1", "--hidden-size", "16", "--test-size", "100",
                          "--loss-log-interval", "5", "--quiet"));
    ewcl_test_expect_code(&r, 0);
    ck_assert_msg(strstr(r.out, "progress") == NULL && strstr(r.out, "after 1 ") != NULL,
                  "%s", r.out);
    ewcl_test_output_free(&r);
}
END_TEST

START_TEST(cli_rejects_bad_values_naming_the_flag)
{
    static const struct {
        const char *flag, *value;
    } cases[] = {
        {"--lr", "abc"},           {"--lr", "nan"},          {"--lr", "-0.1"},
        {"--lr", "1e300"},         {"--lr", "0"},            {"--batch-size", "0"},
        {"--batch-size", "12x"},   {"--test-size", "1001"},  {"--ewc-mode", "sometimes"},
        {"--lamda", "inf"},        {"--gamma", "1.5"},       {"--task-number", "0"},
        {"--hidden-dropout-prob", "1"}, {"--epochs-per-task", "99999999999999999999"},
        {"--fisher-labels", "maybe"},   {"--penalty-step", "sideways"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ewcl_test_output r =
            run_cli(EWCL_ARGS("--data-dir", data_dir, cases[i].flag, cases[i].value));
        ewcl_test_expect_code(&r, 2);
        ck_assert_msg(count_lines(r.err) == 1 && strstr(r.err, cases[i].flag) != NULL,
                      "%s %s: %s", cases[i].flag, cases[i].value, r.err);
        ck_assert_str_eq(r.out, "");
        ewcl_test_output_free(&r);
    }
}
END_TEST

/* --log-dir: the five files of a short run, with the rows the run had; a directory that
 * cannot be made is one line naming it, before any training. */
START_TEST(cli_log_dir_writes_the_run_files)
{
    const char *base = ewcl_test_make_temp_dir("train-log");
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/runs/first", base);
    ewcl_test_output r = run_cli(
        EWCL_ARGS("--data-dir", data_dir, "--task-number", "2", "--epochs-per-task", "1",
                  "--hidden-size", "16", "--hidden-layer-num", "1", "--batch-size", "100",
                  "--test-size", "100", "--loss-log-interval", "10", "--eval-log-interval", "15",
                  "--quiet", "--log-dir", dir));
    ewcl_test_expect_code(&r, 0);
    ewcl_test_output_free(&r);
    static const char *const names[] = {"config.json", "metrics.csv", "summary.json",
                                        "accuracy.svg", "loss.svg"};
    char path[4400];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        char *text = ewcl_test_read_file(path, NULL);
        ck_assert_msg(text != NULL && text[0] != '\0', "no %s", path);
        free(text);
    }
    /* 30 batches per task, 60 in all: losses at 10…60, evaluations at 15, 30, 45, 60, and
     * the two task ends, after the header. */
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    char *csv = ewcl_test_read_file(path, NULL);
    ck_assert_uint_eq(count_lines(csv), 1 + 6 + 4 + 2);
    ck_assert_ptr_nonnull(strstr(csv, "precision_1,precision_2\n"));
    ck_assert_ptr_nonnull(strstr(csv, "\n45,eval,2,1,,,,"));
    ck_assert_ptr_nonnull(strstr(csv, "\n30,task_end,1,1,,,,"));
    free(csv);
    ewcl_test_remove_tree(base);

    /* A path through a regular file: no directory can be made there, even by root. */
    char blocker[4200], blocked[4300];
    snprintf(blocker, sizeof blocker, "%s/file", ewcl_test_make_temp_dir("train-log"));
    ck_assert_int_eq(ewcl_test_write_file(blocker, "x", 1), 0);
    snprintf(blocked, sizeof blocked, "%s/logs", blocker);
    r = run_cli(EWCL_ARGS("--data-dir", data_dir, "--log-dir", blocked));
    ewcl_test_expect_code(&r, 1);
    ck_assert_msg(count_lines(r.err) == 1 && strstr(r.err, blocked) != NULL, "%s", r.err);
    ck_assert_str_eq(r.out, "");
    ewcl_test_output_free(&r);
    *strrchr(blocker, '/') = '\0';
    ewcl_test_remove_tree(blocker);
}
END_TEST

START_TEST(cli_missing_data_dir_is_a_runtime_error)
{
    ewcl_test_output r = run_cli(EWCL_ARGS("--data-dir", "/nonexistent/ewcl-data"));
    ewcl_test_expect_code(&r, 1);
    ck_assert_msg(count_lines(r.err) == 1 && strstr(r.err, "/nonexistent/ewcl-data") != NULL,
                  "%s", r.err);
    ewcl_test_output_free(&r);
}
END_TEST

int main(void)
{
    ewcl_test_require_device();
    if (ewcl_test_write_data(data_dir, "train-data",
                             (ewcl_test_data_shape){TRAIN_IMAGES, TEST_IMAGES, SIDE, CLASSES,
                                                    DATA_SEED, false}) != 0)
        return 1;
    Suite *suite = suite_create("train");
    TCase *tc = tcase_create("train");
    tcase_set_timeout(tc, EWCL_TEST_CL_TIMEOUT);
    tcase_add_test(tc, metrics_match_hand_computed_matrices);
    tcase_add_test(tc, ewc_keeps_the_first_task_better_than_plain_sgd);
    tcase_add_test(tc, a_seed_fixes_the_accuracy_matrix);
    tcase_add_test(tc, a_diverging_run_names_task_epoch_and_step);
    tcase_add_test(tc, impossible_sizes_are_refused_before_training);
    tcase_add_test(tc, cli_trains_and_prints_the_matrix);
    tcase_add_test(tc, cli_rejects_bad_values_naming_the_flag);
    tcase_add_test(tc, cli_missing_data_dir_is_a_runtime_error);
    tcase_add_test(tc, cli_log_dir_writes_the_run_files);
    suite_add_tcase(suite, tc);
    const int code = ewcl_test_run(suite);
    ewcl_test_remove_tree(data_dir);
    return code;
}
