/* IDX files: the synthetic generator's sets (raw and gzip'd) load back as written; the real
 * Fashion-MNIST files, where installed, have their known shape; every defect of a file is
 * refused with the right status and a one-line message naming the file; and the data
 * directory is found from flag, environment value or the Debian package, else an error
 * that says how to get data. Defective files are made here by editing a valid file's bytes
 * at the offsets the IDX format fixes (header: 4 magic bytes, then a big-endian 32-bit size
 * per dimension; images 16 bytes, labels 8). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "data/data_dir.h"
#include "ewcl/data.h"
#include "harness.h"

/* The small set the defect tests edit: raw files, 6 + 4 images of 5×4, 10 classes. */
#define ROWS 5
#define COLS 4
#define TRAIN 6
#define IMAGE_HEADER 16
#define LABEL_HEADER 8

static char dir[4096];

/* A fresh directory holding the small set, raw. */
static void make_small_set(void)
{
    snprintf(dir, sizeof dir, "%s", ewcl_test_make_temp_dir("idx"));
    ewcl_error err;
    ck_assert_msg(ewcl_idx_write_synthetic(dir, TRAIN, 4, ROWS, COLS, 10, 11, false, &err) ==
                      EWCL_OK,
                  "%s", err.message);
}

static void remove_small_set(void)
{
    ewcl_test_remove_tree(dir);
}

/* dir/name into a static buffer of its own per slot (two paths are often needed at once). */
static const char *in_dir(const char *name, int slot)
{
    static char paths[2][4200];
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", dir, name);
    return paths[slot];
}

static unsigned char *read_bytes(const char *path, size_t *size)
{
    unsigned char *bytes = (unsigned char *)ewcl_test_read_file(path, size);
    ck_assert_msg(bytes != NULL, "cannot read %s", path);
    return bytes;
}

static void write_bytes(const char *path, const void *bytes, size_t size)
{
    ck_assert_int_eq(ewcl_test_write_file(path, bytes, size), 0);
}

static void write_gzip(const char *path, const void *bytes, size_t size)
{
    gzFile gz = gzopen(path, "wb");
    ck_assert_ptr_nonnull(gz);
    ck_assert_int_eq(gzwrite(gz, bytes, (unsigned)size), (int)size);
    ck_assert_int_eq(gzclose(gz), Z_OK);
}

static void put_be32(unsigned char *at, uint32_t v)
{
    at[0] = (unsigned char)(v >> 24);
    at[1] = (unsigned char)(v >> 16);
    at[2] = (unsigned char)(v >> 8);
    at[3] = (unsigned char)v;
}

/* Loads and expects failure with `want`, a message naming `path` and containing `needle`,
 * on one line, and an empty set. */
static void expect_refused(const char *images, const char *labels, size_t classes,
                           ewcl_status want, const char *path, const char *needle)
{
    ewcl_idx_set set;
    ewcl_error err;
    ewcl_error_clear(&err);
    const ewcl_status got = ewcl_idx_load(images, labels, classes, &set, &err);
    ck_assert_msg(got == want, "%s: got %s (%s), want %s", needle, ewcl_status_name(got),
                  err.message, ewcl_status_name(want));
    ck_assert_msg(strstr(err.message, path) != NULL, "message does not name %s: %s", path,
                  err.message);
    ck_assert_msg(strstr(err.message, needle) != NULL, "message lacks '%s': %s", needle,
                  err.message);
    ck_assert_msg(strchr(err.message, '\n') == NULL, "message is not one line: %s",
                  err.message);
    ck_assert_ptr_null(set.images);
    ck_assert_ptr_null(set.labels);
    ck_assert_uint_eq(set.count, 0);
}

/* Writes the training images with byte `at` set to `value` as name; returns its path. */
static const char *edited_images(const char *name, size_t at, unsigned char value)
{
    size_t size = 0;
    unsigned char *bytes = read_bytes(in_dir(EWCL_IDX_TRAIN_IMAGES, 0), &size);
    ck_assert_uint_lt(at, size);
    bytes[at] = value;
    write_bytes(in_dir(name, 0), bytes, size);
    free(bytes);
    return in_dir(name, 0);
}

