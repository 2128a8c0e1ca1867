/* ewcl — element-wise kernels of the MLP: the fused bias + ReLU + inverted dropout of the
 * forward pass, its backward, the bias gradient (column sums) and the SGD update.
 *
 * Dropout (see ewcl_dropout_key in src/ops/elementwise.h): element e = row·cols + col of
 * the logical matrix takes word e % 4 of Philox-4x32-10 at counter (e / 4, stream, step low,
 * step high) and key (seed low, seed high), and is kept when its top 24 bits are at least
 * `threshold` = ⌈p·2^24⌉, the integer form of "uniform ≥ p": the decision uses no floating
 * point, so every device draws the same mask. */

/* ReLU that lets NaN through (so that a diverging run is noticed, as in PyTorch). */
float ewcl_relu(float v)
{
    return v < 0.0f ? 0.0f : v;
}

/* p = 0: bias and ReLU only, one work-item per element (the host skips the launch when there
 * is neither). Without a bias nothing is added, so −0 and NaN payloads pass unchanged. */
__kernel void ewcl_bias_relu(__global float *y, const uint y_offset, const uint rows,
                             const uint cols, const uint ld, __global const float *bias,
                             const uint bias_offset, const uint relu)
{
    const uint col = get_global_id(0), row = get_global_id(1);
    if (row >= rows || col >= cols)
        return;
    const uint i = y_offset + row * ld + col;
    float v = y[i];
    if (bias != 0)
        v += bias[bias_offset + col];
    y[i] = relu ? ewcl_relu(v) : v;
}

/* Word i (0 … 7) of the eight words of a then b, by selects: a switch here stopped PoCL
 * from vectorising the kernel. */
uint ewcl_word_of(uint4 a, uint4 b, uint i)
{
    const uint odd = i & 1u;
    const uint lo = select(select(a.x, a.y, odd), select(a.z, a.w, odd), i & 2u);
    const uint hi = select(select(b.x, b.y, odd), select(b.z, b.w, odd), i & 2u);
    return select(lo, hi, i & 4u);
}

/* One element: bias, ReLU, then kept ×scale or dropped by its Philox word. */
float ewcl_dropout_element(float v, bool has_bias, float b, uint relu, uint word,
                           uint threshold, float scale)
{
    if (has_bias)
        v += b;
    if (relu)
        v = ewcl_relu(v);
    return (word >> 8) >= threshold ? v * scale : 0.0f;
}

/* Work-item (q, row) handles columns 4q … 4q+3 of its row, so that one Philox call serves
 * four elements. `aligned` (every row starts on a Philox block: cols % 4 == 0) is a
 * constant of each kernel below: then one block covers the four and no column is past the
 * row's end; otherwise the four may straddle two blocks. Scalar code throughout, with no
 * per-element branches in the aligned case, so that PoCL vectorises across work-items. */
void ewcl_dropout_quad(__global float *y, const uint y_offset, const uint rows,
                       const uint cols, const uint ld, __global const float *bias,
                       const uint bias_offset, const uint relu, const uint threshold,
                       const float scale, uint4 counter, const uint2 key, const bool aligned)
{
    const uint c0 = 4 * (uint)get_global_id(0), row = get_global_id(1);
    if (row >= rows || c0 >= cols)
        return;
    const uint e0 = row * cols + c0;
    counter.x = e0 >> 2;
    const uint4 first = ewcl_philox4x32_10(counter, key);
    uint4 words = first;
    if (!aligned) {
        counter.x += 1;
        const uint4 second = ewcl_philox4x32_10(counter, key);
        const uint shift = e0 & 3u;
        words = (uint4)(ewcl_word_of(first, second, shift),
                        ewcl_word_of(first, second, shift + 1),
                        ewcl_word_of(first, second, shift + 2),
                        ewcl_word_of(first, second, shift + 3));
    }
    __global float *yr = y + y_offset + row * ld + c0;
    const bool has_bias = bias != 0;
    const uint b = bias_offset + c0;
    yr[0] = ewcl_dropout_element(yr[0], has_bias, has_bias ? bias[b] : 0.0f, relu, words.x,
                                 threshold, scale);
    if (aligned || c0 + 1 < cols)
        yr[1] = ewcl_dropout_element(yr[1], has_bias, has_bias ? bias[b + 1] : 0.0f, relu,
                                     words.y, threshold, scale);
    if (aligned || c0 + 2 < cols)
        yr[2] = ewcl_dropout_element(yr[2], has_bias, has_bias ? bias[b + 2] : 0.0f, relu,
                                     words.z, threshold, scale);
    if (aligned || c0 + 3 < cols)
        yr[3] = ewcl_dropout_element(yr[3], has_bias, has_bias ? bias[b + 3] : 0.0f, relu,
                                     words.w, threshold, scale);
}

