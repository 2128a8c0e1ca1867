/* The runtime's host-side pieces, no device needed: the embedded kernels against cl/, the
 * program cache key and entry format, device profiles, and the environment options. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "runtime/kernel_source.h"
#include "runtime/program_cache.h"

static const char *source_dir(void)
{
    const char *dir = getenv("EWCL_SOURCE_DIR");
    ck_assert_msg(dir != NULL, "EWCL_SOURCE_DIR is not set (ctest sets it)");
    return dir;
}

START_TEST(embedded_bytes_equal_the_files_in_cl)
{
    ck_assert_uint_ge(ewcl_embedded_kernel_file_count, 2);
    for (size_t i = 0; i < ewcl_embedded_kernel_file_count; i++) {
        const ewcl_kernel_file *file = &ewcl_embedded_kernel_files[i];
        char path[4096];
        snprintf(path, sizeof path, "%s/cl/%s", source_dir(), file->name);
        size_t size = 0;
        char *bytes = ewcl_test_read_file(path, &size);
        ck_assert_msg(bytes != NULL, "cannot read %s", path);
        ck_assert_uint_eq(size, file->size);
        ck_assert_msg(memcmp(bytes, file->bytes, size) == 0, "%s differs from its embedded copy",
                      file->name);
        free(bytes);
    }
}
END_TEST

START_TEST(every_file_in_cl_is_embedded)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/cl", source_dir());
    DIR *dir = opendir(path);
    ck_assert_ptr_nonnull(dir);
    size_t seen = 0;
    for (struct dirent *entry; (entry = readdir(dir)) != NULL;) {
        const size_t n = strlen(entry->d_name);
        const bool kernel = (n > 3 && strcmp(entry->d_name + n - 3, ".cl") == 0) ||
                            (n > 4 && strcmp(entry->d_name + n - 4, ".clh") == 0);
        if (!kernel)
            continue;
        seen++;
        ck_assert_msg(ewcl_kernel_file_find(entry->d_name) != NULL,
                      "cl/%s is not in EWCL_KERNEL_FILES (CMakeLists.txt)", entry->d_name);
    }
    closedir(dir);
    ck_assert_uint_eq(seen, ewcl_embedded_kernel_file_count);
}
END_TEST

START_TEST(program_source_is_headers_then_the_program)
{
    char *source = NULL;
    size_t size = 0;
    ck_assert_int_eq(ewcl_kernel_source_load(NULL, "reduce", &source, &size, NULL), EWCL_OK);
    const ewcl_kernel_file *common = ewcl_kernel_file_find("common.clh");
    const ewcl_kernel_file *reduce = ewcl_kernel_file_find("reduce.cl");
    ck_assert_uint_eq(strlen(source), size);
    ck_assert(memcmp(source, common->bytes, common->size) == 0);
    ck_assert(memcmp(source + size - reduce->size, reduce->bytes, reduce->size) == 0);
    ck_assert_ptr_nonnull(strstr(source, "#line 1 \"reduce.cl\"\n"));
    free(source);
    ewcl_error err;
    ck_assert_int_eq(ewcl_kernel_source_load(NULL, "nosuch", &source, &size, &err),
                     EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "nosuch"));
    ck_assert_int_eq(ewcl_kernel_source_load("/nonexistent/kernels", "reduce", &source, &size,
                                             &err),
                     EWCL_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/kernels/common.clh"));
}
END_TEST

static ewcl_device_info sample_device(void)
{
    ewcl_device_info d;
    memset(&d, 0, sizeof d);
    snprintf(d.platform_name, sizeof d.platform_name, "Portable Computing Language");
    snprintf(d.platform_version, sizeof d.platform_version, "OpenCL 3.0 PoCL 3.1");
    snprintf(d.name, sizeof d.name, "pthread-znver4");
    snprintf(d.driver_version, sizeof d.driver_version, "3.1+debian");
    return d;
}

START_TEST(cache_key_is_stable_and_sees_every_field)
{
    const ewcl_device_info base = sample_device();
    const char source[] = "__kernel void k(void) {}";
    const uint64_t key = ewcl_program_cache_key(&base, "-DX=1", source, sizeof source - 1);
    /* Stable: same inputs, same key, in this process and (being a pure hash) any other. */
    ck_assert_uint_eq(key, ewcl_program_cache_key(&base, "-DX=1", source, sizeof source - 1));

    ewcl_device_info d = base;
    snprintf(d.platform_name, sizeof d.platform_name, "Oclgrind");
    ck_assert_uint_ne(key, ewcl_program_cache_key(&d, "-DX=1", source, sizeof source - 1));
    d = base;
    snprintf(d.platform_version, sizeof d.platform_version, "OpenCL 3.0 PoCL 3.2");
    ck_assert_uint_ne(key, ewcl_program_cache_key(&d, "-DX=1", source, sizeof source - 1));
    d = base;
    snprintf(d.name, sizeof d.name, "basic-znver4");
    ck_assert_uint_ne(key, ewcl_program_cache_key(&d, "-DX=1", source, sizeof source - 1));
    d = base;
    snprintf(d.driver_version, sizeof d.driver_version, "3.1+debian2");
    ck_assert_uint_ne(key, ewcl_program_cache_key(&d, "-DX=1", source, sizeof source - 1));
    ck_assert_uint_ne(key, ewcl_program_cache_key(&base, "-DX=2", source, sizeof source - 1));
    ck_assert_uint_ne(key, ewcl_program_cache_key(&base, "-DX=1", source, sizeof source - 2));
    const char other[] = "__kernel void k(void) {;}";
    ck_assert_uint_ne(key, ewcl_program_cache_key(&base, "-DX=1", other, sizeof other - 1));

    /* Field boundaries matter: moving a character from one field to the next changes it. */
    ewcl_device_info a = base, b = base;
    snprintf(a.name, sizeof a.name, "ab");
    snprintf(a.driver_version, sizeof a.driver_version, "c");
    snprintf(b.name, sizeof b.name, "a");
    snprintf(b.driver_version, sizeof b.driver_version, "bc");
    ck_assert_uint_ne(ewcl_program_cache_key(&a, "", source, 3),
                      ewcl_program_cache_key(&b, "", source, 3));
}
END_TEST

