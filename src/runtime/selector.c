/* Device selectors: the one grammar behind the API, `--device` and EWCL_DEVICE (see
 * include/ewcl/runtime.h), and the choice of a device from a list by it.
 *
 * The text comes from users and will be fuzzed: every copy is bounded, numbers are checked
 * for overflow, and messages quote at most QUOTE_MAX bytes of what was typed. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ewcl/runtime.h"
#include "runtime/error_internal.h"

typedef enum term_kind {
    TERM_AUTO,
    TERM_INDEX,           /* first = flat index */
    TERM_PLATFORM_DEVICE, /* first = P, second = D */
    TERM_TYPE,            /* first = ewcl_device_type */
    TERM_VENDOR,          /* first = ewcl_hw_vendor */
    TERM_RUNTIME,         /* first = ewcl_cl_runtime */
    TERM_NAME,            /* text = substring of the device name */
    TERM_PLATFORM_NAME    /* text = substring of the platform name */
} term_kind;

typedef struct selector_term {
    term_kind kind;
    int first;
    int second;
    const char *text; /* points into ewcl_selector.storage */
} selector_term;

struct ewcl_selector {
    size_t count;
    selector_term *terms;
    char *storage; /* a copy of the text, cut into NUL-terminated, trimmed terms */
};

/* ---- Characters and strings (ASCII rules: the grammar's words are ASCII) -------------- */

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The first `len` bytes of `a` equal the whole of `b`, ignoring case. */
static bool equal_ci_n(const char *a, size_t len, const char *b)
{
    for (size_t i = 0; i < len; ++i) {
        if (b[i] == '\0' || ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    }
    return b[len] == '\0';
}

static bool equal_ci(const char *a, const char *b)
{
    return equal_ci_n(a, strlen(a), b);
}

/* strlen that stops at `size`: device records come from callers and may lack a NUL. */
static size_t bounded_len(const char *s, size_t size)
{
    const char *nul = memchr(s, '\0', size);
    return nul != NULL ? (size_t)(nul - s) : size;
}

/* `needle` (non-empty) inside the first `size` bytes of `hay`, ignoring case. */
static bool contains_ci(const char *hay, size_t size, const char *needle)
{
    size_t hay_len = bounded_len(hay, size);
    size_t needle_len = strlen(needle);
    if (needle_len > hay_len)
        return false;
    for (size_t start = 0; start + needle_len <= hay_len; ++start) {
        size_t i = 0;
        while (i < needle_len && ascii_lower(hay[start + i]) == ascii_lower(needle[i]))
            ++i;
        if (i == needle_len)
            return true;
    }
    return false;
}

/* Parses `len` bytes as a non-negative decimal int: digits only, no sign, no overflow. */
static bool parse_decimal(const char *s, size_t len, int *out)
{
    if (len == 0)
        return false;
    int value = 0;
    for (size_t i = 0; i < len; ++i) {
        if (!is_digit(s[i]))
            return false;
        int digit = s[i] - '0';
        if (value > (INT_MAX - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    *out = value;
    return true;
}

/* ---- Quoting for messages --------------------------------------------------------------- */

#define QUOTE_MAX 96
#define QUOTE_SIZE (QUOTE_MAX + sizeof "...")

/* Copies at most QUOTE_MAX bytes of the first `size` bytes of `s` into `buf`
 * (QUOTE_SIZE bytes), control characters as '?', "..." when cut: messages are one line and
 * a 10,000-character selector must not bury the rest of the message. */
static void quote_bounded(char buf[QUOTE_SIZE], const char *s, size_t size)
{
    size_t len = bounded_len(s, size);
    size_t keep = len;
    if (len > QUOTE_MAX) {
        keep = QUOTE_MAX;
        /* Do not cut a UTF-8 sequence in half: back up to the start of its character. */
        while (keep > 0 && ((unsigned char)s[keep] & 0xC0u) == 0x80u)
            --keep;
    }
    for (size_t i = 0; i < keep; ++i) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (c < 0x20u || c == 0x7Fu) ? '?' : (char)c;
    }
    if (keep < len) {
        memcpy(buf + keep, "...", sizeof "...");
    } else {
        buf[keep] = '\0';
    }
}

static void quote(char buf[QUOTE_SIZE], const char *s)
{
    quote_bounded(buf, s, strlen(s) + 1);
}

/* ---- The enum words: type:, vendor:, runtime: -------------------------------------------- */

static const char *type_word(int value)
{
    return ewcl_device_type_name((ewcl_device_type)value);
}

static const char *vendor_word(int value)
{
    return ewcl_hw_vendor_name((ewcl_hw_vendor)value);
}

static const char *runtime_word(int value)
{
    return ewcl_cl_runtime_name((ewcl_cl_runtime)value);
}

/* One `key:word` field of the grammar; its words are the enum's names, so the selector and
 * `ewcl devices` can never disagree on spelling. */
typedef struct word_field {
    const char *key;  /* "type" */
    const char *what; /* "device type", for messages */
    term_kind kind;
    int count; /* the enum's values are 0 … count-1 */
    const char *(*word)(int value);
} word_field;

static const word_field WORD_FIELDS[] = {
    {"type", "device type", TERM_TYPE, EWCL_DEVICE_OTHER + 1, type_word},
    {"vendor", "vendor", TERM_VENDOR, EWCL_VENDOR_OTHER + 1, vendor_word},
    {"runtime", "runtime", TERM_RUNTIME, EWCL_RUNTIME_OTHER + 1, runtime_word},
};
#define WORD_FIELD_COUNT (sizeof WORD_FIELDS / sizeof WORD_FIELDS[0])

static bool lookup_word(const word_field *field, const char *word, int *out)
{
    for (int value = 0; value < field->count; ++value) {
        if (equal_ci(word, field->word(value))) {
            *out = value;
            return true;
        }
    }
    return false;
}

/* "cpu, gpu, accelerator, other" */
static void list_words(const word_field *field, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int value = 0; value < field->count && used < size; ++value) {
        int n = snprintf(buf + used, size - used, "%s%s", value > 0 ? ", " : "",
                         field->word(value));
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Bare words: a type, else one of the runtimes that are not also a hardware vendor's name,
 * else a vendor. "other" is never bare: alone it would say nothing about what is meant. */
static bool lookup_bare_word(const char *word, selector_term *out)
{
    static const ewcl_cl_runtime bare_runtimes[] = {EWCL_RUNTIME_POCL, EWCL_RUNTIME_OCLGRIND,
                                                    EWCL_RUNTIME_RUSTICL, EWCL_RUNTIME_CLOVER};
    int value = 0;
    if (lookup_word(&WORD_FIELDS[0], word, &value) && value != EWCL_DEVICE_OTHER) {
        out->kind = TERM_TYPE;
        out->first = value;
        return true;
    }
    for (size_t i = 0; i < sizeof bare_runtimes / sizeof bare_runtimes[0]; ++i) {
        if (equal_ci(word, ewcl_cl_runtime_name(bare_runtimes[i]))) {
            out->kind = TERM_RUNTIME;
            out->first = (int)bare_runtimes[i];
            return true;
        }
    }
    if (lookup_word(&WORD_FIELDS[1], word, &value) && value != EWCL_VENDOR_OTHER) {
        out->kind = TERM_VENDOR;
        out->first = value;
        return true;
    }
    return false;
}

/* ---- Parsing ------------------------------------------------------------------------------ */

static ewcl_status fail_unknown_term(const char *term, const char *text, ewcl_error *err)
{
    char qterm[QUOTE_SIZE], qtext[QUOTE_SIZE];
    quote(qterm, term);
    quote(qtext, text);
    return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                     "unknown device selector term '%s' in '%s' (expected auto, an index such "
                     "as 0, platform:device such as 1:0, type:, vendor:, runtime:, name:, "
                     "platform:, or a bare word: gpu, pocl, nvidia, ... or part of a device "
                     "name)",
                     qterm, qtext);
}

/* `P:D`, where the text before the colon is `key_len` bytes long. */
static ewcl_status parse_platform_device(const char *term, size_t key_len, const char *text,
                                         selector_term *out, ewcl_error *err)
{
    const char *second = term + key_len + 1;
    if (parse_decimal(term, key_len, &out->first) &&
        parse_decimal(second, strlen(second), &out->second)) {
        out->kind = TERM_PLATFORM_DEVICE;
        return EWCL_OK;
    }
    char qterm[QUOTE_SIZE], qtext[QUOTE_SIZE];
    quote(qterm, term);
    quote(qtext, text);
    return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                     "bad platform:device term '%s' in device selector '%s' (write two "
                     "non-negative decimal numbers such as 1:0, each at most %d)",
                     qterm, qtext, INT_MAX);
}

static ewcl_status parse_index(const char *term, const char *text, selector_term *out,
                               ewcl_error *err)
{
    if (parse_decimal(term, strlen(term), &out->first)) {
        out->kind = TERM_INDEX;
        return EWCL_OK;
    }
    char qterm[QUOTE_SIZE], qtext[QUOTE_SIZE];
    quote(qterm, term);
    quote(qtext, text);
    return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                     "bad device index '%s' in device selector '%s' (write a non-negative "
                     "decimal number such as 0, at most %d)",
                     qterm, qtext, INT_MAX);
}

static ewcl_status parse_word_value(const word_field *field, const char *term,
                                    const char *value, selector_term *out, ewcl_error *err)
{
    if (lookup_word(field, value, &out->first)) {
        out->kind = field->kind;
        return EWCL_OK;
    }
    char words[256], qvalue[QUOTE_SIZE], qterm[QUOTE_SIZE];
    list_words(field, words, sizeof words);
    quote(qvalue, value);
    quote(qterm, term);
    return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                     "unknown %s '%s' in device selector term '%s' (accepted: %s)",
                     field->what, qvalue, qterm, words);
}

