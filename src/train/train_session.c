/* Opening a run: the data and the tasks' permutations on the device, the model, the EWC
 * state, and the host's index lists. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/buffer.h"
#include "runtime/error_internal.h"
#include "runtime/runtime_internal.h"
#include "train/train_internal.h"
#include "train/train_memory.h"

/* Tags that give each use of the run's seed a generator of its own (apart from the initial
 * weights and the permutations, which start from the seed itself). */
#define SHUFFLE_TAG 0x73687566666c6521ull /* "shuffle!" */
#define EVAL_TAG 0x6576616c73756273ull    /* "evalsubs" */
#define FISHER_TAG 0x6669736865727375ull  /* "fishersu" */

/* The Fisher runs in batches of the MLP's max_batch: large ones are far faster, and 1024
 * rows of activations are still small. */
#define FISHER_BATCH_CAP 1024

void train_draw_subset(ewcl_rng *rng, uint32_t *pool, size_t n, size_t count)
{
    for (size_t i = 0; i < n; i++)
        pool[i] = (uint32_t)i;
    for (size_t i = 0; i < count; i++) {
        const size_t j = i + (size_t)ewcl_rng_below(rng, n - i);
        const uint32_t t = pool[i];
        pool[i] = pool[j];
        pool[j] = t;
    }
}

static ewcl_status upload_data(train_session *s, const ewcl_idx_data *data)
{
    const ewcl_train_config *c = s->config;
    ewcl_dataset_options o;
    ewcl_dataset_options_default(&o);
    o.pad = c->pad;
    if (isnan(c->mean))
        ewcl_idx_pixel_stats(&data->train, &o.mean, &o.std);
    else {
        o.mean = c->mean;
        o.std = c->std;
    }
    ewcl_status st = ewcl_dataset_create(s->rt, &data->train, &o, &s->train);
    if (st == EWCL_OK)
        st = ewcl_dataset_create(s->rt, &data->test, &o, &s->test);
    s->mean = o.mean;
    s->std = o.std;
    return st;
}

static ewcl_status upload_permutations(train_session *s)
{
    const size_t tasks = s->config->task_number, size = ewcl_dataset_input_size(s->train);
    uint32_t *perm = malloc(size * sizeof *perm);
    s->permutations = calloc(tasks, sizeof *s->permutations);
    if (perm == NULL || s->permutations == NULL) {
        free(perm);
        return EWCL_FAIL(&s->rt->error, EWCL_ERR_OUT_OF_MEMORY, "train: out of memory");
    }
    ewcl_task_generator generator;
    ewcl_task_generator_permuted(&generator, s->config->seed);
    ewcl_status st = EWCL_OK;
    for (size_t t = 0; t < tasks && st == EWCL_OK; t++) {
        st = ewcl_task_permutation(&generator, t, perm, size, &s->rt->error);
        if (st == EWCL_OK)
            st = ewcl_permutation_upload(s->rt, perm, size, &s->permutations[t]);
    }
    free(perm);
    return st;
}

static ewcl_status create_model(train_session *s)
{
    const ewcl_train_config *c = s->config;
    ewcl_mlp_config m;
    ewcl_mlp_config_default(&m);
    m.input_size = ewcl_dataset_input_size(s->train);
    m.hidden_size = c->hidden_size;
    m.hidden_layer_num = c->hidden_layer_num;
    m.output_size = ewcl_dataset_classes(s->train);
    m.input_dropout = c->input_dropout;
    m.hidden_dropout = c->hidden_dropout;
    const size_t fisher_batch =
        c->fisher_sample_size < FISHER_BATCH_CAP ? c->fisher_sample_size : FISHER_BATCH_CAP;
    m.max_batch = c->batch_size > fisher_batch ? c->batch_size : fisher_batch;
    m.seed = c->seed;
    m.pytorch_ewc_compat = c->pytorch_ewc_compat;
    m.gemm = c->gemm;
    s->eval_batch = m.max_batch;
    ewcl_status st = ewcl_mlp_create(s->rt, &m, &s->mlp);
    /* Without consolidation the EWC state is never needed: its step would be plain SGD. */
    if (st == EWCL_OK && c->consolidate) {
        ewcl_ewc_config e = c->ewc;
        e.seed = c->seed;
        st = ewcl_ewc_create(s->mlp, &e, &s->ewc);
    }
    return st;
}

static ewcl_status allocate_host(train_session *s)
{
    const size_t n_train = ewcl_dataset_count(s->train), n_test = ewcl_dataset_count(s->test);
    s->order = malloc(n_train * sizeof *s->order);
    s->pool = malloc(n_train * sizeof *s->pool);
    s->eval_subset = malloc(n_test * sizeof *s->eval_subset);
    s->test_all = malloc(n_test * sizeof *s->test_all);
    s->scratch_accuracy = malloc(s->config->task_number * sizeof *s->scratch_accuracy);
    if (s->order == NULL || s->pool == NULL || s->eval_subset == NULL || s->test_all == NULL ||
        s->scratch_accuracy == NULL)
        return EWCL_FAIL(&s->rt->error, EWCL_ERR_OUT_OF_MEMORY, "train: out of memory");
    for (size_t i = 0; i < n_train; i++)
        s->order[i] = (uint32_t)i;
    for (size_t i = 0; i < n_test; i++)
        s->test_all[i] = (uint32_t)i;
    ewcl_rng eval_rng;
    ewcl_rng_seed(&eval_rng, s->config->seed ^ EVAL_TAG);
    train_draw_subset(&eval_rng, s->eval_subset, n_test, s->config->test_size);
    ewcl_rng_seed(&s->shuffle_rng, s->config->seed ^ SHUFFLE_TAG);
    ewcl_rng_seed(&s->fisher_rng, s->config->seed ^ FISHER_TAG);
    return EWCL_OK;
}

ewcl_status train_session_open(train_session *s, ewcl_runtime *rt, const ewcl_idx_data *data,
                               const ewcl_train_config *config,
                               const ewcl_train_callbacks *callbacks)
{
    memset(s, 0, sizeof *s);
    s->rt = rt;
    s->config = config;
    if (callbacks != NULL)
        s->callbacks = *callbacks;
    train_clock_start(&s->clock);
    /* A run too large for the device is refused before anything is allocated. */
    ewcl_status st = train_memory_check(rt, config, data);
    if (st == EWCL_OK)
        st = upload_data(s, data);
    if (st == EWCL_OK)
        st = upload_permutations(s);
    if (st == EWCL_OK)
        st = create_model(s);
    if (st == EWCL_OK)
        st = allocate_host(s);
    /* Programs are built (or loaded) now, so that no build is charged to training. */
    if (st == EWCL_OK)
        st = ewcl_runtime_warmup(rt);
    if (st != EWCL_OK)
        train_session_close(s);
    return st;
}

void train_session_close(train_session *s)
{
    if (s->permutations != NULL)
        for (size_t t = 0; t < s->config->task_number; t++)
            ewcl_buffer_release(s->permutations[t]);
    free(s->permutations);
    ewcl_ewc_destroy(s->ewc);
    ewcl_mlp_destroy(s->mlp);
    ewcl_dataset_destroy(s->test);
    ewcl_dataset_destroy(s->train);
    free(s->order);
    free(s->pool);
    free(s->eval_subset);
    free(s->test_all);
    free(s->scratch_accuracy);
    train_history_free(&s->history);
    train_checkpoint_close(s);
    memset(s, 0, sizeof *s);
}
