/* Status names, OpenCL error names and the error record helpers. The expected strings are
 * written out here from the OpenCL 1.2 specification, not taken from the tables under test. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "runtime/error_internal.h"

static const ewcl_status all_statuses[] = {
    EWCL_OK,           EWCL_ERR_INVALID_ARGUMENT, EWCL_ERR_OUT_OF_MEMORY, EWCL_ERR_IO,
    EWCL_ERR_FORMAT,   EWCL_ERR_NO_PLATFORM,      EWCL_ERR_NO_DEVICE,     EWCL_ERR_BUILD,
    EWCL_ERR_OPENCL,   EWCL_ERR_CLBLAST,          EWCL_ERR_NUMERIC,       EWCL_ERR_INTERNAL,
};
#define N_STATUSES (sizeof all_statuses / sizeof all_statuses[0])

START_TEST(cl_names_known)
{
    ck_assert_str_eq(ewcl_cl_error_name(0), "CL_SUCCESS");
    ck_assert_str_eq(ewcl_cl_error_name(-1), "CL_DEVICE_NOT_FOUND");
    ck_assert_str_eq(ewcl_cl_error_name(-4), "CL_MEM_OBJECT_ALLOCATION_FAILURE");
    ck_assert_str_eq(ewcl_cl_error_name(-5), "CL_OUT_OF_RESOURCES");
    ck_assert_str_eq(ewcl_cl_error_name(-6), "CL_OUT_OF_HOST_MEMORY");
    ck_assert_str_eq(ewcl_cl_error_name(-11), "CL_BUILD_PROGRAM_FAILURE");
    ck_assert_str_eq(ewcl_cl_error_name(-19), "CL_KERNEL_ARG_INFO_NOT_AVAILABLE");
    ck_assert_str_eq(ewcl_cl_error_name(-30), "CL_INVALID_VALUE");
    ck_assert_str_eq(ewcl_cl_error_name(-36), "CL_INVALID_COMMAND_QUEUE");
    ck_assert_str_eq(ewcl_cl_error_name(-46), "CL_INVALID_KERNEL_NAME");
    ck_assert_str_eq(ewcl_cl_error_name(-52), "CL_INVALID_KERNEL_ARGS");
    ck_assert_str_eq(ewcl_cl_error_name(-54), "CL_INVALID_WORK_GROUP_SIZE");
    ck_assert_str_eq(ewcl_cl_error_name(-63), "CL_INVALID_GLOBAL_WORK_SIZE");
    ck_assert_str_eq(ewcl_cl_error_name(-68), "CL_INVALID_DEVICE_PARTITION_COUNT");
    ck_assert_str_eq(ewcl_cl_error_name(-1000), "CL_INVALID_GL_SHAREGROUP_REFERENCE_KHR");
    ck_assert_str_eq(ewcl_cl_error_name(-1001), "CL_PLATFORM_NOT_FOUND_KHR");
    ck_assert_str_eq(ewcl_cl_error_name(-1057), "CL_DEVICE_PARTITION_FAILED_EXT");
    ck_assert_str_eq(ewcl_cl_error_name(-1058), "CL_INVALID_PARTITION_COUNT_EXT");
    ck_assert_str_eq(ewcl_cl_error_name(-1059), "CL_INVALID_PARTITION_NAME_EXT");
}
END_TEST

START_TEST(cl_names_unknown)
{
    ck_assert_str_eq(ewcl_cl_error_name(-20), "CL_UNKNOWN_ERROR");
    ck_assert_str_eq(ewcl_cl_error_name(-29), "CL_UNKNOWN_ERROR");
    ck_assert_str_eq(ewcl_cl_error_name(-69), "CL_UNKNOWN_ERROR");
    ck_assert_str_eq(ewcl_cl_error_name(-9999), "CL_UNKNOWN_ERROR");
    ck_assert_str_eq(ewcl_cl_error_name(5), "CL_UNKNOWN_ERROR");
}
END_TEST

/* Every code OpenCL 1.2 defines has its own name. */
START_TEST(cl_names_complete)
{
    const char *names[80];
    size_t n = 0;
    for (int code = -1; code >= -68; --code) {
        if (code < -19 && code > -30)
            continue;
        const char *name = ewcl_cl_error_name(code);
        ck_assert_ptr_nonnull(name);
        ck_assert_msg(strncmp(name, "CL_", 3) == 0, "code %d: name %s", code, name);
        ck_assert_msg(strcmp(name, "CL_UNKNOWN_ERROR") != 0, "code %d has no name", code);
        ck_assert_msg(strcmp(name, "CL_SUCCESS") != 0, "code %d named CL_SUCCESS", code);
        for (size_t i = 0; i < n; ++i)
            ck_assert_msg(strcmp(names[i], name) != 0, "code %d: duplicate name %s", code, name);
        names[n++] = name;
    }
    ck_assert_uint_eq(n, 19 + 39);
}
END_TEST

