/* Programs: one per cl/<name>.cl, built once per runtime (lazily or all at once), through
 * the binary cache when the runtime has one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/error_internal.h"
#include "runtime/kernel_source.h"
#include "runtime/program_cache.h"
#include "runtime/runtime_internal.h"

static bool is_program_file(const char *file_name)
{
    const size_t n = strlen(file_name);
    return n > 3 && strcmp(file_name + n - 3, ".cl") == 0;
}

/* The embedded list in order, headers skipped. */
static const ewcl_kernel_file *program_file(size_t index)
{
    size_t seen = 0;
    for (size_t i = 0; i < ewcl_embedded_kernel_file_count; i++) {
        if (!is_program_file(ewcl_embedded_kernel_files[i].name))
            continue;
        if (seen++ == index)
            return &ewcl_embedded_kernel_files[i];
    }
    return NULL;
}

size_t ewcl_program_count(void)
{
    size_t count = 0;
    while (program_file(count) != NULL)
        count++;
    return count;
}

const char *ewcl_program_name(size_t index)
{
    const ewcl_kernel_file *file = program_file(index);
    return file != NULL ? file->stem : NULL;
}

static ewcl_status find_program(const char *program_name, size_t *index, ewcl_error *err)
{
    const size_t count = ewcl_program_count();
    for (size_t i = 0; i < count; i++) {
        if (strcmp(ewcl_program_name(i), program_name) == 0) {
            *index = i;
            return EWCL_OK;
        }
    }
    return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "no kernel program named '%s'",
                     program_name);
}

/* The build log, malloc'd; "" when the driver has none. */
static char *build_log(cl_program program, cl_device_id device)
{
    size_t size = 0;
    if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, NULL, &size) !=
            CL_SUCCESS ||
        size == 0)
        return calloc(1, 1);
    char *log = calloc(size + 1, 1);
    if (log != NULL &&
        clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, size, log, NULL) !=
            CL_SUCCESS)
        log[0] = '\0';
    return log;
}

/* The head of a build log for a one-line message: its lines joined by " | ". */
static void log_head(const char *log, char *out, size_t size)
{
    size_t n = 0;
    bool pending_separator = false;
    for (const char *p = log; *p != '\0' && n + 4 < size; p++) {
        if (*p == '\n' || *p == '\r') {
            pending_separator = n > 0;
            continue;
        }
        if (pending_separator) {
            memcpy(out + n, " | ", 3);
            n += 3;
            pending_separator = false;
        }
        out[n++] = *p;
    }
    out[n] = '\0';
}

static ewcl_status build_from_source(ewcl_runtime *rt, const char *name, const char *source,
                                     size_t size, cl_program *out)
{
    cl_int rc = CL_SUCCESS;
    cl_program program = clCreateProgramWithSource(rt->context, 1, &source, &size, &rc);
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(&rt->error, rc, "clCreateProgramWithSource for '%s'", name);
    rc = clBuildProgram(program, 1, &rt->device_id, rt->build_options, NULL, NULL);
    if (rc != CL_SUCCESS) {
        char *log = build_log(program, rt->device_id);
        char head[768];
        log_head(log != NULL ? log : "", head, sizeof head);
        ewcl_runtime_log(rt, EWCL_LOG_INFO, "build log of program '%s' on '%s':\n%s", name,
                         rt->device.name, log != NULL ? log : "");
        free(log);
        clReleaseProgram(program);
        ewcl_fail_at(&rt->error, EWCL_ERR_BUILD, __FILE__, __LINE__,
                     "cannot build program '%s' on device '%s' (%s): %s", name,
                     rt->device.name, ewcl_cl_error_name(rc), head);
        rt->error.cl_code = rc;
        return EWCL_ERR_BUILD;
    }
    *out = program;
    return EWCL_OK;
}

/* A program from a cached binary; false (and nothing held) when the driver refuses it. */
static bool build_from_binary(ewcl_runtime *rt, const unsigned char *binary, size_t size,
                              cl_program *out)
{
    cl_int rc = CL_SUCCESS, binary_status = CL_SUCCESS;
    cl_program program = clCreateProgramWithBinary(rt->context, 1, &rt->device_id, &size,
                                                   &binary, &binary_status, &rc);
    if (rc != CL_SUCCESS || binary_status != CL_SUCCESS)
        return false;
    if (clBuildProgram(program, 1, &rt->device_id, rt->build_options, NULL, NULL) !=
        CL_SUCCESS) {
        clReleaseProgram(program);
        return false;
    }
    *out = program;
    return true;
}

/* The device binary of a built program, malloc'd; NULL when the driver gives none. */
static unsigned char *program_binary(cl_program program, size_t *size)
{
    *size = 0;
    size_t binary_size = 0;
    if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof binary_size, &binary_size,
                         NULL) != CL_SUCCESS ||
        binary_size == 0)
        return NULL;
    unsigned char *binary = malloc(binary_size);
    if (binary == NULL)
        return NULL;
    if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof binary, &binary, NULL) !=
        CL_SUCCESS) {
        free(binary);
        return NULL;
    }
    *size = binary_size;
    return binary;
}

/* Writes the entry; an unwritable cache only switches caching off, with one warning. */
static void cache_store(ewcl_runtime *rt, const char *path, uint64_t key, cl_program program)
{
    size_t size = 0;
    unsigned char *binary = program_binary(program, &size);
    if (binary == NULL)
        return;
    ewcl_error err;
    if (ewcl_program_cache_write(rt->options.cache_dir, path, key, binary, size, &err) ==
        EWCL_OK) {
        rt->stats.cache_written++;
    } else {
        rt->cache_enabled = false;
        ewcl_runtime_log(rt, EWCL_LOG_WARNING, "program cache disabled: %s", err.message);
    }
    free(binary);
}

