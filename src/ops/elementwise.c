/* Host launchers of cl/elementwise.cl: argument checks, dropout constants, enqueue. */
#include "ops/elementwise.h"

#include <math.h>

#include "ops/buffer.h"
#include "ops/launch.h"
#include "runtime/error_internal.h"

#define PROGRAM "elementwise"

static ewcl_status check_dropout(ewcl_runtime *rt, const char *op, float p)
{
    if (!(p >= 0.0f && p < 1.0f))
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "%s: dropout probability %g outside [0, 1)", op, (double)p);
    return EWCL_OK;
}

/* The scale of kept elements, 1/(1−p) rounded once to float (1 for p = 0). */
static float dropout_scale(float p)
{
    return (float)(1.0 / (1.0 - (double)p));
}

/* ⌈p·2^24⌉: an element is kept when the top 24 bits of its Philox word reach it, which is
 * "word/2^24 ≥ p" in integers. p·2^24 is exact in double for a float p. */
static cl_uint dropout_threshold(float p)
{
    return (cl_uint)ceil((double)p * 16777216.0);
}

/* p = 0: bias and ReLU only, one work-item per element. */
static ewcl_status launch_bias_relu(ewcl_runtime *rt, cl_mem y, cl_uint y_offset,
                                    cl_uint rows, cl_uint cols, cl_uint ld, cl_mem bias,
                                    cl_uint bias_offset, cl_uint relu)
{
    static const char name[] = "ewcl_bias_relu";
    cl_kernel kernel = NULL;
    ewcl_status status = ewcl_runtime_kernel(rt, PROGRAM, name, &kernel);
    if (status != EWCL_OK)
        return status;
    cl_int rc = EWCL_ARG(kernel, 0, y);
    rc |= EWCL_ARG(kernel, 1, y_offset);
    rc |= EWCL_ARG(kernel, 2, rows);
    rc |= EWCL_ARG(kernel, 3, cols);
    rc |= EWCL_ARG(kernel, 4, ld);
    rc |= EWCL_ARG(kernel, 5, bias);
    rc |= EWCL_ARG(kernel, 6, bias_offset);
    rc |= EWCL_ARG(kernel, 7, relu);
    status = ewcl_launch_check_args(rt, rc, name);
    return status == EWCL_OK ? ewcl_launch_rows(rt, kernel, name, cols, rows) : status;
}

/* 0 < p < 1: one work-item per four columns (one Philox block), the faster kernel when
 * every row starts on a block. */
static ewcl_status launch_dropout(ewcl_runtime *rt, cl_mem y, cl_uint y_offset, cl_uint rows,
                                  cl_uint cols, cl_uint ld, cl_mem bias, cl_uint bias_offset,
                                  cl_uint relu, float p, ewcl_dropout_key key)
{
    const char *name = cols % 4 == 0 ? "ewcl_bias_relu_dropout_aligned" : "ewcl_bias_relu_dropout";
    cl_kernel kernel = NULL;
    ewcl_status status = ewcl_runtime_kernel(rt, PROGRAM, name, &kernel);
    if (status != EWCL_OK)
        return status;
    const cl_uint threshold = dropout_threshold(p);
    const float scale = dropout_scale(p);
    const cl_uint4 counter = {{0, key.stream, (cl_uint)key.step, (cl_uint)(key.step >> 32)}};
    const cl_uint2 seed = {{(cl_uint)key.seed, (cl_uint)(key.seed >> 32)}};
    cl_int rc = EWCL_ARG(kernel, 0, y);
    rc |= EWCL_ARG(kernel, 1, y_offset);
    rc |= EWCL_ARG(kernel, 2, rows);
    rc |= EWCL_ARG(kernel, 3, cols);
    rc |= EWCL_ARG(kernel, 4, ld);
    rc |= EWCL_ARG(kernel, 5, bias);
    rc |= EWCL_ARG(kernel, 6, bias_offset);
    rc |= EWCL_ARG(kernel, 7, relu);
    rc |= EWCL_ARG(kernel, 8, threshold);
    rc |= EWCL_ARG(kernel, 9, scale);
    rc |= EWCL_ARG(kernel, 10, counter);
    rc |= EWCL_ARG(kernel, 11, seed);
    status = ewcl_launch_check_args(rt, rc, name);
    return status == EWCL_OK ? ewcl_launch_rows(rt, kernel, name, (cols + 3) / 4, rows) : status;
}

ewcl_status ewcl_op_bias_relu_dropout(ewcl_runtime *rt, cl_mem y, size_t y_offset, size_t rows,
                                      size_t cols, size_t ld, cl_mem bias, size_t bias_offset,
                                      bool relu, float p, ewcl_dropout_key key)
{
    static const char op[] = "bias_relu_dropout";
    if (ld < cols)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "%s: row stride %zu below %zu columns", op, ld, cols);
    ewcl_status status = check_dropout(rt, op, p);
    if (status != EWCL_OK || ewcl_matrix_span(rows, cols, ld) == 0)
        return status;
    status = ewcl_check_buffer(rt, op, y, y_offset, ewcl_matrix_span(rows, cols, ld));
    if (status == EWCL_OK && bias != NULL)
        status = ewcl_check_buffer(rt, op, bias, bias_offset, cols);
    if (status != EWCL_OK)
        return status;
    /* Without bias, ReLU or dropout the op is the identity: nothing to enqueue. */
    if (p == 0.0f && bias == NULL && !relu)
        return EWCL_OK;
    const cl_uint y_off = (cl_uint)y_offset, n_rows = (cl_uint)rows, n_cols = (cl_uint)cols,
                  stride = (cl_uint)ld, b_off = (cl_uint)bias_offset, use_relu = relu;
    if (p == 0.0f)
        return launch_bias_relu(rt, y, y_off, n_rows, n_cols, stride, bias, b_off, use_relu);
    return launch_dropout(rt, y, y_off, n_rows, n_cols, stride, bias, b_off, use_relu, p, key);
}

