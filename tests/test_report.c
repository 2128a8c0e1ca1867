/* The report writers on hand-given logs and results: metrics.csv has its header and rows,
 * the SVG plots are well-formed with one <polyline> per series holding the right points
 * inside the viewBox, the JSON files parse and hold what was given, and a directory that
 * cannot be written gives EWCL_ERR_IO naming the path. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ewcl/ewcl.h"
#include "harness.h"

enum { TASKS = 3 };

/* Two tasks trained of three: losses every 20 iterations, evaluations every 40, the end of
 * task 1 at 80. */
static ewcl_report_log *sample_log(void)
{
    ewcl_report_log *log = NULL;
    ewcl_error err;
    ck_assert_int_eq(ewcl_report_log_create(TASKS, &log, &err), EWCL_OK);
    const double first[] = {0.5}, second[] = {0.75, 0.25}, end[] = {0.8};
    ck_assert_int_eq(ewcl_report_log_loss(log, 20, 0, 0, 2.0, 0.0, 2.0, &err), EWCL_OK);
    ck_assert_int_eq(ewcl_report_log_accuracy(log, EWCL_REPORT_EVAL, 40, 0, 0, first, 1, &err),
                     EWCL_OK);
    ck_assert_int_eq(ewcl_report_log_loss(log, 40, 0, 1, 1.5, 0.0, 1.5, &err), EWCL_OK);
    ck_assert_int_eq(
        ewcl_report_log_accuracy(log, EWCL_REPORT_TASK_END, 80, 0, 1, end, 1, &err), EWCL_OK);
    ck_assert_int_eq(ewcl_report_log_loss(log, 100, 1, 0, 1.25, 0.5, 1.75, &err), EWCL_OK);
    ck_assert_int_eq(
        ewcl_report_log_accuracy(log, EWCL_REPORT_EVAL, 120, 1, 0, second, 2, &err), EWCL_OK);
    return log;
}

