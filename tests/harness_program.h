/* Running a built program (the `ewcl` command line) from a test: argv and environment in,
 * exit code, stdout and stderr out. */
#ifndef EWCL_TEST_HARNESS_PROGRAM_H
#define EWCL_TEST_HARNESS_PROGRAM_H

#include <check.h>

/* A NULL-terminated argv (without argv[0]) or name/value environment list, written inline. */
#define EWCL_ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

typedef struct ewcl_test_output {
    int code;  /* exit status; 128 + signal when killed */
    char *out; /* stdout, NUL-terminated */
    char *err; /* stderr, NUL-terminated */
} ewcl_test_output;

/* Runs `program args...` and waits. The variables that change what ewcl selects or reads
 * (EWCL_DEVICE, EWCL_KERNEL_DIR, EWCL_NO_CACHE, EWCL_CL_BUILD_OPTIONS, EWCL_DATA_DIR) are
 * unset, then the name/value pairs of `env` (NULL for none) set, so that a developer's own
 * settings never leak into a test. Fails the test when the program cannot be run. */
ewcl_test_output ewcl_test_run_program(const char *program, const char *const args[],
                                       const char *const env[]);

/* The same in the working folder `cwd` (NULL: the test's own), for runs that write where
 * they are started, such as `ewcl train`'s default runs/ folder. */
ewcl_test_output ewcl_test_run_program_in(const char *cwd, const char *program,
                                          const char *const args[], const char *const env[]);

void ewcl_test_output_free(ewcl_test_output *output);

/* Fails unless the run exited with `code`, showing its whole output: what one needs to see
 * when a code is off. */
void ewcl_test_expect_code(const ewcl_test_output *output, int code);

/* An error as ewcl reports one: exactly one line on stderr, starting "ewcl: " and naming
 * `word`, and nothing on stdout. */
void ewcl_test_expect_one_line_error(const ewcl_test_output *output, const char *word);

#endif
