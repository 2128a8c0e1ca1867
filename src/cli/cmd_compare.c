/* `ewcl compare`: the same `ewcl train` run on each selected device, one after another in a
 * fresh runtime, then one table of speed, results and agreement with the first device. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "compare.h"

static const char compare_help[] =
    "usage: ewcl compare [--devices 'SEL1;SEL2;...'] [--tolerance-parameters X]\n"
    "                    [--tolerance-accuracy X] [every flag of `ewcl train`]\n"
    "\n"
    "Runs one configuration of `ewcl train` (its flags, same meaning and defaults; see\n"
    "`ewcl train --help`) on each device, one after another, each in a fresh runtime, and\n"
    "prints one row per device: index, runtime and name, the GEMM engine, the time split\n"
    "(train / Fisher / evaluation), training images/s, the average accuracy after the last\n"
    "task, BWT, and the agreement with the first device that ran: max |dθ| of the final\n"
    "parameters over max |θ| of the first device's, and max |dR| over the trained entries of\n"
    "the accuracy matrix. The same seed gives the same run up to float rounding, so a device\n"
    "outside a tolerance is marked MISMATCH: likely a driver or kernel bug.\n"
    "\n"
    "  --devices LIST            selectors separated by ';' (see `ewcl help`), each run in\n"
    "                            turn (default: every usable device in `ewcl devices`, or\n"
    "                            every CPU device with --no-gpus; $EWCL_DEVICE is ignored\n"
    "                            and --device is refused: name the devices here)\n"
    "  --tolerance-parameters X  largest max |dθ| / max |θ| that agrees (0.05)\n"
    "  --tolerance-accuracy X    largest max |dR| that agrees (0.02)\n"
    "  --log-dir DIR             where config.json, compare.json and compare.svg go\n"
    "                            (default runs/<timestamp>-compare; --no-log: none)\n"
    "  --json                    print compare.json's document instead of the table\n"
    "  --quiet                   no line per finished task\n"
    "\n"
    "A device that fails (no such device, a build error, out of memory, a diverging run)\n"
    "gets its row with the error and the others still run. Exit code: 0 when every device\n"
    "ran and agrees, 1 when one failed or disagrees, 2 for a usage error.\n";

enum compare_flag_id {
    FLAG_DEVICES = TRAIN_EXTRA_FLAG_FIRST,
    FLAG_TOLERANCE_PARAMETERS,
    FLAG_TOLERANCE_ACCURACY
};

static const struct option compare_options[] = {
    {"devices", required_argument, NULL, FLAG_DEVICES},
    {"tolerance-parameters", required_argument, NULL, FLAG_TOLERANCE_PARAMETERS},
    {"tolerance-accuracy", required_argument, NULL, FLAG_TOLERANCE_ACCURACY},
    {NULL, 0, NULL, 0},
};

/* The most devices one comparison runs. */
#define MAX_DEVICES 64

static bool parse_tolerance(const char *flag, const char *text, double *out)
{
    return cli_parse_real("compare", flag, text, 0.0, 1e6, CLI_CLOSED, out);
}

static int take_flag(void *user, int id, const char *value)
{
    compare_plan *plan = user;
    switch (id) {
    case FLAG_DEVICES:
        if (value[0] == '\0' || (size_t)snprintf(plan->devices, sizeof plan->devices, "%s",
                                                 value) >= sizeof plan->devices) {
            cli_error("compare: --devices '%s' is empty or too long", value);
            return CLI_EXIT_USAGE;
        }
        return CLI_EXIT_OK;
    case FLAG_TOLERANCE_PARAMETERS:
        return parse_tolerance("--tolerance-parameters", value, &plan->tolerance_parameters)
                   ? CLI_EXIT_OK
                   : CLI_EXIT_USAGE;
    case FLAG_TOLERANCE_ACCURACY:
        return parse_tolerance("--tolerance-accuracy", value, &plan->tolerance_accuracy)
                   ? CLI_EXIT_OK
                   : CLI_EXIT_USAGE;
    case CLI_FLAG_DEVICE:
        cli_error("compare: --device picks one device; name them all with --devices "
                  "'SEL1;SEL2'");
        return CLI_EXIT_USAGE;
    default:
        return TRAIN_FLAG_PASS;
    }
}

/* --devices split at ';' into the rows' selectors; false (one line printed) for an empty
 * entry or too many. */
static bool rows_from_list(const char *list, compare_row *rows, size_t *count)
{
    *count = 0;
    for (const char *p = list;; p++) {
        const char *end = strchr(p, ';');
        const size_t length = end != NULL ? (size_t)(end - p) : strlen(p);
        if (length == 0 || length >= sizeof rows[0].selector || *count == MAX_DEVICES) {
            cli_error("compare: --devices '%s' needs 1 to %d selectors separated by ';', none "
                      "empty or longer than %zu characters",
                      list, MAX_DEVICES, sizeof rows[0].selector - 1);
            return false;
        }
        snprintf(rows[*count].selector, sizeof rows[0].selector, "%.*s", (int)length, p);
        (*count)++;
        if (end == NULL)
            return true;
        p = end;
    }
}

/* Every usable device (matching `only` when it is not empty: --no-gpus), by flat index. The
 * exit code. */
