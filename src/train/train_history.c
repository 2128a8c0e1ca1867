/* The logged points of a run, kept so that a checkpoint carries the history a resumed run
 * continues (metrics.csv and the plots then cover the whole run). */
#include <stdlib.h>
#include <string.h>

#include "train/checkpoint_internal.h"

static bool grow(void **array, size_t *capacity, size_t needed, size_t item)
{
    if (needed <= *capacity)
        return true;
    size_t next = *capacity > 0 ? 2 * *capacity : 64;
    while (next < needed)
        next *= 2;
    void *grown = realloc(*array, next * item);
    if (grown == NULL)
        return false;
    *array = grown;
    *capacity = next;
    return true;
}

bool train_history_append(train_history *h, const ewcl_train_point *point)
{
    const size_t values = point->accuracy != NULL ? point->tasks_seen : 0;
    if (!grow((void **)&h->entries, &h->capacity, h->count + 1, sizeof *h->entries) ||
        !grow((void **)&h->values, &h->value_capacity, h->value_count + values,
              sizeof *h->values))
        return false;
    train_history_entry *e = &h->entries[h->count++];
    e->point = *point;
    e->point.accuracy = NULL;
    e->point.tasks_seen = values;
    e->offset = h->value_count;
    if (values > 0)
        memcpy(h->values + h->value_count, point->accuracy, values * sizeof *h->values);
    h->value_count += values;
    return true;
}

ewcl_train_point train_history_get(const train_history *h, size_t index)
{
    ewcl_train_point p = h->entries[index].point;
    p.accuracy = p.tasks_seen > 0 ? h->values + h->entries[index].offset : NULL;
    return p;
}

bool train_history_copy(train_history *dst, const train_history *src)
{
    for (size_t i = 0; i < src->count; i++) {
        const ewcl_train_point p = train_history_get(src, i);
        if (!train_history_append(dst, &p))
            return false;
    }
    return true;
}

void train_history_free(train_history *h)
{
    free(h->entries);
    free(h->values);
    memset(h, 0, sizeof *h);
}
