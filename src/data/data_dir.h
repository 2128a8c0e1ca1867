/* Data-directory resolution with the default directory as a parameter, so that tests can
 * point it at a directory that does not exist. */
#ifndef EWCL_DATA_DATA_DIR_H
#define EWCL_DATA_DATA_DIR_H

#include <stddef.h>

#include "ewcl/error.h"

/* ewcl_data_dir_resolve with `default_dir` in place of EWCL_DATA_DIR_DEFAULT. */
ewcl_status ewcl_data_dir_resolve_from(const char *flag, const char *env,
                                       const char *default_dir, char *out, size_t size,
                                       ewcl_error *err);

#endif