static ewcl_status parse_substring(term_kind kind, const char *key, const char *term,
                                   const char *value, selector_term *out, ewcl_error *err)
{
    if (value[0] == '\0') {
        char qterm[QUOTE_SIZE];
        quote(qterm, term);
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "empty substring in device selector term '%s' (write %s:<substring>)",
                         qterm, key);
    }
    out->kind = kind;
    out->text = value;
    return EWCL_OK;
}

/* `key:value` terms; `colon` points into `term`. */
static ewcl_status parse_keyed(const char *term, const char *colon, const char *text,
                               selector_term *out, ewcl_error *err)
{
    size_t key_len = (size_t)(colon - term);
    const char *value = colon + 1;
    /* A number (or a stray sign or nothing) before the colon can only mean P:D. */
    if (key_len == 0 || is_digit(term[0]) || term[0] == '-' || term[0] == '+')
        return parse_platform_device(term, key_len, text, out, err);
    for (size_t i = 0; i < WORD_FIELD_COUNT; ++i) {
        if (equal_ci_n(term, key_len, WORD_FIELDS[i].key))
            return parse_word_value(&WORD_FIELDS[i], term, value, out, err);
    }
    if (equal_ci_n(term, key_len, "name"))
        return parse_substring(TERM_NAME, "name", term, value, out, err);
    if (equal_ci_n(term, key_len, "platform"))
        return parse_substring(TERM_PLATFORM_NAME, "platform", term, value, out, err);
    return fail_unknown_term(term, text, err);
}

