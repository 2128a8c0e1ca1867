/* Enumeration and selection on the OpenCL implementations really installed. Run by ctest
 * twice: as is (PoCL must be found), and with POCL_DEVICES="pthread basic" plus an
 * OCL_ICD_VENDORS folder that adds Oclgrind (argument "multi"): two PoCL devices and the
 * Oclgrind platform, each selectable every way, each building and running every kernel. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "harness_cl.h"

static ewcl_device_info *devices;
static size_t device_count;

static void list_devices(void)
{
    ewcl_error err;
    ck_assert_msg(ewcl_devices_list(&devices, &device_count, &err) == EWCL_OK, "%s",
                  err.message);
}

static void release_devices(void)
{
    ewcl_devices_free(devices);
    devices = NULL;
    device_count = 0;
}

/* The position of the first device whose name starts with `prefix` on runtime `runtime`. */
static size_t find(ewcl_cl_runtime runtime, const char *prefix)
{
    for (size_t i = 0; i < device_count; i++)
        if (devices[i].runtime == runtime &&
            strncmp(devices[i].name, prefix, strlen(prefix)) == 0)
            return i;
    ck_abort_msg("no %s device named %s*", ewcl_cl_runtime_name(runtime), prefix);
    return 0;
}

/* Opens a runtime with `selector`, checks it landed on `expected`, and proves the device
 * builds every program and runs the reduction correctly. */
static void open_and_run(const char *selector, const ewcl_device_info *expected)
{
    ewcl_runtime_options o;
    ewcl_runtime_options_default(&o);
    snprintf(o.device, sizeof o.device, "%s", selector);
    ewcl_error err;
    ewcl_runtime *rt = NULL;
    ck_assert_msg(ewcl_runtime_create(&o, &rt, &err) == EWCL_OK, "'%s': %s", selector,
                  err.message);
    const ewcl_device_info *got = ewcl_runtime_device(rt);
    ck_assert_str_eq(got->name, expected->name);
    ck_assert_str_eq(got->platform_name, expected->platform_name);
    ck_assert_int_eq(got->index, expected->index);
    ck_assert_msg(ewcl_runtime_warmup(rt) == EWCL_OK, "warmup on %s: %s", got->name,
                  ewcl_runtime_error(rt)->message);
    float x[1000], sum = 0;
    ewcl_test_fill_uniform(x, 1000, 7);
    ck_assert_int_eq(ewcl_test_device_sum(rt, x, 1000, 1, 16, 4, &sum), EWCL_OK);
    const double host = ewcl_test_host_sum(x, 1000, 1);
    ck_assert_msg(sum >= host * (1 - 1e-5) && sum <= host * (1 + 1e-5), "%s: %g vs %g",
                  got->name, sum, host);
    ewcl_runtime_destroy(rt);
}

START_TEST(pocl_is_found_and_usable)
{
    list_devices();
    ck_assert_uint_ge(device_count, 1);
    const size_t pocl = find(EWCL_RUNTIME_POCL, "");
    const ewcl_device_info *d = &devices[pocl];
    ck_assert_str_eq(d->platform_name, "Portable Computing Language");
    ck_assert(d->usable);
    ck_assert_int_eq(d->type, EWCL_DEVICE_CPU);
    ck_assert_uint_ge(d->compute_units, 1);
    ck_assert_uint_gt(d->global_mem_bytes, 0);
    ck_assert_int_eq(d->opencl_c_major, 1);
    ck_assert_int_ge(d->opencl_c_minor, 2);
    /* Flat indices number the list in order; P:D restarts per platform. */
    for (size_t i = 0; i < device_count; i++)
        ck_assert_int_eq(devices[i].index, (int)i);
    open_and_run("runtime:pocl", d);
    release_devices();
}
END_TEST

START_TEST(two_pocl_devices_each_selectable)
{
    list_devices();
    const char *const prefixes[] = {"pthread", "basic"};
    for (size_t k = 0; k < 2; k++) {
        const ewcl_device_info *d = &devices[find(EWCL_RUNTIME_POCL, prefixes[k])];
        char by_index[16], by_pd[32], by_name[300];
        snprintf(by_index, sizeof by_index, "%d", d->index);
        snprintf(by_pd, sizeof by_pd, "%d:%d", d->platform_index, d->device_index);
        snprintf(by_name, sizeof by_name, "name:%s", d->name);
        open_and_run(by_index, d);
        open_and_run(by_pd, d);
        open_and_run(by_name, d);
        open_and_run(prefixes[k], d); /* bare word = name piece */
    }
    release_devices();
}
END_TEST

START_TEST(oclgrind_is_a_second_platform)
{
    list_devices();
    const size_t o = find(EWCL_RUNTIME_OCLGRIND, "Oclgrind");
    const size_t p = find(EWCL_RUNTIME_POCL, "pthread");
    ck_assert_int_ne(devices[o].platform_index, devices[p].platform_index);
    ck_assert_int_eq(devices[o].type, EWCL_DEVICE_ACCELERATOR);
    ck_assert_msg(devices[o].usable, "Oclgrind unusable: %s", devices[o].unusable_reason);
    /* auto never picks the simulator over a real CPU. */
    size_t chosen = 0;
    ck_assert_int_eq(ewcl_device_select(devices, device_count, "auto", &chosen, NULL), EWCL_OK);
    ck_assert_int_eq(devices[chosen].runtime, EWCL_RUNTIME_POCL);
    open_and_run("runtime:oclgrind", &devices[o]);
    release_devices();
}
END_TEST

int main(int argc, char **argv)
{
    const bool multi = argc > 1 && strcmp(argv[1], "multi") == 0;
    ewcl_test_require_device();
    if (multi) {
        const char *icd = getenv("EWCL_TEST_OCLGRIND_ICD");
        if (icd == NULL || icd[0] == '\0' || strstr(icd, "NOTFOUND") != NULL) {
            const char *require = getenv("EWCL_REQUIRE_DEVICE");
            fprintf(stderr, "%s: Oclgrind's ICD was not found at configure time "
                            "(install the oclgrind package and reconfigure)\n",
                    require != NULL && strcmp(require, "1") == 0 ? "FAIL" : "SKIP");
            return require != NULL && strcmp(require, "1") == 0 ? 1 : EWCL_TEST_SKIP;
        }
    }
    Suite *suite = suite_create(multi ? "devices-multi" : "devices");
    TCase *tc = tcase_create("devices");
    tcase_set_timeout(tc, EWCL_TEST_CL_TIMEOUT);
    tcase_add_test(tc, pocl_is_found_and_usable);
    if (multi) {
        tcase_add_test(tc, two_pocl_devices_each_selectable);
        tcase_add_test(tc, oclgrind_is_a_second_platform);
    }
    suite_add_tcase(suite, tc);
    return ewcl_test_run(suite);
}
