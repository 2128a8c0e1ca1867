/* The device memory check of a training run: the sums for the default network worked out
 * by hand from the buffers each part allocates (and the parameter counts the README gives),
 * and the refusal against device limits a test sets — a runtime record with nothing but
 * its device description filled, since the check reads nothing else. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "runtime/runtime_internal.h"
#include "train/train_memory.h"

#define MIB (1024.0 * 1024.0)

/* Fashion-MNIST's shape: 60000 + 10000 images of 28×28, ten classes (no pixels needed). */
static ewcl_idx_data fashion_shape(void)
{
    ewcl_idx_data d;
    memset(&d, 0, sizeof d);
    d.train = (ewcl_idx_set){.count = 60000, .rows = 28, .cols = 28, .classes = 10};
    d.test = (ewcl_idx_set){.count = 10000, .rows = 28, .cols = 28, .classes = 10};
    return d;
}

/* The default run with EWC: 1024 → 400 → 400 → 400 → 10, batch 128, Fisher batch 1024. */
START_TEST(default_network_adds_up_by_hand)
{
    ewcl_train_config c;
    ewcl_train_config_default(&c);
    c.consolidate = true;
    const ewcl_idx_data d = fashion_shape();
    train_memory m;
    train_memory_estimate(&c, &d, &m);

    /* 734,810 parameters (README), 4 bytes each, and as many gradients. */
    ck_assert_double_eq(m.model, 2.0 * 4.0 * 734810.0);
    /* Rows: the larger of the batch (128) and the Fisher batch (1024). Per row, in floats:
     * inputs and dropped inputs 2 × 1024, a label, the layer outputs 400 + 400 + 400 + 10,
     * two delta rows as wide as the widest layer (1024), a loss and a correct flag. */
    ck_assert_double_eq(m.batch, 4.0 * 1024.0 * (2048.0 + 1.0 + 1210.0 + 2048.0 + 2.0));
    /* Fisher, S, mu and the terms: four parameter vectors; per row the squared inputs and
     * deltas (2 × 1024), a label and a weight. */
    ck_assert_double_eq(m.ewc, 4.0 * 4.0 * 734810.0 + 4.0 * 1024.0 * (2048.0 + 2.0));
    /* Each image is 784 pixels and a padding 0 byte, each label a byte; 1024 pixel offsets
     * and 1024 batch indices of 4 bytes per set. */
    ck_assert_double_eq(m.data, 60000.0 * 786.0 + 10000.0 * 786.0 + 2.0 * 8.0 * 1024.0);
    /* Eight tasks, a 1024-entry permutation each. */
    ck_assert_double_eq(m.tasks, 8.0 * 4096.0);
    ck_assert_double_eq(m.total, m.model + m.batch + m.ewc + m.data + m.tasks);
    ck_assert_double_eq(m.largest, 60000.0 * 785.0);
    ck_assert_str_eq(m.largest_what, "the training images");

    /* Plain SGD keeps no EWC state. */
    c.consolidate = false;
    train_memory_estimate(&c, &d, &m);
    ck_assert_double_eq(m.ewc, 0.0);
    /* pytorch-ewc's network shares its hidden block: 574,410 parameters (README). */
    ewcl_train_config_pytorch_ewc(&c);
    train_memory_estimate(&c, &d, &m);
    ck_assert_double_eq(m.model, 2.0 * 4.0 * 574410.0);
}
END_TEST

/* Sizes whose byte counts overflow 64 bits in size_t arithmetic still add up. */
START_TEST(absurd_sizes_do_not_overflow)
{
    ewcl_train_config c;
    ewcl_train_config_default(&c);
    c.consolidate = true;
    c.hidden_size = (size_t)1 << 40;
    c.hidden_layer_num = 1000;
    const ewcl_idx_data d = fashion_shape();
    train_memory m;
    train_memory_estimate(&c, &d, &m);
    /* 1000 blocks of 2^80 weights, 4 bytes each, six vectors of them: above 2^92 bytes. */
    ck_assert(isfinite(m.total) && m.total > ldexp(1.0, 92));
    ck_assert_str_eq(m.largest_what, "the parameter vector");
}
END_TEST

static ewcl_runtime runtime_with(uint64_t global_bytes, uint64_t max_alloc_bytes)
{
    ewcl_runtime rt;
    memset(&rt, 0, sizeof rt);
    snprintf(rt.device.name, sizeof rt.device.name, "test device");
    rt.device.global_mem_bytes = global_bytes;
    rt.device.max_alloc_bytes = max_alloc_bytes;
    return rt;
}

START_TEST(too_little_memory_is_refused_in_mib)
{
    ewcl_train_config c;
    ewcl_train_config_default(&c);
    c.consolidate = true;
    const ewcl_idx_data d = fashion_shape();
    train_memory m;
    train_memory_estimate(&c, &d, &m);
    /* 102,847,056 bytes by the sums above: 98 MiB. */
    ck_assert_double_eq(m.total, 102847056.0);

    static ewcl_runtime rt; /* large: off the stack */
    rt = runtime_with(64 * 1024 * 1024, 64 * 1024 * 1024);
    ck_assert_int_eq(train_memory_check(&rt, &c, &d), EWCL_ERR_OUT_OF_MEMORY);
    ck_assert_msg(strstr(rt.error.message, "needs 98 MiB, device has 64 MiB") != NULL, "%s",
                  rt.error.message);
    ck_assert_msg(strstr(rt.error.message, "test device") != NULL, "%s", rt.error.message);
    ck_assert_ptr_null(strchr(rt.error.message, '\n'));

    /* Enough in all, but the training images (45 MiB) exceed a 32 MiB allocation. */
    rt = runtime_with((uint64_t)1 << 30, 32 * 1024 * 1024);
    ck_assert_int_eq(train_memory_check(&rt, &c, &d), EWCL_ERR_OUT_OF_MEMORY);
    ck_assert_msg(strstr(rt.error.message, "the training images: 45 MiB in one buffer") &&
                      strstr(rt.error.message, "32 MiB at most per buffer"),
                  "%s", rt.error.message);

    /* Exactly enough passes. */
    rt = runtime_with(102847056, 60000 * 785);
    ck_assert_int_eq(train_memory_check(&rt, &c, &d), EWCL_OK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train_memory");
    TCase *tc = tcase_create("train_memory");
    tcase_add_test(tc, default_network_adds_up_by_hand);
    tcase_add_test(tc, absurd_sizes_do_not_overflow);
    tcase_add_test(tc, too_little_memory_is_refused_in_mib);
    suite_add_tcase(s, tc);
    return ewcl_test_run(s);
}
