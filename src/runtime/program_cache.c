/* The program binary cache: key, entry format, atomic writes. See program_cache.h. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/error_internal.h"
#include "runtime/file_util.h"
#include "runtime/program_cache.h"

static const char entry_magic[8] = {'E', 'W', 'C', 'L', 'P', 'R', 'G', '1'};
enum { header_size = 8 + 8 + 8 + 4 };
/* No real program binary comes near this; a larger size field means a damaged entry. */
static const uint64_t max_binary_size = (uint64_t)1 << 30;

/* FNV-1a, 64 bits: small, dependency-free, and plenty for telling cache entries apart. */
static uint64_t fnv1a(uint64_t hash, const void *bytes, size_t size)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < size; i++) {
        hash ^= p[i];
        hash *= 0x100000001b3ull;
    }
    return hash;
}

/* Length first, so that ("ab","c") and ("a","bc") hash differently. */
static uint64_t hash_field(uint64_t hash, const void *bytes, size_t size)
{
    const uint64_t length = size;
    hash = fnv1a(hash, &length, sizeof length);
    return fnv1a(hash, bytes, size);
}

static uint64_t hash_string(uint64_t hash, const char *text)
{
    return hash_field(hash, text, strlen(text));
}

uint64_t ewcl_program_cache_key(const ewcl_device_info *device, const char *build_options,
                                const char *source, size_t source_size)
{
    uint64_t hash = 0xcbf29ce484222325ull;
    hash = hash_field(hash, entry_magic, sizeof entry_magic);
    hash = hash_string(hash, device->platform_name);
    hash = hash_string(hash, device->platform_version);
    hash = hash_string(hash, device->name);
    hash = hash_string(hash, device->driver_version);
    hash = hash_string(hash, build_options);
    return hash_field(hash, source, source_size);
}

bool ewcl_program_cache_path(const char *dir, const char *program_name, uint64_t key,
                             char *out, size_t size)
{
    int n = snprintf(out, size, "%s/%s-%016llx.bin", dir, program_name,
                     (unsigned long long)key);
    return n > 0 && (size_t)n < size;
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

ewcl_cache_lookup ewcl_program_cache_read(const char *path, uint64_t key,
                                          unsigned char **out_binary, size_t *out_size,
                                          char *why, size_t why_size)
{
    *out_binary = NULL;
    *out_size = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return EWCL_CACHE_MISS;
    ewcl_cache_lookup result = EWCL_CACHE_REJECTED;
    unsigned char header[header_size];
    unsigned char *binary = NULL;
    if (fread(header, 1, sizeof header, f) != sizeof header) {
        snprintf(why, why_size, "truncated header");
        goto done;
    }
    if (memcmp(header, entry_magic, sizeof entry_magic) != 0) {
        snprintf(why, why_size, "not an ewcl program cache entry");
        goto done;
    }
    if (get_u64(header + 8) != key) {
        snprintf(why, why_size, "entry belongs to another device, source or build options");
        goto done;
    }
    const uint64_t size = get_u64(header + 16);
    if (size == 0 || size > max_binary_size) {
        snprintf(why, why_size, "implausible binary size %llu", (unsigned long long)size);
        goto done;
    }
    binary = malloc((size_t)size);
    if (binary == NULL) {
        snprintf(why, why_size, "out of memory for a %llu-byte binary",
                 (unsigned long long)size);
        goto done;
    }
    if (fread(binary, 1, (size_t)size, f) != size) {
        snprintf(why, why_size, "truncated binary");
        goto done;
    }
    if (fgetc(f) != EOF) {
        snprintf(why, why_size, "trailing bytes after the binary");
        goto done;
    }
    if (ewcl_crc32(0, binary, (size_t)size) != get_u32(header + 24)) {
        snprintf(why, why_size, "CRC-32 mismatch");
        goto done;
    }
    *out_binary = binary;
    *out_size = (size_t)size;
    binary = NULL;
    result = EWCL_CACHE_HIT;
done:
    free(binary);
    fclose(f);
    return result;
}

/* mkdir -p: each missing component in turn; an existing directory is fine. */
static ewcl_status make_dirs(const char *dir, ewcl_error *err)
{
    char path[EWCL_PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s", dir) >= sizeof path)
        return EWCL_FAIL(err, EWCL_ERR_IO, "cache directory path too long: %s", dir);
    for (char *p = path + 1;; p++) {
        const bool end = *p == '\0';
        if (*p == '/' || end) {
            *p = '\0';
            struct stat st;
            if (mkdir(path, 0755) != 0 && errno != EEXIST)
                return EWCL_FAIL(err, EWCL_ERR_IO, "cannot create cache directory %s: %s",
                                 path, strerror(errno));
            if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
                return EWCL_FAIL(err, EWCL_ERR_IO, "cache path %s is not a directory", path);
            if (end)
                break;
            *p = '/';
        }
    }
    return EWCL_OK;
}

/* Writes the parts, in order, to a temporary file beside `path`, then renames it over
 * `path`: readers only ever see a complete file. */
static ewcl_status write_parts_atomically(const char *dir, const char *path,
                                          const void *const parts[], const size_t sizes[],
                                          size_t count, ewcl_error *err)
{
    ewcl_status status = make_dirs(dir, err);
    if (status != EWCL_OK)
        return status;
    int error_number = 0;
    switch (ewcl_write_file_atomic(path, parts, sizes, count, false, &error_number)) {
    case EWCL_WRITE_OK:
        return EWCL_OK;
    case EWCL_WRITE_PATH_TOO_LONG:
        return EWCL_FAIL(err, EWCL_ERR_IO, "cache path too long: %s", path);
    default:
        return EWCL_FAIL(err, EWCL_ERR_IO, "cannot write cache file %s: %s", path,
                         strerror(error_number));
    }
}

ewcl_status ewcl_cache_write_file(const char *dir, const char *path, const void *bytes,
                                  size_t size, ewcl_error *err)
{
    const void *const parts[1] = {bytes};
    const size_t sizes[1] = {size};
    return write_parts_atomically(dir, path, parts, sizes, 1, err);
}

ewcl_status ewcl_program_cache_write(const char *dir, const char *path, uint64_t key,
                                     const unsigned char *binary, size_t size, ewcl_error *err)
{
    unsigned char header[header_size];
    memcpy(header, entry_magic, sizeof entry_magic);
    put_u64(header + 8, key);
    put_u64(header + 16, size);
    put_u32(header + 24, ewcl_crc32(0, binary, size));
    const void *const parts[2] = {header, binary};
    const size_t sizes[2] = {sizeof header, size};
    return write_parts_atomically(dir, path, parts, sizes, 2, err);
}
