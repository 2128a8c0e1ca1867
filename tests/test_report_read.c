/* Reading a run folder back (ewcl_report_read_run): hand-written config.json and
 * summary.json give exactly the values written in them; nulls and absent numbers are NaN;
 * unknown keys are kept as settings; every malformed, missing or oversized file is one
 * message naming it, with the status that says whose fault it is. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ewcl/ewcl.h"
#include "harness.h"

/* What tools/torch_reference.py or an older ewcl might write: an implementation key, an
 * array, a nested object, keys ewcl does not know. */
static const char config_text[] =
    "{\"implementation\": \"pytorch 2.1\", \"device\": {\"name\": \"cpu-x\"},\n"
    " \"schedule\": {\"lr\": 0.1, \"task_number\": 2}, \"ewc\": {\"consolidate\": false,\n"
    " \"lambda\": 40, \"mode\": null}, \"note\": [1, 2]}\n";

/* R = [[0.9, 0.1], [0.6, 0.8]]: average after task 2 (0.6 + 0.8)/2 = 0.7, BWT 0.6 − 0.9 =
 * −0.3, forgetting 0.9 − 0.6 = 0.3. */
static const char summary_text[] =
    "{\"task_count\": 2, \"accuracy\": [[0.9, 0.1], [0.6, 0.8]],\n"
    " \"average_accuracy\": [0.9, 0.7], \"final_average_accuracy\": 0.7, \"bwt\": -0.3,\n"
    " \"forgetting\": 0.3, \"seconds\": {\"setup\": 0.5, \"train\": 10, \"fisher\": 0.25,\n"
    " \"eval\": 1.5, \"total\": 12.25, \"per_task\": [1, 2]}, \"images_per_second\": 12000,\n"
    " \"from_the_future\": {\"x\": 1}}\n";

/* A fresh folder holding `config` and `summary` (NULL: that file is left out). */
static const char *run_folder(const char *config, const char *summary)
{
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", ewcl_test_make_temp_dir("report-read"));
    char path[4200];
    if (config != NULL) {
        snprintf(path, sizeof path, "%s/config.json", dir);
        ck_assert_int_eq(ewcl_test_write_file(path, config, strlen(config)), 0);
    }
    if (summary != NULL) {
        snprintf(path, sizeof path, "%s/summary.json", dir);
        ck_assert_int_eq(ewcl_test_write_file(path, summary, strlen(summary)), 0);
    }
    return dir;
}

/* Reading `dir` fails with `status` and a message naming `file` (in `dir`) and `word`. */
static void expect_failure(const char *dir, const char *file, ewcl_status status,
                           const char *word)
{
    ewcl_report_record r;
    ewcl_error err;
    ck_assert_int_eq(ewcl_report_read_run(dir, &r, &err), status);
    ck_assert_msg(strchr(err.message, '\n') == NULL, "not one line: %s", err.message);
    char named[4300];
    snprintf(named, sizeof named, "%s%s%s", dir, file[0] != '\0' ? "/" : "", file);
    ck_assert_msg(strstr(err.message, named) != NULL, "does not name %s: %s", named,
                  err.message);
    ck_assert_msg(strstr(err.message, word) != NULL, "does not say '%s': %s", word,
                  err.message);
    /* On failure the record is empty: freeing it again is harmless. */
    ck_assert_ptr_null(r.accuracy);
    ck_assert_uint_eq(r.setting_count, 0);
}

START_TEST(hand_written_run_reads_back_exactly)
{
    const char *dir = run_folder(config_text, summary_text);
    ewcl_report_record r;
    ewcl_error err;
    ck_assert_int_eq(ewcl_report_read_run(dir, &r, &err), EWCL_OK);
    ck_assert_uint_eq(r.task_count, 2);
    const double matrix[] = {0.9, 0.1, 0.6, 0.8}, average[] = {0.9, 0.7};
    for (size_t i = 0; i < 4; i++)
        ck_assert_double_eq(r.accuracy[i], matrix[i]);
    for (size_t i = 0; i < 2; i++)
        ck_assert_double_eq(r.average_accuracy[i], average[i]);
    ck_assert_double_eq(r.final_average_accuracy, 0.7);
    ck_assert_double_eq(r.bwt, -0.3);
    ck_assert_double_eq(r.forgetting, 0.3);
    ck_assert_double_eq(r.setup_seconds, 0.5);
    ck_assert_double_eq(r.train_seconds, 10.0);
    ck_assert_double_eq(r.fisher_seconds, 0.25);
    ck_assert_double_eq(r.eval_seconds, 1.5);
    ck_assert_double_eq(r.total_seconds, 12.25);
    ck_assert_double_eq(r.images_per_second, 12000.0);
    /* Every leaf, nested keys dotted, in file order; strings bare, the rest as JSON. */
    static const char *const expected[][2] = {
        {"implementation", "pytorch 2.1"}, {"device.name", "cpu-x"}, {"schedule.lr", "0.1"},
        {"schedule.task_number", "2"},     {"ewc.consolidate", "false"},
        {"ewc.lambda", "40"},              {"ewc.mode", "null"},     {"note", "[1,2]"}};
    ck_assert_uint_eq(r.setting_count, sizeof expected / sizeof expected[0]);
    for (size_t i = 0; i < r.setting_count; i++) {
        ck_assert_str_eq(r.settings[i].key, expected[i][0]);
        ck_assert_str_eq(r.settings[i].value, expected[i][1]);
        ck_assert_str_eq(ewcl_report_record_setting(&r, expected[i][0]), expected[i][1]);
    }
    ck_assert_ptr_null(ewcl_report_record_setting(&r, "schedule"));
    ck_assert_ptr_null(ewcl_report_record_setting(&r, "from_the_future.x"));
    ewcl_report_record_free(&r);
    ewcl_report_record_free(&r);
    ewcl_report_record_free(NULL);
    ewcl_test_remove_tree(dir);
}
END_TEST

