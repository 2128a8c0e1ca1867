/* `ewcl eval CHECKPOINT`: a saved model on the full test set of every task it has seen —
 * the same permutations and normalisation as its run — as one row of accuracies. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_common.h"
#include "commands.h"

static const char eval_help[] =
    "usage: ewcl eval CHECKPOINT [--data-dir DIR] [--json] [runtime flags]\n"
    "\n"
    "Loads the model from CHECKPOINT (a checkpoint file, or a folder: its newest valid one)\n"
    "and evaluates it on the full test set of every task its run has seen — the tasks\n"
    "finished and the one under way — with that run's task permutations and normalisation.\n"
    "Prints the accuracy row (after a task's end it equals the run's row of the accuracy\n"
    "matrix on the same device) and its average. The data must be those the run trained on.\n"
    "\n"
    "  --data-dir DIR     MNIST-format IDX files (default: $EWCL_DATA_DIR, else\n"
    "                     " EWCL_DATA_DIR_DEFAULT ")\n"
    "  --json             the row as JSON on stdout\n" CLI_RUNTIME_FLAGS_HELP;

enum { EVAL_FLAG_DATA_DIR = 2000, EVAL_FLAG_JSON };

/* MNIST and Fashion-MNIST, as `ewcl train` reads them. */
#define EVAL_CLASSES 10

/* A file, or the newest valid checkpoint of a folder (refused ones named on stderr). */
static int open_checkpoint(const char *target, const cli_runtime_flags *flags,
                           ewcl_checkpoint **ck, char *path, size_t size)
{
    struct stat st;
    ewcl_error err;
    ewcl_error_clear(&err);
    ewcl_status s;
    if (stat(target, &st) == 0 && S_ISDIR(st.st_mode)) {
        s = ewcl_checkpoint_find(target, NULL, flags->options.log, flags->options.log_user, ck,
                                 path, size, &err);
        if (s == EWCL_OK && *ck == NULL) {
            cli_error("eval: no valid checkpoint in %s", target);
            return CLI_EXIT_RUNTIME;
        }
    } else {
        snprintf(path, size, "%s", target);
        s = ewcl_checkpoint_load(target, ck, &err);
    }
    if (s == EWCL_OK)
        return CLI_EXIT_OK;
    cli_error("eval: %s", err.message);
    return CLI_EXIT_RUNTIME;
}

static void print_row(const char *path, const ewcl_checkpoint *ck, const double *accuracy,
                      size_t seen, double average)
{
    const ewcl_checkpoint_position p = ewcl_checkpoint_where(ck);
    printf("checkpoint %s: iteration %llu, %zu of %zu tasks finished (written on %s)\n", path,
           (unsigned long long)p.iteration, p.tasks_done, p.task_count,
           ewcl_checkpoint_device(ck));
    printf("accuracy on the full test sets:\n");
    for (size_t j = 0; j < seen; j++) {
        char header[32];
        snprintf(header, sizeof header, "task %zu", j + 1);
        printf("%9s", header);
    }
    printf("%10s\n", "average");
    for (size_t j = 0; j < seen; j++)
        printf("%9.4f", accuracy[j]);
    printf("%10.4f\n", average);
}

static int print_json(const char *path, const ewcl_checkpoint *ck, const double *accuracy,
                      size_t seen, double average, const ewcl_device_info *device)
{
    const ewcl_checkpoint_position p = ewcl_checkpoint_where(ck);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "checkpoint", path);
    cJSON_AddNumberToObject(root, "iteration", (double)p.iteration);
    cJSON_AddNumberToObject(root, "tasks_finished", (double)p.tasks_done);
    cJSON_AddNumberToObject(root, "task_count", (double)p.task_count);
    cJSON_AddStringToObject(root, "written_on", ewcl_checkpoint_device(ck));
    cJSON_AddStringToObject(root, "device", device->name);
    cJSON_AddItemToObject(root, "accuracy", cJSON_CreateDoubleArray(accuracy, (int)seen));
    cJSON_AddNumberToObject(root, "average", average);
    return cli_print_json(root, "eval: out of memory");
}

