/* The runtime object's insides, shared by the files of src/runtime/ and the layers above. */
#ifndef EWCL_RUNTIME_INTERNAL_H
#define EWCL_RUNTIME_INTERNAL_H

#include "ewcl/ewcl_cl.h"

typedef struct ewcl_program_slot {
    cl_program program; /* NULL until built */
} ewcl_program_slot;

/* A kernel object the runtime made once and hands out on every launch. */
typedef struct ewcl_kernel_slot {
    const char *program_name; /* string constants of the ops layer, compared by content */
    const char *kernel_name;
    cl_kernel kernel;
} ewcl_kernel_slot;

/* A command recorded for ewcl_runtime_kernel_times (options.profiling): its name (a string
 * constant) and its profiling event (NULL when the enqueue failed). */
typedef struct ewcl_trace_entry {
    const char *name;
    cl_event event;
} ewcl_trace_entry;

struct ewcl_runtime {
    ewcl_runtime_options options;
    ewcl_device_info device;
    ewcl_profile profile;
    cl_platform_id platform;
    cl_device_id device_id;
    cl_context context;
    cl_command_queue queue;
    char build_options[2560]; /* profile -D options + options.build_options */
    bool cache_enabled;       /* false when no cache dir, or it proved unwritable */
    ewcl_program_stats stats;
    ewcl_program_slot *programs; /* ewcl_program_count() entries */
    ewcl_kernel_slot *kernels;
    size_t kernel_count, kernel_capacity;
    ewcl_gemm_engine gemm_choice; /* the profile's, or the probe's once it ran (src/ops/) */
    ewcl_trace_entry *trace;      /* commands recorded since ewcl_runtime_kernel_times */
    size_t trace_count, trace_capacity;
    ewcl_error error;
};

/* Where the event of the command about to be enqueued goes, to be timed later: NULL (no
 * event) when the queue does not profile, or when the record cannot grow (the command then
 * runs untimed). `name` must be a string constant: the kernel's name, or a transfer's. */
cl_event *ewcl_trace_event(ewcl_runtime *runtime, const char *name);
/* Releases the recorded events (the runtime's destruction). */
void ewcl_trace_clear(ewcl_runtime *runtime);

/* Logs through the options' callback, printf-style. */
void ewcl_runtime_log(const ewcl_runtime *runtime, ewcl_log_level level, const char *format,
                      ...) __attribute__((format(printf, 3, 4)));

/* The program `index` (0 ≤ index < ewcl_program_count()), built or loaded on first use. */
ewcl_status ewcl_runtime_program(ewcl_runtime *runtime, size_t index, cl_program *out);

/* The runtime's own kernel object for `kernel_name` in `program_name`, created on first
 * use and released with the runtime: launches never create kernels. Both names must be
 * string constants (the runtime keeps the pointers). Not for concurrent use. */
ewcl_status ewcl_runtime_kernel(ewcl_runtime *runtime, const char *program_name,
                                const char *kernel_name, cl_kernel *out);

/* Fills a device record from an OpenCL device (shared by enumeration and adoption). */
ewcl_status ewcl_device_query(cl_platform_id platform, cl_device_id device,
                              ewcl_device_info *out, ewcl_error *err);

/* Enumerates the devices once and picks the one `selector` names (NULL = auto): its
 * record and its OpenCL handles. */
ewcl_status ewcl_device_open(const char *selector, ewcl_device_info *out_info,
                             cl_platform_id *out_platform, cl_device_id *out_device,
                             ewcl_error *err);

#endif
