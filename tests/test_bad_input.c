/* Bad input through the `ewcl` program, as a user meets it: every numeric flag with values
 * that are not numbers, negative, zero, NaN, infinite or huge; unknown flags, stray
 * arguments and contradictory combinations (exit 2, one "ewcl: " line naming the flag);
 * defective data files (exit 1, one line naming the file); a kernel that does not compile
 * (the compiler's own message); and a run too large for the device (refused before
 * allocating, "needs N MiB, device has M MiB"). The library-level checks of the same
 * defects live in test_idx.c and test_train_memory.c. */
#define _POSIX_C_SOURCE 200809L
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ewcl/data.h"
#include "ewcl/nn.h"
#include "harness.h"
#include "harness_data.h"
#include "harness_program.h"

/* A small valid data set, written once by main before Check forks. */
static char data_dir[4096];

static ewcl_test_output run(const char *const args[], const char *const env[])
{
    return ewcl_test_run_program(EWCL_PROGRAM_PATH, args, env);
}

/* `args` must be a usage error: exit 2, one line naming `word`, nothing on stdout. */
static void expect_usage_error(const char *const args[], const char *word)
{
    ewcl_test_output r = run(args, NULL);
    char shown[512] = "";
    for (size_t i = 0; args[i] != NULL; i++)
        snprintf(shown + strlen(shown), sizeof shown - strlen(shown), " '%s'", args[i]);
    ck_assert_msg(r.code == 2, "ewcl%s: exit %d, expected 2; stderr: %s", shown, r.code, r.err);
    ewcl_test_expect_one_line_error(&r, word);
    ewcl_test_output_free(&r);
}

/* ---- Numeric flags ---------------------------------------------------------------------- */

/* Refused by every numeric flag: no number at all, trailing junk, a sign where none is
 * allowed, NaN, infinities, values that overflow a long or a double, blanks. */
static const char *const never_numbers[] = {
    "abc", "", " ", "3x", "0x", "1,5", "nan", "NaN", "inf", "-inf",
    "-1", "1e999", "99999999999999999999", "-99999999999999999999",
};

typedef struct numeric_flag {
    const char *flag;
    const char *also_bad[3]; /* zero where zero is meaningless, the first value too large */
} numeric_flag;

static void check_numeric_flags(const char *command, const char *subcommand,
                                const numeric_flag *flags, size_t count)
{
    for (size_t f = 0; f < count; f++) {
        const char *values[sizeof never_numbers / sizeof never_numbers[0] + 3];
        size_t n = 0;
        for (size_t i = 0; i < sizeof never_numbers / sizeof never_numbers[0]; i++)
            values[n++] = never_numbers[i];
        for (size_t i = 0; i < 3 && flags[f].also_bad[i] != NULL; i++)
            values[n++] = flags[f].also_bad[i];
        for (size_t i = 0; i < n; i++) {
            if (subcommand != NULL)
                expect_usage_error(EWCL_ARGS(command, subcommand, flags[f].flag, values[i]),
                                   flags[f].flag);
            else
                expect_usage_error(
                    EWCL_ARGS(command, "--data-dir", data_dir, flags[f].flag, values[i]),
                    flags[f].flag);
        }
    }
}

START_TEST(train_numeric_flags_refuse_bad_values)
{
    static const numeric_flag flags[] = {
        {"--hidden-size", {"0", "65537"}},
        {"--hidden-layer-num", {"101"}},
        {"--hidden-dropout-prob", {"1", "1.5"}},
        {"--input-dropout-prob", {"1", "-0.5"}},
        {"--task-number", {"0", "4097"}},
        {"--epochs-per-task", {"0", "100001"}},
        {"--lamda", {"1e13"}},
        {"--lambda", {"1e13"}},
        {"--lr", {"0", "1e5"}},
        {"--weight-decay", {"1e5"}},
        {"--batch-size", {"0", "65537"}},
        {"--test-size", {"0", "1000000001"}},
        {"--fisher-estimation-sample-size", {"0", "1000000001"}},
        {"--random-seed", {"1.5"}},
        {"--eval-log-interval", {"0", "1000000001"}},
        {"--loss-log-interval", {"0", "1000000001"}},
        {"--gamma", {"1.5"}},
        {"--pad", {"65"}},
        {"--checkpoint-every", {"0", "1000000001"}},
        {"--checkpoint-keep", {"0", "1000001"}},
    };
    check_numeric_flags("train", NULL, flags, sizeof flags / sizeof flags[0]);
}
END_TEST

