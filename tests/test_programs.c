/* Programs on a real OpenCL device: building every kernel, the binary cache (hits, corrupt,
 * truncated and foreign entries, an unwritable folder), build failures, missing kernel
 * files, and adopting a caller's context. A built program is proven by running the
 * reduction and comparing it with a double-precision host sum. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_buffers.h"
#include "harness.h"
#include "harness_cl.h"
#include "runtime/kernel_source.h"
#include "runtime/program_cache.h"

/* Counts what the library logs, so that tests can observe warnings and build logs. */
typedef struct log_record {
    int warnings;
    int build_logs;
    char last_warning[1024];
} log_record;

static void record_log(void *user, ewcl_log_level level, const char *message)
{
    log_record *record = user;
    if (level == EWCL_LOG_WARNING) {
        record->warnings++;
        snprintf(record->last_warning, sizeof record->last_warning, "%s", message);
    }
    if (strstr(message, "build log of program") != NULL)
        record->build_logs++;
}

static ewcl_runtime_options options_with(const char *cache_dir, const char *kernel_dir,
                                         log_record *log)
{
    ewcl_runtime_options o;
    ewcl_runtime_options_default(&o);
    snprintf(o.device, sizeof o.device, "runtime:pocl");
    if (cache_dir != NULL)
        snprintf(o.cache_dir, sizeof o.cache_dir, "%s", cache_dir);
    if (kernel_dir != NULL)
        snprintf(o.kernel_dir, sizeof o.kernel_dir, "%s", kernel_dir);
    o.log = record_log;
    o.log_user = log;
    return o;
}

static ewcl_runtime *open_runtime(const ewcl_runtime_options *o)
{
    ewcl_error err;
    ewcl_runtime *rt = NULL;
    const ewcl_status status = ewcl_runtime_create(o, &rt, &err);
    ck_assert_msg(status == EWCL_OK, "runtime: %s", err.message);
    return rt;
}

/* The reduction gives the host's double sum within float accumulation error. */
static void assert_reduction_works(ewcl_runtime *rt, size_t n, size_t local_size,
                                   size_t groups)
{
    float *x = malloc(n * sizeof *x);
    ck_assert_ptr_nonnull(x);
    ewcl_test_fill_uniform(x, n, (unsigned)n);
    for (int square = 0; square <= 1; square++) {
        float device = NAN;
        const ewcl_status status =
            ewcl_test_device_sum(rt, x, n, square, local_size, groups, &device);
        ck_assert_msg(status == EWCL_OK, "reduce: %s", ewcl_runtime_error(rt)->message);
        const double host = ewcl_test_host_sum(x, n, square);
        /* Each work-item adds about n/(local·groups) floats, then a tree: relative error
         * stays far below 1e-5 for the positive data used here. */
        ck_assert_msg(fabs(device - host) <= 1e-5 * host + 1e-6,
                      "n=%zu local=%zu groups=%zu square=%d: device %.9g, host %.9g", n,
                      local_size, groups, square, device, host);
    }
    free(x);
}

START_TEST(every_program_builds_and_runs)
{
    log_record log = {0};
    ewcl_runtime_options o = options_with(NULL, NULL, &log);
    ewcl_runtime *rt = open_runtime(&o);
    ck_assert_uint_ge(ewcl_program_count(), 1);
    ck_assert_int_eq(ewcl_runtime_warmup(rt), EWCL_OK);
    ewcl_program_stats stats;
    ewcl_runtime_program_stats(rt, &stats);
    ck_assert_uint_eq(stats.built_from_source, ewcl_program_count());
    ck_assert_uint_eq(stats.loaded_from_cache, 0);
    /* Edges: sizes around the work-group size, odd local sizes, more groups than data. */
    static const size_t sizes[] = {1, 2, 63, 64, 65, 4097, 100003};
    static const size_t locals[] = {1, 7, 64};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (size_t j = 0; j < sizeof locals / sizeof locals[0]; j++)
            assert_reduction_works(rt, sizes[i], locals[j], 5);
    ewcl_runtime_destroy(rt);
}
END_TEST

