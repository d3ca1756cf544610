/*
 * pyi_dis: a code object's bytecode printed exactly as dis.disassemble(code, lasti) prints it
 * (Lib/dis.py: _disassemble_bytes, Instruction._disassemble, _get_instructions_bytes): the
 * de-quickened bytecode (co_code, not the adaptive one), CACHE entries skipped, EXTENDED_ARG
 * folded into the next argument, line numbers from findlinestarts, `>>` on jump targets and
 * exception handlers, `-->` on the current instruction, arguments resolved to constants (their
 * repr), names, local names, comparison operators, binary operators and flags, and the
 * exception table. Opcode names and argument kinds come from the version layer; the argument
 * texts are the version's own (3.13 writes "x + NULL" where 3.12 wrote "NULL + x", and
 * bool(==)), in one layout for every version: where 3.13's dis names jump targets by labels
 * (L1:), pytt keeps byte offsets ("to 42", `>>`), as 3.10-3.12 print them.
 */
#include "pyintrospect/pyi_internal.h"

#include <stdlib.h>
#include <string.h>

#define PYI_OPNAME_WIDTH 20
#define PYI_OPARG_WIDTH 5

static const char *const pyi_cmp_op[] = {"<", "<=", "==", "!=", ">", ">="};
static const char *const pyi_nb_ops[] = {
    "+",  "&",  "//",  "<<",  "@",  "*",  "%",  "|",  "**",  ">>",  "-",  "/",  "^",
    "+=", "&=", "//=", "<<=", "@=", "*=", "%=", "|=", "**=", ">>=", "-=", "/=", "^=",
};
static const char *const pyi_format_conv[] = {"", "str", "repr", "ascii"};
static const char *const pyi_makefunc_flags[] = {"defaults", "kwdefaults", "annotations",
                                                 "closure"};

/* Item i of a tuple of str, as text; false if out of range or unreadable. */
static bool pyi_tuple_str(struct pyi_session *s, pt_addr tuple, int i, struct pyi_buf *out)
{
    pt_addr *items;
    size_t n;
    char *t = NULL;
    if (i < 0 || pyi_tuple_items(s, tuple, &items, &n) != 0) {
        return false;
    }
    bool ok = (size_t)i < n && pyi_str_utf8(s, items[i], &t) == 0;
    if (ok) {
        pyi_buf_puts(out, t);
    }
    free(t);
    free(items);
    return ok;
}

static bool pyi_const_repr(struct pyi_session *s, pt_addr consts, int i, struct pyi_buf *out)
{
    pt_addr *items;
    size_t n;
    if (i < 0 || pyi_tuple_items(s, consts, &items, &n) != 0) {
        return false;
    }
    bool ok = (size_t)i < n;
    if (ok) {
        pyi_repr_buf(s, items[i], out);
    }
    free(items);
    return ok;
}

static void pyi_join_flags(int arg, struct pyi_buf *out)
{
    bool first = true;
    for (int i = 0; i < 4; i++) {
        if (arg & (1 << i)) {
            pyi_buf_puts(out, first ? "" : ", ");
            pyi_buf_puts(out, pyi_makefunc_flags[i]);
            first = false;
        }
    }
}

/* A name with the "pushes NULL (or self) too" mark, before (until 3.12) or after (3.13). */
static void pyi_null_name(struct pyi_session *s, const struct pyi_code *c, int index, bool null,
                          const char *what, struct pyi_buf *out)
{
    struct pyi_buf name;
    pyi_buf_init(&name);
    if (pyi_tuple_str(s, c->names, index, &name) && name.len) {
        if (null && !s->v->null_suffix) {
            pyi_buf_printf(out, "%s + ", what);
        }
        pyi_buf_puts(out, name.data);
        if (null && s->v->null_suffix) {
            pyi_buf_printf(out, " + %s", what);
        }
    }
    pyi_buf_free(&name);
}

static void pyi_local_name(const struct pyi_code *c, int i, struct pyi_buf *out)
{
    if (i >= 0 && i < c->nlocalsplus && c->localsplusnames[i]) {
        pyi_buf_puts(out, c->localsplusnames[i]);
    }
}

static void pyi_compare(struct pyi_session *s, int arg, struct pyi_buf *out)
{
    int i = arg >> s->v->compare_shift;
    if (i < 0 || i >= 6) {
        return;
    }
    if (s->v->compare_bool && (arg & s->v->compare_bool)) {
        pyi_buf_printf(out, "bool(%s)", pyi_cmp_op[i]);
    } else {
        pyi_buf_puts(out, pyi_cmp_op[i]);
    }
}

