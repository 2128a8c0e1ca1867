/* The `ewcl` program as a user meets it: each test runs the built executable with an argv
 * and checks its exit code, stdout and stderr. Exit codes: 0 ok, 1 runtime error, 2 usage
 * error, 3 no usable device; errors are one "ewcl: " line on stderr. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "harness_program.h"

/* ---- Running the program ------------------------------------------------------------------ */

/* Runs `ewcl args...` with the name/value pairs of `env` (NULL for none) set, and waits. */
static ewcl_test_output run_ewcl(const char *const args[], const char *const env[])
{
    return ewcl_test_run_program(EWCL_PROGRAM_PATH, args, env);
}

/* ---- Text helpers ------------------------------------------------------------------------- */

/* The non-empty lines of a text, as pointers into one malloc'd copy. */
typedef struct lines {
    char *copy;
    char *line[256];
    size_t count;
} lines;

static lines split_lines(const char *text)
{
    lines l = {.copy = strdup(text), .count = 0};
    ck_assert_ptr_nonnull(l.copy);
    char *save = NULL;
    for (char *s = strtok_r(l.copy, "\n", &save); s != NULL && l.count < 256;
         s = strtok_r(NULL, "\n", &save))
        l.line[l.count++] = s;
    return l;
}

static size_t count_lines_starting(const lines *l, char first)
{
    size_t n = 0;
    for (size_t i = 0; i < l->count; i++)
        n += l->line[i][0] == first;
    return n;
}

static bool has_line_containing(const lines *l, const char *needle)
{
    for (size_t i = 0; i < l->count; i++)
        if (strstr(l->line[i], needle) != NULL)
            return true;
    return false;
}

/* The first line starting "ewcl: "; NULL when there is none. Messages of the OpenCL
 * compiler itself may come before it on stderr. */
static const char *ewcl_message(const lines *l)
{
    for (size_t i = 0; i < l->count; i++)
        if (strncmp(l->line[i], "ewcl: ", 6) == 0)
            return l->line[i];
    return NULL;
}

/* The number after `label` in the warmup summary line. */
static unsigned warmup_count(const char *out, const char *label)
{
    const char *at = strstr(out, label);
    ck_assert_msg(at != NULL, "no '%s' in: %s", label, out);
    unsigned n = 0;
    ck_assert_int_eq(sscanf(at + strlen(label), "%u", &n), 1);
    return n;
}

/* $EWCL_SOURCE_DIR/cl, where ctest says the kernel sources are. */
static void source_cl_dir(char *out, size_t size)
{
    const char *root = getenv("EWCL_SOURCE_DIR");
    ck_assert_msg(root != NULL && root[0] != '\0', "EWCL_SOURCE_DIR is not set (run via ctest)");
    snprintf(out, size, "%s/cl", root);
}

/* ---- ewcl devices ------------------------------------------------------------------------- */

START_TEST(test_devices_table)
{
    ewcl_test_output r = run_ewcl(EWCL_ARGS("devices"), NULL);
    ewcl_test_expect_code(&r, 0);
    lines l = split_lines(r.out);
    ck_assert_uint_ge(l.count, 2);
    /* The header names the columns; rows follow. */
    ck_assert_msg(strstr(l.line[0], "platform") && strstr(l.line[0], "device") &&
                      strstr(l.line[0], "runtime") && strstr(l.line[0], "usable"),
                  "header: %s", l.line[0]);
    ck_assert_msg(has_line_containing(&l, " pocl "), "no PoCL row:\n%s", r.out);
    ck_assert_uint_eq(count_lines_starting(&l, '*'), 1);
    free(l.copy);
    ewcl_test_output_free(&r);
}
END_TEST

START_TEST(test_devices_json)
{
    ewcl_test_output r = run_ewcl(EWCL_ARGS("devices", "--json"), NULL);
    ewcl_test_expect_code(&r, 0);
    cJSON *root = cJSON_Parse(r.out);
    ck_assert_msg(root != NULL, "not JSON: %s", r.out);
    const cJSON *devices = cJSON_GetObjectItemCaseSensitive(root, "devices");
    ck_assert(cJSON_IsArray(devices));
    ck_assert_int_gt(cJSON_GetArraySize(devices), 0);
    int position = 0, selected = 0;
    bool usable_pocl = false;
    const cJSON *d;
    cJSON_ArrayForEach(d, devices)
    {
        const cJSON *index = cJSON_GetObjectItemCaseSensitive(d, "index");
        const cJSON *runtime = cJSON_GetObjectItemCaseSensitive(d, "runtime");
        ck_assert(cJSON_IsNumber(index));
        ck_assert_int_eq(index->valueint, position);
        ck_assert(cJSON_IsString(runtime));
        usable_pocl |= strcmp(runtime->valuestring, "pocl") == 0 &&
                       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "usable"));
        selected += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "selected"));
        position++;
    }
    ck_assert_msg(usable_pocl, "no usable PoCL device: %s", r.out);
    ck_assert_int_eq(selected, 1);
    cJSON_Delete(root);
    ewcl_test_output_free(&r);
}
END_TEST

