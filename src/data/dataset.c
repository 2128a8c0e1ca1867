/* A dataset resident on the device: its images as bytes and its labels. Batches are
 * gathered from it by dataset_gather.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset_internal.h"
#include "data/idx_format.h"
#include "ops/buffer.h"
#include "runtime/error_internal.h"

/* Wider padding than this is surely a mistake (2 turns 28×28 into 32×32). */
#define MAX_PAD 64

void ewcl_dataset_options_default(ewcl_dataset_options *options)
{
    options->pad = 2;
    options->mean = 0.0;
    options->std = 1.0;
}

static ewcl_status check_args(ewcl_runtime *rt, const ewcl_idx_set *set,
                              const ewcl_dataset_options *o)
{
    if (set == NULL || o == NULL || set->images == NULL || set->labels == NULL)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT, "dataset: NULL argument");
    if (set->count == 0 || set->rows == 0 || set->cols == 0 || set->classes == 0 ||
        set->classes > EWCL_IDX_MAX_CLASSES)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "dataset: empty or malformed set (%zu images of %zux%zu, %zu classes)",
                         set->count, set->rows, set->cols, set->classes);
    if (o->pad > MAX_PAD)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "dataset: padding %zu above %d pixels", o->pad, MAX_PAD);
    if (!isfinite(o->mean) || !isfinite(o->std) || !(o->std > 0.0))
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "dataset: normalisation needs a finite mean and std > 0 (%g, %g)",
                         o->mean, o->std);
    /* The kernels' index arithmetic is 32-bit: the images with a byte after each, and the
     * padded image, must stay below 2^32. */
    if (set->rows > EWCL_IDX_MAX_BYTES / set->cols ||
        set->count > EWCL_IDX_MAX_BYTES / (set->rows * set->cols) ||
        (uint64_t)(set->rows + 2 * o->pad) * (set->cols + 2 * o->pad) > UINT32_MAX)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                         "dataset: %zu images of %zux%zu (padded by %zu) exceed the gather's "
                         "32-bit indexing",
                         set->count, set->rows, set->cols, o->pad);
    for (size_t i = 0; i < set->count; i++)
        if (set->labels[i] >= set->classes)
            return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT,
                             "dataset: label %u of image %zu is not below %zu classes",
                             set->labels[i], i, set->classes);
    return EWCL_OK;
}

/* The images `stride` bytes apart, each followed by a 0 byte that padding reads (see
 * cl/data.cl), laid out in the buffer mapped for writing: no second copy of the set on the
 * host, and one write of the whole buffer, which tools that track initialised memory
 * (Oclgrind) need. */
static ewcl_status upload_images(ewcl_runtime *rt, const ewcl_idx_set *set, size_t stride,
                                 cl_mem *out)
{
    const size_t pixels = set->rows * set->cols, bytes = set->count * stride;
    if (bytes > rt->device.max_alloc_bytes)
        return EWCL_FAIL(&rt->error, EWCL_ERR_OUT_OF_MEMORY,
                         "dataset: %zu bytes of images exceed the largest allocation of '%s' "
                         "(%llu)",
                         bytes, rt->device.name, (unsigned long long)rt->device.max_alloc_bytes);
    ewcl_status status = ewcl_buffer_create(rt, bytes, out);
    if (status != EWCL_OK)
        return status;
    cl_int rc = CL_SUCCESS;
    uint8_t *mapped = clEnqueueMapBuffer(rt->queue, *out, CL_TRUE, CL_MAP_WRITE_INVALIDATE_REGION,
                                         0, bytes, 0, NULL, NULL, &rc);
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(&rt->error, rc, "dataset: mapping %zu bytes of images", bytes);
    for (size_t i = 0; i < set->count; i++) {
        memcpy(mapped + i * stride, set->images + i * pixels, pixels);
        mapped[i * stride + pixels] = 0;
    }
    /* The set is copied already: the caller may free it as soon as creation returns. */
    rc = clEnqueueUnmapMemObject(rt->queue, *out, mapped, 0, NULL, NULL);
    if (rc != CL_SUCCESS)
        return EWCL_FAIL_CL(&rt->error, rc, "dataset: writing %zu images to the device",
                            set->count);
    return EWCL_OK;
}

