/* Task generators: what turns the shared data into task number t. `permuted` gives every
 * task, the first included, its own random pixel permutation, as pytorch-ewc does. */
#include "ewcl/data.h"
#include "runtime/error_internal.h"
#include "runtime/rng.h"

/* The generator of (seed, task). ewcl_rng_seed draws its four state words from a SplitMix64
 * stream starting at its argument, advancing by this constant per word; spacing the tasks'
 * starting points four steps apart gives every task a stretch of that stream of its own.
 * The tag keeps the permutations apart from other users of the run's seed (initial
 * weights, shuffles), which start the stream at the seed itself. */
#define SPLITMIX_STEP 0x9e3779b97f4a7c15ull
#define PERMUTED_TAG 0x7065726d75746564ull /* "permuted" */

static ewcl_status make_permuted(const ewcl_task_generator *generator, size_t task,
                                 uint32_t *perm, size_t size, ewcl_error *err)
{
    (void)err; /* a permutation cannot fail once the arguments are checked */
    ewcl_rng rng;
    ewcl_rng_seed(&rng, (generator->seed ^ PERMUTED_TAG) + 4 * SPLITMIX_STEP * (uint64_t)task);
    for (size_t i = 0; i < size; i++)
        perm[i] = (uint32_t)i;
    ewcl_rng_shuffle(&rng, perm, size);
    return EWCL_OK;
}

void ewcl_task_generator_permuted(ewcl_task_generator *out, uint64_t seed)
{
    out->name = "permuted";
    out->seed = seed;
    out->make_permutation = make_permuted;
}

ewcl_status ewcl_task_permutation(const ewcl_task_generator *generator, size_t task,
                                  uint32_t *perm, size_t size, ewcl_error *err)
{
    if (generator == NULL || generator->make_permutation == NULL || perm == NULL)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "task permutation: NULL argument");
    if (size == 0 || size > UINT32_MAX)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "task permutation: size %zu outside 1 to %u", size, UINT32_MAX);
    return generator->make_permutation(generator, task, perm, size, err);
}