START_TEST(cache_entry_round_trip_and_rejections)
{
    const char *dir = ewcl_test_make_temp_dir("cache-entry");
    char cache[4096], path[4300];
    snprintf(cache, sizeof cache, "%s/a/b", dir);
    ck_assert(ewcl_program_cache_path(cache, "reduce", 0x0123456789abcdefull, path,
                                      sizeof path));
    ck_assert_ptr_nonnull(strstr(path, "/a/b/reduce-0123456789abcdef.bin"));

    unsigned char binary[300];
    for (size_t i = 0; i < sizeof binary; i++)
        binary[i] = (unsigned char)(i * 7 + 3);
    unsigned char *read = NULL;
    size_t size = 0;
    char why[256];
    ck_assert_int_eq(ewcl_program_cache_read(path, 1, &read, &size, why, sizeof why),
                     EWCL_CACHE_MISS);
    ck_assert_int_eq(ewcl_program_cache_write(cache, path, 1, binary, sizeof binary, NULL),
                     EWCL_OK);
    ck_assert_int_eq(ewcl_program_cache_read(path, 1, &read, &size, why, sizeof why),
                     EWCL_CACHE_HIT);
    ck_assert_uint_eq(size, sizeof binary);
    ck_assert(memcmp(read, binary, size) == 0);
    free(read);

    /* The layout is the documented one: magic, key, size, CRC-32, then the bytes. */
    size_t file_size = 0;
    char *file = ewcl_test_read_file(path, &file_size);
    ck_assert_uint_eq(file_size, 28 + sizeof binary);
    ck_assert(memcmp(file, "EWCLPRG1", 8) == 0);
    ck_assert_int_eq((unsigned char)file[8], 1);
    ck_assert_int_eq((unsigned char)file[16], sizeof binary & 0xff);
    ck_assert_int_eq((unsigned char)file[17], sizeof binary >> 8);

    /* Another key: foreign. */
    ck_assert_int_eq(ewcl_program_cache_read(path, 2, &read, &size, why, sizeof why),
                     EWCL_CACHE_REJECTED);
    ck_assert_ptr_null(read);
    ck_assert_ptr_nonnull(strstr(why, "another"));
    /* A flipped payload byte: CRC. */
    file[100] ^= 1;
    ewcl_test_write_file(path, file, file_size);
    ck_assert_int_eq(ewcl_program_cache_read(path, 1, &read, &size, why, sizeof why),
                     EWCL_CACHE_REJECTED);
    ck_assert_ptr_nonnull(strstr(why, "CRC"));
    file[100] ^= 1;
    /* Truncated payload, truncated header, trailing bytes, wrong magic. */
    ewcl_test_write_file(path, file, file_size - 1);
    ck_assert_int_eq(ewcl_program_cache_read(path, 1, &read, &size, why, sizeof why),
                     EWCL_CACHE_REJECTED);
    ewcl_test_write_file(path, file, 10);
    ck_assert_int_eq(ewcl_program_cache_read(path, 1, &read, &size, why, sizeof why),
                     EWCL_CACHE_REJECTED);
    char *longer = malloc(file_size + 1);
    memcpy(longer, file, file_size);
    longer[file_size] = 0;
    ewcl_test_write_file(path, longer, file_size + 1);
    free(longer);
    ck_assert_int_eq(ewcl_program_cache_read(path, 1, &read, &size, why, sizeof why),
                     EWCL_CACHE_REJECTED);
    file[0] = 'X';
    ewcl_test_write_file(path, file, file_size);
    ck_assert_int_eq(ewcl_program_cache_read(path, 1, &read, &size, why, sizeof why),
                     EWCL_CACHE_REJECTED);
    /* A size field claiming terabytes must not be trusted with an allocation. */
    file[0] = 'E';
    memset(file + 16, 0xff, 8);
    ewcl_test_write_file(path, file, file_size);
    ck_assert_int_eq(ewcl_program_cache_read(path, 1, &read, &size, why, sizeof why),
                     EWCL_CACHE_REJECTED);
    free(file);

    /* A write over a damaged entry replaces it whole. */
    ck_assert_int_eq(ewcl_program_cache_write(cache, path, 1, binary, sizeof binary, NULL),
                     EWCL_OK);
    ck_assert_int_eq(ewcl_program_cache_read(path, 1, &read, &size, why, sizeof why),
                     EWCL_CACHE_HIT);
    free(read);
    ewcl_test_remove_tree(dir);
}
END_TEST

