/* The runtime object: one device, one context, one in-order queue, and its programs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/error_internal.h"
#include "runtime/runtime_internal.h"

void ewcl_runtime_log(const ewcl_runtime *runtime, ewcl_log_level level, const char *format,
                      ...)
{
    if (runtime == NULL || runtime->options.log == NULL)
        return;
    char message[4096];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    runtime->options.log(runtime->options.log_user, level, message);
}

/* Allocates the runtime and fills what does not need OpenCL objects yet. */
static ewcl_status runtime_alloc(const ewcl_runtime_options *options, ewcl_runtime **out,
                                 ewcl_error *err)
{
    ewcl_runtime *rt = calloc(1, sizeof *rt);
    if (rt == NULL)
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory creating the runtime");
    if (options != NULL)
        rt->options = *options;
    else
        ewcl_runtime_options_default(&rt->options);
    rt->programs = calloc(ewcl_program_count(), sizeof *rt->programs);
    if (rt->programs == NULL) {
        free(rt);
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory creating the runtime");
    }
    rt->cache_enabled = rt->options.cache_dir[0] != '\0';
    *out = rt;
    return EWCL_OK;
}

/* Profile and build options, once the device record is known. */
static ewcl_status runtime_configure(ewcl_runtime *rt, ewcl_error *err)
{
    ewcl_status status = ewcl_profile_derive(&rt->device, &rt->options.profile, &rt->profile,
                                             err);
    if (status != EWCL_OK)
        return status;
    rt->gemm_choice = rt->profile.gemm_engine;
    char profile_options[1024];
    ewcl_profile_build_options(&rt->profile, profile_options, sizeof profile_options);
    /* Never -cl-fast-relaxed-math by default: results must agree across devices. */
    snprintf(rt->build_options, sizeof rt->build_options, "-cl-std=CL1.2 %s%s%s",
             profile_options, rt->options.build_options[0] ? " " : "",
             rt->options.build_options);
    return EWCL_OK;
}

ewcl_status ewcl_runtime_create(const ewcl_runtime_options *options, ewcl_runtime **out,
                                ewcl_error *err)
{
    if (out == NULL)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "ewcl_runtime_create: NULL output");
    *out = NULL;
    ewcl_runtime *rt = NULL;
    ewcl_status status = runtime_alloc(options, &rt, err);
    if (status != EWCL_OK)
        return status;
    status = ewcl_device_open(rt->options.device, &rt->device, &rt->platform, &rt->device_id,
                              err);
    if (status == EWCL_OK)
        status = runtime_configure(rt, err);
    if (status == EWCL_OK) {
        cl_int rc = CL_SUCCESS;
        const cl_context_properties properties[] = {
            CL_CONTEXT_PLATFORM, (cl_context_properties)rt->platform, 0};
        rt->context = clCreateContext(properties, 1, &rt->device_id, NULL, NULL, &rc);
        if (rc != CL_SUCCESS)
            status = EWCL_FAIL_CL(err, rc, "clCreateContext on '%s'", rt->device.name);
    }
    if (status == EWCL_OK) {
        cl_int rc = CL_SUCCESS;
        const cl_command_queue_properties queue_properties =
            rt->options.profiling ? CL_QUEUE_PROFILING_ENABLE : 0;
        rt->queue = clCreateCommandQueue(rt->context, rt->device_id, queue_properties, &rc);
        if (rc != CL_SUCCESS)
            status = EWCL_FAIL_CL(err, rc, "clCreateCommandQueue on '%s'", rt->device.name);
    }
    if (status != EWCL_OK) {
        ewcl_runtime_destroy(rt);
        return status;
    }
    *out = rt;
    return EWCL_OK;
}

/* The device and context a caller's queue belongs to must be the ones it passed. */
static ewcl_status check_adopted(cl_context context, cl_device_id device,
                                 cl_command_queue queue, ewcl_error *err)
{
    cl_context queue_context = NULL;
    cl_device_id queue_device = NULL;
    cl_int rc = clGetCommandQueueInfo(queue, CL_QUEUE_CONTEXT, sizeof queue_context,
                                      &queue_context, NULL);
    if (rc == CL_SUCCESS)
        rc = clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof queue_device, &queue_device,
                                   NULL);
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(err, rc, "clGetCommandQueueInfo on the adopted queue");
    if (queue_context != context || queue_device != device)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "the adopted queue belongs to another context or device");
    return EWCL_OK;
}

/* Uses the caller's queue when it is in-order; otherwise makes an in-order one of our own
 * on the caller's context, since every op relies on in-order execution. */
