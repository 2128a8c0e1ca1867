/* The on-disk cache of built program binaries.
 *
 * One file per program and key: <dir>/<program>-<key as 16 hex digits>.bin, holding
 *   "EWCLPRG1" | key (u64) | binary size (u64) | CRC-32 of the binary (u32) | binary
 * (integers little-endian). The key hashes everything a binary depends on: platform name
 * and version, device name, driver version, build options and the full source. An entry
 * whose magic, key, size or CRC does not match is rejected (and then rebuilt and
 * rewritten by the caller). Writes are atomic: a temporary file, then rename. */
#ifndef EWCL_PROGRAM_CACHE_H
#define EWCL_PROGRAM_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "ewcl/runtime.h"

uint64_t ewcl_program_cache_key(const ewcl_device_info *device, const char *build_options,
                                const char *source, size_t source_size);

/* "<dir>/<program>-<16 hex>.bin"; false when it does not fit in `size`. */
bool ewcl_program_cache_path(const char *dir, const char *program_name, uint64_t key,
                             char *out, size_t size);

typedef enum ewcl_cache_lookup {
    EWCL_CACHE_MISS = 0, /* no entry */
    EWCL_CACHE_HIT,      /* *out_binary holds the binary (malloc'd) */
    EWCL_CACHE_REJECTED  /* an entry exists but is corrupt, truncated or foreign: `why` says */
} ewcl_cache_lookup;

ewcl_cache_lookup ewcl_program_cache_read(const char *path, uint64_t key,
                                          unsigned char **out_binary, size_t *out_size,
                                          char *why, size_t why_size);

/* Creates `dir` (and its parents) if needed, then writes `size` bytes to `path` (inside
 * `dir`) atomically: a temporary file, then rename. Other small cache files use it too. */
ewcl_status ewcl_cache_write_file(const char *dir, const char *path, const void *bytes,
                                  size_t size, ewcl_error *err);

/* Writes a program entry (header + binary) with ewcl_cache_write_file's guarantees. */
ewcl_status ewcl_program_cache_write(const char *dir, const char *path, uint64_t key,
                                     const unsigned char *binary, size_t size, ewcl_error *err);

#endif
