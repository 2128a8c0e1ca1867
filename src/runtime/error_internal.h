/* Internal helpers that fill an ewcl_error record. */
#ifndef EWCL_ERROR_INTERNAL_H
#define EWCL_ERROR_INTERNAL_H

#include "ewcl/error.h"

/* Sets `err` (may be NULL) to `status` with a printf-style one-line message followed by
 * " [file:line]"; returns `status`, so that callers can `return EWCL_FAIL(...)`. */
ewcl_status ewcl_fail_at(ewcl_error *err, ewcl_status status, const char *file, int line,
                         const char *format, ...) __attribute__((format(printf, 5, 6)));

/* An OpenCL call returned `cl_code`: the message becomes "<formatted>: CL_NAME (code)".
 * The status is EWCL_ERR_OUT_OF_MEMORY for allocation failures, else EWCL_ERR_OPENCL. */
ewcl_status ewcl_fail_cl_at(ewcl_error *err, int cl_code, const char *file, int line,
                            const char *format, ...) __attribute__((format(printf, 5, 6)));

#define EWCL_FAIL(err, status, ...) ewcl_fail_at((err), (status), __FILE__, __LINE__, __VA_ARGS__)
#define EWCL_FAIL_CL(err, cl_code, ...)                                                      \
    ewcl_fail_cl_at((err), (cl_code), __FILE__, __LINE__, __VA_ARGS__)

/* Copies `src` into `dst`; either may be NULL (then nothing happens). */
void ewcl_error_copy(ewcl_error *dst, const ewcl_error *src);

#endif
