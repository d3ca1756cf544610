/*
 * pt_json: the JSON reader (recursive descent over RFC 8259, with byte offsets in its errors)
 * and writer (comma bookkeeping per nesting level, string escaping) declared in pt_json.h.
 */
#include "common/pt_json.h"

#include "common/pt_error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PT_JSON_MAX_DEPTH 200

struct jp {
    const char *s;
    size_t len, pos;
    int depth;
};

static int jp_fail(struct jp *p, const char *what)
{
    if (p->pos >= p->len) {
        return pt_fail("at byte %zu (end of the text): expected %s", p->pos, what);
    }
    return pt_fail("at byte %zu ('%c'): expected %s", p->pos,
                   p->s[p->pos] >= 32 && p->s[p->pos] < 127 ? p->s[p->pos] : '?', what);
}

static void jp_ws(struct jp *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos]) {
        p->pos++;
    }
}

static int jp_lit(struct jp *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) {
        return jp_fail(p, "a JSON value");
    }
    p->pos += n;
    return 0;
}

static void put_utf8(struct pt_buf *b, uint32_t cp)
{
    uint8_t u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (uint8_t)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (uint8_t)(0xC0 | cp >> 6), u[1] = (uint8_t)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xE0 | cp >> 12), u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (uint8_t)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        u[0] = (uint8_t)(0xF0 | cp >> 18), u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F)), u[3] = (uint8_t)(0x80 | (cp & 0x3F)), n = 4;
    }
    pt_buf_put(b, u, n);
}

static int jp_hex4(struct jp *p, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++, p->pos++) {
        char c = p->pos < p->len ? p->s[p->pos] : 0;
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) {
            return jp_fail(p, "4 hex digits after \\u");
        }
        *v = *v << 4 | (uint32_t)d;
    }
    return 0;
}

static int jp_escape(struct jp *p, struct pt_buf *b)
{
    char c = p->pos < p->len ? p->s[p->pos++] : 0;
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *k = c ? strchr(from, c) : NULL;
    if (k) {
        pt_buf_u8(b, (uint8_t)to[k - from]);
        return 0;
    }
    if (c != 'u') {
        p->pos--;
        return jp_fail(p, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
    }
    uint32_t cp, lo;
    if (jp_hex4(p, &cp) < 0) {
        return -1;
    }
    if (cp >= 0xD800 && cp < 0xDC00 && p->pos + 1 < p->len && p->s[p->pos] == '\\' &&
        p->s[p->pos + 1] == 'u') {
        p->pos += 2;
        if (jp_hex4(p, &lo) < 0) {
            return -1;
        }
        cp = lo >= 0xDC00 && lo < 0xE000 ? 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00) : 0xFFFD;
    } else if (cp >= 0xD800 && cp < 0xE000) {
        cp = 0xFFFD;
    }
    put_utf8(b, cp);
    return 0;
}

static int jp_string(struct jp *p, char **out)
{
    struct pt_buf b;
    pt_buf_init(&b);
    p->pos++; /* the opening quote */
    for (;;) {
        if (p->pos >= p->len) {
            pt_buf_free(&b);
            return jp_fail(p, "'\"' closing the string");
        }
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) {
            pt_buf_free(&b);
            return jp_fail(p, "no control character inside a string (escape it)");
        }
        p->pos++;
        if (c == '\\') {
            if (jp_escape(p, &b) < 0) {
                pt_buf_free(&b);
                return -1;
            }
        } else {
            pt_buf_u8(&b, c);
        }
    }
    pt_buf_u8(&b, 0);
    *out = (char *)b.data;
    return 0;
}

static int jp_number(struct jp *p, double *v)
{
    size_t start = p->pos;
    const char *ok = "+-0123456789.eE";
    while (p->pos < p->len && p->s[p->pos] && strchr(ok, p->s[p->pos])) {
        p->pos++;
    }
    char tmp[64];
    size_t n = p->pos - start;
    if (n == 0 || n >= sizeof tmp) {
        p->pos = start;
        return jp_fail(p, "a JSON value");
    }
    memcpy(tmp, p->s + start, n);
    tmp[n] = 0;
    char *end;
    *v = strtod(tmp, &end);
    if (*end || !isfinite(*v)) {
        p->pos = start;
        return jp_fail(p, "a number");
    }
    return 0;
}

static int jp_value(struct jp *p, struct pt_json *j);

