/* ewcl — the command line: dispatches to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "commands.h"

static const char usage[] =
    "usage: ewcl <command> [flags]\n"
    "\n"
    "Portable OpenCL continual learning with Elastic Weight Consolidation.\n"
    "\n"
    "commands:\n"
    "  devices   list every OpenCL platform and device, and which one would be used\n"
    "  warmup    build every kernel program on the selected device (fills the cache)\n"
    "  bench     measure speed: `ewcl bench startup`\n"
    "  train     continual learning on permuted (Fashion-)MNIST, plain SGD or EWC\n"
    "  eval      a saved checkpoint's accuracy on every task it has seen\n"
    "  compare   the same training run on several devices: speed, results, agreement\n"
    "  report    runs side by side from their folders: settings, accuracy, BWT, times\n"
    "  help      this text\n"
    "\n"
    "`ewcl <command> --help` lists a command's flags. `ewcl --version` prints the version.\n"
    "\n"
    "device selectors (--device, or $EWCL_DEVICE; a flag beats the variable beats auto):\n"
    "  auto                discrete GPU, then integrated GPU, then CPU, then accelerator\n"
    "  3                   flat index, as `ewcl devices` numbers them\n"
    "  1:0                 platform 1, device 0\n"
    "  type:gpu|cpu|accelerator      runtime:pocl|oclgrind|nvidia|amd|intel|rusticl|...\n"
    "  vendor:nvidia|amd|intel|arm|apple|qualcomm\n"
    "  name:TEXT           device name contains TEXT    platform:TEXT  platform name does\n"
    "  gpu, cpu, pocl, nvidia, ...   bare shorthands; any other bare word is name:WORD\n"
    "  terms joined by commas must all match, e.g. --device runtime:pocl,name:basic\n"
    "\n"
    "exit codes: 0 ok, 1 runtime error, 2 usage error, 3 no usable OpenCL device\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return CLI_EXIT_USAGE;
    }
    const char *command = argv[1];
    if (strcmp(command, "help") == 0 || strcmp(command, "--help") == 0 ||
        strcmp(command, "-h") == 0) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(command, "--version") == 0) {
        printf("ewcl %s\n", ewcl_version());
        return CLI_EXIT_OK;
    }
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {
        {"devices", cmd_devices},
        {"warmup", cmd_warmup},
        {"bench", cmd_bench},
        {"train", cmd_train},
        {"eval", cmd_eval},
        {"compare", cmd_compare},
        {"report", cmd_report},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(command, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    cli_error("unknown command '%s' (run `ewcl help`)", command);
    return CLI_EXIT_USAGE;
}
