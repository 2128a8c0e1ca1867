/* The MLP for OpenCL pipelines: its device vectors as spans, and batches that are already
 * in the caller's buffers (ewcl/ewcl_cl.h). */
#include "nn/mlp_internal.h"
#include "ops/buffer.h"
#include "ops/launch.h"
#include "runtime/error_internal.h"

ewcl_cl_span ewcl_mlp_cl_span(const ewcl_mlp *m, ewcl_mlp_vector which)
{
    if (m == NULL)
        return (ewcl_cl_span){NULL, 0, 0};
    const size_t rows = m->config.max_batch;
    const mlp_layer_plan *last = &m->layers[m->layer_count - 1];
    switch (which) {
    case EWCL_MLP_PARAMETERS:
        return (ewcl_cl_span){m->parameters, 0, m->parameter_count};
    case EWCL_MLP_GRADIENTS:
        return (ewcl_cl_span){m->gradients, 0, m->parameter_count};
    case EWCL_MLP_INPUTS:
        return (ewcl_cl_span){m->inputs, 0, rows * m->config.input_size};
    case EWCL_MLP_LABELS:
        return (ewcl_cl_span){m->labels, 0, rows};
    case EWCL_MLP_LOGITS:
        return (ewcl_cl_span){m->acts, last->output_act, rows * last->shape.out};
    case EWCL_MLP_LOSS:
        return (ewcl_cl_span){m->loss_sums, 0, 2};
    }
    return (ewcl_cl_span){NULL, 0, 0};
}

/* Checks the caller's batch and copies it into the model's inputs (and labels, when it
 * has them): device to device, in the queue's order. */
static ewcl_status copy_batch(ewcl_mlp *m, const ewcl_cl_batch *b, bool need_labels)
{
    ewcl_runtime *rt = m->rt;
    if (b == NULL)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT, "mlp: NULL batch");
    if (b->rows == 0 || b->rows > m->config.max_batch)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "mlp: batch of %zu rows, the model holds 1..%zu", b->rows,
                         m->config.max_batch);
    if (need_labels && b->labels == NULL)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "mlp: training needs the batch's labels");
    const size_t inputs = b->rows * m->config.input_size;
    ewcl_status s = ewcl_check_buffer(rt, "mlp: batch inputs", b->inputs, b->inputs_offset,
                                      inputs);
    /* cl_int and float have the same size: the float range check holds for labels. */
    if (s == EWCL_OK && b->labels != NULL)
        s = ewcl_check_buffer(rt, "mlp: batch labels", b->labels, b->labels_offset, b->rows);
    if (s == EWCL_OK)
        s = ewcl_buffer_copy(rt, b->inputs, b->inputs_offset * sizeof(float), m->inputs, 0,
                             inputs * sizeof(float));
    if (s == EWCL_OK && b->labels != NULL)
        s = ewcl_buffer_copy(rt, b->labels, b->labels_offset * sizeof(cl_int), m->labels, 0,
                             b->rows * sizeof(cl_int));
    return s;
}

/* The start of every call below: the caller's wait list, then its batch into the model. */
static ewcl_status take_batch(ewcl_mlp *m, const ewcl_cl_batch *batch, bool need_labels,
                              const ewcl_cl_events *events)
{
    const ewcl_status s = ewcl_events_wait(m->rt, events);
    return s == EWCL_OK ? copy_batch(m, batch, need_labels) : s;
}

ewcl_status ewcl_mlp_set_batch_cl(ewcl_mlp *m, const ewcl_cl_batch *batch,
                                  const ewcl_cl_events *events)
{
    if (m == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    return ewcl_events_signal(m->rt, events, take_batch(m, batch, false, events));
}

ewcl_status ewcl_mlp_evaluate_cl(ewcl_mlp *m, const ewcl_cl_batch *batch,
                                 const ewcl_cl_events *events)
{
    if (m == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    ewcl_status s = take_batch(m, batch, false, events);
    if (s == EWCL_OK)
        s = ewcl_mlp_forward(m, batch->rows, false, 0);
    if (s == EWCL_OK && batch->labels != NULL)
        s = ewcl_mlp_loss(m, batch->rows, false);
    return ewcl_events_signal(m->rt, events, s);
}

ewcl_status ewcl_mlp_train_step_cl(ewcl_mlp *m, const ewcl_cl_batch *batch, uint64_t step,
                                   float lr, float weight_decay, const ewcl_cl_events *events)
{
    if (m == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    ewcl_status s = take_batch(m, batch, true, events);
    if (s == EWCL_OK)
        s = ewcl_mlp_train_step(m, batch->rows, step, lr, weight_decay);
    return ewcl_events_signal(m->rt, events, s);
}
