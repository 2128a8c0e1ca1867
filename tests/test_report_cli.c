/* `ewcl report` on hand-written run folders: the settings that differ (only those), each
 * accuracy matrix, the table of metrics and times with the numbers written in the files,
 * the same as JSON, and one line with the right exit code for every bad folder or file. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "harness_program.h"

/* Run 1, as ewcl writes it: plain SGD, R = [[0.9, 0.1], [0.6, 0.8]], so the average after
 * task 2 is (0.6 + 0.8)/2 = 0.7, BWT 0.6 − 0.9 = −0.3, forgetting 0.9 − 0.6 = 0.3. */
static const char config_1[] =
    "{\"ewcl_version\": \"0.1.0\", \"schedule\": {\"lr\": 0.1, \"seed\": 0},\n"
    " \"ewc\": {\"consolidate\": false}}\n";
static const char summary_1[] =
    "{\"task_count\": 2, \"accuracy\": [[0.9, 0.1], [0.6, 0.8]],\n"
    " \"average_accuracy\": [0.9, 0.7], \"final_average_accuracy\": 0.7, \"bwt\": -0.3,\n"
    " \"forgetting\": 0.3, \"seconds\": {\"setup\": 0.5, \"train\": 10, \"fisher\": 0,\n"
    " \"eval\": 1.5, \"total\": 12.5}, \"images_per_second\": 12000}\n";

/* Run 2, as tools/torch_reference.py writes it: EWC, R = [[0.9, 0.1], [0.85, 0.8]]:
 * average 0.825, BWT 0.85 − 0.9 = −0.05, forgetting 0.05; an implementation key and one
 * ewcl does not know. */
static const char config_2[] =
    "{\"implementation\": \"pytorch 2.1\", \"schedule\": {\"lr\": 0.1, \"seed\": 0},\n"
    " \"ewc\": {\"consolidate\": true}, \"extra\": {\"threads\": 1}}\n";
static const char summary_2[] =
    "{\"task_count\": 2, \"accuracy\": [[0.9, 0.1], [0.85, 0.8]],\n"
    " \"average_accuracy\": [0.9, 0.825], \"final_average_accuracy\": 0.825, \"bwt\": -0.05,\n"
    " \"forgetting\": 0.05, \"seconds\": {\"train\": 20, \"fisher\": 0.5, \"eval\": 2,\n"
    " \"total\": 23}, \"images_per_second\": 6000}\n";

static char base[4096];

/* base/`name` holding the two files (either NULL: left out); the path, static storage. */
static const char *run_folder(const char *name, const char *config, const char *summary)
{
    static char dirs[4][4200];
    static size_t next = 0;
    char *dir = dirs[next++ % 4];
    snprintf(dir, sizeof dirs[0], "%s/%s", base, name);
    /* Tests run one after another in forked children: a folder may be there already. */
    ck_assert_msg(mkdir(dir, 0755) == 0 || errno == EEXIST, "cannot make %s", dir);
    char path[4300];
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (config != NULL)
        ck_assert_int_eq(ewcl_test_write_file(path, config, strlen(config)), 0);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    if (summary != NULL)
        ck_assert_int_eq(ewcl_test_write_file(path, summary, strlen(summary)), 0);
    return dir;
}