START_TEST(status_names_and_strings)
{
    ck_assert_str_eq(ewcl_status_name(EWCL_OK), "EWCL_OK");
    ck_assert_str_eq(ewcl_status_name(EWCL_ERR_BUILD), "EWCL_ERR_BUILD");
    ck_assert_str_eq(ewcl_status_name(EWCL_ERR_NO_PLATFORM), "EWCL_ERR_NO_PLATFORM");
    ck_assert_str_eq(ewcl_status_name(EWCL_ERR_INTERNAL), "EWCL_ERR_INTERNAL");
    ck_assert_str_eq(ewcl_status_str(EWCL_ERR_BUILD), "OpenCL program build failed");
    ck_assert_str_eq(ewcl_status_str(EWCL_ERR_NO_PLATFORM), "no OpenCL platform");

    for (size_t i = 0; i < N_STATUSES; ++i) {
        const char *name = ewcl_status_name(all_statuses[i]);
        const char *str = ewcl_status_str(all_statuses[i]);
        ck_assert_ptr_nonnull(name);
        ck_assert_ptr_nonnull(str);
        ck_assert_msg(strncmp(name, "EWCL_", 5) == 0, "status %d: name %s", all_statuses[i], name);
        ck_assert_str_ne(name, "EWCL_ERR_UNKNOWN");
        ck_assert_str_ne(str, "unknown status");
        ck_assert_uint_gt(strlen(str), 0);
        for (size_t j = 0; j < i; ++j) {
            ck_assert_str_ne(name, ewcl_status_name(all_statuses[j]));
            ck_assert_str_ne(str, ewcl_status_str(all_statuses[j]));
        }
    }
}
END_TEST

START_TEST(status_unknown)
{
    ck_assert_str_eq(ewcl_status_name((ewcl_status)-12), "EWCL_ERR_UNKNOWN");
    ck_assert_str_eq(ewcl_status_name((ewcl_status)42), "EWCL_ERR_UNKNOWN");
    ck_assert_str_eq(ewcl_status_str((ewcl_status)-12), "unknown status");
    ck_assert_str_eq(ewcl_status_str((ewcl_status)42), "unknown status");
}
END_TEST

START_TEST(fail_at_message)
{
    ewcl_error err;
    ewcl_error_clear(&err);
    int line = __LINE__ + 1;
    ewcl_status st = EWCL_FAIL(&err, EWCL_ERR_IO, "cannot open '%s' (%d)", "weights.bin", 2);
    ck_assert_int_eq(st, EWCL_ERR_IO);
    ck_assert_int_eq(err.status, EWCL_ERR_IO);
    ck_assert_int_eq(err.cl_code, 0);

    char expected[128];
    snprintf(expected, sizeof expected, "cannot open 'weights.bin' (2) [test_errors.c:%d]", line);
    ck_assert_str_eq(err.message, expected);
    ck_assert_ptr_null(strchr(err.message, '/'));
}
END_TEST

