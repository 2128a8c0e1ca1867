/* Shared test scaffolding: running a suite, the device probe, temporary directories and
 * files. */
#define _XOPEN_SOURCE 700
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ewcl/runtime.h"

/* Oclgrind rewrites OCLGRIND_LOG from scratch for every context it creates, so each runtime
 * a test opens gets a log of its own (<log>.<n>), and all of them are checked at the end.
 * The Oclgrind runs set CK_FORK=no, so this count lives in the one process. */
static char oclgrind_log_base[4096];
static int oclgrind_log_count;

static void next_oclgrind_log(void)
{
    if (oclgrind_log_base[0] == '\0')
        return;
    char path[4200];
    snprintf(path, sizeof path, "%s.%d", oclgrind_log_base, oclgrind_log_count++);
    ewcl_test_write_file(path, "", 0);
    setenv("OCLGRIND_LOG", path, 1);
}

/* After an Oclgrind run: every log must be empty. Prints what it found. */
static bool oclgrind_log_clean(const char *path)
{
    size_t size = 0;
    char *log = ewcl_test_read_file(path, &size);
    const bool clean = log == NULL || size == 0;
    if (!clean)
        fprintf(stderr, "FAIL: Oclgrind reported problems (%s):\n%s\n", path, log);
    free(log);
    return clean;
}

static bool oclgrind_logs_clean(void)
{
    bool clean = oclgrind_log_clean(oclgrind_log_base);
    for (int i = 0; i < oclgrind_log_count; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s.%d", oclgrind_log_base, i);
        clean = oclgrind_log_clean(path) && clean;
    }
    return clean;
}

int ewcl_test_run(Suite *suite)
{
    const char *oclgrind_log = getenv("OCLGRIND_LOG");
    if (oclgrind_log != NULL && oclgrind_log[0] != '\0') {
        snprintf(oclgrind_log_base, sizeof oclgrind_log_base, "%s", oclgrind_log);
        ewcl_test_write_file(oclgrind_log_base, "", 0);
    }
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    const bool clean = oclgrind_log_base[0] == '\0' || oclgrind_logs_clean();
    return failed == 0 && clean ? 0 : 1;
}

ewcl_runtime *ewcl_test_open_runtime(void)
{
    return ewcl_test_open_runtime_logged(NULL, NULL);
}

ewcl_runtime *ewcl_test_open_runtime_logged(ewcl_log_fn log, void *user)
{
    ewcl_runtime_options o;
    ewcl_runtime_options_default(&o);
    o.log = log;
    o.log_user = user;
    return ewcl_test_open_runtime_with(o);
}

const char *ewcl_test_device_selector(void)
{
    const char *device = getenv("EWCL_TEST_DEVICE");
    return device != NULL && device[0] != '\0' ? device : "runtime:pocl";
}

ewcl_runtime *ewcl_test_open_runtime_with(ewcl_runtime_options o)
{
    if (o.device[0] == '\0')
        snprintf(o.device, sizeof o.device, "%s", ewcl_test_device_selector());
    next_oclgrind_log();
    ewcl_error err;
    ewcl_runtime *rt = NULL;
    const ewcl_status status = ewcl_runtime_create(&o, &rt, &err);
    ck_assert_msg(status == EWCL_OK, "opening %s: %s", o.device, err.message);
    return rt;
}

int ewcl_test_small(void)
{
    const char *small = getenv("EWCL_TEST_SMALL");
    return small != NULL && strcmp(small, "1") == 0;
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

void ewcl_test_copy_kernel_sources(const char *dir)
{
    const char *root = getenv("EWCL_SOURCE_DIR");
    ck_assert_msg(root != NULL && root[0] != '\0', "EWCL_SOURCE_DIR is not set (run via ctest)");
    char cl[4096];
    snprintf(cl, sizeof cl, "%s/cl", root);
    DIR *d = opendir(cl);
    ck_assert_msg(d != NULL, "cannot open %s", cl);
    size_t copied = 0;
    for (const struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char from[4400], to[4400];
        snprintf(from, sizeof from, "%s/%s", cl, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
        size_t size = 0;
        char *bytes = ewcl_test_read_file(from, &size);
        ck_assert_msg(bytes != NULL, "cannot read %s", from);
        ck_assert_int_eq(ewcl_test_write_file(to, bytes, size), 0);
        free(bytes);
        copied++;
    }
    closedir(d);
    ck_assert_uint_ge(copied, 1);
}
