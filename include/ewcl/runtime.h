/* ewcl — the runtime layer: OpenCL devices, device selection, device profiles, and the
 * runtime object (one device, one context, one in-order queue, the built programs).
 *
 *   ewcl_runtime_options opts;
 *   ewcl_runtime_options_default(&opts);
 *   ewcl_options_apply_env(&opts);               // optional: EWCL_DEVICE, EWCL_CACHE_DIR, …
 *   snprintf(opts.device, sizeof opts.device, "type:gpu");
 *   ewcl_error err;
 *   ewcl_runtime *rt = NULL;
 *   if (ewcl_runtime_create(&opts, &rt, &err) == EWCL_OK &&
 *       ewcl_runtime_warmup(rt) == EWCL_OK)       // builds every program (or loads the cache)
 *       printf("on %s\n", ewcl_runtime_device(rt)->name);
 *   ewcl_runtime_destroy(rt);
 */
#ifndef EWCL_RUNTIME_H
#define EWCL_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ewcl/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Devices ------------------------------------------------------------------------- */

/* The device's kind. A device reporting several OpenCL types at once (a simulator such as
 * Oclgrind says CPU, GPU and accelerator) is classed as an accelerator. */
typedef enum ewcl_device_type {
    EWCL_DEVICE_CPU = 0,
    EWCL_DEVICE_GPU = 1,
    EWCL_DEVICE_ACCELERATOR = 2,
    EWCL_DEVICE_OTHER = 3
} ewcl_device_type;

/* The OpenCL implementation, classified from the platform name (not the device vendor:
 * PoCL on an AMD CPU reports vendor "AuthenticAMD" with Intel's vendor id 0x8086). */
typedef enum ewcl_cl_runtime {
    EWCL_RUNTIME_POCL = 0,
    EWCL_RUNTIME_OCLGRIND,
    EWCL_RUNTIME_NVIDIA,
    EWCL_RUNTIME_AMD,
    EWCL_RUNTIME_INTEL,
    EWCL_RUNTIME_RUSTICL,
    EWCL_RUNTIME_CLOVER,
    EWCL_RUNTIME_APPLE,
    EWCL_RUNTIME_OTHER
} ewcl_cl_runtime;

/* Who made the hardware, from the device vendor string first, then the vendor id. */
typedef enum ewcl_hw_vendor {
    EWCL_VENDOR_NVIDIA = 0,
    EWCL_VENDOR_AMD,
    EWCL_VENDOR_INTEL,
    EWCL_VENDOR_ARM,
    EWCL_VENDOR_APPLE,
    EWCL_VENDOR_QUALCOMM,
    EWCL_VENDOR_OTHER
} ewcl_hw_vendor;

/* Least OpenCL C version and memory a device needs to be usable. */
#define EWCL_MIN_OPENCL_C_MAJOR 1
#define EWCL_MIN_OPENCL_C_MINOR 2
#define EWCL_MIN_GLOBAL_MEM_BYTES (64u * 1024u * 1024u)

typedef struct ewcl_device_info {
    int index;          /* flat index over all platforms' devices */
    int platform_index; /* P of P:D */
    int device_index;   /* D of P:D */
    char platform_name[128];
    char platform_version[160];
    char name[256];
    char vendor[128];
    uint32_t vendor_id;
    char driver_version[128];
    char opencl_c_version[128];
    int opencl_c_major, opencl_c_minor;
    ewcl_device_type type;
    bool unified_memory; /* CL_DEVICE_HOST_UNIFIED_MEMORY: an integrated GPU shares host RAM */
    ewcl_cl_runtime runtime;
    ewcl_hw_vendor hw_vendor;
    uint32_t compute_units;
    uint32_t clock_mhz;
    uint64_t global_mem_bytes;
    uint64_t max_alloc_bytes;
    uint64_t local_mem_bytes;
    size_t max_work_group_size;
    uint32_t preferred_vector_width_float;
    bool compiler_available;
    bool usable;
    char unusable_reason[128]; /* why not, when !usable */
} ewcl_device_info;

/* Enumerates every device of every platform into a new array (free with ewcl_devices_free).
 * EWCL_ERR_NO_PLATFORM when no ICD or no platform is installed. */
EWCL_API ewcl_status ewcl_devices_list(ewcl_device_info **out_list, size_t *out_count,
                                       ewcl_error *err);
EWCL_API void ewcl_devices_free(ewcl_device_info *list);

/* Classification helpers (pure; used by enumeration, exposed for tests and tools). */
EWCL_API ewcl_cl_runtime ewcl_classify_runtime(const char *platform_name);
EWCL_API ewcl_hw_vendor ewcl_classify_vendor(const char *vendor, uint32_t vendor_id);
/* Fills `usable` and `unusable_reason` from the other fields. */
EWCL_API void ewcl_device_check_usable(ewcl_device_info *device);

