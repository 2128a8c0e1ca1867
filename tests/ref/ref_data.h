/* Host references of the data layer in double precision: the batch gather of cl/data.cl
 * (pad, normalise, permute), written from its definition rather than its code, and the
 * pixel statistics. */
#ifndef EWCL_REF_DATA_H
#define EWCL_REF_DATA_H

#include <stddef.h>
#include <stdint.h>

/* out[i·input_size + p] = (padded_i[perm[p]]/255 − mean)/std for i < batch, p < input_size,
 * where padded_i is image indices[i] (rows×cols bytes, back to back in `images`) with `pad`
 * zero pixels added on every side, input_size = (rows + 2·pad)·(cols + 2·pad), and perm
 * NULL means the identity. */
void ref_gather(const uint8_t *images, size_t rows, size_t cols, size_t pad,
                const uint32_t *perm, const uint32_t *indices, size_t batch, double mean,
                double std, double *out);

/* Mean and population standard deviation of n bytes scaled to [0, 1], two passes. */
void ref_pixel_stats(const uint8_t *pixels, size_t n, double *mean, double *std);

#endif
