/* A checkpoint as bytes: the header (magic, version, CRC-32, payload length) and the
 * payload's fields in a fixed order; and back, checking every count against the
 * configuration and the bytes left before anything is allocated for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/error_internal.h"
#include "runtime/file_util.h"
#include "train/checkpoint_internal.h"

/* Bounds past which a field cannot come from a real run (the MLP's and the data layer's
 * own limits): a corrupt value is refused before it sizes anything. */
#define MAX_TASKS 4096u
#define MAX_WIDTH (1u << 20)
#define MAX_HIDDEN_LAYERS 1000u
#define MAX_SIDE 65536u
#define MAX_PAD 64u
#define MAX_CLASSES 256u

/* ---- Writing --------------------------------------------------------------------------- */

static void put_history(ck_writer *w, const train_history *h)
{
    ck_put_u64(w, h->count);
    for (size_t i = 0; i < h->count; i++) {
        const ewcl_train_point p = train_history_get(h, i);
        ck_put_u8(w, (uint8_t)p.kind);
        ck_put_u64(w, p.iteration);
        ck_put_u64(w, p.task);
        ck_put_u64(w, p.epoch);
        ck_put_f64(w, p.cross_entropy);
        ck_put_f64(w, p.ewc_loss);
        ck_put_f64(w, p.total_loss);
        ck_put_f64(w, p.precision);
        ck_put_u64(w, p.tasks_seen);
        ck_put_f64s(w, p.accuracy, p.tasks_seen);
    }
}

static void put_payload(ck_writer *w, const ewcl_checkpoint *ck)
{
    const size_t t = ck->config.task_number;
    checkpoint_put_config(w, &ck->config);
    ck_put_u64(w, ck->sequence);
    ck_put_string(w, ck->device);
    ck_put_string(w, ck->platform);
    const checkpoint_data_id *d = &ck->data;
    ck_put_u64(w, d->train_count);
    ck_put_u64(w, d->test_count);
    ck_put_u64(w, d->rows);
    ck_put_u64(w, d->cols);
    ck_put_u64(w, d->classes);
    ck_put_u32(w, d->train_crc);
    ck_put_u32(w, d->test_crc);
    ck_put_u64(w, ck->task);
    ck_put_u64(w, ck->epoch);
    ck_put_u64(w, ck->batch);
    ck_put_u64(w, ck->iteration);
    ck_put_u64(w, ck->train_images);
    for (int i = 0; i < 4; i++)
        ck_put_u64(w, ck->shuffle_rng[i]);
    for (int i = 0; i < 4; i++)
        ck_put_u64(w, ck->fisher_rng[i]);
    ck_put_f64(w, ck->mean);
    ck_put_f64(w, ck->std);
    ck_put_u64(w, d->train_count);
    ck_put_u32s(w, ck->order, (size_t)d->train_count);
    ck_put_u64(w, ck->parameter_count);
    ck_put_f32s(w, ck->parameters, ck->parameter_count);
    ck_put_u8(w, ck->has_ewc);
    if (ck->has_ewc) {
        ck_put_u64(w, ck->ewc.tasks);
        ck_put_f64(w, ck->ewc.residual);
        ck_put_f32(w, ck->ewc.max_importance);
        ck_put_f32s(w, ck->ewc_S, ck->parameter_count);
        ck_put_f32s(w, ck->ewc_mu, ck->parameter_count);
    }
    ck_put_f64s(w, ck->accuracy, t * t);
    ck_put_f64s(w, ck->average_accuracy, t);
    ck_put_f64s(w, ck->fisher_seconds, t);
    ck_put_f64s(w, ck->phase_seconds, 4);
    ck_put_f64(w, ck->checkpoint_seconds);
    put_history(w, &ck->history);
}

