/* Philox-4x32-10 on the host, with 64-bit products for the 32×32 multiplications. */
#include "ref/ref_philox.h"

static const uint64_t multiplier[2] = {0xD2511F53u, 0xCD9E8D57u}; /* of the paper */
static const uint32_t key_step[2] = {0x9E3779B9u, 0xBB67AE85u}; /* golden ratio, √3 − 1 */

static void philox_round(uint32_t c[4], const uint32_t k[2])
{
    const uint64_t p0 = multiplier[0] * c[0];
    const uint64_t p1 = multiplier[1] * c[2];
    const uint32_t next[4] = {
        (uint32_t)(p1 >> 32) ^ c[1] ^ k[0],
        (uint32_t)p1,
        (uint32_t)(p0 >> 32) ^ c[3] ^ k[1],
        (uint32_t)p0,
    };
    for (int i = 0; i < 4; i++)
        c[i] = next[i];
}

void ref_philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c[4] = {counter[0], counter[1], counter[2], counter[3]};
    uint32_t k[2] = {key[0], key[1]};
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k[0] += key_step[0];
            k[1] += key_step[1];
        }
        philox_round(c, k);
    }
    for (int i = 0; i < 4; i++)
        out[i] = c[i];
}

double ref_philox_uniform(uint32_t word)
{
    return (double)(word >> 8) / 16777216.0;
}