START_TEST(bench_numeric_flags_refuse_bad_values)
{
    static const numeric_flag startup[] = {{"--repeat", {"0"}}};
    static const numeric_flag step[] = {{"--batch", {"0", "4097"}}, {"--steps", {"0"}}};
    static const numeric_flag fisher[] = {{"--samples", {"0", "60001"}},
                                          {"--batch", {"0", "4097"}}};
    static const numeric_flag gemm[] = {{"--seconds", {"0", "61"}}};
    check_numeric_flags("bench", "startup", startup, 1);
    check_numeric_flags("bench", "step", step, 2);
    check_numeric_flags("bench", "fisher", fisher, 2);
    check_numeric_flags("bench", "gemm", gemm, 1);
}
END_TEST

/* ---- Words, unknown flags, stray arguments, contradictions ------------------------------- */

START_TEST(unknown_words_are_refused)
{
    static const struct {
        const char *flag, *value;
    } train[] = {
        {"--ewc-mode", "sometimes"}, {"--ewc-mode", ""},      {"--fisher-labels", "maybe"},
        {"--penalty-step", "up"},    {"--gemm", "cublas"},
    };
    for (size_t i = 0; i < sizeof train / sizeof train[0]; i++)
        expect_usage_error(EWCL_ARGS("train", "--data-dir", data_dir, train[i].flag,
                                     train[i].value),
                           train[i].flag);
    expect_usage_error(EWCL_ARGS("bench", "gemm", "--engine", "fastest"), "fastest");
    expect_usage_error(EWCL_ARGS("bench", "gemm", "--shapes", "square"), "--shapes");
    expect_usage_error(EWCL_ARGS("bench", "fisher", "--labels", "some"), "some");
    expect_usage_error(EWCL_ARGS("devices", "--gemm", "blas"), "--gemm");
}
END_TEST

START_TEST(unknown_flags_and_stray_arguments)
{
    expect_usage_error(EWCL_ARGS("train", "--bogus"), "'--bogus'");
    expect_usage_error(EWCL_ARGS("train", "-x"), "'-x'");
    expect_usage_error(EWCL_ARGS("train", "--lr=0.1", "stray"), "'stray'");
    expect_usage_error(EWCL_ARGS("train", "--consolidate=yes"), "--consolidate");
    expect_usage_error(EWCL_ARGS("train", "--lr"), "--lr");
    expect_usage_error(EWCL_ARGS("devices", "--bogus"), "'--bogus'");
    expect_usage_error(EWCL_ARGS("devices", "extra"), "'extra'");
    expect_usage_error(EWCL_ARGS("warmup", "--bogus"), "'--bogus'");
    expect_usage_error(EWCL_ARGS("bench", "step", "--bogus"), "'--bogus'");
    expect_usage_error(EWCL_ARGS("bench", "gemm", "--seconds"), "--seconds");
    expect_usage_error(EWCL_ARGS("bench", "nothing"), "'nothing'");
}
END_TEST

/* Settings that cannot both hold: refused, whatever their order, rather than letting the
 * last one silently win. */
START_TEST(contradictory_flags_are_refused)
{
    expect_usage_error(EWCL_ARGS("devices", "--no-cache", "--cache-dir", "/tmp/c"),
                       "--no-cache");
    expect_usage_error(EWCL_ARGS("warmup", "--cache-dir", "/tmp/c", "--no-cache"),
                       "--cache-dir");
    expect_usage_error(EWCL_ARGS("train", "--data-dir", data_dir, "--no-cache", "--cache-dir",
                                 "/tmp/c"),
                       "--no-cache");
    expect_usage_error(EWCL_ARGS("train", "--data-dir", data_dir, "--no-gpus", "--device", "cpu"),
                       "--no-gpus");
    expect_usage_error(EWCL_ARGS("train", "--data-dir", data_dir, "--device", "gpu", "--no-gpus"),
                       "--no-gpus");
    expect_usage_error(EWCL_ARGS("train", "--data-dir", data_dir, "--pad", "2", "--no-pad"),
                       "--no-pad");
    expect_usage_error(EWCL_ARGS("train", "--data-dir", data_dir, "--no-log", "--log-dir", "x"),
                       "--no-log");
    expect_usage_error(EWCL_ARGS("train", "--data-dir", data_dir, "--consolidate-last"),
                       "--consolidate-last");
}
END_TEST

/* ---- Data files -------------------------------------------------------------------------- */

/* A copy of the valid set in a fresh directory, with `name` replaced by `size` bytes. */
static const char *set_with(const char *name, const void *bytes, size_t size)
{
    static char copy[4096];
    snprintf(copy, sizeof copy, "%s", ewcl_test_make_temp_dir("bad-data"));
    static const char *const names[] = {EWCL_IDX_TRAIN_IMAGES, EWCL_IDX_TRAIN_LABELS,
                                        EWCL_IDX_TEST_IMAGES, EWCL_IDX_TEST_LABELS};
    for (size_t i = 0; i < 4; i++) {
        char from[4200], to[4200];
        snprintf(from, sizeof from, "%s/%s", data_dir, names[i]);
        snprintf(to, sizeof to, "%s/%s", copy, names[i]);
        size_t n = 0;
        char *file = ewcl_test_read_file(from, &n);
        ck_assert_msg(file != NULL, "cannot read %s", from);
        if (strcmp(names[i], name) == 0)
            ck_assert_int_eq(ewcl_test_write_file(to, bytes, size), 0);
        else
            ck_assert_int_eq(ewcl_test_write_file(to, file, n), 0);
        free(file);
    }
    return copy;
}

