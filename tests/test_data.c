/* The data layer on a device: the batch gather (pad, normalise, permute) against the
 * double-precision host reference of tests/ref/, with and without padding, identity and
 * random permutations, batches of 1, 7 and 128 with indices repeated and out of order; the
 * index copies in flight; argument checks before anything is enqueued; and, on the host,
 * the permutation generator and the pixel statistics.
 *
 * Tolerance: the device computes fma(pixel, scale, shift) with scale = 1/(255·std) and
 * shift = −mean/std rounded to float, one rounding of each and one of the result, so it
 * errs from the double (pixel/255 − mean)/std by at most ε·(255·|scale| + |shift| + |value|)
 * with ε = 2^-24: below 4e-7 for every normalisation here, so within the 1e-6 asked. The
 * padding is exactly shift, and that is checked bit for bit. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ewcl/data.h"
#include "ewcl/ewcl_cl.h"
#include "harness.h"
#include "ops/buffer.h"
#include "ref/ref_data.h"

#define EPS 5.9604644775390625e-08 /* 2^-24 */

/* A set of `count` random images (every byte value likely, 0 and 255 certainly) with
 * labels below `classes`, from a fixed linear congruential sequence. */
static ewcl_idx_set random_set(size_t count, size_t rows, size_t cols, size_t classes,
                               uint32_t seed)
{
    ewcl_idx_set set = {.count = count, .rows = rows, .cols = cols, .classes = classes};
    set.images = malloc(count * rows * cols);
    set.labels = malloc(count);
    ck_assert(set.images != NULL && set.labels != NULL);
    uint32_t x = seed;
    for (size_t i = 0; i < count * rows * cols; i++) {
        x = x * 1664525u + 1013904223u;
        set.images[i] = (uint8_t)(x >> 24);
    }
    set.images[0] = 0;
    set.images[count * rows * cols - 1] = 255;
    for (size_t i = 0; i < count; i++) {
        x = x * 1664525u + 1013904223u;
        set.labels[i] = (uint8_t)((x >> 16) % classes);
    }
    return set;
}

/* Indices in [0, count), out of order, with repeats (the first few entries recur). */
static uint32_t *batch_indices(size_t batch, size_t count, size_t salt)
{
    uint32_t *indices = malloc(batch * sizeof *indices);
    ck_assert_ptr_nonnull(indices);
    for (size_t k = 0; k < batch; k++)
        indices[k] = (uint32_t)((k * 7919 + salt * 104729 + 13) % count);
    for (size_t k = 3; k < batch; k += 5)
        indices[k] = indices[k / 3];
    if (batch > 1)
        indices[batch - 1] = (uint32_t)(count - 1);
    return indices;
}

static cl_mem new_buffer(ewcl_runtime *rt, size_t bytes)
{
    cl_mem buffer = NULL;
    CK_OK(rt, ewcl_buffer_create(rt, bytes, &buffer));
    return buffer;
}

/* Fills a buffer of `words` 32-bit words with a sentinel pattern (a NaN for floats). */
static void fill_sentinel(ewcl_runtime *rt, cl_mem buffer, size_t words)
{
    uint32_t *host = malloc(words * sizeof *host);
    ck_assert_ptr_nonnull(host);
    for (size_t i = 0; i < words; i++)
        host[i] = 0x7fc0dead;
    CK_OK(rt, ewcl_buffer_write(rt, buffer, 0, words * sizeof *host, host, true));
    free(host);
}

static void *read_back(ewcl_runtime *rt, cl_mem buffer, size_t words)
{
    uint32_t *host = malloc(words * sizeof *host);
    ck_assert_ptr_nonnull(host);
    CK_OK(rt, ewcl_buffer_read(rt, buffer, 0, words * sizeof *host, host));
    return host;
}

/* Checks `inputs` (batch × input_size floats, then `spare` sentinel words) and `labels`
 * (batch cl_ints, then `spare` sentinels) against the reference. */
