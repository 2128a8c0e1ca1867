/* Device classification and the selector grammar, against hand-made device tables (no
 * OpenCL): the tables stand for this development machine (PoCL on an AMD EPYC plus
 * Oclgrind) and for a workstation with a discrete NVIDIA GPU, an integrated Intel GPU and a
 * CPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ewcl/runtime.h"
#include "harness.h"

#define GIB (1024ull * 1024ull * 1024ull)
#define MIB (1024ull * 1024ull)
#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* ---- Device tables ------------------------------------------------------------------------ */

/* A usable device (OpenCL C 1.2, compiler, 8 GiB) classified the way enumeration does. */
static ewcl_device_info make_device(int index, int platform_index, int device_index,
                                    const char *platform, const char *name, const char *vendor,
                                    uint32_t vendor_id, ewcl_device_type type, bool unified)
{
    ewcl_device_info d;
    memset(&d, 0, sizeof d);
    d.index = index;
    d.platform_index = platform_index;
    d.device_index = device_index;
    snprintf(d.platform_name, sizeof d.platform_name, "%s", platform);
    snprintf(d.name, sizeof d.name, "%s", name);
    snprintf(d.vendor, sizeof d.vendor, "%s", vendor);
    snprintf(d.opencl_c_version, sizeof d.opencl_c_version, "OpenCL C 1.2");
    d.vendor_id = vendor_id;
    d.opencl_c_major = 1;
    d.opencl_c_minor = 2;
    d.type = type;
    d.unified_memory = unified;
    d.runtime = ewcl_classify_runtime(platform);
    d.hw_vendor = ewcl_classify_vendor(vendor, vendor_id);
    d.compute_units = 8;
    d.global_mem_bytes = 8 * GIB;
    d.max_alloc_bytes = 2 * GIB;
    d.compiler_available = true;
    ewcl_device_check_usable(&d);
    return d;
}

/* This machine: positions 0, 1 = PoCL CPUs on platform 0; 2 = Oclgrind on platform 1. */
static ewcl_device_info here[3];
/* The workstation: 0 = Intel integrated GPU, 1 = PoCL CPU, 2 = NVIDIA discrete GPU. */
static ewcl_device_info mixed[3];

static void setup_tables(void)
{
    here[0] = make_device(0, 0, 0, "Portable Computing Language",
                          "pthread-skylake-avx512-AMD EPYC 7R13 Processor", "AuthenticAMD",
                          0x8086, EWCL_DEVICE_CPU, true);
    here[1] = make_device(1, 0, 1, "Portable Computing Language",
                          "basic-skylake-avx512-AMD EPYC 7R13 Processor", "AuthenticAMD", 0x8086,
                          EWCL_DEVICE_CPU, true);
    here[2] = make_device(2, 1, 0, "Oclgrind", "Oclgrind Simulator", "Oclgrind", 0x42,
                          EWCL_DEVICE_ACCELERATOR, true);

    mixed[0] = make_device(0, 0, 0, "Intel(R) OpenCL HD Graphics", "Intel(R) UHD Graphics 630",
                           "Intel(R) Corporation", 0x8086, EWCL_DEVICE_GPU, true);
    mixed[1] = make_device(1, 1, 0, "Portable Computing Language",
                           "pthread-haswell-Intel(R) Core(TM) i7-8700 CPU", "GenuineIntel",
                           0x8086, EWCL_DEVICE_CPU, true);
    mixed[2] = make_device(2, 2, 0, "NVIDIA CUDA", "NVIDIA GeForce RTX 3080",
                           "NVIDIA Corporation", 0x10de, EWCL_DEVICE_GPU, false);
}

/* ---- Helpers ------------------------------------------------------------------------------ */

/* The position `text` selects; fails the test with the error message otherwise. */
static size_t select_ok(const ewcl_device_info *list, size_t count, const char *text)
{
    ewcl_error err;
    ewcl_error_clear(&err);
    size_t position = SIZE_MAX;
    ewcl_status status = ewcl_device_select(list, count, text, &position, &err);
    ck_assert_msg(status == EWCL_OK, "selector '%s': %s", text ? text : "(null)", err.message);
    ck_assert_uint_lt(position, count);
    return position;
}