/* In place over y (rows×cols, row stride ld), 0 < p < 1: see ewcl_dropout_quad. `counter`
 * carries (unused, stream, step low, step high), `key` the seed. bias may be NULL. */
__kernel void ewcl_bias_relu_dropout(__global float *y, const uint y_offset, const uint rows,
                                     const uint cols, const uint ld,
                                     __global const float *bias, const uint bias_offset,
                                     const uint relu, const uint threshold, const float scale,
                                     const uint4 counter, const uint2 key)
{
    ewcl_dropout_quad(y, y_offset, rows, cols, ld, bias, bias_offset, relu, threshold, scale,
                      counter, key, false);
}

/* The same for cols % 4 == 0, about twice as fast (one Philox call per work-item). */
__kernel void ewcl_bias_relu_dropout_aligned(__global float *y, const uint y_offset,
                                             const uint rows, const uint cols, const uint ld,
                                             __global const float *bias,
                                             const uint bias_offset, const uint relu,
                                             const uint threshold, const float scale,
                                             const uint4 counter, const uint2 key)
{
    ewcl_dropout_quad(y, y_offset, rows, cols, ld, bias, bias_offset, relu, threshold, scale,
                      counter, key, true);
}

/* g ← (a > 0) ? g·scale : 0 over count floats, scale = 1/(1−p) as the forward used it. */
__kernel void ewcl_relu_dropout_backward(__global const float *a, const uint a_offset,
                                         __global float *g, const uint g_offset,
                                         const uint count, const float scale)
{
    const uint i = get_global_id(0);
    if (i >= count)
        return;
    const float grad = g[g_offset + i];
    g[g_offset + i] = a[a_offset + i] > 0.0f ? grad * scale : 0.0f;
}

/* out[j] (+)= Σ_i dz[i·ld + j]: work-item q walks down columns 16q … 16q+15 as one float16
 * (explicit vectors: PoCL does not vectorise across work-items around a loop; this ran 8×
 * faster than a column per work-item), the last, partial group of columns one by one. */
__kernel void ewcl_column_sum(__global const float *dz, const uint dz_offset, const uint rows,
                              const uint cols, const uint ld, __global float *out,
                              const uint out_offset, const uint accumulate)
{
    const uint j = 16 * (uint)get_global_id(0);
    if (j >= cols)
        return;
    __global const float *top = dz + dz_offset + j;
    __global float *o = out + out_offset + j;
    if (j + 16 <= cols) {
        float16 sum = 0.0f;
        for (uint i = 0; i < rows; i++)
            sum += vload16(0, top + i * ld);
        vstore16(accumulate ? vload16(0, o) + sum : sum, 0, o);
        return;
    }
    for (uint c = 0; c < cols - j; c++) {
        float sum = 0.0f;
        for (uint i = 0; i < rows; i++)
            sum += top[i * ld + c];
        o[c] = accumulate ? o[c] + sum : sum;
    }
}

/* θ ← θ − lr·(g + wd·θ), PyTorch's SGD with weight decay. */
__kernel void ewcl_sgd_update(__global float *theta, __global const float *grad,
                              const uint offset, const uint count, const float lr,
                              const float weight_decay)
{
    const uint i = offset + get_global_id(0);
    if (get_global_id(0) >= count)
        return;
    const float t = theta[i];
    theta[i] = t - lr * (grad[i] + weight_decay * t);
}

/* x[offset + i] = 0 for i < n, 32-bit words. Used instead of clEnqueueFillBuffer, which
 * Oclgrind 21.10 does not count as initialising memory (its every later read would be
 * reported). */
__kernel void ewcl_zero_words(__global uint *x, const uint offset, const uint n)
{
    const uint i = get_global_id(0);
    if (i < n)
        x[offset + i] = 0u;
}
