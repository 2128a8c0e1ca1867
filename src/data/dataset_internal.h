/* The device-resident dataset's insides, shared by its creation and its gather. */
#ifndef EWCL_DATA_DATASET_INTERNAL_H
#define EWCL_DATA_DATASET_INTERNAL_H

#include "ewcl/data.h"
#include "runtime/runtime_internal.h"

/* Host copies of index lists in flight: a non-blocking write reads its host memory until it
 * completes, so each list stays in its slot until the slot comes round again, and is
 * waited for only then (by which time the device has long copied it). A blocking write
 * would instead wait for everything queued before it: the whole previous training step. */
#define EWCL_DATASET_STAGING_SLOTS 4

typedef struct ewcl_index_staging {
    cl_uint *host;
    size_t capacity;
    cl_event written; /* NULL when the slot holds nothing in flight */
} ewcl_index_staging;

struct ewcl_dataset {
    ewcl_runtime *rt;
    size_t count, rows, cols, classes, pad, input_size;
    cl_uint stride;       /* bytes from one image to the next: rows·cols and a 0 byte */
    cl_float scale, shift; /* input = fma(byte, scale, shift): see cl/data.cl */
    cl_mem images;        /* count·stride bytes */
    cl_mem labels;        /* count bytes */
    cl_mem offsets;       /* input_size cl_uints: the current batch's permutation as offsets */
    cl_mem indices;       /* the batch's image indices, index_capacity cl_uints */
    size_t index_capacity;
    ewcl_index_staging staging[EWCL_DATASET_STAGING_SLOTS];
    size_t next_slot;
};

#endif
