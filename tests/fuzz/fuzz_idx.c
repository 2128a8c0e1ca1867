/* Fuzzes the IDX reader (ewcl_idx_load) with a pair of files cut from one input:
 *   byte 0        class count − 1 (so 1 … 256)
 *   bytes 1–2     big-endian length L of the image file (capped at what follows)
 *   then          L bytes of image file, and the rest is the label file.
 * Both go through real files, since the reader takes paths (gzip'd or raw, as zlib sees
 * them). The oracle: a load that succeeds returns exactly the bytes of raw files, every
 * label below the class count; a load that fails is EWCL_ERR_FORMAT (the files are
 * readable), leaves the set empty and says why in one line naming a file. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ewcl/data.h"
#include "fuzz_common.h"

#define IMAGE_HEADER 16
#define LABEL_HEADER 8

static char images_path[4200], labels_path[4200], temp_dir[4096];

static void remove_temp_dir(void)
{
    unlink(images_path);
    unlink(labels_path);
    rmdir(temp_dir);
}

/* One directory per process, made on the first input and removed at exit. */
static void make_temp_dir(void)
{
    if (temp_dir[0] != '\0')
        return;
    const char *tmp = getenv("TMPDIR");
    snprintf(temp_dir, sizeof temp_dir, "%s/ewcl-fuzz-idx-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    FUZZ_REQUIRE(mkdtemp(temp_dir) != NULL, "cannot make %s", temp_dir);
    snprintf(images_path, sizeof images_path, "%s/images", temp_dir);
    snprintf(labels_path, sizeof labels_path, "%s/labels", temp_dir);
    atexit(remove_temp_dir);
}

static void write_file(const char *path, const uint8_t *bytes, size_t size)
{
    FILE *f = fopen(path, "wb");
    FUZZ_REQUIRE(f != NULL, "cannot write %s", path);
    FUZZ_REQUIRE(size == 0 || fwrite(bytes, 1, size, f) == size, "cannot write %s", path);
    FUZZ_REQUIRE(fclose(f) == 0, "cannot write %s", path);
}

static uint32_t big_endian32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

/* zlib decompresses what starts with gzip's magic and passes anything else through. */
static int looks_gzipped(const uint8_t *bytes, size_t size)
{
    return size >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

/* A successful load of raw files: the header's sizes and the file's bytes, exactly. */
static void check_raw_load(const ewcl_idx_set *set, const uint8_t *image_file,
                           size_t image_size, const uint8_t *label_file, size_t label_size)
{
    FUZZ_REQUIRE(image_size >= IMAGE_HEADER && label_size >= LABEL_HEADER, "short header");
    FUZZ_REQUIRE(set->count == big_endian32(image_file + 4) &&
                     set->rows == big_endian32(image_file + 8) &&
                     set->cols == big_endian32(image_file + 12),
                 "sizes %zu x %zu x %zu differ from the header", set->count, set->rows,
                 set->cols);
    FUZZ_REQUIRE(set->count == big_endian32(label_file + 4), "label count differs");
    const size_t pixels = set->count * set->rows * set->cols;
    FUZZ_REQUIRE(image_size == IMAGE_HEADER + pixels && label_size == LABEL_HEADER + set->count,
                 "accepted files of %zu and %zu bytes for %zu images of %zu pixels",
                 image_size, label_size, set->count, set->rows * set->cols);
    FUZZ_REQUIRE(memcmp(set->images, image_file + IMAGE_HEADER, pixels) == 0,
                 "pixels differ from the file");
    FUZZ_REQUIRE(memcmp(set->labels, label_file + LABEL_HEADER, set->count) == 0,
                 "labels differ from the file");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    const size_t classes = (size_t)data[0] + 1;
    size_t image_size = (size_t)data[1] << 8 | data[2];
    data += 3;
    size -= 3;
    if (image_size > size)
        image_size = size;
    const uint8_t *image_file = data, *label_file = data + image_size;
    const size_t label_size = size - image_size;

    make_temp_dir();
    write_file(images_path, image_file, image_size);
    write_file(labels_path, label_file, label_size);

    ewcl_idx_set set;
    ewcl_error err;
    ewcl_error_clear(&err);
    const ewcl_status status = ewcl_idx_load(images_path, labels_path, classes, &set, &err);
    if (status == EWCL_OK) {
        if (!looks_gzipped(image_file, image_size) && !looks_gzipped(label_file, label_size))
            check_raw_load(&set, image_file, image_size, label_file, label_size);
        for (size_t i = 0; i < set.count; i++)
            FUZZ_REQUIRE(set.labels[i] < classes, "label %u accepted with %zu classes",
                         set.labels[i], classes);
        ewcl_idx_free(&set);
        return 0;
    }
    FUZZ_REQUIRE(status == EWCL_ERR_FORMAT, "readable files refused with %s: %s",
                 ewcl_status_name(status), err.message);
    fuzz_check_message(&err, status);
    FUZZ_REQUIRE(strstr(err.message, images_path) != NULL ||
                     strstr(err.message, labels_path) != NULL,
                 "the message names neither file: %s", err.message);
    FUZZ_REQUIRE(set.images == NULL && set.labels == NULL && set.count == 0,
                 "a failed load left data in the set");
    return 0;
}