/* Expects `status`; returns the message (static storage) for further checks. */
static const char *select_fails(const ewcl_device_info *list, size_t count, const char *text,
                                ewcl_status expected)
{
    static ewcl_error err;
    ewcl_error_clear(&err);
    size_t position = 12345;
    ewcl_status status = ewcl_device_select(list, count, text, &position, &err);
    ck_assert_msg(status == expected, "selector '%.60s': got %s (%s), want %s", text,
                  ewcl_status_name(status), err.message, ewcl_status_name(expected));
    ck_assert_int_eq(err.status, expected);
    ck_assert_uint_eq(position, 12345); /* untouched on failure */
    ck_assert_msg(strchr(err.message, '\n') == NULL, "message spans lines: %s", err.message);
    ck_assert_uint_gt(strlen(err.message), 0);
    return err.message;
}

/* ---- Classification ----------------------------------------------------------------------- */

START_TEST(test_classify_runtime)
{
    static const struct {
        const char *platform;
        ewcl_cl_runtime want;
    } cases[] = {
        {"Portable Computing Language", EWCL_RUNTIME_POCL},
        {"PoCL", EWCL_RUNTIME_POCL},
        {"Oclgrind", EWCL_RUNTIME_OCLGRIND},
        {"NVIDIA CUDA", EWCL_RUNTIME_NVIDIA},
        {"AMD Accelerated Parallel Processing", EWCL_RUNTIME_AMD},
        {"Intel(R) OpenCL HD Graphics", EWCL_RUNTIME_INTEL},
        {"Intel(R) CPU Runtime for OpenCL(TM) Applications", EWCL_RUNTIME_INTEL},
        {"rusticl", EWCL_RUNTIME_RUSTICL},
        {"Clover", EWCL_RUNTIME_CLOVER},
        {"Apple", EWCL_RUNTIME_APPLE},
        {"portable computing language", EWCL_RUNTIME_POCL},
        {"Some Vendor OpenCL", EWCL_RUNTIME_OTHER},
        {"", EWCL_RUNTIME_OTHER},
    };
    for (size_t i = 0; i < COUNT(cases); ++i)
        ck_assert_msg(ewcl_classify_runtime(cases[i].platform) == cases[i].want,
                      "platform '%s'", cases[i].platform);
    ck_assert_int_eq(ewcl_classify_runtime(NULL), EWCL_RUNTIME_OTHER);
}
END_TEST