/* A bare word that is no keyword is a name substring; one that names no device is "no
 * usable device", and the table goes to stderr so that the user sees what there is. */
START_TEST(test_devices_selector_matches_nothing)
{
    ewcl_test_output r = run_ewcl(EWCL_ARGS("devices", "--device", "nosuch"), NULL);
    ewcl_test_expect_code(&r, 3);
    lines l = split_lines(r.err);
    ck_assert_uint_ge(l.count, 1);
    ck_assert_msg(strncmp(l.line[0], "ewcl: ", 6) == 0 && strstr(l.line[0], "nosuch"),
                  "first line: %s", l.line[0]);
    ck_assert_msg(has_line_containing(&l, " pocl "), "no device table on stderr:\n%s", r.err);
    ck_assert_str_eq(r.out, "");
    free(l.copy);
    ewcl_test_output_free(&r);
}
END_TEST

START_TEST(test_devices_selector_malformed)
{
    ewcl_test_output r = run_ewcl(EWCL_ARGS("devices", "--device", "type:tpu"), NULL);
    ewcl_test_expect_code(&r, 2);
    lines l = split_lines(r.err);
    ck_assert_uint_ge(l.count, 1);
    ck_assert_msg(strncmp(l.line[0], "ewcl: ", 6) == 0 && strstr(l.line[0], "tpu"),
                  "first line: %s", l.line[0]);
    free(l.copy);
    ewcl_test_output_free(&r);
}
END_TEST

/* Stars the row the selector picks: a pocl one. */
static void expect_pocl_starred(const ewcl_test_output *r)
{
    lines l = split_lines(r->out);
    ck_assert_uint_eq(count_lines_starting(&l, '*'), 1);
    for (size_t i = 0; i < l.count; i++)
        if (l.line[i][0] == '*')
            ck_assert_msg(strstr(l.line[i], " pocl ") != NULL, "starred: %s", l.line[i]);
    free(l.copy);
}

START_TEST(test_devices_selector_runtime)
{
    ewcl_test_output r = run_ewcl(EWCL_ARGS("devices", "--device", "runtime:pocl"), NULL);
    ewcl_test_expect_code(&r, 0);
    expect_pocl_starred(&r);
    ewcl_test_output_free(&r);
}
END_TEST

START_TEST(test_devices_selector_from_environment)
{
    ewcl_test_output r = run_ewcl(EWCL_ARGS("devices"), EWCL_ARGS("EWCL_DEVICE", "nosuch"));
    ewcl_test_expect_code(&r, 3);
    ck_assert_msg(strncmp(r.err, "ewcl: ", 6) == 0 && strstr(r.err, "nosuch"), "stderr: %s",
                  r.err);
    ewcl_test_output_free(&r);
}
END_TEST

START_TEST(test_devices_flag_beats_environment)
{
    ewcl_test_output r = run_ewcl(EWCL_ARGS("devices", "--device", "runtime:pocl"),
                                  EWCL_ARGS("EWCL_DEVICE", "nosuch"));
    ewcl_test_expect_code(&r, 0);
    expect_pocl_starred(&r);
    ewcl_test_output_free(&r);
}
END_TEST

/* ---- Usage errors and --version ----------------------------------------------------------- */

START_TEST(test_unknown_flag)
{
    ewcl_test_output r = run_ewcl(EWCL_ARGS("devices", "--bogus"), NULL);
    ewcl_test_expect_code(&r, 2);
    ewcl_test_expect_one_line_error(&r, "'--bogus'");
    ewcl_test_output_free(&r);
}
END_TEST

START_TEST(test_missing_flag_value)
{
    ewcl_test_output r = run_ewcl(EWCL_ARGS("warmup", "--device"), NULL);
    ewcl_test_expect_code(&r, 2);
    ewcl_test_expect_one_line_error(&r, "--device");
    ewcl_test_output_free(&r);
}
END_TEST

