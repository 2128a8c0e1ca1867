/* `ewcl bench epoch`: seconds per training epoch of the default network on real data, and
 * where the device's time goes, from OpenCL profiling events summed per kernel family, the
 * rest of the epoch being idle time and launch gaps. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "train_request.h"

static const char epoch_help[] =
    "usage: ewcl bench epoch [--epochs N] [--json] [every flag of `ewcl train`]\n"
    "\n"
    "Trains one task of `ewcl train`'s configuration (the default network on the data of\n"
    "--data-dir; see `ewcl train --help`) for 1 warm-up epoch and N measured ones (default\n"
    "3), with the queue profiling every command, periodic evaluations and loss reads off so\n"
    "that an epoch is training alone. Per epoch: wall seconds (from the end of the previous\n"
    "epoch to a finished queue) and, from the OpenCL profiling events, the device time of\n"
    "each kernel family; what the families leave of the wall time is the device idle or\n"
    "between launches. Median, min and max over the N epochs. Events cost a little time per\n"
    "command, so a profiled epoch is slightly slower than `ewcl train`'s.\n"
    "\n"
    "  --epochs N   measured epochs, after one warm-up (3)\n"
    "  --json       the figures as JSON\n";

enum { FLAG_EPOCHS = TRAIN_EXTRA_FLAG_FIRST, MAX_EPOCHS = 100 };

static const struct option epoch_options[] = {
    {"epochs", required_argument, NULL, FLAG_EPOCHS},
    {NULL, 0, NULL, 0},
};

/* Kernel families, by the prefix of the kernel's (or transfer's) name; the first match. */
static const struct {
    const char *family;
    const char *prefixes[4];
} families[] = {
    {"gemm", {"ewcl_gemm", "clblast", NULL}},
    {"bias+relu+dropout", {"ewcl_bias_relu", "ewcl_relu_dropout", NULL}},
    {"softmax+loss", {"ewcl_softmax", NULL}},
    {"reductions", {"ewcl_column_sum", "ewcl_reduce", NULL}},
    {"sgd/ewc update", {"ewcl_sgd", "ewcl_ewc", NULL}},
    {"fisher", {"ewcl_fisher", "ewcl_weighted_square", NULL}},
    {"batch gather", {"ewcl_gather", NULL}},
    {"zeroing", {"ewcl_zero", NULL}},
    {"transfers", {"write", "read", "copy", NULL}},
    {"other", {"", NULL}},
};
enum { FAMILY_COUNT = sizeof families / sizeof families[0] };

static size_t family_of(const char *name)
{
    for (size_t f = 0; f < FAMILY_COUNT; f++)
        for (size_t p = 0; families[f].prefixes[p] != NULL; p++)
            if (strncmp(name, families[f].prefixes[p], strlen(families[f].prefixes[p])) == 0)
                return f;
    return FAMILY_COUNT - 1;
}

/* What the epochs measured; the warm-up epoch is recorded too and left out at the end. */
typedef struct epoch_state {
    ewcl_runtime *rt;
    long epochs;                                   /* measured ones */
    int recorded;                                  /* epochs ended so far */
    double started;                                /* when the current epoch began */
    double wall[MAX_EPOCHS + 1];
    double family_seconds[MAX_EPOCHS + 1][FAMILY_COUNT];
    uint64_t family_commands[FAMILY_COUNT];        /* over the measured epochs */
    ewcl_kernel_time kernels[64];                  /* per name, over the measured epochs */
    size_t kernel_count;
    ewcl_status status;
} epoch_state;

static void add_kernel(epoch_state *st, const ewcl_kernel_time *k)
{
    for (size_t i = 0; i < st->kernel_count; i++)
        if (strcmp(st->kernels[i].name, k->name) == 0) {
            st->kernels[i].count += k->count;
            st->kernels[i].seconds += k->seconds;
            return;
        }
    if (st->kernel_count < sizeof st->kernels / sizeof st->kernels[0])
        st->kernels[st->kernel_count++] = *k;
}

