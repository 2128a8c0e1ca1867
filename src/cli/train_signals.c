/* Ctrl-C and SIGTERM while training: the handler only records the signal; the training
 * loop asks after every step (ewcl_train_callbacks.stop_requested), finishes it and
 * checkpoints. SA_RESETHAND makes a second signal act as usual, for a user who will not
 * wait. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <string.h>

#include "train_resume.h"

static volatile sig_atomic_t received;

static void record(int signal_number)
{
    received = signal_number;
}

void train_signals_install(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = record;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    signal(SIGXFSZ, SIG_IGN);
}

bool train_signals_stop_requested(void *user)
{
    (void)user;
    return received != 0;
}

int train_signals_received(void)
{
    return received;
}