ewcl_status ewcl_op_relu_dropout_backward(ewcl_runtime *rt, cl_mem a, size_t a_offset,
                                          cl_mem g, size_t g_offset, size_t count, float p)
{
    static const char name[] = "ewcl_relu_dropout_backward";
    ewcl_status status = check_dropout(rt, name, p);
    if (status != EWCL_OK || count == 0)
        return status;
    status = ewcl_check_buffer(rt, name, a, a_offset, count);
    if (status == EWCL_OK)
        status = ewcl_check_buffer(rt, name, g, g_offset, count);
    cl_kernel kernel = NULL;
    if (status == EWCL_OK)
        status = ewcl_runtime_kernel(rt, PROGRAM, name, &kernel);
    if (status != EWCL_OK)
        return status;

    const cl_uint a_off = (cl_uint)a_offset, g_off = (cl_uint)g_offset, n = (cl_uint)count;
    const float scale = dropout_scale(p);
    cl_int rc = EWCL_ARG(kernel, 0, a);
    rc |= EWCL_ARG(kernel, 1, a_off);
    rc |= EWCL_ARG(kernel, 2, g);
    rc |= EWCL_ARG(kernel, 3, g_off);
    rc |= EWCL_ARG(kernel, 4, n);
    rc |= EWCL_ARG(kernel, 5, scale);
    status = ewcl_launch_check_args(rt, rc, name);
    return status == EWCL_OK ? ewcl_launch_1d(rt, kernel, name, count) : status;
}

ewcl_status ewcl_op_column_sum(ewcl_runtime *rt, cl_mem dz, size_t dz_offset, size_t rows,
                               size_t cols, size_t ld, cl_mem out, size_t out_offset,
                               bool accumulate)
{
    static const char name[] = "ewcl_column_sum";
    if (ld < cols)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "%s: row stride %zu below %zu columns", name, ld, cols);
    if (cols == 0)
        return EWCL_OK;
    ewcl_status status = ewcl_check_buffer(rt, name, out, out_offset, cols);
    if (status != EWCL_OK)
        return status;
    /* No rows: the sums are 0, replacing out unless accumulating. */
    if (rows == 0)
        return accumulate ? EWCL_OK
                          : ewcl_buffer_zero(rt, out, out_offset * sizeof(float),
                                             cols * sizeof(float));
    status = ewcl_check_buffer(rt, name, dz, dz_offset, ewcl_matrix_span(rows, cols, ld));
    cl_kernel kernel = NULL;
    if (status == EWCL_OK)
        status = ewcl_runtime_kernel(rt, PROGRAM, name, &kernel);
    if (status != EWCL_OK)
        return status;

    const cl_uint dz_off = (cl_uint)dz_offset, n_rows = (cl_uint)rows, n_cols = (cl_uint)cols,
                  stride = (cl_uint)ld, out_off = (cl_uint)out_offset, add = accumulate;
    cl_int rc = EWCL_ARG(kernel, 0, dz);
    rc |= EWCL_ARG(kernel, 1, dz_off);
    rc |= EWCL_ARG(kernel, 2, n_rows);
    rc |= EWCL_ARG(kernel, 3, n_cols);
    rc |= EWCL_ARG(kernel, 4, stride);
    rc |= EWCL_ARG(kernel, 5, out);
    rc |= EWCL_ARG(kernel, 6, out_off);
    rc |= EWCL_ARG(kernel, 7, add);
    status = ewcl_launch_check_args(rt, rc, name);
    /* One work-item per 16 columns. */
    return status == EWCL_OK ? ewcl_launch_1d(rt, kernel, name, (cols + 15) / 16) : status;
}

ewcl_status ewcl_op_sgd_update(ewcl_runtime *rt, cl_mem theta, cl_mem grad, size_t offset,
                               size_t count, float lr, float weight_decay)
{
    static const char name[] = "ewcl_sgd_update";
    if (count == 0)
        return EWCL_OK;
    ewcl_status status = ewcl_check_buffer(rt, name, theta, offset, count);
    if (status == EWCL_OK)
        status = ewcl_check_buffer(rt, name, grad, offset, count);
    cl_kernel kernel = NULL;
    if (status == EWCL_OK)
        status = ewcl_runtime_kernel(rt, PROGRAM, name, &kernel);
    if (status != EWCL_OK)
        return status;

    const cl_uint off = (cl_uint)offset, n = (cl_uint)count;
    cl_int rc = EWCL_ARG(kernel, 0, theta);
    rc |= EWCL_ARG(kernel, 1, grad);
    rc |= EWCL_ARG(kernel, 2, off);
    rc |= EWCL_ARG(kernel, 3, n);
    rc |= EWCL_ARG(kernel, 4, lr);
    rc |= EWCL_ARG(kernel, 5, weight_decay);
    status = ewcl_launch_check_args(rt, rc, name);
    return status == EWCL_OK ? ewcl_launch_1d(rt, kernel, name, count) : status;
}