static ewcl_device_info device_of(ewcl_device_type type, ewcl_hw_vendor vendor,
                                  size_t max_work_group)
{
    ewcl_device_info d = sample_device();
    d.type = type;
    d.hw_vendor = vendor;
    d.max_work_group_size = max_work_group;
    d.preferred_vector_width_float = 16;
    return d;
}

START_TEST(profiles_follow_the_device_and_overrides_win)
{
    ewcl_profile p;
    ewcl_device_info cpu = device_of(EWCL_DEVICE_CPU, EWCL_VENDOR_AMD, 4096);
    ck_assert_int_eq(ewcl_profile_derive(&cpu, NULL, &p, NULL), EWCL_OK);
    ck_assert_int_eq(p.gemm_engine, EWCL_GEMM_NATIVE);
    /* The CPU kernel: one work-item per 8×32 block of C (opencl-cpu.md). */
    ck_assert_uint_eq(p.gemm_work_m, 8);
    ck_assert_uint_eq(p.gemm_work_n, 32);
    ck_assert_uint_eq(p.vector_width, 16);
    /* One work-item per work-group (tile as wide as the block): cl/gemm.cl's CPU design. */
    ck_assert_uint_eq(p.gemm_tile_n, p.gemm_work_n);
    /* AVX2: float8 vectors, a panel two of them wide, 4-row blocks for 16 registers. */
    ewcl_device_info avx2 = cpu;
    avx2.preferred_vector_width_float = 8;
    ck_assert_int_eq(ewcl_profile_derive(&avx2, NULL, &p, NULL), EWCL_OK);
    ck_assert_uint_eq(p.vector_width, 8);
    ck_assert_uint_eq(p.gemm_work_n, 16);
    ck_assert_uint_eq(p.gemm_tile_n, 16);
    ck_assert_uint_eq(p.gemm_work_m, 4);
    /* 16 KiB of local memory: the CPU GEMM's copied slices of B halve to 128 × 32 floats. */
    ewcl_device_info small_local = cpu;
    small_local.local_mem_bytes = 16 * 1024;
    ck_assert_int_eq(ewcl_profile_derive(&small_local, NULL, &p, NULL), EWCL_OK);
    ck_assert_uint_eq((uint64_t)p.gemm_tile_k * p.gemm_tile_n * sizeof(float), 16 * 1024);

    ewcl_device_info nvidia = device_of(EWCL_DEVICE_GPU, EWCL_VENDOR_NVIDIA, 1024);
    ck_assert_int_eq(ewcl_profile_derive(&nvidia, NULL, &p, NULL), EWCL_OK);
    ck_assert_int_eq(p.gemm_engine, EWCL_GEMM_CLBLAST);
    ck_assert_uint_eq(p.work_group_multiple, 32);
    ewcl_device_info amd = device_of(EWCL_DEVICE_GPU, EWCL_VENDOR_AMD, 256);
    ck_assert_int_eq(ewcl_profile_derive(&amd, NULL, &p, NULL), EWCL_OK);
    ck_assert_uint_eq(p.work_group_multiple, 64);
    ck_assert_uint_le(p.work_group_size, 256);

    /* A small device: every work-group shrinks to fit. */
    ewcl_device_info small = device_of(EWCL_DEVICE_GPU, EWCL_VENDOR_OTHER, 64);
    ck_assert_int_eq(ewcl_profile_derive(&small, NULL, &p, NULL), EWCL_OK);
    ck_assert_uint_le(p.work_group_size, 64);
    ck_assert_uint_le((p.gemm_tile_m / p.gemm_work_m) * (p.gemm_tile_n / p.gemm_work_n), 64);
    /* A GPU outside CLBlast's tuning database: the engine is left to the timed probe. */
    ck_assert_int_eq(p.gemm_engine, EWCL_GEMM_AUTO);

    ewcl_profile_overrides o;
    memset(&o, 0, sizeof o);
    o.gemm_engine = EWCL_GEMM_CLBLAST;
    o.work_group_size = 128;
    ck_assert_int_eq(ewcl_profile_derive(&cpu, &o, &p, NULL), EWCL_OK);
    ck_assert_int_eq(p.gemm_engine, EWCL_GEMM_CLBLAST);
    ck_assert_uint_eq(p.work_group_size, 128);
    ck_assert_uint_eq(p.gemm_work_n, 32); /* untouched fields keep the derived value */

    ewcl_error err;
    memset(&o, 0, sizeof o);
    o.gemm_tile_m = 12; /* not a multiple of the 8-row block */
    ck_assert_int_eq(ewcl_profile_derive(&cpu, &o, &p, &err), EWCL_ERR_INVALID_ARGUMENT);
    memset(&o, 0, sizeof o);
    o.vector_width = 3;
    ck_assert_int_eq(ewcl_profile_derive(&cpu, &o, &p, &err), EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "vector width 3"));
    memset(&o, 0, sizeof o);
    o.work_group_size = 8192;
    ck_assert_int_eq(ewcl_profile_derive(&cpu, &o, &p, &err), EWCL_ERR_INVALID_ARGUMENT);

    char options[1024];
    ck_assert_int_eq(ewcl_profile_derive(&cpu, NULL, &p, NULL), EWCL_OK);
    ewcl_profile_build_options(&p, options, sizeof options);
    ck_assert_ptr_nonnull(strstr(options, "-DEWCL_WG=64 "));
    ck_assert_ptr_nonnull(strstr(options, "-DEWCL_GEMM_WN=32 "));
}
END_TEST

