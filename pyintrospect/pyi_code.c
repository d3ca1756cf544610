/*
 * pyi_code: code objects read from the tracee into struct pyi_code (names, counts, line and
 * exception tables, bytecode as in memory and de-quickened, one line per code unit), cached by
 * address until pyi_invalidate(). pyi_refresh() (a replay trapping dispatch after dispatch)
 * keeps them: before an entry's first use after a refresh, its identifying members (type, size,
 * the objects it points to), its line table and its de-quickened bytecode are compared with
 * the tracee's in two reads, and a code object that differs is read again. That is what a
 * stop costs instead of re-reading names, tables and bytecode (a reverse-step traps 64
 * dispatches). Specialisation rewrites opcodes only within their family, so the de-quickened
 * form of a living code object never changes; a new code object at a freed one's address
 * differs in its members or tables, or, if it has the same ones, reads the same. On top of it, the
 * public line-table API that stepping by Python line needs: addr2line (PyCode_Addr2Line), the
 * instruction iterator with its line-start and jump-target flags, and the exact 'line' event rule
 * of the version layer.
 */
#include "pyintrospect/pyi_internal.h"

#include <stdlib.h>
#include <string.h>

static void pyi_code_free(struct pyi_code *c)
{
    if (!c) {
        return;
    }
    free(c->filename);
    free(c->name);
    free(c->qualname);
    if (c->localsplusnames) {
        for (int i = 0; i < c->nlocalsplus; i++) {
            free(c->localsplusnames[i]);
        }
    }
    free(c->localsplusnames);
    free(c->localspluskinds);
    free(c->linetable);
    free(c->exctable);
    free(c->code);
    free(c->deopt);
    free(c->lines);
    free(c->labels);
    free(c->iprev);
    free(c->ilastline);
    free(c);
}

void pyi_code_cache_clear(struct pyi_session *s)
{
    while (s->codes) {
        struct pyi_code *n = s->codes->next_cached;
        pyi_code_free(s->codes);
        s->codes = n;
    }
    s->ncodes = 0;
}

void pyi_code_cache_age(struct pyi_session *s)
{
    s->gen++;
    if (s->ncodes > PYI_CODE_CACHE_MAX) {
        pyi_code_cache_clear(s);
    }
}

/* The members that identify a code object: none of them changes while it lives, and a new
 * code object at a freed one's address differs in at least the objects it points to. */
static const enum pyi_field pyi_code_ident_fields[] = {
    PYI_F_OB_TYPE,
    PYI_F_OB_SIZE,
    PYI_F_CO_CONSTS,
    PYI_F_CO_NAMES,
    PYI_F_CO_EXCEPTIONTABLE,
    PYI_F_CO_FLAGS,
    PYI_F_CO_FIRSTLINENO,
    PYI_F_CO_NLOCALSPLUS,
    PYI_F_CO_LOCALSPLUSNAMES,
    PYI_F_CO_LOCALSPLUSKINDS,
    PYI_F_CO_FILENAME,
    PYI_F_CO_NAME,
    PYI_F_CO_QUALNAME,
    PYI_F_CO_LINETABLE,
    PYI_F_CO_CODE,
};

/* The identifying members, packed into out, from a copy of the first len bytes of a code
 * object. */
static int pyi_code_ident_of(struct pyi_session *s, const uint8_t *obj, size_t len,
                             uint8_t out[PYI_CODE_IDENT_MAX])
{
    size_t at = 0;
    memset(out, 0, PYI_CODE_IDENT_MAX);
    for (size_t i = 0; i < sizeof pyi_code_ident_fields / sizeof pyi_code_ident_fields[0]; i++) {
        const struct pyi_member *m = &s->m[pyi_code_ident_fields[i]];
        size_t size = (size_t)(m->size ? m->size : s->ptr_size);
        if (m->off < 0) {
            continue;
        }
        if ((size_t)m->off + size > len || at + size > PYI_CODE_IDENT_MAX) {
            return pt_fail("%s lies outside the code object's first %zu bytes",
                           pyi_field_name(s, pyi_code_ident_fields[i]), len);
        }
        memcpy(out + at, obj + m->off, size);
        at += size;
    }
    return 0;
}

