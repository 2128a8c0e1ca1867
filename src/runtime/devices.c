/* Device enumeration: every device of every OpenCL platform, as ewcl_device_info records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/error_internal.h"
#include "runtime/runtime_internal.h"

/* Reads a string query into a fixed buffer; a failing query leaves "" (drivers differ in
 * what they answer, and a missing name must not make the device disappear). */
static void query_string(cl_device_id device, cl_device_info param, char *buffer, size_t size)
{
    buffer[0] = '\0';
    if (clGetDeviceInfo(device, param, size, buffer, NULL) != CL_SUCCESS)
        buffer[0] = '\0';
    buffer[size - 1] = '\0';
}

static void query_platform_string(cl_platform_id platform, cl_platform_info param, char *buffer,
                                  size_t size)
{
    buffer[0] = '\0';
    if (clGetPlatformInfo(platform, param, size, buffer, NULL) != CL_SUCCESS)
        buffer[0] = '\0';
    buffer[size - 1] = '\0';
}

/* "OpenCL C 1.2 PoCL" → 1, 2; anything unparsable → 0.0 (then the device is not usable). */
static void parse_opencl_c_version(const char *text, int *major, int *minor)
{
    *major = 0;
    *minor = 0;
    const char *p = strstr(text, "OpenCL C ");
    if (p != NULL && sscanf(p + strlen("OpenCL C "), "%d.%d", major, minor) != 2) {
        *major = 0;
        *minor = 0;
    }
}

static ewcl_device_type classify_type(cl_device_type type)
{
    const cl_device_type kinds = type & (CL_DEVICE_TYPE_CPU | CL_DEVICE_TYPE_GPU |
                                         CL_DEVICE_TYPE_ACCELERATOR);
    if (kinds == CL_DEVICE_TYPE_CPU)
        return EWCL_DEVICE_CPU;
    if (kinds == CL_DEVICE_TYPE_GPU)
        return EWCL_DEVICE_GPU;
    /* An accelerator, or a simulator claiming several kinds at once (Oclgrind). */
    if (kinds != 0)
        return EWCL_DEVICE_ACCELERATOR;
    return EWCL_DEVICE_OTHER;
}

ewcl_status ewcl_device_query(cl_platform_id platform, cl_device_id device,
                              ewcl_device_info *out, ewcl_error *err)
{
    memset(out, 0, sizeof *out);
    query_platform_string(platform, CL_PLATFORM_NAME, out->platform_name,
                          sizeof out->platform_name);
    query_platform_string(platform, CL_PLATFORM_VERSION, out->platform_version,
                          sizeof out->platform_version);
    query_string(device, CL_DEVICE_NAME, out->name, sizeof out->name);
    query_string(device, CL_DEVICE_VENDOR, out->vendor, sizeof out->vendor);
    query_string(device, CL_DRIVER_VERSION, out->driver_version, sizeof out->driver_version);
    query_string(device, CL_DEVICE_OPENCL_C_VERSION, out->opencl_c_version,
                 sizeof out->opencl_c_version);
    parse_opencl_c_version(out->opencl_c_version, &out->opencl_c_major, &out->opencl_c_minor);

    cl_device_type type = 0;
    cl_uint vendor_id = 0, units = 0, clock = 0, vector_width = 0;
    cl_ulong global_mem = 0, max_alloc = 0, local_mem = 0;
    size_t max_wg = 0;
    cl_bool unified = CL_FALSE, compiler = CL_FALSE;
    cl_int rc = clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(err, rc, "clGetDeviceInfo(CL_DEVICE_TYPE) on '%s'", out->name);
    /* The rest are optional for classification: a failure leaves 0, which the usability
     * check then reports. */
    clGetDeviceInfo(device, CL_DEVICE_VENDOR_ID, sizeof vendor_id, &vendor_id, NULL);
    clGetDeviceInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL);
    clGetDeviceInfo(device, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof clock, &clock, NULL);
    clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global_mem, &global_mem, NULL);
    clGetDeviceInfo(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc, &max_alloc, NULL);
    clGetDeviceInfo(device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local_mem, &local_mem, NULL);
    clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof max_wg, &max_wg, NULL);
    clGetDeviceInfo(device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, sizeof vector_width,
                    &vector_width, NULL);
    clGetDeviceInfo(device, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL);
    clGetDeviceInfo(device, CL_DEVICE_COMPILER_AVAILABLE, sizeof compiler, &compiler, NULL);

    out->vendor_id = vendor_id;
    out->type = classify_type(type);
    out->unified_memory = unified == CL_TRUE;
    out->runtime = ewcl_classify_runtime(out->platform_name);
    out->hw_vendor = ewcl_classify_vendor(out->vendor, vendor_id);
    out->compute_units = units;
    out->clock_mhz = clock;
    out->global_mem_bytes = global_mem;
    out->max_alloc_bytes = max_alloc;
    out->local_mem_bytes = local_mem;
    out->max_work_group_size = max_wg;
    out->preferred_vector_width_float = vector_width;
    out->compiler_available = compiler == CL_TRUE;
    ewcl_device_check_usable(out);
    return EWCL_OK;
}

static const char no_platform_hint[] =
    "install an OpenCL driver (e.g. the Debian package pocl-opencl-icd for the CPU), or "
    "point OCL_ICD_VENDORS at a folder of .icd files";

