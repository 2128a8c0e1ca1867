/* Gathering a batch on the device (cl/data.cl): the host checks the indices and buffers,
 * copies the index list — the only transfer per batch — and launches the two kernels. */
#include <stdlib.h>
#include <string.h>

#include "data/dataset_internal.h"
#include "ops/buffer.h"
#include "ops/launch.h"
#include "runtime/error_internal.h"

#define PROGRAM "data"

static ewcl_status check_gather(ewcl_dataset *ds, cl_mem permutation, const uint32_t *indices,
                                size_t batch, cl_mem inputs, cl_mem labels)
{
    ewcl_runtime *rt = ds->rt;
    if (indices == NULL)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT, "dataset gather: NULL indices");
    if (batch > UINT32_MAX / ds->input_size)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "dataset gather: a batch of %zu exceeds 32-bit indexing", batch);
    for (size_t k = 0; k < batch; k++)
        if (indices[k] >= ds->count)
            return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                             "dataset gather: index %u at position %zu is outside the %zu "
                             "images",
                             indices[k], k, ds->count);
    ewcl_status status =
        ewcl_check_buffer(rt, "dataset gather inputs", inputs, 0, batch * ds->input_size);
    if (status == EWCL_OK && labels != NULL)
        status = ewcl_check_buffer(rt, "dataset gather labels", labels, 0, batch);
    if (status == EWCL_OK && permutation != NULL)
        status = ewcl_check_buffer(rt, "dataset gather permutation", permutation, 0,
                                   ds->input_size);
    return status;
}

/* Copies the index list to the device without waiting for the queue (see
 * EWCL_DATASET_STAGING_SLOTS). */
static ewcl_status send_indices(ewcl_dataset *ds, const uint32_t *indices, size_t batch)
{
    ewcl_runtime *rt = ds->rt;
    ewcl_index_staging *slot = &ds->staging[ds->next_slot];
    ds->next_slot = (ds->next_slot + 1) % EWCL_DATASET_STAGING_SLOTS;
    if (slot->written != NULL) {
        const cl_int rc = clWaitForEvents(1, &slot->written);
        clReleaseEvent(slot->written);
        slot->written = NULL;
        if (rc != CL_SUCCESS)
            return EWCL_FAIL_CL(&rt->error, rc, "dataset gather: an earlier index copy");
    }
    if (slot->capacity < batch) {
        cl_uint *grown = realloc(slot->host, batch * sizeof *grown);
        if (grown == NULL)
            return EWCL_FAIL(&rt->error, EWCL_ERR_OUT_OF_MEMORY,
                             "dataset gather: %zu indices", batch);
        slot->host = grown;
        slot->capacity = batch;
    }
    if (ds->index_capacity < batch) {
        /* Kernels still queued keep the old buffer alive until they finish. */
        ewcl_buffer_release(ds->indices);
        ds->indices = NULL;
        ds->index_capacity = 0;
        const ewcl_status status = ewcl_buffer_create(rt, batch * sizeof(cl_uint), &ds->indices);
        if (status != EWCL_OK)
            return status;
        ds->index_capacity = batch;
    }
    memcpy(slot->host, indices, batch * sizeof *slot->host);
    const cl_int rc = clEnqueueWriteBuffer(rt->queue, ds->indices, CL_FALSE, 0,
                                           batch * sizeof(cl_uint), slot->host, 0, NULL,
                                           &slot->written);
    if (rc != CL_SUCCESS) {
        slot->written = NULL;
        return EWCL_FAIL_CL(&rt->error, rc, "dataset gather: copying %zu indices", batch);
    }
    /* The slot keeps its event for the next reuse; a profiling runtime times a reference. */
    cl_event *traced = ewcl_trace_event(rt, "write");
    if (traced != NULL && clRetainEvent(slot->written) == CL_SUCCESS)
        *traced = slot->written;
    return EWCL_OK;
}

