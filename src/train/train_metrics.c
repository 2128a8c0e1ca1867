/* Continual-learning metrics of an accuracy matrix r[i·T + j] (after task i, on task j),
 * and the result's memory. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ewcl/train.h"

double ewcl_train_average_accuracy(const double *r, size_t t, size_t i)
{
    if (r == NULL || i >= t)
        return NAN;
    double sum = 0.0;
    for (size_t j = 0; j <= i; j++)
        sum += r[i * t + j];
    return sum / (double)(i + 1);
}

double ewcl_train_bwt(const double *r, size_t t)
{
    if (r == NULL || t < 2)
        return NAN;
    const size_t last = t - 1;
    double sum = 0.0;
    for (size_t j = 0; j < last; j++)
        sum += r[last * t + j] - r[j * t + j];
    return sum / (double)last;
}

double ewcl_train_forgetting(const double *r, size_t t)
{
    if (r == NULL || t < 2)
        return NAN;
    const size_t last = t - 1;
    double sum = 0.0;
    for (size_t j = 0; j < last; j++) {
        /* Only rows from task j on: before it was trained, its accuracy is chance. */
        double best = r[j * t + j];
        for (size_t i = j + 1; i < last; i++)
            best = r[i * t + j] > best ? r[i * t + j] : best;
        sum += best - r[last * t + j];
    }
    return sum / (double)last;
}

void ewcl_train_result_free(ewcl_train_result *result)
{
    if (result == NULL)
        return;
    free(result->accuracy);
    free(result->average_accuracy);
    free(result->fisher_seconds);
    free(result->parameters);
    memset(result, 0, sizeof *result);
}
