/* Launchers of cl/ewc.cl. */
#include "ops/ewc_kernels.h"

#include "ops/launch.h"
#include "runtime/error_internal.h"

static const char program[] = "ewc";

ewcl_status ewcl_op_fisher_labels(ewcl_runtime *rt, cl_mem logits, size_t logits_offset,
                                  size_t rows, size_t classes, size_t ld,
                                  ewcl_fisher_label_mode mode, size_t klass,
                                  cl_mem true_labels, ewcl_dropout_key key, cl_mem labels_out,
                                  cl_mem weights_out)
{
    static const char name[] = "ewcl_fisher_labels";
    if (classes == 0 || ld < classes || klass >= classes)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "%s: class %zu of %zu with row stride %zu", name, klass, classes, ld);
    ewcl_status s =
        ewcl_check_buffer(rt, name, logits, logits_offset, ewcl_matrix_span(rows, classes, ld));
    if (s == EWCL_OK)
        s = ewcl_check_buffer(rt, name, true_labels, 0, rows);
    if (s == EWCL_OK)
        s = ewcl_check_buffer(rt, name, labels_out, 0, rows);
    if (s == EWCL_OK)
        s = ewcl_check_buffer(rt, name, weights_out, 0, rows);
    cl_kernel k = NULL;
    if (s == EWCL_OK)
        s = ewcl_runtime_kernel(rt, program, name, &k);
    if (s != EWCL_OK || rows == 0)
        return s;
    const cl_uint off = (cl_uint)logits_offset, n_rows = (cl_uint)rows,
                  n_classes = (cl_uint)classes, stride = (cl_uint)ld, m = (cl_uint)mode,
                  c = (cl_uint)klass, stream = key.stream, seed_lo = (cl_uint)key.seed,
                  seed_hi = (cl_uint)(key.seed >> 32), step_lo = (cl_uint)key.step,
                  step_hi = (cl_uint)(key.step >> 32);
    cl_int rc = EWCL_ARG(k, 0, logits);
    rc |= EWCL_ARG(k, 1, off);
    rc |= EWCL_ARG(k, 2, n_rows);
    rc |= EWCL_ARG(k, 3, n_classes);
    rc |= EWCL_ARG(k, 4, stride);
    rc |= EWCL_ARG(k, 5, m);
    rc |= EWCL_ARG(k, 6, c);
    rc |= EWCL_ARG(k, 7, true_labels);
    rc |= EWCL_ARG(k, 8, stream);
    rc |= EWCL_ARG(k, 9, seed_lo);
    rc |= EWCL_ARG(k, 10, seed_hi);
    rc |= EWCL_ARG(k, 11, step_lo);
    rc |= EWCL_ARG(k, 12, step_hi);
    rc |= EWCL_ARG(k, 13, labels_out);
    rc |= EWCL_ARG(k, 14, weights_out);
    s = ewcl_launch_check_args(rt, rc, name);
    return s == EWCL_OK ? ewcl_launch_1d(rt, k, name, rows) : s;
}

ewcl_status ewcl_op_weighted_square(ewcl_runtime *rt, cl_mem x, size_t offset, size_t rows,
                                    size_t cols, size_t ld, cl_mem weights, float scale,
                                    cl_mem out)
{
    static const char name[] = "ewcl_weighted_square";
    if (ld < cols)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "%s: row stride %zu below %zu columns", name, ld, cols);
    if (ewcl_matrix_span(rows, cols, ld) == 0)
        return EWCL_OK;
    ewcl_status s = ewcl_check_buffer(rt, name, x, offset, ewcl_matrix_span(rows, cols, ld));
    if (s == EWCL_OK)
        s = ewcl_check_buffer(rt, name, out, 0, rows * cols);
    if (s == EWCL_OK && weights != NULL)
        s = ewcl_check_buffer(rt, name, weights, 0, rows);
    cl_kernel k = NULL;
    if (s == EWCL_OK)
        s = ewcl_runtime_kernel(rt, program, name, &k);
    if (s != EWCL_OK)
        return s;
    const cl_uint off = (cl_uint)offset, n_rows = (cl_uint)rows, n_cols = (cl_uint)cols,
                  stride = (cl_uint)ld;
    cl_int rc = EWCL_ARG(k, 0, x);
    rc |= EWCL_ARG(k, 1, off);
    rc |= EWCL_ARG(k, 2, n_rows);
    rc |= EWCL_ARG(k, 3, n_cols);
    rc |= EWCL_ARG(k, 4, stride);
    rc |= EWCL_ARG(k, 5, weights);
    rc |= EWCL_ARG(k, 6, scale);
    rc |= EWCL_ARG(k, 7, out);
    s = ewcl_launch_check_args(rt, rc, name);
    return s == EWCL_OK ? ewcl_launch_rows(rt, k, name, cols, rows) : s;
}