/* `dir`/`name` into a static buffer. */
static const char *path_in(const char *dir, const char *name)
{
    static char path[8400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

/* ---- CSV ------------------------------------------------------------------------------- */

START_TEST(csv_has_header_and_rows)
{
    const char *dir = ewcl_test_make_temp_dir("report-csv");
    ewcl_report_log *log = sample_log();
    ewcl_error err;
    const char *path = path_in(dir, "metrics.csv");
    ck_assert_int_eq(ewcl_report_write_metrics_csv(log, path, &err), EWCL_OK);
    char *text = ewcl_test_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text,
                     "iteration,kind,task,epoch,ce_loss,ewc_loss,total_loss,precision_1,"
                     "precision_2,precision_3\n"
                     "20,loss,1,1,2,0,2,,,\n"
                     "40,eval,1,1,,,,0.5,,\n"
                     "40,loss,1,2,1.5,0,1.5,,,\n"
                     "80,task_end,1,2,,,,0.8,,\n"
                     "100,loss,2,1,1.25,0.5,1.75,,,\n"
                     "120,eval,2,1,,,,0.75,0.25,\n");
    free(text);
    ewcl_report_log_destroy(log);
    ewcl_test_remove_tree(dir);
}
END_TEST

/* ---- SVG: a minimal XML reader ---------------------------------------------------------- */

/* The value of attribute `name` in the tag starting at `tag` (up to its '>'), copied into
 * `out`; false when absent. */
static bool attribute(const char *tag, const char *name, char *out, size_t size)
{
    const char *end = strchr(tag, '>');
    char needle[64];
    snprintf(needle, sizeof needle, " %s=\"", name);
    const char *at = strstr(tag, needle);
    if (at == NULL || end == NULL || at > end)
        return false;
    at += strlen(needle);
    const char *close = strchr(at, '"');
    if (close == NULL || (size_t)(close - at) >= size)
        return false;
    memcpy(out, at, (size_t)(close - at));
    out[close - at] = '\0';
    return true;
}

/* Checks that every tag is closed in order (self-closing ones included) and that the root
 * is <svg>; returns the number of <polyline> elements. */
static size_t check_balanced(const char *svg)
{
    char stack[64][32];
    size_t depth = 0, polylines = 0, roots = 0;
    for (const char *p = strchr(svg, '<'); p != NULL; p = strchr(p + 1, '<')) {
        const char *end = strchr(p, '>');
        ck_assert_msg(end != NULL, "unterminated tag");
        if (p[1] == '?')
            continue;
        const bool closing = p[1] == '/', self_closing = end[-1] == '/';
        const char *name = p + (closing ? 2 : 1);
        const size_t len = strcspn(name, " />");
        ck_assert_msg(len > 0 && len < 32, "bad tag name");
        if (closing) {
            ck_assert_msg(depth > 0, "close without open");
            depth--;
            ck_assert_msg(strlen(stack[depth]) == len && strncmp(stack[depth], name, len) == 0,
                          "</%.*s> closes <%s>", (int)len, name, stack[depth]);
            continue;
        }
        if (depth == 0) {
            roots++;
            ck_assert_msg(strncmp(name, "svg", len) == 0 && len == 3, "root is not <svg>");
        }
        polylines += len == 8 && strncmp(name, "polyline", 8) == 0;
        if (!self_closing) {
            ck_assert_uint_lt(depth, 64);
            memcpy(stack[depth], name, len);
            stack[depth++][len] = '\0';
        }
    }
    ck_assert_uint_eq(depth, 0);
    ck_assert_uint_eq(roots, 1);
    return polylines;
}

/* The point counts of the polylines in order; each point must lie inside the viewBox. */
static size_t polyline_points(const char *svg, size_t *counts, size_t max)
{
    char box[64];
    ck_assert(attribute(strstr(svg, "<svg"), "viewBox", box, sizeof box));
    double bx, by, bw, bh;
    ck_assert_int_eq(sscanf(box, "%lf %lf %lf %lf", &bx, &by, &bw, &bh), 4);
    size_t n = 0;
    static char points[1 << 16];
    for (const char *p = strstr(svg, "<polyline"); p != NULL; p = strstr(p + 1, "<polyline")) {
        ck_assert_uint_lt(n, max);
        ck_assert(attribute(p, "points", points, sizeof points));
        counts[n] = 0;
        for (char *tok = strtok(points, " "); tok != NULL; tok = strtok(NULL, " ")) {
            double x, y;
            ck_assert_msg(sscanf(tok, "%lf,%lf", &x, &y) == 2, "bad point '%s'", tok);
            ck_assert_msg(x >= bx && x <= bx + bw && y >= by && y <= by + bh,
                          "point %g,%g outside the viewBox", x, y);
            counts[n]++;
        }
        n++;
    }
    return n;
}

START_TEST(accuracy_svg_has_a_polyline_per_task)
{
    const char *dir = ewcl_test_make_temp_dir("report-svg");
    ewcl_report_log *log = sample_log();
    ewcl_error err;
    const char *path = path_in(dir, "accuracy.svg");
    ck_assert_int_eq(ewcl_report_write_accuracy_svg(log, path, &err), EWCL_OK);
    char *svg = ewcl_test_read_file(path, NULL);
    ck_assert_ptr_nonnull(svg);
    ck_assert_uint_eq(check_balanced(svg), TASKS);
    size_t counts[8];
    ck_assert_uint_eq(polyline_points(svg, counts, 8), TASKS);
    /* Task 1: evaluations at 40 and 120 and the end of the task at 80; task 2 only at 120;
     * task 3 never seen. */
    ck_assert_uint_eq(counts[0], 3);
    ck_assert_uint_eq(counts[1], 1);
    ck_assert_uint_eq(counts[2], 0);
    for (size_t j = 1; j <= TASKS; j++) { /* a legend entry per task */
        char label[32];
        snprintf(label, sizeof label, ">task %zu<", j);
        ck_assert_msg(strstr(svg, label) != NULL, "no legend %s", label);
    }
    ck_assert_ptr_nonnull(strstr(svg, ">iteration<"));
    ck_assert_ptr_nonnull(strstr(svg, ">precision<"));
    /* One dashed line where task 2 starts (task 1 ended at iteration 80): x runs from 0 at
     * 70 px to the last point, 120, at 590 px, so 70 + 80/120·520 = 416.67. */
    const char *marker = strstr(svg, "stroke-dasharray");
    ck_assert_ptr_nonnull(marker);
    ck_assert_ptr_null(strstr(marker + 1, "stroke-dasharray"));
    ck_assert_ptr_nonnull(strstr(svg, "<line x1=\"416.67\" y1=\"40\" x2=\"416.67\""));
    free(svg);
    ewcl_report_log_destroy(log);
    ewcl_test_remove_tree(dir);
}
END_TEST

START_TEST(loss_svg_has_three_series)
{
    const char *dir = ewcl_test_make_temp_dir("report-svg");
    ewcl_report_log *log = sample_log();
    ewcl_error err;
    const char *path = path_in(dir, "loss.svg");
    ck_assert_int_eq(ewcl_report_write_loss_svg(log, path, &err), EWCL_OK);
    char *svg = ewcl_test_read_file(path, NULL);
    ck_assert_ptr_nonnull(svg);
    ck_assert_uint_eq(check_balanced(svg), 3);
    size_t counts[4];
    ck_assert_uint_eq(polyline_points(svg, counts, 4), 3);
    for (size_t k = 0; k < 3; k++)
        ck_assert_uint_eq(counts[k], 3);
    /* Losses up to 2.0: 5 % headroom gives 2.1, and the axis ends on a tick of the step
     * it uses (0.5): 2.5, at the top of the plot (y 40, its label 4 px lower). */
    ck_assert_msg(strstr(svg, "y=\"44.00\" text-anchor=\"end\">2.5<") != NULL, "%s", svg);
    ck_assert_ptr_null(strstr(svg, ">3<"));
    ck_assert_ptr_nonnull(strstr(svg, ">cross-entropy<"));
    ck_assert_ptr_nonnull(strstr(svg, ">EWC penalty<"));
    ck_assert_ptr_nonnull(strstr(svg, ">total<"));
    free(svg);
    ewcl_report_log_destroy(log);
    ewcl_test_remove_tree(dir);
}
END_TEST

/* ---- JSON ------------------------------------------------------------------------------ */

static cJSON *parse_file(const char *path)
{
    char *text = ewcl_test_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    cJSON *root = cJSON_Parse(text);
    ck_assert_msg(root != NULL, "%s does not parse:\n%s", path, text);
    free(text);
    return root;
}

static double number_at(const cJSON *object, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    ck_assert_msg(cJSON_IsNumber(item), "no number '%s'", name);
    return item->valuedouble;
}

START_TEST(summary_json_holds_matrix_and_metrics)
{
    double accuracy[TASKS * TASKS] = {0.9, 0.1, 0.1, 0.7, 0.95, 0.1, 0.6, 0.8, 0.97};
    double average[TASKS], fisher[TASKS] = {0.01, 0.02, 0.0};
    for (size_t i = 0; i < TASKS; i++)
        average[i] = ewcl_train_average_accuracy(accuracy, TASKS, i);
    const ewcl_train_result r = {
        .task_count = TASKS, .accuracy = accuracy, .average_accuracy = average,
        .fisher_seconds = fisher, .bwt = ewcl_train_bwt(accuracy, TASKS),
        .forgetting = ewcl_train_forgetting(accuracy, TASKS), .setup_seconds = 0.5,
        .train_seconds = 10.0, .fisher_seconds_total = 0.03, .eval_seconds = 1.0,
        .total_seconds = 11.53, .iterations = 1000, .train_images = 128000,
        .images_per_second = 12800.0, .parameter_count = 12345, .mean = 0.2, .std = 0.3};
    ewcl_device_info device;
    memset(&device, 0, sizeof device);
    snprintf(device.name, sizeof device.name, "Test Device");
    device.runtime = EWCL_RUNTIME_POCL;
    const ewcl_report_run run = {&device, "/data"};
    const char *dir = ewcl_test_make_temp_dir("report-json");
    ewcl_error err;
    const char *path = path_in(dir, "summary.json");
    ck_assert_int_eq(ewcl_report_write_summary_json(&r, &run, path, &err), EWCL_OK);
    cJSON *root = parse_file(path);
    const cJSON *matrix = cJSON_GetObjectItemCaseSensitive(root, "accuracy");
    ck_assert_int_eq(cJSON_GetArraySize(matrix), TASKS);
    for (int i = 0; i < TASKS; i++) {
        const cJSON *row = cJSON_GetArrayItem(matrix, i);
        ck_assert_int_eq(cJSON_GetArraySize(row), TASKS);
        for (int j = 0; j < TASKS; j++)
            ck_assert_double_eq(cJSON_GetArrayItem(row, j)->valuedouble,
                                accuracy[i * TASKS + j]);
        ck_assert_double_eq(
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "average_accuracy"), i)
                ->valuedouble,
            average[i]);
    }
    /* BWT = ((0.6 − 0.9) + (0.8 − 0.95)) / 2; forgetting the same here (diagonal = best). */
    ck_assert_double_eq_tol(number_at(root, "bwt"), -0.225, 1e-12);
    ck_assert_double_eq_tol(number_at(root, "forgetting"), 0.225, 1e-12);
    ck_assert_double_eq(number_at(root, "final_average_accuracy"), average[TASKS - 1]);
    ck_assert_double_eq(number_at(root, "images_per_second"), 12800.0);
    ck_assert_double_eq(number_at(cJSON_GetObjectItemCaseSensitive(root, "seconds"), "train"),
                        10.0);
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(root, "device");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(dev, "name")->valuestring, "Test Device");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(dev, "runtime")->valuestring, "pocl");
    cJSON_Delete(root);

    /* One task: BWT and forgetting are undefined, written as null. */
    ewcl_train_result one = r;
    one.task_count = 1;
    one.bwt = one.forgetting = NAN;
    ck_assert_int_eq(ewcl_report_write_summary_json(&one, NULL, path, &err), EWCL_OK);
    root = parse_file(path);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(root, "bwt")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(root, "device")));
    cJSON_Delete(root);
    ewcl_test_remove_tree(dir);
}
END_TEST

