/* Whole-file helpers of the files ewcl keeps (program cache entries, report files,
 * checkpoints): the atomic write, and the CRC-32 their headers check. */
#ifndef EWCL_FILE_UTIL_H
#define EWCL_FILE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* zlib's CRC-32 of `size` bytes, continuing `crc` (0 to start), fed to zlib in pieces
 * that fit its uInt lengths. */
uint32_t ewcl_crc32(uint32_t crc, const void *bytes, size_t size);

/* How an atomic write ended; each caller words its own message. */
typedef enum ewcl_write_outcome {
    EWCL_WRITE_OK,
    EWCL_WRITE_PATH_TOO_LONG, /* no room for the temporary name beside `path` */
    EWCL_WRITE_FAILED,        /* nothing written; *error_number says why */
    EWCL_WRITE_NOT_SYNCED,    /* `path` is in place, its folder not synced; *error_number */
} ewcl_write_outcome;

/* Writes the `count` parts, in order, to a temporary file beside `path` (<path>.tmp<pid>),
 * then renames it over `path`: readers only ever see a whole file, and a failed write
 * leaves no temporary behind. With `durable`, the file is synced before the rename and its
 * folder after, so that the new file also survives a crash of the machine. */
ewcl_write_outcome ewcl_write_file_atomic(const char *path, const void *const parts[],
                                          const size_t sizes[], size_t count, bool durable,
                                          int *error_number);

#endif
