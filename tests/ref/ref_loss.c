/* The loss of one row in double: log-sum-exp around the maximum, so that no exp overflows. */
#include "ref/ref_loss.h"

#include <math.h>

double ref_softmax_nll_row(const double *logits, size_t classes, int label, double *grad_out,
                           double grad_scale, int *argmax_out)
{
    size_t best = 0;
    for (size_t c = 1; c < classes; c++)
        if (logits[c] > logits[best])
            best = c;
    const double max = logits[best];
    double sum = 0.0;
    for (size_t c = 0; c < classes; c++)
        sum += exp(logits[c] - max);
    const double log_sum_exp = max + log(sum);
    if (grad_out != NULL)
        for (size_t c = 0; c < classes; c++)
            grad_out[c] = grad_scale * (exp(logits[c] - log_sum_exp) -
                                        ((int)c == label ? 1.0 : 0.0));
    if (argmax_out != NULL)
        *argmax_out = (int)best;
    return log_sum_exp - logits[label];
}
