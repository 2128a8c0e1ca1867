/* The checkpoint object: its memory, what it tells, and the data it belongs to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/error_internal.h"
#include "runtime/file_util.h"
#include "train/checkpoint_internal.h"

ewcl_checkpoint *checkpoint_alloc(const ewcl_train_config *config, size_t train_count,
                                  size_t parameter_count)
{
    ewcl_checkpoint *ck = calloc(1, sizeof *ck);
    if (ck == NULL)
        return NULL;
    const size_t t = config->task_number;
    ck->config = *config;
    ck->parameter_count = parameter_count;
    ck->has_ewc = config->consolidate;
    ck->order = malloc((train_count > 0 ? train_count : 1) * sizeof *ck->order);
    ck->parameters = malloc(parameter_count * sizeof *ck->parameters);
    if (ck->has_ewc) {
        ck->ewc_S = malloc(parameter_count * sizeof *ck->ewc_S);
        ck->ewc_mu = malloc(parameter_count * sizeof *ck->ewc_mu);
    }
    ck->accuracy = calloc(t * t, sizeof *ck->accuracy);
    ck->average_accuracy = calloc(t, sizeof *ck->average_accuracy);
    ck->fisher_seconds = calloc(t, sizeof *ck->fisher_seconds);
    if (ck->order == NULL || ck->parameters == NULL || ck->accuracy == NULL ||
        ck->average_accuracy == NULL || ck->fisher_seconds == NULL ||
        (ck->has_ewc && (ck->ewc_S == NULL || ck->ewc_mu == NULL))) {
        ewcl_checkpoint_destroy(ck);
        return NULL;
    }
    return ck;
}

void ewcl_checkpoint_destroy(ewcl_checkpoint *ck)
{
    if (ck == NULL)
        return;
    free(ck->order);
    free(ck->parameters);
    free(ck->ewc_S);
    free(ck->ewc_mu);
    free(ck->accuracy);
    free(ck->average_accuracy);
    free(ck->fisher_seconds);
    train_history_free(&ck->history);
    free(ck);
}

const ewcl_train_config *ewcl_checkpoint_config(const ewcl_checkpoint *ck)
{
    return ck != NULL ? &ck->config : NULL;
}

ewcl_checkpoint_position ewcl_checkpoint_where(const ewcl_checkpoint *ck)
{
    ewcl_checkpoint_position p = {0};
    if (ck == NULL)
        return p;
    p.task = ck->task;
    p.epoch = ck->epoch;
    p.batch = ck->batch;
    p.task_count = ck->config.task_number;
    p.iteration = ck->iteration;
    p.tasks_done = ck->task; /* the tasks before the next one are finished */
    p.sequence = ck->sequence;
    return p;
}

const char *ewcl_checkpoint_device(const ewcl_checkpoint *ck)
{
    return ck != NULL ? ck->device : "";
}

const char *ewcl_checkpoint_platform(const ewcl_checkpoint *ck)
{
    return ck != NULL ? ck->platform : "";
}

const double *ewcl_checkpoint_accuracy(const ewcl_checkpoint *ck)
{
    return ck != NULL ? ck->accuracy : NULL;
}

const float *ewcl_checkpoint_parameters(const ewcl_checkpoint *ck, size_t *count)
{
    if (count != NULL)
        *count = ck != NULL ? ck->parameter_count : 0;
    return ck != NULL ? ck->parameters : NULL;
}

size_t ewcl_checkpoint_point_count(const ewcl_checkpoint *ck)
{
    return ck != NULL ? ck->history.count : 0;
}

ewcl_train_point ewcl_checkpoint_point(const ewcl_checkpoint *ck, size_t index)
{
    if (ck == NULL || index >= ck->history.count)
        return (ewcl_train_point){0};
    return train_history_get(&ck->history, index);
}

/* ---- The data's fingerprint ------------------------------------------------------------ */

static uint32_t crc_of_set(const ewcl_idx_set *set)
{
    const uint32_t images = ewcl_crc32(0, set->images, set->count * set->rows * set->cols);
    return ewcl_crc32(images, set->labels, set->count);
}

void checkpoint_data_id_of(const ewcl_idx_data *data, checkpoint_data_id *out)
{
    *out = (checkpoint_data_id){data->train.count, data->test.count,   data->train.rows,
                                data->train.cols,  data->train.classes, crc_of_set(&data->train),
                                crc_of_set(&data->test)};
}

ewcl_status checkpoint_check_data(const ewcl_checkpoint *ck, const ewcl_idx_data *data,
                                  ewcl_error *err)
{
    checkpoint_data_id now;
    checkpoint_data_id_of(data, &now);
    const checkpoint_data_id *was = &ck->data;
    if (now.train_count != was->train_count || now.test_count != was->test_count ||
        now.rows != was->rows || now.cols != was->cols || now.classes != was->classes)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "the checkpoint's run trained on %llu + %llu images of %llux%llu "
                         "(%llu classes), these data have %llu + %llu of %llux%llu (%llu)",
                         (unsigned long long)was->train_count,
                         (unsigned long long)was->test_count, (unsigned long long)was->rows,
                         (unsigned long long)was->cols, (unsigned long long)was->classes,
                         (unsigned long long)now.train_count,
                         (unsigned long long)now.test_count, (unsigned long long)now.rows,
                         (unsigned long long)now.cols, (unsigned long long)now.classes);
    if (now.train_crc != was->train_crc || now.test_crc != was->test_crc)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "the data differ from those the checkpoint's run trained on (CRC-32 "
                         "of the %s set %08x, the checkpoint's %08x)",
                         now.train_crc != was->train_crc ? "training" : "test",
                         now.train_crc != was->train_crc ? now.train_crc : now.test_crc,
                         now.train_crc != was->train_crc ? was->train_crc : was->test_crc);
    return EWCL_OK;
}