static void check_batch(const ewcl_idx_set *set, size_t pad, const uint32_t *perm,
                        const uint32_t *indices, size_t batch, double mean, double std,
                        const float *inputs, const int32_t *labels, size_t spare,
                        const char *what)
{
    const size_t input_size = (set->rows + 2 * pad) * (set->cols + 2 * pad);
    double *want = malloc(batch * input_size * sizeof *want);
    ck_assert_ptr_nonnull(want);
    ref_gather(set->images, set->rows, set->cols, pad, perm, indices, batch, mean, std, want);
    const double bound = 255.0 / (255.0 * std) + fabs(mean / std);
    for (size_t e = 0; e < batch * input_size; e++) {
        const double tolerance = EPS * (bound + fabs(want[e]));
        ck_assert_msg(fabs(inputs[e] - want[e]) <= tolerance && tolerance < 1e-6,
                      "%s: input %zu of row %zu: got %.9g, want %.9g", what, e % input_size,
                      e / input_size, inputs[e], want[e]);
    }
    for (size_t e = batch * input_size; e < batch * input_size + spare; e++)
        ck_assert_msg(memcmp(&inputs[e], &(uint32_t){0x7fc0dead}, 4) == 0,
                      "%s: float %zu past the batch was written", what, e);
    if (labels != NULL) {
        for (size_t i = 0; i < batch; i++)
            ck_assert_msg(labels[i] == set->labels[indices[i]], "%s: label %zu: %d, want %u",
                          what, i, labels[i], set->labels[indices[i]]);
        for (size_t i = batch; i < batch + spare; i++)
            ck_assert_msg((uint32_t)labels[i] == 0x7fc0dead, "%s: label %zu past the batch",
                          what, i);
    }
    free(want);
}

/* ---- The gather against the reference ----------------------------------------------------- */

/* Gathers a batch with the given padding and permutation into fresh buffers (with spare
 * room after the batch that must stay untouched) and checks it. */
static void check_gather(ewcl_runtime *rt, const ewcl_idx_set *set, size_t pad, bool permute,
                         size_t batch, double mean, double std)
{
    ewcl_dataset_options options;
    ewcl_dataset_options_default(&options);
    options.pad = pad;
    options.mean = mean;
    options.std = std;
    ewcl_dataset *ds = NULL;
    CK_OK(rt, ewcl_dataset_create(rt, set, &options, &ds));
    const size_t input_size = ewcl_dataset_input_size(ds);
    ck_assert_uint_eq(input_size, (set->rows + 2 * pad) * (set->cols + 2 * pad));
    ck_assert_uint_eq(ewcl_dataset_count(ds), set->count);
    ck_assert_uint_eq(ewcl_dataset_classes(ds), set->classes);

    uint32_t *perm = NULL;
    cl_mem perm_dev = NULL;
    if (permute) {
        perm = malloc(input_size * sizeof *perm);
        ewcl_task_generator gen;
        ewcl_task_generator_permuted(&gen, 1234 + batch);
        ewcl_error err;
        ck_assert(ewcl_task_permutation(&gen, pad, perm, input_size, &err) == EWCL_OK);
        CK_OK(rt, ewcl_permutation_upload(rt, perm, input_size, &perm_dev));
    }
    const size_t spare = 5;
    uint32_t *indices = batch_indices(batch, set->count, batch + pad);
    cl_mem inputs = new_buffer(rt, (batch * input_size + spare) * sizeof(float));
    cl_mem labels = new_buffer(rt, (batch + spare) * sizeof(cl_int));
    fill_sentinel(rt, inputs, batch * input_size + spare);
    fill_sentinel(rt, labels, batch + spare);
    CK_OK(rt, ewcl_dataset_gather(ds, perm_dev, indices, batch, inputs, labels));
    float *got = read_back(rt, inputs, batch * input_size + spare);
    int32_t *got_labels = read_back(rt, labels, batch + spare);
    char what[128];
    snprintf(what, sizeof what, "%zux%zu pad %zu %s batch %zu", set->rows, set->cols, pad,
             permute ? "permuted" : "identity", batch);
    check_batch(set, pad, perm, indices, batch, mean, std, got, got_labels, spare, what);

    free(got);
    free(got_labels);
    free(indices);
    free(perm);
    ewcl_buffer_release(inputs);
    ewcl_buffer_release(labels);
    ewcl_buffer_release(perm_dev);
    ewcl_dataset_destroy(ds);
}