static ewcl_status adopt_queue(ewcl_runtime *rt, cl_command_queue queue, ewcl_error *err)
{
    cl_command_queue_properties properties = 0;
    cl_int rc = clGetCommandQueueInfo(queue, CL_QUEUE_PROPERTIES, sizeof properties,
                                      &properties, NULL);
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(err, rc, "clGetCommandQueueInfo(CL_QUEUE_PROPERTIES)");
    if (!(properties & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE)) {
        rc = clRetainCommandQueue(queue);
        if (rc != CL_SUCCESS)
            return EWCL_FAIL_CL(err, rc, "clRetainCommandQueue");
        rt->queue = queue;
        return EWCL_OK;
    }
    const cl_command_queue_properties own =
        rt->options.profiling ? CL_QUEUE_PROFILING_ENABLE : 0;
    rt->queue = clCreateCommandQueue(rt->context, rt->device_id, own, &rc);
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(err, rc, "clCreateCommandQueue (in-order twin of the caller's)");
    return EWCL_OK;
}

ewcl_status ewcl_runtime_create_from_cl(cl_context context, cl_device_id device,
                                        cl_command_queue queue,
                                        const ewcl_runtime_options *options,
                                        ewcl_runtime **out, ewcl_error *err)
{
    if (out == NULL || context == NULL || device == NULL || queue == NULL)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "ewcl_runtime_create_from_cl: NULL context, device, queue or output");
    *out = NULL;
    ewcl_status status = check_adopted(context, device, queue, err);
    cl_platform_id platform = NULL;
    if (status == EWCL_OK) {
        cl_int rc = clGetDeviceInfo(device, CL_DEVICE_PLATFORM, sizeof platform, &platform,
                                    NULL);
        if (rc != CL_SUCCESS)
            status = EWCL_FAIL_CL(err, rc, "clGetDeviceInfo(CL_DEVICE_PLATFORM)");
    }
    ewcl_runtime *rt = NULL;
    if (status == EWCL_OK)
        status = runtime_alloc(options, &rt, err);
    if (status != EWCL_OK)
        return status;
    status = ewcl_device_query(platform, device, &rt->device, err);
    /* The caller's device is not numbered by our enumeration. */
    rt->device.index = rt->device.platform_index = rt->device.device_index = -1;
    if (status == EWCL_OK)
        status = runtime_configure(rt, err);
    if (status == EWCL_OK) {
        cl_int rc = clRetainContext(context);
        if (rc == CL_SUCCESS) {
            rt->context = context;
            rc = clRetainDevice(device);
        }
        if (rc == CL_SUCCESS)
            rt->device_id = device;
        else
            status = EWCL_FAIL_CL(err, rc, "retaining the caller's context or device");
    }
    rt->platform = platform;
    if (status == EWCL_OK)
        status = adopt_queue(rt, queue, err);
    if (status != EWCL_OK) {
        ewcl_runtime_destroy(rt);
        return status;
    }
    *out = rt;
    return EWCL_OK;
}

void ewcl_runtime_destroy(ewcl_runtime *rt)
{
    if (rt == NULL)
        return;
    /* Work still queued would hold its kernels, buffers and context past the release, and
     * an adopted context's reference count would not be back where the caller left it. */
    if (rt->queue != NULL)
        clFinish(rt->queue);
    ewcl_trace_clear(rt);
    for (size_t i = 0; i < rt->kernel_count; i++)
        clReleaseKernel(rt->kernels[i].kernel);
    free(rt->kernels);
    for (size_t i = 0; rt->programs != NULL && i < ewcl_program_count(); i++)
        if (rt->programs[i].program != NULL)
            clReleaseProgram(rt->programs[i].program);
    free(rt->programs);
    if (rt->queue != NULL)
        clReleaseCommandQueue(rt->queue);
    if (rt->context != NULL)
        clReleaseContext(rt->context);
    if (rt->device_id != NULL)
        clReleaseDevice(rt->device_id);
    free(rt);
}

const ewcl_device_info *ewcl_runtime_device(const ewcl_runtime *rt)
{
    return rt != NULL ? &rt->device : NULL;
}

const ewcl_profile *ewcl_runtime_profile(const ewcl_runtime *rt)
{
    return rt != NULL ? &rt->profile : NULL;
}

const ewcl_error *ewcl_runtime_error(const ewcl_runtime *rt)
{
    return rt != NULL ? &rt->error : NULL;
}

cl_context ewcl_runtime_cl_context(const ewcl_runtime *rt)
{
    return rt != NULL ? rt->context : NULL;
}

cl_device_id ewcl_runtime_cl_device(const ewcl_runtime *rt)
{
    return rt != NULL ? rt->device_id : NULL;
}

cl_command_queue ewcl_runtime_cl_queue(const ewcl_runtime *rt)
{
    return rt != NULL ? rt->queue : NULL;
}

void ewcl_runtime_program_stats(const ewcl_runtime *rt, ewcl_program_stats *out)
{
    if (rt != NULL && out != NULL)
        *out = rt->stats;
}

ewcl_status ewcl_runtime_finish(ewcl_runtime *rt)
{
    if (rt == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    cl_int rc = clFinish(rt->queue);
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(&rt->error, rc, "clFinish on '%s'", rt->device.name);
    return EWCL_OK;
}
