/* ewcl — matrix products, row-major: C = alpha·op(A)·op(B) + beta·C, op ∈ {none, transpose}.
 *
 * Storage as in src/ops/gemm.h: element offsets and leading dimensions in floats,
 *   A(i,p) = a[a_off + i·lda + p]   or, transposed, a[a_off + p·lda + i]
 *   B(p,j) = b[b_off + p·ldb + j]   or, transposed, b[b_off + j·ldb + p]
 *   C(i,j) = c[c_off + i·ldc + j].
 * beta = 0 never reads C. The host sends k = 0 (and alpha = 0) to ewcl_gemm_scale, so the
 * product kernels see k ≥ 1; any m, n, k otherwise, edges included.
 *
 * The device profile picks one of two designs through its -D macros:
 *
 * CPU design (EWCL_GEMM_TN == EWCL_GEMM_WN: a work-group is one work-item wide). One
 *   work-item per work-group owns a panel of C two vectors of EWCL_VECTOR_WIDTH (V) columns
 *   wide and up to EWCL_GEMM_TM rows tall (the host picks the height, see
 *   src/ops/gemm_native.c). For each EWCL_GEMM_TK-deep slice of K it copies op(B)'s part of
 *   the panel into local memory, contiguous and zero-padded past column n — transposed B
 *   and the right edge are dealt with there, once per slice, not in the inner loop — then
 *   walks the panel's rows in register blocks of EWCL_GEMM_WM rows: 2·WM vector
 *   accumulators; each step of K one broadcast of A per row and two vector loads of the
 *   copy. Measured on PoCL (shared/reference/opencl-cpu.md), this is the form that
 *   compiles to full-width FMAs with the accumulators in registers; local-memory tiles
 *   over many small work-items did not. Rows past the panel's last read that last row and
 *   are not stored, so the inner loop has no bounds checks either. A panel one vector wide
 *   serves the last columns when at most V are left — the output layer's n = 10, the 16 columns beyond 12 panels of n = 400 — instead
 *   of computing a half-empty wide one.
 *
 * GPU design (otherwise): the classic tiled kernel. A work-group of (TM/WM)×(TN/WN)
 *   work-items computes a TM×TN tile of C, each work-item WM×WN of it in registers, with
 *   TK-deep slices of op(A) and op(B) staged in local memory (zero-filled past the edges).
 *   The transposes only change how the slices are read, so one kernel serves all four. */

#ifndef EWCL_GEMM_TM
#define EWCL_GEMM_TM 16
#endif
#ifndef EWCL_GEMM_TN
#define EWCL_GEMM_TN 16
#endif
#ifndef EWCL_GEMM_TK
#define EWCL_GEMM_TK 16
#endif
#ifndef EWCL_GEMM_WM
#define EWCL_GEMM_WM 2
#endif
#ifndef EWCL_GEMM_WN
#define EWCL_GEMM_WN 2
#endif
#ifndef EWCL_VECTOR_WIDTH
#define EWCL_VECTOR_WIDTH 1
#endif

/* C = beta·C (beta = 0: C = 0 without reading it): the whole product when k = 0 or
 * alpha = 0. A 2-D range over (columns, rows). */
__kernel void ewcl_gemm_scale(const uint m, const uint n, const float beta, __global float *c,
                              const uint c_off, const uint ldc)
{
    const uint j = get_global_id(0), i = get_global_id(1);
    if (i >= m || j >= n)
        return;
    __global float *x = c + c_off + i * ldc + j;
    *x = beta == 0.0f ? 0.0f : beta * *x;
}

#if EWCL_GEMM_TN == EWCL_GEMM_WN
/* ---- CPU design ------------------------------------------------------------------------ */

#if EWCL_VECTOR_WIDTH != 4 && EWCL_VECTOR_WIDTH != 8 && EWCL_VECTOR_WIDTH != 16
#error "the CPU GEMM design needs EWCL_VECTOR_WIDTH of 4, 8 or 16"
#endif
#if EWCL_GEMM_WN != 2 * EWCL_VECTOR_WIDTH
#error "the CPU GEMM design computes two vectors per row: EWCL_GEMM_WN = 2·EWCL_VECTOR_WIDTH"
#endif

