/*
 * pt_json: a small JSON reader and writer, for the Debug Adapter Protocol (cli/dap_*.c) and any
 * other front end that speaks JSON. The reader builds a tree (objects keep their members in
 * order) and reports the first error with its byte offset and what was expected; the writer
 * appends to a pt_buf, inserting commas itself, and escapes strings (invalid UTF-8 bytes
 * become U+FFFD, so the output is always valid JSON).
 */
#ifndef PT_JSON_H
#define PT_JSON_H

#include "common/pt_buf.h"

#include <stddef.h>
#include <stdint.h>

enum pt_json_type {
    PT_JSON_NULL,
    PT_JSON_BOOL,
    PT_JSON_NUM,
    PT_JSON_STR,
    PT_JSON_ARR,
    PT_JSON_OBJ
};

struct pt_json {
    enum pt_json_type type;
    int boolean;
    double num;
    char *str;                    /* PT_JSON_STR (NUL-terminated; may hold NULs before it) */
    char *key;                    /* the member name, inside an object */
    struct pt_json *child, *next; /* arrays and objects: first element; siblings */
};

/* Parse text[0..len): 0 with *out (free with pt_json_free), or -1 with the error in pt_errmsg
 * ("at byte 12: expected ':' after an object key"). Nesting deeper than 200 is refused. */
int pt_json_parse(const char *text, size_t len, struct pt_json **out);
void pt_json_free(struct pt_json *j);

/* Members of an object (NULL if j is not an object or has no such member). */
const struct pt_json *pt_json_get(const struct pt_json *j, const char *key);
/* Typed members, with a default when absent or of another type. */
const char *pt_json_get_str(const struct pt_json *j, const char *key, const char *dflt);
double pt_json_get_num(const struct pt_json *j, const char *key, double dflt);
int pt_json_get_bool(const struct pt_json *j, const char *key, int dflt);

/* The writer. Values inside an array or object are separated automatically. */
#define PT_JW_DEPTH 64
struct pt_jw {
    struct pt_buf b;
    int depth;
    int count[PT_JW_DEPTH]; /* values written so far at each depth */
    int after_key;
};
void pt_jw_init(struct pt_jw *w);
void pt_jw_free(struct pt_jw *w);
void pt_jw_obj(struct pt_jw *w); /* { */
void pt_jw_arr(struct pt_jw *w); /* [ */
void pt_jw_end_obj(struct pt_jw *w);
void pt_jw_end_arr(struct pt_jw *w);
void pt_jw_key(struct pt_jw *w, const char *key);
void pt_jw_str(struct pt_jw *w, const char *s); /* NULL writes null */
void pt_jw_strn(struct pt_jw *w, const char *s, size_t n);
void pt_jw_int(struct pt_jw *w, int64_t v);
void pt_jw_bool(struct pt_jw *w, int v);
void pt_jw_null(struct pt_jw *w);
/* A value already in JSON (copied from a parsed tree). */
void pt_jw_value(struct pt_jw *w, const struct pt_json *j);
/* key + value shorthands */
void pt_jw_kstr(struct pt_jw *w, const char *key, const char *s);
void pt_jw_kint(struct pt_jw *w, const char *key, int64_t v);
void pt_jw_kbool(struct pt_jw *w, const char *key, int v);
/* The text so far, NUL-terminated (owned by the writer). */
const char *pt_jw_text(struct pt_jw *w, size_t *len);

#endif
