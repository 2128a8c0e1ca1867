/* `ewcl bench step`: milliseconds per training step of the default network (forward,
 * loss, backward, SGD update; batches of 32, 128 and 512), split into its phases, and
 * images per second. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "bench.h"
#include "cli_common.h"
#include "ewcl/nn.h"

static const char step_help[] =
    "usage: ewcl bench step [--batch N] [--steps N] [--json] [--device SEL]\n"
    "\n"
    "Times N back-to-back training steps (default 200) of the default MLP (1024 → 400 → 400\n"
    "→ 400 → 10, dropout on) on one batch of 32, 128 and 512 images (or of --batch N alone),\n"
    "with one finish at the end; the median, min and max of 5 samples after a warm-up. The\n"
    "phases are timed the same way on their own: forward alone, forward with loss and\n"
    "backward, and the full step with the update.\n" CLI_RUNTIME_FLAGS_HELP;

enum { SAMPLES = 5 };

typedef enum step_phase { PHASE_FORWARD, PHASE_BACKWARD, PHASE_FULL } step_phase;

/* Seconds per step of `steps` steps running up to `phase`. */
static ewcl_status time_steps(ewcl_runtime *rt, ewcl_mlp *mlp, size_t batch, long steps,
                              step_phase phase, double *per_step)
{
    const double start = bench_now();
    ewcl_status s = EWCL_OK;
    for (long i = 0; i < steps && s == EWCL_OK; i++) {
        if (phase == PHASE_FULL) {
            s = ewcl_mlp_train_step(mlp, batch, (uint64_t)i, 0.01f, 0.0f);
            continue;
        }
        s = ewcl_mlp_forward(mlp, batch, true, (uint64_t)i);
        if (s == EWCL_OK && phase == PHASE_BACKWARD)
            s = ewcl_mlp_loss(mlp, batch, true);
        if (s == EWCL_OK && phase == PHASE_BACKWARD)
            s = ewcl_mlp_backward(mlp, batch);
    }
    if (s == EWCL_OK)
        s = ewcl_runtime_finish(rt);
    *per_step = (bench_now() - start) / (double)steps;
    return s;
}

static ewcl_status measure_phase(ewcl_runtime *rt, ewcl_mlp *mlp, size_t batch, long steps,
                                 step_phase phase, bench_summary *out)
{
    double samples[SAMPLES], seconds = 0;
    ewcl_status s = time_steps(rt, mlp, batch, 5, phase, &seconds); /* warm-up, not timed */
    for (int i = 0; i < SAMPLES && s == EWCL_OK; i++)
        s = time_steps(rt, mlp, batch, steps, phase, &samples[i]);
    if (s == EWCL_OK)
        *out = bench_summarize(samples, SAMPLES);
    return s;
}

/* A batch of inputs in [−1, 1) and labels cycling through the classes. */
static ewcl_status fill_batch(ewcl_mlp *mlp, const ewcl_mlp_config *config, size_t batch)
{
    float *x = malloc(batch * config->input_size * sizeof *x);
    int32_t *labels = malloc(batch * sizeof *labels);
    ewcl_status s = EWCL_ERR_OUT_OF_MEMORY;
    if (x != NULL && labels != NULL) {
        unsigned state = 7;
        for (size_t i = 0; i < batch * config->input_size; i++) {
            state = state * 1664525u + 1013904223u;
            x[i] = (float)(state >> 8) / 8388608.0f - 1.0f;
        }
        for (size_t i = 0; i < batch; i++)
            labels[i] = (int32_t)(i % config->output_size);
        s = ewcl_mlp_set_batch(mlp, x, labels, batch);
    }
    free(x);
    free(labels);
    return s;
}

/* One batch size's phases. */
typedef struct step_result {
    size_t batch;
    bench_summary phase[3];
} step_result;

static const char *const phase_names[3] = {"forward", "forward+backward", "step"};