START_TEST(null_and_absent_numbers_are_nan)
{
    /* One task: BWT and forgetting undefined (null); no times, no speed, a null entry. */
    const char *dir = run_folder("{}", "{\"task_count\": 1, \"accuracy\": [[null]],\n"
                                       " \"bwt\": null, \"seconds\": {\"train\": 2}}");
    ewcl_report_record r;
    ewcl_error err;
    ck_assert_int_eq(ewcl_report_read_run(dir, &r, &err), EWCL_OK);
    ck_assert_uint_eq(r.task_count, 1);
    ck_assert_uint_eq(r.setting_count, 0);
    ck_assert(isnan(r.accuracy[0]));
    ck_assert(isnan(r.average_accuracy[0]));
    ck_assert(isnan(r.final_average_accuracy) && isnan(r.bwt) && isnan(r.forgetting));
    ck_assert_double_eq(r.train_seconds, 2.0);
    ck_assert(isnan(r.setup_seconds) && isnan(r.fisher_seconds) && isnan(r.eval_seconds) &&
              isnan(r.total_seconds) && isnan(r.images_per_second));
    ewcl_report_record_free(&r);
    ewcl_test_remove_tree(dir);
}
END_TEST

/* What ewcl itself writes reads back as what it was given. */
START_TEST(ewcl_files_round_trip)
{
    const char *dir = run_folder(NULL, NULL);
    double accuracy[] = {0.5, 0.125, 0.25, 0.75}, average[] = {0.5, 0.5}, fisher[] = {0, 0};
    const ewcl_train_result result = {
        .task_count = 2, .accuracy = accuracy, .average_accuracy = average,
        .fisher_seconds = fisher, .bwt = -0.25, .forgetting = 0.25, .train_seconds = 3.0,
        .eval_seconds = 0.5, .total_seconds = 4.0, .images_per_second = 900.0};
    ewcl_train_config config;
    ewcl_train_config_default(&config);
    config.consolidate = true;
    char path[4200];
    ewcl_error err;
    snprintf(path, sizeof path, "%s/config.json", dir);
    ck_assert_int_eq(ewcl_report_write_config_json(&config, NULL, path, &err), EWCL_OK);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    ck_assert_int_eq(ewcl_report_write_summary_json(&result, NULL, path, &err), EWCL_OK);
    ewcl_report_record r;
    ck_assert_int_eq(ewcl_report_read_run(dir, &r, &err), EWCL_OK);
    for (size_t i = 0; i < 4; i++)
        ck_assert_double_eq(r.accuracy[i], accuracy[i]);
    ck_assert_double_eq(r.bwt, -0.25);
    ck_assert_double_eq(r.total_seconds, 4.0);
    ck_assert_str_eq(ewcl_report_record_setting(&r, "ewc.consolidate"), "true");
    ck_assert_str_eq(ewcl_report_record_setting(&r, "ewc.mode"), "separate");
    ck_assert_str_eq(ewcl_report_record_setting(&r, "schedule.lr"), "0.1");
    ck_assert_str_eq(ewcl_report_record_setting(&r, "ewcl_version"), ewcl_version());
    ewcl_report_record_free(&r);
    ewcl_test_remove_tree(dir);
}
END_TEST

