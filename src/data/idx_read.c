/* Reading MNIST-format IDX files through zlib, which takes gzip'd and raw files alike
 * (gzread passes a file without a gzip header through unchanged). Both headers are checked,
 * and the counts compared, before anything sized by them is allocated; then the payloads
 * must fill the declared sizes exactly. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "data/idx_format.h"
#include "ewcl/data.h"
#include "runtime/error_internal.h"

/* gzread takes an unsigned length and answers in an int: read in pieces below INT_MAX. */
#define READ_PIECE ((size_t)1 << 30)
/* The first buffer of a payload; it doubles while the data keeps coming. */
#define FIRST_BUFFER ((size_t)1 << 24)

typedef struct idx_file {
    const char *path;
    gzFile gz;
    size_t dims[EWCL_IDX_IMAGE_RANK];
    size_t bytes; /* the payload the header declares */
} idx_file;

static ewcl_status idx_open(idx_file *f, const char *path, ewcl_error *err)
{
    f->path = path;
    errno = 0;
    f->gz = gzopen(path, "rb");
    if (f->gz == NULL)
        return EWCL_FAIL(err, EWCL_ERR_IO, "%s: cannot open: %s", path,
                         errno != 0 ? strerror(errno) : "out of memory");
    /* zlib's default 8 KiB buffer makes reading MNIST's 47 MB several times slower. */
    gzbuffer(f->gz, 1u << 17);
    return EWCL_OK;
}

static void idx_close(idx_file *f)
{
    if (f->gz != NULL)
        gzclose(f->gz);
    f->gz = NULL;
}

