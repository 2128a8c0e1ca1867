/* `ewcl report RUN_DIR...`: runs side by side from their config.json and summary.json —
 * the settings that differ, each accuracy matrix, and one table of the metrics and times —
 * as text or as one JSON document. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "commands.h"

static const char report_help[] =
    "usage: ewcl report [--json] RUN_DIR...\n"
    "\n"
    "Prints runs side by side from the config.json and summary.json in each RUN_DIR (what\n"
    "`ewcl train` writes into runs/<timestamp>-<plain|ewc>, or tools/torch_reference.py\n"
    "into its --log-dir): the settings that differ between the runs (only those), each run's\n"
    "accuracy matrix R[i][j] (after task i, on the full test set of task j), then one table\n"
    "with the final average accuracy, backward transfer BWT = 1/(T-1) * sum_{j<T} (R[T][j] -\n"
    "R[j][j]), forgetting, the time split (training, Fisher, evaluation, total) and training\n"
    "images per second. '-' marks a number a run does not have.\n"
    "\n"
    "  --json        the same as one JSON document on stdout\n"
    "\n"
    "Exit codes: 0 ok; 2 a RUN_DIR (or a config.json or summary.json in it) does not exist,\n"
    "or bad flags; 1 a file that cannot be read, is not JSON, or has the wrong shape. Every\n"
    "error is one line naming the file.\n";

/* The runs read, and the settings in which they differ. */
typedef struct report_set {
    char **dirs;
    ewcl_report_record *records;
    size_t count;
    const char **differing; /* keys, in order of first appearance */
    size_t differing_count;
} report_set;

/* What made a run: config.json's "implementation" (tools/torch_reference.py writes one),
 * else ewcl with its version. */