START_TEST(test_classify_vendor)
{
    static const struct {
        const char *vendor;
        uint32_t id;
        ewcl_hw_vendor want;
    } cases[] = {
        /* PoCL on an AMD EPYC: the string wins over Intel's id. */
        {"AuthenticAMD", 0x8086, EWCL_VENDOR_AMD},
        {"GenuineIntel", 0x8086, EWCL_VENDOR_INTEL},
        {"", 0x10de, EWCL_VENDOR_NVIDIA},
        {"NVIDIA Corporation", 0x10de, EWCL_VENDOR_NVIDIA},
        {"Advanced Micro Devices, Inc.", 0x1002, EWCL_VENDOR_AMD},
        {"AMD", 0, EWCL_VENDOR_AMD},
        {"", 0x1022, EWCL_VENDOR_AMD},
        {"Intel(R) Corporation", 0x8086, EWCL_VENDOR_INTEL},
        {"ARM", 0, EWCL_VENDOR_ARM},
        {"", 0x13b5, EWCL_VENDOR_ARM},
        {"Apple", 0x1027f00, EWCL_VENDOR_APPLE},
        {"", 0x106b, EWCL_VENDOR_APPLE},
        {"QUALCOMM", 0, EWCL_VENDOR_QUALCOMM},
        {"", 0x5143, EWCL_VENDOR_QUALCOMM},
        {"Oclgrind", 0x42, EWCL_VENDOR_OTHER},
        /* "arm" inside a word is not ARM; the id then decides. */
        {"Pharmaceutical Compute", 0, EWCL_VENDOR_OTHER},
        {"Pharmaceutical Compute", 0x8086, EWCL_VENDOR_INTEL},
        {"", 0, EWCL_VENDOR_OTHER},
    };
    for (size_t i = 0; i < COUNT(cases); ++i)
        ck_assert_msg(ewcl_classify_vendor(cases[i].vendor, cases[i].id) == cases[i].want,
                      "vendor '%s' id 0x%x", cases[i].vendor, (unsigned)cases[i].id);
    ck_assert_int_eq(ewcl_classify_vendor(NULL, 0x10de), EWCL_VENDOR_NVIDIA);
    ck_assert_int_eq(ewcl_classify_vendor(NULL, 0), EWCL_VENDOR_OTHER);
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(ewcl_device_type_name(EWCL_DEVICE_CPU), "cpu");
    ck_assert_str_eq(ewcl_device_type_name(EWCL_DEVICE_GPU), "gpu");
    ck_assert_str_eq(ewcl_device_type_name(EWCL_DEVICE_ACCELERATOR), "accelerator");
    ck_assert_str_eq(ewcl_device_type_name(EWCL_DEVICE_OTHER), "other");
    ck_assert_str_eq(ewcl_device_type_name((ewcl_device_type)99), "other");
    ck_assert_str_eq(ewcl_device_type_name((ewcl_device_type)-1), "other");

    static const char *const runtimes[] = {"pocl",    "oclgrind", "nvidia", "amd",  "intel",
                                           "rusticl", "clover",   "apple",  "other"};
    for (int i = 0; i <= EWCL_RUNTIME_OTHER; ++i)
        ck_assert_str_eq(ewcl_cl_runtime_name((ewcl_cl_runtime)i), runtimes[i]);
    ck_assert_str_eq(ewcl_cl_runtime_name((ewcl_cl_runtime)42), "other");

    static const char *const vendors[] = {"nvidia", "amd",      "intel", "arm",
                                          "apple",  "qualcomm", "other"};
    for (int i = 0; i <= EWCL_VENDOR_OTHER; ++i)
        ck_assert_str_eq(ewcl_hw_vendor_name((ewcl_hw_vendor)i), vendors[i]);
    ck_assert_str_eq(ewcl_hw_vendor_name((ewcl_hw_vendor)-7), "other");
}
END_TEST

START_TEST(test_check_usable)
{
    ewcl_device_info d = make_device(0, 0, 0, "Portable Computing Language", "cpu", "x", 0,
                                     EWCL_DEVICE_CPU, true);
    ck_assert(d.usable);
    ck_assert_str_eq(d.unusable_reason, "");

    d.compiler_available = false;
    ewcl_device_check_usable(&d);
    ck_assert(!d.usable);
    ck_assert_str_eq(d.unusable_reason, "no OpenCL C compiler");
    d.compiler_available = true;

    d.opencl_c_major = 1;
    d.opencl_c_minor = 1;
    ewcl_device_check_usable(&d);
    ck_assert(!d.usable);
    ck_assert_str_eq(d.unusable_reason, "OpenCL C 1.1 < 1.2");

    d.opencl_c_major = 0; /* an unparsable version string */
    d.opencl_c_minor = 0;
    ewcl_device_check_usable(&d);
    ck_assert(!d.usable);
    ck_assert_str_eq(d.unusable_reason, "OpenCL C 0.0 < 1.2");

    d.opencl_c_major = 3;
    d.opencl_c_minor = 0;
    ewcl_device_check_usable(&d);
    ck_assert(d.usable);

    d.global_mem_bytes = 32 * MIB;
    ewcl_device_check_usable(&d);
    ck_assert(!d.usable);
    ck_assert_str_eq(d.unusable_reason, "too little memory: 32 MiB < 64 MiB");

    d.global_mem_bytes = 64 * MIB; /* exactly the minimum is enough */
    ewcl_device_check_usable(&d);
    ck_assert(d.usable);
    ck_assert_str_eq(d.unusable_reason, "");

    ewcl_device_check_usable(NULL); /* does nothing */
}
END_TEST

/* ---- Selector forms ------------------------------------------------------------------------ */

