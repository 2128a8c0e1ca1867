/* `ewcl train`'s checkpoints: the flags (--checkpoint-dir, --checkpoint-every,
 * --checkpoint-keep, --resume), finding the checkpoint to resume from, the run's history
 * replayed into the new log, and SIGINT/SIGTERM turned into a stop request. */
#ifndef EWCL_CLI_TRAIN_RESUME_H
#define EWCL_CLI_TRAIN_RESUME_H

#include <stdbool.h>
#include <stdint.h>

#include "cli_common.h"

/* getopt_long ids, past train's own (2000 …) and below the extensions' (3000 …). */
enum train_checkpoint_flag_id {
    TRAIN_FLAG_CHECKPOINT_DIR = 2600,
    TRAIN_FLAG_CHECKPOINT_EVERY,
    TRAIN_FLAG_CHECKPOINT_KEEP,
    TRAIN_FLAG_RESUME
};

#define TRAIN_CHECKPOINT_LONG_OPTIONS                                                \
    {"checkpoint-dir", required_argument, NULL, TRAIN_FLAG_CHECKPOINT_DIR},         \
    {"checkpoint-every", required_argument, NULL, TRAIN_FLAG_CHECKPOINT_EVERY},     \
    {"checkpoint-keep", required_argument, NULL, TRAIN_FLAG_CHECKPOINT_KEEP},       \
    {"resume", required_argument, NULL, TRAIN_FLAG_RESUME}

#define TRAIN_CHECKPOINT_FLAGS_HELP                                                            \
    "checkpoints (see README, \"Checkpoints and resume\"):\n"                                  \
    "  --checkpoint-dir DIR             where checkpoints go (default: <log folder>/\n"        \
    "                                   checkpoints; none with --no-log): the whole state\n"    \
    "                                   after every task, written atomically\n"                \
    "  --checkpoint-every N             also every N iterations (default: only per task)\n"    \
    "  --checkpoint-keep N              keep the newest N checkpoints (2)\n"                    \
    "  --resume DIR                     continue from the newest valid checkpoint in DIR\n"    \
    "                                   with its settings (flags that contradict them are\n"   \
    "                                   refused); bit-identical to an uninterrupted run on\n"  \
    "                                   the same device, equal up to rounding on another\n"    \
    "Ctrl-C or SIGTERM: the current step finishes, a checkpoint is written and ewcl exits\n"  \
    "130 or 143 with the --resume line to continue (a second Ctrl-C stops at once).\n"       \
    "\n"

typedef struct train_checkpoint_request {
    char dir[EWCL_PATH_MAX];    /* --checkpoint-dir ("": the default) */
    char resume[EWCL_PATH_MAX]; /* --resume ("": a fresh run) */
    uint64_t every;
    size_t keep;
} train_checkpoint_request;

void train_checkpoint_request_init(train_checkpoint_request *k);

/* Takes one of the flags above: true with *code CLI_EXIT_OK, or CLI_EXIT_USAGE after one
 * line for a bad value; false for any other flag. */
bool train_checkpoint_flag(train_checkpoint_request *k, int id, const char *value, int *code);

/* --resume: the newest valid checkpoint in k->resume that the flags agree with. Refused
 * files are named on stderr; *out NULL (with a line saying so) when the folder holds none
 * yet, so the run starts fresh. `config` holds the flags' settings on entry and the
 * checkpoint's on return. The exit code. */
int train_resume_find(const train_checkpoint_request *k, const cli_runtime_flags *flags,
                      int (*reparse)(void *user, ewcl_train_config *config), void *user,
                      ewcl_train_config *config, ewcl_checkpoint **out);

/* The log folder of a resumed run when none was given: the parent of a checkpoint folder
 * named "checkpoints" (the default layout), else "" (a new one). */
void train_resume_log_dir(const char *checkpoint_dir, char *out, size_t size);

/* The checkpoint's logged points into `log`, so that the files cover the whole run. */
ewcl_status train_resume_replay(const ewcl_checkpoint *ck, ewcl_report_log *log,
                                ewcl_error *err);

typedef struct train_request train_request;

/* --resume before anything else: the checkpoint (*out, NULL for a fresh start), the run's
 * settings into r->config (the flags parsed again on top of the checkpoint's, any
 * contradiction refused) and, without --log-dir, the run's own log folder. The exit code. */
int train_resume_prepare(train_request *r, const cli_runtime_flags *flags, int argc,
                         char **argv, ewcl_checkpoint **out);

/* Once the log is open: the checkpoint folder (the resumed one, --checkpoint-dir, else
 * <log folder>/checkpoints; created and checked for writing), the resumed run's history
 * replayed into `log`, the signal handlers installed; *out for
 * ewcl_train_run_checkpointed. The exit code. */
int train_checkpoint_setup(train_request *r, ewcl_report_log *log, const ewcl_checkpoint *resume,
                           ewcl_train_checkpointing *out);

/* A run stopped by a signal: one line with the checkpoint and the --resume command. The
 * exit code, 128 + the signal (130 SIGINT, 143 SIGTERM). */
int train_report_stop(const train_request *r, const ewcl_train_result *result);

/* SIGINT and SIGTERM set a flag that train_signals_stop_requested reports (the second one
 * kills as usual); SIGXFSZ is ignored so that a file size limit is a write error, not a
 * kill. */
void train_signals_install(void);
/* For ewcl_train_callbacks.stop_requested. */
bool train_signals_stop_requested(void *user);
/* The signal that asked for the stop (0: none). */
int train_signals_received(void);

#endif