/* Offsets of the permutation's sources, and the labels (see cl/data.cl). */
static ewcl_status launch_prepare(ewcl_dataset *ds, cl_mem permutation, size_t batch,
                                  cl_mem labels)
{
    static const char name[] = "ewcl_gather_prepare";
    ewcl_runtime *rt = ds->rt;
    cl_kernel kernel = NULL;
    const ewcl_status status = ewcl_runtime_kernel(rt, PROGRAM, name, &kernel);
    if (status != EWCL_OK)
        return status;
    const cl_uint input_size = (cl_uint)ds->input_size, rows = (cl_uint)ds->rows,
                  cols = (cl_uint)ds->cols, pad = (cl_uint)ds->pad, n = (cl_uint)batch;
    cl_int rc = EWCL_ARG(kernel, 0, permutation);
    rc |= EWCL_ARG(kernel, 1, input_size);
    rc |= EWCL_ARG(kernel, 2, rows);
    rc |= EWCL_ARG(kernel, 3, cols);
    rc |= EWCL_ARG(kernel, 4, pad);
    rc |= EWCL_ARG(kernel, 5, ds->offsets);
    rc |= EWCL_ARG(kernel, 6, ds->labels);
    rc |= EWCL_ARG(kernel, 7, ds->indices);
    rc |= EWCL_ARG(kernel, 8, n);
    rc |= EWCL_ARG(kernel, 9, labels);
    const ewcl_status args = ewcl_launch_check_args(rt, rc, name);
    const size_t items = ds->input_size > batch ? ds->input_size : batch;
    return args == EWCL_OK ? ewcl_launch_1d(rt, kernel, name, items) : args;
}

static ewcl_status launch_batch(ewcl_dataset *ds, size_t batch, cl_mem inputs)
{
    static const char name[] = "ewcl_gather_batch";
    ewcl_runtime *rt = ds->rt;
    cl_kernel kernel = NULL;
    const ewcl_status status = ewcl_runtime_kernel(rt, PROGRAM, name, &kernel);
    if (status != EWCL_OK)
        return status;
    const cl_uint input_size = (cl_uint)ds->input_size;
    cl_int rc = EWCL_ARG(kernel, 0, ds->images);
    rc |= EWCL_ARG(kernel, 1, ds->stride);
    rc |= EWCL_ARG(kernel, 2, ds->indices);
    rc |= EWCL_ARG(kernel, 3, ds->offsets);
    rc |= EWCL_ARG(kernel, 4, ds->scale);
    rc |= EWCL_ARG(kernel, 5, ds->shift);
    rc |= EWCL_ARG(kernel, 6, input_size);
    rc |= EWCL_ARG(kernel, 7, inputs);
    const ewcl_status args = ewcl_launch_check_args(rt, rc, name);
    /* No work-group size: the range stays exact, which the kernel relies on. */
    const size_t global[2] = {ds->input_size, batch};
    return args == EWCL_OK ? ewcl_launch_2d(rt, kernel, name, global, NULL) : args;
}

ewcl_status ewcl_dataset_gather(ewcl_dataset *ds, cl_mem permutation, const uint32_t *indices,
                                size_t batch, cl_mem inputs, cl_mem labels)
{
    if (ds == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    if (batch == 0)
        return EWCL_OK;
    ewcl_status status = check_gather(ds, permutation, indices, batch, inputs, labels);
    if (status == EWCL_OK)
        status = send_indices(ds, indices, batch);
    if (status == EWCL_OK)
        status = launch_prepare(ds, permutation, batch, labels);
    if (status == EWCL_OK)
        status = launch_batch(ds, batch, inputs);
    return status;
}

ewcl_status ewcl_permutation_upload(ewcl_runtime *rt, const uint32_t *perm, size_t size,
                                    cl_mem *out)
{
    if (rt == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    if (out == NULL || perm == NULL || size == 0 || size > UINT32_MAX)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "permutation upload: NULL argument or size %zu outside 1 to %u", size,
                         UINT32_MAX);
    *out = NULL;
    unsigned char *seen = calloc(size, 1);
    if (seen == NULL)
        return EWCL_FAIL(&rt->error, EWCL_ERR_OUT_OF_MEMORY, "permutation upload: %zu entries",
                         size);
    ewcl_status status = EWCL_OK;
    for (size_t p = 0; p < size && status == EWCL_OK; p++) {
        if (perm[p] >= size || seen[perm[p]])
            status = EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                               "permutation upload: entry %zu (%u) is %s: not a permutation of "
                               "0 to %zu",
                               p, perm[p], perm[p] >= size ? "out of range" : "repeated",
                               size - 1);
        else
            seen[perm[p]] = 1;
    }
    free(seen);
    if (status == EWCL_OK)
        status = ewcl_buffer_create(rt, size * sizeof(cl_uint), out);
    if (status == EWCL_OK)
        status = ewcl_buffer_write(rt, *out, 0, size * sizeof(cl_uint), perm, true);
    if (status != EWCL_OK) {
        ewcl_buffer_release(*out);
        *out = NULL;
    }
    return status;
}