/* Fill c->ident from the tracee. */
static int pyi_code_read_ident(struct pyi_session *s, struct pyi_code *c)
{
    uint8_t head[512];
    size_t n = (size_t)s->size[PYI_S_CODE];
    if (n > sizeof head) {
        return pt_fail("PyCodeObject's header is %zu bytes", n);
    }
    if (pyi_read(s, c->addr, head, n) != 0) {
        return -1;
    }
    return pyi_code_ident_of(s, head, n, c->ident);
}

/* A bytes object's contents (at most cap bytes). */
static int pyi_bytes_read(struct pyi_session *s, pt_addr obj, size_t cap, uint8_t **out,
                          size_t *len)
{
    int64_t n;
    if (pyi_rd(s, obj, PYI_F_OB_SIZE, &n) != 0) {
        return -1;
    }
    if (n < 0 || (size_t)n > cap) {
        return pt_fail("implausible bytes length %lld at 0x%llx", (long long)n,
                       (unsigned long long)obj);
    }
    *out = malloc((size_t)n + 1);
    if (!*out) {
        return pt_fail("out of memory");
    }
    if (pyi_read(s, obj + (pt_addr)s->m[PYI_F_BYTES_SVAL].off, *out, (size_t)n) != 0) {
        free(*out);
        *out = NULL;
        return pt_wrap("reading the bytes at 0x%llx", (unsigned long long)obj);
    }
    *len = (size_t)n;
    return 0;
}

static int pyi_code_ints(struct pyi_session *s, struct pyi_code *c)
{
    static const struct {
        enum pyi_field f;
        size_t off;
    } ints[] = {
        {PYI_F_CO_FIRSTLINENO, offsetof(struct pyi_code, firstlineno)},
        {PYI_F_CO_ARGCOUNT, offsetof(struct pyi_code, argcount)},
        {PYI_F_CO_POSONLYARGCOUNT, offsetof(struct pyi_code, posonlyargcount)},
        {PYI_F_CO_KWONLYARGCOUNT, offsetof(struct pyi_code, kwonlyargcount)},
        {PYI_F_CO_FLAGS, offsetof(struct pyi_code, flags)},
        {PYI_F_CO_NLOCALSPLUS, offsetof(struct pyi_code, nlocalsplus)},
        {PYI_F_CO_NLOCALS, offsetof(struct pyi_code, nlocals)},
        {PYI_F_CO_NCELLVARS, offsetof(struct pyi_code, ncellvars)},
        {PYI_F_CO_NFREEVARS, offsetof(struct pyi_code, nfreevars)},
        {PYI_F_CO_FIRSTTRACEABLE, offsetof(struct pyi_code, firsttraceable)},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        int64_t v = 0;
        if (pyi_has(s, ints[i].f) && pyi_rd(s, c->addr, ints[i].f, &v) != 0) {
            return -1; /* an absent member (3.10's missing counts) stays 0 */
        }
        *(int *)((char *)c + ints[i].off) = (int)v;
    }
    return 0;
}

/* Filename, name, qualified name (3.10 has none: the name), constants and names. */
static int pyi_code_ids(struct pyi_session *s, struct pyi_code *c)
{
    pt_addr fn, nm, qn;
    if (pyi_rd_ptr(s, c->addr, PYI_F_CO_FILENAME, &fn) != 0 || pyi_str_utf8(s, fn, &c->filename) ||
        pyi_rd_ptr(s, c->addr, PYI_F_CO_NAME, &nm) != 0 || pyi_str_utf8(s, nm, &c->name) ||
        pyi_rd_ptr(s, c->addr, PYI_F_CO_CONSTS, &c->consts) != 0 ||
        pyi_rd_ptr(s, c->addr, PYI_F_CO_NAMES, &c->names) != 0) {
        return -1;
    }
    if (!pyi_has(s, PYI_F_CO_QUALNAME)) {
        c->qualname = strdup(c->name);
        return c->qualname ? 0 : pt_fail("out of memory");
    }
    return pyi_rd_ptr(s, c->addr, PYI_F_CO_QUALNAME, &qn) != 0 ? -1
                                                               : pyi_str_utf8(s, qn, &c->qualname);
}

