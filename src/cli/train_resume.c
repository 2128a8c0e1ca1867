/* `ewcl train --resume` and the checkpoint flags: which checkpoint, with which settings,
 * and the run's history carried into the resumed run's files. */
#define _POSIX_C_SOURCE 200809L /* stat */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "train_request.h"
#include "train_resume.h"

void train_checkpoint_request_init(train_checkpoint_request *k)
{
    memset(k, 0, sizeof *k);
    k->keep = 2;
}

static bool copy_path(const char *flag, const char *value, char *out, size_t size)
{
    if (value[0] == '\0' || (size_t)snprintf(out, size, "%s", value) >= size) {
        cli_error("train: %s '%s' is empty or too long", flag, value);
        return false;
    }
    return true;
}

bool train_checkpoint_flag(train_checkpoint_request *k, int id, const char *value, int *code)
{
    long number = 0;
    bool ok = true;
    switch (id) {
    case TRAIN_FLAG_CHECKPOINT_DIR:
        ok = copy_path("--checkpoint-dir", value, k->dir, sizeof k->dir);
        break;
    case TRAIN_FLAG_RESUME:
        ok = copy_path("--resume", value, k->resume, sizeof k->resume);
        break;
    case TRAIN_FLAG_CHECKPOINT_EVERY:
        ok = cli_parse_long("train", "--checkpoint-every", value, 1, 1000000000L, &number);
        k->every = (uint64_t)number;
        break;
    case TRAIN_FLAG_CHECKPOINT_KEEP:
        ok = cli_parse_long("train", "--checkpoint-keep", value, 1, 1000000L, &number);
        k->keep = (size_t)number;
        break;
    default:
        return false;
    }
    *code = ok ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    return true;
}

static ewcl_status find(const char *dir, const ewcl_train_config *config,
                        const cli_runtime_flags *flags, ewcl_checkpoint **out, char *path,
                        size_t size)
{
    ewcl_error err;
    ewcl_error_clear(&err);
    const ewcl_status s = ewcl_checkpoint_find(dir, config, flags->options.log,
                                               flags->options.log_user, out, path, size, &err);
    if (s != EWCL_OK)
        cli_error("train: --resume: %s", err.message);
    return s;
}

int train_resume_find(const train_checkpoint_request *k, const cli_runtime_flags *flags,
                      int (*reparse)(void *user, ewcl_train_config *config), void *user,
                      ewcl_train_config *config, ewcl_checkpoint **out)
{
    *out = NULL;
    char path[EWCL_PATH_MAX];
    ewcl_checkpoint *newest = NULL;
    struct stat st;
    if (stat(k->resume, &st) != 0 && errno == ENOENT) {
        fprintf(stderr, "ewcl: no checkpoint folder %s yet: starting a fresh run\n", k->resume);
        return CLI_EXIT_OK;
    }
    if (find(k->resume, NULL, flags, &newest, path, sizeof path) != EWCL_OK)
        return CLI_EXIT_RUNTIME;
    if (newest == NULL) {
        fprintf(stderr, "ewcl: no checkpoint in %s yet: starting a fresh run\n", k->resume);
        return CLI_EXIT_OK;
    }
    /* The flags on top of the checkpoint's settings: any flag that changes one contradicts
     * it, even one given at its default value. */
    ewcl_train_config wanted = *ewcl_checkpoint_config(newest);
    int code = reparse(user, &wanted);
    ewcl_error err;
    ewcl_error_clear(&err);
    if (code == CLI_EXIT_OK &&
        ewcl_checkpoint_check_config(newest, &wanted, &err) != EWCL_OK) {
        /* An older checkpoint of the settings asked for (the newest belongs to another
         * run), or the line that names the setting. */
        ewcl_checkpoint *older = NULL;
        cli_runtime_flags quiet = *flags;
        quiet.options.log = NULL; /* one line says it all, below */
        if (find(k->resume, &wanted, &quiet, &older, path, sizeof path) != EWCL_OK)
            code = CLI_EXIT_RUNTIME;
        else if (older == NULL) {
            cli_error("train: --resume %s: %s", k->resume, err.message);
            code = CLI_EXIT_USAGE;
        } else {
            fprintf(stderr, "ewcl: warning: newer checkpoints in %s belong to another run "
                    "(%s); resuming the one that matches the flags\n", k->resume, err.message);
            ewcl_checkpoint_destroy(newest);
            newest = older;
        }
    }
    if (code != CLI_EXIT_OK) {
        ewcl_checkpoint_destroy(newest);
        return code;
    }
    *config = wanted;
    const ewcl_checkpoint_position p = ewcl_checkpoint_where(newest);
    fprintf(stderr,
            "ewcl: resuming from %s: task %zu/%zu, epoch %zu, batch %zu, iteration %llu "
            "(written on %s)\n",
            path, p.task < p.task_count ? p.task + 1 : p.task_count, p.task_count, p.epoch + 1,
            p.batch, (unsigned long long)p.iteration, ewcl_checkpoint_device(newest));
    *out = newest;
    return CLI_EXIT_OK;
}

