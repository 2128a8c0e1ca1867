/* Program sources: the .clh headers of the kernel list, then the program's .cl file, from
 * the bytes embedded at build time or from a kernel directory on disk. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/error_internal.h"
#include "runtime/kernel_source.h"

const ewcl_kernel_file *ewcl_kernel_file_find(const char *file_name)
{
    for (size_t i = 0; i < ewcl_embedded_kernel_file_count; i++)
        if (strcmp(ewcl_embedded_kernel_files[i].name, file_name) == 0)
            return &ewcl_embedded_kernel_files[i];
    return NULL;
}

static bool is_header(const char *file_name)
{
    const size_t n = strlen(file_name);
    return n > 4 && strcmp(file_name + n - 4, ".clh") == 0;
}

/* A growing byte buffer for the concatenated source. */
typedef struct source_buffer {
    char *bytes;
    size_t size, capacity;
} source_buffer;

static bool buffer_append(source_buffer *b, const void *bytes, size_t size)
{
    if (b->size + size + 1 > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 4096;
        while (capacity < b->size + size + 1)
            capacity *= 2;
        char *grown = realloc(b->bytes, capacity);
        if (grown == NULL)
            return false;
        b->bytes = grown;
        b->capacity = capacity;
    }
    memcpy(b->bytes + b->size, bytes, size);
    b->size += size;
    b->bytes[b->size] = '\0';
    return true;
}

static ewcl_status append_disk_file(source_buffer *b, const char *dir, const char *name,
                                    ewcl_error *err)
{
    char path[4096 + 256];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "kernel path too long: %s/%s", dir,
                         name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return EWCL_FAIL(err, EWCL_ERR_IO, "cannot read kernel file %s: %s", path,
                         strerror(errno));
    ewcl_status status = EWCL_OK;
    char chunk[8192];
    size_t n;
    while (status == EWCL_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (!buffer_append(b, chunk, n))
            status = EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory reading %s", path);
    if (status == EWCL_OK && ferror(f))
        status = EWCL_FAIL(err, EWCL_ERR_IO, "error reading kernel file %s", path);
    fclose(f);
    return status;
}

static ewcl_status append_file(source_buffer *b, const char *kernel_dir,
                               const ewcl_kernel_file *file, ewcl_error *err)
{
    if (kernel_dir != NULL && kernel_dir[0] != '\0')
        return append_disk_file(b, kernel_dir, file->name, err);
    if (!buffer_append(b, file->bytes, file->size))
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory assembling %s",
                         file->name);
    return EWCL_OK;
}

ewcl_status ewcl_kernel_source_load(const char *kernel_dir, const char *program_name,
                                    char **out_source, size_t *out_size, ewcl_error *err)
{
    *out_source = NULL;
    *out_size = 0;
    char file_name[256];
    snprintf(file_name, sizeof file_name, "%s.cl", program_name);
    const ewcl_kernel_file *program = ewcl_kernel_file_find(file_name);
    if (program == NULL)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "no kernel program named '%s'",
                         program_name);

    source_buffer b = {0};
    ewcl_status status = EWCL_OK;
    for (size_t i = 0; status == EWCL_OK && i < ewcl_embedded_kernel_file_count; i++) {
        const ewcl_kernel_file *file = &ewcl_embedded_kernel_files[i];
        if (is_header(file->name)) {
            status = append_file(&b, kernel_dir, file, err);
            if (status == EWCL_OK && !buffer_append(&b, "\n", 1))
                status = EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory");
        }
    }
    /* Restart the line count in the program's own name, so that build errors point at
     * lines of cl/<program>.cl rather than of the concatenation. */
    char line_reset[300];
    const int n = snprintf(line_reset, sizeof line_reset, "#line 1 \"%s\"\n", file_name);
    if (status == EWCL_OK && !buffer_append(&b, line_reset, (size_t)n))
        status = EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory");
    if (status == EWCL_OK)
        status = append_file(&b, kernel_dir, program, err);
    if (status != EWCL_OK) {
        free(b.bytes);
        return status;
    }
    *out_source = b.bytes;
    *out_size = b.size;
    return EWCL_OK;
}
