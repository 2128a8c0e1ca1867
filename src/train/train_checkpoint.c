/* A run's checkpoints: its state captured from the device and the host into a checkpoint
 * and written, the oldest removed beyond `keep`; a run continued from one; and a saved
 * model evaluated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/error_internal.h"
#include "runtime/runtime_internal.h"
#include "train/train_internal.h"

void ewcl_train_checkpointing_default(ewcl_train_checkpointing *k)
{
    if (k != NULL)
        *k = (ewcl_train_checkpointing){.dir = NULL, .every = 0, .keep = 2, .resume = NULL};
}

/* The sequences of the checkpoints in the folder that this run may remove later: the one it
 * resumes from and the older ones of the same run that can still be read. */
static ewcl_status adopt_existing(train_session *s, const checkpoint_listing *listing)
{
    const ewcl_checkpoint *resume = s->checkpointing.resume;
    s->kept = malloc((listing->count + 1) * sizeof *s->kept);
    if (s->kept == NULL)
        return EWCL_FAIL(&s->rt->error, EWCL_ERR_OUT_OF_MEMORY, "checkpoint: out of memory");
    for (size_t i = 0; i < listing->count && listing->sequences[i] <= resume->sequence; i++) {
        char path[EWCL_PATH_MAX];
        ewcl_checkpoint *ck = NULL;
        if (checkpoint_path(path, sizeof path, s->checkpointing.dir, listing->sequences[i]) &&
            ewcl_checkpoint_load(path, &ck, NULL) == EWCL_OK &&
            ewcl_checkpoint_check_config(ck, s->config, NULL) == EWCL_OK)
            s->kept[s->kept_count++] = listing->sequences[i];
        ewcl_checkpoint_destroy(ck);
    }
    return EWCL_OK;
}

ewcl_status train_checkpoint_prepare(train_session *s, const ewcl_train_checkpointing *k,
                                     const ewcl_idx_data *data)
{
    s->written_iteration = UINT64_MAX;
    if (k == NULL || k->dir == NULL)
        return EWCL_OK;
    s->checkpointing = *k;
    if (s->checkpointing.keep == 0)
        s->checkpointing.keep = 1;
    checkpoint_data_id_of(data, &s->data_id);
    checkpoint_listing listing;
    ewcl_status st = checkpoint_list(k->dir, &listing, &s->rt->error);
    if (st != EWCL_OK)
        return st;
    /* Names go on from the highest in the folder, readable or not: none is reused. */
    s->sequence = listing.count > 0 ? listing.sequences[listing.count - 1] : 0;
    ewcl_checkpoint *existing = NULL;
    char path[EWCL_PATH_MAX];
    /* A fresh run may add to files that cannot be read (never touching them), not to a
     * run that could be resumed. */
    if (k->resume == NULL && listing.count > 0)
        st = ewcl_checkpoint_find(k->dir, NULL, NULL, NULL, &existing, path, sizeof path,
                                  &s->rt->error);
    if (existing != NULL)
        st = EWCL_FAIL(&s->rt->error, EWCL_ERR_INVALID_ARGUMENT,
                       "the checkpoint folder %s already holds checkpoints (%s): resume from "
                       "them (--resume %s) or choose another folder",
                       k->dir, path, k->dir);
    ewcl_checkpoint_destroy(existing);
    if (st == EWCL_OK && k->resume != NULL)
        st = adopt_existing(s, &listing);
    checkpoint_remove_temporaries(k->dir);
    checkpoint_listing_free(&listing);
    return st;
}

void train_checkpoint_close(train_session *s)
{
    free(s->kept);
    free(s->snapshot);
    s->kept = NULL;
    s->snapshot = NULL;
}

/* ---- Capturing and writing ------------------------------------------------------------- */