/* At the end of each epoch: the queue drained, the wall time taken, the events summed. */
static void on_progress(void *user, const ewcl_train_progress *p)
{
    epoch_state *st = user;
    if (p->batch != p->batch_count || st->status != EWCL_OK || st->recorded > st->epochs)
        return;
    st->status = ewcl_runtime_finish(st->rt);
    const int e = st->recorded;
    st->wall[e] = bench_now() - st->started;
    ewcl_kernel_times times;
    if (st->status == EWCL_OK)
        st->status = ewcl_runtime_kernel_times(st->rt, &times);
    if (st->status != EWCL_OK)
        return;
    for (size_t i = 0; i < times.count; i++) {
        const ewcl_kernel_time *k = &times.entries[i];
        const size_t f = family_of(k->name);
        st->family_seconds[e][f] += k->seconds;
        if (e > 0) {
            st->family_commands[f] += k->count;
            add_kernel(st, k);
        }
    }
    ewcl_kernel_times_free(&times);
    st->recorded++;
    st->started = bench_now();
}

static int take_flag(void *user, int id, const char *value)
{
    if (id != FLAG_EPOCHS)
        return TRAIN_FLAG_PASS;
    return cli_parse_long("bench epoch", "--epochs", value, 1, MAX_EPOCHS, user)
               ? CLI_EXIT_OK
               : CLI_EXIT_USAGE;
}

/* Median, min and max of one quantity over the measured epochs (index 1 …). */
static bench_summary over_epochs(const epoch_state *st, size_t family, bool wall)
{
    double samples[MAX_EPOCHS];
    for (long e = 0; e < st->epochs; e++) {
        double v = wall ? st->wall[e + 1] : 0.0;
        if (!wall && family < FAMILY_COUNT)
            v = st->family_seconds[e + 1][family];
        if (!wall && family == FAMILY_COUNT) { /* idle: the wall time the families leave */
            v = st->wall[e + 1];
            for (size_t f = 0; f < FAMILY_COUNT; f++)
                v -= st->family_seconds[e + 1][f];
        }
        samples[e] = v;
    }
    return bench_summarize(samples, (int)st->epochs);
}

static void add_summary(cJSON *o, const bench_summary *s)
{
    cJSON_AddNumberToObject(o, "median_s", s->median);
    cJSON_AddNumberToObject(o, "min_s", s->min);
    cJSON_AddNumberToObject(o, "max_s", s->max);
}

static void print_json(const epoch_state *st, const ewcl_device_info *d, size_t batch,
                       size_t images)
{
    const bench_summary wall = over_epochs(st, 0, true);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "bench", "epoch");
    cJSON_AddStringToObject(root, "device", d->name);
    cJSON_AddStringToObject(root, "runtime", ewcl_cl_runtime_name(d->runtime));
    cJSON_AddNumberToObject(root, "batch", (double)batch);
    cJSON_AddNumberToObject(root, "images", (double)images);
    cJSON_AddNumberToObject(root, "epochs", (double)st->epochs);
    add_summary(cJSON_AddObjectToObject(root, "epoch"), &wall);
    cJSON_AddNumberToObject(root, "images_per_second", (double)images / wall.median);
    cJSON *list = cJSON_AddArrayToObject(root, "families");
    for (size_t f = 0; f <= FAMILY_COUNT; f++) {
        const bench_summary s = over_epochs(st, f, false);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "family", f < FAMILY_COUNT ? families[f].family : "idle");
        add_summary(o, &s);
        cJSON_AddNumberToObject(o, "share", s.median / wall.median);
        if (f < FAMILY_COUNT)
            cJSON_AddNumberToObject(o, "commands_per_epoch",
                                    (double)st->family_commands[f] / (double)st->epochs);
        cJSON_AddItemToArray(list, o);
    }
    cJSON *kernels = cJSON_AddArrayToObject(root, "kernels");
    for (size_t i = 0; i < st->kernel_count; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", st->kernels[i].name);
        cJSON_AddNumberToObject(o, "commands_per_epoch",
                                (double)st->kernels[i].count / (double)st->epochs);
        cJSON_AddNumberToObject(o, "seconds_per_epoch",
                                st->kernels[i].seconds / (double)st->epochs);
        cJSON_AddItemToArray(kernels, o);
    }
    char *text = cJSON_Print(root);
    if (text != NULL)
        puts(text);
    cJSON_free(text);
    cJSON_Delete(root);
}

