/* Device profiles: the one place where ewcl makes vendor- or type-specific choices. Every
 * other file asks the profile instead of testing a vendor. */
#include <stdio.h>
#include <string.h>

#include "runtime/error_internal.h"
#include "ewcl/runtime.h"

/* CPUs (PoCL, Intel, AMD): measured on PoCL, one work-item computing an 8×32 block of C in
 * vector registers reached OpenBLAS's speed; local-memory tiling with many small
 * work-items did not (see shared/reference/opencl-cpu.md). cl/gemm.cl's CPU design
 * (chosen by tile_n == work_n: one work-item per work-group) takes up to tile_m = 256 rows
 * of a 32-column panel per work-group, copies op(B) for it in slices of tile_k = 256 deep
 * (32 KiB, an L1 data cache), and walks the rows in 8×32 register blocks: 16 float16
 * accumulators. */
static const ewcl_profile cpu_profile = {
    .work_group_size = 64,
    .work_group_multiple = 1,
    .gemm_tile_m = 256, .gemm_tile_n = 32, .gemm_tile_k = 256,
    .gemm_work_m = 8, .gemm_work_n = 32,
    .vector_width = 16,
    .gemm_engine = EWCL_GEMM_NATIVE,
};

/* GPUs: 64×64 tiles of C per work-group, 4×4 per work-item (256 work-items), staged through
 * local memory; CLBlast's tuning database covers NVIDIA, AMD and Intel GPUs, so it leads. */
static const ewcl_profile gpu_profile = {
    .work_group_size = 256,
    .work_group_multiple = 32,
    .gemm_tile_m = 64, .gemm_tile_n = 64, .gemm_tile_k = 16,
    .gemm_work_m = 4, .gemm_work_n = 4,
    .vector_width = 1,
    .gemm_engine = EWCL_GEMM_CLBLAST,
};

/* Accelerators and simulators (Oclgrind): small shapes, the project's own kernels, so that
 * a correctness witness runs the code ewcl ships. */
static const ewcl_profile small_profile = {
    .work_group_size = 64,
    .work_group_multiple = 1,
    .gemm_tile_m = 16, .gemm_tile_n = 16, .gemm_tile_k = 16,
    .gemm_work_m = 2, .gemm_work_n = 2,
    .vector_width = 1,
    .gemm_engine = EWCL_GEMM_NATIVE,
};

/* SIMD width of a GPU by who made it: NVIDIA warps of 32, AMD wavefronts of 64 (GCN; RDNA
 * runs 32 or 64), Intel's widest SIMD of 32 — the kernel query can refine it later. */
static size_t gpu_simd_width(ewcl_hw_vendor vendor)
{
    switch (vendor) {
    case EWCL_VENDOR_AMD:
        return 64;
    case EWCL_VENDOR_INTEL:
        return 16;
    default:
        return 32;
    }
}

/* Local memory of cl/gemm.cl's product kernels: the CPU design (tile_n == work_n) copies
 * a tile_k × tile_n slice of op(B); the GPU design stages tile_k-deep slices of op(A) and
 * op(B) for its tile_m × tile_n tile. */
static uint64_t gemm_local_bytes(const ewcl_profile *p)
{
    const uint64_t rows = p->gemm_tile_n == p->gemm_work_n ? 0 : p->gemm_tile_m;
    return (rows + p->gemm_tile_n) * p->gemm_tile_k * sizeof(float);
}

static void derive(const ewcl_device_info *device, ewcl_profile *out)
{
    switch (device->type) {
    case EWCL_DEVICE_CPU: {
        *out = cpu_profile;
        /* A narrower preferred width (8 on AVX2, 4 on SSE or NEON) means vectors of that
         * width: the GEMM panel is two of them wide, and the register block 4 rows tall,
         * so that its 8 accumulators, two vectors of B and a broadcast of A fit in the 16
         * vector registers of AVX2 and SSE. */
        const uint32_t preferred = device->preferred_vector_width_float;
        if (preferred >= 4 && preferred < 16) {
            out->vector_width = preferred;
            out->gemm_work_n = out->gemm_tile_n = 2 * out->vector_width;
            out->gemm_work_m = 4;
        }
        break;
    }
    case EWCL_DEVICE_GPU:
        *out = gpu_profile;
        out->work_group_multiple = gpu_simd_width(device->hw_vendor);
        /* CLBlast's tuning database knows NVIDIA, AMD and Intel GPUs; for any other GPU
         * the engine is left open, and a timed probe decides (src/ops/gemm_probe.c). */
        if (device->hw_vendor != EWCL_VENDOR_NVIDIA && device->hw_vendor != EWCL_VENDOR_AMD &&
            device->hw_vendor != EWCL_VENDOR_INTEL)
            out->gemm_engine = EWCL_GEMM_AUTO;
        break;
    default:
        *out = small_profile;
        break;
    }
    if (device->max_work_group_size > 0 && out->work_group_size > device->max_work_group_size)
        out->work_group_size = device->max_work_group_size;
    /* Halve the GEMM's K slices until its local memory fits the device (Intel's CPU
     * runtime, for one, offers 32 KiB). */
    while (device->local_mem_bytes > 0 && out->gemm_tile_k > 8 &&
           gemm_local_bytes(out) > device->local_mem_bytes)
        out->gemm_tile_k /= 2;
    /* Shrink GPU-style tiles until their work-group fits the device. */
    while (out->gemm_tile_m > out->gemm_work_m && device->max_work_group_size > 0 &&
           (size_t)(out->gemm_tile_m / out->gemm_work_m) * (out->gemm_tile_n / out->gemm_work_n) >
               device->max_work_group_size) {
        out->gemm_tile_m /= 2;
        out->gemm_tile_n /= 2;
    }
}

