/* Fuzzes the device selector grammar: the input (up to its first NUL) is a selector text.
 * The oracle: parsing either succeeds or is EWCL_ERR_INVALID_ARGUMENT with one line; and
 * ewcl_device_select on a fixed table of devices agrees with the parse — a text that does
 * not parse is refused the same way, one that parses picks a usable device it matches, or
 * says (EWCL_ERR_NO_DEVICE) that no usable device matches. */
#include <stdlib.h>
#include <string.h>

#include "ewcl/runtime.h"
#include "fuzz_common.h"

#define GIB ((uint64_t)1 << 30)

/* A device as enumeration would classify it; `memory` under the minimum makes it unusable. */
static ewcl_device_info device(int index, int platform, int position, const char *platform_name,
                               const char *name, const char *vendor, uint32_t vendor_id,
                               ewcl_device_type type, bool unified, uint64_t memory)
{
    ewcl_device_info d;
    memset(&d, 0, sizeof d);
    d.index = index;
    d.platform_index = platform;
    d.device_index = position;
    strcpy(d.platform_name, platform_name);
    strcpy(d.name, name);
    strcpy(d.vendor, vendor);
    strcpy(d.opencl_c_version, "OpenCL C 1.2");
    d.vendor_id = vendor_id;
    d.opencl_c_major = 1;
    d.opencl_c_minor = 2;
    d.type = type;
    d.unified_memory = unified;
    d.runtime = ewcl_classify_runtime(platform_name);
    d.hw_vendor = ewcl_classify_vendor(vendor, vendor_id);
    d.compute_units = 8;
    d.global_mem_bytes = memory;
    d.max_alloc_bytes = memory / 4;
    d.compiler_available = true;
    ewcl_device_check_usable(&d);
    return d;
}

enum { DEVICE_COUNT = 5 };

/* Every kind of device the grammar can name, one of them unusable. */
static void device_table(ewcl_device_info list[DEVICE_COUNT])
{
    list[0] = device(0, 0, 0, "Portable Computing Language", "pthread-haswell-Intel(R) Core",
                     "GenuineIntel", 0x8086, EWCL_DEVICE_CPU, true, 8 * GIB);
    list[1] = device(1, 0, 1, "Portable Computing Language", "basic-haswell-Intel(R) Core",
                     "GenuineIntel", 0x8086, EWCL_DEVICE_CPU, true, 8 * GIB);
    list[2] = device(2, 1, 0, "NVIDIA CUDA", "NVIDIA GeForce RTX 3080", "NVIDIA Corporation",
                     0x10de, EWCL_DEVICE_GPU, false, 10 * GIB);
    list[3] = device(3, 2, 0, "AMD Accelerated Parallel Processing", "gfx1035",
                     "Advanced Micro Devices, Inc.", 0x1002, EWCL_DEVICE_GPU, true, 1 << 20);
    list[4] = device(4, 3, 0, "Oclgrind", "Oclgrind Simulator", "Oclgrind", 0x42,
                     EWCL_DEVICE_ACCELERATOR, true, GIB);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    FUZZ_REQUIRE(text != NULL, "out of memory");
    memcpy(text, data, size);
    text[size] = '\0';
    ewcl_device_info list[DEVICE_COUNT];
    device_table(list);

    ewcl_selector *selector = NULL;
    ewcl_error err;
    ewcl_error_clear(&err);
    const ewcl_status parsed = ewcl_selector_parse(text, &selector, &err);
    size_t position = SIZE_MAX;
    ewcl_error select_err;
    ewcl_error_clear(&select_err);
    const ewcl_status selected =
        ewcl_device_select(list, DEVICE_COUNT, text, &position, &select_err);
    if (parsed != EWCL_OK) {
        FUZZ_REQUIRE(parsed == EWCL_ERR_INVALID_ARGUMENT, "parse returned %s",
                     ewcl_status_name(parsed));
        FUZZ_REQUIRE(selector == NULL, "a failed parse returned a selector");
        fuzz_check_message(&err, parsed);
        FUZZ_REQUIRE(selected == parsed, "select says %s where the parse failed",
                     ewcl_status_name(selected));
        fuzz_check_message(&select_err, selected);
        free(text);
        return 0;
    }
    bool usable_match = false;
    for (size_t i = 0; i < DEVICE_COUNT; i++)
        usable_match |= list[i].usable && ewcl_selector_matches(selector, &list[i]);
    if (selected == EWCL_OK) {
        FUZZ_REQUIRE(position < DEVICE_COUNT, "selected position %zu", position);
        FUZZ_REQUIRE(list[position].usable && ewcl_selector_matches(selector, &list[position]),
                     "selected device %zu is unusable or does not match", position);
    } else {
        FUZZ_REQUIRE(selected == EWCL_ERR_NO_DEVICE, "select returned %s for a valid selector",
                     ewcl_status_name(selected));
        FUZZ_REQUIRE(!usable_match, "a usable device matches, yet select found none");
        fuzz_check_message(&select_err, selected);
    }
    ewcl_selector_destroy(selector);
    free(text);
    return 0;
}
