/* Host launcher of cl/loss.cl. */
#include "ops/loss.h"

#include "ops/launch.h"
#include "runtime/error_internal.h"

static ewcl_status check_buffers(ewcl_runtime *rt, cl_mem logits, size_t logits_offset,
                                 size_t rows, size_t classes, size_t ld, cl_mem labels,
                                 size_t labels_offset, cl_mem loss_rows, cl_mem correct_rows,
                                 cl_mem grad, size_t grad_offset)
{
    if (classes == 0 || ld < classes)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "softmax_nll: %zu classes with row stride %zu", classes, ld);
    ewcl_status status =
        ewcl_check_buffer(rt, "softmax_nll logits", logits, logits_offset,
                          ewcl_matrix_span(rows, classes, ld));
    if (status == EWCL_OK)
        status = ewcl_check_buffer(rt, "softmax_nll labels", labels, labels_offset, rows);
    if (status == EWCL_OK)
        status = ewcl_check_buffer(rt, "softmax_nll loss_rows", loss_rows, 0, rows);
    if (status == EWCL_OK)
        status = ewcl_check_buffer(rt, "softmax_nll correct_rows", correct_rows, 0, rows);
    /* The gradient's padding columns are written too (zeros), last row included. */
    if (status == EWCL_OK && grad != NULL)
        status = ewcl_check_buffer(rt, "softmax_nll grad", grad, grad_offset, rows * ld);
    return status;
}

ewcl_status ewcl_op_softmax_nll(ewcl_runtime *rt, cl_mem logits, size_t logits_offset,
                                size_t rows, size_t classes, size_t ld, cl_mem labels,
                                size_t labels_offset, cl_mem loss_rows, cl_mem correct_rows,
                                cl_mem grad, size_t grad_offset, float grad_scale)
{
    static const char name[] = "ewcl_softmax_nll";
    if (rows == 0)
        return EWCL_OK;
    ewcl_status status =
        check_buffers(rt, logits, logits_offset, rows, classes, ld, labels, labels_offset,
                      loss_rows, correct_rows, grad, grad_offset);
    cl_kernel kernel = NULL;
    if (status == EWCL_OK)
        status = ewcl_runtime_kernel(rt, "loss", name, &kernel);
    if (status != EWCL_OK)
        return status;

    const cl_uint logits_off = (cl_uint)logits_offset, n_rows = (cl_uint)rows,
                  n_classes = (cl_uint)classes, stride = (cl_uint)ld,
                  labels_off = (cl_uint)labels_offset, grad_off = (cl_uint)grad_offset;
    cl_int rc = EWCL_ARG(kernel, 0, logits);
    rc |= EWCL_ARG(kernel, 1, logits_off);
    rc |= EWCL_ARG(kernel, 2, n_rows);
    rc |= EWCL_ARG(kernel, 3, n_classes);
    rc |= EWCL_ARG(kernel, 4, stride);
    rc |= EWCL_ARG(kernel, 5, labels);
    rc |= EWCL_ARG(kernel, 6, labels_off);
    rc |= EWCL_ARG(kernel, 7, loss_rows);
    rc |= EWCL_ARG(kernel, 8, correct_rows);
    rc |= EWCL_ARG(kernel, 9, grad);
    rc |= EWCL_ARG(kernel, 10, grad_off);
    rc |= EWCL_ARG(kernel, 11, grad_scale);
    status = ewcl_launch_check_args(rt, rc, name);
    return status == EWCL_OK ? ewcl_launch_1d(rt, kernel, name, rows) : status;
}
