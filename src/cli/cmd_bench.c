/* `ewcl bench`: dispatches to one measurement. */
#include <string.h>

#include "bench.h"
#include "cli_common.h"
#include "commands.h"

static const char bench_help[] =
    "usage: ewcl bench <what> [flags]   (`ewcl bench <what> --help` for its flags)\n"
    "\n"
    "  startup   seconds from process start to a ready runtime, cold and warm caches\n"
    "  gemm      GFLOP/s of each GEMM engine at the model's shapes and a large square\n"
    "  step      milliseconds per training step of the default network, images/s\n"
    "  fisher    milliseconds for the Fisher estimate of the default network (N = 1024)\n"
    "  update    GB/s of the fused EWC update, beside the device's copy bandwidth\n"
    "  epoch     seconds per training epoch on real data, split by kernel family (OpenCL\n"
    "            profiling events) and idle / launch gaps\n"
    "\n"
    "Every figure is the median of repeated runs; quote what else the machine was doing.\n";

int cmd_bench(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } benches[] = {{"startup", bench_startup}, {"gemm", bench_gemm},     {"step", bench_step},
                   {"fisher", bench_fisher},   {"update", bench_update},
                   {"epoch", bench_epoch}};
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(bench_help, stdout);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; argc >= 2 && i < sizeof benches / sizeof benches[0]; i++)
        if (strcmp(argv[1], benches[i].name) == 0)
            return benches[i].run(argc - 1, argv + 1);
    if (argc >= 2)
        cli_error("bench: unknown measurement '%s' (startup, gemm, step, fisher, update or "
                  "epoch)", argv[1]);
    else
        cli_error("bench: name what to measure: startup, gemm, step, fisher, update or epoch "
                  "(see `ewcl bench --help`)");
    return CLI_EXIT_USAGE;
}
