/* `ewcl train`: pytorch-ewc's experiment — every one of its flags, with its defaults — on
 * any OpenCL device: the progress on the console, then the accuracy matrix, average
 * accuracy, backward transfer, forgetting and where the time went. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_common.h"
#include "commands.h"
#include "train_request.h"
#include "train_resume.h"

/* In parts: ISO C caps a string literal at 4095 characters. */
static const char *const train_help[] = {
    "usage: ewcl train [flags]\n"
    "\n"
    "Trains an MLP on a sequence of permuted (Fashion-)MNIST tasks — each task applies its\n"
    "own fixed random permutation to the padded pixels (28x28 -> 32x32) — with plain SGD or\n"
    "with Elastic Weight Consolidation (--consolidate): after every task but the last, the\n"
    "diagonal Fisher F of that task is estimated and later training adds the penalty\n"
    "    (lambda/2) * sum_i F_i * (theta_i - theta*_i)^2      (note the 1/2)\n"
    "At the end it prints the accuracy matrix R[i][j] (after task i, on the full test set of\n"
    "task j), the average accuracy, backward transfer\n"
    "    BWT = 1/(T-1) * sum_{j<T} (R[T][j] - R[j][j])        (normaliser T-1)\n"
    "and forgetting (mean over old tasks of their best accuracy minus their final one).\n"
    "\n",
    "pytorch-ewc's flags (same names, same defaults):\n"
    "  --hidden-size N                  units per hidden layer (400)\n"
    "  --hidden-layer-num N             hidden->hidden layers after the first (2)\n"
    "  --hidden-dropout-prob P          dropout after each hidden layer (0.5)\n"
    "  --input-dropout-prob P           dropout on the input pixels (0.2)\n"
    "  --task-number N                  tasks (8)\n"
    "  --epochs-per-task N              epochs per task (3)\n"
    "  --lamda X, --lambda X            EWC strength lambda of the penalty above (40)\n"
    "  --lr X                           SGD learning rate (0.1)\n"
    "  --weight-decay X                 L2 weight decay (0)\n"
    "  --batch-size N                   training batch (128; an epoch's last batch may be\n"
    "                                   smaller)\n"
    "  --test-size N                    test images per task at each periodic evaluation\n"
    "                                   (1024, at most the test set; every task's end is\n"
    "                                   evaluated on the full test sets)\n"
    "  --fisher-estimation-sample-size N  training images the Fisher is estimated from\n"
    "                                   (1024, at most the training set)\n"
    "  --random-seed N                  seeds everything: weights, dropout, permutations,\n"
    "                                   shuffles, subsets (0); same seed, same device: the\n"
    "                                   same run\n"
    "  --no-gpus                        run on a CPU device (= --device cpu)\n"
    "  --eval-log-interval N            iterations (batches) between evaluations (250)\n"
    "  --loss-log-interval N            iterations between loss reports (250)\n"
    "  --consolidate                    EWC on (off: the plain-SGD baseline)\n"
    "  --consolidate-last               with --consolidate, also consolidate after the last\n"
    "                                   task (its Fisher too), so that a later run can\n"
    "                                   continue from this one\n"
    "\n",
    "ewcl's own:\n"
    "  --data-dir DIR                   MNIST-format IDX files (default: $EWCL_DATA_DIR,\n"
    "                                   else " EWCL_DATA_DIR_DEFAULT ")\n"
    "  --ewc-mode MODE                  separate (the paper: one penalty per past task,\n"
    "                                   default), online (F <- gamma*F + F_t, theta* <- theta)\n"
    "                                   or overwrite (only the latest task: pytorch-ewc)\n"
    "  --gamma X                        online mode's decay in [0, 1] (1)\n"
    "  --fisher-labels L                true (the data's labels, the empirical Fisher,\n"
    "                                   default), sample (drawn from the model, the paper),\n"
    "                                   pred (argmax) or all (exact expectation)\n"
    "  --fisher-dropout                 estimate the Fisher with dropout on (default off)\n"
    "  --penalty-step S                 explicit (plain SGD on the penalty, as the\n"
    "                                   references; default; diverges once\n"
    "                                   lr*lambda*max(summed F) >= 2, which consolidation\n"
    "                                   warns about) or implicit (the exact proximal step\n"
    "                                   of the penalty, stable for any lambda)\n"
    "  --pytorch-ewc-compat             reproduce pytorch-ewc: shared hidden weights, its\n"
    "                                   dropout placement, overwrite mode, Fisher with\n"
    "                                   dropout on (explicit --ewc-mode, --fisher-labels\n"
    "                                   still apply)\n"
    "  --pad N                          zero pixels added on each side of an image (2:\n"
    "                                   28x28 -> 32x32 as pytorch-ewc; 0 to 64)\n"
    "  --no-pad                         = --pad 0 (28x28 stays 784 inputs)\n"
    "  --normalize MEAN,STD             inputs are (pixel/255 - MEAN) / STD (default: the\n"
    "                                   training set's own pixel mean and std)\n"
    "\n",
    "Output:\n"
    "  --quiet                          print only the summary\n"
    "  --json                           print the summary as JSON on stdout instead of the\n"
    "                                   table (the content of summary.json; no progress)\n"
    "  --log-dir DIR                    write the run's files into DIR, created with its\n"
    "                                   parents (default: runs/<YYYYmmdd-HHMMSS>-<plain|ewc>\n"
    "                                   under the current directory, -2, -3, ... when taken):\n"
    "                                   config.json (every setting, the device, the version),\n"
    "                                   metrics.csv (a row per loss report and evaluation),\n"
    "                                   summary.json (the accuracy matrix, metrics, times),\n"
    "                                   accuracy.svg and loss.svg; `ewcl report DIR...`\n"
    "                                   prints runs side by side\n"
    "  --no-log                         write no files\n"
    "\n"
    "On a terminal the progress is one live line; otherwise one line per loss report and\n"
    "evaluation.\n"
    "\n",
    TRAIN_CHECKPOINT_FLAGS_HELP,
    CLI_RUNTIME_FLAGS_HELP,
};