START_TEST(test_select_forms)
{
    ck_assert_uint_eq(select_ok(here, 3, "0"), 0);
    ck_assert_uint_eq(select_ok(here, 3, "1"), 1);
    ck_assert_uint_eq(select_ok(here, 3, "2"), 2);
    ck_assert_uint_eq(select_ok(here, 3, "0:1"), 1);
    ck_assert_uint_eq(select_ok(here, 3, "1:0"), 2);
    ck_assert_uint_eq(select_ok(here, 3, "type:cpu"), 0);
    ck_assert_uint_eq(select_ok(here, 3, "type:accelerator"), 2);
    ck_assert_uint_eq(select_ok(here, 3, "runtime:pocl"), 0);
    ck_assert_uint_eq(select_ok(here, 3, "runtime:oclgrind"), 2);
    ck_assert_uint_eq(select_ok(here, 3, "vendor:amd"), 0);
    ck_assert_uint_eq(select_ok(here, 3, "vendor:other"), 2);
    ck_assert_uint_eq(select_ok(here, 3, "name:basic"), 1);
    ck_assert_uint_eq(select_ok(here, 3, "name:simulator"), 2);
    ck_assert_uint_eq(select_ok(here, 3, "platform:oclgrind"), 2);
    ck_assert_uint_eq(select_ok(here, 3, "platform:computing"), 0);
    ck_assert_uint_eq(select_ok(here, 3, "002"), 2); /* leading zeros are still decimal */
    ck_assert_uint_eq(select_ok(here, 3, "01:00"), 2);
}
END_TEST

START_TEST(test_select_forms_mixed)
{
    ck_assert_uint_eq(select_ok(mixed, 3, "type:gpu"), 2);
    ck_assert_uint_eq(select_ok(mixed, 3, "runtime:nvidia"), 2);
    ck_assert_uint_eq(select_ok(mixed, 3, "runtime:intel"), 0);
    ck_assert_uint_eq(select_ok(mixed, 3, "vendor:nvidia"), 2);
    ck_assert_uint_eq(select_ok(mixed, 3, "2:0"), 2);
    ck_assert_uint_eq(select_ok(mixed, 3, "name:UHD"), 0);
    ck_assert_uint_eq(select_ok(mixed, 3, "platform:cuda"), 2);
}
END_TEST

START_TEST(test_comma_and)
{
    ck_assert_uint_eq(select_ok(here, 3, "pocl,name:basic"), 1);
    ck_assert_uint_eq(select_ok(here, 3, "cpu, 1"), 1);
    ck_assert_uint_eq(select_ok(here, 3, "  type:cpu , vendor:amd ,\tname:pthread  "), 0);
    ck_assert_uint_eq(select_ok(here, 3, "auto,2"), 2);
    ck_assert_uint_eq(select_ok(mixed, 3, "type:gpu,vendor:intel"), 0);
    ck_assert_uint_eq(select_ok(mixed, 3, "vendor:intel,cpu"), 1);
    select_fails(here, 3, "cpu,accelerator", EWCL_ERR_NO_DEVICE);
    select_fails(here, 3, "0,1", EWCL_ERR_NO_DEVICE);
}
END_TEST

START_TEST(test_case_insensitive)
{
    ck_assert_uint_eq(select_ok(here, 3, "TYPE:CPU"), 0);
    ck_assert_uint_eq(select_ok(here, 3, "Name:BASIC"), 1);
    ck_assert_uint_eq(select_ok(here, 3, "RUNTIME:OclGrind"), 2);
    ck_assert_uint_eq(select_ok(here, 3, "Platform:PORTABLE"), 0);
    ck_assert_uint_eq(select_ok(here, 3, "AUTO"), 0);
    ck_assert_uint_eq(select_ok(mixed, 3, "GPU"), 2);
    ck_assert_uint_eq(select_ok(mixed, 3, "Vendor:NVIDIA"), 2);
}
END_TEST