/* Only kernels write the offsets, but Oclgrind tracks which device bytes are defined by
 * host writes alone (not fills), and without one it flags the buffer's reads. */
static ewcl_status clear_from_host(ewcl_runtime *rt, cl_mem buffer, size_t bytes)
{
    void *zeros = calloc(bytes, 1);
    if (zeros == NULL)
        return EWCL_FAIL(&rt->error, EWCL_ERR_OUT_OF_MEMORY, "dataset: %zu bytes", bytes);
    const ewcl_status status = ewcl_buffer_write(rt, buffer, 0, bytes, zeros, true);
    free(zeros);
    return status;
}

ewcl_status ewcl_dataset_create(ewcl_runtime *rt, const ewcl_idx_set *set,
                                const ewcl_dataset_options *options, ewcl_dataset **out)
{
    if (rt == NULL)
        return EWCL_ERR_INVALID_ARGUMENT;
    if (out == NULL)
        return EWCL_FAIL(&rt->error, EWCL_ERR_INVALID_ARGUMENT, "dataset: NULL output");
    *out = NULL;
    ewcl_status status = check_args(rt, set, options);
    if (status != EWCL_OK)
        return status;
    ewcl_dataset *ds = calloc(1, sizeof *ds);
    if (ds == NULL)
        return EWCL_FAIL(&rt->error, EWCL_ERR_OUT_OF_MEMORY, "dataset: out of memory");
    ds->rt = rt;
    ds->count = set->count;
    ds->rows = set->rows;
    ds->cols = set->cols;
    ds->classes = set->classes;
    ds->pad = options->pad;
    ds->input_size = (set->rows + 2 * options->pad) * (set->cols + 2 * options->pad);
    ds->stride = (cl_uint)(set->rows * set->cols + 1);
    ds->scale = (cl_float)(1.0 / (255.0 * options->std));
    ds->shift = (cl_float)(-options->mean / options->std);
    status = upload_images(rt, set, ds->stride, &ds->images);
    if (status == EWCL_OK)
        status = ewcl_buffer_create(rt, set->count, &ds->labels);
    if (status == EWCL_OK)
        status = ewcl_buffer_write(rt, ds->labels, 0, set->count, set->labels, true);
    if (status == EWCL_OK)
        status = ewcl_buffer_create(rt, ds->input_size * sizeof(cl_uint), &ds->offsets);
    if (status == EWCL_OK)
        status = clear_from_host(rt, ds->offsets, ds->input_size * sizeof(cl_uint));
    if (status != EWCL_OK) {
        ewcl_dataset_destroy(ds);
        return status;
    }
    *out = ds;
    return EWCL_OK;
}

void ewcl_dataset_destroy(ewcl_dataset *ds)
{
    if (ds == NULL)
        return;
    for (size_t i = 0; i < EWCL_DATASET_STAGING_SLOTS; i++) {
        ewcl_index_staging *slot = &ds->staging[i];
        if (slot->written != NULL) {
            clWaitForEvents(1, &slot->written);
            clReleaseEvent(slot->written);
        }
        free(slot->host);
    }
    ewcl_buffer_release(ds->images);
    ewcl_buffer_release(ds->labels);
    ewcl_buffer_release(ds->offsets);
    ewcl_buffer_release(ds->indices);
    free(ds);
}

size_t ewcl_dataset_count(const ewcl_dataset *ds)
{
    return ds->count;
}

size_t ewcl_dataset_input_size(const ewcl_dataset *ds)
{
    return ds->input_size;
}

size_t ewcl_dataset_classes(const ewcl_dataset *ds)
{
    return ds->classes;
}