static void print_json(const ewcl_device_info *d, const step_result *r, size_t count)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "bench", "step");
    cJSON_AddStringToObject(root, "device", d->name);
    cJSON *list = cJSON_AddArrayToObject(root, "batches");
    for (size_t b = 0; b < count; b++) {
        cJSON *run = cJSON_CreateObject();
        cJSON_AddNumberToObject(run, "batch", (double)r[b].batch);
        for (int i = 0; i < 3; i++) {
            cJSON *o = cJSON_AddObjectToObject(run, phase_names[i]);
            cJSON_AddNumberToObject(o, "median_ms", 1e3 * r[b].phase[i].median);
            cJSON_AddNumberToObject(o, "min_ms", 1e3 * r[b].phase[i].min);
            cJSON_AddNumberToObject(o, "max_ms", 1e3 * r[b].phase[i].max);
        }
        cJSON_AddNumberToObject(run, "images_per_second",
                                (double)r[b].batch / r[b].phase[2].median);
        cJSON_AddItemToArray(list, run);
    }
    char *text = cJSON_Print(root);
    if (text != NULL)
        puts(text);
    cJSON_free(text);
    cJSON_Delete(root);
}

static void print_table(const ewcl_device_info *d, const step_result *r, size_t count)
{
    printf("training step of the default MLP on %s [%s] (median of %d samples)\n", d->name,
           ewcl_cl_runtime_name(d->runtime), SAMPLES);
    printf("  %5s  %-18s %9s %9s %9s %9s\n", "batch", "phase", "median ms", "min ms", "max ms",
           "images/s");
    for (size_t b = 0; b < count; b++)
        for (int i = 0; i < 3; i++) {
            printf("  %5zu  %-18s %9.3f %9.3f %9.3f", r[b].batch, phase_names[i],
                   1e3 * r[b].phase[i].median, 1e3 * r[b].phase[i].min,
                   1e3 * r[b].phase[i].max);
            if (i == 2)
                printf(" %9.0f", (double)r[b].batch / r[b].phase[i].median);
            putchar('\n');
        }
}

int bench_step(int argc, char **argv)
{
    cli_runtime_flags flags;
    cli_runtime_flags_init(&flags);
    bool json = false;
    long batch = 0, steps = 200;
    static const struct option long_options[] = {
        {"batch", required_argument, NULL, 'b'},
        {"steps", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        CLI_RUNTIME_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    cli_getopt_reset();
    for (int c; (c = getopt_long(argc, argv, ":hv", long_options, NULL)) != -1;) {
        if (c == 'b') {
            if (!cli_parse_long("bench step", "--batch", optarg, 1, 4096, &batch))
                return CLI_EXIT_USAGE;
        } else if (c == 'n') {
            if (!cli_parse_long("bench step", "--steps", optarg, 1, 100000, &steps))
                return CLI_EXIT_USAGE;
        } else {
            const int code = cli_common_flag("bench step", step_help, c, argv, &flags, &json);
            if (code != CLI_PARSE_CONTINUE)
                return code;
        }
    }
    if (!cli_flags_done("bench step", &flags, argc, argv))
        return CLI_EXIT_USAGE;
    /* pytorch-ewc's batch, a quarter and four times it: where launch overhead and where
     * arithmetic dominates. */
    step_result results[3] = {{.batch = 32}, {.batch = 128}, {.batch = 512}};
    size_t count = 3;
    if (batch > 0) {
        results[0].batch = (size_t)batch;
        count = 1;
    }
    ewcl_runtime *rt = NULL;
    int code = cli_open_runtime(&flags, &rt);
    if (code != CLI_EXIT_OK)
        return code;
    ewcl_mlp_config config;
    ewcl_mlp_config_default(&config);
    config.max_batch = results[count - 1].batch;
    ewcl_mlp *mlp = NULL;
    ewcl_status s = ewcl_mlp_create(rt, &config, &mlp);
    if (s == EWCL_OK)
        s = fill_batch(mlp, &config, config.max_batch);
    for (size_t b = 0; b < count && s == EWCL_OK; b++)
        for (int phase = PHASE_FORWARD; phase <= PHASE_FULL && s == EWCL_OK; phase++)
            s = measure_phase(rt, mlp, results[b].batch, steps, (step_phase)phase,
                              &results[b].phase[phase]);
    if (s == EWCL_OK && json) {
        print_json(ewcl_runtime_device(rt), results, count);
    } else if (s == EWCL_OK) {
        print_table(ewcl_runtime_device(rt), results, count);
    } else {
        cli_error("bench step: %s", ewcl_runtime_error(rt)->message);
        code = cli_exit_code(s);
    }
    ewcl_mlp_destroy(mlp);
    ewcl_runtime_destroy(rt);
    return code;
}