ewcl_status checkpoint_serialise(const ewcl_checkpoint *ck, uint8_t **bytes, size_t *size,
                                 ewcl_error *err)
{
    ck_writer w = {0};
    for (size_t i = 0; i < 8; i++)
        ck_put_u8(&w, (uint8_t)EWCL_CHECKPOINT_MAGIC[i]);
    ck_put_u32(&w, EWCL_CHECKPOINT_VERSION);
    ck_put_u32(&w, 0); /* the CRC, once the payload is there */
    ck_put_u64(&w, 0); /* the payload's length */
    put_payload(&w, ck);
    if (w.failed) {
        free(w.data);
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "checkpoint: out of memory");
    }
    const size_t payload = w.length - EWCL_CHECKPOINT_HEADER_SIZE;
    ck_patch_u32(&w, 12, ewcl_crc32(0, w.data + EWCL_CHECKPOINT_HEADER_SIZE, payload));
    ck_patch_u64(&w, 16, payload);
    *bytes = w.data;
    *size = w.length;
    return EWCL_OK;
}

/* ---- Reading --------------------------------------------------------------------------- */

size_t checkpoint_parameter_count(const ewcl_train_config *c, size_t input_size,
                                  size_t classes)
{
    const uint64_t h = c->hidden_size, in = input_size, out = classes;
    if (h == 0 || h > MAX_WIDTH || in == 0 || in > MAX_WIDTH || out == 0 || out > MAX_WIDTH ||
        c->hidden_layer_num > MAX_HIDDEN_LAYERS)
        return 0;
    /* As src/nn/mlp.c lays them out: in→h, the hidden→hidden layers (one shared block in
     * compat mode), h→out; each weights then biases. */
    const uint64_t middle = c->hidden_layer_num == 0 ? 0
                            : c->pytorch_ewc_compat  ? 1
                                                     : c->hidden_layer_num;
    const uint64_t count = in * h + h + middle * (h * h + h) + h * out + out;
    return count <= SIZE_MAX ? (size_t)count : 0;
}

/* The message of a refused checkpoint: one line saying which check failed. */
#define REFUSE(err, ...) EWCL_FAIL(err, EWCL_ERR_FORMAT, __VA_ARGS__)

static ewcl_status check_header(const uint8_t *b, size_t size, ewcl_error *err)
{
    if (size < EWCL_CHECKPOINT_HEADER_SIZE)
        return REFUSE(err, "truncated: %zu bytes, shorter than the %u-byte header", size,
                      EWCL_CHECKPOINT_HEADER_SIZE);
    if (memcmp(b, EWCL_CHECKPOINT_MAGIC, 8) != 0)
        return REFUSE(err, "not an ewcl checkpoint (wrong magic)");
    ck_reader r = {b, size, 8, NULL};
    uint32_t version = 0, crc = 0;
    uint64_t length = 0;
    ck_get_u32(&r, "version", &version);
    ck_get_u32(&r, "crc", &crc);
    ck_get_u64(&r, "length", &length);
    if (version != EWCL_CHECKPOINT_VERSION)
        return REFUSE(err, "format version %u, this ewcl reads version %u", version,
                      EWCL_CHECKPOINT_VERSION);
    const size_t payload = size - EWCL_CHECKPOINT_HEADER_SIZE;
    if (length > payload)
        return REFUSE(err, "truncated: the header announces %llu payload bytes, the file has "
                      "%zu", (unsigned long long)length, payload);
    if (length < payload)
        return REFUSE(err, "%zu bytes past the announced end of the payload",
                      payload - (size_t)length);
    const uint32_t actual = ewcl_crc32(0, b + EWCL_CHECKPOINT_HEADER_SIZE, payload);
    if (actual != crc)
        return REFUSE(err, "corrupt: CRC-32 of the payload is %08x, the header says %08x",
                      actual, crc);
    return EWCL_OK;
}

