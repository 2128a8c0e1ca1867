/* The device memory a run needs, checked against CL_DEVICE_GLOBAL_MEM_SIZE and
 * CL_DEVICE_MAX_MEM_ALLOC_SIZE before the session allocates anything: a run too large for
 * the device is refused in one line that says how large, instead of failing halfway
 * through setup (or, on drivers that allocate lazily, in the first step). The sums follow
 * the allocations of dataset.c, mlp.c, ewc.c and train_session.c; a change there must be
 * mirrored here (test_train_memory checks the sums by hand for the default network). */
#include "train/train_memory.h"

#include <math.h>

#include "runtime/error_internal.h"
#include "runtime/runtime_internal.h"

/* The Fisher runs in batches of at most this many rows (train_session.c's cap). */
#define FISHER_BATCH_CAP 1024

#define MIB (1024.0 * 1024.0)

/* Parameters of the MLP (weights [in × out] and biases per layer); in compat mode the
 * hidden→hidden layers share one block, as mlp.c lays them out. */
static double parameter_count(const ewcl_train_config *c, double input, double classes)
{
    const double hidden = (double)c->hidden_size;
    const double hidden_blocks = c->hidden_layer_num == 0   ? 0.0
                                 : c->pytorch_ewc_compat ? 1.0
                                                         : (double)c->hidden_layer_num;
    return input * hidden + hidden + hidden_blocks * (hidden * hidden + hidden) +
           hidden * classes + classes;
}

/* One data set on the device: each image followed by a 0 byte, the labels, the pixel
 * offsets of the current task and a batch's index list. */
static double set_bytes(const ewcl_idx_set *set, double input, double batch)
{
    return (double)set->count * ((double)(set->rows * set->cols) + 1.0) +
           (double)set->count + 4.0 * input + 4.0 * batch;
}

static void note_buffer(train_memory *m, double bytes, const char *what)
{
    if (bytes > m->largest) {
        m->largest = bytes;
        m->largest_what = what;
    }
}

void train_memory_estimate(const ewcl_train_config *c, const ewcl_idx_data *data,
                           train_memory *out)
{
    *out = (train_memory){.largest_what = "nothing"};
    const double side_pad = 2.0 * (double)c->pad;
    const double input = ((double)data->train.rows + side_pad) *
                         ((double)data->train.cols + side_pad);
    const double classes = (double)data->train.classes, hidden = (double)c->hidden_size;
    const size_t fisher_batch =
        c->fisher_sample_size < FISHER_BATCH_CAP ? c->fisher_sample_size : FISHER_BATCH_CAP;
    const double rows = (double)(c->batch_size > fisher_batch ? c->batch_size : fisher_batch);
    /* The widest layer input or output sizes the delta and Fisher scratch buffers. */
    const double widest = fmax(input, fmax(hidden, classes));
    const double params = 4.0 * parameter_count(c, input, classes);
    const double layer_outputs = hidden * (double)(c->hidden_layer_num + 1) + classes;

    out->data = set_bytes(&data->train, input, rows) + set_bytes(&data->test, input, rows);
    out->tasks = 4.0 * input * (double)c->task_number;
    out->model = 2.0 * params;
    out->batch = 4.0 * rows * (2.0 * input + 1.0 + layer_outputs + 2.0 * widest + 2.0);
    if (c->consolidate)
        out->ewc = 4.0 * params + 4.0 * rows * (2.0 * widest + 2.0);
    out->total = out->data + out->tasks + out->model + out->batch + out->ewc;

    const double train_pixels = (double)data->train.rows * (double)data->train.cols;
    note_buffer(out, (double)data->train.count * (train_pixels + 1.0), "the training images");
    note_buffer(out, params, "the parameter vector");
    note_buffer(out, 4.0 * rows * layer_outputs, "the activations of a batch");
    note_buffer(out, 4.0 * rows * widest, "one layer's deltas of a batch");
}

ewcl_status train_memory_check(ewcl_runtime *rt, const ewcl_train_config *config,
                               const ewcl_idx_data *data)
{
    train_memory m;
    train_memory_estimate(config, data, &m);
    const ewcl_device_info *d = &rt->device;
    if (m.total > (double)d->global_mem_bytes)
        return EWCL_FAIL(&rt->error, EWCL_ERR_OUT_OF_MEMORY,
                         "this run needs %.0f MiB, device has %.0f MiB ('%s'): parameters and "
                         "gradients %.0f MiB, EWC state %.0f MiB, batch buffers %.0f MiB, data "
                         "and permutations %.0f MiB; choose a smaller network or batch, or a "
                         "device with more memory",
                         m.total / MIB, (double)d->global_mem_bytes / MIB, d->name,
                         m.model / MIB, m.ewc / MIB, m.batch / MIB, (m.data + m.tasks) / MIB);
    if (m.largest > (double)d->max_alloc_bytes)
        return EWCL_FAIL(&rt->error, EWCL_ERR_OUT_OF_MEMORY,
                         "this run's %s: %.0f MiB in one buffer, device has %.0f MiB at most "
                         "per buffer ('%s', CL_DEVICE_MAX_MEM_ALLOC_SIZE); choose a smaller "
                         "network or batch",
                         m.largest_what, m.largest / MIB, (double)d->max_alloc_bytes / MIB,
                         d->name);
    return EWCL_OK;
}
