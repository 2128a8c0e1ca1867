/* Runtime options: defaults, and the one opt-in reading of the environment. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ewcl/runtime.h"

void ewcl_runtime_options_default(ewcl_runtime_options *options)
{
    if (options != NULL)
        memset(options, 0, sizeof *options);
}

static bool is_set(const char *value)
{
    return value != NULL && value[0] != '\0';
}

static void copy_env(const char *name, char *dst, size_t size)
{
    const char *value = getenv(name);
    if (is_set(value))
        snprintf(dst, size, "%s", value);
}

/* $EWCL_CACHE_DIR, else $XDG_CACHE_HOME/ewcl, else $HOME/.cache/ewcl, else no cache. */
static void resolve_cache_dir(char *dst, size_t size)
{
    const char *value = getenv("EWCL_NO_CACHE");
    if (is_set(value) && strcmp(value, "0") != 0) {
        dst[0] = '\0';
        return;
    }
    if (is_set(value = getenv("EWCL_CACHE_DIR")))
        snprintf(dst, size, "%s", value);
    else if (is_set(value = getenv("XDG_CACHE_HOME")))
        snprintf(dst, size, "%s/ewcl", value);
    else if (is_set(value = getenv("HOME")))
        snprintf(dst, size, "%s/.cache/ewcl", value);
}

void ewcl_options_apply_env(ewcl_runtime_options *options)
{
    if (options == NULL)
        return;
    copy_env("EWCL_DEVICE", options->device, sizeof options->device);
    copy_env("EWCL_KERNEL_DIR", options->kernel_dir, sizeof options->kernel_dir);
    copy_env("EWCL_CL_BUILD_OPTIONS", options->build_options, sizeof options->build_options);
    resolve_cache_dir(options->cache_dir, sizeof options->cache_dir);
}