/* The configuration, device and data: what sizes everything after them. */
static ewcl_status get_identity(ck_reader *r, ewcl_checkpoint *ck, ewcl_error *err)
{
    const char *bad = checkpoint_get_config(r, &ck->config);
    if (bad != NULL)
        return REFUSE(err, "setting %s out of range", bad);
    ck_get_u64(r, "sequence", &ck->sequence);
    ck_get_string(r, "device name", ck->device, sizeof ck->device);
    ck_get_string(r, "platform name", ck->platform, sizeof ck->platform);
    checkpoint_data_id *d = &ck->data;
    ck_get_u64(r, "data", &d->train_count);
    ck_get_u64(r, "data", &d->test_count);
    ck_get_u64(r, "data", &d->rows);
    ck_get_u64(r, "data", &d->cols);
    ck_get_u64(r, "data", &d->classes);
    ck_get_u32(r, "data", &d->train_crc);
    ck_get_u32(r, "data", &d->test_crc);
    if (r->failed != NULL)
        return REFUSE(err, "malformed at %s", r->failed);
    const ewcl_train_config *c = &ck->config;
    if (c->task_number == 0 || c->task_number > MAX_TASKS || c->epochs_per_task == 0 ||
        c->batch_size == 0 || c->batch_size > UINT32_MAX || c->pad > MAX_PAD)
        return REFUSE(err, "impossible schedule (%zu tasks, %zu epochs, batch %zu, pad %zu)",
                      c->task_number, c->epochs_per_task, c->batch_size, c->pad);
    if (d->train_count == 0 || d->train_count > UINT32_MAX || d->test_count == 0 ||
        d->test_count > UINT32_MAX || d->rows == 0 || d->rows > MAX_SIDE || d->cols == 0 ||
        d->cols > MAX_SIDE || d->classes == 0 || d->classes > MAX_CLASSES)
        return REFUSE(err, "impossible data (%llu + %llu images of %llux%llu, %llu classes)",
                      (unsigned long long)d->train_count, (unsigned long long)d->test_count,
                      (unsigned long long)d->rows, (unsigned long long)d->cols,
                      (unsigned long long)d->classes);
    return EWCL_OK;
}

static ewcl_status get_position(ck_reader *r, ewcl_checkpoint *ck, ewcl_error *err)
{
    uint64_t task = 0, epoch = 0, batch = 0;
    ck_get_u64(r, "position", &task);
    ck_get_u64(r, "position", &epoch);
    ck_get_u64(r, "position", &batch);
    ck_get_u64(r, "iteration", &ck->iteration);
    ck_get_u64(r, "iteration", &ck->train_images);
    for (int i = 0; i < 4; i++)
        ck_get_u64(r, "random generators", &ck->shuffle_rng[i]);
    for (int i = 0; i < 4; i++)
        ck_get_u64(r, "random generators", &ck->fisher_rng[i]);
    ck_get_f64(r, "normalisation", &ck->mean);
    ck_get_f64(r, "normalisation", &ck->std);
    if (r->failed != NULL)
        return REFUSE(err, "malformed at %s", r->failed);
    const ewcl_train_config *c = &ck->config;
    const uint64_t batches = (ck->data.train_count + c->batch_size - 1) / c->batch_size;
    const bool done = task == c->task_number && epoch == 0 && batch == 0;
    if (!done && (task >= c->task_number || epoch >= c->epochs_per_task || batch >= batches))
        return REFUSE(err, "position task %llu, epoch %llu, batch %llu outside the run",
                      (unsigned long long)task, (unsigned long long)epoch,
                      (unsigned long long)batch);
    ck->task = (size_t)task;
    ck->epoch = (size_t)epoch;
    ck->batch = (size_t)batch;
    if (!(ck->std > 0.0) || ck->std != ck->std)
        return REFUSE(err, "normalisation std %g is not positive", ck->std);
    return EWCL_OK;
}

