/* `ewcl compare` as a user runs it, on a small generated data set: two PoCL drivers agree,
 * a device that cannot run gets its error row and exit 1, compare.json holds what the table
 * shows (checked against the accuracy matrices it reports), compare.svg draws a bar per
 * device, bad flags are usage errors, and Oclgrind, the simulator, agrees with PoCL. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ewcl/ewcl.h"
#include "harness.h"
#include "harness_json.h"
#include "harness_data.h"
#include "harness_program.h"

enum { SIDE = 12, CLASSES = 10, DATA_SEED = 11 };

/* 600 training and 200 test images; 100 and 50 for the simulator, which runs every
 * work-item on its own (a run of the small set takes it about 20 s). */
static char data_dir[4096], tiny_data_dir[4096];

/* 2 tasks × 1 epoch of a small network, with EWC. */
#define SMALL_RUN(dir, hidden, batch)                                                         \
    "--data-dir", dir, "--task-number", "2", "--epochs-per-task", "1", "--hidden-size",       \
        hidden, "--hidden-layer-num", "1", "--batch-size", batch, "--test-size", batch,        \
        "--fisher-estimation-sample-size", batch, "--consolidate", "--quiet"
#define TINY_RUN SMALL_RUN(data_dir, "16", "100")

static ewcl_test_output run_compare(const char *const args[], const char *const env[])
{
    return ewcl_test_run_program(EWCL_PROGRAM_PATH, args, env);
}

static double number(const cJSON *o, const char *key)
{
    const cJSON *f = ewcl_test_json_field(o, key);
    ck_assert_msg(cJSON_IsNumber(f), "'%s' is not a number", key);
    return f->valuedouble;
}

static const char *string(const cJSON *o, const char *key)
{
    const cJSON *f = ewcl_test_json_field(o, key);
    ck_assert_msg(cJSON_IsString(f), "'%s' is not a string", key);
    return f->valuestring;
}

/* R[i][j] of a device's 2×2 accuracy matrix. */
static double accuracy_at(const cJSON *device, int i, int j)
{
    const cJSON *row = cJSON_GetArrayItem(ewcl_test_json_field(device, "accuracy"), i);
    const cJSON *v = cJSON_GetArrayItem(row, j);
    ck_assert_msg(cJSON_IsNumber(v), "accuracy[%d][%d] missing", i, j);
    return v->valuedouble;
}

/* A device that ran: its figures are sane and its matrix is a 2×2 of accuracies. */
static void expect_ran(const cJSON *device)
{
    ck_assert_str_eq(string(device, "status"), "ok");
    ck_assert_int_eq((int)number(device, "exit_code"), 0);
    ck_assert_msg(number(device, "train_seconds") > 0.0, "no training time");
    ck_assert_msg(number(device, "images_per_second") > 0.0, "no speed");
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            const double a = accuracy_at(device, i, j);
            ck_assert_msg(a >= 0.0 && a <= 1.0, "accuracy[%d][%d] = %g", i, j, a);
        }
    /* The average after the last task and BWT follow from the matrix (T = 2). */
    const double average = 0.5 * (accuracy_at(device, 1, 0) + accuracy_at(device, 1, 1));
    ck_assert_double_eq_tol(number(device, "average_accuracy"), average, 1e-12);
    ck_assert_double_eq_tol(number(device, "bwt"),
                            accuracy_at(device, 1, 0) - accuracy_at(device, 0, 0), 1e-12);
}

/* The second device's reported |dR| is the largest difference over the trained entries
 * (i ≥ j) of the two matrices, recomputed here from the JSON. */
static void expect_accuracy_delta(const cJSON *first, const cJSON *second)
{
    double largest = 0.0;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j <= i; j++)
            largest = fmax(largest, fabs(accuracy_at(first, i, j) - accuracy_at(second, i, j)));
    ck_assert_double_eq_tol(number(second, "accuracy_delta"), largest, 1e-12);
}

static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

