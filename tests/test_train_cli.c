/* `ewcl train`'s output flags and input flags on a small generated data set: the default
 * run folder runs/<YYYYmmdd-HHMMSS>-<plain|ewc> (-2 when taken) and --no-log, --json (the
 * bytes of summary.json), --consolidate-last (a Fisher after the last task too), --pad /
 * --no-pad (the input size, hence the parameter count) and --normalize (the statistics
 * used), and a one-line usage error for every bad value. Each run starts in a fresh
 * folder, so that none leaves anything in the build tree. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ewcl/ewcl.h"
#include "harness.h"
#include "harness_json.h"
#include "harness_data.h"
#include "harness_program.h"

/* Ten classes of 12×12 images; a hidden layer of 16: a run takes well under a second. */
enum { TRAIN_IMAGES = 600, TEST_IMAGES = 200, SIDE = 12, CLASSES = 10, HIDDEN = 16 };

/* Written once by main, before Check forks. */
static char data_dir[4096];

/* `ewcl train` in the folder `cwd` with the small settings, then `args`. */
static ewcl_test_output train_in(const char *cwd, const char *const args[])
{
    const char *argv[64] = {"train", "--device", ewcl_test_device_selector(), "--data-dir",
                            data_dir, "--task-number", "1", "--epochs-per-task", "1",
                            "--hidden-size", "16", "--hidden-layer-num", "0", "--batch-size",
                            "100", "--test-size", "100", "--fisher-estimation-sample-size",
                            "100", "--quiet"};
    size_t n = 0;
    while (argv[n] != NULL)
        n++;
    for (size_t i = 0; args[i] != NULL && n + 1 < 64; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return ewcl_test_run_program_in(cwd, EWCL_PROGRAM_PATH, argv, NULL);
}

/* The entries of `dir` but . and .. */
static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* The number at a path of keys, NULL-terminated. */
static double number_at(const cJSON *root, const char *const keys[])
{
    const cJSON *item = root;
    for (size_t i = 0; keys[i] != NULL; i++)
        item = cJSON_GetObjectItemCaseSensitive(item, keys[i]);
    ck_assert_msg(cJSON_IsNumber(item), "no number at %s", keys[0]);
    return item->valuedouble;
}

START_TEST(default_folder_per_run_and_no_log)
{
    const char *cwd = ewcl_test_make_temp_dir("train-cli-default");
    char cwd_copy[4096], runs[4200];
    snprintf(cwd_copy, sizeof cwd_copy, "%s", cwd);
    snprintf(runs, sizeof runs, "%s/runs", cwd_copy);
    /* Names for the next minute taken already: the run must add "-2". */
    ck_assert_int_eq(mkdir(runs, 0755), 0);
    const time_t now = time(NULL);
    for (time_t t = now; t < now + 60; t++) {
        char stamp[32], taken[4400];
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&t));
        snprintf(taken, sizeof taken, "%s/%s-plain", runs, stamp);
        ck_assert_int_eq(mkdir(taken, 0755), 0);
    }
    ewcl_test_output r = train_in(cwd_copy, EWCL_ARGS("--random-seed", "1"));
    ewcl_test_expect_code(&r, 0);
    regex_t pattern;
    ck_assert_int_eq(regcomp(&pattern, "run files: runs/([0-9]{8}-[0-9]{6}-plain-2)/ ",
                             REG_EXTENDED), 0);
    regmatch_t match[2];
    ck_assert_msg(regexec(&pattern, r.out, 2, match, 0) == 0, "no run folder named in:\n%s",
                  r.out);
    char folder[4400];
    snprintf(folder, sizeof folder, "%s/%.*s", runs, (int)(match[1].rm_eo - match[1].rm_so),
             r.out + match[1].rm_so);
    regfree(&pattern);
    ewcl_test_output_free(&r);
    static const char *const files[] = {"config.json", "metrics.csv", "summary.json",
                                        "accuracy.svg", "loss.svg"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[4500];
        snprintf(path, sizeof path, "%s/%s", folder, files[i]);
        struct stat st;
        ck_assert_msg(stat(path, &st) == 0 && st.st_size > 0, "no %s", path);
    }
    /* EWC runs are named so. */
    r = train_in(cwd_copy, EWCL_ARGS("--consolidate"));
    ewcl_test_expect_code(&r, 0);
    ck_assert_msg(strstr(r.out, "-ewc/ (config.json") != NULL, "%s", r.out);
    ewcl_test_output_free(&r);
    ewcl_test_remove_tree(cwd_copy);

    /* --no-log: nothing written, nothing said about files. */
    cwd = ewcl_test_make_temp_dir("train-cli-nolog");
    snprintf(cwd_copy, sizeof cwd_copy, "%s", cwd);
    r = train_in(cwd_copy, EWCL_ARGS("--no-log"));
    ewcl_test_expect_code(&r, 0);
    ck_assert_ptr_null(strstr(r.out, "run files"));
    ck_assert_ptr_nonnull(strstr(r.out, "after 1 "));
    ck_assert_uint_eq(count_entries(cwd_copy), 0);
    ewcl_test_output_free(&r);
    ewcl_test_remove_tree(cwd_copy);
}
END_TEST

