/* The IDX file format as MNIST uses it, shared by the reader and the synthetic writer:
 * a big-endian header of four magic bytes (0, 0, element type, rank) and one 32-bit size
 * per dimension, then the elements, row-major, with nothing after them. */
#ifndef EWCL_DATA_IDX_FORMAT_H
#define EWCL_DATA_IDX_FORMAT_H

#define EWCL_IDX_TYPE_UBYTE 0x08u /* the only element type MNIST-format files use */
#define EWCL_IDX_IMAGE_RANK 3u    /* count × rows × cols */
#define EWCL_IDX_LABEL_RANK 1u    /* count */
#define EWCL_IDX_MAX_CLASSES 256u /* labels are bytes */

#endif