static ewcl_test_output report(const char *const args[])
{
    const char *argv[16] = {"report"};
    size_t n = 1;
    for (size_t i = 0; args[i] != NULL && n + 1 < 16; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return ewcl_test_run_program(EWCL_PROGRAM_PATH, argv, NULL);
}

/* The first line of `text` after `after` whose first `keys` whitespace-separated words are
 * those of `first`, split into at most 16 words; their count. */
static size_t words_of_line(const char *text, const char *after, const char *const first[],
                            size_t keys, char words[16][64])
{
    const char *from = strstr(text, after);
    ck_assert_msg(from != NULL, "no '%s' in:\n%s", after, text);
    for (const char *line = from; *line != '\0';) {
        const char *end = strchr(line, '\n');
        const size_t length = end != NULL ? (size_t)(end - line) : strlen(line);
        char copy[1024];
        snprintf(copy, sizeof copy, "%.*s", (int)length, line);
        size_t n = 0;
        char *save = NULL;
        for (char *w = strtok_r(copy, " ", &save); w != NULL && n < 16;
             w = strtok_r(NULL, " ", &save))
            snprintf(words[n++], 64, "%s", w);
        bool match = n >= keys;
        for (size_t k = 0; k < keys && match; k++)
            match = strcmp(words[k], first[k]) == 0;
        if (match)
            return n;
        if (end == NULL)
            break;
        line = end + 1;
    }
    ck_abort_msg("no line starting '%s' after '%s' in:\n%s", first[0], after, text);
    return 0;
}

/* The line after `after` that starts with the first `keys` words of `expected` has exactly
 * the words `expected`. */
static void expect_line(const char *text, const char *after, size_t keys,
                        const char *const expected[])
{
    char words[16][64];
    const size_t n = words_of_line(text, after, expected, keys, words);
    size_t count = 0;
    while (expected[count] != NULL)
        count++;
    ck_assert_msg(n == count, "%zu words in the '%s' line, expected %zu:\n%s", n, expected[0],
                  count, text);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(strcmp(words[i], expected[i]) == 0, "word %zu is '%s', expected '%s':\n%s",
                      i, words[i], expected[i], text);
}

START_TEST(two_runs_side_by_side)
{
    const char *a = run_folder("plain", config_1, summary_1);
    char first[4200];
    snprintf(first, sizeof first, "%s", a);
    const char *b = run_folder("torch", config_2, summary_2);
    ewcl_test_output r = report(EWCL_ARGS(first, b));
    ewcl_test_expect_code(&r, 0);
    ck_assert_str_eq(r.err, "");
    char label[4400];
    snprintf(label, sizeof label, "[1] %s  (ewcl 0.1.0)", first);
    ck_assert_msg(strstr(r.out, label) != NULL, "no '%s' in:\n%s", label, r.out);
    snprintf(label, sizeof label, "[2] %s  (pytorch 2.1)", b);
    ck_assert_msg(strstr(r.out, label) != NULL, "no '%s' in:\n%s", label, r.out);
    /* Only what differs; an absent setting is "-". */
    expect_line(r.out, "settings that differ", 1, EWCL_ARGS("ewcl_version", "0.1.0", "-"));
    expect_line(r.out, "settings that differ", 1,
                EWCL_ARGS("ewc.consolidate", "false", "true"));
    expect_line(r.out, "settings that differ", 1, EWCL_ARGS("extra.threads", "-", "1"));
    ck_assert_msg(strstr(r.out, "schedule.lr") == NULL && strstr(r.out, "schedule.seed") == NULL,
                  "a setting both runs share is listed:\n%s", r.out);
    char words[16][64];
    ck_assert_uint_eq(
        words_of_line(r.out, "settings that differ", EWCL_ARGS("implementation"), 1, words), 4);
    ck_assert_str_eq(words[1], "-");
    ck_assert_str_eq(words[2], "pytorch");
    /* Each matrix, then the table. */
    expect_line(r.out, "[1] accuracy", 2,
                EWCL_ARGS("after", "1", "0.9000", "0.1000", "0.9000"));
    expect_line(r.out, "[1] accuracy", 2,
                EWCL_ARGS("after", "2", "0.6000", "0.8000", "0.7000"));
    expect_line(r.out, "[2] accuracy", 2,
                EWCL_ARGS("after", "2", "0.8500", "0.8000", "0.8250"));
    expect_line(r.out, "images/s", 1,
                EWCL_ARGS("[1]", "0.7000", "-0.3000", "0.3000", "10.0", "0.00", "1.5", "12.5",
                          "12000"));
    expect_line(r.out, "images/s", 1,
                EWCL_ARGS("[2]", "0.8250", "-0.0500", "0.0500", "20.0", "0.50", "2.0", "23.0",
                          "6000"));
    ewcl_test_output_free(&r);
}
END_TEST

static const cJSON *item(const cJSON *object, const char *name)
{
    const cJSON *found = cJSON_GetObjectItemCaseSensitive(object, name);
    ck_assert_msg(found != NULL, "no \"%s\"", name);
    return found;
}

START_TEST(json_holds_the_same)
{
    char first[4200];
    snprintf(first, sizeof first, "%s", run_folder("plain", config_1, summary_1));
    const char *b = run_folder("torch", config_2, summary_2);
    ewcl_test_output r = report(EWCL_ARGS("--json", first, b));
    ewcl_test_expect_code(&r, 0);
    cJSON *root = cJSON_Parse(r.out);
    ck_assert_msg(root != NULL, "not JSON:\n%s", r.out);
    const cJSON *runs = item(root, "runs");
    ck_assert_int_eq(cJSON_GetArraySize(runs), 2);
    const cJSON *one = cJSON_GetArrayItem(runs, 0), *two = cJSON_GetArrayItem(runs, 1);
    ck_assert_str_eq(item(one, "dir")->valuestring, first);
    ck_assert_str_eq(item(one, "implementation")->valuestring, "ewcl 0.1.0");
    ck_assert_str_eq(item(two, "implementation")->valuestring, "pytorch 2.1");
    ck_assert_double_eq(item(one, "bwt")->valuedouble, -0.3);
    ck_assert_double_eq(item(two, "forgetting")->valuedouble, 0.05);
    ck_assert_double_eq(item(two, "final_average_accuracy")->valuedouble, 0.825);
    ck_assert_double_eq(
        cJSON_GetArrayItem(cJSON_GetArrayItem(item(two, "accuracy"), 1), 0)->valuedouble, 0.85);
    ck_assert_double_eq(item(item(one, "seconds"), "total")->valuedouble, 12.5);
    ck_assert(cJSON_IsNull(item(item(two, "seconds"), "setup"))); /* not in its file */
    ck_assert_double_eq(item(two, "images_per_second")->valuedouble, 6000.0);
    /* The four settings that differ, each with one value per run (null: absent). */
    const cJSON *differing = item(root, "differing_settings");
    ck_assert_int_eq(cJSON_GetArraySize(differing), 4);
    const cJSON *consolidate = item(differing, "ewc.consolidate");
    ck_assert_str_eq(cJSON_GetArrayItem(consolidate, 0)->valuestring, "false");
    ck_assert_str_eq(cJSON_GetArrayItem(consolidate, 1)->valuestring, "true");
    const cJSON *implementation = item(differing, "implementation");
    ck_assert(cJSON_IsNull(cJSON_GetArrayItem(implementation, 0)));
    ck_assert_str_eq(cJSON_GetArrayItem(implementation, 1)->valuestring, "pytorch 2.1");
    item(differing, "ewcl_version");
    item(differing, "extra.threads");
    cJSON_Delete(root);
    ewcl_test_output_free(&r);
}
END_TEST

START_TEST(one_run_and_missing_numbers)
{
    /* One task: BWT and forgetting are null; no times at all. */
    const char *a = run_folder("single", config_1,
                               "{\"task_count\": 1, \"accuracy\": [[0.5]], \"bwt\": null,\n"
                               " \"final_average_accuracy\": 0.5}");
    ewcl_test_output r = report(EWCL_ARGS(a));
    ewcl_test_expect_code(&r, 0);
    ck_assert_msg(strstr(r.out, "settings") == NULL, "one run has nothing to compare:\n%s",
                  r.out);
    expect_line(r.out, "[1] accuracy", 2, EWCL_ARGS("after", "1", "0.5000", "-"));
    expect_line(r.out, "images/s", 1,
                EWCL_ARGS("[1]", "0.5000", "-", "-", "-", "-", "-", "-", "-"));
    ewcl_test_output_free(&r);
    /* Two identical runs: the settings are said to be the same. */
    char first[4200];
    snprintf(first, sizeof first, "%s", a);
    r = report(EWCL_ARGS(first, a));
    ewcl_test_expect_code(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "settings: the same in every run"));
    ewcl_test_output_free(&r);
}
END_TEST