/* 3.11+: co_localsplusnames and co_localspluskinds. */
int pyi_code_names_localsplus(struct pyi_session *s, struct pyi_code *c)
{
    pt_addr names, kinds;
    if (c->nlocalsplus < 0 || c->nlocalsplus > PYI_MAX_LOCALS) {
        return pt_fail("implausible co_nlocalsplus %d", c->nlocalsplus);
    }
    if (pyi_rd_ptr(s, c->addr, PYI_F_CO_LOCALSPLUSNAMES, &names) != 0 ||
        pyi_rd_ptr(s, c->addr, PYI_F_CO_LOCALSPLUSKINDS, &kinds) != 0) {
        return -1;
    }
    pt_addr *items;
    size_t n, nk;
    if (pyi_tuple_items(s, names, &items, &n) != 0) {
        return -1;
    }
    c->localsplusnames = calloc((size_t)c->nlocalsplus + 1, sizeof *c->localsplusnames);
    for (size_t i = 0; c->localsplusnames && i < n && i < (size_t)c->nlocalsplus; i++) {
        pyi_str_utf8(s, items[i], &c->localsplusnames[i]);
    }
    free(items);
    if (!c->localsplusnames) {
        return pt_fail("out of memory");
    }
    if (pyi_bytes_read(s, kinds, PYI_MAX_LOCALS, &c->localspluskinds, &nk) != 0) {
        return -1;
    }
    if (nk < (size_t)c->nlocalsplus) {
        return pt_fail("co_localspluskinds shorter than co_nlocalsplus");
    }
    return 0;
}

/* The bytecode at c->code0, c->ncodeunits units. */
static int pyi_code_read_units(struct pyi_session *s, struct pyi_code *c, int64_t units)
{
    if (units <= 0 || units > PYI_MAX_CODEUNITS) {
        return pt_fail("implausible bytecode length %lld", (long long)units);
    }
    c->ncodeunits = (size_t)units;
    c->code = malloc(2 * c->ncodeunits);
    if (!c->code) {
        return pt_fail("out of memory");
    }
    if (pyi_read(s, c->code0, c->code, 2 * c->ncodeunits) != 0) {
        return pt_wrap("reading the bytecode");
    }
    return 0;
}

/* 3.11+: the bytecode is inline (co_code_adaptive), ob_size code units. */
int pyi_code_bytes_inline(struct pyi_session *s, struct pyi_code *c)
{
    int64_t units;
    if (pyi_rd(s, c->addr, PYI_F_OB_SIZE, &units) != 0) {
        return -1;
    }
    c->code0 = c->addr + (pt_addr)s->m[PYI_F_CO_CODE_ADAPTIVE].off;
    return pyi_code_read_units(s, c, units);
}

/* 3.10: co_code, a bytes object. */
int pyi_code_bytes_object(struct pyi_session *s, struct pyi_code *c)
{
    pt_addr bytes;
    int64_t len;
    if (pyi_rd_ptr(s, c->addr, PYI_F_CO_CODE, &bytes) != 0 ||
        pyi_rd(s, bytes, PYI_F_OB_SIZE, &len) != 0) {
        return -1;
    }
    c->code0 = bytes + (pt_addr)s->m[PYI_F_BYTES_SVAL].off;
    return pyi_code_read_units(s, c, len / 2);
}

static int pyi_code_tables(struct pyi_session *s, struct pyi_code *c)
{
    pt_addr lt, et;
    if (pyi_rd_ptr(s, c->addr, PYI_F_CO_LINETABLE, &lt) != 0 ||
        pyi_bytes_read(s, lt, PYI_MAX_TABLE, &c->linetable, &c->linetable_len) != 0) {
        return -1;
    }
    if (pyi_has(s, PYI_F_CO_EXCEPTIONTABLE) && /* 3.10 has a block stack instead */
        (pyi_rd_ptr(s, c->addr, PYI_F_CO_EXCEPTIONTABLE, &et) != 0 ||
         pyi_bytes_read(s, et, PYI_MAX_TABLE, &c->exctable, &c->exctable_len) != 0)) {
        return -1;
    }
    if (s->v->code_bytes(s, c) != 0 || s->v->deopt(s, c) != 0 || s->v->code_lines(c) != 0) {
        return -1;
    }
    return 0;
}

