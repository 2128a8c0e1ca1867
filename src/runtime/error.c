/* Status names and descriptions, and the helpers that fill an ewcl_error record. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <CL/cl.h>

#include "ewcl/error.h"
#include "runtime/error_internal.h"

#ifndef EWCL_VERSION_STRING
#error "EWCL_VERSION_STRING must be defined by the build (the project version)"
#endif

const char *ewcl_status_str(ewcl_status status)
{
    switch (status) {
    case EWCL_OK: return "success";
    case EWCL_ERR_INVALID_ARGUMENT: return "invalid argument";
    case EWCL_ERR_OUT_OF_MEMORY: return "out of memory";
    case EWCL_ERR_IO: return "input/output error";
    case EWCL_ERR_FORMAT: return "malformed file contents";
    case EWCL_ERR_NO_PLATFORM: return "no OpenCL platform";
    case EWCL_ERR_NO_DEVICE: return "no usable OpenCL device";
    case EWCL_ERR_BUILD: return "OpenCL program build failed";
    case EWCL_ERR_OPENCL: return "OpenCL call failed";
    case EWCL_ERR_CLBLAST: return "CLBlast call failed";
    case EWCL_ERR_NUMERIC: return "non-finite value (NaN or Inf)";
    case EWCL_ERR_INTERNAL: return "internal error";
    }
    /* Not `default:` in the switch, so -Wswitch flags a status added to the enum but not here. */
    return "unknown status";
}

const char *ewcl_status_name(ewcl_status status)
{
    switch (status) {
    case EWCL_OK: return "EWCL_OK";
    case EWCL_ERR_INVALID_ARGUMENT: return "EWCL_ERR_INVALID_ARGUMENT";
    case EWCL_ERR_OUT_OF_MEMORY: return "EWCL_ERR_OUT_OF_MEMORY";
    case EWCL_ERR_IO: return "EWCL_ERR_IO";
    case EWCL_ERR_FORMAT: return "EWCL_ERR_FORMAT";
    case EWCL_ERR_NO_PLATFORM: return "EWCL_ERR_NO_PLATFORM";
    case EWCL_ERR_NO_DEVICE: return "EWCL_ERR_NO_DEVICE";
    case EWCL_ERR_BUILD: return "EWCL_ERR_BUILD";
    case EWCL_ERR_OPENCL: return "EWCL_ERR_OPENCL";
    case EWCL_ERR_CLBLAST: return "EWCL_ERR_CLBLAST";
    case EWCL_ERR_NUMERIC: return "EWCL_ERR_NUMERIC";
    case EWCL_ERR_INTERNAL: return "EWCL_ERR_INTERNAL";
    }
    return "EWCL_ERR_UNKNOWN";
}

void ewcl_error_clear(ewcl_error *err)
{
    if (err == NULL)
        return;
    err->status = EWCL_OK;
    err->cl_code = 0;
    err->message[0] = '\0';
}

const char *ewcl_version(void)
{
    return EWCL_VERSION_STRING;
}

void ewcl_error_copy(ewcl_error *dst, const ewcl_error *src)
{
    if (dst == NULL || src == NULL || dst == src)
        return;
    *dst = *src;
}

/* __FILE__ is whatever path the compiler was given; users need only the file's name. */
static const char *path_basename(const char *path)
{
    const char *base = path;
    for (const char *p = path; *p != '\0'; ++p) {
        if (*p == '/' || *p == '\\')
            base = p + 1;
    }
    return base;
}

/* Longest suffix kept whole; the formatted text gives way to it, since the OpenCL name and
 * the location are what a bug report needs most when a build log fills the message. */
#define EWCL_SUFFIX_MAX 256

/* Writes "<formatted><suffix>" into err->message. The text is truncated first so the suffix
 * survives; newlines become spaces because build logs are passed in and the record
 * promises one line. */
static void fill_message(ewcl_error *err, const char *suffix, const char *format, va_list args)
{
    char *msg = err->message;
    size_t suffix_len = strlen(suffix);
    size_t text_cap = sizeof err->message - suffix_len; /* includes the NUL */
    size_t text_len = 0;

    if (format != NULL) {
        int n = vsnprintf(msg, text_cap, format, args);
        if (n < 0)
            msg[0] = '\0'; /* encoding error: keep at least the suffix */
        text_len = strlen(msg);
    } else {
        msg[0] = '\0';
    }
    for (size_t i = 0; i < text_len; ++i) {
        if (msg[i] == '\n' || msg[i] == '\r')
            msg[i] = ' ';
    }
    memcpy(msg + text_len, suffix, suffix_len + 1);
}

static void format_location(char *buf, size_t size, const char *file, int line)
{
    if (file != NULL)
        snprintf(buf, size, " [%s:%d]", path_basename(file), line);
    else
        buf[0] = '\0';
}

ewcl_status ewcl_fail_at(ewcl_error *err, ewcl_status status, const char *file, int line,
                         const char *format, ...)
{
    if (err == NULL)
        return status;

    char suffix[EWCL_SUFFIX_MAX];
    format_location(suffix, sizeof suffix, file, line);

    va_list args;
    va_start(args, format);
    fill_message(err, suffix, format, args);
    va_end(args);

    err->status = status;
    err->cl_code = 0;
    return status;
}

ewcl_status ewcl_fail_cl_at(ewcl_error *err, int cl_code, const char *file, int line,
                            const char *format, ...)
{
    ewcl_status status = (cl_code == CL_OUT_OF_HOST_MEMORY ||
                          cl_code == CL_MEM_OBJECT_ALLOCATION_FAILURE)
                             ? EWCL_ERR_OUT_OF_MEMORY
                             : EWCL_ERR_OPENCL;
    if (err == NULL)
        return status;

    char location[EWCL_SUFFIX_MAX];
    format_location(location, sizeof location, file, line);
    char suffix[EWCL_SUFFIX_MAX + 64];
    snprintf(suffix, sizeof suffix, ": %s (%d)%s", ewcl_cl_error_name(cl_code), cl_code,
             location);

    va_list args;
    va_start(args, format);
    fill_message(err, suffix, format, args);
    va_end(args);

    err->status = status;
    err->cl_code = cl_code;
    return status;
}