static void pyi_intrinsic(const char *const *descs, int n, int arg, struct pyi_buf *out)
{
    if (arg >= 0 && arg < n && descs[arg]) {
        pyi_buf_puts(out, descs[arg]);
    }
}

/* argrepr of _get_instructions_bytes (3.13: ArgResolver.get_argval_argrepr) */
static void pyi_argrepr(struct pyi_session *s, const struct pyi_code *c, int op, int arg,
                        int offset, struct pyi_buf *out)
{
    const struct pyi_opdata *o = s->v->ops;
    switch (pyi_argkind(s, op)) {
    case PYI_ARG_CONST:
        pyi_const_repr(s, c->consts, arg, out);
        break;
    case PYI_ARG_NAME:
        pyi_tuple_str(s, c->names, arg, out);
        break;
    case PYI_ARG_GLOBAL:
        pyi_null_name(s, c, arg >> 1, arg & 1, "NULL", out);
        break;
    case PYI_ARG_ATTR:
        pyi_null_name(s, c, arg >> 1, arg & 1, "NULL|self", out);
        break;
    case PYI_ARG_SUPER_ATTR:
        pyi_null_name(s, c, arg >> 2, arg & 1, "NULL|self", out);
        break;
    case PYI_ARG_JREL:
    case PYI_ARG_JREL_BACK:
    case PYI_ARG_JABS:
        pyi_buf_printf(out, "to %d", pyi_code_jump_target(s, c, (size_t)offset / 2));
        break;
    case PYI_ARG_LOCAL:
        pyi_local_name(c, arg, out);
        break;
    case PYI_ARG_CELL: /* 3.10: co_cellvars + co_freevars, after the co_nlocals locals */
        pyi_local_name(c, c->nlocals + arg, out);
        break;
    case PYI_ARG_LOCAL2:
        pyi_local_name(c, arg >> 4, out);
        pyi_buf_puts(out, ", ");
        pyi_local_name(c, arg & 15, out);
        break;
    case PYI_ARG_COMPARE:
        pyi_compare(s, arg, out);
        break;
    case PYI_ARG_FORMAT:
        pyi_buf_puts(out, pyi_format_conv[arg & 3]);
        if (arg & 4) {
            pyi_buf_puts(out, out->len ? ", with format" : "with format");
        }
        break;
    case PYI_ARG_CONVERT:
        pyi_buf_puts(out, pyi_format_conv[arg & 3]);
        break;
    case PYI_ARG_MAKEFUNC:
        pyi_join_flags(arg, out);
        break;
    case PYI_ARG_BINOP:
        if (arg >= 0 && (size_t)arg < sizeof pyi_nb_ops / sizeof pyi_nb_ops[0]) {
            pyi_buf_puts(out, pyi_nb_ops[arg]);
        }
        break;
    case PYI_ARG_INTRINSIC1:
        pyi_intrinsic(o->intrinsic1, o->nintrinsic1, arg, out);
        break;
    case PYI_ARG_INTRINSIC2:
        pyi_intrinsic(o->intrinsic2, o->nintrinsic2, arg, out);
        break;
    default:
        break;
    }
}

struct pyi_dis_layout {
    int lineno_width, offset_width;
};

static struct pyi_dis_layout pyi_dis_widths(struct pyi_session *s, const struct pyi_code *c)
{
    struct pyi_dis_layout l = {0, 4};
    int maxline = -1;
    for (size_t i = 0; i < c->ncodeunits; i += 1 + (size_t)pyi_ncaches(s, c->deopt[2 * i])) {
        if (c->lines[i] != -1 && c->lines[i] != c->ilastline[i] && c->lines[i] > maxline) {
            maxline = c->lines[i];
        }
    }
    if (maxline >= 0) {
        char b[16];
        l.lineno_width = maxline >= 1000 ? snprintf(b, sizeof b, "%d", maxline) : 3;
    }
    int maxoffset = (int)c->ncodeunits * 2 - 2;
    if (maxoffset >= 10000) {
        char b[16];
        l.offset_width = snprintf(b, sizeof b, "%d", maxoffset);
    }
    return l;
}

struct pyi_dis_out {
    int (*fn)(void *ctx, const char *text, bool current);
    void *ctx;
};

