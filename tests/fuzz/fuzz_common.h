/* The entry point every fuzz target defines: libFuzzer's, so that the same file builds
 * into a libFuzzer binary (clang, -fsanitize=fuzzer) and into a corpus replayer (any
 * compiler, with replay.c's main) that ctest runs over the seeds and past crashes. */
#ifndef EWCL_TEST_FUZZ_COMMON_H
#define EWCL_TEST_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "ewcl/error.h"

/* Runs one input; returns 0 (libFuzzer reserves other values). A broken invariant aborts,
 * which both libFuzzer and the replayer report as a crash of that input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort()s with a message on stderr when `condition` is false: the fuzzers' oracle, kept
 * apart from assert() so that a release (NDEBUG) build still checks it. */
#define FUZZ_REQUIRE(condition, ...)                                                      \
    do {                                                                                  \
        if (!(condition))                                                                 \
            fuzz_fail(__FILE__, __LINE__, #condition, __VA_ARGS__);                       \
    } while (0)

_Noreturn void fuzz_fail(const char *file, int line, const char *condition,
                         const char *format, ...) __attribute__((format(printf, 4, 5)));

/* A failed call's record: `status` in it, and a message of one non-empty line. */
void fuzz_check_message(const ewcl_error *err, ewcl_status status);

#endif
