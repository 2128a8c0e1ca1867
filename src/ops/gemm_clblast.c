/* The CLBlast engine: CLBlastSgemm on the runtime's queue. CLBlast's tuning database
 * covers NVIDIA, AMD and Intel GPUs, which is where the profile chooses it. */
#include <clblast_c.h>

#include "ops/gemm.h"
#include "runtime/error_internal.h"

static CLBlastTranspose transpose_of(ewcl_transpose t)
{
    return t == EWCL_TRANS ? CLBlastTransposeYes : CLBlastTransposeNo;
}

ewcl_status ewcl_gemm_clblast(ewcl_runtime *rt, const ewcl_gemm_args *g)
{
    /* CLBlast leaves C alone when k = 0; BLAS semantics say C = beta·C. A degenerate
     * product is rare enough to route through the native kernel, which handles it. */
    if (g->k == 0)
        return ewcl_gemm_native(rt, g);
    const CLBlastStatusCode code = CLBlastSgemm(
        CLBlastLayoutRowMajor, transpose_of(g->trans_a), transpose_of(g->trans_b), g->m, g->n,
        g->k, g->alpha, g->a, g->a_offset, g->lda, g->b, g->b_offset, g->ldb, g->beta, g->c,
        g->c_offset, g->ldc, &rt->queue, ewcl_trace_event(rt, "clblast_sgemm"));
    if (code != CLBlastSuccess)
        return EWCL_FAIL(&rt->error, EWCL_ERR_CLBLAST,
                         "CLBlastSgemm %c%c %zux%zux%zu on '%s' failed with CLBlast status %d%s",
                         g->trans_a == EWCL_TRANS ? 'T' : 'N',
                         g->trans_b == EWCL_TRANS ? 'T' : 'N', g->m, g->n, g->k,
                         rt->device.name, (int)code,
                         code < 0 && code > -100 ? " (an OpenCL error code)" : "");
    return EWCL_OK;
}
