/* ewcl — interop with a caller's OpenCL objects. The only public header that includes
 * <CL/cl.h>; everything else in ewcl's API is plain C.
 *
 * What a pipeline gets: adoption of its context, device and queue; every device vector of
 * the model and of EWC as an ewcl_cl_span (cl_mem + offset + count); batches handed in as
 * its own cl_mem; events in and out of every op that enqueues work; and a low-level EWC
 * API (ewcl_ewc_state) for models that are not ewcl's MLP.
 *
 *   ewcl_runtime *rt = NULL;          // adopt what the application already has
 *   ewcl_runtime_create_from_cl(ctx, dev, queue, &opts, &rt, &err);
 *   ewcl_cl_batch b = {.inputs = my_x, .labels = my_y, .rows = 128};
 *   cl_event done = NULL;             // wait for my kernel, get an event back
 *   ewcl_mlp_evaluate_cl(mlp, &b, &(ewcl_cl_events){1, &my_kernel_done, &done});
 *   ewcl_cl_span logits = ewcl_mlp_cl_span(mlp, EWCL_MLP_LOGITS);
 *   clSetKernelArg(my_next, 0, sizeof logits.buffer, &logits.buffer);   // + offset
 *   clEnqueueNDRangeKernel(queue, my_next, 1, NULL, &n, NULL, 1, &done, NULL);
 *   clReleaseEvent(done);
 *   ...
 *   ewcl_runtime_destroy(rt);         // ctx, dev and queue are still the caller's, alive
 */
#ifndef EWCL_CL_H
#define EWCL_CL_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include "ewcl/data.h"
#include "ewcl/ewc.h"
#include "ewcl/nn.h"
#include "ewcl/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Adopts a caller's context, device and queue. The runtime retains each and releases only
 * what it retained, so the caller's objects outlive it. An in-order queue is used as it
 * is; an out-of-order one gets an in-order twin of ewcl's own on the same context (every
 * op relies on order): chain across the two with events (ewcl_cl_events below).
 * `options->device` is ignored (the device is given). */
EWCL_API ewcl_status ewcl_runtime_create_from_cl(cl_context context, cl_device_id device,
                                                 cl_command_queue queue,
                                                 const ewcl_runtime_options *options,
                                                 ewcl_runtime **out, ewcl_error *err);

EWCL_API cl_context ewcl_runtime_cl_context(const ewcl_runtime *runtime);
EWCL_API cl_device_id ewcl_runtime_cl_device(const ewcl_runtime *runtime);
EWCL_API cl_command_queue ewcl_runtime_cl_queue(const ewcl_runtime *runtime);

/* ---- Events and spans ---------------------------------------------------------------- */

/* Every op below that enqueues work takes `const ewcl_cl_events *events` as its last
 * argument (NULL: no waiting, no event); ewcl_gemm and ewcl_dataset_gather, older, have
 * _ev twins that take it. The op's commands start only after the `wait_count` events in
 * `wait` complete (events of the runtime's context, from any of its queues); when `done`
 * is not NULL it receives a new event that completes when the whole op has — the caller
 * releases it with clReleaseEvent. On error *done is NULL. Ops run on the runtime's
 * in-order queue: events cost two extra commands per op, and only when asked for. */
typedef struct ewcl_cl_events {
    cl_uint wait_count;
    const cl_event *wait;
    cl_event *done;
} ewcl_cl_events;

/* A vector on the device: elements [offset, offset + count) of `buffer` (floats, or
 * cl_ints for labels). The owner keeps the buffer; it lives as long as the object that
 * returned the span. A NULL buffer means no such vector. */
typedef struct ewcl_cl_span {
    cl_mem buffer;
    size_t offset;
    size_t count;
} ewcl_cl_span;

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
EWCL_API ewcl_status ewcl_gemm_ev(ewcl_runtime *runtime, ewcl_gemm_engine engine,
                                  const ewcl_gemm_args *args, const ewcl_cl_events *events);

/* ---- The MLP on the caller's buffers ------------------------------------------------- */

/* The model's device vectors (ewcl_mlp_cl_span). Parameters and gradients: the flat vector
 * [W1 b1 … WL bL] (layout per ewcl_mlp_layer_info). Inputs and labels: the batch that the
 * passes read (max_batch × input_size floats, max_batch cl_ints). Logits: the last forward
 * pass's output, row-major max_batch × output_size, its first `rows` rows valid. Loss: two
 * floats after a loss pass, the batch's summed cross-entropy (divide by the rows for the
 * mean) and its number of correct predictions. */
typedef enum ewcl_mlp_vector {
    EWCL_MLP_PARAMETERS = 0,
    EWCL_MLP_GRADIENTS,
    EWCL_MLP_INPUTS,
    EWCL_MLP_LABELS,
    EWCL_MLP_LOGITS,
    EWCL_MLP_LOSS
} ewcl_mlp_vector;

EWCL_API ewcl_cl_span ewcl_mlp_cl_span(const ewcl_mlp *mlp, ewcl_mlp_vector which);

