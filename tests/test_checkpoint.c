/* Checkpoints and resume on a small generated data set: a run stopped mid-epoch or at a
 * task boundary and resumed ends bit-identical to an uninterrupted one (and within rounding
 * on another device); corrupt, truncated, foreign-version, wrong-magic and other-config
 * files are refused with their reason while --resume falls back and never overwrites them;
 * a full disk or an unwritable folder leaves the last checkpoint intact; a diverging run
 * saves its last finite state; and `ewcl train` / `ewcl eval` as a user meets them:
 * SIGTERM, kill -9 at random points, contradicting flags, eval against the run's R row. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "ewcl/ewcl.h"
#include "harness.h"
#include "harness_data.h"
#include "harness_program.h"

enum { TRAIN_IMAGES = 3000, TEST_IMAGES = 1000, SIDE = 12, CLASSES = 10, DATA_SEED = 7 };
/* Batches of 32: 94 per epoch, the last of 24. */
enum { BATCHES = 94 };

static char data_dir[4096]; /* written once by main, before Check forks */

/* Two tasks (three for the full run), two epochs, EWC with the implicit step, a loss read
 * every 25 iterations (each a snapshot of the last finite state). */
static ewcl_train_config small_config(size_t tasks)
{
    ewcl_train_config c;
    ewcl_train_config_default(&c);
    c.hidden_size = 64;
    c.hidden_layer_num = 1;
    c.task_number = tasks;
    c.epochs_per_task = 2;
    c.batch_size = 32;
    c.test_size = 300;
    c.fisher_sample_size = 500;
    c.eval_log_interval = 50;
    c.loss_log_interval = 25;
    c.progress_interval = 1; /* the stopper below follows every iteration */
    c.consolidate = true;
    c.ewc.lambda = 300.0f;
    c.ewc.step = EWCL_PENALTY_IMPLICIT;
    return c;
}

static ewcl_runtime *open_device(const char *selector)
{
    ewcl_runtime_options o;
    ewcl_runtime_options_default(&o);
    snprintf(o.device, sizeof o.device, "%s", selector != NULL ? selector : "");
    return ewcl_test_open_runtime_with(o);
}

/* Asks for a stop once the run has reached iteration `at` (0: never). */
typedef struct stopper {
    uint64_t at, iteration;
} stopper;

static void follow(void *user, const ewcl_train_progress *p)
{
    ((stopper *)user)->iteration = p->iteration;
}

static bool stop_now(void *user)
{
    const stopper *s = user;
    return s->at > 0 && s->iteration >= s->at;
}

/* A run into checkpoint folder `dir` (NULL: none), stopped at `stop_at` (0: never),
 * resumed from `resume` (NULL: fresh), on `device` (NULL: the test device). */
static ewcl_status run_into(const char *device, const ewcl_train_config *c, const char *dir,
                            uint64_t every, uint64_t stop_at, const ewcl_checkpoint *resume,
                            ewcl_train_result *r, char *message)
{
    ewcl_idx_data data = ewcl_test_load_data(data_dir, CLASSES);
    ewcl_runtime *rt = open_device(device);
    stopper s = {stop_at, 0};
    const ewcl_train_callbacks callbacks = {follow, NULL, NULL, &s, stop_now};
    ewcl_train_checkpointing k;
    ewcl_train_checkpointing_default(&k);
    k.dir = dir;
    k.every = every;
    k.resume = resume;
    const ewcl_status st = ewcl_train_run_checkpointed(rt, &data, c, &callbacks, &k, r);
    if (message != NULL)
        snprintf(message, EWCL_ERROR_MESSAGE_MAX, "%s", ewcl_runtime_error(rt)->message);
    ewcl_runtime_destroy(rt);
    ewcl_idx_data_free(&data);
    return st;
}

static ewcl_train_result run_ok(const char *device, const ewcl_train_config *c,
                                const char *dir, uint64_t every, uint64_t stop_at,
                                const ewcl_checkpoint *resume)
{
    ewcl_train_result r;
    char message[EWCL_ERROR_MESSAGE_MAX];
    const ewcl_status st = run_into(device, c, dir, every, stop_at, resume, &r, message);
    ck_assert_msg(st == EWCL_OK, "%s: %s", ewcl_status_name(st), message);
    return r;
}

/* What the refusals said, through the log callback of ewcl_checkpoint_find. */
typedef struct warnings {
    char text[8192];
    size_t count;
} warnings;