static int evaluate(const char *path, const ewcl_checkpoint *ck, const char *data_dir,
                    const cli_runtime_flags *flags, bool json)
{
    char dir[EWCL_PATH_MAX];
    ewcl_idx_data data;
    memset(&data, 0, sizeof data);
    ewcl_error err;
    ewcl_error_clear(&err);
    ewcl_status s = ewcl_data_dir_resolve(data_dir, getenv("EWCL_DATA_DIR"), dir, sizeof dir,
                                          &err);
    if (s == EWCL_OK)
        s = ewcl_idx_load_dir(dir, EVAL_CLASSES, &data, &err);
    if (s != EWCL_OK) {
        cli_error("eval: %s", err.message);
        return s == EWCL_ERR_INVALID_ARGUMENT ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
    }
    ewcl_runtime *rt = NULL;
    int code = cli_open_runtime(flags, &rt);
    const size_t tasks = ewcl_checkpoint_config(ck)->task_number;
    double *accuracy = calloc(tasks, sizeof *accuracy);
    if (code == CLI_EXIT_OK && accuracy == NULL) {
        cli_error("eval: out of memory");
        code = CLI_EXIT_RUNTIME;
    }
    size_t seen = 0;
    if (code == CLI_EXIT_OK) {
        s = ewcl_checkpoint_evaluate(rt, ck, &data, accuracy, &seen);
        if (s != EWCL_OK) {
            cli_error("eval: %s: %s", path, ewcl_runtime_error(rt)->message);
            code = cli_exit_code(s);
        }
    }
    if (code == CLI_EXIT_OK) {
        double sum = 0.0;
        for (size_t j = 0; j < seen; j++)
            sum += accuracy[j];
        const double average = seen > 0 ? sum / (double)seen : 0.0;
        if (json)
            code = print_json(path, ck, accuracy, seen, average, ewcl_runtime_device(rt));
        else
            print_row(path, ck, accuracy, seen, average);
    }
    free(accuracy);
    ewcl_runtime_destroy(rt);
    ewcl_idx_data_free(&data);
    return code;
}

int cmd_eval(int argc, char **argv)
{
    cli_runtime_flags flags;
    cli_runtime_flags_init(&flags);
    static const struct option options[] = {
        {"data-dir", required_argument, NULL, EVAL_FLAG_DATA_DIR},
        {"json", no_argument, NULL, EVAL_FLAG_JSON},
        {"help", no_argument, NULL, 'h'},
        CLI_RUNTIME_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    char data_dir[EWCL_PATH_MAX] = "";
    bool json = false;
    cli_getopt_reset();
    for (int c; (c = getopt_long(argc, argv, ":hv", options, NULL)) != -1;) {
        if (c == 'h') {
            fputs(eval_help, stdout);
            return CLI_EXIT_OK;
        }
        if (c == EVAL_FLAG_DATA_DIR)
            snprintf(data_dir, sizeof data_dir, "%s", optarg);
        else if (c == EVAL_FLAG_JSON)
            json = true;
        else if (!cli_runtime_flag(&flags, c, optarg))
            return cli_bad_flag("eval", argv, c);
    }
    /* getopt_long has moved the operand behind the flags. */
    if (optind >= argc) {
        cli_error("eval: which checkpoint? (ewcl eval CHECKPOINT, a file or a folder)");
        return CLI_EXIT_USAGE;
    }
    const char *target = argv[optind++];
    if (!cli_flags_done("eval", &flags, argc, argv))
        return CLI_EXIT_USAGE;
    ewcl_checkpoint *ck = NULL;
    char path[EWCL_PATH_MAX];
    int code = open_checkpoint(target, &flags, &ck, path, sizeof path);
    if (code == CLI_EXIT_OK)
        code = evaluate(path, ck, data_dir, &flags, json);
    ewcl_checkpoint_destroy(ck);
    return code;
}
