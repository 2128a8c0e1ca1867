/* ewcl — sum and sum-of-squares reductions over a float vector.
 *
 * Two passes: ewcl_reduce_partial leaves one partial sum per work-group (each work-item
 * strides over the vector in 16-float chunks, then a tree in local memory), and
 * ewcl_reduce_final adds the partials in a single work-group, writing the total where the
 * caller wants it. The tree handles any local size, not only powers of two. */

/* The sum of the sixteen lanes. Through a private array rather than by lane reads: on
 * vectors from vload16 those crash Oclgrind 21.10's uninitialised-value checker. */
float ewcl_sum16(float16 v)
{
    float lanes[16];
    vstore16(v, 0, lanes);
    float sum = 0.0f;
    for (int i = 0; i < 16; i++)
        sum += lanes[i];
    return sum;
}

/* Leaves the sum of every work-item's `acc` over the work-group in scratch[0]. */
void ewcl_group_sum(float acc, __local float *scratch)
{
    const uint lid = get_local_id(0);
    scratch[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint active = get_local_size(0); active > 1;) {
        /* The upper part folds onto the lower; an odd middle element waits a round. */
        const uint upper = (active + 1) / 2;
        if (lid < active - upper)
            scratch[lid] += scratch[lid + upper];
        barrier(CLK_LOCAL_MEM_FENCE);
        active = upper;
    }
}

/* Each work-item adds 16-float chunks i, i + (work-items), … as one float16 (explicit
 * vectors: PoCL does not vectorise across work-items around a loop, and this ran 11×
 * faster than a float at a time), then the n % 16 leftover floats in the same stride. */
__kernel void ewcl_reduce_partial(__global const float *x, const uint offset, const uint n,
                                  const uint square, __global float *partials,
                                  __local float *scratch)
{
    __global const float *v = x + offset;
    const uint id = get_global_id(0), stride = get_global_size(0), chunks = n / 16;
    float16 acc16 = 0.0f;
    for (uint i = id; i < chunks; i += stride) {
        const float16 chunk = vload16(i, v);
        acc16 += square ? chunk * chunk : chunk;
    }
    float acc = ewcl_sum16(acc16);
    for (uint i = 16 * chunks + id; i < n; i += stride) {
        const float last = v[i];
        acc += square ? last * last : last;
    }
    ewcl_group_sum(acc, scratch);
    if (get_local_id(0) == 0)
        partials[get_group_id(0)] = scratch[0];
}

/* out[out_offset] = Σ partials[0 … count): run as one work-group (count = 0 gives 0). */
__kernel void ewcl_reduce_final(__global const float *partials, const uint count,
                                __global float *out, const uint out_offset,
                                __local float *scratch)
{
    float acc = 0.0f;
    for (uint i = get_local_id(0); i < count; i += get_local_size(0))
        acc += partials[i];
    ewcl_group_sum(acc, scratch);
    if (get_local_id(0) == 0)
        out[out_offset] = scratch[0];
}