static void collect(void *user, ewcl_log_level level, const char *message)
{
    warnings *w = user;
    ck_assert_int_eq(level, EWCL_LOG_WARNING);
    const size_t used = strlen(w->text);
    snprintf(w->text + used, sizeof w->text - used, "%s\n", message);
    w->count++;
}

/* The newest valid checkpoint of `dir` (failing the test when there is none). */
static ewcl_checkpoint *newest(const char *dir, const ewcl_train_config *config, warnings *w,
                               char *path)
{
    ewcl_checkpoint *ck = NULL;
    char where[EWCL_PATH_MAX];
    ewcl_error err;
    ewcl_error_clear(&err);
    ck_assert_msg(ewcl_checkpoint_find(dir, config, w != NULL ? collect : NULL, w, &ck,
                                       path != NULL ? path : where, EWCL_PATH_MAX,
                                       &err) == EWCL_OK,
                  "%s", err.message);
    ck_assert_msg(ck != NULL, "no valid checkpoint in %s", dir);
    return ck;
}

static size_t count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0; /* not made yet */
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        const size_t len = strlen(e->d_name), s = strlen(suffix);
        n += len >= s && strstr(e->d_name, suffix) != NULL;
    }
    closedir(d);
    return n;
}

/* The same run, bit for bit: the accuracy matrices and the final parameters (those of the
 * checkpoint written after the last task). */
static void expect_identical(const ewcl_train_result *a, const char *dir_a,
                             const ewcl_train_result *b, const char *dir_b)
{
    const size_t t = a->task_count;
    ck_assert_uint_eq(b->task_count, t);
    ck_assert_uint_eq(a->iterations, b->iterations);
    ck_assert_mem_eq(a->accuracy, b->accuracy, t * t * sizeof *a->accuracy);
    ewcl_checkpoint *ca = newest(dir_a, NULL, NULL, NULL), *cb = newest(dir_b, NULL, NULL, NULL);
    size_t na = 0, nb = 0;
    const float *pa = ewcl_checkpoint_parameters(ca, &na), *pb = ewcl_checkpoint_parameters(cb, &nb);
    ck_assert_uint_eq(na, nb);
    ck_assert_mem_eq(pa, pb, na * sizeof *pa);
    ck_assert_uint_eq(ewcl_checkpoint_where(ca).task, t);
    ck_assert_uint_eq(ewcl_checkpoint_where(cb).task, t);
    ewcl_checkpoint_destroy(ca);
    ewcl_checkpoint_destroy(cb);
}

static char *temp_dir(const char *tag)
{
    static char dirs[8][4096];
    static int next;
    char *d = dirs[next++ % 8];
    snprintf(d, 4096, "%s", ewcl_test_make_temp_dir(tag));
    return d;
}

/* Stops at `stop_at` into `dir`, resumes from the newest checkpoint there to the end. */
static ewcl_train_result interrupted(const char *first_device, const char *second_device,
                                     const ewcl_train_config *c, const char *dir,
                                     uint64_t every, uint64_t stop_at)
{
    ewcl_train_result part = run_ok(first_device, c, dir, every, stop_at, NULL);
    ck_assert_msg(part.stopped, "the run was not stopped at %llu", (unsigned long long)stop_at);
    ck_assert_msg(part.checkpoint[0] != '\0', "no checkpoint when stopped");
    ewcl_train_result_free(&part);
    ewcl_checkpoint *ck = newest(dir, c, NULL, NULL);
    ewcl_train_result whole = run_ok(second_device, c, dir, every, 0, ck);
    ewcl_checkpoint_destroy(ck);
    ck_assert(!whole.stopped);
    return whole;
}

/* ---- Resume -------------------------------------------------------------------------- */

START_TEST(a_resumed_run_is_bit_identical_to_an_uninterrupted_one)
{
    const ewcl_train_config c = small_config(3);
    char *plain = temp_dir("ck-plain"), *mid = temp_dir("ck-mid"), *edge = temp_dir("ck-edge");
    ewcl_train_result a = run_ok(NULL, &c, plain, 0, 0, NULL);
    ck_assert(!a.stopped);
    /* Mid-epoch: iteration 150 is batch 56 of task 1's second epoch; checkpoints every 37
     * iterations as well. */
    ewcl_train_result b = interrupted(NULL, NULL, &c, mid, 37, 150);
    /* At a task boundary: the stop asked at task 1's last step waits for the task's end. */
    ewcl_train_result e = interrupted(NULL, NULL, &c, edge, 0, 2 * BATCHES);
    expect_identical(&a, plain, &b, mid);
    expect_identical(&a, plain, &e, edge);
    /* Only the newest two are kept. */
    ck_assert_uint_eq(count_files(mid, EWCL_CHECKPOINT_SUFFIX), 2);
    ck_assert_uint_eq(count_files(plain, EWCL_CHECKPOINT_SUFFIX), 2);
    ewcl_train_result_free(&a);
    ewcl_train_result_free(&b);
    ewcl_train_result_free(&e);
}
END_TEST

