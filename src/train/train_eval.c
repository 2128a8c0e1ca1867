/* Evaluation: the model in evaluation mode (no dropout) over test images of one task, in
 * the MLP's largest batches, counting correct predictions. */
#include "train/train_internal.h"

ewcl_status train_evaluate(train_session *s, size_t task, const uint32_t *indices,
                           size_t count, double *accuracy)
{
    ewcl_mlp *m = s->mlp;
    size_t correct = 0;
    ewcl_status st = EWCL_OK;
    for (size_t first = 0; first < count && st == EWCL_OK; first += s->eval_batch) {
        const size_t n = count - first < s->eval_batch ? count - first : s->eval_batch;
        st = ewcl_dataset_gather(s->test, s->permutations[task], indices + first, n,
                                 ewcl_mlp_cl_inputs(m), ewcl_mlp_cl_labels(m));
        if (st == EWCL_OK)
            st = ewcl_mlp_forward(m, n, false, 0);
        if (st == EWCL_OK)
            st = ewcl_mlp_loss(m, n, false);
        /* One read per batch: evaluation is a logging point, not the training loop. */
        size_t batch_correct = 0;
        if (st == EWCL_OK)
            st = ewcl_mlp_read_loss(m, n, NULL, &batch_correct);
        correct += batch_correct;
    }
    *accuracy = count > 0 ? (double)correct / (double)count : 0.0;
    return st;
}