EWCL_API const char *ewcl_device_type_name(ewcl_device_type type);  /* "cpu", "gpu", … */
EWCL_API const char *ewcl_cl_runtime_name(ewcl_cl_runtime runtime); /* "pocl", … */
EWCL_API const char *ewcl_hw_vendor_name(ewcl_hw_vendor vendor);    /* "amd", … */

/* ---- Selectors ----------------------------------------------------------------------- *
 * Grammar (case-insensitive, comma = every term must match):
 *   auto              best usable device: discrete GPU, integrated GPU, CPU, accelerator
 *   3                 flat index from `ewcl devices`
 *   1:0               platform 1, device 0
 *   type:gpu|cpu|accelerator|other
 *   vendor:nvidia|amd|intel|arm|apple|qualcomm|other      (who made the hardware)
 *   runtime:pocl|oclgrind|nvidia|amd|intel|rusticl|clover|apple|other
 *   name:<substring>  platform:<substring>
 *   bare words: a type (gpu, cpu, accelerator), else a runtime (pocl, oclgrind, rusticl,
 *               clover), else a vendor (nvidia, amd, intel, arm, apple, qualcomm), else
 *               name:<word> (so `basic` picks PoCL's basic device).
 * When several devices match, the auto order picks among them. */
typedef struct ewcl_selector ewcl_selector;

EWCL_API ewcl_status ewcl_selector_parse(const char *text, ewcl_selector **out,
                                         ewcl_error *err);
EWCL_API void ewcl_selector_destroy(ewcl_selector *selector);
EWCL_API bool ewcl_selector_matches(const ewcl_selector *selector,
                                    const ewcl_device_info *device);

/* Picks the device for `selector_text` (NULL or "" = auto) among `list`. Matching nothing,
 * or only unusable devices, is EWCL_ERR_NO_DEVICE (never a silent fallback). */
EWCL_API ewcl_status ewcl_device_select(const ewcl_device_info *list, size_t count,
                                        const char *selector_text, size_t *out_position,
                                        ewcl_error *err);

/* ---- Device profile ------------------------------------------------------------------ *
 * Every vendor- or type-specific choice, derived from device queries; each field can be
 * overridden (a non-zero field of ewcl_profile_overrides wins). */
typedef enum ewcl_gemm_engine {
    EWCL_GEMM_AUTO = 0, /* let the profile (or a timed probe) decide */
    EWCL_GEMM_NATIVE,   /* cl/gemm.cl */
    EWCL_GEMM_CLBLAST
} ewcl_gemm_engine;

typedef struct ewcl_profile {
    size_t work_group_size;      /* 1-D element-wise and reduction kernels */
    size_t work_group_multiple;  /* the device's SIMD width (warp, wavefront, 1 on CPUs) */
    uint32_t gemm_tile_m;        /* rows of C per work-group */
    uint32_t gemm_tile_n;        /* columns of C per work-group */
    uint32_t gemm_tile_k;        /* depth of one step through K */
    uint32_t gemm_work_m;        /* rows of C per work-item (register block) */
    uint32_t gemm_work_n;        /* columns of C per work-item (register block) */
    uint32_t vector_width;       /* floats per vector the kernels should use */
    ewcl_gemm_engine gemm_engine; /* preferred engine; EWCL_GEMM_AUTO where the profile
                                     cannot judge (a GPU CLBlast has no tuning for):
                                     then a timed probe decides */
} ewcl_profile;

typedef ewcl_profile ewcl_profile_overrides; /* zero fields = keep the derived value */

/* Derives the profile of `device`, then applies the non-zero fields of `overrides`
 * (may be NULL). EWCL_ERR_INVALID_ARGUMENT when an override is inconsistent (e.g. a tile
 * not divisible by its per-work-item block). */
EWCL_API ewcl_status ewcl_profile_derive(const ewcl_device_info *device,
                                         const ewcl_profile_overrides *overrides,
                                         ewcl_profile *out, ewcl_error *err);

/* The -D options a profile gives every kernel build, into `buffer`. */
EWCL_API void ewcl_profile_build_options(const ewcl_profile *profile, char *buffer,
                                         size_t size);

/* ---- Runtime ------------------------------------------------------------------------- */

#define EWCL_PATH_MAX 4096

typedef struct ewcl_runtime_options {
    char device[256];               /* selector; "" = auto */
    char kernel_dir[EWCL_PATH_MAX]; /* "" = the kernels embedded in the library */
    char cache_dir[EWCL_PATH_MAX];  /* program binary cache; "" = no cache */
    char build_options[1024];       /* appended to every clBuildProgram */
    bool profiling;                 /* queue with CL_QUEUE_PROFILING_ENABLE */
    ewcl_profile_overrides profile; /* zero fields = derived from the device */
    ewcl_log_fn log;                /* NULL = messages are dropped */
    void *log_user;
} ewcl_runtime_options;