START_TEST(a_checkpoint_resumes_on_another_device_up_to_rounding)
{
    const ewcl_train_config c = small_config(2);
    char *plain = temp_dir("ck-dev-a"), *moved = temp_dir("ck-dev-b");
    const char *pthread = "runtime:pocl,name:pthread", *basic = "runtime:pocl,name:basic";
    ewcl_train_result a = run_ok(pthread, &c, plain, 0, 0, NULL);
    ewcl_train_result b = interrupted(pthread, basic, &c, moved, 0, 150);
    ewcl_checkpoint *ca = newest(plain, NULL, NULL, NULL), *cb = newest(moved, NULL, NULL, NULL);
    ck_assert_str_ne(ewcl_checkpoint_device(ca), ewcl_checkpoint_device(cb));
    size_t n = 0;
    const float *pa = ewcl_checkpoint_parameters(ca, &n), *pb = ewcl_checkpoint_parameters(cb, &n);
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs((double)pa[i] - (double)pb[i]));
    double worst_accuracy = 0.0;
    for (size_t i = 0; i < c.task_number * c.task_number; i++)
        worst_accuracy = fmax(worst_accuracy, fabs(a.accuracy[i] - b.accuracy[i]));
    printf("pthread vs resumed on basic: parameters differ by at most %.3g, accuracies by "
           "%.4f\n", worst, worst_accuracy);
    /* Rounding, not another run: parameters are O(0.1–1); a different run (another seed)
     * differs by O(0.1) everywhere and its accuracies by more than 0.01. */
    ck_assert_msg(worst < 1e-3, "parameters differ by %g", worst);
    ck_assert_msg(worst_accuracy <= 0.005, "accuracies differ by %g", worst_accuracy);
    ewcl_checkpoint_destroy(ca);
    ewcl_checkpoint_destroy(cb);
    ewcl_train_result_free(&a);
    ewcl_train_result_free(&b);
}
END_TEST

/* ---- Refusals -------------------------------------------------------------------------- */

static uint8_t *read_bytes(const char *path, size_t *size)
{
    uint8_t *b = (uint8_t *)ewcl_test_read_file(path, size);
    ck_assert_msg(b != NULL, "cannot read %s", path);
    return b;
}

static void put_u32(uint8_t *at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        at[i] = (uint8_t)(v >> (8 * i));
}

/* The CRC of the header fixed after changing the payload, so that the field checks are
 * what refuses it. */
static void fix_crc(uint8_t *b, size_t size)
{
    put_u32(b + 12, (uint32_t)crc32(0L, b + EWCL_CHECKPOINT_HEADER_SIZE,
                                    (uInt)(size - EWCL_CHECKPOINT_HEADER_SIZE)));
}

static const char *parse_message(const uint8_t *b, size_t size, ewcl_status *status)
{
    static ewcl_error err;
    ewcl_error_clear(&err);
    ewcl_checkpoint *ck = NULL;
    *status = ewcl_checkpoint_parse(b, size, &ck, &err);
    ck_assert(*status == EWCL_OK || ck == NULL);
    ewcl_checkpoint_destroy(ck);
    return err.message;
}

static void expect_refused(const uint8_t *b, size_t size, const char *reason)
{
    ewcl_status st;
    const char *message = parse_message(b, size, &st);
    ck_assert_msg(st == EWCL_ERR_FORMAT && strstr(message, reason) != NULL,
                  "expected '%s', got %s: %s", reason, ewcl_status_name(st), message);
}

