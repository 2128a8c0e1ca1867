/* Synthetic MNIST-format sets, for tests and for trying ewcl without real data. Each class
 * has a shape of its own — a bright disc at its place on a ring around the centre and a
 * faint line through the centre at its own angle — so that a network can learn the classes,
 * and every image jitters, dims and noises its class's shape, so that it has to. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "data/idx_format.h"
#include "ewcl/data.h"
#include "runtime/error_internal.h"
#include "runtime/rng.h"

#define PI 3.14159265358979323846

typedef struct class_shape {
    double disc_y, disc_x, disc_radius2; /* the disc */
    double centre_y, centre_x;           /* the line passes through here … */
    double line_cos, line_sin;           /* … at this angle */
} class_shape;

static class_shape make_shape(size_t c, size_t classes, size_t rows, size_t cols)
{
    const double small = (double)(rows < cols ? rows : cols);
    const double ring = 0.28 * small, radius = fmax(1.0, 0.2 * small);
    const double around = 2.0 * PI * (double)c / (double)classes;
    const double tilt = PI * (double)c / (double)classes;
    class_shape s;
    s.centre_y = 0.5 * (double)(rows - 1);
    s.centre_x = 0.5 * (double)(cols - 1);
    s.disc_y = s.centre_y + ring * sin(around);
    s.disc_x = s.centre_x + ring * cos(around);
    s.disc_radius2 = radius * radius;
    s.line_cos = cos(tilt);
    s.line_sin = sin(tilt);
    return s;
}

/* Brightness of the shape at (y, x), 0 … 1.35 before clamping. */
static double shape_at(const class_shape *s, double y, double x)
{
    const double dy = y - s->disc_y, dx = x - s->disc_x;
    const double disc = fmax(0.0, 1.0 - (dy * dy + dx * dx) / s->disc_radius2);
    const double off_line = fabs((y - s->centre_y) * s->line_cos - (x - s->centre_x) * s->line_sin);
    return disc + (off_line < 0.75 ? 0.35 : 0.0);
}

/* One image of `shape`: shifted by up to a pixel each way, dimmed to 60–100 %, plus noise
 * of ±0.1 (so about half the background is 0, as in MNIST). */
static void draw_image(const class_shape *shape, size_t rows, size_t cols, ewcl_rng *rng,
                       uint8_t *out)
{
    const double shift_y = (double)ewcl_rng_below(rng, 3) - 1.0;
    const double shift_x = (double)ewcl_rng_below(rng, 3) - 1.0;
    const double brightness = 0.6 + 0.4 * ewcl_rng_uniform(rng);
    for (size_t y = 0; y < rows; y++)
        for (size_t x = 0; x < cols; x++) {
            const double noise = 0.2 * (ewcl_rng_uniform(rng) - 0.5);
            const double v =
                brightness * shape_at(shape, (double)y - shift_y, (double)x - shift_x) + noise;
            out[y * cols + x] = (uint8_t)lround(255.0 * fmin(1.0, fmax(0.0, v)));
        }
}

typedef struct sink {
    char path[EWCL_PATH_MAX + 64];
    gzFile gz;
} sink;

static ewcl_status sink_open(sink *s, const char *dir, const char *name, bool gzip,
                             ewcl_error *err)
{
    s->gz = NULL;
    const int n = snprintf(s->path, sizeof s->path, "%s/%s%s", dir, name, gzip ? ".gz" : "");
    if (n < 0 || (size_t)n >= sizeof s->path)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "directory '%s': path too long", dir);
    errno = 0;
    /* "T" writes the bytes as they are, so one code path serves both forms. */
    s->gz = gzopen(s->path, gzip ? "wb6" : "wbT");
    if (s->gz == NULL)
        return EWCL_FAIL(err, EWCL_ERR_IO, "%s: cannot create: %s", s->path,
                         errno != 0 ? strerror(errno) : "out of memory");
    return EWCL_OK;
}

/* gzwrite takes an unsigned length and answers in an int: write in pieces below INT_MAX. */
#define WRITE_PIECE ((size_t)1 << 30)

static ewcl_status sink_write(sink *s, const void *bytes, size_t size, ewcl_error *err)
{
    const unsigned char *at = bytes;
    for (size_t done = 0; done < size;) {
        const size_t piece = size - done < WRITE_PIECE ? size - done : WRITE_PIECE;
        errno = 0;
        if (gzwrite(s->gz, at + done, (unsigned)piece) != (int)piece) {
            int code = Z_OK;
            const char *msg = gzerror(s->gz, &code);
            return EWCL_FAIL(err, EWCL_ERR_IO, "%s: write error: %s", s->path,
                             code == Z_ERRNO && errno != 0 ? strerror(errno) : msg);
        }
        done += piece;
    }
    return EWCL_OK;
}