START_TEST(second_build_loads_from_cache)
{
    const char *dir = ewcl_test_make_temp_dir("cache-hit");
    char cache[4096];
    snprintf(cache, sizeof cache, "%s/nested/cache", dir);
    log_record log = {0};
    ewcl_runtime_options o = options_with(cache, NULL, &log);

    ewcl_runtime *first = open_runtime(&o);
    ck_assert_int_eq(ewcl_runtime_warmup(first), EWCL_OK);
    ewcl_program_stats stats;
    ewcl_runtime_program_stats(first, &stats);
    ck_assert_uint_eq(stats.built_from_source, ewcl_program_count());
    ck_assert_uint_eq(stats.cache_written, ewcl_program_count());
    ewcl_runtime_destroy(first);

    ewcl_runtime *second = open_runtime(&o);
    ck_assert_int_eq(ewcl_runtime_warmup(second), EWCL_OK);
    ewcl_runtime_program_stats(second, &stats);
    ck_assert_uint_eq(stats.loaded_from_cache, ewcl_program_count());
    ck_assert_uint_eq(stats.built_from_source, 0);
    ck_assert_uint_eq(stats.cache_rejected, 0);
    assert_reduction_works(second, 1000, 64, 4);
    ewcl_runtime_destroy(second);
    ck_assert_int_eq(log.warnings, 0);
    ewcl_test_remove_tree(dir);
}
END_TEST

/* Path of the cache entry of program "reduce" for a runtime with these options. */
static void reduce_entry_path(ewcl_runtime *rt, const char *cache, char *out, size_t size)
{
    char *source = NULL;
    size_t source_size = 0;
    ck_assert_int_eq(ewcl_kernel_source_load(NULL, "reduce", &source, &source_size, NULL),
                     EWCL_OK);
    /* Reconstruct the build options the runtime used: the profile's, behind -cl-std. */
    char profile_options[1024], options[2048];
    ewcl_profile_build_options(ewcl_runtime_profile(rt), profile_options,
                               sizeof profile_options);
    snprintf(options, sizeof options, "-cl-std=CL1.2 %s", profile_options);
    const uint64_t key =
        ewcl_program_cache_key(ewcl_runtime_device(rt), options, source, source_size);
    ck_assert(ewcl_program_cache_path(cache, "reduce", key, out, size));
    free(source);
}

typedef enum damage { FLIP_BYTE, TRUNCATE, FOREIGN } damage;

static void damage_entry(const char *path, const char *foreign_path, damage how)
{
    size_t size = 0;
    char *bytes = ewcl_test_read_file(path, &size);
    ck_assert_msg(bytes != NULL, "cache entry %s was not written", path);
    if (how == FLIP_BYTE) {
        bytes[size / 2] ^= 0x5a;
    } else if (how == TRUNCATE) {
        size = size * 2 / 3;
    } else {
        free(bytes);
        bytes = ewcl_test_read_file(foreign_path, &size);
        ck_assert_ptr_nonnull(bytes);
    }
    ck_assert_int_eq(ewcl_test_write_file(path, bytes, size), 0);
    free(bytes);
}

