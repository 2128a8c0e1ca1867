/* A run's configuration inside a checkpoint: every setting of ewcl_train_config, described
 * once in a table that drives writing it, reading it back (with range checks) and
 * comparing it with the settings a resumed run was given. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "runtime/error_internal.h"
#include "train/checkpoint_codec.h"
#include "train/checkpoint_internal.h"

typedef enum field_type { FIELD_SIZE, FIELD_U64, FIELD_F32, FIELD_F64, FIELD_BOOL, FIELD_ENUM }
field_type;

typedef struct config_field {
    const char *name;   /* the flag that sets it, for messages */
    field_type type;
    size_t offset;
    uint32_t enum_count; /* FIELD_ENUM: values 0 … enum_count − 1 */
    bool affects_run;    /* false: may differ on resume (how often progress is shown) */
} config_field;

/* Enum settings are stored as int-sized values. */
_Static_assert(sizeof(ewcl_gemm_engine) == sizeof(int) && sizeof(ewcl_ewc_mode) == sizeof(int) &&
                   sizeof(ewcl_fisher_labels) == sizeof(int) &&
                   sizeof(ewcl_penalty_step) == sizeof(int),
               "enums are int-sized");

#define TRAIN(field) offsetof(ewcl_train_config, field)
#define EWC(field) (offsetof(ewcl_train_config, ewc) + offsetof(ewcl_ewc_config, field))

/* Every field of ewcl_train_config, in the payload's order. A setting added to the config
 * must be added here, with EWCL_CHECKPOINT_VERSION raised. */
static const config_field fields[] = {
    {"--hidden-size", FIELD_SIZE, TRAIN(hidden_size), 0, true},
    {"--hidden-layer-num", FIELD_SIZE, TRAIN(hidden_layer_num), 0, true},
    {"--hidden-dropout-prob", FIELD_F32, TRAIN(hidden_dropout), 0, true},
    {"--input-dropout-prob", FIELD_F32, TRAIN(input_dropout), 0, true},
    {"--pytorch-ewc-compat", FIELD_BOOL, TRAIN(pytorch_ewc_compat), 0, true},
    {"--gemm", FIELD_ENUM, TRAIN(gemm), 3, true},
    {"--task-number", FIELD_SIZE, TRAIN(task_number), 0, true},
    {"--epochs-per-task", FIELD_SIZE, TRAIN(epochs_per_task), 0, true},
    {"--batch-size", FIELD_SIZE, TRAIN(batch_size), 0, true},
    {"--lr", FIELD_F32, TRAIN(lr), 0, true},
    {"--weight-decay", FIELD_F32, TRAIN(weight_decay), 0, true},
    {"--random-seed", FIELD_U64, TRAIN(seed), 0, true},
    {"--consolidate", FIELD_BOOL, TRAIN(consolidate), 0, true},
    {"--consolidate-last", FIELD_BOOL, TRAIN(consolidate_last), 0, true},
    {"--ewc-mode", FIELD_ENUM, EWC(mode), 3, true},
    {"--lambda", FIELD_F32, EWC(lambda), 0, true},
    {"--gamma", FIELD_F32, EWC(gamma), 0, true},
    {"--fisher-labels", FIELD_ENUM, EWC(labels), 4, true},
    {"--fisher-dropout", FIELD_BOOL, EWC(fisher_dropout), 0, true},
    {"--penalty-step", FIELD_ENUM, EWC(step), 2, true},
    {"EWC seed", FIELD_U64, EWC(seed), 0, true},
    {"--fisher-estimation-sample-size", FIELD_SIZE, TRAIN(fisher_sample_size), 0, true},
    {"--test-size", FIELD_SIZE, TRAIN(test_size), 0, true},
    {"--eval-log-interval", FIELD_SIZE, TRAIN(eval_log_interval), 0, true},
    {"--loss-log-interval", FIELD_SIZE, TRAIN(loss_log_interval), 0, true},
    {"progress interval", FIELD_SIZE, TRAIN(progress_interval), 0, false},
    {"--pad", FIELD_SIZE, TRAIN(pad), 0, true},
    {"normalisation mean", FIELD_F64, TRAIN(mean), 0, true},
    {"normalisation std", FIELD_F64, TRAIN(std), 0, true},
};

enum { FIELD_COUNT = sizeof fields / sizeof fields[0] };

