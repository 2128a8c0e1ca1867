/* Shared test scaffolding for the Check suites. */
#ifndef EWCL_TEST_HARNESS_H
#define EWCL_TEST_HARNESS_H

#include <check.h>
#include <stddef.h>

/* Exit code ctest reads as "skipped" (SKIP_RETURN_CODE). */
#define EWCL_TEST_SKIP 77

/* Timeout of every test case that builds OpenCL programs: a cold PoCL build takes seconds,
 * Check's default is 4 s. */
#define EWCL_TEST_CL_TIMEOUT 120

/* Runs the suite (forking each test) and returns the process exit code: 0 when all pass. */
int ewcl_test_run(Suite *suite);

/* For suites that need an OpenCL device: probes for a usable one in a forked child (OpenCL
 * objects must never exist in the parent before Check forks: on PoCL that hangs the
 * children). Returns normally when one exists; otherwise exits 77 (skipped), or 1 with a
 * message when EWCL_REQUIRE_DEVICE=1. */
void ewcl_test_require_device(void);

/* A fresh directory under the build tree's test area (or $TMPDIR); the path is static
 * storage of the harness, valid until the next call. */
const char *ewcl_test_make_temp_dir(const char *tag);

/* Removes a directory tree made by ewcl_test_make_temp_dir. */
void ewcl_test_remove_tree(const char *path);

/* Reads a whole file into a malloc'd buffer (NUL-terminated); NULL when unreadable. */
char *ewcl_test_read_file(const char *path, size_t *out_size);

/* Writes `size` bytes to `path`; returns 0 on success. */
int ewcl_test_write_file(const char *path, const void *bytes, size_t size);

#endif