START_TEST(test_unknown_command)
{
    ewcl_test_output r = run_ewcl(EWCL_ARGS("frobnicate"), NULL);
    ewcl_test_expect_code(&r, 2);
    ewcl_test_expect_one_line_error(&r, "'frobnicate'");
    ewcl_test_output_free(&r);
}
END_TEST

/* No command: the usage text, on stderr since it is an error. */
START_TEST(test_no_command)
{
    ewcl_test_output r = run_ewcl((const char *const[]){NULL}, NULL);
    ewcl_test_expect_code(&r, 2);
    ck_assert_msg(strstr(r.err, "usage: ewcl") != NULL, "stderr: %s", r.err);
    ck_assert_str_eq(r.out, "");
    ewcl_test_output_free(&r);
}
END_TEST

START_TEST(test_version)
{
    ewcl_test_output r = run_ewcl(EWCL_ARGS("--version"), NULL);
    ewcl_test_expect_code(&r, 0);
    regex_t version;
    ck_assert_int_eq(regcomp(&version, "^ewcl [0-9]+\\.[0-9]+\\.[0-9]+\n$", REG_EXTENDED), 0);
    ck_assert_msg(regexec(&version, r.out, 0, NULL, 0) == 0, "stdout: %s", r.out);
    regfree(&version);
    ewcl_test_output_free(&r);
}
END_TEST

/* ---- ewcl warmup -------------------------------------------------------------------------- */

/* The first run builds every program and fills the cache; the second loads them all. */
START_TEST(test_warmup_fills_then_uses_cache)
{
    char cache[4096];
    snprintf(cache, sizeof cache, "%s", ewcl_test_make_temp_dir("cli-cache"));

    ewcl_test_output cold = run_ewcl(EWCL_ARGS("warmup", "--cache-dir", cache), NULL);
    ewcl_test_expect_code(&cold, 0);
    const unsigned built = warmup_count(cold.out, "built from source: ");
    ck_assert_uint_ge(built, 1);
    ck_assert_uint_eq(warmup_count(cold.out, "loaded from cache: "), 0);

    ewcl_test_output warm = run_ewcl(EWCL_ARGS("warmup", "--cache-dir", cache), NULL);
    ewcl_test_expect_code(&warm, 0);
    ck_assert_uint_eq(warmup_count(warm.out, "loaded from cache: "), built);
    ck_assert_uint_eq(warmup_count(warm.out, "built from source: "), 0);

    ewcl_test_output_free(&cold);
    ewcl_test_output_free(&warm);
    ewcl_test_remove_tree(cache);
}
END_TEST

/* The message names the file it could not read: a path in the kernel dir whose name is one
 * of the source tree's kernel files. */
START_TEST(test_warmup_missing_kernel_dir)
{
    char dir[4096], absent[4200];
    snprintf(dir, sizeof dir, "%s", ewcl_test_make_temp_dir("cli-kernels"));
    snprintf(absent, sizeof absent, "%s/absent", dir);

    ewcl_test_output r = run_ewcl(EWCL_ARGS("warmup", "--no-cache", "--kernel-dir", absent), NULL);
    ewcl_test_expect_code(&r, 1);
    ck_assert_msg(strncmp(r.err, "ewcl: ", 6) == 0, "stderr: %s", r.err);
    char prefix[4300];
    snprintf(prefix, sizeof prefix, "%s/", absent);
    const char *at = strstr(r.err, prefix);
    ck_assert_msg(at != NULL, "stderr does not name a file in %s: %s", absent, r.err);
    char name[256];
    ck_assert_int_eq(sscanf(at + strlen(prefix), "%255[^: \n]", name), 1);
    char cl[4096], source[4400];
    source_cl_dir(cl, sizeof cl);
    snprintf(source, sizeof source, "%s/%s", cl, name);
    ck_assert_msg(access(source, R_OK) == 0, "'%s' is not a kernel file: %s", name, r.err);

    ewcl_test_output_free(&r);
    ewcl_test_remove_tree(dir);
}
END_TEST