START_TEST(bad_folders_and_files_are_one_line)
{
    char good[4200], path[4400];
    snprintf(good, sizeof good, "%s", run_folder("good", config_1, summary_1));
    static const struct {
        const char *name, *config, *summary, *word;
        int code;
    } cases[] = {
        /* Not a run folder: the user named the wrong path, exit 2. */
        {"no-summary", config_1, NULL, "summary.json", 2},
        {"no-config", NULL, summary_1, "config.json", 2},
        /* A run folder whose files are broken: exit 1. */
        {"truncated", config_1, "{\"task_count\": 2, \"accuracy\": [[0.9", "summary.json", 1},
        {"shape", config_1, "{\"task_count\": 2, \"accuracy\": [[0.9, 0.1]]}", "accuracy", 1},
        {"bad-config", "{\"lr\": }", summary_1, "config.json", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *dir = run_folder(cases[i].name, cases[i].config, cases[i].summary);
        /* After a good run, so that one bad folder among several is caught too. */
        ewcl_test_output r = report(EWCL_ARGS(good, dir));
        ewcl_test_expect_code(&r, cases[i].code);
        ewcl_test_expect_one_line_error(&r, cases[i].word);
        ck_assert_msg(strstr(r.err, dir) != NULL, "does not name %s: %s", dir, r.err);
        ewcl_test_output_free(&r);
    }
    snprintf(path, sizeof path, "%s/absent", base);
    ewcl_test_output r = report(EWCL_ARGS(path));
    ewcl_test_expect_code(&r, 2);
    ewcl_test_expect_one_line_error(&r, path);
    ewcl_test_output_free(&r);
    r = report(EWCL_ARGS("--json"));
    ewcl_test_expect_code(&r, 2);
    ewcl_test_expect_one_line_error(&r, "run folder");
    ewcl_test_output_free(&r);
    r = report(EWCL_ARGS("--bogus", good));
    ewcl_test_expect_code(&r, 2);
    ewcl_test_expect_one_line_error(&r, "--bogus");
    ewcl_test_output_free(&r);
}
END_TEST

START_TEST(help_lists_the_command_and_its_flag)
{
    ewcl_test_output r = ewcl_test_run_program(EWCL_PROGRAM_PATH, EWCL_ARGS("help"), NULL);
    ewcl_test_expect_code(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "  report "));
    ewcl_test_output_free(&r);
    r = report(EWCL_ARGS("--help"));
    ewcl_test_expect_code(&r, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "--json"));
    ck_assert_ptr_nonnull(strstr(r.out, "RUN_DIR"));
    ewcl_test_output_free(&r);
}
END_TEST

int main(void)
{
    snprintf(base, sizeof base, "%s", ewcl_test_make_temp_dir("report-cli"));
    Suite *suite = suite_create("report_cli");
    TCase *tc = tcase_create("report_cli");
    tcase_add_test(tc, two_runs_side_by_side);
    tcase_add_test(tc, json_holds_the_same);
    tcase_add_test(tc, one_run_and_missing_numbers);
    tcase_add_test(tc, bad_folders_and_files_are_one_line);
    tcase_add_test(tc, help_lists_the_command_and_its_flag);
    suite_add_tcase(suite, tc);
    const int code = ewcl_test_run(suite);
    ewcl_test_remove_tree(base);
    return code;
}