/* The platforms, or EWCL_ERR_NO_PLATFORM. *out is malloc'd. */
static ewcl_status list_platforms(cl_platform_id **out, cl_uint *count, ewcl_error *err)
{
    *out = NULL;
    *count = 0;
    cl_uint n = 0;
    cl_int rc = clGetPlatformIDs(0, NULL, &n);
    /* The ICD loader says CL_PLATFORM_NOT_FOUND_KHR (-1001) when it finds no vendor. */
    if (rc == -1001 || (rc == CL_SUCCESS && n == 0))
        return EWCL_FAIL(err, EWCL_ERR_NO_PLATFORM, "no OpenCL platform found: %s",
                         no_platform_hint);
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(err, rc, "clGetPlatformIDs (%s)", no_platform_hint);
    cl_platform_id *platforms = calloc(n, sizeof *platforms);
    if (platforms == NULL)
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory listing platforms");
    rc = clGetPlatformIDs(n, platforms, NULL);
    if (rc != CL_SUCCESS) {
        free(platforms);
        return EWCL_FAIL_CL(err, rc, "clGetPlatformIDs");
    }
    *out = platforms;
    *count = n;
    return EWCL_OK;
}

/* Devices of one platform; a platform with none (or whose driver fails) contributes none,
 * so that one broken ICD does not hide the others. *out is malloc'd or NULL. */
static void list_platform_devices(cl_platform_id platform, cl_device_id **out, cl_uint *count)
{
    *out = NULL;
    *count = 0;
    cl_uint n = 0;
    if (clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, NULL, &n) != CL_SUCCESS || n == 0)
        return;
    cl_device_id *devices = calloc(n, sizeof *devices);
    if (devices == NULL)
        return;
    if (clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, n, devices, NULL) != CL_SUCCESS) {
        free(devices);
        return;
    }
    *out = devices;
    *count = n;
}

typedef struct device_table {
    ewcl_device_info *infos;
    cl_platform_id *platforms;
    cl_device_id *devices;
    size_t count, capacity;
} device_table;

static void device_table_free(device_table *table)
{
    free(table->infos);
    free(table->platforms);
    free(table->devices);
}

static ewcl_status device_table_add(device_table *table, cl_platform_id platform,
                                    cl_device_id device, int platform_index, int device_index,
                                    ewcl_error *err)
{
    if (table->count == table->capacity) {
        size_t capacity = table->capacity ? 2 * table->capacity : 8;
        ewcl_device_info *infos = realloc(table->infos, capacity * sizeof *infos);
        if (infos != NULL)
            table->infos = infos;
        cl_platform_id *platforms = realloc(table->platforms, capacity * sizeof *platforms);
        if (platforms != NULL)
            table->platforms = platforms;
        cl_device_id *devices = realloc(table->devices, capacity * sizeof *devices);
        if (devices != NULL)
            table->devices = devices;
        if (infos == NULL || platforms == NULL || devices == NULL)
            return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory listing devices");
        table->capacity = capacity;
    }
    ewcl_device_info *info = &table->infos[table->count];
    ewcl_status status = ewcl_device_query(platform, device, info, err);
    if (status != EWCL_OK)
        return status;
    info->index = (int)table->count;
    info->platform_index = platform_index;
    info->device_index = device_index;
    table->platforms[table->count] = platform;
    table->devices[table->count] = device;
    table->count++;
    return EWCL_OK;
}

/* Every device of every platform, numbered in platform order then device order. */
static ewcl_status device_table_fill(device_table *table, ewcl_error *err)
{
    cl_platform_id *platforms = NULL;
    cl_uint platform_count = 0;
    ewcl_status status = list_platforms(&platforms, &platform_count, err);
    for (cl_uint p = 0; status == EWCL_OK && p < platform_count; p++) {
        cl_device_id *devices = NULL;
        cl_uint device_count = 0;
        list_platform_devices(platforms[p], &devices, &device_count);
        for (cl_uint d = 0; status == EWCL_OK && d < device_count; d++)
            status = device_table_add(table, platforms[p], devices[d], (int)p, (int)d, err);
        free(devices);
    }
    free(platforms);
    return status;
}

ewcl_status ewcl_devices_list(ewcl_device_info **out_list, size_t *out_count, ewcl_error *err)
{
    if (out_list == NULL || out_count == NULL)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "ewcl_devices_list: NULL output");
    *out_list = NULL;
    *out_count = 0;
    device_table table = {0};
    ewcl_status status = device_table_fill(&table, err);
    if (status == EWCL_OK) {
        *out_list = table.infos;
        *out_count = table.count;
        table.infos = NULL;
    }
    device_table_free(&table);
    return status;
}

void ewcl_devices_free(ewcl_device_info *list)
{
    free(list);
}

ewcl_status ewcl_device_open(const char *selector, ewcl_device_info *out_info,
                             cl_platform_id *out_platform, cl_device_id *out_device,
                             ewcl_error *err)
{
    device_table table = {0};
    ewcl_status status = device_table_fill(&table, err);
    size_t position = 0;
    if (status == EWCL_OK)
        status = ewcl_device_select(table.infos, table.count, selector, &position, err);
    if (status == EWCL_OK) {
        *out_info = table.infos[position];
        *out_platform = table.platforms[position];
        *out_device = table.devices[position];
    }
    device_table_free(&table);
    return status;
}