/* MNIST and Fashion-MNIST: ten classes. */
#define TRAIN_CLASSES 10

enum train_flag_id {
    FLAG_HIDDEN_SIZE = 2000,
    FLAG_HIDDEN_LAYER_NUM,
    FLAG_HIDDEN_DROPOUT,
    FLAG_INPUT_DROPOUT,
    FLAG_TASK_NUMBER,
    FLAG_EPOCHS,
    FLAG_LAMBDA,
    FLAG_LR,
    FLAG_WEIGHT_DECAY,
    FLAG_BATCH_SIZE,
    FLAG_TEST_SIZE,
    FLAG_FISHER_SIZE,
    FLAG_SEED,
    FLAG_NO_GPUS,
    FLAG_EVAL_INTERVAL,
    FLAG_LOSS_INTERVAL,
    FLAG_CONSOLIDATE,
    FLAG_DATA_DIR,
    FLAG_EWC_MODE,
    FLAG_GAMMA,
    FLAG_FISHER_LABELS,
    FLAG_FISHER_DROPOUT,
    FLAG_PENALTY_STEP,
    FLAG_COMPAT,
    FLAG_QUIET,
    FLAG_LOG_DIR,
    FLAG_NO_LOG,
    FLAG_JSON,
    FLAG_CONSOLIDATE_LAST,
    FLAG_PAD,
    FLAG_NO_PAD,
    FLAG_NORMALIZE
};

static const struct option train_options[] = {
    {"hidden-size", required_argument, NULL, FLAG_HIDDEN_SIZE},
    {"hidden-layer-num", required_argument, NULL, FLAG_HIDDEN_LAYER_NUM},
    {"hidden-dropout-prob", required_argument, NULL, FLAG_HIDDEN_DROPOUT},
    {"input-dropout-prob", required_argument, NULL, FLAG_INPUT_DROPOUT},
    {"task-number", required_argument, NULL, FLAG_TASK_NUMBER},
    {"epochs-per-task", required_argument, NULL, FLAG_EPOCHS},
    {"lamda", required_argument, NULL, FLAG_LAMBDA},
    {"lambda", required_argument, NULL, FLAG_LAMBDA},
    {"lr", required_argument, NULL, FLAG_LR},
    {"weight-decay", required_argument, NULL, FLAG_WEIGHT_DECAY},
    {"batch-size", required_argument, NULL, FLAG_BATCH_SIZE},
    {"test-size", required_argument, NULL, FLAG_TEST_SIZE},
    {"fisher-estimation-sample-size", required_argument, NULL, FLAG_FISHER_SIZE},
    {"random-seed", required_argument, NULL, FLAG_SEED},
    {"no-gpus", no_argument, NULL, FLAG_NO_GPUS},
    {"eval-log-interval", required_argument, NULL, FLAG_EVAL_INTERVAL},
    {"loss-log-interval", required_argument, NULL, FLAG_LOSS_INTERVAL},
    {"consolidate", no_argument, NULL, FLAG_CONSOLIDATE},
    {"data-dir", required_argument, NULL, FLAG_DATA_DIR},
    {"ewc-mode", required_argument, NULL, FLAG_EWC_MODE},
    {"gamma", required_argument, NULL, FLAG_GAMMA},
    {"fisher-labels", required_argument, NULL, FLAG_FISHER_LABELS},
    {"fisher-dropout", no_argument, NULL, FLAG_FISHER_DROPOUT},
    {"penalty-step", required_argument, NULL, FLAG_PENALTY_STEP},
    {"pytorch-ewc-compat", no_argument, NULL, FLAG_COMPAT},
    {"quiet", no_argument, NULL, FLAG_QUIET},
    {"log-dir", required_argument, NULL, FLAG_LOG_DIR},
    {"no-log", no_argument, NULL, FLAG_NO_LOG},
    {"json", no_argument, NULL, FLAG_JSON},
    {"consolidate-last", no_argument, NULL, FLAG_CONSOLIDATE_LAST},
    {"pad", required_argument, NULL, FLAG_PAD},
    {"no-pad", no_argument, NULL, FLAG_NO_PAD},
    {"normalize", required_argument, NULL, FLAG_NORMALIZE},
    {"help", no_argument, NULL, 'h'},
    TRAIN_CHECKPOINT_LONG_OPTIONS,
    CLI_RUNTIME_LONG_OPTIONS,
    {NULL, 0, NULL, 0},
};