/* `ewcl train` on the set with `name` replaced: exit 1, one line naming that file and
 * containing `needle`, before any device work. */
static void expect_data_refused(const char *name, const void *bytes, size_t size,
                                const char *needle)
{
    const char *dir = set_with(name, bytes, size);
    ewcl_test_output r = run(EWCL_ARGS("train", "--data-dir", dir), NULL);
    ewcl_test_expect_code(&r, 1);
    ewcl_test_expect_one_line_error(&r, name);
    ck_assert_msg(strstr(r.err, needle) != NULL, "no '%s' in: %s", needle, r.err);
    ewcl_test_output_free(&r);
    ewcl_test_remove_tree(dir);
}

static void put_be32(unsigned char *at, unsigned long v)
{
    for (int i = 0; i < 4; i++)
        at[i] = (unsigned char)(v >> (24 - 8 * i));
}

START_TEST(defective_data_files_are_one_line_each)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", data_dir, EWCL_IDX_TRAIN_IMAGES);
    size_t size = 0;
    unsigned char *images = (unsigned char *)ewcl_test_read_file(path, &size);
    ck_assert_ptr_nonnull(images);
    expect_data_refused(EWCL_IDX_TRAIN_IMAGES, images, size - 1, "truncated");
    expect_data_refused(EWCL_IDX_TRAIN_IMAGES, images, 3, "truncated");
    expect_data_refused(EWCL_IDX_TRAIN_IMAGES, "", 0, "truncated");
    images[2] = 0x0d; /* float elements */
    expect_data_refused(EWCL_IDX_TRAIN_IMAGES, images, size, "element type 0x0d");
    images[2] = 0x08;
    images[0] = 0x1f; /* half a gzip magic */
    expect_data_refused(EWCL_IDX_TRAIN_IMAGES, images, size, "not an IDX file");
    images[0] = 0;
    put_be32(images + 4, 0x80000000ul); /* 2^31 images */
    expect_data_refused(EWCL_IDX_TRAIN_IMAGES, images, size, "limit");
    put_be32(images + 4, 1);
    put_be32(images + 8, 0x10000ul); /* rows × columns past 2^31 */
    put_be32(images + 12, 0x10000ul);
    expect_data_refused(EWCL_IDX_TRAIN_IMAGES, images, size, "limit");
    free(images);

    snprintf(path, sizeof path, "%s/%s", data_dir, EWCL_IDX_TEST_LABELS);
    unsigned char *labels = (unsigned char *)ewcl_test_read_file(path, &size);
    ck_assert_ptr_nonnull(labels);
    labels[8 + 5] = 10; /* ten classes: 0 … 9 */
    expect_data_refused(EWCL_IDX_TEST_LABELS, labels, size, "label 10 of item 5");
    expect_data_refused(EWCL_IDX_TEST_LABELS, labels, size - 1, "truncated");
    put_be32(labels + 4, 7);
    expect_data_refused(EWCL_IDX_TEST_LABELS, labels, 8 + 7, "has 7 labels but");
    free(labels);

    /* A gzip stream cut short, and one with garbage in it. */
    static const unsigned char cut_gzip[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00,
                                             0x00, 0x00, 0x03, 0x63, 0x60};
    expect_data_refused(EWCL_IDX_TEST_LABELS, cut_gzip, sizeof cut_gzip, "gzip");
    static const unsigned char bad_gzip[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
                                             0x00, 0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    expect_data_refused(EWCL_IDX_TEST_LABELS, bad_gzip, sizeof bad_gzip, "gzip");
}
END_TEST

/* ---- Kernels and device memory ------------------------------------------------------------ */

/* $EWCL_SOURCE_DIR/cl copied into a fresh directory, with reduce.cl replaced by code that
 * does not compile; the directory's path. */
static const char *broken_kernel_dir(void)
{
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", ewcl_test_make_temp_dir("bad-kernels"));
    ewcl_test_copy_kernel_sources(dir);
    static const char broken[] = "__kernel void ewcl_reduce_partial(__global float *x)\n"
                                 "{\n    x[0] = undeclared_name;\n}\n";
    char reduce[4200];
    snprintf(reduce, sizeof reduce, "%s/reduce.cl", dir);
    ck_assert_int_eq(ewcl_test_write_file(reduce, broken, sizeof broken - 1), 0);
    return dir;
}