/* Shorthands for the buffers of the spans above (all at offset 0). */
EWCL_API cl_mem ewcl_mlp_cl_parameters(const ewcl_mlp *mlp);
EWCL_API cl_mem ewcl_mlp_cl_gradients(const ewcl_mlp *mlp);
EWCL_API cl_mem ewcl_mlp_cl_inputs(const ewcl_mlp *mlp);
EWCL_API cl_mem ewcl_mlp_cl_labels(const ewcl_mlp *mlp);

/* A batch already on the device, in the caller's buffers: `rows` (1 … max_batch) rows of
 * input_size floats from element inputs_offset, and `rows` cl_ints from labels_offset, each
 * in [0, output_size) (a label outside gives that row a NaN loss; nothing reads out of
 * bounds). Buffers of the runtime's context. */
typedef struct ewcl_cl_batch {
    cl_mem inputs;
    size_t inputs_offset;
    cl_mem labels; /* NULL: no labels (ewcl_mlp_evaluate_cl then computes logits only) */
    size_t labels_offset;
    size_t rows;
} ewcl_cl_batch;

/* Copies the batch into the model's input and label vectors, device to device (no host
 * transfer; a pipeline that writes straight into EWCL_MLP_INPUTS/LABELS needs no copy). */
EWCL_API ewcl_status ewcl_mlp_set_batch_cl(ewcl_mlp *mlp, const ewcl_cl_batch *batch,
                                           const ewcl_cl_events *events);
/* ewcl_mlp_set_batch_cl, then the forward pass in evaluation mode (no dropout) and, with
 * labels, the loss: results in the EWCL_MLP_LOGITS and EWCL_MLP_LOSS spans; nothing is
 * read back. */
EWCL_API ewcl_status ewcl_mlp_evaluate_cl(ewcl_mlp *mlp, const ewcl_cl_batch *batch,
                                          const ewcl_cl_events *events);
/* ewcl_mlp_set_batch_cl, then ewcl_mlp_train_step (forward with dropout keyed by `step`,
 * loss, backward, SGD). Labels are required. */
EWCL_API ewcl_status ewcl_mlp_train_step_cl(ewcl_mlp *mlp, const ewcl_cl_batch *batch,
                                            uint64_t step, float lr, float weight_decay,
                                            const ewcl_cl_events *events);

/* ---- EWC on the caller's buffers ---------------------------------------------------- */

/* The EWC state's device vectors, n = the parameter count, in the parameters' layout.
 * Fisher: the last estimate F_t (ewcl_ewc), or what has been accumulated since the last
 * consolidation (ewcl_ewc_state). Importance: S, the consolidated Fisher (Σ_t F_t in
 * separate mode, γ-decayed in online mode). Anchor: μ, where the penalty pulls — θ* of the
 * last task in online and overwrite modes, the S-weighted mean of every θ*_t in separate
 * mode (the penalty is (λ/2)·(Σ S·(θ − μ)² + R), R a constant). */
typedef enum ewcl_ewc_vector {
    EWCL_EWC_FISHER = 0,
    EWCL_EWC_IMPORTANCE,
    EWCL_EWC_ANCHOR
} ewcl_ewc_vector;

EWCL_API ewcl_cl_span ewcl_ewc_cl_span(const ewcl_ewc *ewc, ewcl_ewc_vector which);

/* ewcl_mlp_set_batch_cl on the EWC's model, then ewcl_ewc_train_step (the fused update
 * with the penalty's pull). */
EWCL_API ewcl_status ewcl_ewc_train_step_cl(ewcl_ewc *ewc, const ewcl_cl_batch *batch,
                                            uint64_t step, float lr, float weight_decay,
                                            const ewcl_cl_events *events);

/* ---- Low-level EWC for any model --------------------------------------------------- */

/* EWC over a flat parameter vector of the caller's: `count` floats from offset 0 of any
 * cl_mem of the runtime's context (a vector elsewhere in a larger buffer can be made a
 * sub-buffer with clCreateSubBuffer). The same kernels and consolidation modes as
 * ewcl_ewc; the caller supplies the Fisher's pieces — per-sample gradients, or per layer
 * the inputs a and output gradients δ — and its own gradients for the step.
 *
 *   ewcl_ewc_config cfg;
 *   ewcl_ewc_config_default(&cfg);                  // mode, lambda, gamma, step are used
 *   ewcl_ewc_state *st = NULL;
 *   ewcl_ewc_state_create(rt, n, &cfg, &st);
 *   // after task 1: per-sample gradients G (N × n, row stride n) of log p(y|x)
 *   ewcl_ewc_state_accumulate_gradients(st, G, 0, N, n, 0, n, 1.0f / N, NULL);
 *   ewcl_ewc_state_consolidate(st, theta, NULL);   // S, μ from F and θ*; F restarts at 0
 *   // task 2, each step: my backward pass writes grad, then
 *   ewcl_ewc_state_step(st, theta, grad, 0.1f, 0.0f, NULL);
 *   double penalty;
 *   ewcl_ewc_state_penalty(st, theta, &penalty, NULL);   // (λ/2)·Σ_t F_t·(θ − θ*_t)²
 *   ewcl_ewc_state_destroy(st);
 */