#define EWCL_V EWCL_VECTOR_WIDTH
#define EWCL_LOG2_V (EWCL_V == 16 ? 4 : EWCL_V == 8 ? 3 : 2)
#define EWCL_CAT_(x, y) x##y
#define EWCL_CAT(x, y) EWCL_CAT_(x, y)
#define ewcl_floatv EWCL_CAT(float, EWCL_V)
#define ewcl_vload EWCL_CAT(vload, EWCL_V)
#define ewcl_vstore EWCL_CAT(vstore, EWCL_V)

/* The rows of a register block, spelled out so that every accumulator is a named variable
 * (arrays of vectors are not reliably kept in registers). The one-vector panels use the
 * same height rather than twice it: 16 rows of A a multiple of 4 KiB apart (the model's
 * 1024 inputs) all fall in one set of an 8-way L1 cache and evict each other, which
 * halved their speed. */
#if EWCL_GEMM_WM == 4
#define EWCL_ROWS(X) X(0) X(1) X(2) X(3)
#elif EWCL_GEMM_WM == 8
#define EWCL_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#elif EWCL_GEMM_WM == 12
#define EWCL_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#else
#error "the CPU GEMM design takes register blocks of 4, 8 or 12 rows (EWCL_GEMM_WM)"
#endif

/* Transposes the V×V block held in x[0..V) (x[r] = row r) in place. */
#if EWCL_V == 16
/* The usual AVX-512 sequence: interleave floats within 128-bit lanes, then pairs of
 * floats, then 128-bit lanes twice. Each step is spelled element by element, which
 * compilers turn into one shuffle with an immediate operand (sub-vector swizzles and
 * shuffle2() compiled to slower code on PoCL). */
#define EWCL_LO32(a, b)                                                                      \
    (float16)(a.s0, b.s0, a.s1, b.s1, a.s4, b.s4, a.s5, b.s5, a.s8, b.s8, a.s9, b.s9, a.sc,  \
              b.sc, a.sd, b.sd)
#define EWCL_HI32(a, b)                                                                      \
    (float16)(a.s2, b.s2, a.s3, b.s3, a.s6, b.s6, a.s7, b.s7, a.sa, b.sa, a.sb, b.sb, a.se,  \
              b.se, a.sf, b.sf)
#define EWCL_LO64(a, b)                                                                      \
    (float16)(a.s0, a.s1, b.s0, b.s1, a.s4, a.s5, b.s4, b.s5, a.s8, a.s9, b.s8, b.s9, a.sc,  \
              a.sd, b.sc, b.sd)
#define EWCL_HI64(a, b)                                                                      \
    (float16)(a.s2, a.s3, b.s2, b.s3, a.s6, a.s7, b.s6, b.s7, a.sa, a.sb, b.sa, b.sb, a.se,  \
              a.sf, b.se, b.sf)
#define EWCL_EVEN128(a, b)                                                                   \
    (float16)(a.s0, a.s1, a.s2, a.s3, a.s8, a.s9, a.sa, a.sb, b.s0, b.s1, b.s2, b.s3, b.s8,  \
              b.s9, b.sa, b.sb)
#define EWCL_ODD128(a, b)                                                                    \
    (float16)(a.s4, a.s5, a.s6, a.s7, a.sc, a.sd, a.se, a.sf, b.s4, b.s5, b.s6, b.s7, b.sc,  \
              b.sd, b.se, b.sf)
/* Each stage pairs x[g] with x[g + d] for the g whose bit d is clear, in place; after the
 * four, row q of the transpose sits in x[q with bits 0 and 1 swapped] (no second array of
 * 16 vectors needed). */