START_TEST(damaged_checkpoints_are_refused_with_their_reason)
{
    ewcl_train_config c = small_config(2);
    c.epochs_per_task = 1;
    char *dir = temp_dir("ck-damage");
    ewcl_train_result r = run_ok(NULL, &c, dir, 0, BATCHES, NULL); /* after task 1 */
    ewcl_train_result_free(&r);
    char path[EWCL_PATH_MAX];
    ewcl_checkpoint_destroy(newest(dir, NULL, NULL, path));
    size_t size = 0;
    uint8_t *good = read_bytes(path, &size), *b = malloc(size);
    ewcl_status st;
    parse_message(good, size, &st);
    ck_assert_int_eq(st, EWCL_OK);

    memcpy(b, good, size);
    b[size / 2] ^= 0x40;
    expect_refused(b, size, "CRC-32");
    expect_refused(good, size - 1, "truncated");
    expect_refused(good, 10, "truncated");
    memcpy(b, good, size);
    put_u32(b + 8, 2);
    expect_refused(b, size, "format version 2");
    memcpy(b, good, size);
    b[0] = 'X';
    expect_refused(b, size, "wrong magic");
    memcpy(b, good, size);
    b[EWCL_CHECKPOINT_HEADER_SIZE] = 0xff; /* hidden size: huge */
    fix_crc(b, size);
    parse_message(b, size, &st);
    ck_assert_int_eq(st, EWCL_ERR_FORMAT);

    /* Every cut of the file, and any byte changed with a valid CRC: refused or read, never
     * a crash or an allocation the bytes cannot back. */
    for (size_t cut = 0; cut < size; cut += 1 + size / 997)
        expect_refused(good, cut, "");
    srand(11);
    for (int i = 0; i < 400; i++) {
        memcpy(b, good, size);
        const size_t at = EWCL_CHECKPOINT_HEADER_SIZE +
                          (size_t)rand() % (i < 200 ? 600 : size - EWCL_CHECKPOINT_HEADER_SIZE);
        b[at] = (uint8_t)rand();
        fix_crc(b, size);
        parse_message(b, size, &st);
        ck_assert(st == EWCL_OK || st == EWCL_ERR_FORMAT);
    }
    free(good);
    free(b);
}
END_TEST

/* A damaged newest file (or one of another run) is passed over for the previous valid one,
 * with a warning naming it and why; the resumed run writes after it and never over it. */
START_TEST(resume_falls_back_and_never_overwrites_what_it_could_not_read)
{
    ewcl_train_config c = small_config(3);
    c.epochs_per_task = 1;
    char *dir = temp_dir("ck-fallback"), *other = temp_dir("ck-other");
    ewcl_train_result r = run_ok(NULL, &c, dir, 0, BATCHES, NULL);
    ewcl_train_result_free(&r);
    ewcl_train_config c2 = c;
    c2.lr = 0.05f;
    r = run_ok(NULL, &c2, other, 0, BATCHES, NULL);
    ewcl_train_result_free(&r);
    char first[EWCL_PATH_MAX], foreign[EWCL_PATH_MAX];
    ewcl_checkpoint_destroy(newest(dir, NULL, NULL, first));
    ewcl_checkpoint_destroy(newest(other, NULL, NULL, foreign));
    size_t size = 0, foreign_size = 0;
    uint8_t *bytes = read_bytes(first, &size), *foreign_bytes = read_bytes(foreign, &foreign_size);

    /* Newer files: a corrupt copy (sequence 5) and the other run's checkpoint (6). */
    char corrupt[EWCL_PATH_MAX + 64], stranger[EWCL_PATH_MAX + 64];
    snprintf(corrupt, sizeof corrupt, "%s/" EWCL_CHECKPOINT_PREFIX "00000005" EWCL_CHECKPOINT_SUFFIX, dir);
    snprintf(stranger, sizeof stranger, "%s/" EWCL_CHECKPOINT_PREFIX "00000006" EWCL_CHECKPOINT_SUFFIX, dir);
    bytes[size - 3] ^= 1;
    ck_assert_int_eq(ewcl_test_write_file(corrupt, bytes, size), 0);
    ck_assert_int_eq(ewcl_test_write_file(stranger, foreign_bytes, foreign_size), 0);

    warnings w = {{0}, 0};
    char found[EWCL_PATH_MAX];
    ewcl_checkpoint *ck = newest(dir, &c, &w, found);
    ck_assert_str_eq(found, first);
    ck_assert_uint_eq(w.count, 2);
    ck_assert_msg(strstr(w.text, "00000006") != NULL && strstr(w.text, "another configuration") &&
                      strstr(w.text, "--lr") != NULL,
                  "%s", w.text);
    ck_assert_msg(strstr(w.text, "00000005") != NULL && strstr(w.text, "CRC-32") != NULL, "%s",
                  w.text);
    ewcl_error err;
    ck_assert_int_eq(ewcl_checkpoint_check_config(ck, &c2, &err), EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(err.message, "--lr 0.100000001, not 0.0500000007") != NULL, "%s",
                  err.message);

    /* The resumed run goes on to sequence 7 and leaves 5 and 6 as they were. */
    r = run_ok(NULL, &c, dir, 0, 0, ck);
    ewcl_train_result_free(&r);
    ewcl_checkpoint_destroy(ck);
    size_t after = 0;
    uint8_t *again = read_bytes(corrupt, &after);
    ck_assert_uint_eq(after, size);
    ck_assert_mem_eq(again, bytes, size);
    free(again);
    again = read_bytes(stranger, &after);
    ck_assert_mem_eq(again, foreign_bytes, foreign_size);
    free(again);
    ewcl_checkpoint *last = newest(dir, &c, NULL, found);
    ck_assert_uint_eq(ewcl_checkpoint_where(last).task, 3);
    ck_assert_uint_gt(ewcl_checkpoint_where(last).sequence, 6);
    ewcl_checkpoint_destroy(last);
    /* A fresh run refuses a folder that holds a checkpoint. */
    char message[EWCL_ERROR_MESSAGE_MAX];
    ck_assert_int_eq(run_into(NULL, &c, dir, 0, 0, NULL, &r, message), EWCL_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(message, "already holds") != NULL, "%s", message);
    free(bytes);
    free(foreign_bytes);
}
END_TEST