#define OVERRIDE(field)                  \
    do {                                 \
        if (overrides->field != 0)       \
            out->field = overrides->field; \
    } while (0)

static void apply_overrides(const ewcl_profile_overrides *overrides, ewcl_profile *out)
{
    OVERRIDE(work_group_size);
    OVERRIDE(work_group_multiple);
    OVERRIDE(gemm_tile_m);
    OVERRIDE(gemm_tile_n);
    OVERRIDE(gemm_tile_k);
    OVERRIDE(gemm_work_m);
    OVERRIDE(gemm_work_n);
    OVERRIDE(vector_width);
    OVERRIDE(gemm_engine);
}

static ewcl_status validate(const ewcl_device_info *device, const ewcl_profile *p,
                            ewcl_error *err)
{
    if (p->gemm_work_m == 0 || p->gemm_work_n == 0 || p->gemm_tile_k == 0 ||
        p->gemm_tile_m % p->gemm_work_m != 0 || p->gemm_tile_n % p->gemm_work_n != 0)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "GEMM tile %ux%u is not a multiple of its per-work-item block %ux%u",
                         p->gemm_tile_m, p->gemm_tile_n, p->gemm_work_m, p->gemm_work_n);
    const size_t gemm_group =
        (size_t)(p->gemm_tile_m / p->gemm_work_m) * (p->gemm_tile_n / p->gemm_work_n);
    if (device->max_work_group_size > 0 &&
        (p->work_group_size > device->max_work_group_size ||
         gemm_group > device->max_work_group_size))
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "work-group of %zu (GEMM %zu) exceeds the maximum %zu of '%s'",
                         p->work_group_size, gemm_group, device->max_work_group_size,
                         device->name);
    if (p->work_group_size == 0 || p->work_group_multiple == 0)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "work-group size must be positive");
    switch (p->vector_width) {
    case 1: case 2: case 4: case 8: case 16:
        break;
    default:
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "vector width %u is not one of 1, 2, 4, 8, 16", p->vector_width);
    }
    if (p->gemm_engine != EWCL_GEMM_NATIVE && p->gemm_engine != EWCL_GEMM_CLBLAST &&
        p->gemm_engine != EWCL_GEMM_AUTO)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "unknown GEMM engine %d",
                         (int)p->gemm_engine);
    return EWCL_OK;
}

ewcl_status ewcl_profile_derive(const ewcl_device_info *device,
                                const ewcl_profile_overrides *overrides, ewcl_profile *out,
                                ewcl_error *err)
{
    if (device == NULL || out == NULL)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "ewcl_profile_derive: NULL argument");
    derive(device, out);
    if (overrides != NULL)
        apply_overrides(overrides, out);
    return validate(device, out, err);
}

void ewcl_profile_build_options(const ewcl_profile *p, char *buffer, size_t size)
{
    snprintf(buffer, size,
             "-DEWCL_WG=%zu -DEWCL_WG_MULTIPLE=%zu -DEWCL_GEMM_TM=%u -DEWCL_GEMM_TN=%u "
             "-DEWCL_GEMM_TK=%u -DEWCL_GEMM_WM=%u -DEWCL_GEMM_WN=%u -DEWCL_VECTOR_WIDTH=%u",
             p->work_group_size, p->work_group_multiple, p->gemm_tile_m, p->gemm_tile_n,
             p->gemm_tile_k, p->gemm_work_m, p->gemm_work_n, p->vector_width);
}
