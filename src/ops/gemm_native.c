/* The native engine: cl/gemm.cl. The profile's macros decide which of the two kernel designs
 * the program holds (see cl/gemm.cl); this file mirrors that choice when it launches. */
#include <stdbool.h>

#include "ops/gemm.h"
#include "ops/launch.h"

static const char program[] = "gemm";

/* The CPU design's kernels by [transposed A][transposed B]. */
static const char *const panel_kernels[2][2] = {{"ewcl_gemm_nn", "ewcl_gemm_nt"},
                                                {"ewcl_gemm_tn", "ewcl_gemm_tt"}};

static size_t div_up(size_t n, size_t d)
{
    return (n + d - 1) / d;
}

static size_t round_up(size_t n, size_t multiple)
{
    return div_up(n, multiple) * multiple;
}

/* cl/gemm.cl holds the CPU design when a work-group is one work-item wide. */
static bool cpu_design(const ewcl_profile *p)
{
    return p->gemm_tile_n == p->gemm_work_n;
}

/* Arguments 0..13, shared by both designs' product kernels. The dispatcher has checked
 * that every index fits 32 bits. */
static cl_int set_product_args(cl_kernel kernel, const ewcl_gemm_args *g)
{
    const cl_uint m = (cl_uint)g->m, n = (cl_uint)g->n, k = (cl_uint)g->k;
    const cl_uint a_off = (cl_uint)g->a_offset, lda = (cl_uint)g->lda;
    const cl_uint b_off = (cl_uint)g->b_offset, ldb = (cl_uint)g->ldb;
    const cl_uint c_off = (cl_uint)g->c_offset, ldc = (cl_uint)g->ldc;
    cl_int rc = EWCL_ARG(kernel, 0, m);
    rc |= EWCL_ARG(kernel, 1, n);
    rc |= EWCL_ARG(kernel, 2, k);
    rc |= EWCL_ARG(kernel, 3, g->alpha);
    rc |= EWCL_ARG(kernel, 4, g->beta);
    rc |= EWCL_ARG(kernel, 5, g->a);
    rc |= EWCL_ARG(kernel, 6, a_off);
    rc |= EWCL_ARG(kernel, 7, lda);
    rc |= EWCL_ARG(kernel, 8, g->b);
    rc |= EWCL_ARG(kernel, 9, b_off);
    rc |= EWCL_ARG(kernel, 10, ldb);
    rc |= EWCL_ARG(kernel, 11, g->c);
    rc |= EWCL_ARG(kernel, 12, c_off);
    rc |= EWCL_ARG(kernel, 13, ldc);
    return rc;
}

/* C = beta·C: what the product is when k = 0 or alpha = 0 (A and B are not read, as in
 * BLAS). */
static ewcl_status scale(ewcl_runtime *rt, const ewcl_gemm_args *g)
{
    static const char name[] = "ewcl_gemm_scale";
    cl_kernel kernel = NULL;
    ewcl_status status = ewcl_runtime_kernel(rt, program, name, &kernel);
    if (status != EWCL_OK)
        return status;
    const cl_uint m = (cl_uint)g->m, n = (cl_uint)g->n;
    const cl_uint c_off = (cl_uint)g->c_offset, ldc = (cl_uint)g->ldc;
    cl_int rc = EWCL_ARG(kernel, 0, m);
    rc |= EWCL_ARG(kernel, 1, n);
    rc |= EWCL_ARG(kernel, 2, g->beta);
    rc |= EWCL_ARG(kernel, 3, g->c);
    rc |= EWCL_ARG(kernel, 4, c_off);
    rc |= EWCL_ARG(kernel, 5, ldc);
    status = ewcl_launch_check_args(rt, rc, name);
    if (status != EWCL_OK)
        return status;
    const size_t global[2] = {g->n, g->m};
    return ewcl_launch_2d(rt, kernel, name, global, NULL);
}

