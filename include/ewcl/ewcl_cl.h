/* ewcl — interop with a caller's OpenCL objects. The only public header that includes
 * <CL/cl.h>; everything else in ewcl's API is plain C.
 *
 *   // adopt a context, device and queue the application already has
 *   ewcl_runtime *rt = NULL;
 *   ewcl_runtime_create_from_cl(ctx, dev, queue, &opts, &rt, &err);
 *   ...
 *   ewcl_runtime_destroy(rt);   // ctx, dev and queue are still the caller's, alive
 */
#ifndef EWCL_CL_H
#define EWCL_CL_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include "ewcl/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Adopts a caller's context, device and in-order queue. The runtime retains each and
 * releases only what it retained, so the caller's objects outlive it. `options->device` is
 * ignored (the device is given). */
EWCL_API ewcl_status ewcl_runtime_create_from_cl(cl_context context, cl_device_id device,
                                                 cl_command_queue queue,
                                                 const ewcl_runtime_options *options,
                                                 ewcl_runtime **out, ewcl_error *err);

EWCL_API cl_context ewcl_runtime_cl_context(const ewcl_runtime *runtime);
EWCL_API cl_device_id ewcl_runtime_cl_device(const ewcl_runtime *runtime);
EWCL_API cl_command_queue ewcl_runtime_cl_queue(const ewcl_runtime *runtime);

/* A new kernel object from program `program_name` (built on first use); the caller
 * releases it with clReleaseKernel. */
EWCL_API ewcl_status ewcl_runtime_create_kernel(ewcl_runtime *runtime, const char *program_name,
                                                const char *kernel_name, cl_kernel *out);

#ifdef __cplusplus
}
#endif
#endif