/* The elements of an array or members of an object, after its opening bracket. */
static int jp_items(struct jp *p, struct pt_json *j, char close)
{
    struct pt_json **tail = &j->child;
    p->pos++;
    jp_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return 0;
    }
    for (;;) {
        struct pt_json *e = calloc(1, sizeof *e);
        if (!e) {
            return pt_fail("out of memory");
        }
        *tail = e;
        tail = &e->next;
        jp_ws(p);
        if (close == '}') {
            if (p->pos >= p->len || p->s[p->pos] != '"') {
                return jp_fail(p, "'\"' starting an object key");
            }
            if (jp_string(p, &e->key) < 0) {
                return -1;
            }
            jp_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                return jp_fail(p, "':' after an object key");
            }
            p->pos++;
        }
        if (jp_value(p, e) < 0) {
            return -1;
        }
        jp_ws(p);
        char c = p->pos < p->len ? p->s[p->pos] : 0;
        if (c == close) {
            p->pos++;
            return 0;
        }
        if (c != ',') {
            return jp_fail(p, close == '}' ? "',' or '}' in an object" : "',' or ']' in an array");
        }
        p->pos++;
    }
}

static int jp_value(struct jp *p, struct pt_json *j)
{
    jp_ws(p);
    char c = p->pos < p->len ? p->s[p->pos] : 0;
    switch (c) {
    case '{':
    case '[':
        if (++p->depth > PT_JSON_MAX_DEPTH) {
            return jp_fail(p, "less nesting (at most 200 levels)");
        }
        j->type = c == '{' ? PT_JSON_OBJ : PT_JSON_ARR;
        if (jp_items(p, j, c == '{' ? '}' : ']') < 0) {
            return -1;
        }
        p->depth--;
        return 0;
    case '"':
        j->type = PT_JSON_STR;
        return jp_string(p, &j->str);
    case 't':
        j->type = PT_JSON_BOOL, j->boolean = 1;
        return jp_lit(p, "true");
    case 'f':
        j->type = PT_JSON_BOOL;
        return jp_lit(p, "false");
    case 'n':
        j->type = PT_JSON_NULL;
        return jp_lit(p, "null");
    default:
        j->type = PT_JSON_NUM;
        return jp_number(p, &j->num);
    }
}

int pt_json_parse(const char *text, size_t len, struct pt_json **out)
{
    struct jp p = {text, len, 0, 0};
    struct pt_json *j = calloc(1, sizeof *j);
    *out = NULL;
    if (!j) {
        return pt_fail("out of memory");
    }
    if (jp_value(&p, j) < 0) {
        pt_json_free(j);
        return pt_wrap("invalid JSON");
    }
    jp_ws(&p);
    if (p.pos != p.len) {
        jp_fail(&p, "the end of the text after the value");
        pt_json_free(j);
        return pt_wrap("invalid JSON");
    }
    *out = j;
    return 0;
}

void pt_json_free(struct pt_json *j)
{
    while (j) {
        struct pt_json *next = j->next;
        pt_json_free(j->child);
        free(j->str);
        free(j->key);
        free(j);
        j = next;
    }
}

const struct pt_json *pt_json_get(const struct pt_json *j, const char *key)
{
    if (!j || j->type != PT_JSON_OBJ) {
        return NULL;
    }
    for (const struct pt_json *e = j->child; e; e = e->next) {
        if (strcmp(e->key, key) == 0) {
            return e;
        }
    }
    return NULL;
}

const char *pt_json_get_str(const struct pt_json *j, const char *key, const char *dflt)
{
    const struct pt_json *v = pt_json_get(j, key);
    return v && v->type == PT_JSON_STR ? v->str : dflt;
}

double pt_json_get_num(const struct pt_json *j, const char *key, double dflt)
{
    const struct pt_json *v = pt_json_get(j, key);
    return v && v->type == PT_JSON_NUM ? v->num : dflt;
}

int pt_json_get_bool(const struct pt_json *j, const char *key, int dflt)
{
    const struct pt_json *v = pt_json_get(j, key);
    return v && v->type == PT_JSON_BOOL ? v->boolean : dflt;
}

/* ---- the writer ------------------------------------------------------------------------- */

void pt_jw_init(struct pt_jw *w)
{
    memset(w, 0, sizeof *w);
    pt_buf_init(&w->b);
}

void pt_jw_free(struct pt_jw *w)
{
    pt_buf_free(&w->b);
}

static void jw_sep(struct pt_jw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->count[w->depth]++ > 0) {
        pt_buf_u8(&w->b, ',');
    }
}

static void jw_open(struct pt_jw *w, char c)
{
    jw_sep(w);
    pt_buf_u8(&w->b, (uint8_t)c);
    if (w->depth + 1 < PT_JW_DEPTH) {
        w->count[++w->depth] = 0;
    }
}