START_TEST(config_json_holds_every_setting)
{
    ewcl_train_config c;
    ewcl_train_config_default(&c);
    c.consolidate = true;
    c.ewc.mode = EWCL_EWC_ONLINE;
    c.seed = 42;
    const char *dir = ewcl_test_make_temp_dir("report-json");
    ewcl_error err;
    const char *path = path_in(dir, "config.json");
    ck_assert_int_eq(ewcl_report_write_config_json(&c, NULL, path, &err), EWCL_OK);
    cJSON *root = parse_file(path);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(root, "ewcl_version")->valuestring,
                     ewcl_version());
    const cJSON *schedule = cJSON_GetObjectItemCaseSensitive(root, "schedule");
    ck_assert_double_eq(number_at(schedule, "lr"), 0.1); /* as typed, not float-rounded */
    ck_assert_double_eq(number_at(schedule, "seed"), 42.0);
    ck_assert_double_eq(number_at(schedule, "task_number"), (double)c.task_number);
    ck_assert_double_eq(number_at(cJSON_GetObjectItemCaseSensitive(root, "network"),
                                  "hidden_size"),
                        (double)c.hidden_size);
    const cJSON *ewc = cJSON_GetObjectItemCaseSensitive(root, "ewc");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ewc, "consolidate")));
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(ewc, "mode")->valuestring, "online");
    ck_assert_double_eq(number_at(ewc, "lambda"), 40.0);
    /* The default normalisation is the data's own: no fixed mean, written as null. */
    ck_assert(cJSON_IsNull(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "inputs"),
                                         "mean")));
    cJSON_Delete(root);
    ewcl_test_remove_tree(dir);
}
END_TEST