/* EWCL_KERNEL_DIR with a kernel that does not compile: the run stops with the compiler's
 * own words, pointing into the file and line (the sources carry #line). */
START_TEST(a_kernel_that_does_not_compile_shows_the_compiler_message)
{
    const char *dir = broken_kernel_dir();
    ewcl_test_output r = run(EWCL_ARGS("train", "--data-dir", data_dir, "--device",
                                       "runtime:pocl", "--task-number", "1", "--test-size", "50",
                                       "--quiet"),
                             EWCL_ARGS("EWCL_KERNEL_DIR", dir, "EWCL_NO_CACHE", "1"));
    ewcl_test_expect_code(&r, 1);
    const char *line = strstr(r.err, "ewcl: ");
    ck_assert_msg(line != NULL, "no ewcl: line: %s", r.err);
    ck_assert_msg(strstr(line, "reduce") && strstr(line, "undeclared_name") &&
                      strstr(line, "reduce.cl:3"),
                  "the message lacks the compiler's words: %s", line);
    ewcl_test_output_free(&r);
    ewcl_test_remove_tree(dir);
}
END_TEST

/* A network far beyond any device's memory is refused before anything is allocated, in
 * one line; N is at least the parameters and gradients alone (2 × 4 bytes × 100 blocks of
 * 65536² weights = 3,276,800 MiB), and M what the device reports. */
START_TEST(a_run_too_large_for_the_device_is_refused)
{
    ewcl_test_output r = run(EWCL_ARGS("train", "--data-dir", data_dir, "--device",
                                       "runtime:pocl", "--test-size", "50", "--hidden-size",
                                       "65536", "--hidden-layer-num", "100"),
                             NULL);
    ewcl_test_expect_code(&r, 1);
    ewcl_test_expect_one_line_error(&r, "MiB");
    regex_t pattern;
    ck_assert_int_eq(regcomp(&pattern, "needs ([0-9]+) MiB, device has ([0-9]+) MiB",
                             REG_EXTENDED),
                     0);
    regmatch_t m[3];
    ck_assert_msg(regexec(&pattern, r.err, 3, m, 0) == 0, "%s", r.err);
    const double needs = strtod(r.err + m[1].rm_so, NULL), has = strtod(r.err + m[2].rm_so, NULL);
    regfree(&pattern);
    ck_assert_msg(needs >= 3276800.0 && has > 0.0 && has < needs, "%s", r.err);
    ck_assert_msg(strstr(r.err, "clCreateBuffer") == NULL, "allocated first: %s", r.err);
    ewcl_test_output_free(&r);
}
END_TEST

/* Past 2^32 parameters the kernels' 32-bit indices would wrap. A big GPU has the memory
 * for such a network (1024 → 65536 → 65536 → 10: 4,362,862,602 parameters, 17 GB), so the
 * MLP refuses it itself, before allocating. */
START_TEST(a_network_past_32_bit_indices_is_refused)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    ewcl_mlp_config c;
    ewcl_mlp_config_default(&c);
    c.hidden_size = 65536;
    c.hidden_layer_num = 1;
    ewcl_mlp *mlp = NULL;
    ck_assert_int_eq(ewcl_mlp_create(rt, &c, &mlp), EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(mlp);
    const char *message = ewcl_runtime_error(rt)->message;
    ck_assert_msg(strstr(message, "4362862602 parameters") != NULL, "%s", message);
    ewcl_runtime_destroy(rt);
}
END_TEST

int main(void)
{
    ewcl_test_require_device();
    if (ewcl_test_write_data(data_dir, "bad-input-data",
                             (ewcl_test_data_shape){200, 50, 28, 10, 7, false}) != 0)
        return 1;
    Suite *s = suite_create("bad_input");
    TCase *tc = tcase_create("bad_input");
    tcase_set_timeout(tc, EWCL_TEST_CL_TIMEOUT);
    tcase_add_test(tc, train_numeric_flags_refuse_bad_values);
    tcase_add_test(tc, bench_numeric_flags_refuse_bad_values);
    tcase_add_test(tc, unknown_words_are_refused);
    tcase_add_test(tc, unknown_flags_and_stray_arguments);
    tcase_add_test(tc, contradictory_flags_are_refused);
    tcase_add_test(tc, defective_data_files_are_one_line_each);
    tcase_add_test(tc, a_kernel_that_does_not_compile_shows_the_compiler_message);
    tcase_add_test(tc, a_run_too_large_for_the_device_is_refused);
    tcase_add_test(tc, a_network_past_32_bit_indices_is_refused);
    suite_add_tcase(s, tc);
    const int code = ewcl_test_run(s);
    ewcl_test_remove_tree(data_dir);
    return code;
}
