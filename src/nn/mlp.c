/* The MLP object: its layer plan (layout of the flat vector, dropout placement), its
 * buffers, and host access to parameters and batches. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/mlp_internal.h"
#include "ops/buffer.h"
#include "ops/reduce.h"
#include "runtime/error_internal.h"

void ewcl_mlp_config_default(ewcl_mlp_config *c)
{
    if (c == NULL)
        return;
    memset(c, 0, sizeof *c);
    c->input_size = 1024;
    c->hidden_size = 400;
    c->hidden_layer_num = 2;
    c->output_size = 10;
    c->input_dropout = 0.2f;
    c->hidden_dropout = 0.5f;
    c->max_batch = 128;
    c->seed = 0;
    c->gemm = EWCL_GEMM_AUTO;
}

static ewcl_status check_config(ewcl_runtime *rt, const ewcl_mlp_config *c)
{
    if (c->input_size == 0 || c->hidden_size == 0 || c->output_size == 0 || c->max_batch == 0)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "mlp: input, hidden and output sizes and max batch must be positive");
    if (!(c->input_dropout >= 0.0f && c->input_dropout < 1.0f) ||
        !(c->hidden_dropout >= 0.0f && c->hidden_dropout < 1.0f))
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "mlp: dropout probabilities must lie in [0, 1): input %g, hidden %g",
                         (double)c->input_dropout, (double)c->hidden_dropout);
    /* Kernels index with 32 bits: every buffer must stay below 2^32 floats. */
    const uint64_t widest = c->input_size > c->hidden_size ? c->input_size : c->hidden_size;
    if (c->hidden_layer_num > 1000 || widest > (1u << 20) || c->output_size > (1u << 20) ||
        c->max_batch > (1u << 20) || (uint64_t)c->max_batch * widest > UINT32_MAX / 4)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "mlp: sizes too large (input %zu, hidden %zu x %zu, batch %zu)",
                         c->input_size, c->hidden_size, c->hidden_layer_num, c->max_batch);
    return EWCL_OK;
}

/* Lays out the layers: parameters in forward order, each layer's output after the
 * previous one in `acts`; in compat mode the hidden→hidden layers share one block. */
static ewcl_status plan_layers(ewcl_mlp *m)
{
    const ewcl_mlp_config *c = &m->config;
    m->layer_count = c->hidden_layer_num + 2;
    m->layers = calloc(m->layer_count, sizeof *m->layers);
    if (m->layers == NULL)
        return EWCL_FAIL(&m->rt->error, EWCL_ERR_OUT_OF_MEMORY, "mlp: out of memory");
    size_t params = 0, acts = 0, shared_weight = SIZE_MAX, shared_bias = SIZE_MAX;
    m->max_width = c->input_size;
    for (size_t l = 0; l < m->layer_count; l++) {
        mlp_layer_plan *p = &m->layers[l];
        const bool first = l == 0, last = l + 1 == m->layer_count;
        p->shape.in = first ? c->input_size : c->hidden_size;
        p->shape.out = last ? c->output_size : c->hidden_size;
        const bool shared = c->pytorch_ewc_compat && !first && !last;
        if (shared && shared_weight != SIZE_MAX) {
            p->shape.weight_offset = shared_weight;
            p->shape.bias_offset = shared_bias;
        } else {
            p->shape.weight_offset = params;
            p->shape.bias_offset = params + p->shape.in * p->shape.out;
            params += p->shape.in * p->shape.out + p->shape.out;
            if (shared) {
                shared_weight = p->shape.weight_offset;
                shared_bias = p->shape.bias_offset;
            }
        }
        p->shares_later = shared && l + 2 < m->layer_count;
        p->relu = !last;
        /* pytorch-ewc applies its "input" dropout after the first ReLU; ewcl drops pixels
         * (before layer 1) and applies hidden dropout after every hidden ReLU. */
        if (last)
            p->train_dropout = 0.0f;
        else if (c->pytorch_ewc_compat && first)
            p->train_dropout = c->input_dropout;
        else
            p->train_dropout = c->hidden_dropout;
        p->input_act = first ? SIZE_MAX : m->layers[l - 1].output_act;
        p->output_act = acts;
        acts += c->max_batch * p->shape.out;
        if (p->shape.out > m->max_width)
            m->max_width = p->shape.out;
    }
    m->parameter_count = params;
    /* Kernels index the parameter vector and the activations with 32 bits: larger fit the
     * memory of big GPUs, and would silently wrap. */
    if (params > UINT32_MAX || acts > UINT32_MAX)
        return EWCL_FAIL(&m->rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "mlp: %zu parameters and %zu activation values: the kernels index "
                         "at most %u of each",
                         params, acts, UINT32_MAX);
    return EWCL_OK;
}

