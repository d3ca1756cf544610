/*
 * pyi_unicode: str.isprintable() for one code point, and repr() of str contents.
 *
 * Which characters repr() keeps and which it escapes depends on Py_UNICODE_ISPRINTABLE, i.e. on
 * the Unicode database compiled into the interpreter. Rather than ship a table that could
 * disagree with the target's Unicode version, pyintrospect reads the interpreter's own tables
 * out of the tracee's memory once per session: _PyUnicode_TypeRecords and the two-level index
 * index1/index2 of Objects/unicodetype_db.h (static arrays located through DWARF, their element
 * sizes from DWARF; SHIFT follows from index1's length), and tests PRINTABLE_MASK as
 * gettyperecord()/_PyUnicode_IsPrintable do. If those tables cannot be read, an approximation
 * (documented in docs/pyintrospect.md) is used.
 */
#include "pyintrospect/pyi_internal.h"

#include <stdlib.h>
#include <string.h>

struct pyi_unitab {
    uint8_t *index1, *index2, *records;
    size_t n1, n2, nrec;
    int e1, e2; /* element sizes */
    int shift;
    int64_t rec_size, flags_off;
    int flags_size;
};

void pyi_unitab_free(struct pyi_unitab *t)
{
    if (t) {
        free(t->index1);
        free(t->index2);
        free(t->records);
        free(t);
    }
}

static uint8_t *pyi_read_blob(struct pyi_session *s, pt_addr addr, int64_t size)
{
    if (!addr || size <= 0 || size > (1 << 22)) {
        return NULL;
    }
    uint8_t *b = malloc((size_t)size);
    if (b && pyi_read(s, addr, b, (size_t)size) != 0) {
        free(b);
        return NULL;
    }
    return b;
}

static struct pyi_unitab *pyi_unitab_load(struct pyi_session *s)
{
    struct pyi_unitab *t = calloc(1, sizeof *t);
    if (!t) {
        return NULL;
    }
    t->e1 = (int)s->sym_elem[PYI_Y_UNI_INDEX1];
    t->e2 = (int)s->sym_elem[PYI_Y_UNI_INDEX2];
    t->rec_size = s->size[PYI_S_UNIREC];
    t->flags_off = s->m[PYI_F_UNIREC_FLAGS].off;
    t->flags_size = s->m[PYI_F_UNIREC_FLAGS].size;
    if ((t->e1 != 1 && t->e1 != 2) || (t->e2 != 1 && t->e2 != 2) || t->rec_size <= 0 ||
        t->flags_off < 0 || (t->flags_size != 2 && t->flags_size != 4)) {
        pyi_unitab_free(t);
        return NULL;
    }
    t->index1 = pyi_read_blob(s, s->sym[PYI_Y_UNI_INDEX1], s->sym_size[PYI_Y_UNI_INDEX1]);
    t->index2 = pyi_read_blob(s, s->sym[PYI_Y_UNI_INDEX2], s->sym_size[PYI_Y_UNI_INDEX2]);
    t->records = pyi_read_blob(s, s->sym[PYI_Y_UNI_RECORDS], s->sym_size[PYI_Y_UNI_RECORDS]);
    t->n1 = (size_t)s->sym_size[PYI_Y_UNI_INDEX1] / (size_t)t->e1;
    t->n2 = (size_t)s->sym_size[PYI_Y_UNI_INDEX2] / (size_t)t->e2;
    t->nrec = (size_t)(s->sym_size[PYI_Y_UNI_RECORDS] / t->rec_size);
    /* index1 has 0x110000 >> SHIFT entries */
    for (t->shift = 1; t->shift < 16 && (0x110000u >> t->shift) > t->n1; t->shift++) {
    }
    if (!t->index1 || !t->index2 || !t->records || (0x110000u >> t->shift) != t->n1) {
        pyi_unitab_free(t);
        return NULL;
    }
    return t;
}

static unsigned pyi_elem(const uint8_t *a, int esize, size_t i)
{
    return esize == 1 ? a[i] : (unsigned)a[2 * i] | ((unsigned)a[2 * i + 1] << 8);
}

