/* Consolidation after a task: the Fisher from a seeded random subset of the task's training
 * images, gathered on the device batch by batch, then folded into the penalty. */
#include "train/train_internal.h"

typedef struct fisher_source {
    ewcl_dataset *train;
    cl_mem permutation;
    const uint32_t *subset;
} fisher_source;

static ewcl_status fill_from_subset(void *user, ewcl_mlp *mlp, size_t first, size_t count)
{
    const fisher_source *f = user;
    return ewcl_dataset_gather(f->train, f->permutation, f->subset + first, count,
                               ewcl_mlp_cl_inputs(mlp), ewcl_mlp_cl_labels(mlp));
}

ewcl_status train_consolidate(train_session *s, size_t task)
{
    const size_t available = ewcl_dataset_count(s->train);
    const size_t samples = s->config->fisher_sample_size;
    train_draw_subset(&s->fisher_rng, s->pool, available, samples < available ? samples
                                                                              : available);
    fisher_source source = {s->train, s->permutations[task], s->pool};
    ewcl_status st =
        ewcl_ewc_estimate_fisher(s->ewc, samples, available, fill_from_subset, &source);
    if (st == EWCL_OK)
        st = ewcl_ewc_consolidate(s->ewc, s->config->lr);
    return st;
}