START_TEST(fail_at_full_path_basename)
{
    ewcl_error err;
    ewcl_fail_at(&err, EWCL_ERR_FORMAT, "/some/dir/sub/file.c", 123, "bad");
    ck_assert_str_eq(err.message, "bad [file.c:123]");
    ewcl_fail_at(&err, EWCL_ERR_FORMAT, "bare.c", 7, "bad");
    ck_assert_str_eq(err.message, "bad [bare.c:7]");
}
END_TEST

START_TEST(fail_at_one_line)
{
    ewcl_error err;
    const char *log = "line 1: error\r\nline 2: note\n";
    EWCL_FAIL(&err, EWCL_ERR_BUILD, "build failed:\n%s", log);
    ck_assert_int_eq(err.status, EWCL_ERR_BUILD);
    ck_assert_ptr_null(strchr(err.message, '\n'));
    ck_assert_ptr_null(strchr(err.message, '\r'));
    ck_assert_ptr_nonnull(strstr(err.message, "build failed: line 1: error  line 2: note "));
    ck_assert_ptr_nonnull(strstr(err.message, "[test_errors.c:"));
}
END_TEST

START_TEST(fail_cl_opencl)
{
    ewcl_error err;
    ewcl_error_clear(&err);
    int line = __LINE__ + 1;
    ewcl_status st = EWCL_FAIL_CL(&err, -5, "clEnqueueNDRangeKernel(%s)", "axpy");
    ck_assert_int_eq(st, EWCL_ERR_OPENCL);
    ck_assert_int_eq(err.status, EWCL_ERR_OPENCL);
    ck_assert_int_eq(err.cl_code, -5);
    ck_assert_ptr_nonnull(strstr(err.message, "CL_OUT_OF_RESOURCES (-5)"));

    char expected[128];
    snprintf(expected, sizeof expected,
             "clEnqueueNDRangeKernel(axpy): CL_OUT_OF_RESOURCES (-5) [test_errors.c:%d]", line);
    ck_assert_str_eq(err.message, expected);
}
END_TEST

START_TEST(fail_cl_out_of_memory)
{
    ewcl_error err;
    ck_assert_int_eq(EWCL_FAIL_CL(&err, -4, "clCreateBuffer"), EWCL_ERR_OUT_OF_MEMORY);
    ck_assert_int_eq(err.status, EWCL_ERR_OUT_OF_MEMORY);
    ck_assert_int_eq(err.cl_code, -4);
    ck_assert_ptr_nonnull(strstr(err.message, "CL_MEM_OBJECT_ALLOCATION_FAILURE (-4)"));

    ck_assert_int_eq(EWCL_FAIL_CL(&err, -6, "clCreateBuffer"), EWCL_ERR_OUT_OF_MEMORY);
    ck_assert_int_eq(err.cl_code, -6);
    ck_assert_ptr_nonnull(strstr(err.message, "CL_OUT_OF_HOST_MEMORY (-6)"));

    ck_assert_int_eq(EWCL_FAIL_CL(&err, -9999, "clFoo"), EWCL_ERR_OPENCL);
    ck_assert_ptr_nonnull(strstr(err.message, "CL_UNKNOWN_ERROR (-9999)"));
}
END_TEST