/* ---- Valid sets ------------------------------------------------------------------------- */

static void check_set(const ewcl_idx_set *set, size_t count, size_t rows, size_t cols,
                      size_t classes)
{
    ck_assert_uint_eq(set->count, count);
    ck_assert_uint_eq(set->rows, rows);
    ck_assert_uint_eq(set->cols, cols);
    ck_assert_uint_eq(set->classes, classes);
    ck_assert_ptr_nonnull(set->images);
    ck_assert_ptr_nonnull(set->labels);
    for (size_t i = 0; i < count; i++)
        ck_assert_uint_lt(set->labels[i], classes);
}

START_TEST(synthetic_raw_and_gzip_load_the_same)
{
    char raw[4096], gz[4096];
    snprintf(raw, sizeof raw, "%s", ewcl_test_make_temp_dir("idx-raw"));
    snprintf(gz, sizeof gz, "%s", ewcl_test_make_temp_dir("idx-gz"));
    ewcl_error err;
    ck_assert_msg(ewcl_idx_write_synthetic(raw, 300, 70, 28, 28, 10, 5, false, &err) == EWCL_OK,
                  "%s", err.message);
    ck_assert_msg(ewcl_idx_write_synthetic(gz, 300, 70, 28, 28, 10, 5, true, &err) == EWCL_OK,
                  "%s", err.message);

    /* The files have the standard names, gzip'd or raw as asked. */
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.gz", gz, EWCL_IDX_TEST_LABELS);
    size_t size = 0;
    unsigned char *bytes = read_bytes(path, &size);
    ck_assert_msg(bytes[0] == 0x1f && bytes[1] == 0x8b, "%s is not gzip'd", path);
    free(bytes);
    snprintf(path, sizeof path, "%s/%s", raw, EWCL_IDX_TRAIN_IMAGES);
    bytes = read_bytes(path, &size);
    ck_assert_uint_eq(size, IMAGE_HEADER + 300 * 28 * 28);
    ck_assert_int_eq(memcmp(bytes, "\x00\x00\x08\x03\x00\x00\x01\x2c\x00\x00\x00\x1c", 12), 0);
    free(bytes);

    ewcl_idx_data a, b;
    ck_assert_msg(ewcl_idx_load_dir(raw, 10, &a, &err) == EWCL_OK, "%s", err.message);
    ck_assert_msg(ewcl_idx_load_dir(gz, 10, &b, &err) == EWCL_OK, "%s", err.message);
    check_set(&a.train, 300, 28, 28, 10);
    check_set(&a.test, 70, 28, 28, 10);
    check_set(&b.train, 300, 28, 28, 10);
    ck_assert_int_eq(memcmp(a.train.images, b.train.images, 300 * 28 * 28), 0);
    ck_assert_int_eq(memcmp(a.train.labels, b.train.labels, 300), 0);
    ck_assert_int_eq(memcmp(a.test.images, b.test.images, 70 * 28 * 28), 0);
    ck_assert_int_eq(memcmp(a.test.labels, b.test.labels, 70), 0);
    /* Every class occurs: the labels are not stuck. */
    int seen[10] = {0};
    for (size_t i = 0; i < 300; i++)
        seen[a.train.labels[i]] = 1;
    for (int c = 0; c < 10; c++)
        ck_assert_msg(seen[c], "class %d never drawn", c);
    ewcl_idx_data_free(&a);
    ewcl_idx_data_free(&b);
    ewcl_idx_data_free(&b); /* freeing twice, or an empty set, does nothing */
    ewcl_idx_data_free(NULL);
    ewcl_idx_free(NULL);
    ewcl_test_remove_tree(raw);
    ewcl_test_remove_tree(gz);
}
END_TEST