START_TEST(gather_matches_reference)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    /* Under Oclgrind a 128 × 1024 batch takes too long to simulate: small images there,
     * and odd sizes so that no width is a power of two. */
    const bool small = ewcl_test_small();
    ewcl_idx_set mnist_like = random_set(small ? 9 : 200, small ? 5 : 28, small ? 7 : 28, 10, 1);
    ewcl_idx_set odd = random_set(13, 3, 11, 7, 2);
    static const size_t full_batches[] = {1, 7, 128}, small_batches[] = {1, 7, 20};
    const size_t *batches = small ? small_batches : full_batches;
    for (size_t b = 0; b < 3; b++)
        for (size_t pad = 0; pad <= 2; pad += 2)
            for (int permute = 0; permute < 2; permute++) {
                check_gather(rt, &mnist_like, pad, permute, batches[b], 0.2860, 0.3530);
                check_gather(rt, &odd, pad, permute, b == 2 ? 30 : batches[b], 0.5, 2.0);
            }
    /* One pixel wide, unpadded: width 1. */
    ewcl_idx_set thin = random_set(4, 6, 1, 3, 3);
    check_gather(rt, &thin, 0, true, 7, 0.0, 1.0);
    check_gather(rt, &thin, 1, true, 7, 0.0, 1.0);
    ewcl_idx_free(&thin);
    ewcl_idx_free(&mnist_like);
    ewcl_idx_free(&odd);
    ewcl_runtime_destroy(rt);
}
END_TEST

/* The default options pad 28×28 to 32×32 with pixels in [0, 1], and the padding of a
 * normalised batch is (0 − mean)/std. */
START_TEST(padding_reads_as_normalised_zero)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    ewcl_idx_set set = random_set(2, 28, 28, 10, 9);
    memset(set.images, 255, 2 * 28 * 28);
    ewcl_dataset_options options;
    ewcl_dataset_options_default(&options);
    ck_assert_uint_eq(options.pad, 2);
    options.mean = 0.1307;
    options.std = 0.3081;
    ewcl_dataset *ds = NULL;
    CK_OK(rt, ewcl_dataset_create(rt, &set, &options, &ds));
    ck_assert_uint_eq(ewcl_dataset_input_size(ds), 1024);
    cl_mem inputs = new_buffer(rt, 1024 * sizeof(float));
    const uint32_t index = 1;
    CK_OK(rt, ewcl_dataset_gather(ds, NULL, &index, 1, inputs, NULL));
    float *got = read_back(rt, inputs, 1024);
    /* As documented: fma(pixel, scale, shift) with both rounded to float, so a padded
     * pixel is shift itself. */
    const float scale = (float)(1.0 / (255.0 * 0.3081)), shift = (float)(-0.1307 / 0.3081);
    const float pad = shift, white = fmaf(255.0f, scale, shift);
    for (size_t y = 0; y < 32; y++)
        for (size_t x = 0; x < 32; x++) {
            const bool inside = y >= 2 && y < 30 && x >= 2 && x < 30;
            ck_assert_msg(got[y * 32 + x] == (inside ? white : pad), "(%zu, %zu): %.9g", y, x,
                          got[y * 32 + x]);
        }
    free(got);
    ewcl_buffer_release(inputs);
    ewcl_dataset_destroy(ds);
    ewcl_idx_free(&set);
    ewcl_runtime_destroy(rt);
}
END_TEST

