/* Shared test scaffolding for the Check suites. */
#ifndef EWCL_TEST_HARNESS_H
#define EWCL_TEST_HARNESS_H

#include <check.h>
#include <stddef.h>

#include "ewcl/runtime.h"

/* Exit code ctest reads as "skipped" (SKIP_RETURN_CODE). */
#define EWCL_TEST_SKIP 77

/* Timeout of every test case that builds OpenCL programs: a cold PoCL build takes seconds,
 * Check's default is 4 s. */
#define EWCL_TEST_CL_TIMEOUT 120

/* Fails the test with the runtime's message unless `call` returns EWCL_OK. */
#define CK_OK(rt, call)                                                                       \
    do {                                                                                      \
        const ewcl_status ck_status_ = (call);                                                \
        ck_assert_msg(ck_status_ == EWCL_OK, "%s: %s", #call,                                 \
                      ewcl_runtime_error(rt)->message);                                       \
    } while (0)

/* Runs the suite (forking each test) and returns the process exit code: 0 when all pass.
 * When $OCLGRIND_LOG names a file (the Oclgrind runs), it is emptied first and must still
 * be empty at the end: Oclgrind reports races and uninitialised reads there and exits 0. */
int ewcl_test_run(Suite *suite);

/* For suites that need an OpenCL device: probes for a usable one in a forked child (OpenCL
 * objects must never exist in the parent before Check forks: on PoCL that hangs the
 * children). Returns normally when one exists; otherwise exits 77 (skipped), or 1 with a
 * message when EWCL_REQUIRE_DEVICE=1. */
void ewcl_test_require_device(void);

/* The device tests run on: the selector in $EWCL_TEST_DEVICE (ctest sets runtime:oclgrind
 * for the Oclgrind runs), else "runtime:pocl". */
const char *ewcl_test_device_selector(void);

/* Opens the runtime a kernel test runs on, that of ewcl_test_device_selector. Fails the
 * test on error. */
ewcl_runtime *ewcl_test_open_runtime(void);
/* The same, with the library's messages going to `log` (see ewcl_runtime_options). */
ewcl_runtime *ewcl_test_open_runtime_logged(ewcl_log_fn log, void *user);
/* The same with the caller's options (profile overrides, cache folder, …); an empty
 * `device` is filled as above. Under Oclgrind the runtime gets its own log, checked at the
 * end of ewcl_test_run. */
ewcl_runtime *ewcl_test_open_runtime_with(ewcl_runtime_options options);

/* True when the suite runs under the Oclgrind simulator ($EWCL_TEST_SMALL=1): tests then
 * use small shapes only, since simulation is slow. */
int ewcl_test_small(void);

/* A fresh directory under the build tree's test area (or $TMPDIR); the path is static
 * storage of the harness, valid until the next call. */
const char *ewcl_test_make_temp_dir(const char *tag);

/* Removes a directory tree made by ewcl_test_make_temp_dir. */
void ewcl_test_remove_tree(const char *path);

/* Reads a whole file into a malloc'd buffer (NUL-terminated); NULL when unreadable. */
char *ewcl_test_read_file(const char *path, size_t *out_size);

/* Writes `size` bytes to `path`; returns 0 on success. */
int ewcl_test_write_file(const char *path, const void *bytes, size_t size);

/* Copies every file of the source tree's kernel folder ($EWCL_SOURCE_DIR/cl, set by ctest)
 * into the existing folder `dir`, for tests that then break one of them. Fails the test
 * when nothing could be copied. */
void ewcl_test_copy_kernel_sources(const char *dir);

#endif