START_TEST(two_pocl_drivers_agree)
{
    const char *out = ewcl_test_make_temp_dir("compare-pocl");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", out);
    ewcl_test_output o = run_compare(
        EWCL_ARGS("compare", "--devices", "runtime:pocl,name:pthread;runtime:pocl,name:basic",
                  "--log-dir", dir, TINY_RUN),
        EWCL_ARGS("POCL_DEVICES", "pthread basic"));
    ewcl_test_expect_code(&o, 0);
    /* The table: a header, a row per device, the tolerance stated. */
    ck_assert_msg(strstr(o.out, "agreement") && strstr(o.out, "reference") &&
                      strstr(o.out, " ok\n") && strstr(o.out, "within 0.05"),
                  "table:\n%s", o.out);
    cJSON *root = ewcl_test_read_json(dir, "compare.json");
    const cJSON *devices = ewcl_test_json_field(root, "devices");
    ck_assert_int_eq(cJSON_GetArraySize(devices), 2);
    const cJSON *first = cJSON_GetArrayItem(devices, 0), *second = cJSON_GetArrayItem(devices, 1);
    expect_ran(first);
    expect_ran(second);
    ck_assert_str_eq(string(first, "runtime"), "pocl");
    ck_assert_msg(strstr(string(first, "name"), "pthread") != NULL, "%s", string(first, "name"));
    ck_assert_msg(strstr(string(second, "name"), "basic") != NULL, "%s", string(second, "name"));
    ck_assert_str_eq(string(first, "agreement"), "reference");
    ck_assert_str_eq(string(second, "agreement"), "ok");
    ck_assert_msg(cJSON_IsNull(ewcl_test_json_field(first, "parameter_delta")),
                  "the reference has a delta");
    const double dtheta = number(second, "parameter_delta");
    const double tolerance = number(ewcl_test_json_field(root, "tolerance"), "parameters");
    ck_assert_msg(dtheta >= 0.0 && dtheta <= tolerance, "parameter delta %g", dtheta);
    expect_accuracy_delta(first, second);
    ck_assert_int_eq((int)number(root, "failed"), 0);
    ck_assert_int_eq((int)number(root, "mismatched"), 0);
    cJSON_Delete(root);
    /* config.json: the settings both devices ran with. */
    cJSON *config = ewcl_test_read_json(dir, "config.json");
    cJSON_Delete(config);
    /* compare.svg: two panels (time, accuracy), a bar per device in each, device names. */
    char path[4300];
    snprintf(path, sizeof path, "%s/compare.svg", dir);
    char *svg = ewcl_test_read_file(path, NULL);
    ck_assert_msg(svg != NULL && strstr(svg, "<svg") && strstr(svg, "</svg>"), "no SVG");
    ck_assert_uint_eq(count_of(svg, "<rect"), 1 + 2 * 2); /* the background, 4 bars */
    ck_assert_uint_eq(count_of(svg, "pthread"), 2);
    free(svg);
    ewcl_test_output_free(&o);
    ewcl_test_remove_tree(dir);
}
END_TEST

START_TEST(a_failing_device_gets_its_row_and_exit_1)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", ewcl_test_make_temp_dir("compare-fail"));
    ewcl_test_output o = run_compare(
        EWCL_ARGS("compare", "--devices", "name:no-such-device;runtime:pocl", "--log-dir", dir,
                  TINY_RUN),
        NULL);
    ewcl_test_expect_code(&o, 1);
    ck_assert_msg(strstr(o.err, "ewcl: compare: name:no-such-device") != NULL, "stderr: %s",
                  o.err);
    ck_assert_msg(strstr(o.out, "failed: ") != NULL, "table:\n%s", o.out);
    cJSON *root = ewcl_test_read_json(dir, "compare.json");
    const cJSON *devices = ewcl_test_json_field(root, "devices");
    ck_assert_int_eq(cJSON_GetArraySize(devices), 2);
    const cJSON *failed = cJSON_GetArrayItem(devices, 0), *ran = cJSON_GetArrayItem(devices, 1);
    ck_assert_str_eq(string(failed, "status"), "failed");
    ck_assert_int_eq((int)number(failed, "exit_code"), 3); /* what `ewcl train` would exit */
    ck_assert_msg(strstr(string(failed, "error"), "no-such-device") != NULL, "%s",
                  string(failed, "error"));
    /* The device after the failure still ran, and is the reference of the comparison. */
    expect_ran(ran);
    ck_assert_str_eq(string(ran, "agreement"), "reference");
    ck_assert_int_eq((int)number(root, "failed"), 1);
    cJSON_Delete(root);
    ewcl_test_output_free(&o);
    ewcl_test_remove_tree(dir);
}
END_TEST

/* A usage error is one "ewcl: compare: " line naming `word`, exit 2, nothing run. */
static void expect_usage_error(const char *const args[], const char *word)
{
    ewcl_test_output o = run_compare(args, NULL);
    ewcl_test_expect_code(&o, 2);
    ck_assert_msg(strncmp(o.err, "ewcl: compare: ", 15) == 0 && strstr(o.err, word) != NULL &&
                      strchr(o.err, '\n') == o.err + strlen(o.err) - 1,
                  "stderr: %s", o.err);
    ck_assert_str_eq(o.out, "");
    ewcl_test_output_free(&o);
}