/* ---- Flag values --------------------------------------------------------------------- */

/* The command the messages below name: train, or one that reuses its flags (set by
 * train_request_parse). */
static const char *flag_command = "train";

/* A finite number in [min, max] (or (min, max] when `open_min`), stored as a float. */
static bool parse_real(const char *flag, const char *text, double min, double max,
                       bool open_min, float *out)
{
    double value = 0.0;
    if (!cli_parse_real(flag_command, flag, text, min, max,
                        open_min ? CLI_OPEN_MIN : CLI_CLOSED, &value))
        return false;
    *out = (float)value;
    return true;
}

/* A dropout probability: [0, 1). */
static bool parse_probability(const char *flag, const char *text, float *out)
{
    double value = 0.0;
    if (!cli_parse_real(flag_command, flag, text, 0.0, 1.0, CLI_OPEN_MAX, &value))
        return false;
    *out = (float)value;
    return true;
}

/* --normalize MEAN,STD: two finite numbers, STD > 0 (pixels are scaled to [0, 1] first). */
static bool parse_normalize(const char *text, double *mean, double *std)
{
    char *end = NULL;
    errno = 0;
    const double m = strtod(text, &end);
    bool ok = end != text && *end == ',' && errno != ERANGE && isfinite(m);
    const char *second = ok ? end + 1 : text;
    const double s = ok ? strtod(second, &end) : 0.0;
    ok = ok && end != second && *end == '\0' && errno != ERANGE && isfinite(s) && s > 0.0;
    if (!ok) {
        cli_error("train: --normalize '%s' is not MEAN,STD (two finite numbers, STD > 0)",
                  text);
        return false;
    }
    *mean = m;
    *std = s;
    return true;
}

static bool parse_count(const char *flag, const char *text, long min, long max, size_t *out)
{
    long value = 0;
    if (!cli_parse_long(flag_command, flag, text, min, max, &value))
        return false;
    *out = (size_t)value;
    return true;
}

/* One of `names` (in enum order). */
static bool parse_choice(const char *flag, const char *text, const char *const *names,
                         size_t count, const char *listing, int *out)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = (int)i;
            return true;
        }
    cli_error("%s: %s '%s' is not %s", flag_command, flag, text, listing);
    return false;
}

static bool parse_enum_flag(train_request *r, int id, const char *text)
{
    static const char *const modes[] = {"separate", "online", "overwrite"};
    static const char *const labels[] = {"true", "sample", "pred", "all"};
    static const char *const steps[] = {"explicit", "implicit"};
    ewcl_ewc_config *e = &r->config.ewc;
    int value = 0;
    switch (id) {
    case FLAG_EWC_MODE:
        if (!parse_choice("--ewc-mode", text, modes, 3, "separate, online or overwrite", &value))
            return false;
        e->mode = (ewcl_ewc_mode)value;
        r->mode_given = true;
        return true;
    case FLAG_FISHER_LABELS:
        if (!parse_choice("--fisher-labels", text, labels, 4, "true, sample, pred or all",
                          &value))
            return false;
        e->labels = (ewcl_fisher_labels)value;
        r->labels_given = true;
        return true;
    default:
        if (!parse_choice("--penalty-step", text, steps, 2, "explicit or implicit", &value))
            return false;
        e->step = (ewcl_penalty_step)value;
        return true;
    }
}

/* Bounds well past any sensible run, so that a slip of the keyboard is caught. */
#define MAX_COUNT 1000000000L

