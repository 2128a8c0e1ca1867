/* What the fuzz targets share: the failure report and the check of an error record. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_fail(const char *file, int line, const char *condition, const char *format, ...)
{
    fprintf(stderr, "%s:%d: invariant '%s' broken: ", file, line, condition);
    va_list args;
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    abort();
}

void fuzz_check_message(const ewcl_error *err, ewcl_status status)
{
    const size_t length = strnlen(err->message, sizeof err->message);
    FUZZ_REQUIRE(length < sizeof err->message, "the message is not NUL-terminated");
    FUZZ_REQUIRE(length > 0, "%s without a message", ewcl_status_name(status));
    FUZZ_REQUIRE(strchr(err->message, '\n') == NULL, "the message is not one line: %s",
                 err->message);
    FUZZ_REQUIRE(err->status == status, "the record says %s, the call returned %s",
                 ewcl_status_name(err->status), ewcl_status_name(status));
}
