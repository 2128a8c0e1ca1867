/* Little-endian fields in and out of a byte buffer: the checkpoint's payload. The writer
 * grows its buffer and remembers a failed allocation; the reader never reads past the end
 * and remembers the first field that did not fit, for the message. */
#ifndef EWCL_CHECKPOINT_CODEC_H
#define EWCL_CHECKPOINT_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ck_writer {
    uint8_t *data;
    size_t length, capacity;
    bool failed; /* out of memory: every later write does nothing */
} ck_writer;

void ck_put_u8(ck_writer *w, uint8_t v);
void ck_put_u32(ck_writer *w, uint32_t v);
void ck_put_u64(ck_writer *w, uint64_t v);
void ck_put_f32(ck_writer *w, float v);
void ck_put_f64(ck_writer *w, double v);
/* A string: u32 length, then its bytes (no NUL). */
void ck_put_string(ck_writer *w, const char *s);
void ck_put_f32s(ck_writer *w, const float *v, size_t n);
void ck_put_f64s(ck_writer *w, const double *v, size_t n);
void ck_put_u32s(ck_writer *w, const uint32_t *v, size_t n);
/* Overwrites 4 bytes at `offset` (already written). */
void ck_patch_u32(ck_writer *w, size_t offset, uint32_t v);
void ck_patch_u64(ck_writer *w, size_t offset, uint64_t v);

typedef struct ck_reader {
    const uint8_t *data;
    size_t length, pos;
    const char *failed; /* the first field that ran past the end (NULL: none) */
} ck_reader;

/* Each reads one field named `what`; on running out of bytes it records `what`, sets the
 * value to 0 and returns false (and so does every later read). */
bool ck_get_u8(ck_reader *r, const char *what, uint8_t *v);
bool ck_get_u32(ck_reader *r, const char *what, uint32_t *v);
bool ck_get_u64(ck_reader *r, const char *what, uint64_t *v);
bool ck_get_f32(ck_reader *r, const char *what, float *v);
bool ck_get_f64(ck_reader *r, const char *what, double *v);
/* A string into `out` (size bytes with its NUL): a longer one is a failure. */
bool ck_get_string(ck_reader *r, const char *what, char *out, size_t size);
bool ck_get_f32s(ck_reader *r, const char *what, float *v, size_t n);
bool ck_get_f64s(ck_reader *r, const char *what, double *v, size_t n);
bool ck_get_u32s(ck_reader *r, const char *what, uint32_t *v, size_t n);
/* Whether `n` items of `item_size` bytes remain: checked before allocating for them, so a
 * corrupt count can never ask for more memory than the file has bytes. */
bool ck_has(const ck_reader *r, size_t n, size_t item_size);

#endif
