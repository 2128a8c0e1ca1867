/* Runs a program with captured output; see harness_program.h. */
#define _POSIX_C_SOURCE 200809L
#include "harness_program.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static const char *const ewcl_variables[] = {"EWCL_DEVICE", "EWCL_KERNEL_DIR", "EWCL_NO_CACHE",
                                             "EWCL_CL_BUILD_OPTIONS", "EWCL_DATA_DIR"};

/* In the child: stdout and stderr into the capture files, the working folder, the
 * environment, then exec. */
static void exec_child(const char *cwd, const char *program, const char *out_path,
                       const char *err_path, const char *const args[], const char *const env[])
{
    const int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
        _exit(126);
    if (cwd != NULL && chdir(cwd) != 0)
        _exit(126);
    for (size_t i = 0; i < sizeof ewcl_variables / sizeof ewcl_variables[0]; i++)
        unsetenv(ewcl_variables[i]);
    for (size_t i = 0; env != NULL && env[i] != NULL && env[i + 1] != NULL; i += 2)
        setenv(env[i], env[i + 1], 1);
    char *argv[64];
    size_t n = 0;
    argv[n++] = (char *)program;
    for (size_t i = 0; args[i] != NULL && n + 1 < sizeof argv / sizeof argv[0]; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    execv(program, argv);
    _exit(127);
}

ewcl_test_output ewcl_test_run_program(const char *program, const char *const args[],
                                       const char *const env[])
{
    return ewcl_test_run_program_in(NULL, program, args, env);
}

ewcl_test_output ewcl_test_run_program_in(const char *cwd, const char *program,
                                          const char *const args[], const char *const env[])
{
    char dir[4096], out_path[4200], err_path[4200];
    snprintf(dir, sizeof dir, "%s", ewcl_test_make_temp_dir("program-run"));
    snprintf(out_path, sizeof out_path, "%s/stdout", dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", dir);
    fflush(NULL);
    const pid_t child = fork();
    ck_assert_msg(child >= 0, "fork failed");
    if (child == 0)
        exec_child(cwd, program, out_path, err_path, args, env);
    int status = 0;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ewcl_test_output o = {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
                          ewcl_test_read_file(out_path, NULL),
                          ewcl_test_read_file(err_path, NULL)};
    ewcl_test_remove_tree(dir);
    ck_assert_msg(o.out != NULL && o.err != NULL, "cannot read the captured output");
    ck_assert_msg(o.code != 126 && o.code != 127, "cannot run %s (exit %d)", program, o.code);
    return o;
}

void ewcl_test_output_free(ewcl_test_output *output)
{
    free(output->out);
    free(output->err);
    output->out = output->err = NULL;
}

void ewcl_test_expect_code(const ewcl_test_output *output, int code)
{
    ck_assert_msg(output->code == code,
                  "exit code %d, expected %d\n--- stdout:\n%s--- stderr:\n%s", output->code,
                  code, output->out, output->err);
}

void ewcl_test_expect_one_line_error(const ewcl_test_output *output, const char *word)
{
    const char *newline = strchr(output->err, '\n');
    ck_assert_msg(strncmp(output->err, "ewcl: ", 6) == 0, "stderr: %s", output->err);
    ck_assert_msg(newline != NULL && newline[1] == '\0', "stderr is not one line: %s",
                  output->err);
    ck_assert_msg(strstr(output->err, word) != NULL, "stderr does not name '%s': %s", word,
                  output->err);
    ck_assert_msg(output->out[0] == '\0', "stdout is not empty: %s", output->out);
}