static void check_damaged_entry_is_rebuilt(damage how)
{
    const char *dir = ewcl_test_make_temp_dir("cache-damage");
    char cache[4096];
    snprintf(cache, sizeof cache, "%s", dir);
    log_record log = {0};
    ewcl_runtime_options o = options_with(cache, NULL, &log);

    ewcl_runtime *rt = open_runtime(&o);
    ck_assert_int_eq(ewcl_runtime_warmup(rt), EWCL_OK);
    char path[8192];
    reduce_entry_path(rt, cache, path, sizeof path);
    ewcl_runtime_destroy(rt);

    /* A foreign entry: the binary of the same program built with other options. */
    char foreign[8192] = "";
    if (how == FOREIGN) {
        ewcl_runtime_options other = o;
        snprintf(other.build_options, sizeof other.build_options, "-DEWCL_TEST_VARIANT=1");
        ewcl_runtime *variant = open_runtime(&other);
        ck_assert_int_eq(ewcl_runtime_warmup(variant), EWCL_OK);
        ewcl_program_stats variant_stats;
        ewcl_runtime_program_stats(variant, &variant_stats);
        ck_assert_uint_eq(variant_stats.built_from_source, ewcl_program_count());
        ewcl_runtime_destroy(variant);
        /* The variant's entry is the one file of "reduce" that is not `path`. */
        char *source = NULL;
        size_t source_size = 0;
        ck_assert_int_eq(ewcl_kernel_source_load(NULL, "reduce", &source, &source_size, NULL),
                         EWCL_OK);
        ewcl_runtime *probe = open_runtime(&other);
        char profile_options[1024], options[2048];
        ewcl_profile_build_options(ewcl_runtime_profile(probe), profile_options,
                                   sizeof profile_options);
        snprintf(options, sizeof options, "-cl-std=CL1.2 %s -DEWCL_TEST_VARIANT=1",
                 profile_options);
        const uint64_t key =
            ewcl_program_cache_key(ewcl_runtime_device(probe), options, source, source_size);
        ck_assert(ewcl_program_cache_path(cache, "reduce", key, foreign, sizeof foreign));
        ck_assert_str_ne(foreign, path);
        ewcl_runtime_destroy(probe);
        free(source);
    }
    damage_entry(path, foreign, how);

    ewcl_runtime *again = open_runtime(&o);
    ck_assert_int_eq(ewcl_runtime_warmup(again), EWCL_OK);
    ewcl_program_stats stats;
    ewcl_runtime_program_stats(again, &stats);
    ck_assert_uint_eq(stats.cache_rejected, 1);
    ck_assert_uint_eq(stats.built_from_source, 1);
    ck_assert_uint_eq(stats.cache_written, 1);
    ck_assert_int_ge(log.warnings, 1);
    ck_assert_ptr_nonnull(strstr(log.last_warning, "reduce"));
    assert_reduction_works(again, 777, 64, 3);
    ewcl_runtime_destroy(again);

    /* The rewritten entry is good again. */
    ewcl_runtime *third = open_runtime(&o);
    ck_assert_int_eq(ewcl_runtime_warmup(third), EWCL_OK);
    ewcl_runtime_program_stats(third, &stats);
    ck_assert_uint_eq(stats.loaded_from_cache, ewcl_program_count());
    ck_assert_uint_eq(stats.cache_rejected, 0);
    ewcl_runtime_destroy(third);
    ewcl_test_remove_tree(dir);
}

START_TEST(corrupt_entry_is_rebuilt)
{
    check_damaged_entry_is_rebuilt(FLIP_BYTE);
}
END_TEST

START_TEST(truncated_entry_is_rebuilt)
{
    check_damaged_entry_is_rebuilt(TRUNCATE);
}
END_TEST

START_TEST(foreign_entry_is_rebuilt)
{
    check_damaged_entry_is_rebuilt(FOREIGN);
}
END_TEST

START_TEST(unwritable_cache_only_disables_caching)
{
    const char *dir = ewcl_test_make_temp_dir("cache-unwritable");
    /* A regular file where a folder must go: mkdir fails even for root. */
    char blocker[2048], cache[2100];
    snprintf(blocker, sizeof blocker, "%s/not-a-folder", dir);
    ck_assert_int_eq(ewcl_test_write_file(blocker, "x", 1), 0);
    snprintf(cache, sizeof cache, "%s/cache", blocker);
    log_record log = {0};
    ewcl_runtime_options o = options_with(cache, NULL, &log);
    ewcl_runtime *rt = open_runtime(&o);
    ck_assert_int_eq(ewcl_runtime_warmup(rt), EWCL_OK);
    ewcl_program_stats stats;
    ewcl_runtime_program_stats(rt, &stats);
    ck_assert_uint_eq(stats.cache_written, 0);
    ck_assert_uint_eq(stats.built_from_source, ewcl_program_count());
    ck_assert_int_eq(log.warnings, 1);
    ck_assert_ptr_nonnull(strstr(log.last_warning, "cache"));
    assert_reduction_works(rt, 300, 64, 2);
    ewcl_runtime_destroy(rt);
    ewcl_test_remove_tree(dir);
}
END_TEST

/* A kernel folder holding every file of cl/, with `broken` (if not NULL) replaced by
 * `contents`, or left out when `contents` is NULL. */
static const char *make_kernel_dir(const char *broken, const char *contents)
{
    const char *dir = ewcl_test_make_temp_dir("kernels");
    for (size_t i = 0; i < ewcl_embedded_kernel_file_count; i++) {
        const ewcl_kernel_file *file = &ewcl_embedded_kernel_files[i];
        const bool is_broken = broken != NULL && strcmp(file->name, broken) == 0;
        if (is_broken && contents == NULL)
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, file->name);
        const void *bytes = is_broken ? (const void *)contents : file->bytes;
        const size_t size = is_broken ? strlen(contents) : file->size;
        ck_assert_int_eq(ewcl_test_write_file(path, bytes, size), 0);
    }
    return dir;
}

