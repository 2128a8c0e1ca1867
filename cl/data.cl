/* ewcl — gathering a batch from a dataset resident on the device (src/data/).
 *
 * Images are bytes, rows×cols each, stored `stride` = rows·cols + 1 bytes apart: the byte
 * after each image is 0, and padding reads it. Input p of batch row i is
 *   fma(padded(indices[i])[perm[p]], scale, shift)
 * where padded(image) is the image with `pad` zero pixels added on every side (width
 * cols + 2·pad, input_size pixels in all), perm is the task's permutation (NULL: the
 * identity), and scale = 1/(255·std), shift = −mean/std as floats: fma rounds once, so every
 * device gives the same bits, and a padded pixel is exactly shift, (0 − mean)/std rounded,
 * as torchvision's Pad then ToTensor then Normalize gives.
 *
 * Two launches per batch: ewcl_gather_prepare turns the permutation into byte offsets
 * within an image (and writes the labels), so that ewcl_gather_batch, over every input of
 * every row, is a load, a convert, an fma and a store: straight-line code with no test,
 * which PoCL vectorises across work-items (index arithmetic and a padding test there made
 * it twice as slow). */

/* offsets[p] = where input p comes from within an image (stride − 1 for padding), for
 * p < input_size; out_labels[k] = labels[indices[k]] for k < batch (out_labels may be NULL).
 * One work-item per k < max(input_size, batch). A value of perm out of range reads as
 * padding, never outside the images. */
__kernel void ewcl_gather_prepare(__global const uint *perm, const uint input_size,
                                  const uint rows, const uint cols, const uint pad,
                                  __global uint *offsets, __global const uchar *labels,
                                  __global const uint *indices, const uint batch,
                                  __global int *out_labels)
{
    const uint k = get_global_id(0);
    if (k < input_size) {
        const uint s = perm != 0 ? perm[k] : k;
        const uint width = cols + 2 * pad, row = s / width;
        /* Unsigned: a padded row or column above or left of the image wraps past the end.
         * No `%` beside the `/`: the compiler's merged form trips Oclgrind. */
        const uint y = row - pad, x = s - row * width - pad;
        offsets[k] = y < rows && x < cols ? y * cols + x : rows * cols;
    }
    if (k < batch && out_labels != 0)
        out_labels[k] = labels[indices[k]];
}

/* inputs[i·input_size + p] for p < input_size, i < batch. Launched over exactly
 * input_size × batch work-items (no work-group size is given, so none is rounded up),
 * hence no bounds test. */
__kernel void ewcl_gather_batch(__global const uchar *images, const uint stride,
                                __global const uint *indices, __global const uint *offsets,
                                const float scale, const float shift, const uint input_size,
                                __global float *inputs)
{
    const uint p = get_global_id(0), i = get_global_id(1);
    const uint pixel = images[indices[i] * stride + offsets[p]];
    inputs[i * input_size + p] = fma((float)pixel, scale, shift);
}
