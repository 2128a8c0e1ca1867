/* `ewcl bench`: every measurement runs on a tiny size and prints well-formed JSON with the
 * fields its documentation names. Times are never asserted (the machines are shared); what
 * is checked are counts that follow from the work done, e.g. one loss kernel per batch. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ewcl/ewcl.h"
#include "harness.h"
#include "harness_json.h"
#include "harness_data.h"
#include "harness_program.h"

enum { TRAIN_IMAGES = 500, TEST_IMAGES = 100, SIDE = 12, CLASSES = 10, DATA_SEED = 5 };

static char data_dir[4096];

/* `ewcl bench args...` must exit 0 with one JSON document on stdout. */
static cJSON *bench_json(const char *const args[])
{
    ewcl_test_output o = ewcl_test_run_program(EWCL_PROGRAM_PATH, args, NULL);
    ewcl_test_expect_code(&o, 0);
    cJSON *root = cJSON_Parse(o.out);
    ck_assert_msg(root != NULL, "not JSON:\n%s", o.out);
    ewcl_test_output_free(&o);
    return root;
}

/* A positive number under `key`, and for a summary object its median inside [min, max]. */
static double positive(const cJSON *o, const char *key)
{
    const cJSON *f = ewcl_test_json_field(o, key);
    ck_assert_msg(cJSON_IsNumber(f) && f->valuedouble > 0.0, "'%s' is not positive", key);
    return f->valuedouble;
}

static void expect_spread(const cJSON *o, const char *median, const char *min, const char *max)
{
    const double m = positive(o, median), lo = positive(o, min), hi = positive(o, max);
    ck_assert_msg(lo <= m && m <= hi, "%s %g outside [%g, %g]", median, m, lo, hi);
}

START_TEST(gemm_json_has_every_shape_and_engine)
{
    cJSON *root = bench_json(EWCL_ARGS("bench", "gemm", "--shapes", "model", "--engine",
                                       "native", "--seconds", "0.01", "--json"));
    positive(root, "estimated_peak_gflops");
    const cJSON *rows = ewcl_test_json_field(root, "results");
    /* The default network's 9 products of one step, once per engine asked. */
    ck_assert_int_eq(cJSON_GetArraySize(rows), 9);
    const cJSON *row = NULL;
    cJSON_ArrayForEach(row, rows)
    {
        ck_assert_str_eq(ewcl_test_json_field(row, "engine")->valuestring, "native");
        expect_spread(row, "gflops", "gflops_min", "gflops_max");
        positive(row, "peak_fraction");
    }
    cJSON_Delete(root);
}
END_TEST

START_TEST(step_json_per_batch_size)
{
    cJSON *root = bench_json(
        EWCL_ARGS("bench", "step", "--batch", "8", "--steps", "2", "--json"));
    ck_assert_str_eq(ewcl_test_json_field(root, "bench")->valuestring, "step");
    const cJSON *runs = ewcl_test_json_field(root, "batches");
    ck_assert_int_eq(cJSON_GetArraySize(runs), 1);
    const cJSON *run = cJSON_GetArrayItem(runs, 0);
    ck_assert_int_eq((int)positive(run, "batch"), 8);
    expect_spread(ewcl_test_json_field(run, "step"), "median_ms", "min_ms", "max_ms");
    expect_spread(ewcl_test_json_field(run, "forward"), "median_ms", "min_ms", "max_ms");
    positive(run, "images_per_second");
    cJSON_Delete(root);
}
END_TEST

START_TEST(fisher_json_per_label_mode)
{
    cJSON *root = bench_json(EWCL_ARGS("bench", "fisher", "--samples", "16", "--batch", "16",
                                       "--json"));
    ck_assert_str_eq(ewcl_test_json_field(root, "bench")->valuestring, "fisher");
    const cJSON *modes = ewcl_test_json_field(root, "labels");
    /* true, sample, pred, all: every label mode when none is named. */
    ck_assert_int_eq(cJSON_GetArraySize(modes), 4);
    const cJSON *mode = NULL;
    cJSON_ArrayForEach(mode, modes)
    {
        ck_assert_msg(cJSON_IsString(ewcl_test_json_field(mode, "labels")), "no label mode name");
        expect_spread(mode, "median_ms", "min_ms", "max_ms");
    }
    cJSON_Delete(root);
}
END_TEST

