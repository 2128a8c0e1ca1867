/* The atomic write and the CRC-32 of ewcl's files; see file_util.h. */
#define _POSIX_C_SOURCE 200809L /* fsync, open, getpid */
#include "runtime/file_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ewcl/runtime.h" /* EWCL_PATH_MAX */

uint32_t ewcl_crc32(uint32_t crc, const void *bytes, size_t size)
{
    const Bytef *p = bytes;
    uLong running = crc;
    while (size > 0) {
        const uInt piece = size > 0x40000000u ? 0x40000000u : (uInt)size;
        running = crc32(running, p, piece);
        p += piece;
        size -= piece;
    }
    return (uint32_t)running;
}

static bool write_all(int fd, const unsigned char *bytes, size_t size)
{
    while (size > 0) {
        const ssize_t n = write(fd, bytes, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        bytes += n;
        size -= (size_t)n;
    }
    return true;
}

/* The folder holding `path` synced, so that a rename into it survives a crash. */
static bool sync_parent(const char *path)
{
    char dir[EWCL_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    const int fd = open(dir, O_RDONLY);
    if (fd < 0)
        return false;
    const bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

ewcl_write_outcome ewcl_write_file_atomic(const char *path, const void *const parts[],
                                          const size_t sizes[], size_t count, bool durable,
                                          int *error_number)
{
    *error_number = 0;
    char temp[EWCL_PATH_MAX + 32];
    if ((size_t)snprintf(temp, sizeof temp, "%s.tmp%ld", path, (long)getpid()) >= sizeof temp)
        return EWCL_WRITE_PATH_TOO_LONG;
    const int fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        *error_number = errno;
        return EWCL_WRITE_FAILED;
    }
    bool ok = true;
    for (size_t i = 0; i < count && ok; i++)
        ok = write_all(fd, parts[i], sizes[i]);
    ok = ok && (!durable || fsync(fd) == 0);
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (ok && rename(temp, path) != 0) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        unlink(temp);
        *error_number = saved;
        return EWCL_WRITE_FAILED;
    }
    if (durable && !sync_parent(path)) {
        *error_number = errno;
        return EWCL_WRITE_NOT_SYNCED;
    }
    return EWCL_WRITE_OK;
}
