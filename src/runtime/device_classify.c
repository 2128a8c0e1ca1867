/* Device classification: which OpenCL implementation, who made the hardware, whether ewcl
 * can use the device, and the lowercase words `ewcl devices` and the selector grammar use.
 * Pure functions over strings and numbers, so that they are testable without OpenCL. */
#include <stdio.h>
#include <string.h>

#include "ewcl/runtime.h"

/* ---- Case-insensitive matching (ASCII only: platform and vendor names are ASCII) ------ */

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool ascii_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* True when `word` (lowercase) starts at `hay`, ignoring case. */
static bool starts_with_ci(const char *hay, const char *word)
{
    for (; *word != '\0'; ++hay, ++word) {
        if (ascii_lower(*hay) != *word)
            return false; /* also stops at the end of `hay`, since *word != '\0' */
    }
    return true;
}

/* `word` (lowercase) anywhere in `hay`, ignoring case. */
static bool contains_ci(const char *hay, const char *word)
{
    if (hay == NULL)
        return false;
    for (; *hay != '\0'; ++hay) {
        if (starts_with_ci(hay, word))
            return true;
    }
    return false;
}

/* `word` (lowercase) in `hay` as a whole word, ignoring case: short names such as "ARM"
 * or "AMD" must not match inside other words ("Pharmaceutical", "Amdahl"). Anything but a
 * letter or digit separates words, so "Intel(R) Corporation" contains "intel". */
static bool contains_word_ci(const char *hay, const char *word)
{
    if (hay == NULL)
        return false;
    size_t len = strlen(word);
    for (const char *p = hay; *p != '\0'; ++p) {
        if ((p == hay || !ascii_alnum(p[-1])) && starts_with_ci(p, word) && !ascii_alnum(p[len]))
            return true;
    }
    return false;
}

/* ---- Classification ------------------------------------------------------------------- */

ewcl_cl_runtime ewcl_classify_runtime(const char *platform_name)
{
    if (platform_name == NULL)
        return EWCL_RUNTIME_OTHER;
    /* The implementations that run on other vendors' hardware come first, so that e.g.
     * "rusticl" on an AMD GPU or PoCL's CUDA back end is not taken for the vendor's own. */
    if (contains_ci(platform_name, "portable computing language") ||
        contains_ci(platform_name, "pocl"))
        return EWCL_RUNTIME_POCL;
    if (contains_ci(platform_name, "oclgrind"))
        return EWCL_RUNTIME_OCLGRIND;
    if (contains_ci(platform_name, "rusticl"))
        return EWCL_RUNTIME_RUSTICL;
    if (contains_ci(platform_name, "clover"))
        return EWCL_RUNTIME_CLOVER;
    if (contains_ci(platform_name, "nvidia"))
        return EWCL_RUNTIME_NVIDIA;
    if (contains_ci(platform_name, "amd accelerated parallel processing") ||
        contains_word_ci(platform_name, "amd"))
        return EWCL_RUNTIME_AMD;
    if (contains_word_ci(platform_name, "intel"))
        return EWCL_RUNTIME_INTEL;
    if (contains_word_ci(platform_name, "apple"))
        return EWCL_RUNTIME_APPLE;
    return EWCL_RUNTIME_OTHER;
}

static ewcl_hw_vendor vendor_from_string(const char *vendor)
{
    if (vendor == NULL)
        return EWCL_VENDOR_OTHER;
    if (contains_ci(vendor, "nvidia"))
        return EWCL_VENDOR_NVIDIA;
    /* "AuthenticAMD" and "GenuineIntel" are the CPUID strings PoCL reports for CPUs. */
    if (contains_ci(vendor, "advanced micro devices") || contains_ci(vendor, "authenticamd") ||
        contains_word_ci(vendor, "amd"))
        return EWCL_VENDOR_AMD;
    if (contains_ci(vendor, "genuineintel") || contains_word_ci(vendor, "intel"))
        return EWCL_VENDOR_INTEL;
    if (contains_word_ci(vendor, "arm"))
        return EWCL_VENDOR_ARM;
    if (contains_word_ci(vendor, "apple"))
        return EWCL_VENDOR_APPLE;
    if (contains_ci(vendor, "qualcomm"))
        return EWCL_VENDOR_QUALCOMM;
    return EWCL_VENDOR_OTHER;
}

