/* Fuzzes the checkpoint reader (ewcl_checkpoint_parse), which must take any bytes. The
 * first input byte picks what the rest is:
 *   even  a whole file, header included — mostly refused by the header or the CRC-32;
 *   odd   a payload, given a valid header and CRC here, so that mutations reach the
 *         validation of every field behind the CRC.
 * The oracle: a refusal is EWCL_ERR_FORMAT with one line and no object; an accepted file
 * has the magic, version 1, the length its header declares and a CRC-32 that zlib agrees
 * with, and everything the accessors hand out can be read to its last element. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ewcl/checkpoint.h"
#include "fuzz_common.h"

static uint32_t little_endian32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t little_endian64(const uint8_t *b)
{
    return (uint64_t)little_endian32(b) | (uint64_t)little_endian32(b + 4) << 32;
}

static void put_little_endian(uint8_t *at, uint64_t value, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++)
        at[i] = (uint8_t)(value >> (8 * i));
}

static uint32_t crc_of(const uint8_t *bytes, size_t size)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t done = 0; done < size;) {
        const size_t piece = size - done < (1u << 30) ? size - done : (1u << 30);
        crc = crc32(crc, bytes + done, (uInt)piece);
        done += piece;
    }
    return (uint32_t)crc;
}

/* A sum over values the caller must be able to read: an out-of-bounds array shows as an
 * AddressSanitizer report, an uninitialised one under Valgrind. */
static double touch(const double *values, size_t count)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++)
        sum += values[i];
    return sum;
}

static void check_accepted(const ewcl_checkpoint *ck, const uint8_t *file, size_t size)
{
    FUZZ_REQUIRE(size >= EWCL_CHECKPOINT_HEADER_SIZE, "accepted %zu bytes", size);
    FUZZ_REQUIRE(memcmp(file, EWCL_CHECKPOINT_MAGIC, 8) == 0, "accepted a wrong magic");
    FUZZ_REQUIRE(little_endian32(file + 8) == EWCL_CHECKPOINT_VERSION, "accepted version %u",
                 little_endian32(file + 8));
    FUZZ_REQUIRE(little_endian64(file + 16) == size - EWCL_CHECKPOINT_HEADER_SIZE,
                 "accepted a payload length that is not the file's");
    FUZZ_REQUIRE(little_endian32(file + 12) ==
                     crc_of(file + EWCL_CHECKPOINT_HEADER_SIZE,
                            size - EWCL_CHECKPOINT_HEADER_SIZE),
                 "accepted a payload whose CRC-32 does not match");

    const ewcl_train_config *config = ewcl_checkpoint_config(ck);
    FUZZ_REQUIRE(config != NULL, "no configuration");
    const ewcl_checkpoint_position where = ewcl_checkpoint_where(ck);
    FUZZ_REQUIRE(where.task_count == config->task_number, "task counts differ: %zu, %zu",
                 where.task_count, config->task_number);
    FUZZ_REQUIRE(where.tasks_done <= where.task_count && where.task <= where.task_count,
                 "position past the run: task %zu, done %zu of %zu", where.task,
                 where.tasks_done, where.task_count);
    FUZZ_REQUIRE(ewcl_checkpoint_device(ck) != NULL && ewcl_checkpoint_platform(ck) != NULL,
                 "no device names");
    (void)strlen(ewcl_checkpoint_device(ck));
    (void)strlen(ewcl_checkpoint_platform(ck));
    volatile double sink =
        touch(ewcl_checkpoint_accuracy(ck), where.task_count * where.task_count);
    size_t count = 0;
    const float *parameters = ewcl_checkpoint_parameters(ck, &count);
    for (size_t i = 0; i < count; i++)
        sink += parameters[i];
    for (size_t i = 0; i < ewcl_checkpoint_point_count(ck); i++) {
        const ewcl_train_point p = ewcl_checkpoint_point(ck, i);
        FUZZ_REQUIRE(p.tasks_seen <= where.task_count, "point %zu has %zu tasks of %zu", i,
                     p.tasks_seen, where.task_count);
        if (p.kind != EWCL_TRAIN_POINT_LOSS)
            sink += touch(p.accuracy, p.tasks_seen);
    }
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const int payload_only = data[0] & 1;
    data++;
    size--;
    uint8_t *file = malloc(size + EWCL_CHECKPOINT_HEADER_SIZE);
    FUZZ_REQUIRE(file != NULL, "out of memory");
    size_t file_size = size;
    if (payload_only) {
        memcpy(file, EWCL_CHECKPOINT_MAGIC, 8);
        put_little_endian(file + 8, EWCL_CHECKPOINT_VERSION, 4);
        put_little_endian(file + 12, crc_of(data, size), 4);
        put_little_endian(file + 16, size, 8);
        memcpy(file + EWCL_CHECKPOINT_HEADER_SIZE, data, size);
        file_size += EWCL_CHECKPOINT_HEADER_SIZE;
    } else if (size > 0) {
        memcpy(file, data, size);
    }

    ewcl_checkpoint *ck = NULL;
    ewcl_error err;
    ewcl_error_clear(&err);
    const ewcl_status status = ewcl_checkpoint_parse(file, file_size, &ck, &err);
    if (status == EWCL_OK) {
        FUZZ_REQUIRE(ck != NULL, "EWCL_OK without a checkpoint");
        check_accepted(ck, file, file_size);
    } else {
        FUZZ_REQUIRE(status == EWCL_ERR_FORMAT, "refused with %s: %s",
                     ewcl_status_name(status), err.message);
        FUZZ_REQUIRE(ck == NULL, "a refused checkpoint was returned");
        fuzz_check_message(&err, status);
    }
    ewcl_checkpoint_destroy(ck);
    free(file);
    return 0;
}