/* Instruction._disassemble */
static int pyi_dis_line(struct pyi_session *s, const struct pyi_dis_out *out,
                        const struct pyi_code *c, const struct pyi_dis_layout *l, size_t i, int arg,
                        int lasti)
{
    struct pyi_buf b;
    pyi_buf_init(&b);
    int op = c->deopt[2 * i], line = c->lines[i];
    bool starts = line != -1 && line != c->ilastline[i];
    if (l->lineno_width) {
        if (starts) {
            pyi_buf_printf(&b, "%*d ", l->lineno_width, line);
        } else {
            pyi_buf_printf(&b, "%*s ", l->lineno_width, "");
        }
    }
    /* the frame's f_lasti may be one of the instruction's caches (a Python-to-Python CALL
     * leaves prev_instr on its last cache): mark the instruction that owns it */
    int first = (int)i * 2, last = first + 2 * pyi_ncaches(s, op);
    bool current = lasti >= first && lasti <= last;
    pyi_buf_puts(&b, current ? "--> " : "    ");
    pyi_buf_puts(&b, c->labels[i] ? ">> " : "   ");
    pyi_buf_printf(&b, "%*d ", l->offset_width, (int)i * 2);
    const char *name = pyi_opname(s, op);
    char unknown[16];
    if (!name) {
        snprintf(unknown, sizeof unknown, "<%d>", op);
        name = unknown;
    }
    pyi_buf_printf(&b, "%-*s", PYI_OPNAME_WIDTH, name);
    if (pyi_argkind(s, op) != PYI_ARG_NONE) {
        pyi_buf_printf(&b, " %*d", PYI_OPARG_WIDTH, arg);
        struct pyi_buf ar;
        pyi_buf_init(&ar);
        pyi_argrepr(s, c, op, arg, (int)i * 2, &ar);
        if (ar.len) {
            pyi_buf_printf(&b, " (%s)", ar.data);
        }
        pyi_buf_free(&ar);
    }
    while (b.len && b.data[b.len - 1] == ' ') { /* ' '.join(fields).rstrip() */
        b.data[--b.len] = '\0';
    }
    int stop = out->fn(out->ctx, b.data ? b.data : "", current);
    pyi_buf_free(&b);
    return stop;
}

static int pyi_dis_exctable(const struct pyi_code *c, const struct pyi_dis_out *out)
{
    size_t pos = 0;
    int start, end, target, depth;
    bool lasti, first = true;
    char row[128];
    while (pyi_exc_next(c, &pos, &start, &end, &target, &depth, &lasti)) {
        if (first && out->fn(out->ctx, "ExceptionTable:", false)) {
            return 1;
        }
        first = false;
        snprintf(row, sizeof row, "  %d to %d -> %d [%d]%s", start, end - 2, target, depth,
                 lasti ? " lasti" : "");
        if (out->fn(out->ctx, row, false)) {
            return 1;
        }
    }
    return 0;
}

int pyi_dis_each(struct pyi_session *s, pt_addr code, int lasti,
                 int (*fn)(void *ctx, const char *text, bool current), void *ctx)
{
    struct pyi_code *c;
    struct pyi_dis_out out = {fn, ctx};
    if (pyi_code_get(s, code, &c) != 0 || pyi_code_scan(s, c) != 0) {
        return -1;
    }
    struct pyi_dis_layout l = pyi_dis_widths(s, c);
    long ext = 0; /* _unpack_opargs's extended_arg */
    for (size_t i = 0; i < c->ncodeunits; i += 1 + (size_t)pyi_ncaches(s, c->deopt[2 * i])) {
        int op = c->deopt[2 * i];
        int arg = 0;
        if (pyi_argkind(s, op) != PYI_ARG_NONE) {
            arg = (int)(c->deopt[2 * i + 1] | ext);
            ext = op == s->v->ops->extended_arg ? (long)arg << 8 : 0;
        } else {
            ext = 0;
        }
        int line = c->lines[i];
        if (l.lineno_width && line != -1 && line != c->ilastline[i] && i > 0 &&
            fn(ctx, "", false)) {
            return 0;
        }
        if (pyi_dis_line(s, &out, c, &l, i, arg, lasti)) {
            return 0;
        }
    }
    pyi_dis_exctable(c, &out);
    return 0;
}

static int pyi_dis_print_row(void *ctx, const char *text, bool current)
{
    fprintf(ctx, "%s\n", text);
    return 0;
}

int pyi_print_dis_code(struct pyi_session *s, FILE *out, pt_addr code, int lasti)
{
    return pyi_dis_each(s, code, lasti, pyi_dis_print_row, out);
}

int pyi_print_dis(struct pyi_session *s, FILE *out)
{
    const struct pyi_frame *f;
    if (!pyi_selected_raw(s, &f)) {
        return -1;
    }
    return pyi_print_dis_code(s, out, f->code, f->lasti);
}
