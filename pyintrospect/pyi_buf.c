/*
 * pyi_buf: a growable byte buffer for text pyintrospect composes before handing it out (reprs
 * nest: a dict's repr holds its keys' reprs). Out of memory is sticky and checked once, by
 * pyi_buf_take(), so callers can append without testing every call.
 */
#include "pyintrospect/pyi_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void pyi_buf_init(struct pyi_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

void pyi_buf_free(struct pyi_buf *b)
{
    free(b->data);
    pyi_buf_init(b);
}

static bool pyi_buf_reserve(struct pyi_buf *b, size_t extra)
{
    if (b->oom) {
        return false;
    }
    if (b->len + extra + 1 <= b->cap) {
        return true;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) {
        cap *= 2;
    }
    char *d = realloc(b->data, cap);
    if (!d) {
        b->oom = true;
        return false;
    }
    b->data = d;
    b->cap = cap;
    return true;
}

void pyi_buf_put(struct pyi_buf *b, const char *s, size_t n)
{
    if (!pyi_buf_reserve(b, n)) {
        return;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void pyi_buf_putc(struct pyi_buf *b, char c)
{
    pyi_buf_put(b, &c, 1);
}

void pyi_buf_puts(struct pyi_buf *b, const char *s)
{
    pyi_buf_put(b, s, strlen(s));
}

void pyi_buf_printf(struct pyi_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n < sizeof small) {
        pyi_buf_put(b, small, (size_t)n);
        return;
    }
    if (!pyi_buf_reserve(b, (size_t)n)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void pyi_buf_put_utf8(struct pyi_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    pyi_buf_put(b, u, n);
}

char *pyi_buf_take(struct pyi_buf *b)
{
    if (b->oom) {
        pyi_buf_free(b);
        pt_fail("out of memory composing output");
        return NULL;
    }
    char *d = b->data ? b->data : strdup("");
    pyi_buf_init(b);
    if (!d) {
        pt_fail("out of memory composing output");
    }
    return d;
}