#define EWCL_TRANSPOSED_ROW(q) (((q) & ~3u) | (((q) & 1u) << 1) | (((q) >> 1) & 1u))
static inline void ewcl_gemm_transpose(float16 x[16])
{
#pragma unroll
    for (uint g = 0; g < 16; g += 2) {
        const float16 lo = x[g], hi = x[g + 1];
        x[g] = EWCL_LO32(lo, hi);
        x[g + 1] = EWCL_HI32(lo, hi);
    }
#pragma unroll
    for (uint base = 0; base < 16; base += 4)
#pragma unroll
        for (uint g = base; g < base + 2; g++) {
            const float16 lo = x[g], hi = x[g + 2];
            x[g] = EWCL_LO64(lo, hi);
            x[g + 2] = EWCL_HI64(lo, hi);
        }
#pragma unroll
    for (uint base = 0; base < 16; base += 8)
#pragma unroll
        for (uint g = base; g < base + 4; g++) {
            const float16 lo = x[g], hi = x[g + 4];
            x[g] = EWCL_EVEN128(lo, hi);
            x[g + 4] = EWCL_ODD128(lo, hi);
        }
#pragma unroll
    for (uint g = 0; g < 8; g++) {
        const float16 lo = x[g], hi = x[g + 8];
        x[g] = EWCL_EVEN128(lo, hi);
        x[g + 8] = EWCL_ODD128(lo, hi);
    }
}
#else
/* log2(V) rounds in which rows 2r and 2r+1 become the concatenations of their even and of
 * their odd elements. */
#define EWCL_TRANSPOSED_ROW(q) (q)
static inline void ewcl_gemm_transpose(ewcl_floatv x[EWCL_V])
{
    ewcl_floatv y[EWCL_V];
#pragma unroll
    for (uint round = 0; round < EWCL_LOG2_V; round++) {
#pragma unroll
        for (uint r = 0; r < EWCL_V / 2; r++) {
            y[r] = (ewcl_floatv)(x[2 * r].even, x[2 * r + 1].even);
            y[r + EWCL_V / 2] = (ewcl_floatv)(x[2 * r].odd, x[2 * r + 1].odd);
        }
#pragma unroll
        for (uint r = 0; r < EWCL_V; r++)
            x[r] = y[r];
    }
}
#endif

/* op(B)(p, j) for p < kc and V columns from jv, where op(B) = `b` is stored transposed:
 * each column is a contiguous run of B. Full V×V blocks are loaded as V vectors and
 * transposed in registers, so that the copy costs vector moves and shuffles rather than
 * a scalar load and store per element. */
static inline void ewcl_gemm_pack_transposed(__local ewcl_floatv *panel, const uint vecs,
                                             const uint v, __global const float *b,
                                             const uint ldb, const uint jv, const uint kc)
{
    __global const float *src = b + jv * ldb;
    uint p = 0;
    for (; p + EWCL_V <= kc; p += EWCL_V) {
        ewcl_floatv x[EWCL_V];
#pragma unroll
        for (uint r = 0; r < EWCL_V; r++)
            x[r] = ewcl_vload(0, src + r * ldb + p);
        ewcl_gemm_transpose(x);
#pragma unroll
        for (uint q = 0; q < EWCL_V; q++)
            panel[(p + q) * vecs + v] = x[EWCL_TRANSPOSED_ROW(q)];
    }
    __local float *flat = (__local float *)panel;
    for (; p < kc; p++)
        for (uint j = 0; j < EWCL_V; j++)
            flat[(p * vecs + v) * EWCL_V + j] = src[j * ldb + p];
}

/* Copies op(B)(0..kc, j0..j0+vecs·V) of the slice starting at `b` into panel[p·vecs + v],
 * zeros past column n. */
static inline void ewcl_gemm_pack(__local ewcl_floatv *panel, const uint vecs,
                                  const bool trans_b, __global const float *b, const uint ldb,
                                  const uint n, const uint j0, const uint kc)
{
    __local float *flat = (__local float *)panel;
    for (uint v = 0; v < vecs; v++) {
        const uint jv = j0 + v * EWCL_V;
        if (jv + EWCL_V <= n && trans_b) {
            ewcl_gemm_pack_transposed(panel, vecs, v, b, ldb, jv, kc);
        } else if (jv + EWCL_V <= n) {
            for (uint p = 0; p < kc; p++)
                panel[p * vecs + v] = ewcl_vload(0, b + p * ldb + jv);
        } else {
            for (uint p = 0; p < kc; p++)
                for (uint j = 0; j < EWCL_V; j++)
                    flat[(p * vecs + v) * EWCL_V + j] =
                        jv + j >= n ? 0.0f : trans_b ? b[(jv + j) * ldb + p] : b[p * ldb + jv + j];
        }
    }
}