/* ---- Files ----------------------------------------------------------------------------- */

START_TEST(unwritable_directory_is_an_io_error_naming_it)
{
    const char *dir = ewcl_test_make_temp_dir("report-io");
    char file[4200], below[4300];
    snprintf(file, sizeof file, "%s/plain-file", dir);
    ck_assert_int_eq(ewcl_test_write_file(file, "x", 1), 0);
    /* A path through a regular file: unwritable even for root. */
    snprintf(below, sizeof below, "%s/runs/a", file);
    ewcl_error err;
    ck_assert_int_eq(ewcl_report_prepare_dir(below, &err), EWCL_ERR_IO);
    ck_assert_msg(strstr(err.message, below) != NULL, "%s", err.message);
    ewcl_report_log *log = sample_log();
    const char *path = path_in(below, "metrics.csv");
    ck_assert_int_eq(ewcl_report_write_metrics_csv(log, path, &err), EWCL_ERR_IO);
    ck_assert_msg(strstr(err.message, path) != NULL, "%s", err.message);
    ewcl_report_log_destroy(log);
    ewcl_test_remove_tree(dir);
}
END_TEST

START_TEST(write_all_leaves_five_files_and_no_temporaries)
{
    const char *base = ewcl_test_make_temp_dir("report-all");
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/nested/run", base);
    ewcl_error err;
    ck_assert_int_eq(ewcl_report_prepare_dir(dir, &err), EWCL_OK);
    ewcl_train_config c;
    ewcl_train_config_default(&c);
    c.task_number = TASKS;
    double accuracy[TASKS * TASKS] = {0}, average[TASKS] = {0}, fisher[TASKS] = {0};
    const ewcl_train_result r = {.task_count = TASKS, .accuracy = accuracy,
                                 .average_accuracy = average, .fisher_seconds = fisher};
    ewcl_report_log *log = sample_log();
    ck_assert_int_eq(ewcl_report_write_all(dir, log, &c, &r, NULL, &err), EWCL_OK);
    ewcl_report_log_destroy(log);
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t files = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.') {
            files++;
            ck_assert_msg(strstr(e->d_name, ".tmp") == NULL, "left over: %s", e->d_name);
        }
    closedir(d);
    ck_assert_uint_eq(files, 5);
    /* A failed run has no result: all but summary.json. */
    char summary[4300];
    snprintf(summary, sizeof summary, "%s/summary.json", dir);
    ck_assert_int_eq(remove(summary), 0);
    log = sample_log();
    ck_assert_int_eq(ewcl_report_write_all(dir, log, &c, NULL, NULL, &err), EWCL_OK);
    ewcl_report_log_destroy(log);
    char *missing = ewcl_test_read_file(summary, NULL);
    ck_assert_ptr_null(missing);
    ewcl_test_remove_tree(base);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_add_test(tc, csv_has_header_and_rows);
    tcase_add_test(tc, accuracy_svg_has_a_polyline_per_task);
    tcase_add_test(tc, loss_svg_has_three_series);
    tcase_add_test(tc, summary_json_holds_matrix_and_metrics);
    tcase_add_test(tc, config_json_holds_every_setting);
    tcase_add_test(tc, unwritable_directory_is_an_io_error_naming_it);
    tcase_add_test(tc, write_all_leaves_five_files_and_no_temporaries);
    suite_add_tcase(suite, tc);
    return ewcl_test_run(suite);
}