static void print_table(const epoch_state *st, const ewcl_device_info *d, size_t batch,
                        size_t images)
{
    const bench_summary wall = over_epochs(st, 0, true);
    printf("training epoch (%zu images, batch %zu) on %s [%s], %ld epochs after 1 warm-up, "
           "profiling on\n",
           images, batch, d->name, ewcl_cl_runtime_name(d->runtime), st->epochs);
    printf("  epoch: median %.3f s (min %.3f, max %.3f); %.0f images/s\n", wall.median,
           wall.min, wall.max, (double)images / wall.median);
    printf("  %-22s %9s %9s %9s %6s %9s\n", "kernel family", "median s", "min s", "max s",
           "share", "cmds/ep");
    for (size_t f = 0; f <= FAMILY_COUNT; f++) {
        const bench_summary s = over_epochs(st, f, false);
        if (f < FAMILY_COUNT && st->family_commands[f] == 0)
            continue;
        printf("  %-22s %9.3f %9.3f %9.3f %5.1f%%", f < FAMILY_COUNT ? families[f].family
                                                                        : "idle / launch gaps",
               s.median, s.min, s.max, 100.0 * s.median / wall.median);
        if (f < FAMILY_COUNT)
            printf(" %9.0f", (double)st->family_commands[f] / (double)st->epochs);
        putchar('\n');
    }
}

int bench_epoch(int argc, char **argv)
{
    train_request r;
    train_request_init(&r);
    cli_runtime_flags flags;
    cli_runtime_flags_init(&flags);
    long epochs = 3;
    const train_flag_extension extension = {"bench epoch", epoch_help, epoch_options,
                                            take_flag, &epochs};
    int code = train_request_parse(argc, argv, &extension, &r, &flags);
    if (code != CLI_EXIT_OK)
        return code < 0 ? CLI_EXIT_OK : code;
    if (r.checkpoint.dir[0] != '\0' || r.checkpoint.resume[0] != '\0') {
        cli_error("bench epoch: --checkpoint-dir and --resume are train's: a measured epoch "
                  "runs from the start and writes nothing");
        return CLI_EXIT_USAGE;
    }
    /* One task, training alone: no periodic evaluation or loss read between batches. */
    r.config.task_number = 1;
    r.config.epochs_per_task = (size_t)epochs + 1;
    r.config.eval_log_interval = r.config.loss_log_interval = r.config.progress_interval = 0;
    r.config.test_size = 1; /* the periodic evaluation's subset: unused, so any set will do */
    r.config.consolidate = false;
    flags.options.profiling = true;
    ewcl_idx_data data;
    memset(&data, 0, sizeof data);
    code = train_request_load_data("bench epoch", &r, &data);
    ewcl_runtime *rt = NULL;
    if (code == CLI_EXIT_OK)
        code = cli_open_runtime(&flags, &rt);
    epoch_state *st = code == CLI_EXIT_OK ? calloc(1, sizeof *st) : NULL;
    if (code == CLI_EXIT_OK && st == NULL) {
        cli_error("bench epoch: out of memory");
        code = CLI_EXIT_RUNTIME;
    }
    if (code == CLI_EXIT_OK) {
        *st = (epoch_state){.rt = rt, .epochs = epochs, .started = bench_now()};
        const ewcl_train_callbacks callbacks = {.progress = on_progress, .user = st};
        ewcl_train_result result;
        ewcl_status s = ewcl_train_run(rt, &data, &r.config, &callbacks, &result);
        if (s == EWCL_OK)
            s = st->status;
        if (s == EWCL_OK && r.json)
            print_json(st, ewcl_runtime_device(rt), r.config.batch_size, data.train.count);
        else if (s == EWCL_OK)
            print_table(st, ewcl_runtime_device(rt), r.config.batch_size, data.train.count);
        else {
            cli_error("bench epoch: %s", ewcl_runtime_error(rt)->message);
            code = cli_exit_code(s);
        }
        ewcl_train_result_free(&result);
    }
    free(st);
    ewcl_idx_data_free(&data);
    ewcl_runtime_destroy(rt);
    return code;
}