/* The shuffled order must be a permutation of the training set: it indexes the images. */
static ewcl_status get_order(ck_reader *r, ewcl_checkpoint *ck, ewcl_error *err)
{
    uint64_t count = 0;
    ck_get_u64(r, "order", &count);
    if (count != ck->data.train_count)
        return REFUSE(err, "order of %llu indices for %llu training images",
                      (unsigned long long)count, (unsigned long long)ck->data.train_count);
    const size_t n = (size_t)count;
    if (!ck_get_u32s(r, "order", ck->order, n))
        return REFUSE(err, "truncated in the order");
    uint8_t *seen = calloc(n, 1);
    if (seen == NULL)
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "checkpoint: out of memory");
    ewcl_status st = EWCL_OK;
    for (size_t i = 0; i < n && st == EWCL_OK; i++) {
        if (ck->order[i] >= n || seen[ck->order[i]])
            st = REFUSE(err, "the order is not a permutation (entry %zu)", i);
        else
            seen[ck->order[i]] = 1;
    }
    free(seen);
    return st;
}

static ewcl_status get_model(ck_reader *r, ewcl_checkpoint *ck, ewcl_error *err)
{
    uint64_t count = 0;
    uint8_t has_ewc = 0;
    ck_get_u64(r, "parameters", &count);
    if (count != ck->parameter_count)
        return REFUSE(err, "%llu parameters, the configuration makes %zu",
                      (unsigned long long)count, ck->parameter_count);
    ck_get_f32s(r, "parameters", ck->parameters, ck->parameter_count);
    ck_get_u8(r, "EWC state", &has_ewc);
    if (r->failed == NULL && has_ewc != (uint8_t)ck->config.consolidate)
        return REFUSE(err, "EWC state %s, but consolidation is %s", has_ewc ? "present" : "absent",
                      ck->config.consolidate ? "on" : "off");
    ck->has_ewc = has_ewc != 0;
    if (ck->has_ewc) {
        uint64_t tasks = 0;
        ck_get_u64(r, "EWC state", &tasks);
        ck_get_f64(r, "EWC state", &ck->ewc.residual);
        ck_get_f32(r, "EWC state", &ck->ewc.max_importance);
        ck_get_f32s(r, "EWC state", ck->ewc_S, ck->parameter_count);
        ck_get_f32s(r, "EWC state", ck->ewc_mu, ck->parameter_count);
        if (r->failed == NULL && tasks > ck->config.task_number)
            return REFUSE(err, "%llu tasks consolidated of %zu", (unsigned long long)tasks,
                          ck->config.task_number);
        ck->ewc.tasks = (size_t)tasks;
    }
    return r->failed != NULL ? REFUSE(err, "truncated in the %s", r->failed) : EWCL_OK;
}

static ewcl_status get_history(ck_reader *r, ewcl_checkpoint *ck, ewcl_error *err)
{
    const size_t t = ck->config.task_number;
    uint64_t count = 0;
    ck_get_u64(r, "history", &count);
    /* A point takes at least 65 bytes. */
    if (!ck_has(r, count, 65))
        return REFUSE(err, "history of %llu points in %zu bytes",
                      (unsigned long long)count, r->length - r->pos);
    double accuracy[MAX_TASKS];
    for (uint64_t i = 0; i < count; i++) {
        ewcl_train_point p = {0};
        uint8_t kind = 0;
        uint64_t task = 0, epoch = 0, seen = 0;
        ck_get_u8(r, "history", &kind);
        ck_get_u64(r, "history", &p.iteration);
        ck_get_u64(r, "history", &task);
        ck_get_u64(r, "history", &epoch);
        ck_get_f64(r, "history", &p.cross_entropy);
        ck_get_f64(r, "history", &p.ewc_loss);
        ck_get_f64(r, "history", &p.total_loss);
        ck_get_f64(r, "history", &p.precision);
        ck_get_u64(r, "history", &seen);
        if (r->failed == NULL && (kind > EWCL_TRAIN_POINT_TASK_END || task >= t ||
                                  epoch >= ck->config.epochs_per_task || seen > t))
            return REFUSE(err, "history point %llu out of range", (unsigned long long)i);
        ck_get_f64s(r, "history", accuracy, (size_t)seen);
        if (r->failed != NULL)
            return REFUSE(err, "truncated in the history");
        p.kind = (ewcl_train_point_kind)kind;
        p.task = (size_t)task;
        p.epoch = (size_t)epoch;
        p.accuracy = seen > 0 ? accuracy : NULL;
        p.tasks_seen = (size_t)seen;
        if (!train_history_append(&ck->history, &p))
            return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "checkpoint: out of memory");
    }
    return EWCL_OK;
}