/* What every vector kernel of the state shares: each buffer holds n floats, then the
 * runtime's kernel object. */
static ewcl_status vector_kernel(ewcl_runtime *rt, const char *name, size_t n,
                                 const cl_mem *buffers, int count, cl_kernel *k)
{
    ewcl_status s = EWCL_OK;
    for (int i = 0; i < count && s == EWCL_OK; i++)
        s = ewcl_check_buffer(rt, name, buffers[i], 0, n);
    return s == EWCL_OK ? ewcl_runtime_kernel(rt, program, name, k) : s;
}

ewcl_status ewcl_op_ewc_consolidate(ewcl_runtime *rt, cl_mem S, cl_mem mu, cl_mem fisher,
                                    cl_mem theta, size_t n, bool online, float gamma,
                                    cl_mem terms)
{
    static const char name[] = "ewcl_ewc_consolidate";
    const cl_mem buffers[] = {S, mu, fisher, theta, terms};
    cl_kernel k = NULL;
    ewcl_status s = vector_kernel(rt, name, n, buffers, 5, &k);
    if (s != EWCL_OK)
        return s;
    const cl_uint count = (cl_uint)n, is_online = online;
    cl_int rc = EWCL_ARG(k, 0, S);
    rc |= EWCL_ARG(k, 1, mu);
    rc |= EWCL_ARG(k, 2, fisher);
    rc |= EWCL_ARG(k, 3, theta);
    rc |= EWCL_ARG(k, 4, count);
    rc |= EWCL_ARG(k, 5, is_online);
    rc |= EWCL_ARG(k, 6, gamma);
    rc |= EWCL_ARG(k, 7, terms);
    s = ewcl_launch_check_args(rt, rc, name);
    return s == EWCL_OK ? ewcl_launch_1d(rt, k, name, n) : s;
}

ewcl_status ewcl_op_ewc_penalty_terms(ewcl_runtime *rt, cl_mem S, cl_mem mu, cl_mem theta,
                                      size_t n, cl_mem terms)
{
    static const char name[] = "ewcl_ewc_penalty_terms";
    const cl_mem buffers[] = {S, mu, theta, terms};
    cl_kernel k = NULL;
    ewcl_status s = vector_kernel(rt, name, n, buffers, 4, &k);
    if (s != EWCL_OK)
        return s;
    const cl_uint count = (cl_uint)n;
    cl_int rc = EWCL_ARG(k, 0, S);
    rc |= EWCL_ARG(k, 1, mu);
    rc |= EWCL_ARG(k, 2, theta);
    rc |= EWCL_ARG(k, 3, count);
    rc |= EWCL_ARG(k, 4, terms);
    s = ewcl_launch_check_args(rt, rc, name);
    return s == EWCL_OK ? ewcl_launch_1d(rt, k, name, n) : s;
}

ewcl_status ewcl_op_ewc_update(ewcl_runtime *rt, cl_mem theta, cl_mem grad, cl_mem S, cl_mem mu,
                               size_t n, float lr, float weight_decay, float lambda,
                               bool implicit_step)
{
    static const char name[] = "ewcl_ewc_update";
    const cl_mem buffers[] = {theta, grad, S, mu};
    cl_kernel k = NULL;
    ewcl_status s = vector_kernel(rt, name, n, buffers, 4, &k);
    if (s != EWCL_OK)
        return s;
    const cl_uint count = (cl_uint)n, implicit = implicit_step;
    cl_int rc = EWCL_ARG(k, 0, theta);
    rc |= EWCL_ARG(k, 1, grad);
    rc |= EWCL_ARG(k, 2, S);
    rc |= EWCL_ARG(k, 3, mu);
    rc |= EWCL_ARG(k, 4, count);
    rc |= EWCL_ARG(k, 5, lr);
    rc |= EWCL_ARG(k, 6, weight_decay);
    rc |= EWCL_ARG(k, 7, lambda);
    rc |= EWCL_ARG(k, 8, implicit);
    s = ewcl_launch_check_args(rt, rc, name);
    return s == EWCL_OK ? ewcl_launch_1d(rt, k, name, n) : s;
}
