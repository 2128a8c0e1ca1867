/* Host reference of Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as
 * 1, 2, 3", SC 2011 — the Random123 generator), written from the paper's definition. */
#ifndef EWCL_REF_PHILOX_H
#define EWCL_REF_PHILOX_H

#include <stdint.h>

/* out = Philox-4x32-10(counter, key): ten rounds, the key bumped between rounds. */
void ref_philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);

/* The uniform number in [0, 1) a word stands for: its top 24 bits / 2^24 (exact). */
double ref_philox_uniform(uint32_t word);

#endif