START_TEST(test_bare_words)
{
    ck_assert_uint_eq(select_ok(mixed, 3, "gpu"), 2);
    ck_assert_uint_eq(select_ok(mixed, 3, "cpu"), 1);
    ck_assert_uint_eq(select_ok(mixed, 3, "nvidia"), 2);
    ck_assert_uint_eq(select_ok(mixed, 3, "pocl"), 1);
    /* "intel" is the hardware vendor: the integrated GPU beats the GenuineIntel CPU. */
    ck_assert_uint_eq(select_ok(mixed, 3, "intel"), 0);
    ck_assert_uint_eq(select_ok(here, 3, "oclgrind"), 2);
    ck_assert_uint_eq(select_ok(here, 3, "accelerator"), 2);
    ck_assert_uint_eq(select_ok(here, 3, "amd"), 0);
    ck_assert_uint_eq(select_ok(here, 3, "pocl"), 0);
    select_fails(here, 3, "gpu", EWCL_ERR_NO_DEVICE);
    select_fails(here, 3, "nvidia", EWCL_ERR_NO_DEVICE);
    /* Any other bare word is a piece of the device name. */
    ck_assert_uint_eq(select_ok(here, 3, "basic"), 1);
    ck_assert_uint_eq(select_ok(here, 3, "PTHREAD"), 0);
    ck_assert_uint_eq(select_ok(here, 3, "simulator"), 2);
    const char *msg = select_fails(here, 3, "nosuch", EWCL_ERR_NO_DEVICE);
    ck_assert_msg(strstr(msg, "nosuch") != NULL, "%s", msg);
}
END_TEST

/* ---- The auto order ------------------------------------------------------------------------ */

START_TEST(test_auto_order)
{
    ck_assert_uint_eq(select_ok(mixed, 3, "auto"), 2);   /* discrete GPU */
    ck_assert_uint_eq(select_ok(mixed, 3, ""), 2);
    ck_assert_uint_eq(select_ok(mixed, 3, NULL), 2);
    ck_assert_uint_eq(select_ok(mixed, 3, "  "), 2);
    ck_assert_uint_eq(select_ok(mixed, 2, "auto"), 0);   /* integrated GPU beats the CPU */
    ck_assert_uint_eq(select_ok(mixed + 1, 1, "auto"), 0);
    ck_assert_uint_eq(select_ok(here, 3, "auto"), 0);    /* CPU beats Oclgrind; index 0 */

    /* A usable CPU wins over an unusable discrete GPU. */
    ewcl_device_info list[3] = {mixed[0], mixed[1], mixed[2]};
    list[2].global_mem_bytes = 32 * MIB;
    ewcl_device_check_usable(&list[2]);
    list[0].compiler_available = false;
    ewcl_device_check_usable(&list[0]);
    ck_assert_uint_eq(select_ok(list, 3, "auto"), 1);

    /* The accelerator is chosen when nothing better is there. */
    ck_assert_uint_eq(select_ok(here + 2, 1, "auto"), 0);
}
END_TEST

START_TEST(test_ties_and_positions)
{
    /* Two discrete GPUs stored out of index order: the lower flat index wins, and the
     * answer is the position in the array. */
    ewcl_device_info list[3];
    list[0] = make_device(5, 1, 1, "NVIDIA CUDA", "GPU B", "NVIDIA Corporation", 0x10de,
                          EWCL_DEVICE_GPU, false);
    list[1] = make_device(4, 1, 0, "NVIDIA CUDA", "GPU A", "NVIDIA Corporation", 0x10de,
                          EWCL_DEVICE_GPU, false);
    list[2] = make_device(3, 0, 0, "Portable Computing Language", "cpu", "GenuineIntel",
                          0x8086, EWCL_DEVICE_CPU, true);
    ck_assert_uint_eq(select_ok(list, 3, "auto"), 1);
    ck_assert_uint_eq(select_ok(list, 3, "5"), 0);
    ck_assert_uint_eq(select_ok(list, 3, "3"), 2);
    ck_assert_uint_eq(select_ok(list, 3, "1:1"), 0);
    select_fails(list, 3, "0", EWCL_ERR_NO_DEVICE);
}
END_TEST

/* ---- Failures ------------------------------------------------------------------------------ */

