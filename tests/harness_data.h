/* The generated data set of the tests that train: written once by main, loaded per test. */
#ifndef EWCL_TEST_HARNESS_DATA_H
#define EWCL_TEST_HARNESS_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ewcl/data.h"

/* What ewcl_idx_write_synthetic makes: image counts, square images of `side`, classes,
 * the seed of labels and noise, gzip'd files or raw. */
typedef struct ewcl_test_data_shape {
    size_t train, test, side, classes;
    uint64_t seed;
    bool gzip;
} ewcl_test_data_shape;

/* Writes the set into a fresh temporary folder named after `tag` and copies its path into
 * `dir` (4096 bytes). For main, before Check forks: on failure prints why and returns
 * non-zero, which main returns. */
int ewcl_test_write_data(char *dir, const char *tag, ewcl_test_data_shape shape);

/* The set in `dir`, of `classes` classes; fails the test when it cannot be read. */
ewcl_idx_data ewcl_test_load_data(const char *dir, size_t classes);

#endif