START_TEST(broken_kernel_reports_the_compiler)
{
    const char *dir = make_kernel_dir(
        "reduce.cl", "__kernel void ewcl_reduce_partial(__global float *x)\n"
                     "{\n    x[0] = undeclared_identifier_in_ewcl_test;\n}\n");
    log_record log = {0};
    ewcl_runtime_options o = options_with(NULL, dir, &log);
    ewcl_runtime *rt = open_runtime(&o);
    ck_assert_int_eq(ewcl_runtime_warmup(rt), EWCL_ERR_BUILD);
    const ewcl_error *err = ewcl_runtime_error(rt);
    ck_assert_int_eq(err->status, EWCL_ERR_BUILD);
    ck_assert_ptr_nonnull(strstr(err->message, "'reduce'"));
    ck_assert_ptr_nonnull(strstr(err->message, ewcl_runtime_device(rt)->name));
    /* The compiler's own words: the identifier it could not resolve. */
    ck_assert_ptr_nonnull(strstr(err->message, "undeclared_identifier_in_ewcl_test"));
    ck_assert_ptr_null(strchr(err->message, '\n'));
    ck_assert_int_eq(log.build_logs, 1);
    ewcl_runtime_destroy(rt);
    ewcl_test_remove_tree(dir);
}
END_TEST

START_TEST(kernel_dir_is_used_and_missing_file_is_an_error)
{
    /* A kernel dir whose reduce.cl differs (doubling its result) proves the files are read. */
    const ewcl_kernel_file *original = ewcl_kernel_file_find("reduce.cl");
    ck_assert_ptr_nonnull(original);
    static const char store[] = "partials[get_group_id(0)] = scratch[0];";
    char *source = calloc(original->size + 1, 1);
    memcpy(source, original->bytes, original->size);
    char *at = strstr(source, store);
    ck_assert_ptr_nonnull(at);
    *at = '\0';
    char *doubled = calloc(original->size + 64, 1);
    sprintf(doubled, "%spartials[get_group_id(0)] = 2.0f * scratch[0];%s", source,
            at + strlen(store));
    free(source);
    const char *dir = make_kernel_dir("reduce.cl", doubled);
    free(doubled);
    char dir_copy[4096];
    snprintf(dir_copy, sizeof dir_copy, "%s", dir);
    log_record log = {0};
    ewcl_runtime_options o = options_with(NULL, dir_copy, &log);
    ewcl_runtime *rt = open_runtime(&o);
    float x[100], device = 0;
    for (int i = 0; i < 100; i++)
        x[i] = 1.0f;
    ck_assert_int_eq(ewcl_test_device_sum(rt, x, 100, 0, 16, 2, &device), EWCL_OK);
    ck_assert_float_eq(device, 400.0f); /* doubled in both passes */
    ewcl_runtime_destroy(rt);

    char missing[4200];
    snprintf(missing, sizeof missing, "%s/reduce.cl", dir_copy);
    ck_assert_int_eq(remove(missing), 0);
    rt = open_runtime(&o);
    ck_assert_int_eq(ewcl_runtime_warmup(rt), EWCL_ERR_IO);
    ck_assert_ptr_nonnull(strstr(ewcl_runtime_error(rt)->message, missing));
    ewcl_runtime_destroy(rt);
    ewcl_test_remove_tree(dir_copy);
}
END_TEST

/* The first PoCL device, found with plain OpenCL as an application would. */
static void first_pocl_device(cl_platform_id *platform, cl_device_id *device)
{
    cl_platform_id platforms[16];
    cl_uint count = 0;
    ck_assert_int_eq(clGetPlatformIDs(16, platforms, &count), CL_SUCCESS);
    for (cl_uint p = 0; p < count && p < 16; p++) {
        char name[256] = "";
        clGetPlatformInfo(platforms[p], CL_PLATFORM_NAME, sizeof name, name, NULL);
        if (strstr(name, "Portable Computing Language") != NULL &&
            clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 1, device, NULL) == CL_SUCCESS) {
            *platform = platforms[p];
            return;
        }
    }
    ck_abort_msg("no PoCL device");
}