START_TEST(test_no_match)
{
    const char *msg = select_fails(here, 3, "type:gpu", EWCL_ERR_NO_DEVICE);
    ck_assert_msg(strstr(msg, "no OpenCL device matches 'type:gpu'") != NULL, "%s", msg);
    /* The message lists what there is. */
    ck_assert_msg(strstr(msg, "Oclgrind Simulator") != NULL, "%s", msg);
    ck_assert_msg(strstr(msg, "pthread-skylake-avx512-AMD EPYC") != NULL, "%s", msg);

    select_fails(here, 3, "3", EWCL_ERR_NO_DEVICE);
    select_fails(here, 3, "9:9", EWCL_ERR_NO_DEVICE);
    select_fails(here, 3, "0:2", EWCL_ERR_NO_DEVICE);
    select_fails(here, 3, "vendor:nvidia", EWCL_ERR_NO_DEVICE);
    select_fails(here, 3, "runtime:rusticl", EWCL_ERR_NO_DEVICE);
    select_fails(here, 3, "name:zzz", EWCL_ERR_NO_DEVICE);
    select_fails(here, 3, "2147483647", EWCL_ERR_NO_DEVICE); /* INT_MAX parses */

    msg = select_fails(NULL, 0, "auto", EWCL_ERR_NO_DEVICE);
    ck_assert_msg(strstr(msg, "no OpenCL device matches 'auto'") != NULL, "%s", msg);
    msg = select_fails(here, 0, NULL, EWCL_ERR_NO_DEVICE);
    ck_assert_msg(strstr(msg, "'auto'") != NULL, "%s", msg);
}
END_TEST

START_TEST(test_only_unusable_match)
{
    ewcl_device_info list[3] = {here[0], here[1], here[2]};
    list[2].compiler_available = false;
    ewcl_device_check_usable(&list[2]);

    const char *msg = select_fails(list, 3, "oclgrind", EWCL_ERR_NO_DEVICE);
    ck_assert_msg(strstr(msg, "device 2 (Oclgrind Simulator) matches 'oclgrind' but is not "
                              "usable: no OpenCL C compiler") != NULL,
                  "%s", msg);
    ck_assert_uint_eq(select_ok(list, 3, "auto"), 0); /* the others still serve auto */

    /* Nothing usable at all: auto fails too, naming the best candidate. */
    list[0].global_mem_bytes = 50 * MIB;
    ewcl_device_check_usable(&list[0]);
    list[1].opencl_c_minor = 1;
    ewcl_device_check_usable(&list[1]);
    msg = select_fails(list, 3, NULL, EWCL_ERR_NO_DEVICE);
    ck_assert_msg(strstr(msg, "device 0 (pthread-skylake-avx512-AMD EPYC 7R13 Processor) "
                              "matches 'auto' but is not usable: too little memory: 50 MiB "
                              "< 64 MiB") != NULL,
                  "%s", msg);
    msg = select_fails(list, 3, "1", EWCL_ERR_NO_DEVICE);
    ck_assert_msg(strstr(msg, "OpenCL C 1.1 < 1.2") != NULL, "%s", msg);
}
END_TEST

/* Bad selectors fail both in ewcl_selector_parse and ewcl_device_select. */
static const char *expect_parse_error(const char *text)
{
    static ewcl_error err;
    ewcl_error_clear(&err);
    static char sentinel;
    ewcl_selector *selector = (ewcl_selector *)(void *)&sentinel; /* must come back NULL */
    ewcl_status status = ewcl_selector_parse(text, &selector, &err);
    ck_assert_msg(status == EWCL_ERR_INVALID_ARGUMENT, "'%.60s' parsed: %s", text,
                  ewcl_status_name(status));
    ck_assert_ptr_null(selector);
    ck_assert_msg(strchr(err.message, '\n') == NULL, "message spans lines: %s", err.message);
    select_fails(here, 3, text, EWCL_ERR_INVALID_ARGUMENT);
    return err.message;
}

