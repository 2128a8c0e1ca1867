/* `ewcl warmup`: open the selected device and build every kernel program on it, filling
 * the program cache, so that later runs start at once. */
#define _POSIX_C_SOURCE 200809L
#include <time.h>

#include "cli_common.h"
#include "commands.h"

static const char warmup_help[] =
    "usage: ewcl warmup [--device SEL] [--kernel-dir DIR] [--cache-dir DIR] [--no-cache]\n"
    "                   [--quiet] [-v]\n"
    "\n"
    "Builds every kernel program on the selected device (or loads it from the program\n"
    "cache) and says how each one was obtained.\n"
    "\n"
    "  --quiet            print nothing on success (for timing)\n" CLI_RUNTIME_FLAGS_HELP;

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + 1e-9 * (double)(now.tv_nsec - start->tv_nsec);
}

int cmd_warmup(int argc, char **argv)
{
    cli_runtime_flags flags;
    cli_runtime_flags_init(&flags);
    bool quiet = false;
    static const struct option long_options[] = {
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        CLI_RUNTIME_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    cli_getopt_reset();
    for (int c; (c = getopt_long(argc, argv, ":hqv", long_options, NULL)) != -1;) {
        if (c == 'q')
            quiet = true;
        else if (c == 'h') {
            fputs(warmup_help, stdout);
            return CLI_EXIT_OK;
        } else if (!cli_runtime_flag(&flags, c, optarg))
            return cli_bad_flag("warmup", argv, c);
    }
    if (!cli_flags_done("warmup", &flags, argc, argv))
        return CLI_EXIT_USAGE;

    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    ewcl_runtime *rt = NULL;
    int code = cli_open_runtime(&flags, &rt);
    if (code != CLI_EXIT_OK)
        return code;
    const ewcl_device_info *device = ewcl_runtime_device(rt);
    const ewcl_status status = ewcl_runtime_warmup(rt);
    if (status != EWCL_OK) {
        cli_error("%s", ewcl_runtime_error(rt)->message);
        code = cli_exit_code(status);
    } else if (!quiet) {
        ewcl_program_stats stats;
        ewcl_runtime_program_stats(rt, &stats);
        printf("device %d (%d:%d) %s [%s]: %zu kernel programs ready in %.3f s\n",
               device->index, device->platform_index, device->device_index, device->name,
               ewcl_cl_runtime_name(device->runtime), ewcl_program_count(),
               seconds_since(&start));
        for (size_t i = 0; i < ewcl_program_count(); i++)
            printf("  %s\n", ewcl_program_name(i));
        printf("built from source: %u, loaded from cache: %u, cache entries rejected: %u, "
               "written: %u\n",
               stats.built_from_source, stats.loaded_from_cache, stats.cache_rejected,
               stats.cache_written);
    }
    ewcl_runtime_destroy(rt);
    return code;
}
