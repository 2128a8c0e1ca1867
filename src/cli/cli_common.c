/* Shared pieces of the command line: exit codes, messages, runtime flags, device table. */
#define _POSIX_C_SOURCE 200809L
#include "cli_common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_exit_code(ewcl_status status)
{
    switch (status) {
    case EWCL_OK:
        return CLI_EXIT_OK;
    case EWCL_ERR_NO_PLATFORM:
    case EWCL_ERR_NO_DEVICE:
        return CLI_EXIT_NO_DEVICE;
    case EWCL_ERR_INVALID_ARGUMENT:
        return CLI_EXIT_USAGE;
    default:
        return CLI_EXIT_RUNTIME;
    }
}

void cli_error(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("ewcl: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
}

static void log_to_stderr(void *user, ewcl_log_level level, const char *message)
{
    const bool verbose = *(const bool *)user;
    if (level >= EWCL_LOG_WARNING || verbose)
        fprintf(stderr, "ewcl: %s%s\n", level >= EWCL_LOG_WARNING ? "warning: " : "", message);
}

void cli_runtime_flags_init(cli_runtime_flags *flags)
{
    memset(flags, 0, sizeof *flags);
    ewcl_runtime_options_default(&flags->options);
    ewcl_options_apply_env(&flags->options);
    flags->options.log = log_to_stderr;
    flags->options.log_user = &flags->verbose;
}

bool cli_runtime_flag(cli_runtime_flags *flags, int option, const char *argument)
{
    ewcl_runtime_options *o = &flags->options;
    switch (option) {
    case CLI_FLAG_DEVICE:
        snprintf(o->device, sizeof o->device, "%s", argument);
        flags->device_given = true;
        return true;
    case CLI_FLAG_KERNEL_DIR:
        snprintf(o->kernel_dir, sizeof o->kernel_dir, "%s", argument);
        return true;
    case CLI_FLAG_CACHE_DIR:
        snprintf(o->cache_dir, sizeof o->cache_dir, "%s", argument);
        flags->cache_dir_given = true;
        return true;
    case CLI_FLAG_NO_CACHE:
        o->cache_dir[0] = '\0';
        flags->no_cache_given = true;
        return true;
    case 'v':
    case CLI_FLAG_VERBOSE:
        flags->verbose = true;
        return true;
    case CLI_FLAG_GEMM:
        if (strcmp(argument, "auto") == 0)
            o->profile.gemm_engine = EWCL_GEMM_AUTO;
        else if (strcmp(argument, "native") == 0)
            o->profile.gemm_engine = EWCL_GEMM_NATIVE;
        else if (strcmp(argument, "clblast") == 0)
            o->profile.gemm_engine = EWCL_GEMM_CLBLAST;
        else {
            cli_error("--gemm '%s' is not auto, native or clblast", argument);
            flags->bad_value = true;
        }
        return true;
    default:
        return false;
    }
}

static void print_device_list_to_stderr(void)
{
    ewcl_device_info *list = NULL;
    size_t count = 0;
    if (ewcl_devices_list(&list, &count, NULL) == EWCL_OK) {
        fputs("available devices:\n", stderr);
        cli_print_device_table(stderr, list, count, -1);
    }
    ewcl_devices_free(list);
}

int cli_open_runtime(const cli_runtime_flags *flags, ewcl_runtime **out)
{
    ewcl_error err;
    ewcl_error_clear(&err);
    const ewcl_status status = ewcl_runtime_create(&flags->options, out, &err);
    if (status == EWCL_OK)
        return CLI_EXIT_OK;
    cli_error("%s", err.message);
    if (status == EWCL_ERR_NO_DEVICE ||
        (status == EWCL_ERR_INVALID_ARGUMENT && flags->options.device[0] != '\0'))
        print_device_list_to_stderr();
    return cli_exit_code(status);
}

/* "16.0 GiB", "512 MiB". */
static void format_bytes(uint64_t bytes, char *out, size_t size)
{
    const double gib = (double)bytes / (1024.0 * 1024.0 * 1024.0);
    if (gib >= 1.0)
        snprintf(out, size, "%.1f GiB", gib);
    else
        snprintf(out, size, "%llu MiB", (unsigned long long)(bytes >> 20));
}

void cli_print_device_table(FILE *out, const ewcl_device_info *list, size_t count, long marked)
{
    fprintf(out, "  %-3s %-5s %-22s %-34s %-11s %-8s %-7s %4s %5s %9s %9s %-9s %s\n", "#",
            "P:D", "platform", "device", "type", "runtime", "vendor", "CUs", "MHz", "memory",
            "max-alloc", "OpenCL C", "usable");
    for (size_t i = 0; i < count; i++) {
        const ewcl_device_info *d = &list[i];
        char pd[24], mem[24], alloc[24], version[16];
        snprintf(pd, sizeof pd, "%d:%d", d->platform_index, d->device_index);
        format_bytes(d->global_mem_bytes, mem, sizeof mem);
        format_bytes(d->max_alloc_bytes, alloc, sizeof alloc);
        snprintf(version, sizeof version, "%d.%d", d->opencl_c_major, d->opencl_c_minor);
        fprintf(out, "%c %-3d %-5s %-22.22s %-34.34s %-11s %-8s %-7s %4u %5u %9s %9s %-9s %s%s\n",
                (long)i == marked ? '*' : ' ', d->index, pd, d->platform_name, d->name,
                ewcl_device_type_name(d->type), ewcl_cl_runtime_name(d->runtime),
                ewcl_hw_vendor_name(d->hw_vendor), d->compute_units, d->clock_mhz, mem, alloc,
                version, d->usable ? "yes" : "no: ", d->usable ? "" : d->unusable_reason);
    }
}

int cli_bad_flag(const char *command, char *const argv[], int getopt_result)
{
    const char *flag = argv[optind - 1];
    if (getopt_result == ':')
        cli_error("%s: flag '%s' needs a value (see `ewcl %s --help`)", command, flag, command);
    else if (optopt != 0 && strncmp(flag, "--", 2) == 0)
        /* A known long flag given a value it does not take (--consolidate=yes): optopt is
         * its id, not a character. */
        cli_error("%s: flag '%s' takes no value (see `ewcl %s --help`)", command, flag,
                  command);
    else if (optopt != 0)
        cli_error("%s: unknown flag '-%c' (see `ewcl %s --help`)", command, optopt, command);
    else
        cli_error("%s: unknown flag '%s' (see `ewcl %s --help`)", command, flag, command);
    return CLI_EXIT_USAGE;
}

bool cli_parse_long(const char *command, const char *flag, const char *text, long min,
                    long max, long *out)
{
    char *end = NULL;
    errno = 0;
    const long value = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || value < min || value > max) {
        cli_error("%s: %s '%s' is not a whole number in %ld..%ld", command, flag, text, min,
                  max);
        return false;
    }
    *out = value;
    return true;
}