/* One trimmed, non-empty term. */
static ewcl_status parse_term(const char *term, const char *text, selector_term *out,
                              ewcl_error *err)
{
    if (equal_ci(term, "auto")) {
        out->kind = TERM_AUTO;
        return EWCL_OK;
    }
    const char *colon = strchr(term, ':');
    if (colon != NULL)
        return parse_keyed(term, colon, text, out, err);
    if (is_digit(term[0]) || term[0] == '-' || term[0] == '+')
        return parse_index(term, text, out, err);
    if (lookup_bare_word(term, out))
        return EWCL_OK;
    /* Any other bare word is shorthand for name:<word> (`--device basic`, `--device A100`):
     * a word that names no device then says "no device matches", with the list. */
    out->kind = TERM_NAME;
    out->text = term;
    return EWCL_OK;
}

/* Cuts `s` at its first comma (or end): NUL-terminates the trimmed term in place and
 * returns it; *rest is what follows the comma, or NULL after the last term. */
static char *next_term(char *s, char **rest)
{
    char *comma = strchr(s, ',');
    char *end = comma != NULL ? comma : s + strlen(s);
    *rest = comma != NULL ? comma + 1 : NULL;
    while (s < end && is_space(*s))
        ++s;
    while (end > s && is_space(end[-1]))
        --end;
    *end = '\0';
    return s;
}

static bool is_blank(const char *s)
{
    while (is_space(*s))
        ++s;
    return *s == '\0';
}

/* A blank stretch before, between or after the commas: "a,,b", "cpu,", ",cpu". */
static bool has_empty_term(const char *text)
{
    bool blank = true; /* the current term holds nothing but spaces so far */
    for (const char *p = text; *p != '\0'; ++p) {
        if (*p == ',') {
            if (blank)
                return true;
            blank = true;
        } else if (!is_space(*p)) {
            blank = false;
        }
    }
    return blank;
}