START_TEST(summaries_of_the_wrong_shape_name_the_file_and_key)
{
    static const struct {
        const char *summary, *word;
    } cases[] = {
        {"{\"accuracy\": [[0.5]]}", "task_count"},
        {"{\"task_count\": 0, \"accuracy\": []}", "task_count"},
        {"{\"task_count\": \"2\", \"accuracy\": []}", "task_count"},
        {"{\"task_count\": 1.5, \"accuracy\": [[0.5]]}", "task_count"},
        {"{\"task_count\": 5000, \"accuracy\": []}", "task_count"},
        {"{\"task_count\": 2, \"accuracy\": [[0.9, 0.1], [0.6]]}", "row 2"},
        {"{\"task_count\": 2, \"accuracy\": [[0.9, 0.1]]}", "accuracy"},
        {"{\"task_count\": 1, \"accuracy\": [[1.5]]}", "accuracy"},
        {"{\"task_count\": 1, \"accuracy\": [[-0.1]]}", "accuracy"},
        {"{\"task_count\": 1, \"accuracy\": [[\"0.5\"]]}", "accuracy"},
        {"{\"task_count\": 1, \"accuracy\": {\"0\": [0.5]}}", "accuracy"},
        {"{\"task_count\": 2, \"accuracy\": [[0.9, 0.1], [0.6, 0.8]], "
         "\"average_accuracy\": [0.9]}",
         "average_accuracy"},
        {"{\"task_count\": 1, \"accuracy\": [[0.5]], \"bwt\": \"high\"}", "bwt"},
        {"{\"task_count\": 1, \"accuracy\": [[0.5]], \"images_per_second\": 1e999}",
         "images_per_second"},
        {"{\"task_count\": 1, \"accuracy\": [[0.5]], \"seconds\": [1, 2]}", "seconds"},
        {"{\"task_count\": 1, \"accuracy\": [[0.5]], \"seconds\": {\"train\": \"x\"}}",
         "train"},
        {"[0.5, 0.5]", "not a JSON object"},
        {"", "not valid JSON (line 1)"},
        {"{\"task_count\": 1,\n\"accuracy\": [[0.5]],\n\"bwt\": }", "not valid JSON (line 3)"},
        {"{\"task_count\": 1, \"accuracy\": [[0.5]]} trailing", "not valid JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *dir = run_folder(config_text, cases[i].summary);
        expect_failure(dir, "summary.json", EWCL_ERR_FORMAT, cases[i].word);
        ewcl_test_remove_tree(dir);
    }
    const char *dir = run_folder("{\"schedule\": {\"lr\": 0.1,", summary_text);
    expect_failure(dir, "config.json", EWCL_ERR_FORMAT, "not valid JSON");
    ewcl_test_remove_tree(dir);
}
END_TEST

START_TEST(missing_folders_and_files_are_invalid_arguments)
{
    const char *base = run_folder(NULL, NULL);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/absent", base);
    expect_failure(dir, "", EWCL_ERR_INVALID_ARGUMENT, "no such folder");
    snprintf(dir, sizeof dir, "%s/a-file", base);
    ck_assert_int_eq(ewcl_test_write_file(dir, "x", 1), 0);
    expect_failure(dir, "", EWCL_ERR_INVALID_ARGUMENT, "not a folder");
    expect_failure(base, "config.json", EWCL_ERR_INVALID_ARGUMENT, "No such file");
    ewcl_test_remove_tree(base);
    base = run_folder(config_text, NULL);
    expect_failure(base, "summary.json", EWCL_ERR_INVALID_ARGUMENT, "No such file");
    ewcl_test_remove_tree(base);
}
END_TEST

START_TEST(unreadable_and_oversized_files_are_refused)
{
    /* A folder where the file should be: it opens, but reading it fails. */
    const char *dir = run_folder(config_text, NULL);
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    expect_failure(dir, "summary.json", EWCL_ERR_IO, "cannot read");
    ewcl_test_remove_tree(dir);
    /* 17 MiB of spaces before a valid document: refused before it is parsed. */
    dir = run_folder(config_text, NULL);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    const size_t size = (size_t)17 << 20;
    char *big = malloc(size);
    ck_assert_ptr_nonnull(big);
    memset(big, ' ', size);
    memcpy(big + size - 2, "{}", 2);
    ck_assert_int_eq(ewcl_test_write_file(path, big, size), 0);
    free(big);
    expect_failure(dir, "summary.json", EWCL_ERR_FORMAT, "16 MiB");
    ewcl_test_remove_tree(dir);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("report_read");
    TCase *tc = tcase_create("report_read");
    tcase_add_test(tc, hand_written_run_reads_back_exactly);
    tcase_add_test(tc, null_and_absent_numbers_are_nan);
    tcase_add_test(tc, ewcl_files_round_trip);
    tcase_add_test(tc, summaries_of_the_wrong_shape_name_the_file_and_key);
    tcase_add_test(tc, missing_folders_and_files_are_invalid_arguments);
    tcase_add_test(tc, unreadable_and_oversized_files_are_refused);
    suite_add_tcase(suite, tc);
    return ewcl_test_run(suite);
}