/* One of train's own flags; false after printing the line for a bad value. */
static bool parse_train_flag(train_request *r, int id, const char *text)
{
    ewcl_train_config *c = &r->config;
    size_t seed = 0;
    switch (id) {
    case FLAG_HIDDEN_SIZE:
        return parse_count("--hidden-size", text, 1, 65536, &c->hidden_size);
    case FLAG_HIDDEN_LAYER_NUM:
        return parse_count("--hidden-layer-num", text, 0, 100, &c->hidden_layer_num);
    case FLAG_HIDDEN_DROPOUT:
        return parse_probability("--hidden-dropout-prob", text, &c->hidden_dropout);
    case FLAG_INPUT_DROPOUT:
        return parse_probability("--input-dropout-prob", text, &c->input_dropout);
    case FLAG_TASK_NUMBER:
        return parse_count("--task-number", text, 1, 4096, &c->task_number);
    case FLAG_EPOCHS:
        return parse_count("--epochs-per-task", text, 1, 100000, &c->epochs_per_task);
    case FLAG_LAMBDA:
        return parse_real("--lamda/--lambda", text, 0.0, 1e12, false, &c->ewc.lambda);
    case FLAG_LR:
        return parse_real("--lr", text, 0.0, 1e4, true, &c->lr);
    case FLAG_WEIGHT_DECAY:
        return parse_real("--weight-decay", text, 0.0, 1e4, false, &c->weight_decay);
    case FLAG_BATCH_SIZE:
        return parse_count("--batch-size", text, 1, 65536, &c->batch_size);
    case FLAG_TEST_SIZE:
        return parse_count("--test-size", text, 1, MAX_COUNT, &c->test_size);
    case FLAG_FISHER_SIZE:
        return parse_count("--fisher-estimation-sample-size", text, 1, MAX_COUNT,
                           &c->fisher_sample_size);
    case FLAG_SEED:
        if (!parse_count("--random-seed", text, 0, LONG_MAX, &seed))
            return false;
        c->seed = seed;
        return true;
    case FLAG_EVAL_INTERVAL:
        return parse_count("--eval-log-interval", text, 1, MAX_COUNT, &c->eval_log_interval);
    case FLAG_LOSS_INTERVAL:
        return parse_count("--loss-log-interval", text, 1, MAX_COUNT, &c->loss_log_interval);
    case FLAG_GAMMA:
        return parse_real("--gamma", text, 0.0, 1.0, false, &c->ewc.gamma);
    default:
        return parse_enum_flag(r, id, text);
    }
}

void train_request_init(train_request *r)
{
    memset(r, 0, sizeof *r);
    ewcl_train_config_default(&r->config);
    train_checkpoint_request_init(&r->checkpoint);
}

enum { TRAIN_OPTION_COUNT = sizeof train_options / sizeof train_options[0] - 1, EXTRA_MAX = 16 };

/* train's getopt_long table followed by the command's own entries (if any). */
static bool merge_options(const train_flag_extension *extra,
                          struct option all[TRAIN_OPTION_COUNT + EXTRA_MAX + 1])
{
    memcpy(all, train_options, TRAIN_OPTION_COUNT * sizeof all[0]);
    size_t n = TRAIN_OPTION_COUNT;
    for (size_t i = 0; extra != NULL && extra->options[i].name != NULL; i++) {
        if (i == EXTRA_MAX)
            return false;
        all[n++] = extra->options[i];
    }
    all[n] = (struct option){NULL, 0, NULL, 0};
    return true;
}

