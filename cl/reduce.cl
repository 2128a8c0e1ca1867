/* ewcl — sum and sum-of-squares reductions over a float vector.
 *
 * Two passes: ewcl_reduce_partial leaves one partial sum per work-group (each work-item
 * strides over the vector, then a tree in local memory), and the same kernel run with a
 * single work-group over the partials gives the total. The tree handles any local size,
 * not only powers of two. */

__kernel void ewcl_reduce_partial(__global const float *x, const uint offset, const uint n,
                                  const uint square, __global float *partials,
                                  __local float *scratch)
{
    const uint lid = get_local_id(0);
    const uint lsize = get_local_size(0);
    const uint stride = get_global_size(0);

    float acc = 0.0f;
    for (uint i = get_global_id(0); i < n; i += stride) {
        const float v = x[offset + i];
        acc += square ? v * v : v;
    }
    scratch[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);

    for (uint active = lsize; active > 1;) {
        /* The upper part folds onto the lower; an odd middle element waits a round. */
        const uint upper = (active + 1) / 2;
        if (lid < active - upper)
            scratch[lid] += scratch[lid + upper];
        barrier(CLK_LOCAL_MEM_FENCE);
        active = upper;
    }
    if (lid == 0)
        partials[get_group_id(0)] = scratch[0];
}
