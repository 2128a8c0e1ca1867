/* The GEMM dispatcher: argument checks shared by both engines, then the engine choice. */
#include "ops/gemm.h"
#include "ops/launch.h"

#include <stdio.h>

#include "runtime/error_internal.h"

static ewcl_status check_operand(ewcl_runtime *rt, char name, cl_mem buffer, size_t offset,
                                 size_t rows, size_t cols, size_t ld)
{
    if (ld < cols)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "gemm: leading dimension of %c is %zu, below its %zu columns", name,
                         ld, cols);
    const size_t needed = ewcl_matrix_span(rows, cols, ld);
    if (needed == 0)
        return EWCL_OK;
    char what[8];
    snprintf(what, sizeof what, "gemm %c", name);
    return ewcl_check_buffer(rt, what, buffer, offset, needed);
}

ewcl_status ewcl_gemm(ewcl_runtime *rt, ewcl_gemm_engine engine, const ewcl_gemm_args *g)
{
    if (g->m == 0 || g->n == 0)
        return EWCL_OK;
    const bool ta = g->trans_a == EWCL_TRANS, tb = g->trans_b == EWCL_TRANS;
    ewcl_status status =
        check_operand(rt, 'A', g->a, g->a_offset, ta ? g->k : g->m, ta ? g->m : g->k, g->lda);
    if (status == EWCL_OK)
        status = check_operand(rt, 'B', g->b, g->b_offset, tb ? g->n : g->k, tb ? g->k : g->n,
                               g->ldb);
    if (status == EWCL_OK)
        status = check_operand(rt, 'C', g->c, g->c_offset, g->m, g->n, g->ldc);
    if (status != EWCL_OK)
        return status;
    if (engine == EWCL_GEMM_AUTO)
        status = ewcl_gemm_choose_engine(rt, &engine);
    if (status != EWCL_OK)
        return status;
    return engine == EWCL_GEMM_CLBLAST ? ewcl_gemm_clblast(rt, g) : ewcl_gemm_native(rt, g);
}

ewcl_status ewcl_runtime_gemm_engine(ewcl_runtime *rt, ewcl_gemm_engine *out)
{
    if (rt == NULL || out == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    return ewcl_gemm_choose_engine(rt, out);
}

const char *ewcl_gemm_engine_name(ewcl_gemm_engine engine)
{
    switch (engine) {
    case EWCL_GEMM_NATIVE:
        return "native";
    case EWCL_GEMM_CLBLAST:
        return "clblast";
    default:
        return "auto";
    }
}