static ewcl_status allocate_buffers(ewcl_mlp *m)
{
    ewcl_runtime *rt = m->rt;
    const ewcl_mlp_config *c = &m->config;
    const mlp_layer_plan *last = &m->layers[m->layer_count - 1];
    const size_t act_floats = last->output_act + c->max_batch * last->shape.out;
    const size_t f = sizeof(float);
    ewcl_status s = ewcl_buffer_create(rt, m->parameter_count * f, &m->parameters);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, m->parameter_count * f, &m->gradients);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, c->max_batch * c->input_size * f, &m->inputs);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, c->max_batch * sizeof(cl_int), &m->labels);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, c->max_batch * c->input_size * f, &m->dropped_inputs);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, act_floats * f, &m->acts);
    for (int i = 0; i < 2 && s == EWCL_OK; i++)
        s = ewcl_buffer_create(rt, c->max_batch * m->max_width * f, &m->deltas[i]);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, c->max_batch * f, &m->loss_rows);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, c->max_batch * f, &m->correct_rows);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, ewcl_op_reduce_scratch_floats(rt) * f, &m->reduce_scratch);
    if (s == EWCL_OK)
        s = ewcl_buffer_create(rt, 2 * f, &m->loss_sums);
    /* Nothing reads uninitialised memory: zero what a first read could touch. */
    if (s == EWCL_OK)
        s = ewcl_buffer_zero(rt, m->gradients, 0, m->parameter_count * f);
    if (s == EWCL_OK)
        s = ewcl_buffer_zero(rt, m->inputs, 0, c->max_batch * c->input_size * f);
    if (s == EWCL_OK)
        s = ewcl_buffer_zero(rt, m->labels, 0, c->max_batch * sizeof(cl_int));
    return s;
}

ewcl_status ewcl_mlp_create(ewcl_runtime *rt, const ewcl_mlp_config *config, ewcl_mlp **out)
{
    if (rt == NULL || config == NULL || out == NULL)
        return rt != NULL ? EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                                      "ewcl_mlp_create: NULL argument")
                          : EWCL_ERR_INVALID_ARGUMENT;
    *out = NULL;
    ewcl_status s = check_config(rt, config);
    if (s != EWCL_OK)
        return s;
    ewcl_mlp *m = calloc(1, sizeof *m);
    if (m == NULL)
        return EWCL_FAIL(&rt->error, EWCL_ERR_OUT_OF_MEMORY, "mlp: out of memory");
    m->rt = rt;
    m->config = *config;
    s = plan_layers(m);
    if (s == EWCL_OK)
        s = allocate_buffers(m);
    if (s == EWCL_OK)
        s = ewcl_mlp_init_parameters(m);
    if (s != EWCL_OK) {
        ewcl_mlp_destroy(m);
        return s;
    }
    *out = m;
    return EWCL_OK;
}