static int rows_from_devices(const char *only, compare_row *rows, size_t *count)
{
    ewcl_device_info *list = NULL;
    size_t listed = 0;
    ewcl_error err;
    ewcl_error_clear(&err);
    ewcl_selector *filter = NULL;
    ewcl_status s = ewcl_devices_list(&list, &listed, &err);
    if (s == EWCL_OK && only[0] != '\0')
        s = ewcl_selector_parse(only, &filter, &err);
    *count = 0;
    for (size_t i = 0; s == EWCL_OK && i < listed && *count < MAX_DEVICES; i++)
        if (list[i].usable && (filter == NULL || ewcl_selector_matches(filter, &list[i])))
            snprintf(rows[(*count)++].selector, sizeof rows[0].selector, "%d", list[i].index);
    ewcl_selector_destroy(filter);
    ewcl_devices_free(list);
    if (s != EWCL_OK) {
        cli_error("compare: %s", err.message);
        return cli_exit_code(s);
    }
    if (*count == 0) {
        cli_error("compare: no usable OpenCL device (see `ewcl devices`)");
        return CLI_EXIT_NO_DEVICE;
    }
    return CLI_EXIT_OK;
}

/* The output folder, made before any device runs so that a bad path fails at once: --log-dir,
 * else runs/<timestamp>-compare; none with --no-log. The exit code. */
static int prepare_output(train_request *r)
{
    if (r->no_log)
        return CLI_EXIT_OK;
    if (r->log_dir[0] == '\0')
        return train_request_default_log_dir("compare", "compare", r);
    ewcl_error err;
    if (ewcl_report_prepare_dir(r->log_dir, &err) == EWCL_OK)
        return CLI_EXIT_OK;
    cli_error("compare: %s", err.message);
    return CLI_EXIT_RUNTIME;
}

/* Runs every row in turn; the exit code: 1 when a device failed or disagrees. */
static int run_rows(const compare_plan *plan, const ewcl_idx_data *data, compare_row *rows,
                    size_t count)
{
    const compare_row *first = NULL;
    int code = CLI_EXIT_OK;
    for (size_t i = 0; i < count; i++) {
        if (!plan->request.quiet && !plan->request.json) {
            printf("device %zu of %zu: %s\n", i + 1, count, rows[i].selector);
            fflush(stdout);
        }
        compare_run_device(plan, data, &rows[i]);
        if (rows[i].status != EWCL_OK) {
            cli_error("compare: %s: %s", rows[i].selector, rows[i].error);
            code = CLI_EXIT_RUNTIME;
            continue;
        }
        if (first == NULL) {
            first = &rows[i];
            rows[i].reference = true;
        } else
            compare_agreement(plan, first, &rows[i]);
        if (!rows[i].agrees)
            code = CLI_EXIT_RUNTIME;
    }
    return code;
}

static void free_rows(compare_row *rows, size_t count)
{
    for (size_t i = 0; i < count; i++)
        ewcl_train_result_free(&rows[i].result);
    free(rows);
}

int cmd_compare(int argc, char **argv)
{
    compare_plan *plan = calloc(1, sizeof *plan);
    compare_row *rows = calloc(MAX_DEVICES, sizeof *rows);
    if (plan == NULL || rows == NULL) {
        free(plan);
        free(rows);
        cli_error("compare: out of memory");
        return CLI_EXIT_RUNTIME;
    }
    train_request_init(&plan->request);
    cli_runtime_flags_init(&plan->flags);
    plan->flags.options.device[0] = '\0'; /* $EWCL_DEVICE names one device: not ours */
    plan->tolerance_parameters = COMPARE_TOLERANCE_PARAMETERS;
    plan->tolerance_accuracy = COMPARE_TOLERANCE_ACCURACY;
    const train_flag_extension extension = {"compare", compare_help, compare_options, take_flag,
                                            plan};
    int code = train_request_parse(argc, argv, &extension, &plan->request, &plan->flags);
    const train_checkpoint_request *k = &plan->request.checkpoint;
    if (code == CLI_EXIT_OK && (k->dir[0] != '\0' || k->resume[0] != '\0')) {
        cli_error("compare: --checkpoint-dir and --resume are train's: every device of a "
                  "comparison runs from the start");
        code = CLI_EXIT_USAGE;
    }
    size_t count = 0;
    if (code == CLI_EXIT_OK)
        code = plan->devices[0] != '\0'
                   ? (rows_from_list(plan->devices, rows, &count) ? CLI_EXIT_OK : CLI_EXIT_USAGE)
                   : rows_from_devices(plan->flags.options.device, rows, &count);
    ewcl_idx_data data;
    memset(&data, 0, sizeof data);
    if (code == CLI_EXIT_OK)
        code = train_request_load_data("compare", &plan->request, &data);
    if (code == CLI_EXIT_OK) /* once the data is known good: no folder for a dead start */
        code = prepare_output(&plan->request);
    if (code == CLI_EXIT_OK) {
        code = run_rows(plan, &data, rows, count);
        if (plan->request.json)
            compare_print_json(plan, rows, count);
        else
            compare_print_table(plan, rows, count);
        const int written = plan->request.no_log ? CLI_EXIT_OK
                                                 : compare_write_files(plan, rows, count);
        if (code == CLI_EXIT_OK)
            code = written;
    }
    ewcl_idx_data_free(&data);
    free_rows(rows, count);
    free(plan);
    return code < 0 ? CLI_EXIT_OK : code;
}
