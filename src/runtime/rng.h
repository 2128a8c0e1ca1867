/* The host's seeded random generator: xoshiro256** seeded through SplitMix64. Every host
 * random choice of ewcl (initial weights, shuffles, permutations, evaluation subsets) comes
 * from one of these, so a seed fixes a run on every device. */
#ifndef EWCL_RNG_H
#define EWCL_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct ewcl_rng {
    uint64_t s[4];
} ewcl_rng;

void ewcl_rng_seed(ewcl_rng *rng, uint64_t seed);
uint64_t ewcl_rng_next(ewcl_rng *rng);
/* Uniform in [0, 1) with 53 random bits. */
double ewcl_rng_uniform(ewcl_rng *rng);
/* Standard normal (Box–Muller; one draw per call, so the sequence never depends on
 * whether an earlier caller used a cached twin). */
double ewcl_rng_normal(ewcl_rng *rng);
/* Uniform integer in [0, bound), without modulo bias; bound > 0. */
uint64_t ewcl_rng_below(ewcl_rng *rng, uint64_t bound);
/* Fisher–Yates shuffle of `count` indices. */
void ewcl_rng_shuffle(ewcl_rng *rng, uint32_t *items, size_t count);

#endif
