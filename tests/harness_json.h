/* Reading the JSON files and documents the program writes, failing the test with what was
 * there when something is missing. */
#ifndef EWCL_TEST_HARNESS_JSON_H
#define EWCL_TEST_HARNESS_JSON_H

#include <cjson/cJSON.h>

/* The parsed `<dir>/<name>`; the caller deletes it. */
cJSON *ewcl_test_read_json(const char *dir, const char *name);

/* The member `key` of object `o` (case-sensitive). */
const cJSON *ewcl_test_json_field(const cJSON *o, const char *key);

#endif
