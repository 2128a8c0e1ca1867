/* The diagonal Fisher of a task, batched: per layer F(W) += (a∘a)ᵀ(δ∘δ)/N and
 * F(b) += Σ δ∘δ / N, with δ each sample's own gradient of its log-likelihood at the layer's
 * output — one GEMM per layer on squared operands, no per-sample loop. */
#include <stdlib.h>

#include "ewc/ewc_core.h"
#include "ewc/ewc_internal.h"
#include "ops/buffer.h"
#include "ops/ewc_kernels.h"
#include "runtime/error_internal.h"

/* Philox stream of the sampled labels, apart from the dropout streams (0 … layers). */
enum { FISHER_LABEL_STREAM = 0x45574331u /* "EWC1" */ };

typedef struct fisher_pass {
    ewcl_ewc *ewc;
    float scale;      /* 1/N */
    bool weighted;    /* rows carry softmax weights (mode all) */
} fisher_pass;

/* One layer's share of one batch: square its input and its δ, accumulate. */
static ewcl_status accumulate_layer(void *user, ewcl_mlp *m, size_t l, size_t batch, cl_mem x,
                                    size_t x_offset, cl_mem delta)
{
    const fisher_pass *pass = user;
    ewcl_ewc *e = pass->ewc;
    const ewcl_mlp_layer *shape = &m->layers[l].shape;
    const ewcl_ewc_layer_args layer = {
        .rows = batch, .in = shape->in, .out = shape->out,
        .x = x, .x_offset = x_offset, .ldx = shape->in,
        .delta = delta, .delta_offset = 0, .ld_delta = shape->out,
        .weight_offset = shape->weight_offset, .bias_offset = shape->bias_offset,
        .scale = pass->scale,
    };
    return ewcl_ewc_fisher_layer(e->rt, m->config.gemm, &layer,
                                 pass->weighted ? e->weights : NULL, e->square_x,
                                 e->square_delta, e->fisher);
}

static ewcl_fisher_label_mode label_mode(ewcl_fisher_labels labels)
{
    switch (labels) {
    case EWCL_FISHER_SAMPLE:
        return EWCL_FISHER_LABELS_SAMPLE;
    case EWCL_FISHER_PRED:
        return EWCL_FISHER_LABELS_PRED;
    case EWCL_FISHER_ALL:
        return EWCL_FISHER_LABELS_ALL;
    default:
        return EWCL_FISHER_LABELS_TRUE;
    }
}

/* One batch already in the MLP: forward once, then one backward per label pass (one, or
 * one per class for the exact expectation). */
static ewcl_status estimate_batch(ewcl_ewc *e, size_t batch, uint64_t batch_index,
                                  const fisher_pass *pass)
{
    ewcl_mlp *m = e->mlp;
    /* Its own step numbers: the dropout (if asked for) and label draws of the Fisher never
     * repeat a training step's, and differ from task to task. */
    const uint64_t step = ((uint64_t)1 << 63) | ((uint64_t)e->tasks << 32) | batch_index;
    ewcl_status s = ewcl_mlp_forward(m, batch, e->config.fisher_dropout, step);
    const mlp_layer_plan *out = &m->layers[m->layer_count - 1];
    const size_t passes = e->config.labels == EWCL_FISHER_ALL ? out->shape.out : 1;
    const ewcl_dropout_key key = {e->config.seed, FISHER_LABEL_STREAM, step};
    for (size_t c = 0; c < passes && s == EWCL_OK; c++) {
        s = ewcl_op_fisher_labels(e->rt, m->acts, out->output_act, batch, out->shape.out,
                                  out->shape.out, label_mode(e->config.labels), c, m->labels,
                                  key, e->labels, e->weights);
        /* Scale 1: each row's δ is its own sample's gradient, not a batch mean's share. */
        if (s == EWCL_OK)
            s = ewcl_mlp_output_gradient(m, batch, e->labels, 1.0f, true);
        if (s == EWCL_OK)
            s = ewcl_mlp_backward_visit(m, batch, accumulate_layer, (void *)pass);
    }
    return s;
}

/* Sum, max and zeros of each layer's block of the estimate (read once per task). */
static ewcl_status compute_stats(ewcl_ewc *e)
{
    float *host = malloc(e->n * sizeof *host);
    if (host == NULL)
        return EWCL_FAIL(&e->rt->error, EWCL_ERR_OUT_OF_MEMORY, "ewc: out of memory");
    ewcl_status s = ewcl_buffer_read(e->rt, e->fisher, 0, e->n * sizeof *host, host);
    for (size_t l = 0; s == EWCL_OK && l < e->mlp->layer_count; l++) {
        const ewcl_mlp_layer *shape = &e->mlp->layers[l].shape;
        ewcl_fisher_stats st = {0.0, 0.0f, 0, shape->in * shape->out + shape->out};
        /* Weights and bias are adjacent in the flat vector. */
        for (size_t i = shape->weight_offset; i < shape->weight_offset + st.count; i++) {
            st.sum += host[i];
            st.max = host[i] > st.max ? host[i] : st.max;
            st.zeros += host[i] == 0.0f;
        }
        e->stats[l] = st;
    }
    free(host);
    return s;
}

ewcl_status ewcl_ewc_estimate_fisher(ewcl_ewc *e, size_t samples, size_t available,
                                     ewcl_fill_batch_fn fill, void *user)
{
    if (samples == 0 || samples > available)
        return EWCL_FAIL(&e->rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "ewc: Fisher estimate from %zu samples, but the task has %zu (use "
                         "1 to %zu)",
                         samples, available, available);
    const fisher_pass pass = {e, 1.0f / (float)samples, e->config.labels == EWCL_FISHER_ALL};
    ewcl_status s = ewcl_buffer_zero(e->rt, e->fisher, 0, e->n * sizeof(float));
    const size_t batch_size = e->mlp->config.max_batch;
    uint64_t index = 0;
    for (size_t first = 0; first < samples && s == EWCL_OK; first += batch_size, index++) {
        const size_t count = samples - first < batch_size ? samples - first : batch_size;
        s = fill(user, e->mlp, first, count);
        if (s == EWCL_OK)
            s = estimate_batch(e, count, index, &pass);
    }
    if (s == EWCL_OK)
        s = compute_stats(e);
    e->fisher_ready = s == EWCL_OK;
    return s;
}

ewcl_status ewcl_ewc_fisher_stats(ewcl_ewc *e, size_t layer, ewcl_fisher_stats *out)
{
    if (layer >= e->mlp->layer_count)
        return EWCL_FAIL(&e->rt->error, EWCL_ERR_INVALID_ARGUMENT, "ewc: no layer %zu", layer);
    *out = e->stats[layer];
    return EWCL_OK;
}