/* ---- Write failures and divergence ---------------------------------------------------- */

START_TEST(a_full_disk_keeps_the_last_checkpoint)
{
    ewcl_train_config c = small_config(2);
    c.epochs_per_task = 1;
    c.hidden_size = 384; /* a checkpoint of ~3 MB, larger than any cached kernel binary */
    char *dir = temp_dir("ck-full");
    /* A whole run first, so that every kernel is built and cached before the limit (PoCL
     * writes its compiled kernels to disk too). */
    ewcl_train_result r = run_ok(NULL, &c, NULL, 0, 0, NULL);
    ewcl_train_result_free(&r);
    r = run_ok(NULL, &c, dir, 0, BATCHES, NULL);
    ewcl_train_result_free(&r);
    char path[EWCL_PATH_MAX];
    ewcl_checkpoint *ck = newest(dir, NULL, NULL, path);
    size_t size = 0;
    uint8_t *before = read_bytes(path, &size);
    /* Files of at most 1 MiB: room for the kernels PoCL unpacks, not for a checkpoint, as
     * on a full disk. Check forks each test, so the limit ends with it. */
    signal(SIGXFSZ, SIG_IGN);
    const struct rlimit small = {1 << 20, RLIM_INFINITY};
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
    char message[EWCL_ERROR_MESSAGE_MAX];
    ck_assert_int_eq(run_into(NULL, &c, dir, 10, 0, ck, &r, message), EWCL_ERR_IO);
    ck_assert_msg(strstr(message, "cannot write checkpoint") != NULL &&
                      strstr(message, dir) != NULL && strstr(message, "too large") != NULL,
                  "%s", message);
    const struct rlimit none = {RLIM_INFINITY, RLIM_INFINITY};
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &none), 0);
    /* The one checkpoint, unchanged; no temporary file left. */
    ck_assert_uint_eq(count_files(dir, EWCL_CHECKPOINT_SUFFIX), 1);
    size_t after = 0;
    uint8_t *kept = read_bytes(path, &after);
    ck_assert_uint_eq(after, size);
    ck_assert_mem_eq(kept, before, size);
    free(kept);
    free(before);
    r = run_ok(NULL, &c, dir, 0, 0, ck);
    ewcl_train_result_free(&r);
    ewcl_checkpoint_destroy(ck);

    /* A folder that cannot exist (a path through a file): one error naming it. */
    char blocked[EWCL_PATH_MAX + 16];
    snprintf(blocked, sizeof blocked, "%s/checkpoint-00000001.ewclckpt/sub", dir);
    ck_assert_int_eq(run_into(NULL, &c, blocked, 0, 0, NULL, &r, message), EWCL_ERR_IO);
    ck_assert_msg(strstr(message, blocked) != NULL, "%s", message);
}
END_TEST