static ewcl_status parse_terms(ewcl_selector *selector, const char *text, ewcl_error *err)
{
    /* Checked before any term, so that "a,,b" is reported as the malformed list it is. */
    if (has_empty_term(text)) {
        char qtext[QUOTE_SIZE];
        quote(qtext, text);
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "empty term in device selector '%s' (terms are joined by single "
                         "commas, e.g. type:gpu,vendor:amd)",
                         qtext);
    }
    char *rest = selector->storage;
    while (rest != NULL) {
        char *term = next_term(rest, &rest);
        ewcl_status status = parse_term(term, text, &selector->terms[selector->count], err);
        if (status != EWCL_OK)
            return status;
        selector->count++;
    }
    return EWCL_OK;
}

ewcl_status ewcl_selector_parse(const char *text, ewcl_selector **out, ewcl_error *err)
{
    if (out == NULL)
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT, "ewcl_selector_parse: NULL output");
    *out = NULL;
    if (text == NULL)
        text = "";

    size_t len = strlen(text);
    size_t max_terms = 1;
    for (const char *p = text; *p != '\0'; ++p)
        max_terms += (*p == ',');

    ewcl_selector *selector = calloc(1, sizeof *selector);
    if (selector == NULL)
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory parsing a device selector");
    selector->storage = malloc(len + 1);
    selector->terms = calloc(max_terms, sizeof *selector->terms);
    if (selector->storage == NULL || selector->terms == NULL) {
        ewcl_selector_destroy(selector);
        return EWCL_FAIL(err, EWCL_ERR_OUT_OF_MEMORY, "out of memory parsing a device selector");
    }
    memcpy(selector->storage, text, len + 1);

    ewcl_status status = EWCL_OK;
    if (is_blank(text)) {
        /* "" (and NULL, and spaces alone) mean auto: no term restricts anything. */
        selector->terms[0].kind = TERM_AUTO;
        selector->count = 1;
    } else {
        status = parse_terms(selector, text, err);
    }
    if (status != EWCL_OK) {
        ewcl_selector_destroy(selector);
        return status;
    }
    *out = selector;
    return EWCL_OK;
}

void ewcl_selector_destroy(ewcl_selector *selector)
{
    if (selector == NULL)
        return;
    free(selector->terms);
    free(selector->storage);
    free(selector);
}

/* ---- Matching ------------------------------------------------------------------------------ */

static bool term_matches(const selector_term *term, const ewcl_device_info *device)
{
    switch (term->kind) {
    case TERM_AUTO: return true;
    case TERM_INDEX: return device->index == term->first;
    case TERM_PLATFORM_DEVICE:
        return device->platform_index == term->first && device->device_index == term->second;
    case TERM_TYPE: return (int)device->type == term->first;
    case TERM_VENDOR: return (int)device->hw_vendor == term->first;
    case TERM_RUNTIME: return (int)device->runtime == term->first;
    case TERM_NAME: return contains_ci(device->name, sizeof device->name, term->text);
    case TERM_PLATFORM_NAME:
        return contains_ci(device->platform_name, sizeof device->platform_name, term->text);
    }
    return false;
}

/* A NULL selector is auto; a NULL device matches nothing. */
bool ewcl_selector_matches(const ewcl_selector *selector, const ewcl_device_info *device)
{
    if (device == NULL)
        return false;
    if (selector == NULL)
        return true;
    for (size_t i = 0; i < selector->count; ++i) {
        if (!term_matches(&selector->terms[i], device))
            return false;
    }
    return true;
}

/* ---- Selection ------------------------------------------------------------------------------ */

/* The auto order: discrete GPU, integrated GPU (shares host memory), CPU, accelerator
 * (simulators such as Oclgrind land here), anything else. Smaller is better. */
static int auto_rank(const ewcl_device_info *device)
{
    switch (device->type) {
    case EWCL_DEVICE_GPU: return device->unified_memory ? 1 : 0;
    case EWCL_DEVICE_CPU: return 2;
    case EWCL_DEVICE_ACCELERATOR: return 3;
    case EWCL_DEVICE_OTHER: break;
    }
    return 4;
}

/* `a` comes before `b` in the auto order; ties go to the lower flat index. */
static bool ranks_before(const ewcl_device_info *a, const ewcl_device_info *b)
{
    int rank_a = auto_rank(a), rank_b = auto_rank(b);
    return rank_a != rank_b ? rank_a < rank_b : a->index < b->index;
}

