/*
 * pyi_tlog: what pyintrospect knows for tracepoints logged inside the tracee (common/pt_tlog.h):
 * the object layout the log's copy routine reads (from DWARF), the program for one traced
 * instruction (its expressions lowered as in-tracee operands, and whether every dispatch of
 * that instruction is a line event, so that a logged hit is a hit `trace` would report), and
 * the repr of a logged value, made from its copy with the same code as for a live object.
 */
#include "pyintrospect/pyi_internal.h"

#include "common/pt_error.h"
#include "common/pt_tlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The 32-bit word at *off holding both str bits, and their mask within it (false: they are not
 * within one such word). */
static bool str_bits(struct pyi_session *s, int64_t *off, uint32_t *mask)
{
    const struct pyi_bitfield *c = &s->bits[PYI_B_STR_COMPACT], *a = &s->bits[PYI_B_STR_ASCII];
    if (c->bit_size != 1 || a->bit_size != 1) {
        return false;
    }
    int64_t base = c->byte_off < a->byte_off ? c->byte_off : a->byte_off;
    int cb = (int)(c->byte_off - base) * 8 + c->bit_off,
        ab = (int)(a->byte_off - base) * 8 + a->bit_off;
    if (cb < 0 || cb > 31 || ab < 0 || ab > 31) {
        return false;
    }
    *off = base;
    *mask = (1u << cb) | (1u << ab);
    return true;
}

int pyi_tlog_layout(struct pyi_session *s, struct pt_tlog_layout *l)
{
    memset(l, 0, sizeof *l);
    if (s->v->cond_ints == PYI_INTS_NONE || !pyi_has(s, PYI_F_FLOAT_VAL) ||
        !pyi_has(s, PYI_F_STR_LENGTH) || !pyi_has(s, PYI_F_BYTES_SVAL) ||
        !pyi_has(s, PYI_F_OB_SIZE) || s->size[PYI_S_ASCII] <= 0 || s->size[PYI_S_DIGIT] <= 0 ||
        !s->sym[PYI_Y_FLOAT_TYPE] || !s->sym[PYI_Y_UNICODE_TYPE] || !s->sym[PYI_Y_BYTES_TYPE] ||
        !str_bits(s, &l->str_state_off, &l->str_state_mask)) {
        return 0;
    }
    pyi_cond_layout(s, false, &l->obj);
    l->digit_size = s->size[PYI_S_DIGIT];
    l->float_type = s->sym[PYI_Y_FLOAT_TYPE];
    l->str_type = s->sym[PYI_Y_UNICODE_TYPE];
    l->bytes_type = s->sym[PYI_Y_BYTES_TYPE];
    l->float_size = s->m[PYI_F_FLOAT_VAL].off + 8;
    l->str_len_off = s->m[PYI_F_STR_LENGTH].off;
    l->str_ascii_size = s->size[PYI_S_ASCII];
    l->var_size_off = s->m[PYI_F_OB_SIZE].off;
    l->bytes_data_off = s->m[PYI_F_BYTES_SVAL].off;
    return 1;
}

/* Is every dispatch of code unit cur (a line's first instruction) a 'line' event
 * (pyi_lineev.c)? It is when no earlier instruction has its line (no forward jump or fall
 * through from the same line can reach it; a backward jump from the same line is an event),
 * and none of the rule's exceptions can apply (RESUME, SEND, EXTENDED_ARG, a
 * JUMP_BACKWARD_NO_INTERRUPT on the line). A dispatch repeated at once (the program tracing
 * itself) is left to pytt by the log program. */
static bool always_line_event(struct pyi_session *s, const struct pyi_code *c, int cur)
{
    const struct pyi_opdata *o = s->v->ops;
    int n = (int)c->ncodeunits;
    if (cur < c->firsttraceable || cur >= n || c->lines[cur] == -1) {
        return false;
    }
    int op = c->deopt[2 * cur];
    if (op == o->resume || op == o->send ||
        (cur > 0 && c->deopt[2 * (cur - 1)] == o->extended_arg)) {
        return false;
    }
    for (int i = 0; i < n; i++) {
        if (c->lines[i] != c->lines[cur]) {
            continue;
        }
        if (i < cur || c->deopt[2 * i] == o->jump_back_no_interrupt) {
            return false;
        }
    }
    return true;
}