START_TEST(environment_fills_options_only_when_asked)
{
    setenv("EWCL_DEVICE", "runtime:pocl,name:basic", 1);
    setenv("EWCL_KERNEL_DIR", "/k", 1);
    setenv("EWCL_CL_BUILD_OPTIONS", "-DFOO", 1);
    setenv("EWCL_CACHE_DIR", "/c", 1);
    unsetenv("EWCL_NO_CACHE");
    ewcl_runtime_options o;
    ewcl_runtime_options_default(&o);
    ck_assert_str_eq(o.device, ""); /* defaults never read the environment */
    ck_assert_str_eq(o.cache_dir, "");
    ewcl_options_apply_env(&o);
    ck_assert_str_eq(o.device, "runtime:pocl,name:basic");
    ck_assert_str_eq(o.kernel_dir, "/k");
    ck_assert_str_eq(o.build_options, "-DFOO");
    ck_assert_str_eq(o.cache_dir, "/c");

    unsetenv("EWCL_CACHE_DIR");
    setenv("XDG_CACHE_HOME", "/xdg", 1);
    ewcl_options_apply_env(&o);
    ck_assert_str_eq(o.cache_dir, "/xdg/ewcl");
    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", "/home/u", 1);
    ewcl_options_apply_env(&o);
    ck_assert_str_eq(o.cache_dir, "/home/u/.cache/ewcl");
    setenv("EWCL_NO_CACHE", "1", 1);
    ewcl_options_apply_env(&o);
    ck_assert_str_eq(o.cache_dir, "");
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("runtime-host");
    TCase *tc = tcase_create("host");
    tcase_add_test(tc, embedded_bytes_equal_the_files_in_cl);
    tcase_add_test(tc, every_file_in_cl_is_embedded);
    tcase_add_test(tc, program_source_is_headers_then_the_program);
    tcase_add_test(tc, cache_key_is_stable_and_sees_every_field);
    tcase_add_test(tc, cache_entry_round_trip_and_rejections);
    tcase_add_test(tc, profiles_follow_the_device_and_overrides_win);
    tcase_add_test(tc, environment_fills_options_only_when_asked);
    suite_add_tcase(suite, tc);
    return ewcl_test_run(suite);
}