static int pyi_code_load(struct pyi_session *s, pt_addr addr, struct pyi_code **out)
{
    struct pyi_code *c = calloc(1, sizeof *c);
    if (!c) {
        return pt_fail("out of memory");
    }
    c->addr = addr;
    struct pyi_objinfo oi;
    if (pyi_obj_classify(s, addr, &oi) != 0 || oi.kind != PYI_K_CODE) {
        pyi_code_free(c);
        if (oi.kind != PYI_K_CODE) {
            pt_fail("not a code object");
        }
        return pt_wrap("reading the code object at 0x%llx", (unsigned long long)addr);
    }
    if (pyi_code_ints(s, c) != 0 || pyi_code_ids(s, c) != 0 || s->v->code_names(s, c) != 0 ||
        pyi_code_tables(s, c) != 0 || pyi_code_read_ident(s, c) != 0) {
        pyi_code_free(c);
        return pt_wrap("reading the code object at 0x%llx", (unsigned long long)addr);
    }
    *out = c;
    return 0;
}

/* Does the tracee still hold, at c->addr, the code object c was read from? Its identifying
 * members, its line table and its de-quickened bytecode compared: one read of the object up to
 * the end of its inline bytecode (3.11+; 3.10's bytecode is a second read), one of its line
 * table. */
static int pyi_code_same(struct pyi_session *s, struct pyi_code *c, bool *same)
{
    uint8_t ident[PYI_CODE_IDENT_MAX];
    size_t head = (size_t)s->size[PYI_S_CODE], units = 2 * c->ncodeunits;
    bool inline_code = c->code0 >= c->addr && c->code0 < c->addr + head;
    size_t off = inline_code ? (size_t)(c->code0 - c->addr) : head, n = off + units;
    if (n < head) {
        n = head; /* a short inline bytecode ends before sizeof(PyCodeObject) */
    }
    size_t lt_off = (size_t)s->m[PYI_F_BYTES_SVAL].off, lt_n = lt_off + c->linetable_len;
    uint8_t *obj = malloc(n), *lt = malloc(lt_n);
    struct pyi_code now = {.addr = c->addr, .ncodeunits = c->ncodeunits, .code0 = c->code0};
    int64_t lt_addr, lt_size;
    int rc = -1;
    *same = false;
    if (!obj || !lt) {
        pt_fail("out of memory");
    } else {
        rc = 0; /* unreadable or different: not the same (pyi_code_load then says what is wrong) */
        now.code = obj + off;
        if (pyi_read(s, c->addr, obj, inline_code ? n : head) == 0 &&
            (inline_code || pyi_read(s, c->code0, obj + off, units) == 0) &&
            pyi_code_ident_of(s, obj, head, ident) == 0 &&
            memcmp(ident, c->ident, sizeof ident) == 0 &&
            pyi_rd_local(s, obj, head, PYI_F_CO_LINETABLE, &lt_addr) == 0 &&
            pyi_read(s, (pt_addr)lt_addr, lt, lt_n) == 0 &&
            pyi_rd_local(s, lt, lt_n, PYI_F_OB_SIZE, &lt_size) == 0 &&
            (size_t)lt_size == c->linetable_len &&
            memcmp(lt + lt_off, c->linetable, c->linetable_len) == 0 && s->v->deopt(s, &now) == 0) {
            *same = memcmp(now.deopt, c->deopt, units) == 0;
        }
        pt_err_clear();
    }
    free(now.deopt);
    free(obj);
    free(lt);
    return rc;
}

/* Unlink and free the cached entry c. */
static void pyi_code_forget(struct pyi_session *s, struct pyi_code *c)
{
    for (struct pyi_code **p = &s->codes; *p; p = &(*p)->next_cached) {
        if (*p == c) {
            *p = c->next_cached;
            pyi_code_free(c);
            s->ncodes--;
            return;
        }
    }
}