/* A program that does not compile fails warmup with the compiler's first words. */
START_TEST(test_warmup_build_error)
{
    char dir[4096], reduce[4200];
    snprintf(dir, sizeof dir, "%s", ewcl_test_make_temp_dir("cli-kernels"));
    ewcl_test_copy_kernel_sources(dir);
    snprintf(reduce, sizeof reduce, "%s/reduce.cl", dir);
    ck_assert_msg(access(reduce, R_OK) == 0, "the source tree has no cl/reduce.cl");
    static const char broken[] =
        "__kernel void ewcl_reduce_partial(__global float *x) { this is not C; }\n";
    ck_assert_int_eq(ewcl_test_write_file(reduce, broken, sizeof broken - 1), 0);

    /* --no-cache keeps this about the compiler alone: no cache folder is read or written. */
    ewcl_test_output r = run_ewcl(EWCL_ARGS("warmup", "--no-cache", "--kernel-dir", dir), NULL);
    ewcl_test_expect_code(&r, 1);
    lines l = split_lines(r.err);
    const char *message = ewcl_message(&l);
    ck_assert_msg(message != NULL, "no ewcl: line on stderr: %s", r.err);
    ck_assert_msg(strstr(message, "reduce") && strstr(message, "error"), "message: %s",
                  message);
    free(l.copy);
    ewcl_test_output_free(&r);
    ewcl_test_remove_tree(dir);
}
END_TEST

/* ---- ewcl bench --------------------------------------------------------------------------- */

START_TEST(test_bench_usage_errors)
{
    ewcl_test_output zero = run_ewcl(EWCL_ARGS("bench", "startup", "--repeat", "0"), NULL);
    ewcl_test_expect_code(&zero, 2);
    ewcl_test_expect_one_line_error(&zero, "--repeat");
    ewcl_test_output bare = run_ewcl(EWCL_ARGS("bench"), NULL);
    ewcl_test_expect_code(&bare, 2);
    ewcl_test_expect_one_line_error(&bare, "bench");
    ewcl_test_output_free(&zero);
    ewcl_test_output_free(&bare);
}
END_TEST

/* The positive median of one scenario of `bench startup --json`. */
static double median_of(const cJSON *root, const char *scenario)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, scenario);
    ck_assert_msg(cJSON_IsObject(o), "no '%s' object", scenario);
    const cJSON *median = cJSON_GetObjectItemCaseSensitive(o, "median_s");
    ck_assert_msg(cJSON_IsNumber(median) && median->valuedouble > 0.0,
                  "'%s' has no positive median_s", scenario);
    return median->valuedouble;
}

START_TEST(test_bench_startup_json)
{
    ewcl_test_output r = run_ewcl(EWCL_ARGS("bench", "startup", "--repeat", "1", "--json"), NULL);
    ewcl_test_expect_code(&r, 0);
    cJSON *root = cJSON_Parse(r.out);
    ck_assert_msg(root != NULL, "not JSON: %s", r.out);
    const double cold = median_of(root, "cold");
    const double warm = median_of(root, "warm");
    median_of(root, "pocl-only");
    /* A cold start compiles every kernel and a warm one loads binaries: a property of the
     * caches, not a timing target. */
    ck_assert_msg(warm <= cold, "warm %.3f s > cold %.3f s", warm, cold);
    cJSON_Delete(root);
    ewcl_test_output_free(&r);
}
END_TEST

/* ---- Suite -------------------------------------------------------------------------------- */

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    /* warmup and bench build programs with PoCL: seconds each, over Check's default. */
    tcase_set_timeout(tc, EWCL_TEST_CL_TIMEOUT);
    tcase_add_test(tc, test_devices_table);
    tcase_add_test(tc, test_devices_json);
    tcase_add_test(tc, test_devices_selector_matches_nothing);
    tcase_add_test(tc, test_devices_selector_malformed);
    tcase_add_test(tc, test_devices_selector_runtime);
    tcase_add_test(tc, test_devices_selector_from_environment);
    tcase_add_test(tc, test_devices_flag_beats_environment);
    tcase_add_test(tc, test_unknown_flag);
    tcase_add_test(tc, test_missing_flag_value);
    tcase_add_test(tc, test_unknown_command);
    tcase_add_test(tc, test_no_command);
    tcase_add_test(tc, test_version);
    tcase_add_test(tc, test_warmup_fills_then_uses_cache);
    tcase_add_test(tc, test_warmup_missing_kernel_dir);
    tcase_add_test(tc, test_warmup_build_error);
    tcase_add_test(tc, test_bench_usage_errors);
    tcase_add_test(tc, test_bench_startup_json);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    ewcl_test_require_device();
    return ewcl_test_run(cli_suite());
}