START_TEST(json_prints_summary_json)
{
    const char *cwd = ewcl_test_make_temp_dir("train-cli-json");
    char cwd_copy[4096], log[4200];
    snprintf(cwd_copy, sizeof cwd_copy, "%s", cwd);
    snprintf(log, sizeof log, "%s/logs", cwd_copy);
    ewcl_test_output r =
        train_in(cwd_copy, EWCL_ARGS("--task-number", "2", "--json", "--log-dir", log,
                                     "--loss-log-interval", "2", "--eval-log-interval", "3"));
    ewcl_test_expect_code(&r, 0);
    /* stdout is the document alone — no progress, no table — byte for byte the file. */
    char path[4400];
    snprintf(path, sizeof path, "%s/summary.json", log);
    char *file = ewcl_test_read_file(path, NULL);
    ck_assert_ptr_nonnull(file);
    ck_assert_str_eq(r.out, file);
    free(file);
    cJSON *root = cJSON_Parse(r.out);
    ck_assert_ptr_nonnull(root);
    ck_assert_double_eq(number_at(root, EWCL_ARGS("task_count")), 2.0);
    /* Where the files are goes to stderr, which holds nothing else. */
    char said[4400];
    snprintf(said, sizeof said, "run files: %s/ (", log);
    ck_assert_msg(strncmp(r.err, said, strlen(said)) == 0, "stderr: %s", r.err);
    ck_assert_ptr_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    cJSON_Delete(root);
    ewcl_test_output_free(&r);
    ewcl_test_remove_tree(cwd_copy);
}
END_TEST

/* seconds.fisher_per_task[task] of the run in `dir`. */
static double fisher_seconds(const char *dir, int task)
{
    cJSON *root = ewcl_test_read_json(dir, "summary.json");
    const cJSON *per_task = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "seconds"), "fisher_per_task");
    ck_assert_int_eq(cJSON_GetArraySize(per_task), 2);
    const double seconds = cJSON_GetArrayItem(per_task, task)->valuedouble;
    cJSON_Delete(root);
    return seconds;
}

START_TEST(consolidate_last_adds_the_last_fisher)
{
    const char *cwd = ewcl_test_make_temp_dir("train-cli-last");
    char cwd_copy[4096], with[4200], without[4200];
    snprintf(cwd_copy, sizeof cwd_copy, "%s", cwd);
    snprintf(with, sizeof with, "%s/with", cwd_copy);
    snprintf(without, sizeof without, "%s/without", cwd_copy);
    ewcl_test_output r = train_in(cwd_copy, EWCL_ARGS("--task-number", "2", "--consolidate",
                                                      "--consolidate-last", "--log-dir", with));
    ewcl_test_expect_code(&r, 0);
    ewcl_test_output_free(&r);
    r = train_in(cwd_copy,
                 EWCL_ARGS("--task-number", "2", "--consolidate", "--log-dir", without));
    ewcl_test_expect_code(&r, 0);
    ewcl_test_output_free(&r);
    /* Both consolidate after task 1; only --consolidate-last after task 2 as well. */
    ck_assert(fisher_seconds(with, 0) > 0.0 && fisher_seconds(without, 0) > 0.0);
    ck_assert(fisher_seconds(with, 1) > 0.0);
    ck_assert(fisher_seconds(without, 1) == 0.0);
    cJSON *config = ewcl_test_read_json(with, "config.json");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(config, "ewc"), "consolidate_last")));
    cJSON_Delete(config);
    ewcl_test_remove_tree(cwd_copy);
}
END_TEST

/* The parameter count and config.json's pad of a run with `flags` (NULL-terminated). */
static void expect_pad(const char *cwd, const char *const flags[], double pad)
{
    char log[4200];
    snprintf(log, sizeof log, "%s/pad-%g", cwd, pad);
    const char *args[8];
    size_t n = 0;
    for (; flags[n] != NULL; n++)
        args[n] = flags[n];
    args[n++] = "--log-dir";
    args[n++] = log;
    args[n] = NULL;
    ewcl_test_output r = train_in(cwd, args);
    ewcl_test_expect_code(&r, 0);
    ewcl_test_output_free(&r);
    /* One hidden layer: (side + 2·pad)² inputs × 16 + 16, then 16 × 10 + 10. */
    const double inputs = (SIDE + 2.0 * pad) * (SIDE + 2.0 * pad);
    cJSON *summary = ewcl_test_read_json(log, "summary.json");
    cJSON *config = ewcl_test_read_json(log, "config.json");
    ck_assert_double_eq(number_at(summary, EWCL_ARGS("parameter_count")),
                        inputs * HIDDEN + HIDDEN + HIDDEN * CLASSES + CLASSES);
    ck_assert_double_eq(number_at(config, EWCL_ARGS("inputs", "pad")), pad);
    cJSON_Delete(summary);
    cJSON_Delete(config);
}