void train_resume_log_dir(const char *checkpoint_dir, char *out, size_t size)
{
    out[0] = '\0';
    char dir[EWCL_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", checkpoint_dir);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        dir[--n] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash == NULL || strcmp(slash + 1, "checkpoints") != 0)
        return;
    *slash = '\0';
    snprintf(out, size, "%s", slash == dir ? "/" : dir);
}

ewcl_status train_resume_replay(const ewcl_checkpoint *ck, ewcl_report_log *log,
                                ewcl_error *err)
{
    static const ewcl_report_kind kinds[] = {EWCL_REPORT_LOSS, EWCL_REPORT_EVAL,
                                             EWCL_REPORT_TASK_END};
    ewcl_status s = EWCL_OK;
    for (size_t i = 0; i < ewcl_checkpoint_point_count(ck) && s == EWCL_OK; i++) {
        const ewcl_train_point p = ewcl_checkpoint_point(ck, i);
        if (p.kind == EWCL_TRAIN_POINT_LOSS)
            s = ewcl_report_log_loss(log, p.iteration, p.task, p.epoch, p.cross_entropy,
                                     p.ewc_loss, p.total_loss, err);
        else
            s = ewcl_report_log_accuracy(log, kinds[p.kind], p.iteration, p.task, p.epoch,
                                         p.accuracy, p.tasks_seen, err);
    }
    return s;
}

/* ---- Around ewcl_train_run_checkpointed ------------------------------------------------ */

/* The flags parsed again on top of a checkpoint's settings (train_resume_find). */
typedef struct reparse_args {
    int argc;
    char **argv;
} reparse_args;

static int reparse(void *user, ewcl_train_config *config)
{
    const reparse_args *a = user;
    train_request again;
    train_request_init(&again);
    again.config = *config;
    cli_runtime_flags flags;
    cli_runtime_flags_init(&flags);
    const int code = train_request_parse(a->argc, a->argv, NULL, &again, &flags);
    *config = again.config;
    return code;
}

int train_resume_prepare(train_request *r, const cli_runtime_flags *flags, int argc,
                         char **argv, ewcl_checkpoint **out)
{
    *out = NULL;
    train_checkpoint_request *k = &r->checkpoint;
    if (k->resume[0] == '\0')
        return CLI_EXIT_OK;
    if (k->dir[0] != '\0' && strcmp(k->dir, k->resume) != 0) {
        cli_error("train: --checkpoint-dir %s and --resume %s differ: a resumed run goes on "
                  "writing into the folder it resumes from",
                  k->dir, k->resume);
        return CLI_EXIT_USAGE;
    }
    reparse_args args = {argc, argv};
    const int code = train_resume_find(k, flags, reparse, &args, &r->config, out);
    if (code == CLI_EXIT_OK && r->log_dir[0] == '\0' && !r->no_log)
        train_resume_log_dir(k->resume, r->log_dir, sizeof r->log_dir);
    return code;
}

int train_checkpoint_setup(train_request *r, ewcl_report_log *log, const ewcl_checkpoint *resume,
                           ewcl_train_checkpointing *out)
{
    train_checkpoint_request *k = &r->checkpoint;
    ewcl_train_checkpointing_default(out);
    out->every = k->every;
    out->keep = k->keep;
    out->resume = resume;
    if (k->resume[0] != '\0')
        snprintf(k->dir, sizeof k->dir, "%s", k->resume);
    else if (k->dir[0] == '\0' && r->log_dir[0] != '\0' && !r->no_log &&
             (size_t)snprintf(k->dir, sizeof k->dir, "%s/checkpoints", r->log_dir) >=
                 sizeof k->dir) {
        cli_error("train: checkpoint folder path too long under %s", r->log_dir);
        return CLI_EXIT_USAGE;
    }
    ewcl_error err;
    ewcl_error_clear(&err);
    ewcl_status s = EWCL_OK;
    if (k->dir[0] != '\0') {
        out->dir = k->dir;
        s = ewcl_report_prepare_dir(k->dir, &err);
    }
    if (s == EWCL_OK && resume != NULL && log != NULL)
        s = train_resume_replay(resume, log, &err);
    if (s != EWCL_OK) {
        cli_error("train: %s", err.message);
        return CLI_EXIT_RUNTIME;
    }
    train_signals_install();
    return CLI_EXIT_OK;
}

int train_report_stop(const train_request *r, const ewcl_train_result *result)
{
    const int signal_number = train_signals_received();
    const char *name = signal_number == SIGINT ? "SIGINT" : "SIGTERM";
    if (result->checkpoint[0] != '\0')
        cli_error("interrupted (%s) after iteration %llu: checkpoint %s written; continue with "
                  "`ewcl train --resume %s`",
                  name, (unsigned long long)result->iterations, result->checkpoint,
                  r->checkpoint.dir);
    else
        cli_error("interrupted (%s) after iteration %llu; no checkpoint (no checkpoint folder: "
                  "--no-log without --checkpoint-dir), the run cannot be resumed",
                  name, (unsigned long long)result->iterations);
    return 128 + (signal_number != 0 ? signal_number : SIGTERM);
}
