/* The subcommands of `ewcl`: each takes its own argv (argv[0] = the command's name) and
 * returns the process exit code. */
#ifndef EWCL_CLI_COMMANDS_H
#define EWCL_CLI_COMMANDS_H

int cmd_devices(int argc, char **argv);
int cmd_warmup(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