START_TEST(a_diverging_run_saves_its_last_finite_state)
{
    ewcl_train_config c = small_config(2);
    c.consolidate = false;
    c.lr = 1e6f;
    c.loss_log_interval = 1;
    char *dir = temp_dir("ck-nan");
    ewcl_train_result r;
    char message[EWCL_ERROR_MESSAGE_MAX];
    ck_assert_int_eq(run_into(NULL, &c, dir, 0, 0, NULL, &r, message), EWCL_ERR_NUMERIC);
    ck_assert_msg(strstr(message, "diverged at task 1/2") != NULL, "%s", message);
    ewcl_checkpoint *ck = newest(dir, NULL, NULL, NULL);
    const ewcl_checkpoint_position p = ewcl_checkpoint_where(ck);
    /* The last loss read finite: before the step whose loss was not. */
    ck_assert_uint_ge(p.iteration, 1);
    size_t n = 0;
    const float *theta = ewcl_checkpoint_parameters(ck, &n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(isfinite(theta[i]), "parameter %zu is %g", i, (double)theta[i]);
    ck_assert_uint_eq(ewcl_checkpoint_point_count(ck), p.iteration);
    ck_assert(isfinite(ewcl_checkpoint_point(ck, p.iteration - 1).total_loss));
    ewcl_checkpoint_destroy(ck);
}
END_TEST

/* ---- The command line ------------------------------------------------------------------ */

/* `ewcl train` with the small run's flags and `extra` (at most 8). */
#define TRAIN_FLAGS(tasks)                                                                    \
    "train", "--device", ewcl_test_device_selector(), "--data-dir", data_dir,                 \
        "--task-number", tasks, "--epochs-per-task", "2", "--hidden-size", "64",              \
        "--hidden-layer-num", "1", "--batch-size", "32", "--test-size", "300",                \
        "--fisher-estimation-sample-size", "500", "--eval-log-interval", "50",                \
        "--loss-log-interval", "25", "--consolidate", "--lambda", "300", "--penalty-step",    \
        "implicit", "--quiet"

static ewcl_test_output ewcl_run(const char *const args[])
{
    return ewcl_test_run_program(EWCL_PROGRAM_PATH, args, NULL);
}

/* Starts `ewcl args...` in the background, its output into `log`. */
static pid_t spawn(const char *const args[], const char *log)
{
    fflush(NULL);
    const pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        const int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
            _exit(126);
        char *argv[64];
        size_t n = 0;
        argv[n++] = EWCL_PROGRAM_PATH;
        for (size_t i = 0; args[i] != NULL && n + 1 < 64; i++)
            argv[n++] = (char *)args[i];
        argv[n] = NULL;
        execv(EWCL_PROGRAM_PATH, argv);
        _exit(127);
    }
    return child;
}