static void jw_close(struct pt_jw *w, char c)
{
    pt_buf_u8(&w->b, (uint8_t)c);
    if (w->depth > 0) {
        w->depth--;
    }
}

void pt_jw_obj(struct pt_jw *w)
{
    jw_open(w, '{');
}

void pt_jw_arr(struct pt_jw *w)
{
    jw_open(w, '[');
}

void pt_jw_end_obj(struct pt_jw *w)
{
    jw_close(w, '}');
}

void pt_jw_end_arr(struct pt_jw *w)
{
    jw_close(w, ']');
}

/* Length of the valid UTF-8 sequence at s (0 if invalid). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t k = s[0] >= 0xF0 && s[0] < 0xF5 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (k == 0 || k > n) {
        return 0;
    }
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    return k;
}

static void jw_quote(struct pt_jw *w, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    pt_buf_u8(&w->b, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            pt_buf_u8(&w->b, '\\');
            pt_buf_u8(&w->b, c);
        } else if (c == '\n' || c == '\t' || c == '\r') {
            pt_buf_put(&w->b, c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r", 2);
        } else if (c < 0x20 || c == 0x7F) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            pt_buf_put(&w->b, esc, 6);
        } else if (c >= 0x80) {
            size_t k = utf8_len(u + i, n - i);
            if (k) {
                pt_buf_put(&w->b, u + i, k);
                i += k;
                continue;
            }
            pt_buf_put(&w->b, "\xEF\xBF\xBD", 3);
        } else {
            pt_buf_u8(&w->b, c);
        }
        i++;
    }
    pt_buf_u8(&w->b, '"');
}

void pt_jw_key(struct pt_jw *w, const char *key)
{
    jw_sep(w);
    jw_quote(w, key, strlen(key));
    pt_buf_u8(&w->b, ':');
    w->after_key = 1;
}

void pt_jw_strn(struct pt_jw *w, const char *s, size_t n)
{
    jw_sep(w);
    jw_quote(w, s, n);
}

void pt_jw_str(struct pt_jw *w, const char *s)
{
    if (!s) {
        pt_jw_null(w);
        return;
    }
    pt_jw_strn(w, s, strlen(s));
}

void pt_jw_int(struct pt_jw *w, int64_t v)
{
    char t[32];
    jw_sep(w);
    int n = snprintf(t, sizeof t, "%lld", (long long)v);
    pt_buf_put(&w->b, t, (size_t)n);
}

void pt_jw_bool(struct pt_jw *w, int v)
{
    jw_sep(w);
    pt_buf_put(&w->b, v ? "true" : "false", v ? 4 : 5);
}

void pt_jw_null(struct pt_jw *w)
{
    jw_sep(w);
    pt_buf_put(&w->b, "null", 4);
}

void pt_jw_value(struct pt_jw *w, const struct pt_json *j)
{
    char t[64];
    switch (j->type) {
    case PT_JSON_NULL:
        pt_jw_null(w);
        break;
    case PT_JSON_BOOL:
        pt_jw_bool(w, j->boolean);
        break;
    case PT_JSON_NUM:
        jw_sep(w);
        pt_buf_put(&w->b, t, (size_t)snprintf(t, sizeof t, "%.17g", j->num));
        break;
    case PT_JSON_STR:
        pt_jw_str(w, j->str);
        break;
    case PT_JSON_ARR:
    case PT_JSON_OBJ:
        jw_open(w, j->type == PT_JSON_ARR ? '[' : '{');
        for (const struct pt_json *e = j->child; e; e = e->next) {
            if (j->type == PT_JSON_OBJ) {
                pt_jw_key(w, e->key);
            }
            pt_jw_value(w, e);
        }
        jw_close(w, j->type == PT_JSON_ARR ? ']' : '}');
        break;
    }
}

void pt_jw_kstr(struct pt_jw *w, const char *key, const char *s)
{
    pt_jw_key(w, key);
    pt_jw_str(w, s);
}

void pt_jw_kint(struct pt_jw *w, const char *key, int64_t v)
{
    pt_jw_key(w, key);
    pt_jw_int(w, v);
}

void pt_jw_kbool(struct pt_jw *w, const char *key, int v)
{
    pt_jw_key(w, key);
    pt_jw_bool(w, v);
}

const char *pt_jw_text(struct pt_jw *w, size_t *len)
{
    pt_buf_reserve(&w->b, 1);
    w->b.data[w->b.len] = 0;
    if (len) {
        *len = w->b.len;
    }
    return (const char *)w->b.data;
}
