/* The phase clock of a run: training, Fisher, evaluation and setup time apart. */
#define _POSIX_C_SOURCE 200809L
#include <time.h>

#include "train/train_internal.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void train_clock_start(train_clock *clock)
{
    *clock = (train_clock){.since = now(), .current = TRAIN_PHASE_SETUP};
}

ewcl_status train_clock_switch(train_clock *clock, ewcl_runtime *rt, train_phase next)
{
    const ewcl_status s = ewcl_runtime_finish(rt);
    const double t = now();
    clock->seconds[clock->current] += t - clock->since;
    clock->since = t;
    clock->current = next;
    return s;
}

double train_clock_seconds(const train_clock *clock, train_phase phase)
{
    const double running = phase == clock->current ? now() - clock->since : 0.0;
    return clock->seconds[phase] + running;
}
