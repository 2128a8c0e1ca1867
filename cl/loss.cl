/* ewcl — the loss: log-softmax, the negative log-likelihood of the true class, its gradient
 * and the correct-prediction flag, one work-item per row (rows are a batch, classes few).
 *
 * Stable form: with m the row's maximum (first index b on ties), every exp(x_c − m) ≤ 1 and
 * the b term is exactly 1, so
 *   loss = −log softmax(x)[label] = (m − x_label) + log1p(Σ_{c≠b} exp(x_c − m)),
 * which keeps its relative accuracy for confident rows whose loss is near 0, and
 *   softmax(x)[label] − 1 = −Σ_{c≠label} exp(x_c − m) / Σ_c exp(x_c − m)
 * without cancellation. A label outside [0, classes) gives a NaN loss (never read). */

__kernel void ewcl_softmax_nll(__global const float *logits, const uint logits_offset,
                               const uint rows, const uint classes, const uint ld,
                               __global const int *labels, const uint labels_offset,
                               __global float *loss_rows, __global float *correct_rows,
                               __global float *grad, const uint grad_offset,
                               const float grad_scale)
{
    const uint row = get_global_id(0);
    if (row >= rows)
        return;
    __global const float *x = logits + logits_offset + row * ld;
    const int label = labels[labels_offset + row];
    const bool valid = label >= 0 && (uint)label < classes;

    uint best = 0;
    float m = x[0];
    for (uint c = 1; c < classes; c++) {
        if (x[c] > m) {
            m = x[c];
            best = c;
        }
    }
    float others = 0.0f;    /* Σ over c ≠ best: the sum is 1 + others */
    float off_label = 0.0f; /* Σ over c ≠ label */
    for (uint c = 0; c < classes; c++) {
        const float e = exp(x[c] - m);
        if (c != best)
            others += e;
        if ((int)c != label)
            off_label += e;
    }
    loss_rows[row] = valid ? (m - x[label]) + log1p(others) : NAN;
    correct_rows[row] = (int)best == label ? 1.0f : 0.0f;
    if (grad == 0)
        return;

    __global float *g = grad + grad_offset + row * ld;
    const float sum = 1.0f + others;
    for (uint c = 0; c < classes; c++)
        g[c] = (int)c == label ? -grad_scale * (off_label / sum)
                               : grad_scale * (exp(x[c] - m) / sum);
    for (uint c = classes; c < ld; c++)
        g[c] = 0.0f;
}