int pyi_code_get(struct pyi_session *s, pt_addr addr, struct pyi_code **out)
{
    for (struct pyi_code *c = s->codes; c; c = c->next_cached) {
        if (c->addr != addr) {
            continue;
        }
        bool same = c->checked_gen == s->gen;
        if (!same && pyi_code_same(s, c, &same) != 0) {
            return -1;
        }
        if (same) {
            c->checked_gen = s->gen;
            *out = c;
            return 0;
        }
        pyi_code_forget(s, c); /* another code object now lives at addr */
        break;
    }
    if (pyi_code_load(s, addr, out) != 0) {
        return -1;
    }
    (*out)->checked_gen = s->gen;
    (*out)->next_cached = s->codes;
    s->codes = *out;
    s->ncodes++;
    return 0;
}

int pyi_code_addr2line_idx(const struct pyi_code *c, int index)
{
    if (index < 0) {
        return c->firstlineno; /* PyCode_Addr2Line(co, addrq < 0) */
    }
    if ((size_t)index >= c->ncodeunits) {
        return -1;
    }
    return c->lines[index];
}

/* ---- public line-table API ------------------------------------------------------------------ */

int pyi_code_of(struct pyi_session *s, pt_addr obj, pt_addr *code)
{
    struct pyi_objinfo oi;
    for (int hop = 0; hop < 3; hop++) {
        if (pyi_obj_classify(s, obj, &oi) != 0) {
            return -1;
        }
        if (oi.kind == PYI_K_CODE) {
            *code = obj;
            return 0;
        }
        if (oi.kind == PYI_K_FUNCTION) {
            return pyi_rd_ptr(s, obj, PYI_F_FUNC_CODE, code);
        }
        if (oi.kind != PYI_K_METHOD || pyi_rd_ptr(s, obj, PYI_F_METH_FUNC, &obj) != 0) {
            break;
        }
    }
    return pt_fail("the object at 0x%llx has no code object", (unsigned long long)obj);
}

int pyi_code_info(struct pyi_session *s, pt_addr code, struct pyi_code_info *out)
{
    struct pyi_code *c;
    if (pyi_code_get(s, code, &c) != 0) {
        return -1;
    }
    out->filename = c->filename;
    out->name = c->name;
    out->qualname = c->qualname;
    out->firstlineno = c->firstlineno;
    out->ncodeunits = c->ncodeunits;
    out->firsttraceable = c->firsttraceable * 2;
    return 0;
}

int pyi_code_addr2line(struct pyi_session *s, pt_addr code, int offset, int *line)
{
    struct pyi_code *c;
    if (pyi_code_get(s, code, &c) != 0) {
        return -1;
    }
    *line = pyi_code_addr2line_idx(c, offset < 0 ? -1 : offset / 2);
    return 0;
}

/* Exception table (3.11 format, dis._parse_exception_table): big-endian 6-bit varints. */
static bool pyi_exc_varint(const uint8_t **p, const uint8_t *end, int *out)
{
    if (*p >= end) {
        return false;
    }
    uint8_t b = *(*p)++;
    unsigned v = b & 63;
    while ((b & 64) && *p < end && v < (1u << 24)) {
        b = *(*p)++;
        v = (v << 6) | (b & 63);
    }
    *out = (int)v;
    return true;
}

int pyi_exc_next(const struct pyi_code *c, size_t *pos, int *start, int *end, int *target,
                 int *depth, bool *lasti)
{
    const uint8_t *p = c->exctable + *pos, *e = c->exctable + c->exctable_len;
    int len, dl;
    if (!pyi_exc_varint(&p, e, start) || !pyi_exc_varint(&p, e, &len) ||
        !pyi_exc_varint(&p, e, target) || !pyi_exc_varint(&p, e, &dl)) {
        return 0;
    }
    *start *= 2;
    *end = *start + len * 2;
    *target *= 2;
    *depth = dl >> 1;
    *lasti = dl & 1;
    *pos = (size_t)(p - c->exctable);
    return 1;
}

