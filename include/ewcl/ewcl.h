/* ewcl — umbrella header: everything of the public API that does not need <CL/cl.h>.
 * Include "ewcl/ewcl_cl.h" as well to exchange OpenCL objects with the library.
 *
 *   #include <ewcl/ewcl.h>     // cc app.c $(pkg-config --cflags --libs ewcl)
 *   printf("ewcl %s\n", ewcl_version());
 */
#ifndef EWCL_EWCL_H
#define EWCL_EWCL_H

#include "ewcl/error.h"
#include "ewcl/runtime.h"
#include "ewcl/nn.h"
#include "ewcl/data.h"
#include "ewcl/ewc.h"
#include "ewcl/train.h"
#include "ewcl/checkpoint.h"
#include "ewcl/report.h"

#endif