/* dst[0..cols) = alpha·acc + beta·dst (cols ≥ V: the whole vector). */
static inline void ewcl_gemm_store(__global float *dst, const ewcl_floatv acc,
                                   const uint cols, const float alpha, const float beta)
{
    if (cols >= EWCL_V) {
        ewcl_floatv v = alpha * acc;
        if (beta != 0.0f)
            v += beta * ewcl_vload(0, dst);
        ewcl_vstore(v, 0, dst);
        return;
    }
    float lanes[EWCL_V];
    ewcl_vstore(acc, 0, lanes);
    for (uint j = 0; j < cols; j++)
        dst[j] = beta != 0.0f ? alpha * lanes[j] + beta * dst[j] : alpha * lanes[j];
}

/* Row r of the block: the offset of its op(A) row from the pointer that walks K (rows past
 * the group's last one repeat it) and its accumulators. */
#define EWCL_BLOCK_ROW(r)                                                                    \
    const ulong a_##r = (ulong)min(i0 + (r), i_end - 1) * row_step;                          \
    ewcl_floatv acc_##r##_0 = 0.0f;
#define EWCL_SECOND_VECTOR(r) ewcl_floatv acc_##r##_1 = 0.0f;
#define EWCL_WIDE_STEP(r)                                                                    \
    {                                                                                        \
        const float x = a[a_##r];                                                            \
        acc_##r##_0 += x * b0;                                                               \
        acc_##r##_1 += x * b1;                                                               \
    }
#define EWCL_NARROW_STEP(r) acc_##r##_0 += a[a_##r] * b0;
#define EWCL_WIDE_STORE(r)                                                                   \
    if (i0 + (r) < i_end) {                                                                  \
        __global float *row = c + (i0 + (r)) * ldc;                                          \
        ewcl_gemm_store(row, acc_##r##_0, cols, alpha, beta);                                \
        if (cols > EWCL_V)                                                                   \
            ewcl_gemm_store(row + EWCL_V, acc_##r##_1, cols - EWCL_V, alpha, beta);          \
    }
#define EWCL_NARROW_STORE(r)                                                                 \
    if (i0 + (r) < i_end)                                                                    \
        ewcl_gemm_store(c + (i0 + (r)) * ldc, acc_##r##_0, cols, alpha, beta);

/* One register block: rows i0.. (below i_end) of the panel whose copy of op(B) is
 * `panel`; `a` points at the slice's first column of op(A), `c` at column j0 of C's row 0,
 * `cols` = n − j0. */
static inline void ewcl_gemm_block_wide(const bool trans_a, __global const float *a,
                                        const uint lda, const uint i_end, const uint i0,
                                        __local const ewcl_floatv *panel, const uint kc,
                                        __global float *c, const uint ldc, const uint cols,
                                        const float alpha, const float beta)
{
    const uint row_step = trans_a ? 1 : lda, a_step = trans_a ? lda : 1;
    EWCL_ROWS(EWCL_BLOCK_ROW)
    EWCL_ROWS(EWCL_SECOND_VECTOR)
    for (uint p = 0; p < kc; p++, a += a_step) {
        const ewcl_floatv b0 = panel[2 * p], b1 = panel[2 * p + 1];
        EWCL_ROWS(EWCL_WIDE_STEP)
    }
    EWCL_ROWS(EWCL_WIDE_STORE)
}

static inline void ewcl_gemm_block_narrow(const bool trans_a, __global const float *a,
                                          const uint lda, const uint i_end, const uint i0,
                                          __local const ewcl_floatv *panel, const uint kc,
                                          __global float *c, const uint ldc, const uint cols,
                                          const float alpha, const float beta)
{
    const uint row_step = trans_a ? 1 : lda, a_step = trans_a ? lda : 1;
    EWCL_ROWS(EWCL_BLOCK_ROW)
    for (uint p = 0; p < kc; p++, a += a_step) {
        const ewcl_floatv b0 = panel[p];
        EWCL_ROWS(EWCL_NARROW_STEP)
    }
    EWCL_ROWS(EWCL_NARROW_STORE)
}

/* The work-group's panel: vecs·V columns from group(0)·2V, rows_per_group rows from
 * group(1)·rows_per_group; K in TK-deep slices, the first applying beta and the rest
 * accumulating onto C. */
static inline void ewcl_gemm_panel(const bool trans_a, const bool trans_b, const uint vecs,
                                   __local ewcl_floatv *panel, const uint m, const uint n,
                                   const uint k, const float alpha, const float beta,
                                   __global const float *a, const uint a_off, const uint lda,
                                   __global const float *b, const uint b_off, const uint ldb,
                                   __global float *c, const uint c_off, const uint ldc,
                                   const uint rows_per_group)
{
    const uint j0 = (uint)get_group_id(0) * 2 * EWCL_V;
    const uint i_begin = (uint)get_group_id(1) * rows_per_group;
    const uint i_end = min(i_begin + rows_per_group, m);
    __global float *c_panel = c + c_off + j0;
    for (uint k0 = 0; k0 < k; k0 += EWCL_GEMM_TK) {
        const uint kc = min((uint)EWCL_GEMM_TK, k - k0);
        ewcl_gemm_pack(panel, vecs, trans_b, b + b_off + (trans_b ? k0 : k0 * ldb), ldb, n,
                       j0, kc);
        const float beta_now = k0 == 0 ? beta : 1.0f;
        __global const float *a_slice = a + a_off + (trans_a ? k0 * lda : k0);
        for (uint i0 = i_begin; i0 < i_end; i0 += EWCL_GEMM_WM) {
            if (vecs == 2)
                ewcl_gemm_block_wide(trans_a, a_slice, lda, i_end, i0, panel, kc, c_panel,
                                     ldc, n - j0, alpha, beta_now);
            else
                ewcl_gemm_block_narrow(trans_a, a_slice, lda, i_end, i0, panel, kc, c_panel,
                                       ldc, n - j0, alpha, beta_now);
        }
    }
}

/* Work-groups (panel, row group); the panel numbered narrow_panel (if any: the host passes
 * the panel count otherwise) is one vector wide. Wide and narrow panels share one launch,
 * so that the narrow ones fill the gaps of the last round. */
#define EWCL_GEMM_KERNEL(name, trans_a, trans_b)                                             \
    __kernel __attribute__((reqd_work_group_size(1, 1, 1))) void name(                      \
        const uint m, const uint n, const uint k, const float alpha, const float beta,      \
        __global const float *a, const uint a_off, const uint lda, __global const float *b,  \
        const uint b_off, const uint ldb, __global float *c, const uint c_off,               \
        const uint ldc, const uint narrow_panel, const uint rows_per_group)                  \
    {                                                                                        \
        __local ewcl_floatv panel[2 * EWCL_GEMM_TK];                                         \
        const uint vecs = get_group_id(0) == narrow_panel ? 1 : 2;                           \
        if (vecs == 1)                                                                       \
            ewcl_gemm_panel(trans_a, trans_b, 1, panel, m, n, k, alpha, beta, a, a_off, lda, \
                            b, b_off, ldb, c, c_off, ldc, rows_per_group);                   \
        else                                                                                 \
            ewcl_gemm_panel(trans_a, trans_b, 2, panel, m, n, k, alpha, beta, a, a_off, lda, \
                            b, b_off, ldb, c, c_off, ldc, rows_per_group);                   \
    }

EWCL_GEMM_KERNEL(ewcl_gemm_nn, false, false)
EWCL_GEMM_KERNEL(ewcl_gemm_nt, false, true)
EWCL_GEMM_KERNEL(ewcl_gemm_tn, true, false)
EWCL_GEMM_KERNEL(ewcl_gemm_tt, true, true)

#else
/* ---- GPU design ------------------------------------------------------------------------ */

#define EWCL_ITEMS_N (EWCL_GEMM_TN / EWCL_GEMM_WN) /* work-items along a tile's columns */
#define EWCL_ITEMS_M (EWCL_GEMM_TM / EWCL_GEMM_WM) /* and along its rows */
#define EWCL_ITEMS (EWCL_ITEMS_N * EWCL_ITEMS_M)

/* Work-item (x, y) owns rows y + r·ITEMS_M and columns x + s·ITEMS_N of the tile: adjacent
 * work-items touch adjacent columns of C and of the local tiles. */
__kernel __attribute__((reqd_work_group_size(EWCL_ITEMS_N, EWCL_ITEMS_M, 1))) void
ewcl_gemm_tiled(const uint m, const uint n, const uint k, const float alpha, const float beta,
                __global const float *a, const uint a_off, const uint lda,
                __global const float *b, const uint b_off, const uint ldb, __global float *c,
                const uint c_off, const uint ldc, const uint trans_a, const uint trans_b)
{
    __local float a_tile[EWCL_GEMM_TK][EWCL_GEMM_TM];
    __local float b_tile[EWCL_GEMM_TK][EWCL_GEMM_TN];
    const uint x = get_local_id(0), y = get_local_id(1);
    const uint id = y * EWCL_ITEMS_N + x;
    const uint i_base = (uint)get_group_id(1) * EWCL_GEMM_TM;
    const uint j_base = (uint)get_group_id(0) * EWCL_GEMM_TN;

    float acc[EWCL_GEMM_WM][EWCL_GEMM_WN];
    for (uint r = 0; r < EWCL_GEMM_WM; r++)
        for (uint s = 0; s < EWCL_GEMM_WN; s++)
            acc[r][s] = 0.0f;

    for (uint k0 = 0; k0 < k; k0 += EWCL_GEMM_TK) {
        /* Neighbouring work-items load neighbouring addresses: along p when A's rows are
         * contiguous in K, along i when A is stored transposed; likewise for B. */
        for (uint e = id; e < EWCL_GEMM_TK * EWCL_GEMM_TM; e += EWCL_ITEMS) {
            const uint i = trans_a ? e % EWCL_GEMM_TM : e / EWCL_GEMM_TK;
            const uint p = trans_a ? e / EWCL_GEMM_TM : e % EWCL_GEMM_TK;
            const uint gi = i_base + i, gp = k0 + p;
            a_tile[p][i] = gi < m && gp < k
                               ? a[a_off + (trans_a ? gp * lda + gi : gi * lda + gp)]
                               : 0.0f;
        }
        for (uint e = id; e < EWCL_GEMM_TK * EWCL_GEMM_TN; e += EWCL_ITEMS) {
            const uint j = trans_b ? e / EWCL_GEMM_TK : e % EWCL_GEMM_TN;
            const uint p = trans_b ? e % EWCL_GEMM_TK : e / EWCL_GEMM_TN;
            const uint gj = j_base + j, gp = k0 + p;
            b_tile[p][j] = gj < n && gp < k
                               ? b[b_off + (trans_b ? gj * ldb + gp : gp * ldb + gj)]
                               : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (uint p = 0; p < EWCL_GEMM_TK; p++) {
            float a_reg[EWCL_GEMM_WM], b_reg[EWCL_GEMM_WN];
            for (uint r = 0; r < EWCL_GEMM_WM; r++)
                a_reg[r] = a_tile[p][y + r * EWCL_ITEMS_M];
            for (uint s = 0; s < EWCL_GEMM_WN; s++)
                b_reg[s] = b_tile[p][x + s * EWCL_ITEMS_N];
            for (uint r = 0; r < EWCL_GEMM_WM; r++)
                for (uint s = 0; s < EWCL_GEMM_WN; s++)
                    acc[r][s] += a_reg[r] * b_reg[s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (uint r = 0; r < EWCL_GEMM_WM; r++) {
        const uint i = i_base + y + r * EWCL_ITEMS_M;
        for (uint s = 0; s < EWCL_GEMM_WN; s++) {
            const uint j = j_base + x + s * EWCL_ITEMS_N;
            if (i < m && j < n) {
                __global float *dst = c + c_off + i * ldc + j;
                *dst = beta != 0.0f ? alpha * acc[r][s] + beta * *dst : alpha * acc[r][s];
            }
        }
    }
}

#endif