START_TEST(update_json)
{
    cJSON *root = bench_json(EWCL_ARGS("bench", "update", "--json"));
    ck_assert_str_eq(ewcl_test_json_field(root, "bench")->valuestring, "update");
    expect_spread(root, "median", "min", "max");
    positive(root, "gb_per_s");
    cJSON_Delete(root);
}
END_TEST

/* Looks up a kernel's row in `bench epoch --json`. */
static const cJSON *kernel_row(const cJSON *root, const char *name)
{
    const cJSON *row = NULL;
    cJSON_ArrayForEach(row, ewcl_test_json_field(root, "kernels"))
        if (strcmp(ewcl_test_json_field(row, "name")->valuestring, name) == 0)
            return row;
    ck_abort_msg("no kernel %s in %s", name,
                 cJSON_PrintUnformatted(ewcl_test_json_field(root, "kernels")));
    return NULL;
}

START_TEST(epoch_json_counts_the_kernels_of_an_epoch)
{
    cJSON *root = bench_json(EWCL_ARGS("bench", "epoch", "--data-dir", data_dir, "--epochs",
                                       "2", "--hidden-size", "16", "--batch-size", "100",
                                       "--json"));
    ck_assert_str_eq(ewcl_test_json_field(root, "bench")->valuestring, "epoch");
    ck_assert_int_eq((int)positive(root, "images"), TRAIN_IMAGES);
    expect_spread(ewcl_test_json_field(root, "epoch"), "median_s", "min_s", "max_s");
    /* Each of the 5 batches of an epoch computes the loss once and gathers its batch once. */
    const int batches = (TRAIN_IMAGES + 99) / 100;
    ck_assert_double_eq(positive(kernel_row(root, "ewcl_softmax_nll"), "commands_per_epoch"),
                        batches);
    ck_assert_double_eq(positive(kernel_row(root, "ewcl_gather_batch"), "commands_per_epoch"),
                        batches);
    /* The families cover every kernel: their commands add up to the kernels'. */
    double family_commands = 0.0, kernel_commands = 0.0;
    const cJSON *row = NULL;
    cJSON_ArrayForEach(row, ewcl_test_json_field(root, "families"))
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(row, "commands_per_epoch");
        family_commands += cJSON_IsNumber(n) ? n->valuedouble : 0.0;
    }
    cJSON_ArrayForEach(row, ewcl_test_json_field(root, "kernels"))
        kernel_commands += positive(row, "commands_per_epoch");
    ck_assert_double_eq_tol(family_commands, kernel_commands, 1e-9);
    cJSON_Delete(root);
}
END_TEST

int main(void)
{
    ewcl_test_require_device();
    if (ewcl_test_write_data(data_dir, "bench-data",
                             (ewcl_test_data_shape){TRAIN_IMAGES, TEST_IMAGES, SIDE, CLASSES,
                                                    DATA_SEED, false}) != 0)
        return 1;
    Suite *suite = suite_create("bench");
    TCase *tc = tcase_create("bench");
    tcase_set_timeout(tc, EWCL_TEST_CL_TIMEOUT);
    tcase_add_test(tc, gemm_json_has_every_shape_and_engine);
    tcase_add_test(tc, step_json_per_batch_size);
    tcase_add_test(tc, fisher_json_per_label_mode);
    tcase_add_test(tc, update_json);
    tcase_add_test(tc, epoch_json_counts_the_kernels_of_an_epoch);
    suite_add_tcase(suite, tc);
    const int code = ewcl_test_run(suite);
    ewcl_test_remove_tree(data_dir);
    return code;
}