/* Keeps `*best` (SIZE_MAX = none yet) pointing at the best of the candidates seen. */
static void consider(const ewcl_device_info *list, size_t position, size_t *best)
{
    if (*best == SIZE_MAX || ranks_before(&list[position], &list[*best]))
        *best = position;
}

/* "; devices: 0 (0:0 cpu pocl amd) pthread-…, 1 (…) …", bounded so that the message keeps
 * room for its location suffix. */
static void describe_devices(const ewcl_device_info *list, size_t count, char *buf,
                             size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    if (count == 0) {
        snprintf(buf, size, "; there are no OpenCL devices");
        return;
    }
    for (size_t i = 0; i < count; ++i) {
        const ewcl_device_info *device = &list[i];
        char name[QUOTE_SIZE], entry[QUOTE_SIZE + 128];
        quote_bounded(name, device->name, sizeof device->name);
        snprintf(entry, sizeof entry, "%s%d (%d:%d %s %s %s%s) %s", i == 0 ? "; devices: " : ", ",
                 device->index, device->platform_index, device->device_index,
                 ewcl_device_type_name(device->type), ewcl_cl_runtime_name(device->runtime),
                 ewcl_hw_vendor_name(device->hw_vendor), device->usable ? "" : ", not usable",
                 name);
        size_t entry_len = strlen(entry);
        /* Leave room for the "…and N more" tail. */
        if (used + entry_len + 32 >= size) {
            snprintf(buf + used, size - used, ", and %zu more", count - i);
            return;
        }
        memcpy(buf + used, entry, entry_len + 1);
        used += entry_len;
    }
}

static ewcl_status fail_no_match(const ewcl_device_info *list, size_t count, const char *text,
                                 ewcl_error *err)
{
    char qtext[QUOTE_SIZE], devices[1024];
    quote(qtext, text);
    describe_devices(list, count, devices, sizeof devices);
    return EWCL_FAIL(err, EWCL_ERR_NO_DEVICE, "no OpenCL device matches '%s'%s", qtext,
                     devices);
}

static ewcl_status fail_unusable(const ewcl_device_info *device, size_t unusable_matches,
                                 const char *text, ewcl_error *err)
{
    char qtext[QUOTE_SIZE], name[QUOTE_SIZE], reason[QUOTE_SIZE], others[64] = "";
    quote(qtext, text);
    quote_bounded(name, device->name, sizeof device->name);
    quote_bounded(reason, device->unusable_reason, sizeof device->unusable_reason);
    if (unusable_matches > 1)
        snprintf(others, sizeof others, " (and %zu more matching devices, none usable)",
                 unusable_matches - 1);
    return EWCL_FAIL(err, EWCL_ERR_NO_DEVICE,
                     "device %d (%s) matches '%s' but is not usable: %s%s", device->index, name,
                     qtext, reason[0] != '\0' ? reason : "no reason given", others);
}

ewcl_status ewcl_device_select(const ewcl_device_info *list, size_t count,
                               const char *selector_text, size_t *out_position,
                               ewcl_error *err)
{
    if (out_position == NULL || (list == NULL && count > 0))
        return EWCL_FAIL(err, EWCL_ERR_INVALID_ARGUMENT,
                         "ewcl_device_select: NULL %s", out_position == NULL ? "output" : "list");
    const char *text = (selector_text == NULL || selector_text[0] == '\0') ? "auto"
                                                                           : selector_text;
    ewcl_selector *selector = NULL;
    ewcl_status status = ewcl_selector_parse(text, &selector, err);
    if (status != EWCL_OK)
        return status;

    size_t best = SIZE_MAX, best_unusable = SIZE_MAX, unusable_matches = 0;
    for (size_t i = 0; i < count; ++i) {
        if (!ewcl_selector_matches(selector, &list[i]))
            continue;
        if (list[i].usable) {
            consider(list, i, &best);
        } else {
            consider(list, i, &best_unusable);
            unusable_matches++;
        }
    }
    ewcl_selector_destroy(selector);

    if (best != SIZE_MAX) {
        *out_position = best;
        return EWCL_OK;
    }
    if (best_unusable == SIZE_MAX)
        return fail_no_match(list, count, text, err);
    return fail_unusable(&list[best_unusable], unusable_matches, text, err);
}
