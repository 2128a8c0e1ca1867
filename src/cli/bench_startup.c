/* `ewcl bench startup`: times whole processes, from exec to a ready runtime with every
 * program built, with the caches empty (cold) and filled (warm). */
#define _XOPEN_SOURCE 700
#include <cjson/cJSON.h>
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_common.h"
#include "bench.h"

static const char startup_help[] =
    "usage: ewcl bench startup [--repeat N] [--json] [--device SEL] [--kernel-dir DIR]\n"
    "\n"
    "startup: seconds from starting a process to a ready runtime with every kernel program\n"
    "built (`ewcl warmup --quiet`, timed from fork to exit), in fresh cache folders:\n"
    "  cold        PoCL's and ewcl's caches empty before every run\n"
    "  warm        both caches filled\n"
    "  pocl-only   PoCL's cache filled, ewcl's program cache off (what ewcl's cache adds)\n"
    "Reports the median, min and max of N runs each (default 5).\n";

#define MAX_REPEAT 100

typedef struct startup_plan {
    char exe[EWCL_PATH_MAX];
    char root[EWCL_PATH_MAX];
    char pocl_cache[EWCL_PATH_MAX + 16];
    char ewcl_cache[EWCL_PATH_MAX + 16];
    const char *device;
    const char *kernel_dir;
} startup_plan;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool empty_dir(const char *path)
{
    remove_tree(path);
    return mkdir(path, 0755) == 0;
}

/* Runs `ewcl warmup --quiet` with the plan's caches; its wall time in seconds, or < 0 with
 * the child's exit code in *exit_code when it failed. */