/* Tries the cache; true when `out` now holds a program built from a cached binary. */
static bool cache_load(ewcl_runtime *rt, const char *name, const char *path, uint64_t key,
                       cl_program *out)
{
    unsigned char *binary = NULL;
    size_t size = 0;
    char why[256] = "";
    ewcl_cache_lookup lookup = ewcl_program_cache_read(path, key, &binary, &size, why,
                                                       sizeof why);
    if (lookup == EWCL_CACHE_HIT && !build_from_binary(rt, binary, size, out)) {
        lookup = EWCL_CACHE_REJECTED;
        snprintf(why, sizeof why, "the driver refused the cached binary");
    }
    free(binary);
    if (lookup == EWCL_CACHE_REJECTED) {
        rt->stats.cache_rejected++;
        ewcl_runtime_log(rt, EWCL_LOG_WARNING, "ignoring cached program '%s' (%s): %s; rebuilding",
                         name, path, why);
    }
    if (lookup == EWCL_CACHE_HIT)
        rt->stats.loaded_from_cache++;
    return lookup == EWCL_CACHE_HIT;
}

static ewcl_status program_build(ewcl_runtime *rt, size_t index, cl_program *out)
{
    const char *name = ewcl_program_name(index);
    char *source = NULL;
    size_t size = 0;
    ewcl_status status = ewcl_kernel_source_load(rt->options.kernel_dir, name, &source, &size,
                                                 &rt->error);
    if (status != EWCL_OK)
        return status;
    const uint64_t key = ewcl_program_cache_key(&rt->device, rt->build_options, source, size);
    char path[EWCL_PATH_MAX + 128];
    const bool cacheable = rt->cache_enabled &&
                           ewcl_program_cache_path(rt->options.cache_dir, name, key, path,
                                                   sizeof path);
    if (cacheable && cache_load(rt, name, path, key, out)) {
        free(source);
        return EWCL_OK;
    }
    status = build_from_source(rt, name, source, size, out);
    free(source);
    if (status != EWCL_OK)
        return status;
    rt->stats.built_from_source++;
    if (cacheable)
        cache_store(rt, path, key, *out);
    return EWCL_OK;
}

ewcl_status ewcl_runtime_program(ewcl_runtime *rt, size_t index, cl_program *out)
{
    if (index >= ewcl_program_count())
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT, "no program %zu", index);
    ewcl_program_slot *slot = &rt->programs[index];
    if (slot->program == NULL) {
        ewcl_status status = program_build(rt, index, &slot->program);
        if (status != EWCL_OK)
            return status;
    }
    *out = slot->program;
    return EWCL_OK;
}

ewcl_status ewcl_runtime_warmup(ewcl_runtime *rt)
{
    if (rt == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    const size_t count = ewcl_program_count();
    for (size_t i = 0; i < count; i++) {
        cl_program program;
        ewcl_status status = ewcl_runtime_program(rt, i, &program);
        if (status != EWCL_OK)
            return status;
    }
    return EWCL_OK;
}

ewcl_status ewcl_runtime_kernel(ewcl_runtime *rt, const char *program_name,
                                const char *kernel_name, cl_kernel *out)
{
    for (size_t i = 0; i < rt->kernel_count; i++) {
        const ewcl_kernel_slot *slot = &rt->kernels[i];
        if (strcmp(slot->kernel_name, kernel_name) == 0 &&
            strcmp(slot->program_name, program_name) == 0) {
            *out = slot->kernel;
            return EWCL_OK;
        }
    }
    if (rt->kernel_count == rt->kernel_capacity) {
        const size_t capacity = rt->kernel_capacity ? 2 * rt->kernel_capacity : 32;
        ewcl_kernel_slot *grown = realloc(rt->kernels, capacity * sizeof *grown);
        if (grown == NULL)
            return EWCL_FAIL(&rt->error, EWCL_ERR_OUT_OF_MEMORY, "out of memory for kernels");
        rt->kernels = grown;
        rt->kernel_capacity = capacity;
    }
    cl_kernel kernel = NULL;
    ewcl_status status = ewcl_runtime_create_kernel(rt, program_name, kernel_name, &kernel);
    if (status != EWCL_OK)
        return status;
    rt->kernels[rt->kernel_count++] =
        (ewcl_kernel_slot){program_name, kernel_name, kernel};
    *out = kernel;
    return EWCL_OK;
}

ewcl_status ewcl_runtime_create_kernel(ewcl_runtime *rt, const char *program_name,
                                       const char *kernel_name, cl_kernel *out)
{
    if (rt == NULL || program_name == NULL || kernel_name == NULL || out == NULL)
        return rt != NULL ? EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                                      "ewcl_runtime_create_kernel: NULL argument")
                          : EWCL_ERR_INVALID_ARGUMENT;
    size_t index = 0;
    cl_program program = NULL;
    ewcl_status status = find_program(program_name, &index, &rt->error);
    if (status == EWCL_OK)
        status = ewcl_runtime_program(rt, index, &program);
    if (status != EWCL_OK)
        return status;
    cl_int rc = CL_SUCCESS;
    *out = clCreateKernel(program, kernel_name, &rc);
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(&rt->error, rc, "clCreateKernel '%s' in program '%s'", kernel_name,
                            program_name);
    return EWCL_OK;
}
