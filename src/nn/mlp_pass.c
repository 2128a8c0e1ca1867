/* The MLP's passes: forward, loss, backward and the SGD step. Each only enqueues work on
 * the runtime's in-order queue; nothing waits for the device until a read. */
#include <stdint.h>

#include "nn/mlp_internal.h"
#include "ops/buffer.h"
#include "ops/elementwise.h"
#include "ops/gemm.h"
#include "ops/loss.h"
#include "ops/reduce.h"
#include "runtime/error_internal.h"

/* Dropout streams: 0 for the pixels, 1 + layer for the layers' outputs. */
enum { INPUT_DROPOUT_STREAM = 0 };

static ewcl_status check_batch(ewcl_mlp *m, size_t batch)
{
    if (batch == 0 || batch > m->config.max_batch)
        return EWCL_FAIL(&m->rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "mlp: batch of %zu rows, the model holds 1..%zu", batch,
                         m->config.max_batch);
    return EWCL_OK;
}

static bool drops_pixels(const ewcl_mlp *m, bool train)
{
    return train && !m->config.pytorch_ewc_compat && m->config.input_dropout > 0.0f;
}

/* The buffer and offset holding layer l's input. */
static void layer_input(const ewcl_mlp *m, size_t l, bool pixels_dropped, cl_mem *buffer,
                        size_t *offset)
{
    const mlp_layer_plan *p = &m->layers[l];
    if (p->input_act != SIZE_MAX) {
        *buffer = m->acts;
        *offset = p->input_act;
    } else {
        *buffer = pixels_dropped ? m->dropped_inputs : m->inputs;
        *offset = 0;
    }
}

ewcl_status ewcl_mlp_forward(ewcl_mlp *m, size_t batch, bool train, uint64_t step)
{
    ewcl_status s = check_batch(m, batch);
    ewcl_runtime *rt = m->rt;
    const bool pixels = drops_pixels(m, train);
    const size_t input_floats = batch * m->config.input_size;
    if (s == EWCL_OK && pixels) {
        s = ewcl_buffer_copy(rt, m->inputs, 0, m->dropped_inputs, 0,
                             input_floats * sizeof(float));
        const ewcl_dropout_key key = {m->config.seed, INPUT_DROPOUT_STREAM, step};
        if (s == EWCL_OK)
            s = ewcl_op_bias_relu_dropout(rt, m->dropped_inputs, 0, batch,
                                          m->config.input_size, m->config.input_size, NULL, 0,
                                          false, m->config.input_dropout, key);
    }
    for (size_t l = 0; s == EWCL_OK && l < m->layer_count; l++) {
        const mlp_layer_plan *p = &m->layers[l];
        cl_mem x;
        size_t x_offset;
        layer_input(m, l, pixels, &x, &x_offset);
        const ewcl_gemm_args z = {
            .trans_a = EWCL_NO_TRANS, .trans_b = EWCL_NO_TRANS,
            .m = batch, .n = p->shape.out, .k = p->shape.in, .alpha = 1.0f, .beta = 0.0f,
            .a = x, .a_offset = x_offset, .lda = p->shape.in,
            .b = m->parameters, .b_offset = p->shape.weight_offset, .ldb = p->shape.out,
            .c = m->acts, .c_offset = p->output_act, .ldc = p->shape.out,
        };
        s = ewcl_gemm(rt, m->config.gemm, &z);
        const ewcl_dropout_key key = {m->config.seed, (uint32_t)(1 + l), step};
        if (s == EWCL_OK)
            s = ewcl_op_bias_relu_dropout(rt, m->acts, p->output_act, batch, p->shape.out,
                                          p->shape.out, m->parameters, p->shape.bias_offset,
                                          p->relu, train ? p->train_dropout : 0.0f, key);
    }
    /* Backward must see what this pass saw: the same inputs and dropout scales. */
    m->forward_trained = train;
    return s;
}

ewcl_status ewcl_mlp_output_gradient(ewcl_mlp *m, size_t batch, cl_mem labels,
                                     float grad_scale, bool gradient)
{
    ewcl_status s = check_batch(m, batch);
    if (s != EWCL_OK)
        return s;
    const mlp_layer_plan *out = &m->layers[m->layer_count - 1];
    return ewcl_op_softmax_nll(m->rt, m->acts, out->output_act, batch, out->shape.out,
                               out->shape.out, labels, 0, m->loss_rows, m->correct_rows,
                               gradient ? m->deltas[0] : NULL, 0, grad_scale);
}

ewcl_status ewcl_mlp_loss(ewcl_mlp *m, size_t batch, bool gradient)
{
    ewcl_status s = ewcl_mlp_output_gradient(m, batch, m->labels, 1.0f / (float)batch, gradient);
    if (s == EWCL_OK)
        s = ewcl_op_reduce(m->rt, m->loss_rows, 0, batch, false, m->reduce_scratch,
                           m->loss_sums, 0);
    if (s == EWCL_OK)
        s = ewcl_op_reduce(m->rt, m->correct_rows, 0, batch, false, m->reduce_scratch,
                           m->loss_sums, 1);
    return s;
}

/* Layer l's parameter gradients from δ (batch × out) and its input x: dW = xᵀ·δ,
 * db = Σ δ. A block shared with a later layer (compat mode) already holds that layer's
 * part. */
