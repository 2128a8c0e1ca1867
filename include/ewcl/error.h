/* ewcl — status codes, the error record, and the symbol-export macro.
 *
 * Every fallible call returns an ewcl_status. The details (OpenCL error name, the call, the
 * object, file:line, the head of a build log) go into an explicit error record: the
 * runtime's own (ewcl_runtime_error) once a runtime exists, or a caller's ewcl_error before.
 *
 *   ewcl_error err;
 *   ewcl_runtime *rt = NULL;
 *   if (ewcl_runtime_create(&opts, &rt, &err) != EWCL_OK)
 *       fprintf(stderr, "ewcl: %s\n", err.message);
 */
#ifndef EWCL_ERROR_H
#define EWCL_ERROR_H

#if defined(EWCL_STATIC_DEFINE)
#define EWCL_API
#elif defined(_WIN32)
#ifdef EWCL_BUILDING_LIBRARY
#define EWCL_API __declspec(dllexport)
#else
#define EWCL_API __declspec(dllimport)
#endif
#else
#define EWCL_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ewcl_status {
    EWCL_OK = 0,
    EWCL_ERR_INVALID_ARGUMENT = -1, /* a bad value from the caller (selector, option, size) */
    EWCL_ERR_OUT_OF_MEMORY = -2,    /* host or device allocation failed */
    EWCL_ERR_IO = -3,               /* a file could not be read or written */
    EWCL_ERR_FORMAT = -4,           /* a file was read but its contents are wrong */
    EWCL_ERR_NO_PLATFORM = -5,      /* no OpenCL platform: no ICD or no driver installed */
    EWCL_ERR_NO_DEVICE = -6,        /* no usable device matches the selector */
    EWCL_ERR_BUILD = -7,            /* an OpenCL program failed to compile */
    EWCL_ERR_OPENCL = -8,           /* an OpenCL call failed */
    EWCL_ERR_CLBLAST = -9,          /* a CLBlast call failed */
    EWCL_ERR_NUMERIC = -10,         /* NaN or Inf where a finite value is required */
    EWCL_ERR_INTERNAL = -11         /* a bug in ewcl */
} ewcl_status;

#define EWCL_ERROR_MESSAGE_MAX 2048

/* The error record. `message` is one line (no newline) fit for a user. */
typedef struct ewcl_error {
    ewcl_status status;
    int cl_code; /* the OpenCL error code behind it, 0 if none */
    char message[EWCL_ERROR_MESSAGE_MAX];
} ewcl_error;

/* A short description of a status, e.g. "OpenCL program build failed". Never NULL. */
EWCL_API const char *ewcl_status_str(ewcl_status status);

/* The constant's name, e.g. "EWCL_ERR_BUILD". Never NULL ("EWCL_ERR_UNKNOWN" if unknown). */
EWCL_API const char *ewcl_status_name(ewcl_status status);

/* The OpenCL 1.2 error name of a code, e.g. -5 → "CL_OUT_OF_RESOURCES";
 * "CL_SUCCESS" for 0, "CL_UNKNOWN_ERROR" for a code OpenCL 1.2 does not define. */
EWCL_API const char *ewcl_cl_error_name(int cl_code);

/* Resets a record to EWCL_OK with an empty message. NULL does nothing. */
EWCL_API void ewcl_error_clear(ewcl_error *err);

/* Log levels for the log callback of the runtime options. */
typedef enum ewcl_log_level {
    EWCL_LOG_DEBUG = 0,
    EWCL_LOG_INFO = 1,
    EWCL_LOG_WARNING = 2,
    EWCL_LOG_ERROR = 3
} ewcl_log_level;

/* Receives every message the library has for a person; the library itself never prints. */
typedef void (*ewcl_log_fn)(void *user, ewcl_log_level level, const char *message);

/* The library's version, "MAJOR.MINOR.PATCH". */
EWCL_API const char *ewcl_version(void);

#ifdef __cplusplus
}
#endif
#endif