typedef struct ewcl_ewc_state ewcl_ewc_state;

/* A state for `count` parameters with no task consolidated. From `config`: mode, lambda,
 * gamma and step (labels, fisher_dropout and seed concern ewcl_ewc's own estimate and are
 * ignored). Errors go to the runtime's record. */
EWCL_API ewcl_status ewcl_ewc_state_create(ewcl_runtime *runtime, size_t count,
                                           const ewcl_ewc_config *config,
                                           ewcl_ewc_state **out);
EWCL_API void ewcl_ewc_state_destroy(ewcl_ewc_state *state);

/* F[first + j] += scale · Σ_r G[offset + r·ld + j]² for j < count, r < rows: squares each
 * sample's own gradient (of its log-likelihood; rows of `ld` ≥ count floats) and adds it to
 * the Fisher of parameters [first, first + count). scale is usually 1/N for N samples in
 * all. Calls add up until ewcl_ewc_state_consolidate. */
EWCL_API ewcl_status ewcl_ewc_state_accumulate_gradients(ewcl_ewc_state *state, cl_mem grads,
                                                         size_t offset, size_t rows, size_t ld,
                                                         size_t first, size_t count,
                                                         float scale,
                                                         const ewcl_cl_events *events);

/* A linear layer y = x·W + b with W row-major [in × out] at element weight_offset of the
 * parameter vector and b (out floats) at bias_offset (EWCL_EWC_NO_BIAS: none). x holds the
 * layer's inputs a, `rows` rows of `in` floats (row stride ldx ≥ in); delta the per-sample
 * gradients δ of the log-likelihood at its output, `rows` rows of `out` (stride ld_delta ≥
 * out). */
#define EWCL_EWC_NO_BIAS ((size_t)-1)
typedef struct ewcl_ewc_layer_args {
    size_t rows, in, out;
    cl_mem x;
    size_t x_offset, ldx;
    cl_mem delta;
    size_t delta_offset, ld_delta;
    size_t weight_offset, bias_offset;
    float scale; /* usually 1/N */
} ewcl_ewc_layer_args;

/* F(W) += scale·(a∘a)ᵀ(δ∘δ) and F(b) += scale·Σ_r δ_r∘δ_r: the layer's exact per-sample
 * diagonal Fisher in one GEMM, no per-sample loop. */
EWCL_API ewcl_status ewcl_ewc_state_accumulate_layer(ewcl_ewc_state *state,
                                                     const ewcl_ewc_layer_args *layer,
                                                     const ewcl_cl_events *events);

/* Folds the accumulated Fisher F and the parameters θ* = theta into the penalty by the
 * mode (separate: S += F with μ the S-weighted mean; online: S ← γ·S + F, μ ← θ;
 * overwrite: S ← F, μ ← θ), then sets F to 0 for the next task. Blocks for one reduction
 * and the read of max(S). */
EWCL_API ewcl_status ewcl_ewc_state_consolidate(ewcl_ewc_state *state, cl_mem theta,
                                                const ewcl_cl_events *events);

/* θ ← θ − lr·(g + wd·θ + λ·S·(θ − μ)) in one kernel (explicit step; diverges once
 * lr·λ·max(S) ≥ 2), or the implicit step of the config (stable for any λ); plain SGD
 * before any consolidation or with λ = 0. grad: count floats from offset 0. */
EWCL_API ewcl_status ewcl_ewc_state_step(ewcl_ewc_state *state, cl_mem theta, cl_mem grad,
                                         float lr, float weight_decay,
                                         const ewcl_cl_events *events);

/* The penalty (λ/2)·Σ_t Σ_i F_t,i·(θ_i − θ*_t,i)² at `theta`: one reduction and one read
 * (blocks). 0 before any consolidation. */
EWCL_API ewcl_status ewcl_ewc_state_penalty(ewcl_ewc_state *state, cl_mem theta,
                                            double *value, const ewcl_cl_events *events);

EWCL_API size_t ewcl_ewc_state_tasks_consolidated(const ewcl_ewc_state *state);
/* max(S) after the last consolidation: the explicit step is stable while lr·λ·max(S) < 2. */
EWCL_API float ewcl_ewc_state_max_importance(const ewcl_ewc_state *state);
EWCL_API ewcl_cl_span ewcl_ewc_state_cl_span(const ewcl_ewc_state *state,
                                             ewcl_ewc_vector which);

/* ---- Data ------------------------------------------------------------------------------ */

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
EWCL_API ewcl_status ewcl_dataset_gather_ev(ewcl_dataset *dataset, cl_mem permutation,
                                            const uint32_t *indices, size_t batch,
                                            cl_mem inputs, cl_mem labels,
                                            const ewcl_cl_events *events);

/* A new device buffer of `size` cl_uints holding `perm`, after checking that it is a
 * permutation of 0 … size−1 (EWCL_ERR_INVALID_ARGUMENT otherwise). The caller releases it
 * with clReleaseMemObject. */
EWCL_API ewcl_status ewcl_permutation_upload(ewcl_runtime *runtime, const uint32_t *perm,
                                             size_t size, cl_mem *out);

#ifdef __cplusplus
}
#endif
#endif