/* Back-to-back gathers that reuse one host index array, rewritten right after each call,
 * more of them than the dataset has copies in flight: each batch still gets its own
 * indices, and batches larger than any before grow the device list. */
START_TEST(index_lists_in_flight)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    ewcl_idx_set set = random_set(50, 4, 6, 5, 4);
    ewcl_dataset_options options;
    ewcl_dataset_options_default(&options);
    ewcl_dataset *ds = NULL;
    CK_OK(rt, ewcl_dataset_create(rt, &set, &options, &ds));
    const size_t input_size = ewcl_dataset_input_size(ds);
    enum { rounds = 9, most = 40 };
    uint32_t order[most];
    uint32_t used[rounds][most];
    cl_mem inputs[rounds], labels[rounds];
    for (size_t r = 0; r < rounds; r++) {
        const size_t batch = 3 + 4 * r;
        inputs[r] = new_buffer(rt, batch * input_size * sizeof(float));
        labels[r] = new_buffer(rt, batch * sizeof(cl_int));
        for (size_t k = 0; k < batch; k++)
            order[k] = (uint32_t)((r * 17 + k * 3) % set.count);
        memcpy(used[r], order, batch * sizeof *order);
        CK_OK(rt, ewcl_dataset_gather(ds, NULL, order, batch, inputs[r], labels[r]));
        memset(order, 0xff, sizeof order);
    }
    for (size_t r = 0; r < rounds; r++) {
        const size_t batch = 3 + 4 * r;
        float *got = read_back(rt, inputs[r], batch * input_size);
        int32_t *got_labels = read_back(rt, labels[r], batch);
        check_batch(&set, options.pad, NULL, used[r], batch, 0.0, 1.0, got, got_labels, 0,
                    "in flight");
        free(got);
        free(got_labels);
        ewcl_buffer_release(inputs[r]);
        ewcl_buffer_release(labels[r]);
    }
    ewcl_dataset_destroy(ds);
    ewcl_idx_free(&set);
    ewcl_runtime_destroy(rt);
}
END_TEST

/* ---- Refusals ------------------------------------------------------------------------------ */

static void expect_invalid(ewcl_runtime *rt, ewcl_status got, const char *needle)
{
    ck_assert_msg(got == EWCL_ERR_INVALID_ARGUMENT, "%s: got %s", needle,
                  ewcl_status_name(got));
    ck_assert_msg(strstr(ewcl_runtime_error(rt)->message, needle) != NULL,
                  "message lacks '%s': %s", needle, ewcl_runtime_error(rt)->message);
}

/* An index out of range is refused before anything is enqueued: the outputs keep their
 * sentinels. So are short buffers, non-permutations and bad dataset options. */