START_TEST(test_parse_errors)
{
    static const char *const bad[] = {
        "type:tpu", "type:", "vendor:ibm", "runtime:cuda", "name:", "platform:", "1:", ":0",
        ":", "1:0:0", "1:x", "x:1", "-1", "+1", "-1:0", "0:-1", "1a", "0x10",
        "99999999999999999999", "2147483648", "1:99999999999999999999", "a,,b", "cpu,",
        ",cpu", ",", " , ", "cpu,,gpu", "foo:bar", "auto,bogus:1",
    };
    for (size_t i = 0; i < COUNT(bad); ++i)
        expect_parse_error(bad[i]);
    /* Other bare words are name pieces: well-formed, matching no device here. */
    static const char *const names[] = {"foo", "other", "name", "type", "gpu;cpu", "gpu cpu",
                                        "\x01\x02", "auto,bogus"};
    for (size_t i = 0; i < COUNT(names); ++i)
        select_fails(here, 3, names[i], EWCL_ERR_NO_DEVICE);
}
END_TEST

START_TEST(test_parse_error_messages)
{
    const char *msg = expect_parse_error("type:tpu");
    ck_assert_msg(strstr(msg, "type:tpu") != NULL, "%s", msg);
    ck_assert_msg(strstr(msg, "cpu, gpu, accelerator, other") != NULL, "%s", msg);

    msg = expect_parse_error("vendor:ibm");
    ck_assert_msg(strstr(msg, "nvidia, amd, intel, arm, apple, qualcomm, other") != NULL, "%s",
                  msg);
    msg = expect_parse_error("runtime:cuda");
    ck_assert_msg(strstr(msg, "pocl, oclgrind, nvidia, amd, intel, rusticl, clover, apple, "
                              "other") != NULL,
                  "%s", msg);

    msg = expect_parse_error("gpu, frob:nicate");
    ck_assert_msg(strstr(msg, "unknown device selector term 'frob:nicate' in 'gpu, frob:nicate'")
                      != NULL,
                  "%s", msg);
    msg = expect_parse_error("name:");
    ck_assert_msg(strstr(msg, "name:") != NULL, "%s", msg);
    msg = expect_parse_error("a,,b");
    ck_assert_msg(strstr(msg, "empty term") != NULL, "%s", msg);
    msg = expect_parse_error("type:tab\there\nnewline");
    ck_assert_msg(strchr(msg, '\t') == NULL, "%s", msg);
}
END_TEST

START_TEST(test_long_selectors)
{
    enum { LONG = 10000 };
    char *text = malloc(LONG + 1);
    ck_assert_ptr_nonnull(text);

    /* 10,000 letters and a colon: one unknown term, quoted only in part. */
    memset(text, 'a', LONG);
    text[LONG] = '\0';
    text[LONG / 2] = ':';
    const char *msg = expect_parse_error(text);
    ck_assert_uint_lt(strlen(msg), EWCL_ERROR_MESSAGE_MAX);
    ck_assert_msg(strstr(msg, "...") != NULL, "%s", msg);

    /* 10,000 digits: an index that overflows. */
    memset(text, '9', LONG);
    expect_parse_error(text);

    /* 10,000 commas. */
    memset(text, ',', LONG);
    expect_parse_error(text);

    /* A long but valid name substring simply matches nothing. */
    memcpy(text, "name:", 5);
    memset(text + 5, 'x', LONG - 5);
    select_fails(here, 3, text, EWCL_ERR_NO_DEVICE);

    /* 2,500 valid terms. */
    for (size_t i = 0; i < LONG; i += 4)
        memcpy(text + i, "gpu,", 4);
    text[LONG - 1] = '\0';
    ck_assert_uint_eq(select_ok(mixed, 3, text), 2);

    /* UTF-8 and high bytes are just bytes of a name that matches nothing. */
    memset(text, '\xc3', LONG);
    select_fails(here, 3, text, EWCL_ERR_NO_DEVICE);
    free(text);
}
END_TEST