static void implementation(const ewcl_report_record *r, char *out, size_t size)
{
    const char *named = ewcl_report_record_setting(r, "implementation");
    const char *version = ewcl_report_record_setting(r, "ewcl_version");
    if (named != NULL)
        snprintf(out, size, "%s", named);
    else if (version != NULL)
        snprintf(out, size, "ewcl %s", version);
    else
        snprintf(out, size, "-");
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Every key of any run whose value (absent counts as one) is not the same in all runs. */
static bool find_differences(report_set *set)
{
    size_t total = 0;
    for (size_t r = 0; r < set->count; r++)
        total += set->records[r].setting_count;
    set->differing = malloc((total > 0 ? total : 1) * sizeof *set->differing);
    if (set->differing == NULL)
        return false;
    for (size_t r = 0; r < set->count; r++)
        for (size_t i = 0; i < set->records[r].setting_count; i++) {
            const char *key = set->records[r].settings[i].key;
            bool listed = false, differs = false;
            for (size_t k = 0; k < set->differing_count && !listed; k++)
                listed = strcmp(set->differing[k], key) == 0;
            const char *first = ewcl_report_record_setting(&set->records[0], key);
            for (size_t o = 1; o < set->count && !differs; o++)
                differs = !same_text(first, ewcl_report_record_setting(&set->records[o], key));
            if (differs && !listed)
                set->differing[set->differing_count++] = key;
        }
    return true;
}

/* ---- Text ---------------------------------------------------------------------------- */

static void print_value(int width, const char *format, double value)
{
    if (isfinite(value))
        printf(format, width, value);
    else
        printf("%*s", width, "-");
}

/* Run r's column of the settings table: as wide as its longest value or its "[r]", so that
 * every row lines up. */
static int column_width(const report_set *set, size_t r)
{
    int width = snprintf(NULL, 0, "[%zu]", r + 1);
    for (size_t k = 0; k < set->differing_count; k++) {
        const char *v = ewcl_report_record_setting(&set->records[r], set->differing[k]);
        if (v != NULL && (int)strlen(v) > width)
            width = (int)strlen(v);
    }
    return width;
}

static void print_settings(const report_set *set)
{
    if (set->count < 2)
        return;
    if (set->differing_count == 0) {
        printf("\nsettings: the same in every run\n");
        return;
    }
    int key_width = (int)strlen("setting");
    for (size_t k = 0; k < set->differing_count; k++)
        if ((int)strlen(set->differing[k]) > key_width)
            key_width = (int)strlen(set->differing[k]);
    printf("\nsettings that differ:\n  %-*s", key_width, "setting");
    for (size_t r = 0; r < set->count; r++) {
        char label[24];
        snprintf(label, sizeof label, "[%zu]", r + 1);
        printf("  %-*s", r + 1 < set->count ? column_width(set, r) : 0, label);
    }
    putchar('\n');
    for (size_t k = 0; k < set->differing_count; k++) {
        printf("  %-*s", key_width, set->differing[k]);
        for (size_t r = 0; r < set->count; r++) {
            const char *v = ewcl_report_record_setting(&set->records[r], set->differing[k]);
            /* The last column unpadded: no trailing blanks. */
            printf("  %-*s", r + 1 < set->count ? column_width(set, r) : 0, v != NULL ? v : "-");
        }
        putchar('\n');
    }
}

static void print_text(const report_set *set)
{
    printf("runs:\n");
    for (size_t r = 0; r < set->count; r++) {
        char impl[256];
        implementation(&set->records[r], impl, sizeof impl);
        printf("  [%zu] %s  (%s)\n", r + 1, set->dirs[r], impl);
    }
    print_settings(set);
    for (size_t r = 0; r < set->count; r++) {
        const ewcl_report_record *rec = &set->records[r];
        printf("\n[%zu] accuracy R[i][j] (row: after training task i; column: full test set "
               "of task j)\n",
               r + 1);
        cli_print_accuracy_matrix(rec->accuracy, rec->average_accuracy, rec->task_count);
    }
    printf("\n%-5s %9s %8s %10s %9s %9s %9s %9s %9s\n", "run", "avg acc", "BWT",
           "forgetting", "train s", "Fisher s", "eval s", "total s", "images/s");
    for (size_t r = 0; r < set->count; r++) {
        const ewcl_report_record *rec = &set->records[r];
        char label[32];
        snprintf(label, sizeof label, "[%zu]", r + 1);
        printf("%-5s", label);
        print_value(10, "%*.4f", rec->final_average_accuracy);
        print_value(9, "%+*.4f", rec->bwt);
        print_value(11, "%*.4f", rec->forgetting);
        print_value(10, "%*.1f", rec->train_seconds);
        print_value(10, "%*.2f", rec->fisher_seconds);
        print_value(10, "%*.1f", rec->eval_seconds);
        print_value(10, "%*.1f", rec->total_seconds);
        print_value(10, "%*.0f", rec->images_per_second);
        putchar('\n');
    }
}

/* ---- JSON ---------------------------------------------------------------------------- */

static cJSON *number_or_null(double value)
{
    return isfinite(value) ? cJSON_CreateNumber(value) : cJSON_CreateNull();
}

static cJSON *numbers(const double *values, size_t count)
{
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; array != NULL && i < count; i++)
        cJSON_AddItemToArray(array, number_or_null(values[i]));
    return array;
}