static ewcl_status capture(train_session *s, const ewcl_train_result *r, train_position next,
                           ewcl_checkpoint **out)
{
    const size_t n_train = ewcl_dataset_count(s->train), t = s->config->task_number;
    ewcl_checkpoint *ck = checkpoint_alloc(s->config, n_train, ewcl_mlp_parameter_count(s->mlp));
    if (ck == NULL)
        return EWCL_FAIL(&s->rt->error, EWCL_ERR_OUT_OF_MEMORY, "checkpoint: out of memory");
    const ewcl_device_info *d = ewcl_runtime_device(s->rt);
    snprintf(ck->device, sizeof ck->device, "%s", d->name);
    snprintf(ck->platform, sizeof ck->platform, "%s", d->platform_name);
    ck->sequence = s->sequence + 1;
    ck->data = s->data_id;
    ck->task = next.task;
    ck->epoch = next.epoch;
    ck->batch = next.batch;
    ck->iteration = s->iteration;
    ck->train_images = s->train_images;
    memcpy(ck->shuffle_rng, s->shuffle_rng.s, sizeof ck->shuffle_rng);
    memcpy(ck->fisher_rng, s->fisher_rng.s, sizeof ck->fisher_rng);
    memcpy(ck->order, s->order, n_train * sizeof *ck->order);
    ck->mean = s->mean;
    ck->std = s->std;
    memcpy(ck->accuracy, r->accuracy, t * t * sizeof *ck->accuracy);
    memcpy(ck->average_accuracy, r->average_accuracy, t * sizeof *ck->average_accuracy);
    memcpy(ck->fisher_seconds, r->fisher_seconds, t * sizeof *ck->fisher_seconds);
    for (int i = 0; i < TRAIN_PHASE_COUNT; i++)
        ck->phase_seconds[i] = train_clock_seconds(&s->clock, (train_phase)i);
    ck->checkpoint_seconds = s->checkpoint_seconds;
    ewcl_status st = ewcl_mlp_read_parameters(s->mlp, ck->parameters, ck->parameter_count);
    if (st == EWCL_OK && s->ewc != NULL)
        st = ewc_state_read(s->ewc, ck->ewc_S, ck->ewc_mu, &ck->ewc);
    if (st == EWCL_OK && !train_history_copy(&ck->history, &s->history))
        st = EWCL_FAIL(&s->rt->error, EWCL_ERR_OUT_OF_MEMORY, "checkpoint: out of memory");
    if (st != EWCL_OK) {
        ewcl_checkpoint_destroy(ck);
        return st;
    }
    *out = ck;
    return EWCL_OK;
}

static ewcl_status capture_bytes(train_session *s, const ewcl_train_result *r,
                                 train_position next, uint8_t **bytes, size_t *size)
{
    ewcl_checkpoint *ck = NULL;
    ewcl_status st = capture(s, r, next, &ck);
    if (st == EWCL_OK)
        st = checkpoint_serialise(ck, bytes, size, &s->rt->error);
    ewcl_checkpoint_destroy(ck);
    return st;
}

/* Removes the oldest checkpoints this run may remove until `keep` remain. */
static void prune(train_session *s)
{
    while (s->kept_count > s->checkpointing.keep) {
        char path[EWCL_PATH_MAX];
        if (checkpoint_path(path, sizeof path, s->checkpointing.dir, s->kept[0]) &&
            remove(path) != 0)
            ewcl_runtime_log(s->rt, EWCL_LOG_WARNING, "cannot remove old checkpoint %s", path);
        memmove(s->kept, s->kept + 1, (s->kept_count - 1) * sizeof *s->kept);
        s->kept_count--;
    }
}

/* Writes serialised bytes made for sequence s->sequence + 1. */
static ewcl_status write_bytes(train_session *s, const uint8_t *bytes, size_t size,
                               uint64_t iteration)
{
    char path[EWCL_PATH_MAX];
    const uint64_t sequence = s->sequence + 1;
    if (!checkpoint_path(path, sizeof path, s->checkpointing.dir, sequence))
        return EWCL_FAIL(&s->rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "checkpoint folder path too long: %s", s->checkpointing.dir);
    uint64_t *kept = realloc(s->kept, (s->kept_count + 1) * sizeof *kept);
    if (kept == NULL)
        return EWCL_FAIL(&s->rt->error, EWCL_ERR_OUT_OF_MEMORY, "checkpoint: out of memory");
    s->kept = kept;
    const ewcl_status st = checkpoint_write_atomic(path, bytes, size, &s->rt->error);
    if (st != EWCL_OK)
        return st;
    s->sequence = sequence;
    s->kept[s->kept_count++] = sequence;
    s->written_iteration = iteration;
    snprintf(s->last_checkpoint, sizeof s->last_checkpoint, "%s", path);
    ewcl_runtime_log(s->rt, EWCL_LOG_INFO, "checkpoint %s written (iteration %llu)", path,
                     (unsigned long long)iteration);
    prune(s);
    return EWCL_OK;
}

ewcl_status train_checkpoint_write(train_session *s, const ewcl_train_result *r,
                                   train_position next)
{
    if (s->checkpointing.dir == NULL)
        return EWCL_OK;
    const double start = train_clock_seconds(&s->clock, s->clock.current);
    uint8_t *bytes = NULL;
    size_t size = 0;
    ewcl_status st = capture_bytes(s, r, next, &bytes, &size);
    if (st == EWCL_OK)
        st = write_bytes(s, bytes, size, s->iteration);
    free(bytes);
    /* Charged to no phase: the time is taken back from the one that was running. */
    const double spent = train_clock_seconds(&s->clock, s->clock.current) - start;
    s->clock.seconds[s->clock.current] -= spent;
    s->checkpoint_seconds += spent;
    return st;
}

