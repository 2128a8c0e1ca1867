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

#include "ewcl/data.h"
#include "ewcl/nn.h"
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

/* Matrix product on the runtime's queue, row-major: C = alpha·op(A)·op(B) + beta·C.
 * op(A) is m×k, op(B) k×n, C m×n; offsets and leading dimensions count floats:
 *   A: a[a_offset + i·lda + p] (lda ≥ k), or transposed a[a_offset + p·lda + i] (lda ≥ m)
 *   B: b[b_offset + p·ldb + j] (ldb ≥ n), or transposed b[b_offset + j·ldb + p] (ldb ≥ k)
 *   C: c[c_offset + i·ldc + j] (ldc ≥ n)
 * beta = 0 does not read C (as in BLAS). The engine is ewcl's own cl/gemm.cl (NATIVE),
 * CLBlast, or AUTO: the device profile's choice. Only enqueues; shapes, leading dimensions
 * and buffer sizes are checked first (EWCL_ERR_INVALID_ARGUMENT).
 *
 *   ewcl_gemm_args g = {.trans_a = EWCL_NO_TRANS, .trans_b = EWCL_TRANS, .m = 128,
 *                       .n = 1024, .k = 400, .alpha = 1, .beta = 0, .a = delta, .lda = 400,
 *                       .b = weights, .ldb = 400, .c = out, .ldc = 1024};
 *   ewcl_gemm(rt, EWCL_GEMM_AUTO, &g);
 */
typedef enum ewcl_transpose { EWCL_NO_TRANS = 0, EWCL_TRANS = 1 } ewcl_transpose;

typedef struct ewcl_gemm_args {
    ewcl_transpose trans_a, trans_b;
    size_t m, n, k;
    float alpha, beta;
    cl_mem a;
    size_t a_offset, lda;
    cl_mem b;
    size_t b_offset, ldb;
    cl_mem c;
    size_t c_offset, ldc;
} ewcl_gemm_args;

EWCL_API ewcl_status ewcl_gemm(ewcl_runtime *runtime, ewcl_gemm_engine engine,
                               const ewcl_gemm_args *args);

/* The model's device buffers, for integrators: the flat parameter and gradient vectors
 * (ewcl_mlp_parameter_count floats from offset 0, layout per ewcl_mlp_layer_info), and the
 * batch inputs (max_batch × input_size floats) and labels (max_batch cl_ints) that
 * ewcl_mlp_forward and ewcl_mlp_loss read, so a pipeline can fill them on the device. The
 * model keeps ownership. */
EWCL_API cl_mem ewcl_mlp_cl_parameters(const ewcl_mlp *mlp);
EWCL_API cl_mem ewcl_mlp_cl_gradients(const ewcl_mlp *mlp);
EWCL_API cl_mem ewcl_mlp_cl_inputs(const ewcl_mlp *mlp);
EWCL_API cl_mem ewcl_mlp_cl_labels(const ewcl_mlp *mlp);

/* Batches from a dataset on the device (ewcl/data.h). ewcl_dataset_gather writes `batch`
 * inputs into `inputs` (batch × input_size floats from offset 0): input p of row i is the
 * normalised, padded pixel permutation[p] of image indices[i]. `permutation` holds
 * input_size cl_uints below input_size (a larger value reads as padding); NULL is the
 * identity. The labels go to `labels` (batch cl_ints from offset 0; NULL: none). Both
 * outputs may be the model's own buffers, ewcl_mlp_cl_inputs and ewcl_mlp_cl_labels. Only
 * enqueues (two kernels); the index list is the one copy from the host, and `indices` may
 * be reused as soon as the call returns. An index ≥ ewcl_dataset_count is
 * EWCL_ERR_INVALID_ARGUMENT before anything is enqueued; errors go to the runtime's record.
 *
 *   cl_mem perm = NULL;
 *   ewcl_task_permutation(&gen, task, host_perm, ewcl_dataset_input_size(ds), &err);
 *   ewcl_permutation_upload(rt, host_perm, ewcl_dataset_input_size(ds), &perm);  // per task
 *   ewcl_dataset_gather(ds, perm, order + b * 128, 128, ewcl_mlp_cl_inputs(mlp),
 *                       ewcl_mlp_cl_labels(mlp));                              // per batch
 *   clReleaseMemObject(perm);
 */
EWCL_API ewcl_status ewcl_dataset_gather(ewcl_dataset *dataset, cl_mem permutation,
                                         const uint32_t *indices, size_t batch, cl_mem inputs,
                                         cl_mem labels);

/* A new device buffer of `size` cl_uints holding `perm`, after checking that it is a
 * permutation of 0 … size−1 (EWCL_ERR_INVALID_ARGUMENT otherwise). The caller releases it
 * with clReleaseMemObject. */
EWCL_API ewcl_status ewcl_permutation_upload(ewcl_runtime *runtime, const uint32_t *perm,
                                             size_t size, cl_mem *out);

#ifdef __cplusplus
}
#endif
#endif
