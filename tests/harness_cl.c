/* Kernel launches for tests: the two-pass reduction of cl/reduce.cl. */
#include "harness_cl.h"

#include <stdlib.h>

static ewcl_status launch_pass(cl_command_queue queue, cl_kernel kernel, cl_mem in, cl_uint n,
                               cl_uint square, cl_mem out, size_t local_size, size_t groups)
{
    const cl_uint offset = 0;
    cl_int rc = clSetKernelArg(kernel, 0, sizeof in, &in);
    rc |= clSetKernelArg(kernel, 1, sizeof offset, &offset);
    rc |= clSetKernelArg(kernel, 2, sizeof n, &n);
    rc |= clSetKernelArg(kernel, 3, sizeof square, &square);
    rc |= clSetKernelArg(kernel, 4, sizeof out, &out);
    rc |= clSetKernelArg(kernel, 5, local_size * sizeof(float), NULL);
    if (rc != CL_SUCCESS)
        return EWCL_ERR_OPENCL;
    const size_t global = local_size * groups;
    rc = clEnqueueNDRangeKernel(queue, kernel, 1, NULL, &global, &local_size, 0, NULL, NULL);
    return rc == CL_SUCCESS ? EWCL_OK : EWCL_ERR_OPENCL;
}

ewcl_status ewcl_test_device_sum(ewcl_runtime *runtime, const float *x, size_t n, int square,
                                 size_t local_size, size_t groups, float *out)
{
    cl_context context = ewcl_runtime_cl_context(runtime);
    cl_command_queue queue = ewcl_runtime_cl_queue(runtime);
    cl_kernel kernel = NULL;
    ewcl_status status = ewcl_runtime_create_kernel(runtime, "reduce", "ewcl_reduce_partial",
                                                    &kernel);
    if (status != EWCL_OK)
        return status;
    cl_int rc = CL_SUCCESS;
    cl_mem input = clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                                  n * sizeof(float), (void *)x, &rc);
    cl_mem partials = clCreateBuffer(context, CL_MEM_READ_WRITE, groups * sizeof(float), NULL,
                                     &rc);
    cl_mem total = clCreateBuffer(context, CL_MEM_READ_WRITE, sizeof(float), NULL, &rc);
    if (input == NULL || partials == NULL || total == NULL)
        status = EWCL_ERR_OPENCL;
    if (status == EWCL_OK)
        status = launch_pass(queue, kernel, input, (cl_uint)n, (cl_uint)square, partials,
                             local_size, groups);
    if (status == EWCL_OK)
        status = launch_pass(queue, kernel, partials, (cl_uint)groups, 0, total, local_size, 1);
    if (status == EWCL_OK &&
        clEnqueueReadBuffer(queue, total, CL_TRUE, 0, sizeof(float), out, 0, NULL, NULL) !=
            CL_SUCCESS)
        status = EWCL_ERR_OPENCL;
    if (input != NULL)
        clReleaseMemObject(input);
    if (partials != NULL)
        clReleaseMemObject(partials);
    if (total != NULL)
        clReleaseMemObject(total);
    clReleaseKernel(kernel);
    return status;
}

double ewcl_test_host_sum(const float *x, size_t n, int square)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += square ? (double)x[i] * (double)x[i] : (double)x[i];
    return sum;
}

void ewcl_test_fill_uniform(float *x, size_t n, unsigned seed)
{
    unsigned long long state = seed * 2654435761ull + 1;
    for (size_t i = 0; i < n; i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((state >> 40) & 0xffffff) / 16777216.0f;
    }
}