/* Closes (flushing what zlib holds); a failure here is a failed write too. */
static ewcl_status sink_close(sink *s, ewcl_status status, ewcl_error *err)
{
    if (s->gz == NULL)
        return status;
    const int rc = gzclose(s->gz);
    s->gz = NULL;
    if (status == EWCL_OK && rc != Z_OK)
        return EWCL_FAIL(err, EWCL_ERR_IO, "%s: write error on close", s->path);
    return status;
}

static ewcl_status write_header(sink *s, unsigned rank, const size_t *dims, ewcl_error *err)
{
    unsigned char head[4 + 4 * EWCL_IDX_IMAGE_RANK] = {0, 0, EWCL_IDX_TYPE_UBYTE,
                                                        (unsigned char)rank};
    for (unsigned d = 0; d < rank; d++)
        for (unsigned b = 0; b < 4; b++)
            head[4 + 4 * d + b] = (unsigned char)(dims[d] >> (24 - 8 * b));
    return sink_write(s, head, 4 + 4 * (size_t)rank, err);
}

/* Writes one set (images then labels) drawn from `seed`. */
static ewcl_status write_set(const char *dir, const char *images_name, const char *labels_name,
                             size_t count, size_t rows, size_t cols, size_t classes,
                             uint64_t seed, bool gzip, ewcl_error *err)
{
    ewcl_rng rng;
    ewcl_rng_seed(&rng, seed);
    uint8_t *labels = malloc(count);
    uint8_t *image = malloc(rows * cols);
    class_shape *shapes = malloc(classes * sizeof *shapes);
    sink images = {.gz = NULL}, label_file = {.gz = NULL};
    ewcl_status status = EWCL_OK;
    if (labels == NULL || image == NULL || shapes == NULL)
        status = EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "synthetic set: out of memory");
    for (size_t c = 0; status == EWCL_OK && c < classes; c++)
        shapes[c] = make_shape(c, classes, rows, cols);

    const size_t image_dims[] = {count, rows, cols};
    if (status == EWCL_OK)
        status = sink_open(&images, dir, images_name, gzip, err);
    if (status == EWCL_OK)
        status = write_header(&images, EWCL_IDX_IMAGE_RANK, image_dims, err);
    for (size_t i = 0; status == EWCL_OK && i < count; i++) {
        labels[i] = (uint8_t)ewcl_rng_below(&rng, classes);
        draw_image(&shapes[labels[i]], rows, cols, &rng, image);
        status = sink_write(&images, image, rows * cols, err);
    }
    status = sink_close(&images, status, err);

    if (status == EWCL_OK)
        status = sink_open(&label_file, dir, labels_name, gzip, err);
    if (status == EWCL_OK)
        status = write_header(&label_file, EWCL_IDX_LABEL_RANK, &count, err);
    if (status == EWCL_OK)
        status = sink_write(&label_file, labels, count, err);
    status = sink_close(&label_file, status, err);
    free(labels);
    free(image);
    free(shapes);
    return status;
}

static ewcl_status check_sizes(size_t train_count, size_t test_count, size_t rows, size_t cols,
                               size_t classes, ewcl_error *err)
{
    if (classes < 1 || classes > EWCL_IDX_MAX_CLASSES)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "synthetic set: %zu classes, want 1 to %u", classes,
                         EWCL_IDX_MAX_CLASSES);
    if (train_count == 0 || test_count == 0 || rows == 0 || cols == 0)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "synthetic set: counts and sizes must be at least 1 (train %zu, test "
                         "%zu, %zux%zu)",
                         train_count, test_count, rows, cols);
    const size_t most = train_count > test_count ? train_count : test_count;
    if (rows > EWCL_IDX_MAX_BYTES / cols || most > EWCL_IDX_MAX_BYTES / (rows * cols))
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "synthetic set: %zu images of %zux%zu exceed the %zu-byte limit", most,
                         rows, cols, EWCL_IDX_MAX_BYTES);
    return EWCL_OK;
}

ewcl_status ewcl_idx_write_synthetic(const char *dir, size_t train_count, size_t test_count,
                                     size_t rows, size_t cols, size_t classes, uint64_t seed,
                                     bool gzip, ewcl_error *err)
{
    if (dir == NULL)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "synthetic set: NULL directory");
    ewcl_status status = check_sizes(train_count, test_count, rows, cols, classes, err);
    if (status != EWCL_OK)
        return status;
    /* One stream per set, so that the test set does not depend on the training set's size. */
    ewcl_rng rng;
    ewcl_rng_seed(&rng, seed);
    const uint64_t train_seed = ewcl_rng_next(&rng), test_seed = ewcl_rng_next(&rng);
    status = write_set(dir, EWCL_IDX_TRAIN_IMAGES, EWCL_IDX_TRAIN_LABELS, train_count, rows,
                       cols, classes, train_seed, gzip, err);
    if (status == EWCL_OK)
        status = write_set(dir, EWCL_IDX_TEST_IMAGES, EWCL_IDX_TEST_LABELS, test_count, rows,
                           cols, classes, test_seed, gzip, err);
    return status;
}
