/* `ewcl bench fisher` and `ewcl bench update`: the two EWC costs. The Fisher estimate of
 * the default network from N samples (batched, on the device), and the fused SGD + weight
 * decay + penalty update over every parameter, beside the device's own copy bandwidth. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cli_common.h"
#include "ewcl/ewc.h"
#include "ewcl/ewcl_cl.h"

static const char fisher_help[] =
    "usage: ewcl bench fisher [--samples N] [--batch B] [--labels true|pred|sample|all]\n"
    "                         [--json] [--device SEL]\n"
    "\n"
    "Milliseconds to estimate the diagonal Fisher of the default MLP from N samples (default\n"
    "1024) in batches of B (default 1024), batches already in host memory, with each label\n"
    "mode (or the one --labels names); median, min and max of 5 after a warm-up.\n"
    "pytorch-ewc's per-sample loop takes 24–40 s for N = 1024 on a 2-core machine.\n"
    CLI_RUNTIME_FLAGS_HELP;

static const char update_help[] =
    "usage: ewcl bench update [--json] [--device SEL]\n"
    "\n"
    "The fused EWC update (θ, g, S, μ read, θ written: 20 bytes per parameter) over the\n"
    "default MLP's 734,810 parameters, in GB/s, beside clEnqueueCopyBuffer's GB/s on 64 MiB\n"
    "(read + write counted); median of 5 samples of about 0.2 s.\n" CLI_RUNTIME_FLAGS_HELP;

enum { SAMPLES = 5 };

/* Host batches for the estimate: inputs in [−1, 1), labels cycling through the classes. */
typedef struct host_task {
    float *x;
    int32_t *labels;
    size_t input_size;
} host_task;

static ewcl_status fill_from_host(void *user, ewcl_mlp *mlp, size_t first, size_t count)
{
    const host_task *t = user;
    return ewcl_mlp_set_batch(mlp, t->x + first * t->input_size, t->labels + first, count);
}

static bool make_task(host_task *t, size_t samples, const ewcl_mlp_config *c)
{
    t->input_size = c->input_size;
    t->x = malloc(samples * c->input_size * sizeof *t->x);
    t->labels = malloc(samples * sizeof *t->labels);
    if (t->x == NULL || t->labels == NULL)
        return false;
    unsigned state = 3;
    for (size_t i = 0; i < samples * c->input_size; i++) {
        state = state * 1664525u + 1013904223u;
        t->x[i] = (float)(state >> 8) / 8388608.0f - 1.0f;
    }
    for (size_t i = 0; i < samples; i++)
        t->labels[i] = (int32_t)(i % c->output_size);
    return true;
}

/* In ewcl_fisher_labels order. */
static const char *const label_names[4] = {"true", "sample", "pred", "all"};

static bool parse_labels(const char *text, ewcl_fisher_labels *out)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(text, label_names[i]) == 0) {
            *out = (ewcl_fisher_labels)i;
            return true;
        }
    cli_error("bench fisher: --labels '%s' is not true, pred, sample or all", text);
    return false;
}

static void print_json_summary(const char *bench, const char *device, const char *unit,
                               const bench_summary *r, const char *extra_name, double extra)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "bench", bench);
    cJSON_AddStringToObject(root, "device", device);
    cJSON_AddStringToObject(root, "unit", unit);
    cJSON_AddNumberToObject(root, "median", r->median);
    cJSON_AddNumberToObject(root, "min", r->min);
    cJSON_AddNumberToObject(root, "max", r->max);
    if (extra_name != NULL)
        cJSON_AddNumberToObject(root, extra_name, extra);
    char *text = cJSON_Print(root);
    if (text != NULL)
        puts(text);
    cJSON_free(text);
    cJSON_Delete(root);
}

/* Milliseconds per estimate with one label mode, SAMPLES times after an untimed one (which
 * builds and specialises kernels). Each estimate ends in a read of the Fisher (its
 * statistics), so it is complete when the call returns. */
static ewcl_status time_fisher(ewcl_mlp *mlp, ewcl_fisher_labels labels, host_task *task,
                               size_t samples, bench_summary *out)
{
    ewcl_ewc_config config;
    ewcl_ewc_config_default(&config);
    config.labels = labels;
    ewcl_ewc *ewc = NULL;
    ewcl_status s = ewcl_ewc_create(mlp, &config, &ewc);
    double times[SAMPLES];
    for (int i = -1; i < SAMPLES && s == EWCL_OK; i++) {
        const double start = bench_now();
        s = ewcl_ewc_estimate_fisher(ewc, samples, samples, fill_from_host, task);
        if (i >= 0)
            times[i] = 1e3 * (bench_now() - start);
    }
    if (s == EWCL_OK)
        *out = bench_summarize(times, SAMPLES);
    ewcl_ewc_destroy(ewc);
    return s;
}

