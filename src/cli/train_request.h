/* What `ewcl train`'s flags ask for: parsed by one function (in cmd_train.c) for every
 * command that runs the experiment — `train` itself, `compare` (the same run on several
 * devices) and `bench epoch` — so that they accept the same flags with the same checks. */
#ifndef EWCL_CLI_TRAIN_REQUEST_H
#define EWCL_CLI_TRAIN_REQUEST_H

#include "cli_common.h"
#include "train_resume.h"

/* What the command line asked for. */
typedef struct train_request {
    ewcl_train_config config;
    char data_dir[EWCL_PATH_MAX];
    char data_dir_used[EWCL_PATH_MAX]; /* resolved, for config.json */
    char log_dir[EWCL_PATH_MAX];       /* empty: runs/<timestamp>-<plain|ewc> */
    bool no_log;                       /* --no-log: no files at all */
    bool json;                         /* the summary as summary.json's JSON on stdout */
    bool quiet, compat;
    bool mode_given, labels_given; /* kept when --pytorch-ewc-compat applies its preset */
    bool no_gpus, no_pad, pad_given; /* to refuse --no-gpus with --device, --no-pad with --pad */
    train_checkpoint_request checkpoint; /* --checkpoint-dir/-every/-keep, --resume */
} train_request;

/* Flag ids of a command's own flags start here, past train's and the runtime's. */
#define TRAIN_EXTRA_FLAG_FIRST 3000

/* Returned by a command's flag handler for an option it leaves to train. */
#define TRAIN_FLAG_PASS (-1)

/* The flags a command adds to train's. `handle` sees every option first (train's and the
 * runtime's too, by id, so that it can refuse one that makes no sense for it) and returns
 * CLI_EXIT_OK when it took it, TRAIN_FLAG_PASS to leave it to train, or an exit code after
 * printing one line. */
typedef struct train_flag_extension {
    const char *command;          /* names the command in messages, e.g. "compare" */
    const char *help;             /* printed for --help instead of train's */
    const struct option *options; /* ids >= TRAIN_EXTRA_FLAG_FIRST, ended by a zero entry */
    int (*handle)(void *user, int id, const char *value);
    void *user;
} train_flag_extension;

/* Defaults: pytorch-ewc's settings (ewcl_train_config_default), no data or log folder. */
void train_request_init(train_request *r);

/* Parses argv into `r` and the runtime flags (`extra` may be NULL: train's flags alone).
 * CLI_EXIT_OK to go on, -1 after --help, else the exit code (one line printed). */
int train_request_parse(int argc, char **argv, const train_flag_extension *extra,
                        train_request *r, cli_runtime_flags *flags);

/* Resolves the data folder (--data-dir, $EWCL_DATA_DIR, Debian's), loads it and checks the
 * sizes that depend on it; `command` names the command in the one line printed on error.
 * The exit code. */
int train_request_load_data(const char *command, train_request *r, ewcl_idx_data *data);

/* Makes the default run folder runs/<YYYYmmdd-HHMMSS>-<kind> (-2, -3, … when taken) and
 * puts it in r->log_dir; `command` names the command in the one line printed on error. The
 * exit code. */
int train_request_default_log_dir(const char *command, const char *kind, train_request *r);

#endif