/* Same seed, same bytes; another seed, other bytes; odd shapes and class counts work. */
START_TEST(synthetic_is_seeded)
{
    char one[4096], two[4096];
    snprintf(one, sizeof one, "%s", ewcl_test_make_temp_dir("idx-seed"));
    snprintf(two, sizeof two, "%s", ewcl_test_make_temp_dir("idx-seed"));
    ewcl_error err;
    ewcl_idx_data a, b;
    ck_assert(ewcl_idx_write_synthetic(one, 40, 9, 7, 13, 3, 42, false, &err) == EWCL_OK);
    ck_assert(ewcl_idx_write_synthetic(two, 40, 9, 7, 13, 3, 42, true, &err) == EWCL_OK);
    ck_assert(ewcl_idx_load_dir(one, 3, &a, &err) == EWCL_OK);
    ck_assert(ewcl_idx_load_dir(two, 3, &b, &err) == EWCL_OK);
    check_set(&a.train, 40, 7, 13, 3);
    ck_assert_int_eq(memcmp(a.train.images, b.train.images, 40 * 7 * 13), 0);
    ck_assert_int_eq(memcmp(a.test.images, b.test.images, 9 * 7 * 13), 0);
    ewcl_idx_data_free(&b);
    /* A bigger training set leaves the test set as it was. */
    ck_assert(ewcl_idx_write_synthetic(two, 41, 9, 7, 13, 3, 42, true, &err) == EWCL_OK);
    ck_assert(ewcl_idx_load_dir(two, 3, &b, &err) == EWCL_OK);
    ck_assert_int_eq(memcmp(a.test.images, b.test.images, 9 * 7 * 13), 0);
    ck_assert_int_eq(memcmp(a.train.images, b.train.images, 40 * 7 * 13), 0);
    ewcl_idx_data_free(&b);
    ck_assert(ewcl_idx_write_synthetic(two, 40, 9, 7, 13, 3, 43, false, &err) == EWCL_OK);
    ck_assert(ewcl_idx_load_dir(two, 3, &b, &err) == EWCL_OK);
    ck_assert_int_ne(memcmp(a.train.images, b.train.images, 40 * 7 * 13), 0);
    ewcl_idx_data_free(&a);
    ewcl_idx_data_free(&b);
    ewcl_test_remove_tree(one);
    ewcl_test_remove_tree(two);
    snprintf(one, sizeof one, "%s", ewcl_test_make_temp_dir("idx-tiny"));
    ck_assert(ewcl_idx_write_synthetic(one, 2, 1, 1, 1, 1, 0, true, &err) == EWCL_OK);
    ck_assert_msg(ewcl_idx_load_dir(one, 1, &a, &err) == EWCL_OK, "%s", err.message);
    check_set(&a.test, 1, 1, 1, 1);
    ewcl_idx_data_free(&a);
    ewcl_test_remove_tree(one);
}
END_TEST

/* Learnable: classifying each test image by its nearest training class mean is right
 * nearly always, so a network has something to learn (and a dumb rule already does well). */
START_TEST(synthetic_is_learnable)
{
    enum { classes = 10, pixels = 28 * 28 };
    char here[4096];
    snprintf(here, sizeof here, "%s", ewcl_test_make_temp_dir("idx-learn"));
    ewcl_error err;
    ewcl_idx_data d;
    ck_assert(ewcl_idx_write_synthetic(here, 2000, 500, 28, 28, classes, 3, true, &err) ==
              EWCL_OK);
    ck_assert(ewcl_idx_load_dir(here, classes, &d, &err) == EWCL_OK);
    static double mean[classes][pixels];
    size_t members[classes] = {0};
    memset(mean, 0, sizeof mean);
    for (size_t i = 0; i < d.train.count; i++) {
        members[d.train.labels[i]]++;
        for (size_t p = 0; p < pixels; p++)
            mean[d.train.labels[i]][p] += d.train.images[i * pixels + p];
    }
    for (int c = 0; c < classes; c++)
        for (size_t p = 0; p < pixels; p++)
            mean[c][p] /= (double)(members[c] > 0 ? members[c] : 1);
    size_t correct = 0;
    for (size_t i = 0; i < d.test.count; i++) {
        int best = 0;
        double best_distance = 0.0;
        for (int c = 0; c < classes; c++) {
            double distance = 0.0;
            for (size_t p = 0; p < pixels; p++) {
                const double diff = d.test.images[i * pixels + p] - mean[c][p];
                distance += diff * diff;
            }
            if (c == 0 || distance < best_distance) {
                best = c;
                best_distance = distance;
            }
        }
        correct += best == d.test.labels[i];
    }
    ck_assert_msg(correct >= 0.9 * (double)d.test.count, "nearest class mean: %zu of %zu",
                  correct, d.test.count);
    /* …but not trivially: the images of a class differ. */
    ck_assert_int_ne(memcmp(d.train.images, d.train.images + pixels, pixels), 0);
    ewcl_idx_data_free(&d);
    ewcl_test_remove_tree(here);
}
END_TEST

