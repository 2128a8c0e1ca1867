/* Shared test scaffolding: running a suite, the device probe, temporary directories. */
#define _XOPEN_SOURCE 700
#include "harness.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ewcl/runtime.h"

int ewcl_test_run(Suite *suite)
{
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}

/* In a child: exit 0 when a usable device exists, 1 when none, 2 when no platform. */
static void probe_in_child(void)
{
    ewcl_device_info *list = NULL;
    size_t count = 0;
    if (ewcl_devices_list(&list, &count, NULL) != EWCL_OK)
        _exit(2);
    size_t usable = 0;
    for (size_t i = 0; i < count; i++)
        usable += list[i].usable;
    ewcl_devices_free(list);
    _exit(usable > 0 ? 0 : 1);
}

void ewcl_test_require_device(void)
{
    fflush(NULL);
    const pid_t child = fork();
    if (child == 0)
        probe_in_child();
    int wstatus = 0;
    const bool found = child > 0 && waitpid(child, &wstatus, 0) == child &&
                       WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
    if (found)
        return;
    const char *require = getenv("EWCL_REQUIRE_DEVICE");
    if (require != NULL && strcmp(require, "1") == 0) {
        fprintf(stderr, "FAIL: no usable OpenCL device, and EWCL_REQUIRE_DEVICE=1\n");
        exit(1);
    }
    fprintf(stderr, "SKIP: no usable OpenCL device (set EWCL_REQUIRE_DEVICE=1 to fail)\n");
    exit(EWCL_TEST_SKIP);
}

const char *ewcl_test_make_temp_dir(const char *tag)
{
    static char path[4096];
    const char *base = getenv("EWCL_TEST_AREA");
    if (base == NULL || base[0] == '\0')
        base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    mkdir(base, 0755);
    snprintf(path, sizeof path, "%s/%s-XXXXXX", base, tag);
    if (mkdtemp(path) == NULL) {
        fprintf(stderr, "cannot make a temporary directory under %s: %s\n", base,
                strerror(errno));
        exit(1);
    }
    return path;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void ewcl_test_remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *ewcl_test_read_file(const char *path, size_t *out_size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t capacity = 4096, size = 0;
    char *bytes = malloc(capacity + 1);
    size_t n;
    while (bytes != NULL && (n = fread(bytes + size, 1, capacity - size, f)) > 0) {
        size += n;
        if (size == capacity) {
            char *grown = realloc(bytes, 2 * capacity + 1);
            if (grown == NULL) {
                free(bytes);
                bytes = NULL;
            }
            bytes = grown;
            capacity *= 2;
        }
    }
    fclose(f);
    if (bytes == NULL)
        return NULL;
    bytes[size] = '\0';
    if (out_size != NULL)
        *out_size = size;
    return bytes;
}

int ewcl_test_write_file(const char *path, const void *bytes, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    const bool ok = fwrite(bytes, 1, size, f) == size;
    return fclose(f) == 0 && ok ? 0 : -1;
}
