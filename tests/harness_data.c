/* The generated data set of the tests that train; see harness_data.h. */
#include "harness_data.h"

#include <stdio.h>

#include "harness.h"

int ewcl_test_write_data(char *dir, const char *tag, ewcl_test_data_shape shape)
{
    snprintf(dir, 4096, "%s", ewcl_test_make_temp_dir(tag));
    ewcl_error err;
    if (ewcl_idx_write_synthetic(dir, shape.train, shape.test, shape.side, shape.side,
                                 shape.classes, shape.seed, shape.gzip, &err) != EWCL_OK) {
        fprintf(stderr, "cannot write the data: %s\n", err.message);
        return 1;
    }
    return 0;
}

ewcl_idx_data ewcl_test_load_data(const char *dir, size_t classes)
{
    ewcl_idx_data data;
    ewcl_error err;
    ck_assert_msg(ewcl_idx_load_dir(dir, classes, &data, &err) == EWCL_OK, "%s", err.message);
    return data;
}