/* Whether the arrays the identity sizes fit in what is left of the payload. */
static bool arrays_fit(const ck_reader *r, const ewcl_checkpoint *ck, size_t parameters)
{
    const uint64_t t = ck->config.task_number;
    const uint64_t vectors = ck->config.consolidate ? 3 : 1;
    const uint64_t bytes = 4 * ck->data.train_count + 4 * vectors * (uint64_t)parameters +
                           8 * (t * t + 2 * t);
    return bytes <= r->length - r->pos;
}

ewcl_status ewcl_checkpoint_parse(const void *bytes, size_t size, ewcl_checkpoint **out,
                                  ewcl_error *err)
{
    if (out != NULL)
        *out = NULL;
    if ((bytes == NULL && size > 0) || out == NULL)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "ewcl_checkpoint_parse: NULL argument");
    ewcl_status st = check_header(bytes, size, err);
    if (st != EWCL_OK)
        return st;
    ck_reader r = {(const uint8_t *)bytes + EWCL_CHECKPOINT_HEADER_SIZE,
                   size - EWCL_CHECKPOINT_HEADER_SIZE, 0, NULL};
    ewcl_checkpoint identity;
    memset(&identity, 0, sizeof identity);
    st = get_identity(&r, &identity, err);
    if (st != EWCL_OK)
        return st;
    const checkpoint_data_id *d = &identity.data;
    const size_t input = (size_t)((d->rows + 2 * identity.config.pad) *
                                  (d->cols + 2 * identity.config.pad));
    const size_t parameters =
        checkpoint_parameter_count(&identity.config, input, (size_t)d->classes);
    if (parameters == 0)
        return REFUSE(err, "impossible network (hidden %zu x %zu for %zu inputs)",
                      identity.config.hidden_size, identity.config.hidden_layer_num, input);
    if (!arrays_fit(&r, &identity, parameters))
        return REFUSE(err, "truncated: too short for %zu parameters and %llu training images",
                      parameters, (unsigned long long)d->train_count);
    ewcl_checkpoint *ck = checkpoint_alloc(&identity.config, (size_t)d->train_count, parameters);
    if (ck == NULL)
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "checkpoint: out of memory");
    ck->sequence = identity.sequence;
    memcpy(ck->device, identity.device, sizeof ck->device);
    memcpy(ck->platform, identity.platform, sizeof ck->platform);
    ck->data = identity.data;
    const size_t t = ck->config.task_number;
    st = get_position(&r, ck, err);
    if (st == EWCL_OK)
        st = get_order(&r, ck, err);
    if (st == EWCL_OK)
        st = get_model(&r, ck, err);
    if (st == EWCL_OK) {
        ck_get_f64s(&r, "accuracy matrix", ck->accuracy, t * t);
        ck_get_f64s(&r, "accuracy matrix", ck->average_accuracy, t);
        ck_get_f64s(&r, "Fisher times", ck->fisher_seconds, t);
        ck_get_f64s(&r, "times", ck->phase_seconds, 4);
        ck_get_f64(&r, "times", &ck->checkpoint_seconds);
        if (r.failed != NULL)
            st = REFUSE(err, "truncated in the %s", r.failed);
    }
    if (st == EWCL_OK)
        st = get_history(&r, ck, err);
    if (st == EWCL_OK && r.pos != r.length)
        st = REFUSE(err, "%zu unread bytes at the end of the payload", r.length - r.pos);
    if (st != EWCL_OK) {
        ewcl_checkpoint_destroy(ck);
        return st;
    }
    *out = ck;
    return EWCL_OK;
}