/* The Debian package's Fashion-MNIST, where installed. */
START_TEST(fashion_mnist_when_installed)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.gz", EWCL_DATA_DIR_DEFAULT, EWCL_IDX_TRAIN_IMAGES);
    FILE *probe = fopen(path, "rb");
    snprintf(path, sizeof path, "%s/%s", EWCL_DATA_DIR_DEFAULT, EWCL_IDX_TRAIN_IMAGES);
    if (probe == NULL)
        probe = fopen(path, "rb");
    if (probe == NULL) {
        fprintf(stderr, "note: %s not installed; real-data check skipped\n",
                EWCL_DATA_DIR_DEFAULT);
        return;
    }
    fclose(probe);
    ewcl_error err;
    ewcl_idx_data d;
    ck_assert_msg(ewcl_idx_load_dir(EWCL_DATA_DIR_DEFAULT, 10, &d, &err) == EWCL_OK, "%s",
                  err.message);
    check_set(&d.train, 60000, 28, 28, 10);
    check_set(&d.test, 10000, 28, 28, 10);
    /* Balanced classes, 6000 and 1000 each. */
    size_t per_class[10] = {0};
    for (size_t i = 0; i < d.train.count; i++)
        per_class[d.train.labels[i]]++;
    for (int c = 0; c < 10; c++)
        ck_assert_uint_eq(per_class[c], 6000);
    double mean = 0, std = 0;
    ewcl_idx_pixel_stats(&d.train, &mean, &std);
    ck_assert_msg(mean > 0.2855 && mean < 0.2865 && std > 0.3525 && std < 0.3535,
                  "Fashion-MNIST statistics %.4f, %.4f, known 0.2860, 0.3530", mean, std);
    ewcl_idx_data_free(&d);
}
END_TEST

/* ---- Defects ----------------------------------------------------------------------------- */

START_TEST(missing_file_is_io)
{
    expect_refused(in_dir("no-such-file", 0), in_dir(EWCL_IDX_TRAIN_LABELS, 1), 10, EWCL_ERR_IO,
                   in_dir("no-such-file", 0), "cannot open");
    expect_refused(in_dir(EWCL_IDX_TRAIN_IMAGES, 0), in_dir("no-labels", 1), 10, EWCL_ERR_IO,
                   in_dir("no-labels", 1), "cannot open");
    /* A directory where a file should be: opened, but unreadable. */
    expect_refused(dir, in_dir(EWCL_IDX_TRAIN_LABELS, 1), 10, EWCL_ERR_IO, dir, "read error");
}
END_TEST

START_TEST(truncated_files)
{
    size_t size = 0;
    unsigned char *bytes = read_bytes(in_dir(EWCL_IDX_TRAIN_IMAGES, 0), &size);
    const char *cut = in_dir("cut", 1);
    write_bytes(cut, bytes, size - 1); /* one pixel short */
    expect_refused(cut, in_dir(EWCL_IDX_TRAIN_LABELS, 0), 10, EWCL_ERR_FORMAT, cut,
                   "truncated");
    write_bytes(cut, bytes, 10); /* within the sizes */
    expect_refused(cut, in_dir(EWCL_IDX_TRAIN_LABELS, 0), 10, EWCL_ERR_FORMAT, cut,
                   "within the header");
    write_bytes(cut, bytes, 2); /* within the magic */
    expect_refused(cut, in_dir(EWCL_IDX_TRAIN_LABELS, 0), 10, EWCL_ERR_FORMAT, cut,
                   "truncated");
    write_bytes(cut, bytes, 0); /* empty */
    expect_refused(cut, in_dir(EWCL_IDX_TRAIN_LABELS, 0), 10, EWCL_ERR_FORMAT, cut,
                   "truncated");
    free(bytes);
    bytes = read_bytes(in_dir(EWCL_IDX_TRAIN_LABELS, 0), &size);
    write_bytes(cut, bytes, size - 1);
    expect_refused(in_dir(EWCL_IDX_TRAIN_IMAGES, 0), cut, 10, EWCL_ERR_FORMAT, cut,
                   "truncated");
    free(bytes);
}
END_TEST