static void print_fisher_json(const ewcl_device_info *d, long samples, long batch,
                              const bench_summary *results, int first, int last)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "bench", "fisher");
    cJSON_AddStringToObject(root, "device", d->name);
    cJSON_AddNumberToObject(root, "samples", (double)samples);
    cJSON_AddNumberToObject(root, "batch", (double)batch);
    cJSON *list = cJSON_AddArrayToObject(root, "labels");
    for (int mode = first; mode <= last; mode++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "labels", label_names[mode]);
        cJSON_AddNumberToObject(o, "median_ms", results[mode].median);
        cJSON_AddNumberToObject(o, "min_ms", results[mode].min);
        cJSON_AddNumberToObject(o, "max_ms", results[mode].max);
        cJSON_AddItemToArray(list, o);
    }
    char *text = cJSON_Print(root);
    if (text != NULL)
        puts(text);
    cJSON_free(text);
    cJSON_Delete(root);
}

int bench_fisher(int argc, char **argv)
{
    cli_runtime_flags flags;
    cli_runtime_flags_init(&flags);
    bool json = false;
    long samples = 1024, batch = 1024;
    ewcl_fisher_labels labels = EWCL_FISHER_TRUE;
    bool labels_given = false;
    static const struct option long_options[] = {
        {"samples", required_argument, NULL, 'n'}, {"batch", required_argument, NULL, 'b'},
        {"labels", required_argument, NULL, 'l'},  {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},          CLI_RUNTIME_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    cli_getopt_reset();
    for (int c; (c = getopt_long(argc, argv, ":hv", long_options, NULL)) != -1;) {
        bool ok = true;
        if (c == 'n')
            ok = cli_parse_long("bench fisher", "--samples", optarg, 1, 60000, &samples);
        else if (c == 'b')
            ok = cli_parse_long("bench fisher", "--batch", optarg, 1, 4096, &batch);
        else if (c == 'l')
            ok = labels_given = parse_labels(optarg, &labels);
        else {
            const int code = cli_common_flag("bench fisher", fisher_help, c, argv, &flags, &json);
            if (code != CLI_PARSE_CONTINUE)
                return code;
        }
        if (!ok)
            return CLI_EXIT_USAGE;
    }
    if (!cli_flags_done("bench fisher", &flags, argc, argv))
        return CLI_EXIT_USAGE;
    ewcl_runtime *rt = NULL;
    int code = cli_open_runtime(&flags, &rt);
    if (code != CLI_EXIT_OK)
        return code;
    ewcl_mlp_config config;
    ewcl_mlp_config_default(&config);
    config.max_batch = (size_t)batch;
    ewcl_mlp *mlp = NULL;
    host_task task = {NULL, NULL, 0};
    ewcl_status s = ewcl_mlp_create(rt, &config, &mlp);
    if (s == EWCL_OK && !make_task(&task, (size_t)samples, &config))
        s = EWCL_ERR_OUT_OF_MEMORY;
    /* Every label mode, or the one --labels names. */
    const int first = labels_given ? (int)labels : 0, last = labels_given ? (int)labels : 3;
    bench_summary results[4];
    for (int mode = first; mode <= last && s == EWCL_OK; mode++)
        s = time_fisher(mlp, (ewcl_fisher_labels)mode, &task, (size_t)samples, &results[mode]);
    if (s == EWCL_OK) {
        const ewcl_device_info *d = ewcl_runtime_device(rt);
        if (json)
            print_fisher_json(d, samples, batch, results, first, last);
        else {
            printf("Fisher of the default MLP from %ld samples (batches of %ld) on %s [%s], "
                   "median of %d:\n  %-7s %9s %9s %9s\n",
                   samples, batch, d->name, ewcl_cl_runtime_name(d->runtime), SAMPLES,
                   "labels", "median ms", "min ms", "max ms");
            for (int mode = first; mode <= last; mode++)
                printf("  %-7s %9.2f %9.2f %9.2f\n", label_names[mode], results[mode].median,
                       results[mode].min, results[mode].max);
        }
    } else {
        cli_error("bench fisher: %s", ewcl_runtime_error(rt)->message);
        code = cli_exit_code(s);
    }
    free(task.x);
    free(task.labels);
    ewcl_mlp_destroy(mlp);
    ewcl_runtime_destroy(rt);
    return code;
}

/* Seconds per call of `run` repeated until about 0.2 s, median of SAMPLES. */
typedef ewcl_status (*bench_body)(void *user);

static ewcl_status time_body(ewcl_runtime *rt, bench_body body, void *user, bench_summary *out)
{
    ewcl_status s = body(user);
    if (s == EWCL_OK)
        s = ewcl_runtime_finish(rt);
    double start = bench_now();
    for (int r = 0; r < 3 && s == EWCL_OK; r++)
        s = body(user);
    if (s == EWCL_OK)
        s = ewcl_runtime_finish(rt);
    const int reps = (int)(0.2 / ((bench_now() - start) / 3)) + 1;
    double samples[SAMPLES];
    for (int i = 0; i < SAMPLES && s == EWCL_OK; i++) {
        start = bench_now();
        for (int r = 0; r < reps && s == EWCL_OK; r++)
            s = body(user);
        if (s == EWCL_OK)
            s = ewcl_runtime_finish(rt);
        samples[i] = (bench_now() - start) / reps;
    }
    if (s == EWCL_OK)
        *out = bench_summarize(samples, SAMPLES);
    return s;
}

static ewcl_status update_body(void *user)
{
    return ewcl_ewc_step(user, 1e-3f, 1e-4f);
}

typedef struct copy_job {
    ewcl_runtime *rt;
    cl_mem from, to;
    size_t bytes;
} copy_job;

static ewcl_status copy_body(void *user)
{
    const copy_job *j = user;
    const cl_int rc = clEnqueueCopyBuffer(ewcl_runtime_cl_queue(j->rt), j->from, j->to, 0, 0,
                                          j->bytes, 0, NULL, NULL);
    return rc == CL_SUCCESS ? EWCL_OK : EWCL_ERR_OPENCL;
}

/* An EWC state with one consolidated task, so that the step runs the fused kernel. */
static ewcl_status consolidated_state(ewcl_mlp *mlp, ewcl_ewc **ewc)
{
    ewcl_ewc_config config;
    ewcl_ewc_config_default(&config);
    host_task task = {NULL, NULL, 0};
    ewcl_mlp_config defaults;
    ewcl_mlp_config_default(&defaults);
    const ewcl_mlp_config *c = &defaults;
    ewcl_status s = ewcl_ewc_create(mlp, &config, ewc);
    if (s == EWCL_OK && !make_task(&task, c->max_batch, c))
        s = EWCL_ERR_OUT_OF_MEMORY;
    if (s == EWCL_OK)
        s = ewcl_ewc_estimate_fisher(*ewc, c->max_batch, c->max_batch, fill_from_host, &task);
    if (s == EWCL_OK)
        s = ewcl_ewc_consolidate(*ewc, 1e-3f);
    free(task.x);
    free(task.labels);
    return s;
}

int bench_update(int argc, char **argv)
{
    cli_runtime_flags flags;
    bool json = false;
    const int parsed =
        cli_parse_json_command("bench update", update_help, argc, argv, &flags, &json);
    if (parsed != CLI_PARSE_CONTINUE)
        return parsed;
    ewcl_runtime *rt = NULL;
    int code = cli_open_runtime(&flags, &rt);
    if (code != CLI_EXIT_OK)
        return code;
    ewcl_mlp_config config;
    ewcl_mlp_config_default(&config);
    ewcl_mlp *mlp = NULL;
    ewcl_ewc *ewc = NULL;
    copy_job copy = {rt, NULL, NULL, (size_t)64 << 20};
    ewcl_status s = ewcl_mlp_create(rt, &config, &mlp);
    if (s == EWCL_OK)
        s = consolidated_state(mlp, &ewc);
    cl_int rc = CL_SUCCESS;
    if (s == EWCL_OK) {
        copy.from = clCreateBuffer(ewcl_runtime_cl_context(rt), CL_MEM_READ_WRITE, copy.bytes,
                                   NULL, &rc);
        if (rc == CL_SUCCESS)
            copy.to = clCreateBuffer(ewcl_runtime_cl_context(rt), CL_MEM_READ_WRITE, copy.bytes,
                                     NULL, &rc);
        if (rc != CL_SUCCESS)
            s = EWCL_ERR_OUT_OF_MEMORY;
    }
    bench_summary update = {0, 0, 0}, copy_time = {0, 0, 0};
    if (s == EWCL_OK)
        s = time_body(rt, update_body, ewc, &update);
    if (s == EWCL_OK)
        s = time_body(rt, copy_body, &copy, &copy_time);
    if (s == EWCL_OK) {
        const size_t n = ewcl_mlp_parameter_count(mlp);
        const double update_gbs = 20.0 * (double)n / update.median / 1e9;
        const double copy_gbs = 2.0 * (double)copy.bytes / copy_time.median / 1e9;
        const ewcl_device_info *d = ewcl_runtime_device(rt);
        if (json) {
            const bench_summary us = {1e6 * update.median, 1e6 * update.min, 1e6 * update.max};
            print_json_summary("update", d->name, "us", &us, "gb_per_s", update_gbs);
        } else {
            printf("fused EWC update over %zu parameters on %s [%s]:\n"
                   "  median %.1f µs (min %.1f, max %.1f): %.1f GB/s; copy bandwidth %.1f GB/s "
                   "(%.0f%%)\n",
                   n, d->name, ewcl_cl_runtime_name(d->runtime), 1e6 * update.median,
                   1e6 * update.min, 1e6 * update.max, update_gbs, copy_gbs,
                   100.0 * update_gbs / copy_gbs);
        }
    } else {
        cli_error("bench update: %s", ewcl_runtime_error(rt)->message);
        code = cli_exit_code(s);
    }
    if (copy.from != NULL)
        clReleaseMemObject(copy.from);
    if (copy.to != NULL)
        clReleaseMemObject(copy.to);
    ewcl_ewc_destroy(ewc);
    ewcl_mlp_destroy(mlp);
    ewcl_runtime_destroy(rt);
    return code;
}