int pyi_tlog_lower(struct pyi_session *s, pt_addr code, pt_addr instr, pt_addr frame,
                   const char *const *exprs, size_t n, struct pt_tlog *out,
                   struct pt_tlog_layout *layout)
{
    struct pyi_code *c;
    memset(out, 0, sizeof *out);
    if (n == 0 || n > PT_TLOG_VALUES || pyi_tlog_layout(s, layout) != 1 ||
        pyi_code_get(s, code, &c) != 0) {
        pt_err_clear();
        return 0;
    }
    int64_t unit = s->size[PYI_S_CODEUNIT];
    int cur = (int)((int64_t)(instr - c->code0) / unit) - s->v->dispatch_ahead;
    if (instr < c->code0 || !always_line_event(s, c, cur)) {
        return 0;
    }
    bool attrs = false; /* (the layout below has them in any case) */
    for (size_t i = 0; i < n; i++) {
        int rc = pyi_cond_operand_expr(s, c, frame, exprs[i], &out->steps, &out->v[i], &attrs);
        if (rc != 1) {
            pt_err_clear();
            memset(out, 0, sizeof *out);
            return rc < 0 ? -1 : 0;
        }
    }
    out->nvalues = (int)n;
    /* with attributes' layout always: one layout serves every traced instruction */
    pyi_cond_layout(s, true, &layout->obj);
    return 1;
}

/* ---- a value's repr from its copy ------------------------------------------------------------ */

struct overlay {
    struct pt_mem mem; /* first: the source pyintrospect reads while the overlay is in place */
    struct pt_mem *under;
    pt_addr at;
    const uint8_t *copy;
    size_t len;
};

static int overlay_read(struct pt_mem *m, pt_addr addr, void *buf, size_t len)
{
    struct overlay *o = (struct overlay *)m;
    pt_addr end = addr + len, oend = o->at + o->len;
    if (addr >= o->at && end <= oend) {
        memcpy(buf, o->copy + (addr - o->at), len);
        return 0;
    }
    if (end <= o->at || addr >= oend) {
        return pt_mem_read(o->under, addr, buf, len);
    }
    if (pt_mem_read(o->under, addr, buf, len) < 0) {
        return -1; /* part of it is beyond the copy, and unreadable */
    }
    pt_addr from = addr > o->at ? addr : o->at, to = end < oend ? end : oend;
    memcpy((uint8_t *)buf + (from - addr), o->copy + (from - o->at), to - from);
    return 0;
}

static const struct pt_mem_ops overlay_ops = {overlay_read, NULL};

/* An int of at most two 30-bit digits, from its copy, as decimal (what pyi_long_repr prints,
 * without its allocations): 1 done, 0 not such an int. */
static int small_int_repr(struct pyi_session *s, const uint8_t *copy, size_t len, struct pyi_buf *b)
{
    struct pt_cond_layout l;
    int64_t size;
    uint32_t d[2] = {0, 0};
    pyi_cond_layout(s, false, &l);
    if (s->size[PYI_S_DIGIT] != 4 || l.size_off < 0 || (size_t)l.size_off + 8 > len) {
        return 0;
    }
    memcpy(&size, copy + l.size_off, 8);
    int neg = l.int_tag ? (size & 3) == 2 : size < 0;
    uint64_t ndigits = l.int_tag ? (uint64_t)size >> 3 : (uint64_t)(size < 0 ? -size : size);
    if (ndigits > 2 || (size_t)l.digit_off + 4 * ndigits > len) {
        return 0;
    }
    memcpy(d, copy + l.digit_off, 4 * ndigits);
    uint64_t v = (uint64_t)d[0] | (uint64_t)d[1] << 30;
    char text[24], *p = text + sizeof text;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (neg) {
        *--p = '-';
    }
    pyi_buf_put(b, p, (size_t)(text + sizeof text - p));
    return 1;
}

/* The scalars pyi_r renders without looking further than the object (its singletons, exact
 * ints and floats), straight from the copy: 1 done, 0 not one of them. */