static double time_warmup(const startup_plan *plan, bool use_ewcl_cache, int *exit_code)
{
    char *args[16];
    int n = 0;
    args[n++] = (char *)plan->exe;
    args[n++] = "warmup";
    args[n++] = "--quiet";
    if (use_ewcl_cache) {
        args[n++] = "--cache-dir";
        args[n++] = (char *)plan->ewcl_cache;
    } else {
        args[n++] = "--no-cache";
    }
    if (plan->device != NULL && plan->device[0] != '\0') {
        args[n++] = "--device";
        args[n++] = (char *)plan->device;
    }
    if (plan->kernel_dir != NULL && plan->kernel_dir[0] != '\0') {
        args[n++] = "--kernel-dir";
        args[n++] = (char *)plan->kernel_dir;
    }
    args[n] = NULL;

    fflush(NULL);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    const pid_t child = fork();
    if (child == 0) {
        setenv("POCL_CACHE_DIR", plan->pocl_cache, 1);
        execv(plan->exe, args);
        _exit(127);
    }
    int wstatus = 0;
    if (child < 0 || waitpid(child, &wstatus, 0) != child) {
        *exit_code = -1;
        return -1.0;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    *exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    if (*exit_code != 0)
        return -1.0;
    return (double)(end.tv_sec - start.tv_sec) + 1e-9 * (double)(end.tv_nsec - start.tv_nsec);
}

typedef struct startup_result {
    const char *name;
    bench_summary times;
} startup_result;

/* The three scenarios, `repeat` runs each. */
static int run_startup(const startup_plan *plan, int repeat, startup_result results[3])
{
    double cold[MAX_REPEAT], warm[MAX_REPEAT], pocl_only[MAX_REPEAT];
    int code = 0;
    for (int i = 0; i < repeat; i++) {
        if (!empty_dir(plan->pocl_cache) || !empty_dir(plan->ewcl_cache)) {
            cli_error("bench startup: cannot make cache folders under %s: %s", plan->root,
                      strerror(errno));
            return CLI_EXIT_RUNTIME;
        }
        if ((cold[i] = time_warmup(plan, true, &code)) < 0)
            goto failed;
    }
    for (int i = 0; i < repeat; i++)
        if ((warm[i] = time_warmup(plan, true, &code)) < 0)
            goto failed;
    for (int i = 0; i < repeat; i++)
        if ((pocl_only[i] = time_warmup(plan, false, &code)) < 0)
            goto failed;
    results[0] = (startup_result){"cold", bench_summarize(cold, repeat)};
    results[1] = (startup_result){"warm", bench_summarize(warm, repeat)};
    results[2] = (startup_result){"pocl-only", bench_summarize(pocl_only, repeat)};
    return CLI_EXIT_OK;
failed:
    cli_error("bench startup: `ewcl warmup` failed with exit code %d (run it alone to see why)",
              code);
    return code > 0 && code < 128 ? code : CLI_EXIT_RUNTIME;
}

static void print_results(const startup_result results[3], int repeat, bool json)
{
    if (!json) {
        printf("startup to a ready runtime with every program built (%d runs each)\n", repeat);
        printf("  %-10s %9s %9s %9s\n", "caches", "median s", "min s", "max s");
        for (int i = 0; i < 3; i++)
            printf("  %-10s %9.3f %9.3f %9.3f\n", results[i].name, results[i].times.median,
                   results[i].times.min, results[i].times.max);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "bench", "startup");
    cJSON_AddNumberToObject(root, "repeat", repeat);
    for (int i = 0; i < 3; i++) {
        cJSON *o = cJSON_AddObjectToObject(root, results[i].name);
        cJSON_AddNumberToObject(o, "median_s", results[i].times.median);
        cJSON_AddNumberToObject(o, "min_s", results[i].times.min);
        cJSON_AddNumberToObject(o, "max_s", results[i].times.max);
    }
    char *text = cJSON_Print(root);
    if (text != NULL)
        puts(text);
    cJSON_free(text);
    cJSON_Delete(root);
}

/* Absolute path of this program, so that the children run the same build. */
static bool own_path(char *out, size_t size)
{
    const ssize_t n = readlink("/proc/self/exe", out, size - 1);
    if (n <= 0)
        return false;
    out[n] = '\0';
    return true;
}

int bench_startup(int argc, char **argv)
{
    cli_runtime_flags flags;
    cli_runtime_flags_init(&flags);
    int repeat = 5;
    bool json = false;
    static const struct option long_options[] = {
        {"repeat", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        CLI_RUNTIME_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    cli_getopt_reset();
    for (int c; (c = getopt_long(argc, argv, ":hv", long_options, NULL)) != -1;) {
        if (c == 'r') {
            long value = 0;
            if (!cli_parse_long("bench startup", "--repeat", optarg, 1, MAX_REPEAT, &value))
                return CLI_EXIT_USAGE;
            repeat = (int)value;
        } else if (c == CLI_FLAG_CACHE_DIR || c == CLI_FLAG_NO_CACHE) {
            cli_error("bench startup: it makes fresh cache folders of its own; drop '%s'",
                      argv[optind - 1]);
            return CLI_EXIT_USAGE;
        } else {
            const int code =
                cli_common_flag("bench startup", startup_help, c, argv, &flags, &json);
            if (code != CLI_PARSE_CONTINUE)
                return code;
        }
    }
    if (!cli_flags_done("bench startup", &flags, argc, argv))
        return CLI_EXIT_USAGE;
    startup_plan plan = {.device = flags.options.device, .kernel_dir = flags.options.kernel_dir};
    if (!own_path(plan.exe, sizeof plan.exe)) {
        cli_error("bench startup: cannot find this program's path in /proc/self/exe");
        return CLI_EXIT_RUNTIME;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(plan.root, sizeof plan.root, "%s/ewcl-bench-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(plan.root) == NULL) {
        cli_error("bench startup: cannot make a folder %s: %s", plan.root, strerror(errno));
        return CLI_EXIT_RUNTIME;
    }
    snprintf(plan.pocl_cache, sizeof plan.pocl_cache, "%s/pocl", plan.root);
    snprintf(plan.ewcl_cache, sizeof plan.ewcl_cache, "%s/ewcl", plan.root);
    startup_result results[3];
    const int code = run_startup(&plan, repeat, results);
    remove_tree(plan.root);
    if (code == CLI_EXIT_OK)
        print_results(results, repeat, json);
    return code;
}