static cJSON *run_json(const char *dir, const ewcl_report_record *rec)
{
    cJSON *run = cJSON_CreateObject();
    char impl[256];
    implementation(rec, impl, sizeof impl);
    cJSON_AddStringToObject(run, "dir", dir);
    cJSON_AddStringToObject(run, "implementation", impl);
    cJSON_AddNumberToObject(run, "task_count", (double)rec->task_count);
    cJSON *matrix = cJSON_AddArrayToObject(run, "accuracy");
    for (size_t i = 0; matrix != NULL && i < rec->task_count; i++)
        cJSON_AddItemToArray(matrix,
                             numbers(rec->accuracy + i * rec->task_count, rec->task_count));
    cJSON_AddItemToObject(run, "average_accuracy",
                          numbers(rec->average_accuracy, rec->task_count));
    cJSON_AddItemToObject(run, "final_average_accuracy",
                          number_or_null(rec->final_average_accuracy));
    cJSON_AddItemToObject(run, "bwt", number_or_null(rec->bwt));
    cJSON_AddItemToObject(run, "forgetting", number_or_null(rec->forgetting));
    cJSON *seconds = cJSON_AddObjectToObject(run, "seconds");
    cJSON_AddItemToObject(seconds, "setup", number_or_null(rec->setup_seconds));
    cJSON_AddItemToObject(seconds, "train", number_or_null(rec->train_seconds));
    cJSON_AddItemToObject(seconds, "fisher", number_or_null(rec->fisher_seconds));
    cJSON_AddItemToObject(seconds, "eval", number_or_null(rec->eval_seconds));
    cJSON_AddItemToObject(seconds, "total", number_or_null(rec->total_seconds));
    cJSON_AddItemToObject(run, "images_per_second", number_or_null(rec->images_per_second));
    return run;
}

/* {"runs": [...], "differing_settings": {"key": [value or null per run], ...}}; values as
 * the text config.json's leaves flatten to. */
static int print_json(const report_set *set)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *runs = cJSON_AddArrayToObject(root, "runs");
    for (size_t r = 0; runs != NULL && r < set->count; r++)
        cJSON_AddItemToArray(runs, run_json(set->dirs[r], &set->records[r]));
    cJSON *differing = cJSON_AddObjectToObject(root, "differing_settings");
    for (size_t k = 0; differing != NULL && k < set->differing_count; k++) {
        cJSON *values = cJSON_AddArrayToObject(differing, set->differing[k]);
        for (size_t r = 0; values != NULL && r < set->count; r++) {
            const char *v = ewcl_report_record_setting(&set->records[r], set->differing[k]);
            cJSON_AddItemToArray(values, v != NULL ? cJSON_CreateString(v) : cJSON_CreateNull());
        }
    }
    return cli_print_json(root, "report: out of memory");
}

/* ---- The command --------------------------------------------------------------------- */

static void free_set(report_set *set)
{
    for (size_t r = 0; set->records != NULL && r < set->count; r++)
        ewcl_report_record_free(&set->records[r]);
    free(set->records);
    free(set->differing);
}

int cmd_report(int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    cli_getopt_reset();
    for (int c; (c = getopt_long(argc, argv, ":h", options, NULL)) != -1;) {
        if (c == 'h') {
            fputs(report_help, stdout);
            return CLI_EXIT_OK;
        }
        if (c != 'j')
            return cli_bad_flag("report", argv, c);
        json = true;
    }
    if (optind >= argc) {
        cli_error("report: name at least one run folder (see `ewcl report --help`)");
        return CLI_EXIT_USAGE;
    }
    report_set set = {.dirs = argv + optind, .count = 0};
    const size_t count = (size_t)(argc - optind);
    set.records = calloc(count, sizeof *set.records);
    int code = CLI_EXIT_OK;
    if (set.records == NULL) {
        cli_error("report: out of memory");
        code = CLI_EXIT_RUNTIME;
    }
    for (size_t r = 0; r < count && code == CLI_EXIT_OK; r++) {
        ewcl_error err;
        const ewcl_status s = ewcl_report_read_run(set.dirs[r], &set.records[r], &err);
        if (s != EWCL_OK) {
            cli_error("report: %s", err.message);
            code = cli_exit_code(s);
        } else
            set.count++;
    }
    if (code == CLI_EXIT_OK && !find_differences(&set)) {
        cli_error("report: out of memory");
        code = CLI_EXIT_RUNTIME;
    }
    if (code == CLI_EXIT_OK) {
        if (json)
            code = print_json(&set);
        else
            print_text(&set);
    }
    free_set(&set);
    return code;
}