static int scalar_repr(struct pyi_session *s, pt_addr obj, const uint8_t *copy, size_t len,
                       struct pyi_buf *b)
{
    static const char *const names[] = {"None", "True", "False"};
    const enum pyi_sym syms[] = {PYI_Y_NONE, PYI_Y_TRUE, PYI_Y_FALSE};
    pt_addr type;
    for (int i = 0; i < 3; i++) {
        if (obj == s->sym[syms[i]]) {
            pyi_buf_puts(b, names[i]);
            return 1;
        }
    }
    int64_t toff = s->m[PYI_F_OB_TYPE].off, foff = s->m[PYI_F_FLOAT_VAL].off;
    if (s->ov.n || toff < 0 || (size_t)toff + 8 > len) {
        return 0; /* an override of some object's repr: the general path applies it */
    }
    memcpy(&type, copy + toff, 8);
    if (type == s->sym[PYI_Y_FLOAT_TYPE] && foff >= 0 && (size_t)foff + 8 <= len) {
        double v;
        memcpy(&v, copy + foff, 8);
        pyi_float_repr(v, true, false, b);
        return 1;
    }
    if (type == s->sym[PYI_Y_LONG_TYPE]) {
        return small_int_repr(s, copy, len, b) || pyi_long_repr(s, obj, s->repr.max_str, b) == 0
                   ? 1
                   : -1;
    }
    return 0;
}

int pyi_repr_copy(struct pyi_session *s, pt_addr obj, const void *copy, size_t len, char **text)
{
    struct overlay o = {{&overlay_ops, -1, -1, NULL}, s->mem, obj, copy, len};
    unsigned what = 0;
    struct pyi_buf b;
    pyi_buf_init(&b);
    s->mem = &o.mem;
    int rc = scalar_repr(s, obj, copy, len, &b);
    if (rc == 1) {
        s->mem = o.under;
        *text = pyi_buf_take(&b);
        return *text ? 0 : pt_fail("out of memory");
    }
    pyi_buf_free(&b);
    rc = rc < 0 ? -1 : pyi_repr_flags(s, obj, 0, text, &what);
    s->mem = o.under;
    if (rc == 0 && (what & PYI_REPR_INEXACT)) {
        free(*text);
        *text = NULL;
        return pt_fail("the logged value at 0x%llx has no exact repr", (unsigned long long)obj);
    }
    return rc;
}

int pyi_tlog_site(struct pyi_session *s, pt_addr code, pt_addr instr, int *line, char *qualname,
                  size_t cap)
{
    struct pyi_code *c;
    if (pyi_code_get(s, code, &c) != 0) {
        return -1;
    }
    int64_t unit = s->size[PYI_S_CODEUNIT];
    int cur = (int)((int64_t)(instr - c->code0) / unit) - s->v->dispatch_ahead;
    if (instr < c->code0 || cur < 0 || (size_t)cur >= c->ncodeunits) {
        return pt_fail("instruction 0x%llx is outside the code object at 0x%llx",
                       (unsigned long long)instr, (unsigned long long)code);
    }
    *line = pyi_code_addr2line_idx(c, cur);
    snprintf(qualname, cap, "%s", c->qualname ? c->qualname : c->name ? c->name : "?");
    return 0;
}

int pyi_tlog_args(struct pyi_session *s, pt_addr code, char names[][PYI_TLOG_NAME], int max)
{
    struct pyi_code *c;
    if (pyi_code_get(s, code, &c) != 0) {
        return -1;
    }
    /* pdb's `args` (pyi_print_args): the positional, keyword-only, *args and **kwargs names */
    int n = c->argcount + c->kwonlyargcount + !!(c->flags & 0x4) + !!(c->flags & 0x8);
    if (n > max || n > c->nlocalsplus) {
        return 0;
    }
    for (int i = 0; i < n; i++) {
        const char *name = c->localsplusnames[i];
        if (!name || strlen(name) >= PYI_TLOG_NAME) {
            return 0;
        }
        snprintf(names[i], PYI_TLOG_NAME, "%s", name);
    }
    return n;
}