START_TEST(test_unterminated_device_fields)
{
    /* Records from a caller may lack a NUL: matching and messages stay within the arrays. */
    ewcl_device_info list[1] = {here[0]};
    memset(list[0].name, 'x', sizeof list[0].name);
    memset(list[0].platform_name, 'y', sizeof list[0].platform_name);
    ck_assert_uint_eq(select_ok(list, 1, "name:XXX"), 0);
    ck_assert_uint_eq(select_ok(list, 1, "platform:yy"), 0);
    select_fails(list, 1, "name:z", EWCL_ERR_NO_DEVICE);
    list[0].usable = false;
    memset(list[0].unusable_reason, 'r', sizeof list[0].unusable_reason);
    select_fails(list, 1, "auto", EWCL_ERR_NO_DEVICE);
}
END_TEST

START_TEST(test_invalid_arguments)
{
    size_t position = 0;
    ewcl_error err;
    ck_assert_int_eq(ewcl_device_select(NULL, 1, "auto", &position, &err),
                     EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ewcl_device_select(here, 3, "auto", NULL, &err), EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ewcl_selector_parse("auto", NULL, &err), EWCL_ERR_INVALID_ARGUMENT);
    /* A NULL error record is allowed everywhere. */
    ck_assert_int_eq(ewcl_device_select(here, 3, "type:tpu", &position, NULL),
                     EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ewcl_device_select(here, 3, "gpu", &position, NULL), EWCL_ERR_NO_DEVICE);
    ck_assert_int_eq(ewcl_device_select(here, 3, "1", &position, NULL), EWCL_OK);
    ck_assert_uint_eq(position, 1);
    ewcl_selector_destroy(NULL);
}
END_TEST

START_TEST(test_selector_object)
{
    ewcl_error err;
    ewcl_selector *selector = NULL;
    ck_assert_int_eq(ewcl_selector_parse("cpu,vendor:amd", &selector, &err), EWCL_OK);
    ck_assert_ptr_nonnull(selector);
    ck_assert(ewcl_selector_matches(selector, &here[0]));
    ck_assert(ewcl_selector_matches(selector, &here[1]));
    ck_assert(!ewcl_selector_matches(selector, &here[2]));
    ck_assert(!ewcl_selector_matches(selector, &mixed[1])); /* an Intel CPU */
    ck_assert(!ewcl_selector_matches(selector, NULL));
    ewcl_selector_destroy(selector);

    ck_assert_int_eq(ewcl_selector_parse(NULL, &selector, &err), EWCL_OK); /* auto */
    for (size_t i = 0; i < 3; ++i) {
        ck_assert(ewcl_selector_matches(selector, &here[i]));
        ck_assert(ewcl_selector_matches(selector, &mixed[i]));
    }
    ewcl_selector_destroy(selector);
    ck_assert(ewcl_selector_matches(NULL, &here[2])); /* NULL selector = auto */
}
END_TEST

static Suite *selector_suite(void)
{
    Suite *suite = suite_create("selector");

    TCase *classify = tcase_create("classify");
    tcase_add_test(classify, test_classify_runtime);
    tcase_add_test(classify, test_classify_vendor);
    tcase_add_test(classify, test_names);
    tcase_add_test(classify, test_check_usable);
    suite_add_tcase(suite, classify);

    TCase *select = tcase_create("select");
    tcase_add_checked_fixture(select, setup_tables, NULL);
    tcase_add_test(select, test_select_forms);
    tcase_add_test(select, test_select_forms_mixed);
    tcase_add_test(select, test_comma_and);
    tcase_add_test(select, test_case_insensitive);
    tcase_add_test(select, test_bare_words);
    tcase_add_test(select, test_auto_order);
    tcase_add_test(select, test_ties_and_positions);
    tcase_add_test(select, test_selector_object);
    suite_add_tcase(suite, select);

    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, setup_tables, NULL);
    tcase_add_test(errors, test_no_match);
    tcase_add_test(errors, test_only_unusable_match);
    tcase_add_test(errors, test_parse_errors);
    tcase_add_test(errors, test_parse_error_messages);
    tcase_add_test(errors, test_long_selectors);
    tcase_add_test(errors, test_unterminated_device_fields);
    tcase_add_test(errors, test_invalid_arguments);
    suite_add_tcase(suite, errors);

    return suite;
}

int main(void)
{
    return ewcl_test_run(selector_suite());
}