static void check_adoption(cl_command_queue_properties queue_properties)
{
    cl_platform_id platform;
    cl_device_id device;
    first_pocl_device(&platform, &device);
    cl_int rc = CL_SUCCESS;
    cl_context context = clCreateContext(NULL, 1, &device, NULL, NULL, &rc);
    ck_assert_int_eq(rc, CL_SUCCESS);
    cl_command_queue queue = clCreateCommandQueue(context, device, queue_properties, &rc);
    ck_assert_int_eq(rc, CL_SUCCESS);
    const cl_uint context_before = test_context_references(context);
    const cl_uint queue_before = test_queue_references(queue);

    ewcl_runtime_options o;
    ewcl_runtime_options_default(&o);
    ewcl_error err;
    ewcl_runtime *rt = NULL;
    ck_assert_int_eq(ewcl_runtime_create_from_cl(context, device, queue, &o, &rt, &err),
                     EWCL_OK);
    ck_assert_ptr_eq(ewcl_runtime_cl_context(rt), context);
    ck_assert_ptr_eq(ewcl_runtime_cl_device(rt), device);
    if (queue_properties & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE) {
        /* ewcl relies on order: it must run on an in-order queue of its own. */
        cl_command_queue own = ewcl_runtime_cl_queue(rt);
        ck_assert_ptr_ne(own, queue);
        cl_command_queue_properties own_properties = 0;
        clGetCommandQueueInfo(own, CL_QUEUE_PROPERTIES, sizeof own_properties, &own_properties,
                              NULL);
        ck_assert(!(own_properties & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE));
    } else {
        ck_assert_ptr_eq(ewcl_runtime_cl_queue(rt), queue);
    }
    ck_assert_str_eq(ewcl_runtime_device(rt)->platform_name, "Portable Computing Language");
    ck_assert_int_eq(ewcl_runtime_warmup(rt), EWCL_OK);
    assert_reduction_works(rt, 5000, 64, 8);
    ewcl_runtime_destroy(rt);

    /* Everything the runtime retained is released; the caller's objects still work. */
    test_wait_for_references(context, context_before, queue, queue_before);
    ck_assert_uint_eq(test_context_references(context), context_before);
    ck_assert_uint_eq(test_queue_references(queue), queue_before);
    float value = 3.5f, back = 0.0f;
    cl_mem buffer = clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                                   sizeof value, &value, &rc);
    ck_assert_int_eq(rc, CL_SUCCESS);
    ck_assert_int_eq(clEnqueueReadBuffer(queue, buffer, CL_TRUE, 0, sizeof back, &back, 0, NULL,
                                         NULL),
                     CL_SUCCESS);
    ck_assert_float_eq(back, 3.5f);
    clReleaseMemObject(buffer);
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
}

START_TEST(create_from_cl_leaves_the_callers_objects_alive)
{
    check_adoption(0);
}
END_TEST

START_TEST(create_from_cl_out_of_order_queue_gets_an_in_order_twin)
{
    check_adoption(CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE);
}
END_TEST

START_TEST(selector_matching_nothing_is_no_device)
{
    ewcl_runtime_options o;
    ewcl_runtime_options_default(&o);
    snprintf(o.device, sizeof o.device, "name:no-such-device-anywhere");
    ewcl_error err;
    ewcl_runtime *rt = (ewcl_runtime *)&err; /* must be reset to NULL */
    ck_assert_int_eq(ewcl_runtime_create(&o, &rt, &err), EWCL_ERR_NO_DEVICE);
    ck_assert_ptr_null(rt);
    ck_assert_ptr_nonnull(strstr(err.message, "no-such-device-anywhere"));
}
END_TEST

int main(void)
{
    ewcl_test_require_device();
    Suite *suite = suite_create("programs");
    TCase *tc = tcase_create("programs");
    tcase_set_timeout(tc, EWCL_TEST_CL_TIMEOUT);
    tcase_add_test(tc, every_program_builds_and_runs);
    tcase_add_test(tc, second_build_loads_from_cache);
    tcase_add_test(tc, corrupt_entry_is_rebuilt);
    tcase_add_test(tc, truncated_entry_is_rebuilt);
    tcase_add_test(tc, foreign_entry_is_rebuilt);
    tcase_add_test(tc, unwritable_cache_only_disables_caching);
    tcase_add_test(tc, broken_kernel_reports_the_compiler);
    tcase_add_test(tc, kernel_dir_is_used_and_missing_file_is_an_error);
    tcase_add_test(tc, create_from_cl_leaves_the_callers_objects_alive);
    tcase_add_test(tc, create_from_cl_out_of_order_queue_gets_an_in_order_twin);
    tcase_add_test(tc, selector_matching_nothing_is_no_device);
    suite_add_tcase(suite, tc);
    return ewcl_test_run(suite);
}