/* Oparg of the instruction at index i including its EXTENDED_ARG prefixes (_unpack_opargs). */
int pyi_code_oparg(struct pyi_session *s, const struct pyi_code *c, size_t i)
{
    unsigned arg = c->deopt[2 * i + 1];
    unsigned shift = 8;
    for (size_t j = i; j-- > 0 && shift < 32;) {
        if (c->deopt[2 * j] != s->v->ops->extended_arg) {
            break;
        }
        /* a CACHE entry can never be EXTENDED_ARG, so walking back is safe */
        arg |= (unsigned)c->deopt[2 * j + 1] << shift;
        shift += 8;
    }
    return (int)arg;
}

/* Jump target of the instruction at index i, or -1 (findlabels). */
int pyi_code_jump_target(struct pyi_session *s, const struct pyi_code *c, size_t i)
{
    int op = c->deopt[2 * i];
    enum pyi_argkind k = pyi_argkind(s, op);
    int arg = pyi_code_oparg(s, c, i);
    int off = (int)i * 2;
    if (k == PYI_ARG_JREL) {
        return off + 2 + arg * 2 + 2 * pyi_ncaches(s, op);
    }
    if (k == PYI_ARG_JREL_BACK) {
        return off + 2 - arg * 2 + 2 * pyi_ncaches(s, op);
    }
    if (k == PYI_ARG_JABS) {
        return arg * 2;
    }
    return -1;
}

/* Jump targets and exception handlers, and each instruction's predecessor and last line. */
int pyi_code_scan(struct pyi_session *s, struct pyi_code *c)
{
    if (c->labels) {
        return 0;
    }
    size_t n = c->ncodeunits;
    c->labels = calloc(n + 1, 1);
    c->iprev = calloc(n + 1, sizeof *c->iprev);
    c->ilastline = calloc(n + 1, sizeof *c->ilastline);
    if (!c->labels || !c->iprev || !c->ilastline) {
        free(c->labels);
        c->labels = NULL;
        return pt_fail("out of memory");
    }
    int prev = -1, lastline = -1;
    for (size_t i = 0; i < n; i += 1 + (size_t)pyi_ncaches(s, c->deopt[2 * i])) {
        c->iprev[i] = prev;
        c->ilastline[i] = lastline;
        prev = (int)i;
        if (c->lines[i] != -1 || s->v->line_rule.starts_after_none) {
            lastline = c->lines[i];
        }
        int target = pyi_code_jump_target(s, c, i);
        if (target >= 0 && (size_t)target / 2 < n) {
            c->labels[target / 2] = 1;
        }
    }
    size_t pos = 0;
    int start, end, target, depth;
    bool lasti;
    while (pyi_exc_next(c, &pos, &start, &end, &target, &depth, &lasti)) {
        if (end > start && target >= 0 && (size_t)target / 2 < n) {
            c->labels[target / 2] = 1;
        }
    }
    return 0;
}

int pyi_code_next_instr(struct pyi_session *s, pt_addr code, size_t *it, struct pyi_instr *out)
{
    struct pyi_code *c;
    if (pyi_code_get(s, code, &c) != 0 || pyi_code_scan(s, c) != 0) {
        return -1;
    }
    size_t i = *it;
    if (i >= c->ncodeunits) {
        return 0;
    }
    int prev = c->iprev[i];
    memset(out, 0, sizeof *out);
    out->offset = (int)i * 2;
    out->line = c->lines[i];
    out->opcode = c->deopt[2 * i];
    out->line_start = out->line != -1 && out->line != c->ilastline[i]; /* dis.findlinestarts */
    out->jump_target = c->labels[i];
    out->traced = (int)i >= c->firsttraceable && out->opcode != s->v->ops->resume &&
                  !(prev >= 0 && c->deopt[2 * prev] == s->v->ops->extended_arg);
    out->seq_event = pyi_line_event(s, c, prev < 0 ? -2 : prev, (int)i);
    *it = i + 1 + (size_t)pyi_ncaches(s, out->opcode);
    return 1;
}

int pyi_code_line_event(struct pyi_session *s, pt_addr code, int prev, int cur)
{
    struct pyi_code *c;
    if (pyi_code_get(s, code, &c) != 0) {
        return -1;
    }
    return pyi_line_event(s, c, prev < 0 ? prev : prev / 2, cur / 2) ? 1 : 0;
}
