/*
 * pt_buf: growable encode buffer and bounds-checked decode cursor (see pt_buf.h).
 */
#include "pt_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pt_buf_init(struct pt_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void pt_buf_free(struct pt_buf *b)
{
    free(b->data);
    pt_buf_init(b);
}

void pt_buf_reset(struct pt_buf *b)
{
    b->len = 0;
}

void pt_buf_reserve(struct pt_buf *b, size_t extra)
{
    if (b->len + extra <= b->cap && b->data) {
        return; /* (data is never NULL after a reserve: pointer arithmetic on it stays defined) */
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra) {
        cap *= 2;
    }
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        fprintf(stderr, "pytt: out of memory growing a buffer to %zu bytes\n", cap);
        abort();
    }
    b->data = p;
    b->cap = cap;
}

void pt_buf_put(struct pt_buf *b, const void *p, size_t n)
{
    if (n == 0) {
        return;
    }
    pt_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void pt_buf_u8(struct pt_buf *b, uint8_t v)
{
    pt_buf_put(b, &v, 1);
}

void pt_buf_uv(struct pt_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        tmp[n++] = byte | (v ? 0x80 : 0);
    } while (v);
    pt_buf_put(b, tmp, n);
}

void pt_buf_sv(struct pt_buf *b, int64_t v)
{
    pt_buf_uv(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void pt_buf_str(struct pt_buf *b, const char *s)
{
    pt_buf_blob(b, s, s ? strlen(s) : 0);
}

void pt_buf_blob(struct pt_buf *b, const void *p, size_t n)
{
    pt_buf_uv(b, n);
    pt_buf_put(b, p, n);
}

void pt_cur_init(struct pt_cur *c, const void *p, size_t n)
{
    c->p = p;
    c->end = n ? (const uint8_t *)p + n : c->p; /* NULL + 0 is undefined behaviour in C */
    c->bad = 0;
}

uint8_t pt_cur_u8(struct pt_cur *c)
{
    if (c->p >= c->end) {
        c->bad = 1;
        return 0;
    }
    return *c->p++;
}

uint64_t pt_cur_uv(struct pt_cur *c)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (c->p >= c->end) {
            c->bad = 1;
            return 0;
        }
        uint8_t byte = *c->p++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            return v;
        }
    }
    c->bad = 1;
    return 0;
}

int64_t pt_cur_sv(struct pt_cur *c)
{
    uint64_t u = pt_cur_uv(c);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

const uint8_t *pt_cur_blob(struct pt_cur *c, size_t *len)
{
    uint64_t n = pt_cur_uv(c);
    if (c->bad || n > (uint64_t)(c->end - c->p)) {
        c->bad = 1;
        *len = 0;
        return NULL;
    }
    const uint8_t *p = c->p;
    c->p += n;
    *len = (size_t)n;
    return p;
}

char *pt_cur_strdup(struct pt_cur *c)
{
    size_t n;
    const uint8_t *p = pt_cur_blob(c, &n);
    char *s = malloc(n + 1);
    if (!s) {
        abort();
    }
    if (p) {
        memcpy(s, p, n);
    }
    s[p ? n : 0] = '\0';
    return s;
}

void pt_cur_get(struct pt_cur *c, void *out, size_t n)
{
    if ((size_t)(c->end - c->p) < n) {
        c->bad = 1;
        memset(out, 0, n);
        return;
    }
    memcpy(out, c->p, n);
    c->p += n;
}

int pt_cur_done(const struct pt_cur *c)
{
    return c->p == c->end;
}
