/* `ewcl bench step`: milliseconds per training step of the default network (forward,
 * loss, backward, SGD update; batch 128), split into its phases, and images per second. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "bench.h"
#include "cli_common.h"
#include "ewcl/nn.h"

static const char step_help[] =
    "usage: ewcl bench step [--batch N] [--steps N] [--json] [--device SEL]\n"
    "\n"
    "Times N back-to-back training steps (default 200) of the default MLP (1024 → 400 → 400\n"
    "→ 400 → 10, dropout on) on one batch, with one finish at the end; the median of 5\n"
    "samples. The phases are timed the same way on their own: forward alone, forward with\n"
    "loss and backward, and the full step with the update.\n" CLI_RUNTIME_FLAGS_HELP;

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

static void print_results(const ewcl_device_info *d, size_t batch, const bench_summary r[3],
                          bool json)
{
    static const char *const names[3] = {"forward", "forward+backward", "step"};
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "device", d->name);
        cJSON_AddNumberToObject(root, "batch", (double)batch);
        for (int i = 0; i < 3; i++) {
            cJSON *o = cJSON_AddObjectToObject(root, names[i]);
            cJSON_AddNumberToObject(o, "median_ms", 1e3 * r[i].median);
            cJSON_AddNumberToObject(o, "min_ms", 1e3 * r[i].min);
            cJSON_AddNumberToObject(o, "max_ms", 1e3 * r[i].max);
        }
        cJSON_AddNumberToObject(root, "images_per_second", (double)batch / r[2].median);
        char *text = cJSON_Print(root);
        if (text != NULL)
            puts(text);
        cJSON_free(text);
        cJSON_Delete(root);
        return;
    }
    printf("training step, default MLP, batch %zu, on %s [%s] (median of %d samples)\n", batch,
           d->name, ewcl_cl_runtime_name(d->runtime), SAMPLES);
    printf("  %-18s %9s %9s %9s\n", "phase", "median ms", "min ms", "max ms");
    for (int i = 0; i < 3; i++)
        printf("  %-18s %9.3f %9.3f %9.3f\n", names[i], 1e3 * r[i].median, 1e3 * r[i].min,
               1e3 * r[i].max);
    printf("  images/s: %.0f\n", (double)batch / r[2].median);
}

int bench_step(int argc, char **argv)
{
    cli_runtime_flags flags;
    cli_runtime_flags_init(&flags);
    bool json = false;
    long batch = 128, steps = 200;
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
        } else if (c == 'j') {
            json = true;
        } else if (c == 'h') {
            fputs(step_help, stdout);
            return CLI_EXIT_OK;
        } else if (!cli_runtime_flag(&flags, c, optarg)) {
            return cli_bad_flag("bench step", argv, c);
        }
    }
    if (!cli_flags_done("bench step", &flags, argc, argv))
        return CLI_EXIT_USAGE;
    ewcl_runtime *rt = NULL;
    int code = cli_open_runtime(&flags, &rt);
    if (code != CLI_EXIT_OK)
        return code;
    ewcl_mlp_config config;
    ewcl_mlp_config_default(&config);
    config.max_batch = (size_t)batch;
    ewcl_mlp *mlp = NULL;
    ewcl_status s = ewcl_mlp_create(rt, &config, &mlp);
    if (s == EWCL_OK)
        s = fill_batch(mlp, &config, (size_t)batch);
    bench_summary results[3];
    for (int phase = PHASE_FORWARD; phase <= PHASE_FULL && s == EWCL_OK; phase++)
        s = measure_phase(rt, mlp, (size_t)batch, steps, (step_phase)phase, &results[phase]);
    if (s == EWCL_OK) {
        print_results(ewcl_runtime_device(rt), (size_t)batch, results, json);
    } else {
        cli_error("bench step: %s", ewcl_runtime_error(rt)->message);
        code = cli_exit_code(s);
    }
    ewcl_mlp_destroy(mlp);
    ewcl_runtime_destroy(rt);
    return code;
}