int train_request_parse(int argc, char **argv, const train_flag_extension *extra,
                        train_request *r, cli_runtime_flags *flags)
{
    flag_command = extra != NULL ? extra->command : "train";
    struct option options[TRAIN_OPTION_COUNT + EXTRA_MAX + 1];
    if (!merge_options(extra, options)) {
        cli_error("%s: more than %d flags of its own", flag_command, EXTRA_MAX);
        return CLI_EXIT_RUNTIME;
    }
    cli_getopt_reset();
    for (int c; (c = getopt_long(argc, argv, ":hv", options, NULL)) != -1;) {
        if (c == 'h' && extra != NULL) {
            fputs(extra->help, stdout);
            return -1;
        }
        if (extra != NULL && c != '?' && c != ':') {
            const int taken = extra->handle(extra->user, c, optarg);
            if (taken == CLI_EXIT_OK)
                continue;
            if (taken != TRAIN_FLAG_PASS)
                return taken;
        }
        switch (c) {
        case 'h':
            for (size_t i = 0; i < sizeof train_help / sizeof train_help[0]; i++)
                fputs(train_help[i], stdout);
            return -1;
        case FLAG_NO_GPUS:
            snprintf(flags->options.device, sizeof flags->options.device, "cpu");
            r->no_gpus = true;
            break;
        case FLAG_CONSOLIDATE:
            r->config.consolidate = true;
            break;
        case FLAG_FISHER_DROPOUT:
            r->config.ewc.fisher_dropout = true;
            break;
        case FLAG_COMPAT:
            r->compat = true;
            break;
        case FLAG_QUIET:
            r->quiet = true;
            break;
        case FLAG_DATA_DIR:
            snprintf(r->data_dir, sizeof r->data_dir, "%s", optarg);
            break;
        case FLAG_LOG_DIR:
            if (optarg[0] == '\0' || (size_t)snprintf(r->log_dir, sizeof r->log_dir, "%s",
                                                      optarg) >= sizeof r->log_dir) {
                cli_error("%s: --log-dir '%s' is empty or too long", flag_command, optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case FLAG_NO_LOG:
            r->no_log = true;
            break;
        case FLAG_JSON:
            r->json = true;
            break;
        case FLAG_CONSOLIDATE_LAST:
            r->config.consolidate_last = true;
            break;
        case FLAG_NO_PAD:
            r->config.pad = 0;
            r->no_pad = true;
            break;
        case FLAG_PAD:
            r->pad_given = true;
            /* The batch kernel's limit (ewcl_dataset_create). */
            if (!parse_count("--pad", optarg, 0, 64, &r->config.pad))
                return CLI_EXIT_USAGE;
            break;
        case FLAG_NORMALIZE:
            if (!parse_normalize(optarg, &r->config.mean, &r->config.std))
                return CLI_EXIT_USAGE;
            break;
        default:
            if (c >= FLAG_HIDDEN_SIZE && c <= FLAG_QUIET) {
                if (!parse_train_flag(r, c, optarg))
                    return CLI_EXIT_USAGE;
            } else if (c >= TRAIN_FLAG_CHECKPOINT_DIR && c <= TRAIN_FLAG_RESUME) {
                int code = CLI_EXIT_OK;
                train_checkpoint_flag(&r->checkpoint, c, optarg, &code);
                if (code != CLI_EXIT_OK)
                    return code;
            } else if (!cli_runtime_flag(flags, c, optarg))
                return cli_bad_flag(flag_command, argv, c);
        }
    }
    if (!cli_flags_done(flag_command, flags, argc, argv))
        return CLI_EXIT_USAGE;
    if (r->config.consolidate_last && !r->config.consolidate) {
        cli_error("train: --consolidate-last needs --consolidate");
        return CLI_EXIT_USAGE;
    }
    if (r->no_log && r->log_dir[0] != '\0') {
        cli_error("train: --no-log and --log-dir '%s' contradict each other", r->log_dir);
        return CLI_EXIT_USAGE;
    }
    /* Whichever came last would otherwise win silently. */
    if (r->no_gpus && flags->device_given) {
        cli_error("train: --no-gpus (= --device cpu) and --device contradict each other");
        return CLI_EXIT_USAGE;
    }
    if (r->no_pad && r->pad_given) {
        cli_error("train: --no-pad and --pad contradict each other");
        return CLI_EXIT_USAGE;
    }
    if (r->compat) {
        const ewcl_ewc_config given = r->config.ewc;
        ewcl_train_config_pytorch_ewc(&r->config);
        if (r->mode_given)
            r->config.ewc.mode = given.mode;
        if (r->labels_given)
            r->config.ewc.labels = given.labels;
    }
    return CLI_EXIT_OK;
}

/* The sizes that depend on the data, checked here so that the message names the flag (the
 * Fisher's only when there is one to estimate). */
static bool check_against_data(const char *command, const ewcl_train_config *c,
                               const ewcl_idx_data *data)
{
    if (c->test_size > data->test.count) {
        cli_error("%s: --test-size %zu is larger than the test set (%zu images)", command,
                  c->test_size, data->test.count);
        return false;
    }
    if (c->consolidate && c->fisher_sample_size > data->train.count) {
        cli_error("%s: --fisher-estimation-sample-size %zu is larger than the training set "
                  "(%zu images)",
                  command, c->fisher_sample_size, data->train.count);
        return false;
    }
    return true;
}

/* ---- The console while training ------------------------------------------------------- */

typedef struct console {
    bool live;       /* stdout is a terminal: one line rewritten in place */
    bool quiet;
    bool verbose;    /* -v: the Fisher's statistics per layer after each task */
    bool line_open;  /* a live line is on screen without its newline */
    int width;       /* of the live line last written */
    ewcl_train_progress last; /* the last losses read, shown until the next */
} console;

static void close_live_line(console *con)
{
    if (con->line_open)
        fputc('\n', stdout);
    con->line_open = false;
    con->width = 0;
}

static void on_progress(void *user, const ewcl_train_progress *p)
{
    console *con = user;
    if (con->quiet || (!con->live && !p->has_losses))
        return;
    if (p->has_losses)
        con->last = *p;
    const ewcl_train_progress *l = &con->last;
    char losses[128] = "prec - | loss ce - / ewc - / total -"; /* none read yet */
    if (l->has_losses)
        snprintf(losses, sizeof losses, "prec %.4f | loss ce %.4f / ewc %.4g / total %.4f",
                 l->precision, l->cross_entropy, l->ewc_loss, l->total_loss);
    const double percent = 100.0 * (double)p->batch / (double)p->batch_count;
    char line[256];
    int n = snprintf(line, sizeof line,
                     "task %zu/%zu | epoch %zu/%zu | progress %zu/%zu (%3.0f%%) | %s | %.0f "
                     "img/s",
                     p->task + 1, p->task_count, p->epoch + 1, p->epoch_count, p->batch,
                     p->batch_count, percent, losses, p->images_per_second);
    if (!con->live) {
        printf("%s\n", line);
        return;
    }
    /* Blank out what a longer previous line left. */
    printf("\r%s%*s", line, con->width > n ? con->width - n : 0, "");
    fflush(stdout);
    con->width = n;
    con->line_open = true;
}

static void on_evaluation(void *user, const ewcl_train_evaluation *e)
{
    console *con = user;
    if (con->quiet || con->live)
        return;
    printf("evaluation at iteration %llu (%zu test images per task):",
           (unsigned long long)e->iteration, e->test_size);
    for (size_t j = 0; j < e->tasks_seen; j++)
        printf(" task %zu %.4f", j + 1, e->accuracy[j]);
    putchar('\n');
}

static void on_task_end(void *user, const ewcl_train_task_end *e)
{
    console *con = user;
    if (con->quiet)
        return;
    close_live_line(con);
    printf("after task %zu/%zu: accuracy", e->task + 1, e->task_count);
    for (size_t j = 0; j <= e->task; j++)
        printf(" %.4f", e->accuracy[j]);
    printf(" (average %.4f)", e->average_accuracy);
    if (e->fisher_seconds > 0.0)
        printf("; Fisher + consolidation %.1f ms, max importance %.3g", 1e3 * e->fisher_seconds,
               (double)e->max_importance);
    putchar('\n');
    for (size_t l = 0; con->verbose && l < e->layer_count; l++)
        printf("  Fisher of layer %zu: sum %.4g, max %.4g, zero entries %zu of %zu\n", l + 1,
               e->fisher_stats[l].sum, (double)e->fisher_stats[l].max, e->fisher_stats[l].zeros,
               e->fisher_stats[l].count);
    fflush(stdout);
}

/* ---- The log files (--log-dir) ------------------------------------------------------- */

/* The callbacks' user data: the console, and the log when --log-dir asked for one. */
typedef struct train_state {
    console con;
    ewcl_report_log *log;  /* NULL: no files */
    ewcl_status log_status;
    ewcl_error log_error;  /* the first failure to log a point */
    size_t batch_count, epoch_count;
    uint64_t iteration;    /* of the last progress call: a task ends where it was */
} train_state;

static void state_progress(void *user, const ewcl_train_progress *p)
{
    train_state *st = user;
    on_progress(&st->con, p);
    st->iteration = p->iteration;
    if (st->log != NULL && p->has_losses && st->log_status == EWCL_OK)
        st->log_status = ewcl_report_log_loss(st->log, p->iteration, p->task, p->epoch,
                                              p->cross_entropy, p->ewc_loss, p->total_loss,
                                              &st->log_error);
}

static void state_evaluation(void *user, const ewcl_train_evaluation *e)
{
    train_state *st = user;
    on_evaluation(&st->con, e);
    /* Every epoch has the same number of batches: the epoch follows from the iteration. */
    const size_t epoch = (size_t)((e->iteration - 1) / st->batch_count) % st->epoch_count;
    if (st->log != NULL && st->log_status == EWCL_OK)
        st->log_status = ewcl_report_log_accuracy(st->log, EWCL_REPORT_EVAL, e->iteration,
                                                  e->task, epoch, e->accuracy, e->tasks_seen,
                                                  &st->log_error);
}

static void state_task_end(void *user, const ewcl_train_task_end *e)
{
    train_state *st = user;
    on_task_end(&st->con, e);
    if (st->log != NULL && st->log_status == EWCL_OK)
        st->log_status = ewcl_report_log_accuracy(st->log, EWCL_REPORT_TASK_END, st->iteration,
                                                  e->task, st->epoch_count - 1, e->accuracy,
                                                  e->task + 1, &st->log_error);
}

/* Writes the files after the run (`result` NULL when it failed); the exit code. */
static int write_log_files(const train_request *r, const train_state *st,
                           const ewcl_train_result *result, const ewcl_device_info *device)
{
    ewcl_error err = st->log_error;
    ewcl_status s = st->log_status;
    if (s == EWCL_OK) {
        const ewcl_report_run run = {device, r->data_dir_used};
        s = ewcl_report_write_all(r->log_dir, st->log, &r->config, result, &run, &err);
    }
    if (s == EWCL_OK)
        return CLI_EXIT_OK;
    cli_error("train: %s", err.message);
    return CLI_EXIT_RUNTIME;
}

/* --log-dir: made and checked before anything else, so that a bad path fails at once. */
static int prepare_log_dir(const char *command, const char *dir)
{
    ewcl_error err;
    if (ewcl_report_prepare_dir(dir, &err) == EWCL_OK)
        return CLI_EXIT_OK;
    cli_error("%s: %s", command, err.message);
    return CLI_EXIT_RUNTIME;
}

/* The default folder, runs/<YYYYmmdd-HHMMSS>-<kind> under the current directory, with
 * -2, -3, … when that name is taken: mkdir claims a name atomically, so two runs started in
 * the same second never share a folder. */
int train_request_default_log_dir(const char *command, const char *kind, train_request *r)
{
    static const char parent[] = "runs";
    if (prepare_log_dir(command, parent) != CLI_EXIT_OK)
        return CLI_EXIT_RUNTIME;
    char stamp[32];
    const time_t now = time(NULL);
    struct tm local;
    if (localtime_r(&now, &local) == NULL ||
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local) == 0)
        snprintf(stamp, sizeof stamp, "%lld", (long long)now);
    for (unsigned n = 1; n <= 1000; n++) {
        if (n == 1)
            snprintf(r->log_dir, sizeof r->log_dir, "%s/%s-%s", parent, stamp, kind);
        else
            snprintf(r->log_dir, sizeof r->log_dir, "%s/%s-%s-%u", parent, stamp, kind, n);
        if (mkdir(r->log_dir, 0755) == 0)
            return CLI_EXIT_OK;
        if (errno != EEXIST)
            break;
    }
    cli_error("%s: cannot create the run folder %s: %s", command, r->log_dir, strerror(errno));
    return CLI_EXIT_RUNTIME;
}

/* The log of the run, unless --no-log; the default folder is made only now, when the data
 * and the device are ready, so that a run that cannot start leaves no empty folder. */
static int open_log(train_request *r, ewcl_report_log **log)
{
    *log = NULL;
    if (r->no_log)
        return CLI_EXIT_OK;
    const char *kind = r->config.consolidate ? "ewc" : "plain";
    if (r->log_dir[0] == '\0' && train_request_default_log_dir("train", kind, r) != CLI_EXIT_OK)
        return CLI_EXIT_RUNTIME;
    ewcl_error err;
    if (ewcl_report_log_create(r->config.task_number, log, &err) == EWCL_OK)
        return CLI_EXIT_OK;
    cli_error("train: %s", err.message);
    return CLI_EXIT_RUNTIME;
}

/* ---- The summary ---------------------------------------------------------------------- */

static void print_matrix(const ewcl_train_result *r)
{
    printf("\naccuracy R[i][j] (row: after training task i; column: full test set of task j;\n"
           "entries right of the diagonal are tasks not yet trained, unused by the metrics)\n");
    cli_print_accuracy_matrix(r->accuracy, r->average_accuracy, r->task_count);
}

static void print_summary(const ewcl_train_result *r, const ewcl_train_config *c,
                          const ewcl_device_info *d)
{
    const size_t t = r->task_count;
    print_matrix(r);
    printf("\naverage accuracy after task %zu: %.4f\n", t, r->average_accuracy[t - 1]);
    if (t >= 2) {
        printf("backward transfer (BWT): %+.4f  (sum over tasks 1..%zu of R[%zu][j] - R[j][j], "
               "divided by T-1 = %zu)\n",
               r->bwt, t - 1, t, t - 1);
        printf("forgetting: %.4f  (mean over tasks 1..%zu of best accuracy - final accuracy)\n",
               r->forgetting, t - 1);
    }
    const double epochs = (double)(t * c->epochs_per_task);
    size_t fisher_tasks = 0;
    for (size_t i = 0; i < t; i++)
        fisher_tasks += r->fisher_seconds[i] > 0.0;
    printf("time: training %.1f s (%.2f s/epoch), Fisher %.2f s", r->train_seconds,
           r->train_seconds / epochs, r->fisher_seconds_total);
    if (fisher_tasks > 0)
        printf(" (%.1f ms/task)", 1e3 * r->fisher_seconds_total / (double)fisher_tasks);
    printf(", evaluation %.1f s, setup %.1f s; total %.1f s\n", r->eval_seconds,
           r->setup_seconds, r->total_seconds);
    printf("speed: %.0f training images/s (%llu iterations)\n", r->images_per_second,
           (unsigned long long)r->iterations);
    printf("device: %s [%s]; %zu parameters; %s\n", d->name, ewcl_cl_runtime_name(d->runtime),
           r->parameter_count, c->consolidate ? "EWC" : "plain SGD");
}

/* --json: summary.json's document on stdout instead of the table. */
static int print_summary_json(const train_request *r, const ewcl_train_result *result,
                              const ewcl_device_info *device)
{
    const ewcl_report_run run = {device, r->data_dir_used};
    char *text = NULL;
    ewcl_error err;
    if (ewcl_report_summary_json(result, &run, &text, &err) != EWCL_OK) {
        cli_error("train: %s", err.message);
        return CLI_EXIT_RUNTIME;
    }
    fputs(text, stdout);
    free(text);
    return CLI_EXIT_OK;
}

/* A finished run: the summary, then the files and where they are (on stderr with --json,
 * so that stdout stays one JSON document). */
static int finish_run(const train_request *r, const train_state *st,
                      const ewcl_train_result *result, const ewcl_device_info *device)
{
    int code = CLI_EXIT_OK;
    if (r->json)
        code = print_summary_json(r, result, device);
    else
        print_summary(result, &r->config, device);
    if (code != CLI_EXIT_OK || st->log == NULL)
        return code;
    code = write_log_files(r, st, result, device);
    if (code == CLI_EXIT_OK)
        fprintf(r->json ? stderr : stdout,
                "run files: %s/ (config.json, metrics.csv, summary.json, accuracy.svg, "
                "loss.svg)\n",
                r->log_dir);
    return code;
}

/* ---- The command ---------------------------------------------------------------------- */

int train_request_load_data(const char *command, train_request *r, ewcl_idx_data *data)
{
    ewcl_error err;
    ewcl_error_clear(&err);
    ewcl_status s = ewcl_data_dir_resolve(r->data_dir, getenv("EWCL_DATA_DIR"),
                                          r->data_dir_used, sizeof r->data_dir_used, &err);
    if (s == EWCL_OK)
        s = ewcl_idx_load_dir(r->data_dir_used, TRAIN_CLASSES, data, &err);
    if (s == EWCL_OK)
        return check_against_data(command, &r->config, data) ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    cli_error("%s: %s", command, err.message);
    /* A directory that cannot be read is a runtime failure, not a usage error. */
    return s == EWCL_ERR_INVALID_ARGUMENT ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
}

int cmd_train(int argc, char **argv)
{
    train_request r;
    train_request_init(&r);
    cli_runtime_flags flags;
    cli_runtime_flags_init(&flags);
    int code = train_request_parse(argc, argv, NULL, &r, &flags);
    if (code != CLI_EXIT_OK)
        return code < 0 ? CLI_EXIT_OK : code;
    ewcl_checkpoint *resume = NULL;
    code = train_resume_prepare(&r, &flags, argc, argv, &resume);
    if (code == CLI_EXIT_OK && r.log_dir[0] != '\0')
        code = prepare_log_dir("train", r.log_dir);
    ewcl_idx_data data;
    memset(&data, 0, sizeof data);
    if (code == CLI_EXIT_OK)
        code = train_request_load_data("train", &r, &data);
    ewcl_runtime *rt = NULL;
    if (code == CLI_EXIT_OK)
        code = cli_open_runtime(&flags, &rt);
    ewcl_report_log *log = NULL;
    if (code == CLI_EXIT_OK)
        code = open_log(&r, &log);
    ewcl_train_checkpointing checkpointing;
    if (code == CLI_EXIT_OK)
        code = train_checkpoint_setup(&r, log, resume, &checkpointing);
    if (code == CLI_EXIT_OK) {
        train_state st = {
            .con = {.live = isatty(STDOUT_FILENO) == 1, .quiet = r.quiet || r.json,
                    .verbose = flags.verbose},
            .log = log,
            .batch_count = (data.train.count + r.config.batch_size - 1) / r.config.batch_size,
            .epoch_count = r.config.epochs_per_task};
        const ewcl_train_callbacks callbacks = {state_progress, state_evaluation,
                                                state_task_end, &st,
                                                train_signals_stop_requested};
        ewcl_train_result result;
        const ewcl_status s = ewcl_train_run_checkpointed(rt, &data, &r.config, &callbacks,
                                                          &checkpointing, &result);
        close_live_line(&st.con);
        if (s == EWCL_OK && result.stopped) {
            code = train_report_stop(&r, &result);
            if (log != NULL)
                write_log_files(&r, &st, NULL, ewcl_runtime_device(rt));
        } else if (s == EWCL_OK)
            code = finish_run(&r, &st, &result, ewcl_runtime_device(rt));
        else {
            cli_error("train: %s", ewcl_runtime_error(rt)->message);
            code = cli_exit_code(s);
            /* A failed run's curves are what explain it (a diverging loss, say). */
            if (log != NULL)
                write_log_files(&r, &st, NULL, ewcl_runtime_device(rt));
        }
        ewcl_train_result_free(&result);
    }
    ewcl_idx_data_free(&data);
    ewcl_runtime_destroy(rt);
    ewcl_report_log_destroy(log);
    ewcl_checkpoint_destroy(resume);
    return code;
}
