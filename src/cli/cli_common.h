/* What the subcommands of `ewcl` share: exit codes, messages, the runtime flags, the device
 * table. */
#ifndef EWCL_CLI_COMMON_H
#define EWCL_CLI_COMMON_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "ewcl/ewcl.h"

enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_RUNTIME = 1,  /* the library reported an error */
    CLI_EXIT_USAGE = 2,    /* a bad flag, value or command */
    CLI_EXIT_NO_DEVICE = 3 /* no usable OpenCL platform or device */
};

/* The exit code for a library status. */
int cli_exit_code(ewcl_status status);

/* "ewcl: <message>" on stderr, one line. */
void cli_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Flags every command that opens a runtime accepts, and their getopt_long entries. */
typedef struct cli_runtime_flags {
    ewcl_runtime_options options;
    bool verbose;
    bool bad_value;
    bool cache_dir_given, no_cache_given; /* both: a contradiction cli_flags_done refuses */
    bool device_given;                    /* --device appeared */
} cli_runtime_flags;

enum cli_runtime_flag_id {
    CLI_FLAG_DEVICE = 1000,
    CLI_FLAG_KERNEL_DIR,
    CLI_FLAG_CACHE_DIR,
    CLI_FLAG_NO_CACHE,
    CLI_FLAG_VERBOSE,
    CLI_FLAG_GEMM
};

#define CLI_RUNTIME_LONG_OPTIONS                                      \
    {"device", required_argument, NULL, CLI_FLAG_DEVICE},             \
    {"kernel-dir", required_argument, NULL, CLI_FLAG_KERNEL_DIR},     \
    {"cache-dir", required_argument, NULL, CLI_FLAG_CACHE_DIR},       \
    {"no-cache", no_argument, NULL, CLI_FLAG_NO_CACHE},               \
    {"verbose", no_argument, NULL, CLI_FLAG_VERBOSE},                 \
    {"gemm", required_argument, NULL, CLI_FLAG_GEMM}

#define CLI_RUNTIME_FLAGS_HELP                                                                 \
    "  --device SEL       device selector (default: $EWCL_DEVICE, else auto); see `ewcl help`\n" \
    "  --kernel-dir DIR   read kernels from DIR instead of the embedded copies\n"               \
    "  --cache-dir DIR    program binary cache (default: $EWCL_CACHE_DIR, else\n"              \
    "                     $XDG_CACHE_HOME/ewcl, else ~/.cache/ewcl)\n"                           \
    "  --no-cache         do not read or write the program binary cache\n"                     \
    "  --gemm ENGINE      auto (the device profile's choice, or a timed probe), native\n"      \
    "                     (ewcl's cl/gemm.cl) or clblast\n"                                   \
    "  -v, --verbose      print build logs and cache events (train: also the Fisher's\n"   \
    "                     sum, max and zero entries per layer after each task)\n"

/* Defaults, then the environment: flags parsed afterwards win. */
void cli_runtime_flags_init(cli_runtime_flags *flags);

/* Handles one getopt_long result if it is a runtime flag (or -v); false otherwise. A bad
 * value sets flags->bad_value (one line already printed): the caller exits 2. */
bool cli_runtime_flag(cli_runtime_flags *flags, int option, const char *argument);

/* Opens the runtime the flags ask for. On failure prints one line — and, when no device
 * matches, the device table — and returns the exit code; CLI_EXIT_OK on success. */
int cli_open_runtime(const cli_runtime_flags *flags, ewcl_runtime **out);

/* The device table of `ewcl devices`; `marked` is the position to star (or -1). */
void cli_print_device_table(FILE *out, const ewcl_device_info *list, size_t count,
                            long marked);

/* getopt_long runs silent (opterr = 0, option strings start with ':'); this prints the one
 * line for the '?' (unknown flag) or ':' (missing value) it returned, and gives
 * CLI_EXIT_USAGE. */
int cli_bad_flag(const char *command, char *const argv[], int getopt_result);

/* Parses a whole decimal number for `flag` in [min, max]; on failure prints one line
 * naming the command, flag and text, and returns false. */
bool cli_parse_long(const char *command, const char *flag, const char *text, long min,
                    long max, long *out);

/* Which end of a cli_parse_real interval is open. */
typedef enum { CLI_CLOSED, CLI_OPEN_MIN, CLI_OPEN_MAX } cli_interval;

/* Parses a finite decimal number for `flag` in [min, max] (or with one end open); on
 * failure (not a number, NaN, inf, overflow, out of range) prints one line naming the
 * command, flag, text and interval, and returns false. */
bool cli_parse_real(const char *command, const char *flag, const char *text, double min,
                    double max, cli_interval interval, double *out);

/* After the flag loop: false (one line printed) when a runtime flag had a bad value,
 * runtime flags contradict each other (--no-cache with --cache-dir) or positional
 * arguments are left over; the caller then exits with CLI_EXIT_USAGE. */
bool cli_flags_done(const char *command, const cli_runtime_flags *flags, int argc,
                    char *const argv[]);

/* Prepares getopt_long for a fresh parse of a subcommand's argv. */
void cli_getopt_reset(void);

/* The whole flag parse of a command whose only own flag is --json (plus --help and the
 * runtime flags): CLI_PARSE_CONTINUE when the command should run, else the exit code to
 * return (--help printed `help`: CLI_EXIT_OK; a bad flag: its one line was printed). */
#define CLI_PARSE_CONTINUE (-1)

/* One getopt_long result that is not a command's own flag: --json ('j', sets *json),
 * --help ('h', prints `help`: CLI_EXIT_OK), a runtime flag, or else a bad flag (its line
 * printed: CLI_EXIT_USAGE). CLI_PARSE_CONTINUE when parsing goes on. */
int cli_common_flag(const char *command, const char *help, int getopt_result,
                    char *const argv[], cli_runtime_flags *flags, bool *json);
int cli_parse_json_command(const char *command, const char *help, int argc, char **argv,
                           cli_runtime_flags *flags, bool *json);

/* An accuracy matrix R[i][j] (tasks × tasks, row-major) on stdout as `train` and `report`
 * print it: a header of task columns, a row "after i" per task with `average[i]` last;
 * columns right-aligned under their headers, a non-finite entry (null in a summary read
 * back) as "-". */
void cli_print_accuracy_matrix(const double *accuracy, const double *average, size_t tasks);

/* A command's --json document on stdout, indented, then deleted (NULL: none was built).
 * CLI_EXIT_OK, or CLI_EXIT_RUNTIME after `out_of_memory` as the error line when it could
 * not be printed. */
struct cJSON;
int cli_print_json(struct cJSON *root, const char *out_of_memory);

#endif
