/* xoshiro256** (Blackman & Vigna) with SplitMix64 seeding: fast, small state, and good
 * enough statistically for initialisation and shuffling. */
#include "runtime/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void ewcl_rng_seed(ewcl_rng *rng, uint64_t seed)
{
    uint64_t state = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&state);
}

uint64_t ewcl_rng_next(ewcl_rng *rng)
{
    uint64_t *s = rng->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ewcl_rng_uniform(ewcl_rng *rng)
{
    return (double)(ewcl_rng_next(rng) >> 11) * 0x1.0p-53;
}

double ewcl_rng_normal(ewcl_rng *rng)
{
    /* 1 − u lies in (0, 1], so the logarithm is finite. */
    const double u1 = 1.0 - ewcl_rng_uniform(rng);
    const double u2 = ewcl_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925286766559 * u2);
}

uint64_t ewcl_rng_below(ewcl_rng *rng, uint64_t bound)
{
    /* Reject the top partial block of 2^64 so that every residue is equally likely. */
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do
        x = ewcl_rng_next(rng);
    while (x >= limit);
    return x % bound;
}

void ewcl_rng_shuffle(ewcl_rng *rng, uint32_t *items, size_t count)
{
    for (size_t i = count; i > 1; i--) {
        const size_t j = (size_t)ewcl_rng_below(rng, i);
        const uint32_t t = items[i - 1];
        items[i - 1] = items[j];
        items[j] = t;
    }
}