static int wait_code(pid_t child)
{
    int status = 0;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void sleep_ms(long ms)
{
    const struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* The accuracy row `ewcl eval --json` prints. */
static size_t eval_row(const char *target, double *row)
{
    ewcl_test_output o = ewcl_run(EWCL_ARGS("eval", target, "--device",
                                            ewcl_test_device_selector(), "--data-dir", data_dir,
                                            "--json"));
    ewcl_test_expect_code(&o, 0);
    cJSON *doc = cJSON_Parse(o.out);
    ck_assert_msg(doc != NULL, "%s", o.out);
    const cJSON *a = cJSON_GetObjectItem(doc, "accuracy");
    size_t n = 0;
    for (const cJSON *v = a != NULL ? a->child : NULL; v != NULL; v = v->next)
        row[n++] = v->valuedouble;
    cJSON_Delete(doc);
    ewcl_test_output_free(&o);
    return n;
}

/* The last row of summary.json's accuracy matrix. */
static size_t summary_last_row(const char *log_dir, double *row)
{
    char path[EWCL_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/summary.json", log_dir);
    char *text = ewcl_test_read_file(path, NULL);
    ck_assert_msg(text != NULL, "no %s", path);
    cJSON *doc = cJSON_Parse(text);
    const cJSON *m = cJSON_GetObjectItem(doc, "accuracy");
    const cJSON *last = m != NULL ? cJSON_GetArrayItem(m, cJSON_GetArraySize(m) - 1) : NULL;
    size_t n = 0;
    for (const cJSON *v = last != NULL ? last->child : NULL; v != NULL; v = v->next)
        row[n++] = v->valuedouble;
    cJSON_Delete(doc);
    free(text);
    return n;
}

static void expect_same_final(const char *dir_a, const char *dir_b)
{
    ewcl_checkpoint *a = newest(dir_a, NULL, NULL, NULL), *b = newest(dir_b, NULL, NULL, NULL);
    size_t na = 0, nb = 0;
    const float *pa = ewcl_checkpoint_parameters(a, &na), *pb = ewcl_checkpoint_parameters(b, &nb);
    const size_t t = ewcl_checkpoint_where(a).task_count;
    ck_assert_uint_eq(ewcl_checkpoint_where(a).task, t);
    ck_assert_uint_eq(ewcl_checkpoint_where(b).task, t);
    ck_assert_uint_eq(na, nb);
    ck_assert_mem_eq(pa, pb, na * sizeof *pa);
    ck_assert_mem_eq(ewcl_checkpoint_accuracy(a), ewcl_checkpoint_accuracy(b),
                     t * t * sizeof(double));
    ewcl_checkpoint_destroy(a);
    ewcl_checkpoint_destroy(b);
}

/* SIGTERM mid-run: exit 143 with the --resume line; resumed, the run ends as an
 * uninterrupted one; `ewcl eval` gives the R row of the run's summary. */
START_TEST(cli_sigterm_checkpoint_resume_and_eval)
{
    char *base = temp_dir("ck-cli");
    char whole[4200], cut[4200], cut_ck[4300], log[4300];
    snprintf(whole, sizeof whole, "%s/whole", base);
    snprintf(cut, sizeof cut, "%s/cut", base);
    snprintf(cut_ck, sizeof cut_ck, "%s/checkpoints", cut);
    snprintf(log, sizeof log, "%s/cut.log", base);
    ewcl_test_output o = ewcl_run(EWCL_ARGS(TRAIN_FLAGS("2"), "--log-dir", whole));
    ewcl_test_expect_code(&o, 0);
    ewcl_test_output_free(&o);
    double eval[8], summary[8];
    char whole_ck[4300];
    snprintf(whole_ck, sizeof whole_ck, "%s/checkpoints", whole);
    ck_assert_uint_eq(eval_row(whole_ck, eval), 2);
    ck_assert_uint_eq(summary_last_row(whole, summary), 2);
    ck_assert_mem_eq(eval, summary, 2 * sizeof *eval);

    const pid_t child = spawn(EWCL_ARGS(TRAIN_FLAGS("2"), "--log-dir", cut,
                                        "--checkpoint-every", "20"),
                              log);
    /* SIGTERM once the first periodic checkpoint exists: training is under way. */
    for (int i = 0; i < 600 && count_files(cut_ck, EWCL_CHECKPOINT_SUFFIX) == 0; i++)
        sleep_ms(50);
    kill(child, SIGTERM);
    const int code = wait_code(child);
    char *said = ewcl_test_read_file(log, NULL);
    ck_assert_msg(code == 143, "exit %d: %s", code, said);
    ck_assert_msg(strstr(said, "interrupted (SIGTERM)") != NULL &&
                      strstr(said, "ewcl train --resume") != NULL,
                  "%s", said);
    free(said);
    o = ewcl_run(EWCL_ARGS(TRAIN_FLAGS("2"), "--resume", cut_ck));
    ewcl_test_expect_code(&o, 0);
    ck_assert_msg(strstr(o.err, "resuming from") != NULL, "%s", o.err);
    ewcl_test_output_free(&o);
    expect_same_final(whole_ck, cut_ck);
    /* The resumed run's files cover the whole run: its summary is the uninterrupted one's. */
    ck_assert_uint_eq(summary_last_row(cut, summary), 2);
    ck_assert_mem_eq(eval, summary, 2 * sizeof *eval);

    /* A flag that contradicts the checkpoint: one line naming it (even at its default). */
    o = ewcl_run(EWCL_ARGS(TRAIN_FLAGS("2"), "--resume", cut_ck, "--lr", "0.1", "--lambda",
                           "40"));
    ewcl_test_expect_code(&o, 2);
    ck_assert_msg(strstr(o.err, "--lambda 300, not 40") != NULL && strchr(o.err, '\n') ==
                      o.err + strlen(o.err) - 1,
                  "%s", o.err);
    ewcl_test_output_free(&o);
    /* A full disk (1 or 2 MiB per file, as sh counts blocks; checkpoints of ~3 MB): a line
     * naming the checkpoint, exit 1. */
    char full[4200], full_ck[4300];
    snprintf(full, sizeof full, "%s/full", base);
    snprintf(full_ck, sizeof full_ck, "%s/checkpoints", full);
    o = ewcl_test_run_program("/bin/sh",
                              EWCL_ARGS("-c", "ulimit -f 2048; exec \"$0\" \"$@\"",
                                        EWCL_PROGRAM_PATH, TRAIN_FLAGS("2"), "--hidden-size",
                                        "384", "--log-dir", full),
                              NULL);
    ewcl_test_expect_code(&o, 1);
    ck_assert_msg(strstr(o.err, "cannot write checkpoint") != NULL &&
                      strstr(o.err, full_ck) != NULL,
                  "%s", o.err);
    ewcl_test_output_free(&o);
    ewcl_test_remove_tree(base);
}
END_TEST

/* kill -9 at random moments of short runs that checkpoint every iteration, each resuming
 * the last: every --resume finds a valid checkpoint (or, before the first, says it starts
 * fresh); the run finally completed equals an uninterrupted one bit for bit. */
START_TEST(cli_kill_9_at_random_points_always_leaves_a_valid_checkpoint)
{
    char *base = temp_dir("ck-kill");
    char whole[4200], whole_ck[4300], dir[4200], log[4300];
    snprintf(whole, sizeof whole, "%s/whole", base);
    snprintf(whole_ck, sizeof whole_ck, "%s/checkpoints", whole);
    snprintf(dir, sizeof dir, "%s/killed", base);
    snprintf(log, sizeof log, "%s/run.log", base);
    /* Ten epochs a task (2820 iterations), so that the kills land before the end. */
    ewcl_test_output o = ewcl_run(EWCL_ARGS(TRAIN_FLAGS("3"), "--epochs-per-task", "10",
                                            "--log-dir", whole));
    ewcl_test_expect_code(&o, 0);
    ewcl_test_output_free(&o);
    const int loops = 30;
    int resumed = 0, fresh = 0, finished = 0, mid_write = 0;
    srand((unsigned)time(NULL));
    const time_t start = time(NULL);
    for (int i = 0; i < loops && time(NULL) - start < 50; i++) {
        const pid_t child = spawn(EWCL_ARGS(TRAIN_FLAGS("3"), "--epochs-per-task", "10",
                                            "--no-log", "--checkpoint-every", "1", "--resume",
                                            dir),
                                  log);
        sleep_ms(200 + rand() % 1800);
        kill(child, SIGKILL);
        const int code = wait_code(child);
        /* A temporary file left: killed while writing a checkpoint. */
        mid_write += count_files(dir, ".tmp") > 0;
        char *said = ewcl_test_read_file(log, NULL);
        ck_assert_msg(code == 137 || code == 0, "run %d: exit %d: %s", i, code, said);
        ck_assert_msg(strstr(said, "refused") == NULL, "run %d: %s", i, said);
        resumed += strstr(said, "resuming from") != NULL;
        fresh += strstr(said, "starting a fresh run") != NULL;
        finished += code == 0;
        free(said);
    }
    o = ewcl_run(EWCL_ARGS(TRAIN_FLAGS("3"), "--epochs-per-task", "10", "--no-log",
                           "--resume", dir));
    ewcl_test_expect_code(&o, 0);
    ewcl_test_output_free(&o);
    printf("kill -9 loop: %d runs (%d resumed a checkpoint, %d started fresh, %d killed "
           "while writing one, %d finished before the kill)\n",
           resumed + fresh, resumed, fresh, mid_write, finished);
    ck_assert_int_ge(resumed, 5);
    expect_same_final(whole_ck, dir);
    ewcl_test_remove_tree(base);
}
END_TEST

int main(int argc, char **argv)
{
    ewcl_test_require_device();
    if (ewcl_test_write_data(data_dir, "ck-data",
                             (ewcl_test_data_shape){TRAIN_IMAGES, TEST_IMAGES, SIDE, CLASSES,
                                                    DATA_SEED, false}) != 0)
        return 1;
    Suite *suite = suite_create("checkpoint");
    TCase *tc = tcase_create("checkpoint");
    tcase_set_timeout(tc, EWCL_TEST_CL_TIMEOUT);
    const char *part = argc > 1 ? argv[1] : "";
    if (strcmp(part, "two-devices") == 0)
        tcase_add_test(tc, a_checkpoint_resumes_on_another_device_up_to_rounding);
    else if (strcmp(part, "kill-loop") == 0)
        tcase_add_test(tc, cli_kill_9_at_random_points_always_leaves_a_valid_checkpoint);
    else {
        tcase_add_test(tc, a_resumed_run_is_bit_identical_to_an_uninterrupted_one);
        tcase_add_test(tc, damaged_checkpoints_are_refused_with_their_reason);
        tcase_add_test(tc, resume_falls_back_and_never_overwrites_what_it_could_not_read);
        tcase_add_test(tc, a_full_disk_keeps_the_last_checkpoint);
        tcase_add_test(tc, a_diverging_run_saves_its_last_finite_state);
        tcase_add_test(tc, cli_sigterm_checkpoint_resume_and_eval);
    }
    suite_add_tcase(suite, tc);
    const int code = ewcl_test_run(suite);
    ewcl_test_remove_tree(data_dir);
    return code;
}