START_TEST(pad_and_normalize_reach_the_run)
{
    const char *cwd = ewcl_test_make_temp_dir("train-cli-inputs");
    char cwd_copy[4096], log[4200];
    snprintf(cwd_copy, sizeof cwd_copy, "%s", cwd);
    expect_pad(cwd_copy, EWCL_ARGS("--pad", "3"), 3.0);       /* 18² = 324 inputs */
    expect_pad(cwd_copy, EWCL_ARGS("--no-pad"), 0.0);         /* 12² = 144 */
    expect_pad(cwd_copy, (const char *const[]){NULL}, 2.0);   /* the default: 16² = 256 */
    snprintf(log, sizeof log, "%s/normalized", cwd_copy);
    ewcl_test_output r =
        train_in(cwd_copy, EWCL_ARGS("--normalize", "0.5,0.25", "--log-dir", log));
    ewcl_test_expect_code(&r, 0);
    ewcl_test_output_free(&r);
    cJSON *summary = ewcl_test_read_json(log, "summary.json");
    cJSON *config = ewcl_test_read_json(log, "config.json");
    ck_assert_double_eq(number_at(summary, EWCL_ARGS("normalisation", "mean")), 0.5);
    ck_assert_double_eq(number_at(summary, EWCL_ARGS("normalisation", "std")), 0.25);
    ck_assert_double_eq(number_at(config, EWCL_ARGS("inputs", "mean")), 0.5);
    ck_assert_double_eq(number_at(config, EWCL_ARGS("inputs", "std")), 0.25);
    cJSON_Delete(summary);
    cJSON_Delete(config);
    ewcl_test_remove_tree(cwd_copy);
}
END_TEST

START_TEST(bad_values_are_one_line_and_write_nothing)
{
    static const struct {
        const char *const args[4];
        const char *named;
    } cases[] = {
        {{"--pad", "-1"}, "--pad"},
        {{"--pad", "65"}, "--pad"},
        {{"--pad", "x"}, "--pad"},
        {{"--pad", "1.5"}, "--pad"},
        {{"--normalize", "0.5"}, "--normalize"},
        {{"--normalize", "nan,1"}, "--normalize"},
        {{"--normalize", "0.1,0"}, "--normalize"},
        {{"--normalize", "0.1,-1"}, "--normalize"},
        {{"--normalize", "0.1,inf"}, "--normalize"},
        {{"--normalize", "a,b"}, "--normalize"},
        {{"--normalize", "0.5,0.2,0.1"}, "--normalize"},
        {{"--normalize", ""}, "--normalize"},
        {{"--normalize", "1e999,1"}, "--normalize"},
        {{"--consolidate-last"}, "--consolidate-last"},
        {{"--no-log", "--log-dir", "somewhere"}, "--no-log"},
        {{"--json", "extra"}, "extra"},
    };
    const char *cwd = ewcl_test_make_temp_dir("train-cli-bad");
    char cwd_copy[4096];
    snprintf(cwd_copy, sizeof cwd_copy, "%s", cwd);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ewcl_test_output r = train_in(cwd_copy, cases[i].args);
        ewcl_test_expect_code(&r, 2);
        const char *newline = strchr(r.err, '\n');
        ck_assert_msg(strncmp(r.err, "ewcl: ", 6) == 0 && newline != NULL && newline[1] == '\0',
                      "%s %s: stderr is not one line: %s", cases[i].args[0],
                      cases[i].args[1] != NULL ? cases[i].args[1] : "", r.err);
        ck_assert_msg(strstr(r.err, cases[i].named) != NULL, "does not name %s: %s",
                      cases[i].named, r.err);
        ck_assert_str_eq(r.out, "");
        ewcl_test_output_free(&r);
    }
    ck_assert_uint_eq(count_entries(cwd_copy), 0);
    ewcl_test_remove_tree(cwd_copy);
}
END_TEST

int main(void)
{
    ewcl_test_require_device();
    if (ewcl_test_write_data(data_dir, "train-cli-data",
                             (ewcl_test_data_shape){TRAIN_IMAGES, TEST_IMAGES, SIDE, CLASSES, 3,
                                                    true}) != 0)
        return 1;
    Suite *suite = suite_create("train_cli");
    TCase *tc = tcase_create("train_cli");
    tcase_set_timeout(tc, EWCL_TEST_CL_TIMEOUT);
    tcase_add_test(tc, default_folder_per_run_and_no_log);
    tcase_add_test(tc, json_prints_summary_json);
    tcase_add_test(tc, consolidate_last_adds_the_last_fisher);
    tcase_add_test(tc, pad_and_normalize_reach_the_run);
    tcase_add_test(tc, bad_values_are_one_line_and_write_nothing);
    suite_add_tcase(suite, tc);
    const int code = ewcl_test_run(suite);
    ewcl_test_remove_tree(data_dir);
    return code;
}