START_TEST(fail_truncates_long_message)
{
    static char big[3 * EWCL_ERROR_MESSAGE_MAX];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';

    /* A sentinel after the record catches a write past the end of the message. */
    struct {
        ewcl_error err;
        char guard[64];
    } s;
    memset(s.guard, 0x5a, sizeof s.guard);

    EWCL_FAIL(&s.err, EWCL_ERR_BUILD, "log: %s", big);
    ck_assert_ptr_nonnull(memchr(s.err.message, '\0', sizeof s.err.message));
    size_t len = strlen(s.err.message);
    ck_assert_uint_lt(len, EWCL_ERROR_MESSAGE_MAX);
    ck_assert_uint_gt(len, EWCL_ERROR_MESSAGE_MAX / 2);
    ck_assert_int_eq(s.err.status, EWCL_ERR_BUILD);

    EWCL_FAIL_CL(&s.err, -11, "build log:\n%s", big);
    ck_assert_ptr_nonnull(memchr(s.err.message, '\0', sizeof s.err.message));
    len = strlen(s.err.message);
    ck_assert_uint_lt(len, EWCL_ERROR_MESSAGE_MAX);
    ck_assert_ptr_null(strchr(s.err.message, '\n'));
    ck_assert_int_eq(s.err.cl_code, -11);

    for (size_t i = 0; i < sizeof s.guard; ++i)
        ck_assert_int_eq((unsigned char)s.guard[i], 0x5a);
}
END_TEST

START_TEST(fail_null_err)
{
    ck_assert_int_eq(EWCL_FAIL(NULL, EWCL_ERR_NUMERIC, "nan at %d", 3), EWCL_ERR_NUMERIC);
    ck_assert_int_eq(EWCL_FAIL_CL(NULL, -5, "clFinish"), EWCL_ERR_OPENCL);
    ck_assert_int_eq(EWCL_FAIL_CL(NULL, -6, "clFinish"), EWCL_ERR_OUT_OF_MEMORY);
}
END_TEST

START_TEST(clear_and_copy)
{
    ewcl_error err;
    EWCL_FAIL_CL(&err, -5, "clFinish");
    ewcl_error copy;
    ewcl_error_clear(&copy);
    ewcl_error_copy(&copy, &err);
    ck_assert_int_eq(copy.status, EWCL_ERR_OPENCL);
    ck_assert_int_eq(copy.cl_code, -5);
    ck_assert_str_eq(copy.message, err.message);

    ewcl_error_clear(&err);
    ck_assert_int_eq(err.status, EWCL_OK);
    ck_assert_int_eq(err.cl_code, 0);
    ck_assert_str_eq(err.message, "");

    ewcl_error_clear(NULL);
    ewcl_error_copy(NULL, &copy);
    ewcl_error_copy(&copy, NULL);
    ck_assert_int_eq(copy.status, EWCL_ERR_OPENCL);
}
END_TEST

START_TEST(version_format)
{
    const char *v = ewcl_version();
    ck_assert_ptr_nonnull(v);
    const char *p = v;
    for (int part = 0; part < 3; ++part) {
        ck_assert_msg(isdigit((unsigned char)*p), "version \"%s\" is not N.N.N", v);
        while (isdigit((unsigned char)*p))
            ++p;
        if (part < 2) {
            ck_assert_msg(*p == '.', "version \"%s\" is not N.N.N", v);
            ++p;
        }
    }
    ck_assert_msg(*p == '\0', "version \"%s\" is not N.N.N", v);
}
END_TEST

static Suite *errors_suite(void)
{
    Suite *s = suite_create("errors");

    TCase *names = tcase_create("names");
    tcase_add_test(names, cl_names_known);
    tcase_add_test(names, cl_names_unknown);
    tcase_add_test(names, cl_names_complete);
    tcase_add_test(names, status_names_and_strings);
    tcase_add_test(names, status_unknown);
    tcase_add_test(names, version_format);
    suite_add_tcase(s, names);

    TCase *record = tcase_create("record");
    tcase_add_test(record, fail_at_message);
    tcase_add_test(record, fail_at_full_path_basename);
    tcase_add_test(record, fail_at_one_line);
    tcase_add_test(record, fail_cl_opencl);
    tcase_add_test(record, fail_cl_out_of_memory);
    tcase_add_test(record, fail_truncates_long_message);
    tcase_add_test(record, fail_null_err);
    tcase_add_test(record, clear_and_copy);
    suite_add_tcase(s, record);

    return s;
}

int main(void)
{
    Suite *suite = errors_suite();
    return ewcl_test_run(suite);
}
