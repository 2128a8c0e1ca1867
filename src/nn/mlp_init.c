/* Initial parameters: Xavier-normal weights (what pytorch-ewc meant to do; its own
 * initialisation never ran) and zero biases, drawn on the host so every device starts from
 * the same bits. */
#include <math.h>
#include <stdlib.h>

#include "nn/mlp_internal.h"
#include "ops/buffer.h"
#include "runtime/error_internal.h"
#include "runtime/rng.h"

ewcl_status ewcl_mlp_init_parameters(ewcl_mlp *m)
{
    float *host = calloc(m->parameter_count, sizeof *host);
    if (host == NULL)
        return EWCL_FAIL(&m->rt->error, EWCL_ERR_OUT_OF_MEMORY, "mlp: out of memory");
    ewcl_rng rng;
    ewcl_rng_seed(&rng, m->config.seed);
    for (size_t l = 0; l < m->layer_count; l++) {
        const ewcl_mlp_layer *s = &m->layers[l].shape;
        /* A shared block (compat mode) is drawn once, by its first layer. */
        if (l > 0 && s->weight_offset <= m->layers[l - 1].shape.weight_offset)
            continue;
        const double std = sqrt(2.0 / (double)(s->in + s->out));
        for (size_t i = 0; i < s->in * s->out; i++)
            host[s->weight_offset + i] = (float)(std * ewcl_rng_normal(&rng));
    }
    const ewcl_status status = ewcl_mlp_write_parameters(m, host, m->parameter_count);
    free(host);
    return status;
}
