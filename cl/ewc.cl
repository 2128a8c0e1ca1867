/* ewcl — Elastic Weight Consolidation on the flat parameter vector: the Fisher estimate's
 * per-sample pieces, consolidation, the penalty's value terms and the fused SGD + weight
 * decay + EWC update.
 *
 * The consolidated state is kept as S (the summed Fisher) and μ (the Fisher-weighted mean
 * anchor, M = S·μ) plus a scalar R, so that the penalty
 *   (λ/2)·Σ_t F_t·(θ − θ*_t)² = (λ/2)·(Σ S·(θ − μ)² + R)
 * and its gradient λ·S·(θ − μ) need no cancellation-prone Σ Sθ² − 2Σ θM + C. */

/* The labels a Fisher batch uses, and each row's weight:
 *   mode 0 (true):   the data's label, weight 1 (the empirical Fisher)
 *   mode 1 (pred):   the model's argmax (ties to the lowest class), weight 1
 *   mode 2 (sample): a class drawn from the model's softmax with Philox word 0 of counter
 *                    (row, stream, step low, step high) and key (seed low, seed high),
 *                    weight 1 (the paper's Fisher)
 *   mode 3 (all):    class `klass` for every row, weight softmax[klass] (summing the weighted
 *                    squares over all classes gives the exact expectation) */
__kernel void ewcl_fisher_labels(__global const float *logits, const uint logits_offset,
                                 const uint rows, const uint classes, const uint ld,
                                 const uint mode, const uint klass,
                                 __global const int *true_labels, const uint stream,
                                 const uint seed_lo, const uint seed_hi, const uint step_lo,
                                 const uint step_hi, __global int *labels,
                                 __global float *weights)
{
    const uint row = get_global_id(0);
    if (row >= rows)
        return;
    __global const float *x = logits + logits_offset + row * ld;
    uint best = 0;
    float m = x[0];
    for (uint c = 1; c < classes; c++) {
        if (x[c] > m) {
            m = x[c];
            best = c;
        }
    }
    float sum = 0.0f;
    for (uint c = 0; c < classes; c++)
        sum += exp(x[c] - m);

    int label = true_labels[row];
    float weight = 1.0f;
    if (mode == 1) {
        label = (int)best;
    } else if (mode == 2) {
        const uint4 word = ewcl_philox4x32_10((uint4)(row, stream, step_lo, step_hi),
                                              (uint2)(seed_lo, seed_hi));
        /* Inverse CDF; rounding can leave u above the last partial sum: the last class. */
        const float u = ewcl_philox_uniform(word.x) * sum;
        float acc = 0.0f;
        label = (int)classes - 1;
        for (uint c = 0; c < classes; c++) {
            acc += exp(x[c] - m);
            if (u < acc) {
                label = (int)c;
                break;
            }
        }
    } else if (mode == 3) {
        label = (int)klass;
        weight = exp(x[klass] - m) / sum;
    }
    labels[row] = label;
    weights[row] = weight;
}

/* out[row·cols + col] = scale · weight[row] · x[offset + row·ld + col]², the squared
 * per-sample factors of a layer's Fisher (weights may be absent: 1). */
__kernel void ewcl_weighted_square(__global const float *x, const uint offset, const uint rows,
                                   const uint cols, const uint ld,
                                   __global const float *weights, const float scale,
                                   __global float *out)
{
    const uint col = get_global_id(0), row = get_global_id(1);
    if (row >= rows || col >= cols)
        return;
    const float v = x[offset + row * ld + col];
    const float w = weights != 0 ? weights[row] : 1.0f;
    out[row * cols + col] = scale * w * v * v;
}

/* Folds a task's Fisher F and parameters θ into the state.
 *   separate (mode 0): S' = S + F, μ' = (S·μ + F·θ)/S' = μ + w·(θ − μ) with w = F/S', and
 *                      the residual grows by S·w·(μ − θ)² — the closed form of
 *                      S·μ² + F·θ² − S'·μ'² ≥ 0. With no earlier task (S = 0) w is exactly
 *                      1, so μ' is exactly θ and the penalty is exactly 0 at the anchor.
 *   online (mode 1):   S' = γ·S + F, μ' = θ, no residual (γ = 0: only the latest task)
 * terms[i] receives the element's residual increment (summed by the host's reduction). */
__kernel void ewcl_ewc_consolidate(__global float *S, __global float *mu,
                                   __global const float *F, __global const float *theta,
                                   const uint n, const uint online, const float gamma,
                                   __global float *terms)
{
    const uint i = get_global_id(0);
    if (i >= n)
        return;
    const float s = S[i], f = F[i], t = theta[i], m = mu[i];
    if (online) {
        S[i] = gamma * s + f;
        mu[i] = t;
        terms[i] = 0.0f;
        return;
    }
    const float total = s + f;
    const float w = total > 0.0f ? f / total : 0.0f;
    const float d = t - m;
    S[i] = total;
    mu[i] = m + w * d;
    terms[i] = s * w * d * d;
}

/* terms[i] = S·(θ − μ)², summed by the host's reduction into the penalty's value. */
__kernel void ewcl_ewc_penalty_terms(__global const float *S, __global const float *mu,
                                     __global const float *theta, const uint n,
                                     __global float *terms)
{
    const uint i = get_global_id(0);
    if (i >= n)
        return;
    const float d = theta[i] - mu[i];
    terms[i] = S[i] * d * d;
}

/* One step on every parameter with the penalty's pull, as PyTorch's SGD applies weight
 * decay:
 *   explicit: θ ← θ − lr·(g + wd·θ + λ·S·(θ − μ))
 *   implicit: θ ← (θ − lr·(g + wd·θ) + lr·λ·S·μ) / (1 + lr·λ·S), the exact proximal step
 *             of the quadratic penalty, stable for any λ. */
__kernel void ewcl_ewc_update(__global float *theta, __global const float *grad,
                              __global const float *S, __global const float *mu, const uint n,
                              const float lr, const float weight_decay, const float lambda,
                              const uint implicit_step)
{
    const uint i = get_global_id(0);
    if (i >= n)
        return;
    const float t = theta[i], g = grad[i] + weight_decay * t, s = S[i], m = mu[i];
    if (implicit_step) {
        const float pull = lr * lambda * s;
        theta[i] = (t - lr * g + pull * m) / (1.0f + pull);
    } else {
        theta[i] = t - lr * (g + lambda * s * (t - m));
    }
}