START_TEST(gather_refuses_bad_arguments)
{
    ewcl_runtime *rt = ewcl_test_open_runtime();
    ewcl_idx_set set = random_set(10, 3, 3, 4, 5);
    ewcl_dataset_options options;
    ewcl_dataset_options_default(&options);
    options.pad = 1; /* 5×5 = 25 inputs */
    ewcl_dataset *ds = NULL;
    CK_OK(rt, ewcl_dataset_create(rt, &set, &options, &ds));
    cl_mem inputs = new_buffer(rt, 4 * 25 * sizeof(float));
    cl_mem labels = new_buffer(rt, 4 * sizeof(cl_int));
    fill_sentinel(rt, inputs, 4 * 25);
    fill_sentinel(rt, labels, 4);

    const uint32_t bad[4] = {0, 9, 10, 1};
    expect_invalid(rt, ewcl_dataset_gather(ds, NULL, bad, 4, inputs, labels),
                   "index 10 at position 2");
    const uint32_t huge[1] = {UINT32_MAX};
    expect_invalid(rt, ewcl_dataset_gather(ds, NULL, huge, 1, inputs, labels), "index");
    CK_OK(rt, ewcl_runtime_finish(rt));
    uint32_t *untouched = read_back(rt, inputs, 4 * 25);
    for (size_t i = 0; i < 4 * 25; i++)
        ck_assert_uint_eq(untouched[i], 0x7fc0dead);
    free(untouched);
    untouched = read_back(rt, labels, 4);
    for (size_t i = 0; i < 4; i++)
        ck_assert_uint_eq(untouched[i], 0x7fc0dead);
    free(untouched);

    const uint32_t good[5] = {0, 1, 2, 3, 4};
    expect_invalid(rt, ewcl_dataset_gather(ds, NULL, good, 5, inputs, NULL), "inputs");
    expect_invalid(rt, ewcl_dataset_gather(ds, NULL, good, 1, NULL, NULL), "NULL buffer");
    expect_invalid(rt, ewcl_dataset_gather(ds, NULL, NULL, 1, inputs, NULL), "NULL indices");
    cl_mem short_labels = new_buffer(rt, 2 * sizeof(cl_int));
    expect_invalid(rt, ewcl_dataset_gather(ds, NULL, good, 3, inputs, short_labels), "labels");
    cl_mem short_perm = new_buffer(rt, 24 * sizeof(cl_uint));
    expect_invalid(rt, ewcl_dataset_gather(ds, short_perm, good, 1, inputs, NULL),
                   "permutation");
    /* An empty batch does nothing, whatever else is given. */
    CK_OK(rt, ewcl_dataset_gather(ds, NULL, NULL, 0, NULL, NULL));

    uint32_t perm[25];
    for (uint32_t p = 0; p < 25; p++)
        perm[p] = 24 - p;
    cl_mem perm_dev = NULL;
    CK_OK(rt, ewcl_permutation_upload(rt, perm, 25, &perm_dev));
    perm[3] = perm[4];
    cl_mem refused = perm_dev;
    expect_invalid(rt, ewcl_permutation_upload(rt, perm, 25, &refused), "repeated");
    ck_assert_ptr_null(refused);
    perm[3] = 25;
    expect_invalid(rt, ewcl_permutation_upload(rt, perm, 25, &refused), "out of range");
    expect_invalid(rt, ewcl_permutation_upload(rt, perm, 0, &refused), "size 0");

    /* Options and sets a dataset cannot be made from. */
    ewcl_dataset *none = ds;
    options.std = 0.0;
    expect_invalid(rt, ewcl_dataset_create(rt, &set, &options, &none), "std");
    ck_assert_ptr_null(none);
    options.std = NAN;
    expect_invalid(rt, ewcl_dataset_create(rt, &set, &options, &none), "std");
    options.std = 1.0;
    options.pad = 65;
    expect_invalid(rt, ewcl_dataset_create(rt, &set, &options, &none), "padding");
    options.pad = 0;
    set.labels[7] = 4;
    expect_invalid(rt, ewcl_dataset_create(rt, &set, &options, &none), "label 4 of image 7");
    set.labels[7] = 0;
    ewcl_idx_set empty = {0};
    expect_invalid(rt, ewcl_dataset_create(rt, &empty, &options, &none), "NULL");
    ewcl_dataset_destroy(NULL);

    ewcl_buffer_release(perm_dev);
    ewcl_buffer_release(short_perm);
    ewcl_buffer_release(short_labels);
    ewcl_buffer_release(inputs);
    ewcl_buffer_release(labels);
    ewcl_dataset_destroy(ds);
    ewcl_idx_free(&set);
    ewcl_runtime_destroy(rt);
}
END_TEST

/* ---- Host parts ------------------------------------------------------------------------------ */

static bool is_permutation(const uint32_t *perm, size_t size)
{
    bool *seen = calloc(size, sizeof *seen);
    ck_assert_ptr_nonnull(seen);
    bool ok = true;
    for (size_t p = 0; p < size && ok; p++) {
        ok = perm[p] < size && !seen[perm[p]];
        if (ok)
            seen[perm[p]] = true;
    }
    free(seen);
    return ok;
}