/* zlib prefixes its messages with the path it was given; ours already lead with it. */
static const char *zlib_message(const idx_file *f, int *code)
{
    const char *msg = gzerror(f->gz, code);
    const size_t n = strlen(f->path);
    if (strncmp(msg, f->path, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
        msg += n + 2;
    return msg;
}

/* Why a read stopped short: an I/O error, a damaged or cut gzip stream, or a short file.
 * `where` completes "the file ends …". */
static ewcl_status read_failure(const idx_file *f, const char *where, ewcl_error *err)
{
    const int saved_errno = errno;
    int code = Z_OK;
    const char *msg = zlib_message(f, &code);
    if (code == Z_ERRNO)
        return EWCL_FAIL(err, EWCL_ERR_IO, "%s: read error: %s", f->path, strerror(saved_errno));
    if (code == Z_BUF_ERROR)
        return EWCL_FAIL(err, EWCL_ERR_FORMAT, "%s: truncated gzip stream: it ends %s", f->path,
                         where);
    if (code != Z_OK)
        return EWCL_FAIL(err, EWCL_ERR_FORMAT, "%s: corrupt gzip data: %s", f->path, msg);
    return EWCL_FAIL(err, EWCL_ERR_FORMAT, "%s: truncated: the file ends %s", f->path, where);
}

/* Reads bytes [from, to) of a region of `total` bytes (`what`) into buffer + from. */
static ewcl_status read_range(const idx_file *f, unsigned char *buffer, size_t from, size_t to,
                              size_t total, const char *what, ewcl_error *err)
{
    for (size_t got = from; got < to;) {
        const size_t piece = to - got < READ_PIECE ? to - got : READ_PIECE;
        const int n = gzread(f->gz, buffer + got, (unsigned)piece);
        if (n <= 0) {
            char where[128];
            snprintf(where, sizeof where, "within the %s (%zu of %zu bytes)", what, got, total);
            return read_failure(f, where, err);
        }
        got += (size_t)n;
    }
    return EWCL_OK;
}

static ewcl_status read_exact(const idx_file *f, void *buffer, size_t size, const char *what,
                              ewcl_error *err)
{
    return read_range(f, buffer, 0, size, size, what, err);
}

/* The payload into a new buffer (*out, freed by the caller). The buffer grows with the data
 * that really arrives, so a header that promises more than the file holds costs no more
 * memory than the file does. */
static ewcl_status read_payload(const idx_file *f, uint8_t **out, const char *what,
                                ewcl_error *err)
{
    size_t have = 0, capacity = f->bytes < FIRST_BUFFER ? f->bytes : FIRST_BUFFER;
    for (;;) {
        uint8_t *grown = realloc(*out, capacity);
        if (grown == NULL)
            return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes",
                             f->path, capacity);
        *out = grown;
        const ewcl_status status = read_range(f, *out, have, capacity, f->bytes, what, err);
        if (status != EWCL_OK || capacity == f->bytes)
            return status;
        have = capacity;
        capacity = capacity > f->bytes / 2 ? f->bytes : 2 * capacity;
    }
}

/* The file must end where its header says. Reading past the payload also makes zlib check
 * the gzip trailer (CRC-32 and length), so a damaged stream is caught here too. */
static ewcl_status expect_end(const idx_file *f, ewcl_error *err)
{
    unsigned char extra;
    const int n = gzread(f->gz, &extra, 1);
    if (n > 0)
        return EWCL_FAIL(err, EWCL_ERR_FORMAT,
                         "%s: trailing bytes after the %zu bytes of data its header declares",
                         f->path, f->bytes);
    int code = Z_OK;
    zlib_message(f, &code);
    return code == Z_OK ? EWCL_OK : read_failure(f, "before the gzip trailer", err);
}

static uint32_t big_endian32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

/* Reads and checks a header of `rank` dimensions named by `dim_names`, and the payload's
 * size against EWCL_IDX_MAX_BYTES. `kind` says what the file should hold. */
static ewcl_status read_header(idx_file *f, unsigned rank, const char *const *dim_names,
                               const char *kind, ewcl_error *err)
{
    unsigned char magic[4];
    ewcl_status status = read_exact(f, magic, sizeof magic, "header", err);
    if (status != EWCL_OK)
        return status;
    const uint32_t want = EWCL_IDX_TYPE_UBYTE << 8 | rank;
    if (magic[0] != 0 || magic[1] != 0)
        return EWCL_FAIL(err, EWCL_ERR_FORMAT,
                         "%s: not an IDX file: magic 0x%08x, want 0x%08x for %s", f->path,
                         big_endian32(magic), want, kind);
    if (magic[2] != EWCL_IDX_TYPE_UBYTE)
        return EWCL_FAIL(err, EWCL_ERR_FORMAT,
                         "%s: element type 0x%02x, want 0x%02x (unsigned byte) for %s",
                         f->path, magic[2], EWCL_IDX_TYPE_UBYTE, kind);
    if (magic[3] != rank)
        return EWCL_FAIL(err, EWCL_ERR_FORMAT, "%s: %u dimensions, want %u for %s", f->path,
                         magic[3], rank, kind);

    unsigned char sizes[4 * EWCL_IDX_IMAGE_RANK];
    status = read_exact(f, sizes, 4 * (size_t)rank, "header", err);
    if (status != EWCL_OK)
        return status;
    f->bytes = 1;
    for (unsigned d = 0; d < rank; d++) {
        f->dims[d] = big_endian32(sizes + 4 * d);
        if (f->dims[d] == 0)
            return EWCL_FAIL(err, EWCL_ERR_FORMAT, "%s: the header declares 0 %s", f->path,
                             dim_names[d]);
        if (f->dims[d] > EWCL_IDX_MAX_BYTES / f->bytes)
            return EWCL_FAIL(err, EWCL_ERR_FORMAT,
                             "%s: the header's sizes (%s %zu) declare more than the %zu-byte "
                             "limit of data",
                             f->path, dim_names[d], f->dims[d], EWCL_IDX_MAX_BYTES);
        f->bytes *= f->dims[d];
    }
    return EWCL_OK;
}

/* Opens both files and checks their headers and counts, allocating nothing. */
static ewcl_status read_headers(idx_file *images, idx_file *labels, const char *images_path,
                                const char *labels_path, ewcl_error *err)
{
    static const char *const image_dims[] = {"images", "rows", "columns"};
    static const char *const label_dims[] = {"labels"};
    ewcl_status status = idx_open(images, images_path, err);
    if (status == EWCL_OK)
        status = read_header(images, EWCL_IDX_IMAGE_RANK, image_dims,
                             "an image file (count x rows x columns bytes)", err);
    if (status == EWCL_OK)
        status = idx_open(labels, labels_path, err);
    if (status == EWCL_OK)
        status = read_header(labels, EWCL_IDX_LABEL_RANK, label_dims, "a label file (count bytes)",
                             err);
    if (status == EWCL_OK && images->dims[0] != labels->dims[0])
        status = EWCL_FAIL(err, EWCL_ERR_FORMAT, "%s has %zu labels but %s has %zu images",
                           labels_path, labels->dims[0], images_path, images->dims[0]);
    return status;
}

static ewcl_status check_labels(const ewcl_idx_set *set, const char *labels_path,
                                ewcl_error *err)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->labels[i] >= set->classes)
            return EWCL_FAIL(err, EWCL_ERR_FORMAT,
                             "%s: label %u of item %zu is not below the class count %zu",
                             labels_path, set->labels[i], i, set->classes);
    return EWCL_OK;
}

ewcl_status ewcl_idx_load(const char *images_path, const char *labels_path, size_t classes,
                          ewcl_idx_set *out, ewcl_error *err)
{
    if (out == NULL || images_path == NULL || labels_path == NULL)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "ewcl_idx_load: NULL argument");
    memset(out, 0, sizeof *out);
    if (classes < 1 || classes > EWCL_IDX_MAX_CLASSES)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "ewcl_idx_load: %zu classes, want 1 to %u", classes,
                         EWCL_IDX_MAX_CLASSES);

    idx_file images = {0}, labels = {0};
    ewcl_status status = read_headers(&images, &labels, images_path, labels_path, err);
    if (status == EWCL_OK) {
        out->count = images.dims[0];
        out->rows = images.dims[1];
        out->cols = images.dims[2];
        out->classes = classes;
        status = read_payload(&images, &out->images, "pixels", err);
    }
    if (status == EWCL_OK)
        status = expect_end(&images, err);
    if (status == EWCL_OK)
        status = read_payload(&labels, &out->labels, "labels", err);
    if (status == EWCL_OK)
        status = expect_end(&labels, err);
    if (status == EWCL_OK)
        status = check_labels(out, labels_path, err);
    idx_close(&images);
    idx_close(&labels);
    if (status != EWCL_OK)
        ewcl_idx_free(out);
    return status;
}

void ewcl_idx_free(ewcl_idx_set *set)
{
    if (set == NULL)
        return;
    free(set->images);
    free(set->labels);
    memset(set, 0, sizeof *set);
}