bool cli_parse_real(const char *command, const char *flag, const char *text, double min,
                    double max, cli_interval interval, double *out)
{
    const bool open_min = interval == CLI_OPEN_MIN;
    const bool open_max = interval == CLI_OPEN_MAX;
    char *end = NULL;
    errno = 0;
    const double value = strtod(text, &end);
    const bool above_min = open_min ? value > min : value >= min;
    const bool below_max = open_max ? value < max : value <= max;
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(value) || !above_min ||
        !below_max) {
        cli_error("%s: %s '%s' is not a number in %c%g, %g%c", command, flag, text,
                  open_min ? '(' : '[', min, max, open_max ? ')' : ']');
        return false;
    }
    *out = value;
    return true;
}

bool cli_flags_done(const char *command, const cli_runtime_flags *flags, int argc,
                    char *const argv[])
{
    if (flags->bad_value)
        return false;
    if (flags->cache_dir_given && flags->no_cache_given) {
        cli_error("%s: --no-cache and --cache-dir contradict each other", command);
        return false;
    }
    if (optind < argc) {
        cli_error("%s: unexpected argument '%s'", command, argv[optind]);
        return false;
    }
    return true;
}

void cli_getopt_reset(void)
{
    optind = 1;
    opterr = 0;
}

int cli_common_flag(const char *command, const char *help, int getopt_result,
                    char *const argv[], cli_runtime_flags *flags, bool *json)
{
    if (getopt_result == 'j') {
        *json = true;
        return CLI_PARSE_CONTINUE;
    }
    if (getopt_result == 'h') {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    if (!cli_runtime_flag(flags, getopt_result, optarg))
        return cli_bad_flag(command, argv, getopt_result);
    return CLI_PARSE_CONTINUE;
}

int cli_parse_json_command(const char *command, const char *help, int argc, char **argv,
                           cli_runtime_flags *flags, bool *json)
{
    cli_runtime_flags_init(flags);
    *json = false;
    static const struct option long_options[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        CLI_RUNTIME_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    cli_getopt_reset();
    for (int c; (c = getopt_long(argc, argv, ":hv", long_options, NULL)) != -1;) {
        const int code = cli_common_flag(command, help, c, argv, flags, json);
        if (code != CLI_PARSE_CONTINUE)
            return code;
    }
    if (!cli_flags_done(command, flags, argc, argv))
        return CLI_EXIT_USAGE;
    return CLI_PARSE_CONTINUE;
}

static void print_accuracy(int width, double value)
{
    if (isfinite(value))
        printf("%*.4f", width, value);
    else
        printf("%*s", width, "-");
}

void cli_print_accuracy_matrix(const double *accuracy, const double *average, size_t tasks)
{
    /* Every column 9 wide, right-aligned, so headers sit over their numbers. */
    printf("%-9s", "");
    for (size_t j = 0; j < tasks; j++) {
        char header[32];
        snprintf(header, sizeof header, "task %zu", j + 1);
        printf("%9s", header);
    }
    printf("%10s\n", "average");
    for (size_t i = 0; i < tasks; i++) {
        printf("after %-3zu", i + 1);
        for (size_t j = 0; j < tasks; j++)
            print_accuracy(9, accuracy[i * tasks + j]);
        print_accuracy(10, average[i]);
        putchar('\n');
    }
}

int cli_print_json(struct cJSON *root, const char *out_of_memory)
{
    char *text = root != NULL ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (text == NULL) {
        cli_error("%s", out_of_memory);
        return CLI_EXIT_RUNTIME;
    }
    printf("%s\n", text);
    cJSON_free(text);
    return CLI_EXIT_OK;
}