/* gettyperecord() + PRINTABLE_MASK */
static int pyi_unitab_printable(struct pyi_session *s, const struct pyi_unitab *t, uint32_t cp)
{
    size_t index = 0;
    if (cp < 0x110000) {
        size_t i1 = pyi_elem(t->index1, t->e1, cp >> t->shift);
        size_t i2 = (i1 << t->shift) + (cp & ((1u << t->shift) - 1));
        index = i2 < t->n2 ? pyi_elem(t->index2, t->e2, i2) : 0;
    }
    if (index >= t->nrec) {
        return 0;
    }
    const uint8_t *rec = t->records + index * (size_t)t->rec_size + t->flags_off;
    unsigned flags = rec[0] | ((unsigned)rec[1] << 8);
    if (t->flags_size == 4) {
        flags |= ((unsigned)rec[2] << 16) | ((unsigned)rec[3] << 24);
    }
    return (flags & s->v->printable_mask) != 0;
}

/* Without the interpreter's tables: controls, separators, surrogates, private use,
 * noncharacters, format characters and unassigned planes are not printable. */
static int pyi_printable_approx(uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0xad) {
        return 0;
    }
    if ((cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x200b && cp <= 0x200f) ||
        (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff || (cp >= 0xfff0 && cp <= 0xfffb)) {
        return 0;
    }
    if (cp >= 0xd800 && cp <= 0xf8ff) {
        return 0;
    }
    if ((cp & 0xfffe) == 0xfffe || cp >= 0xe0000 || (cp >= 0x40000 && cp < 0xe0000)) {
        return 0;
    }
    return cp != 0x3000 && cp != 0x1680 && !(cp >= 0x2000 && cp <= 0x200a) && cp != 0x205f &&
           cp != 0x85;
}

int pyi_unicode_printable(struct pyi_session *s, uint32_t cp)
{
    if (cp < 0x7f) {
        return cp >= 0x20;
    }
    if (!s->unitab_tried) {
        s->unitab = pyi_unitab_load(s);
        s->unitab_tried = true;
    }
    return s->unitab ? pyi_unitab_printable(s, s->unitab, cp) : pyi_printable_approx(cp);
}

/* unicode_repr (Objects/unicodeobject.c) */
void pyi_str_repr_cps(struct pyi_session *s, const uint32_t *cp, size_t n, bool truncated,
                      struct pyi_buf *out)
{
    static const char hex[] = "0123456789abcdef";
    bool sq = false, dq = false;
    for (size_t i = 0; i < n; i++) {
        sq |= cp[i] == '\'';
        dq |= cp[i] == '"';
    }
    char quote = (sq && !dq) ? '"' : '\'';
    pyi_buf_putc(out, quote);
    for (size_t i = 0; i < n; i++) {
        uint32_t ch = cp[i];
        if (ch == (uint32_t)quote || ch == '\\') {
            pyi_buf_putc(out, '\\');
            pyi_buf_putc(out, (char)ch);
        } else if (ch == '\t') {
            pyi_buf_puts(out, "\\t");
        } else if (ch == '\n') {
            pyi_buf_puts(out, "\\n");
        } else if (ch == '\r') {
            pyi_buf_puts(out, "\\r");
        } else if (ch < ' ' || ch == 0x7f) {
            pyi_buf_printf(out, "\\x%c%c", hex[(ch >> 4) & 15], hex[ch & 15]);
        } else if (ch < 0x7f) {
            pyi_buf_putc(out, (char)ch);
        } else if (pyi_unicode_printable(s, ch)) {
            pyi_buf_put_utf8(out, ch);
        } else if (ch <= 0xff) {
            pyi_buf_printf(out, "\\x%02x", ch);
        } else if (ch <= 0xffff) {
            pyi_buf_printf(out, "\\u%04x", ch);
        } else {
            pyi_buf_printf(out, "\\U%08x", ch);
        }
    }
    pyi_buf_putc(out, quote);
    if (truncated) {
        pyi_buf_puts(out, "...(truncated)");
    }
}