/* Rows of C per work-group in the CPU design. Taller groups copy each slice of op(B) for
 * more rows (the copy is what a work-group pays besides the product), so start from the
 * profile's TM; but the work-groups must also share out evenly over the compute units —
 * 13 panels of 128 rows (m = 128, n = 400) on two cores leave one idle for a seventh of
 * the time — so halve the height until the last round of work-groups is at most 5 % short.
 * Then spread m evenly over that many groups, in whole register blocks of WM rows. */
static size_t rows_per_group(const ewcl_runtime *rt, size_t m, size_t panels)
{
    const size_t block = rt->profile.gemm_work_m;
    const size_t units = rt->device.compute_units > 0 ? rt->device.compute_units : 1;
    size_t rows = round_up(m < rt->profile.gemm_tile_m ? m : rt->profile.gemm_tile_m, block);
    while (rows > block) {
        const size_t groups = panels * div_up(m, rows);
        if (round_up(groups, units) * 20 <= groups * 21)
            break;
        rows = round_up(rows / 2, block);
    }
    return round_up(div_up(m, div_up(m, rows)), block);
}

/* Panels two vectors wide cover n, except that when at most one vector's worth of columns
 * is left over, a panel one vector wide takes them (half the work of a padded wide one).
 * One work-item per work-group, one group per (panel, row group). */
static ewcl_status run_cpu_design(ewcl_runtime *rt, const ewcl_gemm_args *g)
{
    const char *name = panel_kernels[g->trans_a == EWCL_TRANS][g->trans_b == EWCL_TRANS];
    cl_kernel kernel = NULL;
    ewcl_status status = ewcl_runtime_kernel(rt, program, name, &kernel);
    if (status != EWCL_OK)
        return status;
    const size_t vector = rt->profile.vector_width, width = 2 * vector;
    const size_t panels = div_up(g->n, width);
    const size_t rest = g->n % width;
    const size_t rows = rows_per_group(rt, g->m, panels);
    /* The last panel when it is narrow, else a number no panel has. */
    const cl_uint narrow = (cl_uint)(rest > 0 && rest <= vector ? panels - 1 : panels);
    const cl_uint rows_arg = (cl_uint)rows;
    cl_int rc = set_product_args(kernel, g);
    rc |= EWCL_ARG(kernel, 14, narrow);
    rc |= EWCL_ARG(kernel, 15, rows_arg);
    status = ewcl_launch_check_args(rt, rc, name);
    if (status != EWCL_OK)
        return status;
    const size_t global[2] = {panels, div_up(g->m, rows)};
    const size_t local[2] = {1, 1};
    return ewcl_launch_2d(rt, kernel, name, global, local);
}

/* One work-group of (TM/WM)×(TN/WN) work-items per TM×TN tile of C. */
static ewcl_status run_gpu_design(ewcl_runtime *rt, const ewcl_gemm_args *g)
{
    static const char name[] = "ewcl_gemm_tiled";
    cl_kernel kernel = NULL;
    ewcl_status status = ewcl_runtime_kernel(rt, program, name, &kernel);
    if (status != EWCL_OK)
        return status;
    const cl_uint ta = g->trans_a == EWCL_TRANS, tb = g->trans_b == EWCL_TRANS;
    cl_int rc = set_product_args(kernel, g);
    rc |= EWCL_ARG(kernel, 14, ta);
    rc |= EWCL_ARG(kernel, 15, tb);
    status = ewcl_launch_check_args(rt, rc, name);
    if (status != EWCL_OK)
        return status;
    const ewcl_profile *p = &rt->profile;
    const size_t local[2] = {p->gemm_tile_n / p->gemm_work_n, p->gemm_tile_m / p->gemm_work_m};
    const size_t global[2] = {div_up(g->n, p->gemm_tile_n) * local[0],
                              div_up(g->m, p->gemm_tile_m) * local[1]};
    return ewcl_launch_2d(rt, kernel, name, global, local);
}

ewcl_status ewcl_gemm_native(ewcl_runtime *rt, const ewcl_gemm_args *g)
{
    if (g->m == 0 || g->n == 0)
        return EWCL_OK;
    if (g->k == 0 || g->alpha == 0.0f)
        return scale(rt, g);
    return cpu_design(&rt->profile) ? run_cpu_design(rt, g) : run_gpu_design(rt, g);
}