START_TEST(wrong_magic_type_or_rank)
{
    const char *labels = in_dir(EWCL_IDX_TRAIN_LABELS, 1);
    const char *p = edited_images("magic", 0, 0x12);
    expect_refused(p, labels, 10, EWCL_ERR_FORMAT, p, "not an IDX file: magic 0x12000803");
    p = edited_images("float", 2, 0x0d);
    expect_refused(p, labels, 10, EWCL_ERR_FORMAT, p, "element type 0x0d");
    p = edited_images("rank", 3, 4);
    expect_refused(p, labels, 10, EWCL_ERR_FORMAT, p, "4 dimensions, want 3");
    /* The files swapped: each has the other's rank. */
    expect_refused(labels, in_dir(EWCL_IDX_TRAIN_IMAGES, 0), 10, EWCL_ERR_FORMAT, labels,
                   "1 dimensions, want 3");
}
END_TEST

/* Sizes that are zero or whose product is absurd are refused from the header alone (the
 * files are tiny, so an allocation of the declared size would show as a crash or OOM). */
START_TEST(absurd_dimensions)
{
    size_t size = 0;
    unsigned char *bytes = read_bytes(in_dir(EWCL_IDX_TRAIN_IMAGES, 0), &size);
    const char *labels = in_dir(EWCL_IDX_TRAIN_LABELS, 1);
    const char *p = in_dir("absurd", 0);
    static const struct {
        uint32_t count, rows, cols;
        const char *needle;
    } cases[] = {
        {0x80000000u, 28, 28, "limit"},      {0x80000000u, 1, 1, "limit"},
        {0xffffffffu, 0xffffffffu, 0xffffffffu, "limit"}, {1, 0x10000u, 0x8001u, "limit"},
        {TRAIN, 0, COLS, "declares 0 rows"}, {TRAIN, ROWS, 0, "declares 0 columns"},
        {0, ROWS, COLS, "declares 0 images"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        put_be32(bytes + 4, cases[i].count);
        put_be32(bytes + 8, cases[i].rows);
        put_be32(bytes + 12, cases[i].cols);
        write_bytes(p, bytes, size);
        expect_refused(p, labels, 10, EWCL_ERR_FORMAT, p, cases[i].needle);
    }
    /* The same for labels. */
    free(bytes);
    bytes = read_bytes(labels, &size);
    put_be32(bytes + 4, 0);
    write_bytes(p, bytes, size);
    expect_refused(in_dir(EWCL_IDX_TRAIN_IMAGES, 1), p, 10, EWCL_ERR_FORMAT, p,
                   "declares 0 labels");
    free(bytes);
}
END_TEST

START_TEST(count_mismatch_names_both_files)
{
    size_t size = 0;
    unsigned char *bytes = read_bytes(in_dir(EWCL_IDX_TRAIN_LABELS, 0), &size);
    put_be32(bytes + 4, TRAIN - 1);
    const char *p = in_dir("fewer-labels", 0);
    write_bytes(p, bytes, size - 1);
    const char *images = in_dir(EWCL_IDX_TRAIN_IMAGES, 1);
    expect_refused(images, p, 10, EWCL_ERR_FORMAT, p, "has 5 labels but");
    expect_refused(images, p, 10, EWCL_ERR_FORMAT, images, "has 6 images");
    /* Test images with training labels. */
    expect_refused(in_dir(EWCL_IDX_TEST_IMAGES, 0), in_dir(EWCL_IDX_TRAIN_LABELS, 1), 10,
                   EWCL_ERR_FORMAT, in_dir(EWCL_IDX_TEST_IMAGES, 0), "images");
    free(bytes);
}
END_TEST

START_TEST(label_out_of_range)
{
    size_t size = 0;
    unsigned char *bytes = read_bytes(in_dir(EWCL_IDX_TRAIN_LABELS, 0), &size);
    bytes[LABEL_HEADER + 3] = 10;
    const char *p = in_dir("label-10", 0);
    write_bytes(p, bytes, size);
    const char *images = in_dir(EWCL_IDX_TRAIN_IMAGES, 1);
    expect_refused(images, p, 10, EWCL_ERR_FORMAT, p, "label 10 of item 3");
    bytes[LABEL_HEADER + 3] = 255;
    write_bytes(p, bytes, size);
    expect_refused(images, p, 10, EWCL_ERR_FORMAT, p, "label 255 of item 3");
    /* With more classes the same file is fine; with fewer, a valid file is not. */
    ewcl_idx_set set;
    ewcl_error err;
    ck_assert(ewcl_idx_load(images, p, 256, &set, &err) == EWCL_OK);
    ewcl_idx_free(&set);
    ewcl_idx_free(&set);
    bytes[LABEL_HEADER + 3] = 0;
    for (size_t i = 0; i < TRAIN; i++)
        bytes[LABEL_HEADER + i] = (unsigned char)i;
    write_bytes(p, bytes, size);
    expect_refused(images, p, 3, EWCL_ERR_FORMAT, p, "label 3 of item 3");
    ck_assert(ewcl_idx_load(images, p, 0, &set, &err) == EWCL_ERR_INVALID_ARGUMENT);
    ck_assert(ewcl_idx_load(images, p, 257, &set, &err) == EWCL_ERR_INVALID_ARGUMENT);
    free(bytes);
}
END_TEST

START_TEST(trailing_bytes)
{
    size_t size = 0;
    unsigned char *bytes = read_bytes(in_dir(EWCL_IDX_TRAIN_IMAGES, 0), &size);
    unsigned char *longer = malloc(size + 1);
    memcpy(longer, bytes, size);
    longer[size] = 0;
    const char *labels = in_dir(EWCL_IDX_TRAIN_LABELS, 1);
    const char *p = in_dir("long", 0);
    write_bytes(p, longer, size + 1);
    expect_refused(p, labels, 10, EWCL_ERR_FORMAT, p, "trailing bytes");
    /* gzip'd: the decompressed length counts. */
    p = in_dir("long.gz", 0);
    write_gzip(p, longer, size + 1);
    expect_refused(p, labels, 10, EWCL_ERR_FORMAT, p, "trailing bytes");
    /* …and the exact length is fine, whatever the name. */
    p = in_dir("exact.gz", 0);
    write_gzip(p, bytes, size);
    ewcl_idx_set set;
    ewcl_error err;
    ck_assert_msg(ewcl_idx_load(p, labels, 10, &set, &err) == EWCL_OK, "%s", err.message);
    ewcl_idx_free(&set);
    free(longer);
    free(bytes);
}
END_TEST

START_TEST(corrupt_or_cut_gzip)
{
    size_t size = 0;
    unsigned char *bytes = read_bytes(in_dir(EWCL_IDX_TRAIN_IMAGES, 0), &size);
    char gz[4200];
    snprintf(gz, sizeof gz, "%s", in_dir("images.gz", 0));
    write_gzip(gz, bytes, size);
    free(bytes);
    bytes = read_bytes(gz, &size);
    const char *labels = in_dir(EWCL_IDX_TRAIN_LABELS, 1);
    const char *p = in_dir("bad.gz", 0);
    /* A flipped bit of the CRC-32 in the trailer. */
    bytes[size - 8] ^= 0x01;
    write_bytes(p, bytes, size);
    expect_refused(p, labels, 10, EWCL_ERR_FORMAT, p, "corrupt gzip data");
    bytes[size - 8] ^= 0x01;
    /* Garbage in the deflate stream (the header is 10 bytes). */
    for (size_t i = 10; i < size - 8; i++)
        bytes[i] = 0xff;
    write_bytes(p, bytes, size);
    expect_refused(p, labels, 10, EWCL_ERR_FORMAT, p, "corrupt gzip data");
    free(bytes);
    /* Cut in the middle of the stream. */
    bytes = read_bytes(gz, &size);
    write_bytes(p, bytes, size / 2);
    expect_refused(p, labels, 10, EWCL_ERR_FORMAT, p, "truncated gzip stream");
    free(bytes);
}
END_TEST

/* ---- Data directories --------------------------------------------------------------------- */

START_TEST(load_dir_names_missing_file_and_mismatch)
{
    ewcl_idx_data d;
    ewcl_error err;
    remove(in_dir(EWCL_IDX_TEST_LABELS, 0));
    ck_assert(ewcl_idx_load_dir(dir, 10, &d, &err) == EWCL_ERR_IO);
    ck_assert_msg(strstr(err.message, dir) && strstr(err.message, EWCL_IDX_TEST_LABELS),
                  "%s", err.message);
    ck_assert_ptr_null(d.train.images);
    ck_assert(ewcl_idx_load_dir("/nonexistent/ewcl-data", 10, &d, &err) == EWCL_ERR_IO);
    ck_assert_msg(strstr(err.message, "/nonexistent/ewcl-data") &&
                      strstr(err.message, EWCL_IDX_TRAIN_IMAGES),
                  "%s", err.message);
    /* A test set of other image sizes than the training set's. */
    char other[4096];
    snprintf(other, sizeof other, "%s", ewcl_test_make_temp_dir("idx-other"));
    ck_assert(ewcl_idx_write_synthetic(other, 3, 2, ROWS + 1, COLS, 10, 1, false, &err) ==
              EWCL_OK);
    char from[4200], to[4200];
    snprintf(from, sizeof from, "%s/%s", other, EWCL_IDX_TEST_IMAGES);
    snprintf(to, sizeof to, "%s/%s", dir, EWCL_IDX_TEST_IMAGES);
    ck_assert_int_eq(rename(from, to), 0);
    snprintf(from, sizeof from, "%s/%s", other, EWCL_IDX_TEST_LABELS);
    snprintf(to, sizeof to, "%s/%s", dir, EWCL_IDX_TEST_LABELS);
    ck_assert_int_eq(rename(from, to), 0);
    ck_assert(ewcl_idx_load_dir(dir, 10, &d, &err) == EWCL_ERR_FORMAT);
    ck_assert_msg(strstr(err.message, dir) && strstr(err.message, "6x4"), "%s", err.message);
    ck_assert_ptr_null(d.train.images);
    ewcl_test_remove_tree(other);
}
END_TEST

START_TEST(data_dir_resolution)
{
    char out[4096];
    ewcl_error err;
    ck_assert(ewcl_data_dir_resolve_from("/flag", "/env", dir, out, sizeof out, &err) == EWCL_OK);
    ck_assert_str_eq(out, "/flag");
    ck_assert(ewcl_data_dir_resolve_from("", "/env", dir, out, sizeof out, &err) == EWCL_OK);
    ck_assert_str_eq(out, "/env");
    ck_assert(ewcl_data_dir_resolve_from(NULL, "/env", dir, out, sizeof out, &err) == EWCL_OK);
    ck_assert_str_eq(out, "/env");
    /* The default when it has training images (raw here). */
    ck_assert(ewcl_data_dir_resolve_from(NULL, "", dir, out, sizeof out, &err) == EWCL_OK);
    ck_assert_str_eq(out, dir);
    /* Not when it lacks them: the error says how to get data. */
    remove(in_dir(EWCL_IDX_TRAIN_IMAGES, 0));
    ck_assert(ewcl_data_dir_resolve_from(NULL, NULL, dir, out, sizeof out, &err) == EWCL_ERR_IO);
    ck_assert_str_eq(out, "");
    ck_assert_msg(strstr(err.message, dir) && strstr(err.message, "dataset-fashion-mnist") &&
                      strstr(err.message, "--data-dir") && strstr(err.message, "EWCL_DATA_DIR"),
                  "%s", err.message);
    ck_assert(ewcl_data_dir_resolve_from(NULL, NULL, "/nonexistent", out, sizeof out, &err) ==
              EWCL_ERR_IO);
    /* Too long for the caller's buffer. */
    char tiny[4];
    ck_assert(ewcl_data_dir_resolve_from("/flag", NULL, dir, tiny, sizeof tiny, &err) ==
              EWCL_ERR_INVALID_ARGUMENT);
    /* The public form uses the Debian package's directory. */
    ck_assert(ewcl_data_dir_resolve("/flag", NULL, out, sizeof out, &err) == EWCL_OK);
    ck_assert_str_eq(out, "/flag");
}
END_TEST

START_TEST(generator_rejects_bad_arguments)
{
    ewcl_error err;
    ck_assert(ewcl_idx_write_synthetic(dir, 1, 1, 2, 2, 0, 0, false, &err) ==
              EWCL_ERR_INVALID_ARGUMENT);
    ck_assert(ewcl_idx_write_synthetic(dir, 1, 1, 2, 2, 257, 0, false, &err) ==
              EWCL_ERR_INVALID_ARGUMENT);
    ck_assert(ewcl_idx_write_synthetic(dir, 0, 1, 2, 2, 2, 0, false, &err) ==
              EWCL_ERR_INVALID_ARGUMENT);
    ck_assert(ewcl_idx_write_synthetic(dir, 1, 1, 0, 2, 2, 0, false, &err) ==
              EWCL_ERR_INVALID_ARGUMENT);
    ck_assert(ewcl_idx_write_synthetic(dir, (size_t)1 << 30, 1, 2, 2, 2, 0, false, &err) ==
              EWCL_ERR_INVALID_ARGUMENT);
    ck_assert(ewcl_idx_write_synthetic(dir, 1, 1, (size_t)1 << 40, (size_t)1 << 40, 2, 0,
                                       false, &err) == EWCL_ERR_INVALID_ARGUMENT);
    ck_assert(ewcl_idx_write_synthetic(NULL, 1, 1, 2, 2, 2, 0, false, &err) ==
              EWCL_ERR_INVALID_ARGUMENT);
    ck_assert(ewcl_idx_write_synthetic("/nonexistent/dir", 1, 1, 2, 2, 2, 0, true, &err) ==
              EWCL_ERR_IO);
    ck_assert_msg(strstr(err.message, "/nonexistent/dir/" EWCL_IDX_TRAIN_IMAGES ".gz"), "%s",
                  err.message);
}
END_TEST

static Suite *idx_suite(void)
{
    Suite *suite = suite_create("idx");
    TCase *valid = tcase_create("valid");
    /* Reading Fashion-MNIST (55 MB gzip'd) takes about a second; leave room on slow hosts. */
    tcase_set_timeout(valid, 60);
    tcase_add_test(valid, synthetic_raw_and_gzip_load_the_same);
    tcase_add_test(valid, synthetic_is_seeded);
    tcase_add_test(valid, synthetic_is_learnable);
    tcase_add_test(valid, fashion_mnist_when_installed);
    suite_add_tcase(suite, valid);

    TCase *defects = tcase_create("defects");
    tcase_add_checked_fixture(defects, make_small_set, remove_small_set);
    tcase_add_test(defects, missing_file_is_io);
    tcase_add_test(defects, truncated_files);
    tcase_add_test(defects, wrong_magic_type_or_rank);
    tcase_add_test(defects, absurd_dimensions);
    tcase_add_test(defects, count_mismatch_names_both_files);
    tcase_add_test(defects, label_out_of_range);
    tcase_add_test(defects, trailing_bytes);
    tcase_add_test(defects, corrupt_or_cut_gzip);
    tcase_add_test(defects, load_dir_names_missing_file_and_mismatch);
    tcase_add_test(defects, data_dir_resolution);
    tcase_add_test(defects, generator_rejects_bad_arguments);
    suite_add_tcase(suite, defects);
    return suite;
}

int main(void)
{
    return ewcl_test_run(idx_suite());
}