START_TEST(permuted_tasks_are_seeded_permutations)
{
    enum { n = 1024 };
    static uint32_t a[n], b[n], c[n], d[n];
    ewcl_task_generator gen, same, other;
    ewcl_task_generator_permuted(&gen, 7);
    ewcl_task_generator_permuted(&same, 7);
    ewcl_task_generator_permuted(&other, 8);
    ck_assert_str_eq(gen.name, "permuted");
    ewcl_error err;
    for (size_t task = 0; task < 8; task++) {
        ck_assert(ewcl_task_permutation(&gen, task, a, n, &err) == EWCL_OK);
        ck_assert(ewcl_task_permutation(&same, task, b, n, &err) == EWCL_OK);
        ck_assert(ewcl_task_permutation(&gen, task + 1, c, n, &err) == EWCL_OK);
        ck_assert(ewcl_task_permutation(&other, task, d, n, &err) == EWCL_OK);
        ck_assert_msg(is_permutation(a, n), "task %zu: not a permutation", task);
        ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
        ck_assert_int_ne(memcmp(a, c, sizeof a), 0);
        ck_assert_int_ne(memcmp(a, d, sizeof a), 0);
        /* Every task is permuted, the first included: few inputs stay in place. */
        size_t fixed = 0;
        for (size_t p = 0; p < n; p++)
            fixed += a[p] == p;
        ck_assert_msg(fixed < 16, "task %zu leaves %zu of %d inputs in place", task, fixed, n);
    }
    static const size_t sizes[] = {1, 2, 3, 784, 1000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        ck_assert(ewcl_task_permutation(&gen, 3, a, sizes[i], &err) == EWCL_OK);
        ck_assert(is_permutation(a, sizes[i]));
    }
    ck_assert(ewcl_task_permutation(&gen, 0, a, 0, &err) == EWCL_ERR_INVALID_ARGUMENT);
    ck_assert(ewcl_task_permutation(&gen, 0, NULL, 4, &err) == EWCL_ERR_INVALID_ARGUMENT);
    ck_assert(ewcl_task_permutation(NULL, 0, a, 4, &err) == EWCL_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(pixel_stats_match_host_double)
{
    ewcl_idx_set set = random_set(300, 28, 28, 10, 6);
    /* Mostly dark, as real images are, so the mean is far from 0.5. */
    for (size_t i = 0; i < 300 * 28 * 28; i += 3)
        set.images[i] /= 7;
    double mean = 0, std = 0, want_mean = 0, want_std = 0;
    ewcl_idx_pixel_stats(&set, &mean, &std);
    ref_pixel_stats(set.images, 300 * 28 * 28, &want_mean, &want_std);
    ck_assert_double_eq_tol(mean, want_mean, 1e-12);
    ck_assert_double_eq_tol(std, want_std, 1e-12);
    ck_assert(mean > 0.2 && mean < 0.45 && std > 0.2);
    /* A constant image: std 0. */
    memset(set.images, 51, 300 * 28 * 28);
    ewcl_idx_pixel_stats(&set, &mean, &std);
    ck_assert_double_eq_tol(mean, 0.2, 1e-15);
    ck_assert_double_eq_tol(std, 0.0, 1e-15);
    ewcl_idx_free(&set);
}
END_TEST

static Suite *data_suite(void)
{
    Suite *suite = suite_create("data");
    TCase *tc = tcase_create("data");
    tcase_set_timeout(tc, EWCL_TEST_CL_TIMEOUT);
    tcase_add_test(tc, gather_matches_reference);
    tcase_add_test(tc, padding_reads_as_normalised_zero);
    tcase_add_test(tc, index_lists_in_flight);
    tcase_add_test(tc, gather_refuses_bad_arguments);
    tcase_add_test(tc, permuted_tasks_are_seeded_permutations);
    tcase_add_test(tc, pixel_stats_match_host_double);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    ewcl_test_require_device();
    return ewcl_test_run(data_suite());
}