void ewcl_mlp_destroy(ewcl_mlp *m)
{
    if (m == NULL)
        return;
    cl_mem buffers[] = {m->parameters, m->gradients,  m->inputs,       m->labels,
                        m->dropped_inputs, m->acts,   m->deltas[0],    m->deltas[1],
                        m->loss_rows,  m->correct_rows, m->reduce_scratch, m->loss_sums};
    for (size_t i = 0; i < sizeof buffers / sizeof buffers[0]; i++)
        ewcl_buffer_release(buffers[i]);
    free(m->layers);
    free(m);
}

size_t ewcl_mlp_parameter_count(const ewcl_mlp *m)
{
    return m != NULL ? m->parameter_count : 0;
}

size_t ewcl_mlp_layer_count(const ewcl_mlp *m)
{
    return m != NULL ? m->layer_count : 0;
}

ewcl_mlp_layer ewcl_mlp_layer_info(const ewcl_mlp *m, size_t layer)
{
    ewcl_mlp_layer none = {0, 0, 0, 0};
    return m != NULL && layer < m->layer_count ? m->layers[layer].shape : none;
}

static ewcl_status check_count(ewcl_mlp *m, size_t count, const char *what)
{
    if (count != m->parameter_count)
        return EWCL_FAIL(&m->rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "mlp: %s of %zu floats, but the model has %zu parameters", what, count,
                         m->parameter_count);
    return EWCL_OK;
}

ewcl_status ewcl_mlp_read_parameters(ewcl_mlp *m, float *host, size_t count)
{
    ewcl_status s = check_count(m, count, "parameter read");
    return s != EWCL_OK ? s
                        : ewcl_buffer_read(m->rt, m->parameters, 0, count * sizeof(float), host);
}

ewcl_status ewcl_mlp_write_parameters(ewcl_mlp *m, const float *host, size_t count)
{
    ewcl_status s = check_count(m, count, "parameter write");
    return s != EWCL_OK
               ? s
               : ewcl_buffer_write(m->rt, m->parameters, 0, count * sizeof(float), host, true);
}

ewcl_status ewcl_mlp_read_gradients(ewcl_mlp *m, float *host, size_t count)
{
    ewcl_status s = check_count(m, count, "gradient read");
    return s != EWCL_OK ? s
                        : ewcl_buffer_read(m->rt, m->gradients, 0, count * sizeof(float), host);
}

ewcl_status ewcl_mlp_set_batch(ewcl_mlp *m, const float *inputs, const int32_t *labels,
                               size_t batch)
{
    if (batch == 0 || batch > m->config.max_batch)
        return EWCL_FAIL(&m->rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "mlp: batch of %zu rows, the model holds 1..%zu", batch,
                         m->config.max_batch);
    for (size_t i = 0; i < batch; i++)
        if (labels[i] < 0 || (size_t)labels[i] >= m->config.output_size)
            return EWCL_FAIL(&m->rt->error, EWCL_ERR_INVALID_ARGUMENT,
                             "mlp: label %d of row %zu is outside 0..%zu", (int)labels[i], i,
                             m->config.output_size - 1);
    ewcl_status s = ewcl_buffer_write(m->rt, m->inputs, 0,
                                      batch * m->config.input_size * sizeof(float), inputs,
                                      true);
    if (s == EWCL_OK)
        s = ewcl_buffer_write(m->rt, m->labels, 0, batch * sizeof(cl_int), labels, true);
    return s;
}

cl_mem ewcl_mlp_cl_parameters(const ewcl_mlp *m)
{
    return m != NULL ? m->parameters : NULL;
}

cl_mem ewcl_mlp_cl_gradients(const ewcl_mlp *m)
{
    return m != NULL ? m->gradients : NULL;
}

cl_mem ewcl_mlp_cl_inputs(const ewcl_mlp *m)
{
    return m != NULL ? m->inputs : NULL;
}

cl_mem ewcl_mlp_cl_labels(const ewcl_mlp *m)
{
    return m != NULL ? m->labels : NULL;
}