static ewcl_status layer_parameter_gradients(void *user, ewcl_mlp *m, size_t l, size_t batch,
                                             cl_mem x, size_t x_offset, cl_mem delta)
{
    (void)user;
    const mlp_layer_plan *p = &m->layers[l];
    const ewcl_gemm_args dw = {
        .trans_a = EWCL_TRANS, .trans_b = EWCL_NO_TRANS,
        .m = p->shape.in, .n = p->shape.out, .k = batch,
        .alpha = 1.0f, .beta = p->shares_later ? 1.0f : 0.0f,
        .a = x, .a_offset = x_offset, .lda = p->shape.in,
        .b = delta, .b_offset = 0, .ldb = p->shape.out,
        .c = m->gradients, .c_offset = p->shape.weight_offset, .ldc = p->shape.out,
    };
    ewcl_status s = ewcl_gemm(m->rt, m->config.gemm, &dw);
    if (s == EWCL_OK)
        s = ewcl_op_column_sum(m->rt, delta, 0, batch, p->shape.out, p->shape.out,
                               m->gradients, p->shape.bias_offset, p->shares_later);
    return s;
}

/* δ for layer l's input, i.e. layer l−1's output: δ·Wᵀ, then back through l−1's ReLU and
 * dropout using its stored output. */
static ewcl_status propagate_delta(ewcl_mlp *m, size_t l, size_t batch, cl_mem delta,
                                   cl_mem previous_delta)
{
    const mlp_layer_plan *p = &m->layers[l];
    const mlp_layer_plan *below = &m->layers[l - 1];
    const ewcl_gemm_args dx = {
        .trans_a = EWCL_NO_TRANS, .trans_b = EWCL_TRANS,
        .m = batch, .n = p->shape.in, .k = p->shape.out, .alpha = 1.0f, .beta = 0.0f,
        .a = delta, .a_offset = 0, .lda = p->shape.out,
        .b = m->parameters, .b_offset = p->shape.weight_offset, .ldb = p->shape.out,
        .c = previous_delta, .c_offset = 0, .ldc = p->shape.in,
    };
    ewcl_status s = ewcl_gemm(m->rt, m->config.gemm, &dx);
    if (s == EWCL_OK)
        s = ewcl_op_relu_dropout_backward(m->rt, m->acts, below->output_act, previous_delta, 0,
                                          batch * p->shape.in,
                                          m->forward_trained ? below->train_dropout : 0.0f);
    return s;
}

ewcl_status ewcl_mlp_backward_visit(ewcl_mlp *m, size_t batch, ewcl_mlp_layer_visitor visit,
                                    void *user)
{
    ewcl_status s = check_batch(m, batch);
    size_t current = 0; /* the logits' gradient is in deltas[0] */
    for (size_t l = m->layer_count; s == EWCL_OK && l-- > 0;) {
        cl_mem x;
        size_t x_offset;
        layer_input(m, l, drops_pixels(m, m->forward_trained), &x, &x_offset);
        s = visit(user, m, l, batch, x, x_offset, m->deltas[current]);
        if (s == EWCL_OK && l > 0)
            s = propagate_delta(m, l, batch, m->deltas[current], m->deltas[1 - current]);
        current = 1 - current;
    }
    return s;
}

ewcl_status ewcl_mlp_backward(ewcl_mlp *m, size_t batch)
{
    return ewcl_mlp_backward_visit(m, batch, layer_parameter_gradients, NULL);
}

ewcl_status ewcl_mlp_sgd_step(ewcl_mlp *m, float lr, float weight_decay)
{
    return ewcl_op_sgd_update(m->rt, m->parameters, m->gradients, 0, m->parameter_count, lr,
                              weight_decay);
}

ewcl_status ewcl_mlp_train_step(ewcl_mlp *m, size_t batch, uint64_t step, float lr,
                                float weight_decay)
{
    ewcl_status s = ewcl_mlp_forward(m, batch, true, step);
    if (s == EWCL_OK)
        s = ewcl_mlp_loss(m, batch, true);
    if (s == EWCL_OK)
        s = ewcl_mlp_backward(m, batch);
    if (s == EWCL_OK)
        s = ewcl_mlp_sgd_step(m, lr, weight_decay);
    return s;
}

ewcl_status ewcl_mlp_read_loss(ewcl_mlp *m, size_t batch, double *mean_loss, size_t *correct)
{
    ewcl_status s = check_batch(m, batch);
    float sums[2] = {0.0f, 0.0f};
    if (s == EWCL_OK)
        s = ewcl_buffer_read(m->rt, m->loss_sums, 0, sizeof sums, sums);
    if (s != EWCL_OK)
        return s;
    if (mean_loss != NULL)
        *mean_loss = (double)sums[0] / (double)batch;
    if (correct != NULL)
        *correct = (size_t)(sums[1] + 0.5f);
    return EWCL_OK;
}

ewcl_status ewcl_mlp_read_logits(ewcl_mlp *m, size_t batch, float *host)
{
    ewcl_status s = check_batch(m, batch);
    const mlp_layer_plan *out = &m->layers[m->layer_count - 1];
    if (s == EWCL_OK)
        s = ewcl_buffer_read(m->rt, m->acts, out->output_act * sizeof(float),
                             batch * out->shape.out * sizeof(float), host);
    return s;
}
