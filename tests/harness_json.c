/* Reading JSON in tests; see harness_json.h. */
#include "harness_json.h"

#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

cJSON *ewcl_test_read_json(const char *dir, const char *name)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = ewcl_test_read_file(path, NULL);
    ck_assert_msg(text != NULL, "no %s", path);
    cJSON *root = cJSON_Parse(text);
    ck_assert_msg(root != NULL, "%s is not JSON:\n%s", path, text);
    free(text);
    return root;
}

const cJSON *ewcl_test_json_field(const cJSON *o, const char *key)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(f != NULL, "no '%s' in %s", key, cJSON_PrintUnformatted(o));
    return f;
}
