/* `ewcl devices`: every platform and device, which one the selector picks, and why a device
 * is not usable. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "cli_common.h"
#include "commands.h"

static const char devices_help[] =
    "usage: ewcl devices [--json] [--device SEL]\n"
    "\n"
    "Lists every OpenCL platform and device. The starred row is the device that --device\n"
    "(or $EWCL_DEVICE, else auto) selects.\n"
    "\n"
    "  --json        one JSON document on stdout, for scripts\n"
    "  --device SEL  mark the device SEL selects (exit 3 when it matches none)\n";

static cJSON *device_json(const ewcl_device_info *d, bool selected)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", d->index);
    cJSON_AddNumberToObject(o, "platform_index", d->platform_index);
    cJSON_AddNumberToObject(o, "device_index", d->device_index);
    cJSON_AddStringToObject(o, "platform", d->platform_name);
    cJSON_AddStringToObject(o, "platform_version", d->platform_version);
    cJSON_AddStringToObject(o, "name", d->name);
    cJSON_AddStringToObject(o, "type", ewcl_device_type_name(d->type));
    cJSON_AddBoolToObject(o, "unified_memory", d->unified_memory);
    cJSON_AddStringToObject(o, "runtime", ewcl_cl_runtime_name(d->runtime));
    cJSON_AddStringToObject(o, "vendor", ewcl_hw_vendor_name(d->hw_vendor));
    cJSON_AddStringToObject(o, "vendor_string", d->vendor);
    cJSON_AddNumberToObject(o, "vendor_id", d->vendor_id);
    cJSON_AddStringToObject(o, "driver_version", d->driver_version);
    cJSON_AddStringToObject(o, "opencl_c_version", d->opencl_c_version);
    cJSON_AddNumberToObject(o, "compute_units", d->compute_units);
    cJSON_AddNumberToObject(o, "clock_mhz", d->clock_mhz);
    cJSON_AddNumberToObject(o, "global_mem_bytes", (double)d->global_mem_bytes);
    cJSON_AddNumberToObject(o, "max_alloc_bytes", (double)d->max_alloc_bytes);
    cJSON_AddNumberToObject(o, "local_mem_bytes", (double)d->local_mem_bytes);
    cJSON_AddBoolToObject(o, "usable", d->usable);
    if (!d->usable)
        cJSON_AddStringToObject(o, "unusable_reason", d->unusable_reason);
    cJSON_AddBoolToObject(o, "selected", selected);
    return o;
}

static int print_json(const ewcl_device_info *list, size_t count, long selected)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *devices = cJSON_AddArrayToObject(root, "devices");
    for (size_t i = 0; i < count; i++)
        cJSON_AddItemToArray(devices, device_json(&list[i], (long)i == selected));
    return cli_print_json(root, "devices: out of memory writing JSON");
}

int cmd_devices(int argc, char **argv)
{
    cli_runtime_flags flags;
    bool json = false;
    const int parsed =
        cli_parse_json_command("devices", devices_help, argc, argv, &flags, &json);
    if (parsed != CLI_PARSE_CONTINUE)
        return parsed;

    ewcl_error err;
    ewcl_device_info *list = NULL;
    size_t count = 0;
    ewcl_status status = ewcl_devices_list(&list, &count, &err);
    if (status != EWCL_OK) {
        cli_error("%s", err.message);
        return cli_exit_code(status);
    }
    size_t selected = 0;
    status = ewcl_device_select(list, count, flags.options.device, &selected, &err);
    /* Listing is useful even when nothing is usable; only an explicit selector that
     * matches nothing is an error. */
    const bool explicit_selector = flags.options.device[0] != '\0';
    int code = CLI_EXIT_OK;
    if (status != EWCL_OK && explicit_selector) {
        cli_error("%s", err.message);
        code = cli_exit_code(status);
    }
    const long marked = status == EWCL_OK ? (long)selected : -1;
    if (json)
        code = print_json(list, count, marked) != CLI_EXIT_OK ? CLI_EXIT_RUNTIME : code;
    else
        cli_print_device_table(code == CLI_EXIT_OK ? stdout : stderr, list, count, marked);
    ewcl_devices_free(list);
    return code;
}
