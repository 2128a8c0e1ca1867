/* Test scaffolding that launches kernels: the reduction as a known-good witness that a
 * built program really works on a device. */
#ifndef EWCL_TEST_HARNESS_CL_H
#define EWCL_TEST_HARNESS_CL_H

#include <stddef.h>

#include "ewcl/ewcl_cl.h"

/* Sums x[0..n) (or its squares) on the runtime's device with cl/reduce.cl: a first pass of
 * `groups` work-groups of `local_size`, then one work-group over the partials. Returns the
 * result through *out; EWCL_OK or the failing status. */
ewcl_status ewcl_test_device_sum(ewcl_runtime *runtime, const float *x, size_t n, int square,
                                 size_t local_size, size_t groups, float *out);

/* The same in double precision on the host: the independent reference. */
double ewcl_test_host_sum(const float *x, size_t n, int square);

/* n floats in [0, 1) from a fixed linear congruential sequence (seeded, repeatable). */
void ewcl_test_fill_uniform(float *x, size_t n, unsigned seed);

#endif