ewcl_status train_checkpoint_snapshot(train_session *s, const ewcl_train_result *r,
                                      train_position next)
{
    if (s->checkpointing.dir == NULL)
        return EWCL_OK;
    free(s->snapshot);
    s->snapshot = NULL;
    const ewcl_status st = capture_bytes(s, r, next, &s->snapshot, &s->snapshot_size);
    s->snapshot_iteration = s->iteration;
    return st;
}

void train_checkpoint_save_snapshot(train_session *s)
{
    const bool newer = s->written_iteration == UINT64_MAX ||
                       s->snapshot_iteration > s->written_iteration;
    if (s->snapshot == NULL || !newer)
        return;
    /* The record keeps the error that stopped the run. */
    const ewcl_error kept = s->rt->error;
    if (write_bytes(s, s->snapshot, s->snapshot_size, s->snapshot_iteration) != EWCL_OK)
        ewcl_runtime_log(s->rt, EWCL_LOG_WARNING,
                         "the last finite state could not be saved: %s", s->rt->error.message);
    s->rt->error = kept;
}

/* ---- Continuing ------------------------------------------------------------------------ */

ewcl_status train_checkpoint_restore(train_session *s, const ewcl_checkpoint *ck,
                                     ewcl_train_result *r)
{
    const size_t t = s->config->task_number;
    ewcl_status st = ewcl_mlp_write_parameters(s->mlp, ck->parameters, ck->parameter_count);
    if (st == EWCL_OK && s->ewc != NULL)
        st = ewc_state_write(s->ewc, ck->ewc_S, ck->ewc_mu, &ck->ewc);
    if (st != EWCL_OK)
        return st;
    memcpy(s->shuffle_rng.s, ck->shuffle_rng, sizeof ck->shuffle_rng);
    memcpy(s->fisher_rng.s, ck->fisher_rng, sizeof ck->fisher_rng);
    memcpy(s->order, ck->order, ewcl_dataset_count(s->train) * sizeof *s->order);
    s->iteration = ck->iteration;
    s->train_images = ck->train_images;
    memcpy(r->accuracy, ck->accuracy, t * t * sizeof *r->accuracy);
    memcpy(r->average_accuracy, ck->average_accuracy, t * sizeof *r->average_accuracy);
    memcpy(r->fisher_seconds, ck->fisher_seconds, t * sizeof *r->fisher_seconds);
    for (int i = 0; i < TRAIN_PHASE_COUNT; i++)
        s->clock.seconds[i] += ck->phase_seconds[i];
    s->checkpoint_seconds = ck->checkpoint_seconds;
    s->written_iteration = ck->iteration;
    if (!train_history_copy(&s->history, &ck->history))
        return EWCL_FAIL(&s->rt->error, EWCL_ERR_OUT_OF_MEMORY, "checkpoint: out of memory");
    const ewcl_device_info *d = ewcl_runtime_device(s->rt);
    if (strcmp(d->name, ck->device) != 0 || strcmp(d->platform_name, ck->platform) != 0)
        ewcl_runtime_log(s->rt, EWCL_LOG_INFO,
                         "resuming on %s (%s), the checkpoint was written on %s (%s): the "
                         "results will agree with an uninterrupted run up to rounding",
                         d->name, d->platform_name, ck->device, ck->platform);
    return EWCL_OK;
}

/* ---- Evaluating a saved model ---------------------------------------------------------- */

ewcl_status ewcl_checkpoint_evaluate(ewcl_runtime *rt, const ewcl_checkpoint *ck,
                                     const ewcl_idx_data *data, double *accuracy,
                                     size_t *tasks_seen)
{
    if (rt == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    if (ck == NULL || data == NULL || accuracy == NULL || tasks_seen == NULL)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "ewcl_checkpoint_evaluate: NULL argument");
    *tasks_seen = 0;
    ewcl_status st = checkpoint_check_data(ck, data, &rt->error);
    if (st == EWCL_OK)
        st = train_config_check(rt, &ck->config, data);
    train_session s;
    if (st == EWCL_OK)
        st = train_session_open(&s, rt, data, &ck->config, NULL);
    if (st != EWCL_OK)
        return st;
    /* The task under way counts as seen once a batch of it has been trained. */
    const bool under_way = ck->task < ck->config.task_number && (ck->epoch > 0 || ck->batch > 0);
    const size_t seen = ck->task + (under_way ? 1 : 0);
    st = ewcl_mlp_write_parameters(s.mlp, ck->parameters, ck->parameter_count);
    for (size_t j = 0; j < seen && st == EWCL_OK; j++)
        st = train_evaluate(&s, j, s.test_all, ewcl_dataset_count(s.test), &accuracy[j]);
    train_session_close(&s);
    if (st == EWCL_OK)
        *tasks_seen = seen;
    return st;
}