/* All defaults: auto device, embedded kernels, no cache, no extra options, no log. */
EWCL_API void ewcl_runtime_options_default(ewcl_runtime_options *options);

/* The one place the library reads the environment, and only when asked:
 *   EWCL_DEVICE           → device
 *   EWCL_KERNEL_DIR       → kernel_dir
 *   EWCL_CL_BUILD_OPTIONS → build_options
 *   EWCL_NO_CACHE=1       → cache_dir = ""
 *   else cache_dir = $EWCL_CACHE_DIR, else $XDG_CACHE_HOME/ewcl, else $HOME/.cache/ewcl.
 * Call it after ewcl_runtime_options_default and before applying command-line flags, so
 * that a flag beats a variable beats the default. */
EWCL_API void ewcl_options_apply_env(ewcl_runtime_options *options);

typedef struct ewcl_runtime ewcl_runtime;

/* Enumerates devices, selects one by options->device, and makes its context and queue.
 * On failure *out is NULL and `err` (may be NULL) says why. */
EWCL_API ewcl_status ewcl_runtime_create(const ewcl_runtime_options *options,
                                         ewcl_runtime **out, ewcl_error *err);
EWCL_API void ewcl_runtime_destroy(ewcl_runtime *runtime);

EWCL_API const ewcl_device_info *ewcl_runtime_device(const ewcl_runtime *runtime);
EWCL_API const ewcl_profile *ewcl_runtime_profile(const ewcl_runtime *runtime);
/* The runtime's error record: what the last failed call on it said. */
EWCL_API const ewcl_error *ewcl_runtime_error(const ewcl_runtime *runtime);

/* The engine EWCL_GEMM_AUTO stands for on this runtime: the profile's choice, or where the
 * profile leaves it open the winner of a short timed probe (run now if it has not run). */
EWCL_API ewcl_status ewcl_runtime_gemm_engine(ewcl_runtime *runtime, ewcl_gemm_engine *out);
/* "auto", "native" or "clblast". */
EWCL_API const char *ewcl_gemm_engine_name(ewcl_gemm_engine engine);

/* Builds (or loads from the cache) every program now, instead of at first use. */
EWCL_API ewcl_status ewcl_runtime_warmup(ewcl_runtime *runtime);
/* Waits for everything enqueued on the runtime's queue. */
EWCL_API ewcl_status ewcl_runtime_finish(ewcl_runtime *runtime);

/* ---- Where device time goes (options.profiling) ---------------------------------------
 * With a profiling queue the runtime records every command it enqueues — each kernel under
 * its name (ewcl_gemm_nn, ewcl_softmax_nll, …; CLBlast's products as "clblast_sgemm"),
 * transfers as "write", "read", "copy" — with its OpenCL profiling event. */
typedef struct ewcl_kernel_time {
    const char *name;      /* valid for the life of the library */
    uint64_t count;        /* commands of that name */
    double seconds;        /* their device time, END − START, summed */
} ewcl_kernel_time;

typedef struct ewcl_kernel_times {
    ewcl_kernel_time *entries; /* one per name, in order of first appearance */
    size_t count;
    uint64_t commands;         /* all commands timed */
    double busy_seconds;       /* the sum of every command's time */
    double span_seconds;       /* from the first command's START to the last one's END: on an
                                  in-order queue, span − busy is the device's idle time */
} ewcl_kernel_times;

/* Waits for the queue, sums the commands recorded since the last call by name into `out`
 * (free with ewcl_kernel_times_free) and forgets them. EWCL_ERR_INVALID_ARGUMENT when the
 * runtime was made without options.profiling. */
EWCL_API ewcl_status ewcl_runtime_kernel_times(ewcl_runtime *runtime, ewcl_kernel_times *out);
/* NULL or an empty record does nothing. */
EWCL_API void ewcl_kernel_times_free(ewcl_kernel_times *times);

/* How the runtime got its programs so far: observable cache behaviour. */
typedef struct ewcl_program_stats {
    unsigned built_from_source;
    unsigned loaded_from_cache;
    unsigned cache_rejected; /* entries found but corrupt, truncated or foreign */
    unsigned cache_written;
} ewcl_program_stats;
EWCL_API void ewcl_runtime_program_stats(const ewcl_runtime *runtime, ewcl_program_stats *out);

/* The programs ewcl builds: one per cl/<name>.cl, in a fixed order. */
EWCL_API size_t ewcl_program_count(void);
EWCL_API const char *ewcl_program_name(size_t index);

#ifdef __cplusplus
}
#endif
#endif