START_TEST(bad_flags_are_usage_errors)
{
    expect_usage_error(EWCL_ARGS("compare", "--device", "0"), "--devices");
    expect_usage_error(EWCL_ARGS("compare", "--devices", "0;;1"), "--devices");
    expect_usage_error(EWCL_ARGS("compare", "--devices", ""), "--devices");
    expect_usage_error(EWCL_ARGS("compare", "--tolerance-accuracy", "-1"),
                       "--tolerance-accuracy");
    expect_usage_error(EWCL_ARGS("compare", "--tolerance-parameters", "x"),
                       "--tolerance-parameters");
    /* train's flags, with train's checks, naming the command the user ran. */
    expect_usage_error(EWCL_ARGS("compare", "--lr", "fast"), "--lr");
    expect_usage_error(EWCL_ARGS("compare", "--no-such-flag"), "--no-such-flag");
    expect_usage_error(EWCL_ARGS("compare", "--resume", "runs/x"), "--resume");
}
END_TEST

/* Oclgrind simulates every work-item and checks every memory access: it must agree with
 * PoCL, and its log must stay empty. (Its race and uninitialised-read checks, which make it
 * several times slower, run in the kernel suites' *_oclgrind tests.) */
START_TEST(oclgrind_agrees_with_pocl)
{
    const char *vendors = getenv("EWCL_TEST_OCLGRIND_VENDORS");
    char dir[4096], log[4200];
    snprintf(dir, sizeof dir, "%s", ewcl_test_make_temp_dir("compare-oclgrind"));
    snprintf(log, sizeof log, "%s/oclgrind.log", dir);
    ewcl_test_output o = run_compare(
        EWCL_ARGS("compare", "--devices", "runtime:pocl;runtime:oclgrind", "--log-dir", dir,
                  SMALL_RUN(tiny_data_dir, "8", "50")),
        EWCL_ARGS("OCL_ICD_VENDORS", vendors, "OCLGRIND_LOG", log));
    ewcl_test_expect_code(&o, 0);
    cJSON *root = ewcl_test_read_json(dir, "compare.json");
    const cJSON *devices = ewcl_test_json_field(root, "devices");
    ck_assert_int_eq(cJSON_GetArraySize(devices), 2);
    const cJSON *pocl = cJSON_GetArrayItem(devices, 0), *grind = cJSON_GetArrayItem(devices, 1);
    expect_ran(pocl);
    expect_ran(grind);
    ck_assert_str_eq(string(grind, "runtime"), "oclgrind");
    ck_assert_str_eq(string(grind, "agreement"), "ok");
    expect_accuracy_delta(pocl, grind);
    cJSON_Delete(root);
    size_t size = 0;
    char *text = ewcl_test_read_file(log, &size);
    ck_assert_msg(text == NULL || size == 0, "Oclgrind reported:\n%s", text);
    free(text);
    ewcl_test_output_free(&o);
    ewcl_test_remove_tree(dir);
}
END_TEST

int main(void)
{
    ewcl_test_require_device();
    const ewcl_test_data_shape small = {600, 200, SIDE, CLASSES, DATA_SEED, false};
    const ewcl_test_data_shape tiny = {100, 50, SIDE, CLASSES, DATA_SEED, false};
    if (ewcl_test_write_data(data_dir, "compare-data", small) != 0 ||
        ewcl_test_write_data(tiny_data_dir, "compare-tiny-data", tiny) != 0)
        return 1;
    Suite *suite = suite_create("compare");
    TCase *tc = tcase_create("compare");
    /* Two or three whole training runs, one under the simulator. */
    tcase_set_timeout(tc, 4 * EWCL_TEST_CL_TIMEOUT);
    tcase_add_test(tc, two_pocl_drivers_agree);
    tcase_add_test(tc, a_failing_device_gets_its_row_and_exit_1);
    tcase_add_test(tc, bad_flags_are_usage_errors);
    /* Only where CMake found Oclgrind's ICD library to register. */
    if (getenv("EWCL_TEST_OCLGRIND_VENDORS") != NULL)
        tcase_add_test(tc, oclgrind_agrees_with_pocl);
    suite_add_tcase(suite, tc);
    const int code = ewcl_test_run(suite);
    ewcl_test_remove_tree(data_dir);
    ewcl_test_remove_tree(tiny_data_dir);
    return code;
}
