/* The checkpoint payload's byte order: little-endian whatever the host, floats by their
 * IEEE-754 bits, so a checkpoint moves between machines unchanged. */
#include "train/checkpoint_codec.h"

#include <stdlib.h>
#include <string.h>

static bool reserve(ck_writer *w, size_t more)
{
    if (w->failed)
        return false;
    if (w->capacity - w->length >= more)
        return true;
    size_t capacity = w->capacity > 0 ? w->capacity : 4096;
    while (capacity - w->length < more) {
        if (capacity > SIZE_MAX / 2) {
            w->failed = true;
            return false;
        }
        capacity *= 2;
    }
    uint8_t *data = realloc(w->data, capacity);
    if (data == NULL) {
        w->failed = true;
        return false;
    }
    w->data = data;
    w->capacity = capacity;
    return true;
}

static void put_le(ck_writer *w, uint64_t v, int bytes)
{
    if (!reserve(w, (size_t)bytes))
        return;
    for (int i = 0; i < bytes; i++)
        w->data[w->length++] = (uint8_t)(v >> (8 * i));
}

void ck_put_u8(ck_writer *w, uint8_t v)
{
    put_le(w, v, 1);
}

void ck_put_u32(ck_writer *w, uint32_t v)
{
    put_le(w, v, 4);
}

void ck_put_u64(ck_writer *w, uint64_t v)
{
    put_le(w, v, 8);
}

void ck_put_f32(ck_writer *w, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_le(w, bits, 4);
}

void ck_put_f64(ck_writer *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_le(w, bits, 8);
}

void ck_put_string(ck_writer *w, const char *s)
{
    const size_t n = strlen(s);
    ck_put_u32(w, (uint32_t)n);
    if (reserve(w, n)) {
        memcpy(w->data + w->length, s, n);
        w->length += n;
    }
}

void ck_put_f32s(ck_writer *w, const float *v, size_t n)
{
    for (size_t i = 0; i < n && reserve(w, 4); i++)
        ck_put_f32(w, v[i]);
}

void ck_put_f64s(ck_writer *w, const double *v, size_t n)
{
    for (size_t i = 0; i < n && reserve(w, 8); i++)
        ck_put_f64(w, v[i]);
}

void ck_put_u32s(ck_writer *w, const uint32_t *v, size_t n)
{
    for (size_t i = 0; i < n && reserve(w, 4); i++)
        ck_put_u32(w, v[i]);
}

static void patch_le(ck_writer *w, size_t offset, uint64_t v, int bytes)
{
    if (w->failed || offset + (size_t)bytes > w->length)
        return;
    for (int i = 0; i < bytes; i++)
        w->data[offset + (size_t)i] = (uint8_t)(v >> (8 * i));
}

void ck_patch_u32(ck_writer *w, size_t offset, uint32_t v)
{
    patch_le(w, offset, v, 4);
}

void ck_patch_u64(ck_writer *w, size_t offset, uint64_t v)
{
    patch_le(w, offset, v, 8);
}

bool ck_has(const ck_reader *r, size_t n, size_t item_size)
{
    return r->failed == NULL && n <= (r->length - r->pos) / item_size;
}

static bool get_le(ck_reader *r, const char *what, int bytes, uint64_t *v)
{
    *v = 0;
    if (!ck_has(r, (size_t)bytes, 1)) {
        if (r->failed == NULL)
            r->failed = what;
        return false;
    }
    for (int i = 0; i < bytes; i++)
        *v |= (uint64_t)r->data[r->pos++] << (8 * i);
    return true;
}

bool ck_get_u8(ck_reader *r, const char *what, uint8_t *v)
{
    uint64_t x;
    const bool ok = get_le(r, what, 1, &x);
    *v = (uint8_t)x;
    return ok;
}

bool ck_get_u32(ck_reader *r, const char *what, uint32_t *v)
{
    uint64_t x;
    const bool ok = get_le(r, what, 4, &x);
    *v = (uint32_t)x;
    return ok;
}

bool ck_get_u64(ck_reader *r, const char *what, uint64_t *v)
{
    return get_le(r, what, 8, v);
}

bool ck_get_f32(ck_reader *r, const char *what, float *v)
{
    uint64_t x;
    const bool ok = get_le(r, what, 4, &x);
    const uint32_t bits = (uint32_t)x;
    memcpy(v, &bits, sizeof *v);
    return ok;
}

bool ck_get_f64(ck_reader *r, const char *what, double *v)
{
    uint64_t bits;
    const bool ok = get_le(r, what, 8, &bits);
    memcpy(v, &bits, sizeof *v);
    return ok;
}

bool ck_get_string(ck_reader *r, const char *what, char *out, size_t size)
{
    uint32_t n = 0;
    out[0] = '\0';
    if (!ck_get_u32(r, what, &n))
        return false;
    if (n >= size || !ck_has(r, n, 1)) {
        r->failed = what;
        return false;
    }
    memcpy(out, r->data + r->pos, n);
    out[n] = '\0';
    r->pos += n;
    return true;
}

bool ck_get_f32s(ck_reader *r, const char *what, float *v, size_t n)
{
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++)
        ok = ck_get_f32(r, what, &v[i]);
    return ok;
}

bool ck_get_f64s(ck_reader *r, const char *what, double *v, size_t n)
{
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++)
        ok = ck_get_f64(r, what, &v[i]);
    return ok;
}

bool ck_get_u32s(ck_reader *r, const char *what, uint32_t *v, size_t n)
{
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++)
        ok = ck_get_u32(r, what, &v[i]);
    return ok;
}