static ewcl_hw_vendor vendor_from_id(uint32_t vendor_id)
{
    switch (vendor_id) {
    case 0x10de: return EWCL_VENDOR_NVIDIA;
    case 0x1002: /* ATI / AMD graphics */
    case 0x1022: return EWCL_VENDOR_AMD;
    case 0x8086: return EWCL_VENDOR_INTEL;
    case 0x13b5: return EWCL_VENDOR_ARM;
    case 0x106b:
    case 0x1027f00: return EWCL_VENDOR_APPLE; /* what Apple's OpenCL reports */
    case 0x5143: return EWCL_VENDOR_QUALCOMM;
    default: return EWCL_VENDOR_OTHER;
    }
}

ewcl_hw_vendor ewcl_classify_vendor(const char *vendor, uint32_t vendor_id)
{
    /* The string first: PoCL on an AMD EPYC reports "AuthenticAMD" with Intel's id 0x8086,
     * so the id alone would call it Intel. The id is only the fallback for empty or
     * unrecognised strings. */
    ewcl_hw_vendor from_string = vendor_from_string(vendor);
    return from_string != EWCL_VENDOR_OTHER ? from_string : vendor_from_id(vendor_id);
}

void ewcl_device_check_usable(ewcl_device_info *device)
{
    if (device == NULL)
        return;
    char *reason = device->unusable_reason;
    const size_t size = sizeof device->unusable_reason;
    device->usable = false;
    if (!device->compiler_available) {
        snprintf(reason, size, "no OpenCL C compiler");
    } else if (device->opencl_c_major < EWCL_MIN_OPENCL_C_MAJOR ||
               (device->opencl_c_major == EWCL_MIN_OPENCL_C_MAJOR &&
                device->opencl_c_minor < EWCL_MIN_OPENCL_C_MINOR)) {
        snprintf(reason, size, "OpenCL C %d.%d < %d.%d", device->opencl_c_major,
                 device->opencl_c_minor, EWCL_MIN_OPENCL_C_MAJOR, EWCL_MIN_OPENCL_C_MINOR);
    } else if (device->global_mem_bytes < EWCL_MIN_GLOBAL_MEM_BYTES) {
        const uint64_t mib = 1024u * 1024u;
        snprintf(reason, size, "too little memory: %llu MiB < %llu MiB",
                 (unsigned long long)(device->global_mem_bytes / mib),
                 (unsigned long long)(EWCL_MIN_GLOBAL_MEM_BYTES / mib));
    } else {
        device->usable = true;
        reason[0] = '\0';
    }
}

/* ---- Names ---------------------------------------------------------------------------- */

/* names[value], or "other" for a value outside the enum (a caller's cast). */
static const char *name_or_other(const char *const *names, size_t count, int value)
{
    return (value >= 0 && (size_t)value < count) ? names[value] : "other";
}

#define NAME_OR_OTHER(names, value)                                                          \
    name_or_other((names), sizeof(names) / sizeof((names)[0]), (int)(value))

const char *ewcl_device_type_name(ewcl_device_type type)
{
    static const char *const names[] = {"cpu", "gpu", "accelerator", "other"};
    return NAME_OR_OTHER(names, type);
}

const char *ewcl_cl_runtime_name(ewcl_cl_runtime runtime)
{
    static const char *const names[] = {"pocl",    "oclgrind", "nvidia", "amd",  "intel",
                                        "rusticl", "clover",   "apple",  "other"};
    return NAME_OR_OTHER(names, runtime);
}

const char *ewcl_hw_vendor_name(ewcl_hw_vendor vendor)
{
    static const char *const names[] = {"nvidia", "amd",      "intel", "arm",
                                        "apple",  "qualcomm", "other"};
    return NAME_OR_OTHER(names, vendor);
}