/* A field's value as bits (for writing and exact comparison) and as text. */
static uint64_t field_bits(const ewcl_train_config *c, const config_field *f)
{
    const unsigned char *at = (const unsigned char *)c + f->offset;
    switch (f->type) {
    case FIELD_SIZE: {
        size_t v;
        memcpy(&v, at, sizeof v);
        return v;
    }
    case FIELD_U64:
    case FIELD_F64: {
        uint64_t v;
        memcpy(&v, at, sizeof v);
        return v;
    }
    case FIELD_F32: {
        uint32_t v;
        memcpy(&v, at, sizeof v);
        return v;
    }
    case FIELD_BOOL: {
        bool v;
        memcpy(&v, at, sizeof v);
        return v;
    }
    default: {
        int v;
        memcpy(&v, at, sizeof v);
        return (uint64_t)(unsigned)v;
    }
    }
}

static void set_field(ewcl_train_config *c, const config_field *f, uint64_t bits)
{
    unsigned char *at = (unsigned char *)c + f->offset;
    switch (f->type) {
    case FIELD_SIZE: {
        const size_t v = (size_t)bits;
        memcpy(at, &v, sizeof v);
        break;
    }
    case FIELD_U64:
    case FIELD_F64:
        memcpy(at, &bits, sizeof bits);
        break;
    case FIELD_F32: {
        const uint32_t v = (uint32_t)bits;
        memcpy(at, &v, sizeof v);
        break;
    }
    case FIELD_BOOL: {
        const bool v = bits != 0;
        memcpy(at, &v, sizeof v);
        break;
    }
    default: {
        const int v = (int)bits;
        memcpy(at, &v, sizeof v);
        break;
    }
    }
}

static void format_field(const ewcl_train_config *c, const config_field *f, char *out,
                         size_t size)
{
    const uint64_t bits = field_bits(c, f);
    float f32;
    double f64;
    switch (f->type) {
    case FIELD_F32: {
        const uint32_t b = (uint32_t)bits;
        memcpy(&f32, &b, sizeof f32);
        snprintf(out, size, "%.9g", (double)f32);
        break;
    }
    case FIELD_F64:
        memcpy(&f64, &bits, sizeof f64);
        snprintf(out, size, "%.17g", f64);
        break;
    case FIELD_BOOL:
        snprintf(out, size, "%s", bits != 0 ? "on" : "off");
        break;
    default:
        snprintf(out, size, "%llu", (unsigned long long)bits);
    }
}

void checkpoint_put_config(ck_writer *w, const ewcl_train_config *c)
{
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        const uint64_t bits = field_bits(c, &fields[i]);
        switch (fields[i].type) {
        case FIELD_F32:
        case FIELD_ENUM:
            ck_put_u32(w, (uint32_t)bits);
            break;
        case FIELD_BOOL:
            ck_put_u8(w, (uint8_t)bits);
            break;
        default:
            ck_put_u64(w, bits);
        }
    }
}

const char *checkpoint_get_config(ck_reader *r, ewcl_train_config *c)
{
    ewcl_train_config_default(c);
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        const config_field *f = &fields[i];
        uint64_t bits = 0;
        uint32_t u32 = 0;
        uint8_t u8 = 0;
        switch (f->type) {
        case FIELD_F32:
        case FIELD_ENUM:
            ck_get_u32(r, f->name, &u32);
            bits = u32;
            break;
        case FIELD_BOOL:
            ck_get_u8(r, f->name, &u8);
            bits = u8;
            break;
        default:
            ck_get_u64(r, f->name, &bits);
        }
        if (r->failed != NULL)
            return NULL;
        const bool bad = (f->type == FIELD_ENUM && bits >= f->enum_count) ||
                         (f->type == FIELD_BOOL && bits > 1) ||
                         (f->type == FIELD_SIZE && (uint64_t)(size_t)bits != bits);
        if (bad)
            return f->name;
        set_field(c, f, bits);
    }
    return NULL;
}

ewcl_status ewcl_checkpoint_check_config(const ewcl_checkpoint *ck,
                                         const ewcl_train_config *config, ewcl_error *err)
{
    if (ck == NULL || config == NULL)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "ewcl_checkpoint_check_config: NULL argument");
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        const config_field *f = &fields[i];
        if (!f->affects_run || field_bits(&ck->config, f) == field_bits(config, f))
            continue;
        /* Two NaNs (the data's own normalisation) are the same setting. */
        if (f->type == FIELD_F64) {
            double a, b;
            memcpy(&a, (const unsigned char *)&ck->config + f->offset, sizeof a);
            memcpy(&b, (const unsigned char *)config + f->offset, sizeof b);
            if (isnan(a) && isnan(b))
                continue;
        }
        char saved[64], given[64];
        format_field(&ck->config, f, saved, sizeof saved);
        format_field(config, f, given, sizeof given);
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "the checkpoint's run has %s %s, not %s: a resumed run keeps its "
                         "settings (leave the flag out or start a new run)",
                         f->name, saved, given);
    }
    return EWCL_OK;
}
