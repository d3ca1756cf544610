/*
 * pyi_repr: repr() of tracee objects, computed from their memory.
 *
 * One renderer per builtin kind (as libpython.py has one proxy class per type), each citing the
 * CPython function whose output it reproduces. An object whose type derives from a builtin
 * without overriding tp_repr renders as that builtin does (int subclasses as ints, set
 * subclasses as `Name({...})`, exceptions as `Name(args)`); any other object, including those
 * whose class defines __repr__ (which only running Python could evaluate), gets object_repr's
 * `<module.Qualname object at 0x...>`. Containers being rendered sit on a stack, so a cycle
 * prints as Python's Py_ReprEnter makes it print (`[...]`, `{...}`, `set(...)`). Caps from
 * struct pyi_repr_opts cut long containers and strings with "...(truncated)" and deep nesting
 * with "..."; anything unreadable becomes `<unreadable ...>`.
 */
#include "pyintrospect/pyi_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PYI_REPR_STACK 1024

struct pyi_rctx {
    struct pyi_session *s;
    struct pyi_buf *out;
    pt_addr stack[PYI_REPR_STACK];
    int depth;
    unsigned flags;   /* PYI_REPR_STRUCTURAL */
    bool inexact;     /* some part is not what repr() would print */
    bool built;       /* some part was built from fields (structural) */
    int in_dict_form; /* rendering inside an instance-dict form: no nested one */
};

static void pyi_r(struct pyi_rctx *c, pt_addr obj);
static bool pyi_r_meta_repr(struct pyi_rctx *c, pt_addr cls);
static bool pyi_r_structural(struct pyi_rctx *c, const struct pyi_objinfo *oi);

static void pyi_r_unreadable(struct pyi_rctx *c, const char *what, pt_addr obj)
{
    c->inexact = true;
    pyi_buf_printf(c->out, "<unreadable %s at 0x%llx>", what, (unsigned long long)obj);
}

static bool pyi_r_enter(struct pyi_rctx *c, pt_addr obj)
{
    for (int i = 0; i < c->depth; i++) {
        if (c->stack[i] == obj) {
            return false;
        }
    }
    if (c->depth < PYI_REPR_STACK) {
        c->stack[c->depth] = obj;
    }
    c->depth++;
    return true;
}

static void pyi_r_leave(struct pyi_rctx *c)
{
    c->depth--;
}

static bool pyi_r_too_deep(struct pyi_rctx *c)
{
    int max = c->s->repr.max_depth;
    return (max > 0 && c->depth >= max) || c->depth >= PYI_REPR_STACK;
}

/* ---- scalars -------------------------------------------------------------------------------- */

static void pyi_r_int(struct pyi_rctx *c, pt_addr obj)
{
    if (pyi_long_repr(c->s, obj, c->s->repr.max_str, c->out) != 0) {
        pyi_r_unreadable(c, "int", obj);
    }
}

/* float_repr */
static void pyi_r_float(struct pyi_rctx *c, pt_addr obj)
{
    double v;
    if (pyi_read(c->s, obj + (pt_addr)c->s->m[PYI_F_FLOAT_VAL].off, &v, sizeof v) != 0) {
        pyi_r_unreadable(c, "float", obj);
        return;
    }
    pyi_float_repr(v, true, false, c->out);
}

/* complex_repr */
static void pyi_r_complex(struct pyi_rctx *c, pt_addr obj)
{
    double re, im;
    if (pyi_read(c->s, obj + (pt_addr)c->s->m[PYI_F_COMPLEX_REAL].off, &re, sizeof re) != 0 ||
        pyi_read(c->s, obj + (pt_addr)c->s->m[PYI_F_COMPLEX_IMAG].off, &im, sizeof im) != 0) {
        pyi_r_unreadable(c, "complex", obj);
        return;
    }
    if (re == 0 && !signbit(re)) {
        pyi_float_repr(im, false, false, c->out);
        pyi_buf_putc(c->out, 'j');
        return;
    }
    pyi_buf_putc(c->out, '(');
    pyi_float_repr(re, false, false, c->out);
    pyi_float_repr(im, false, true, c->out);
    pyi_buf_puts(c->out, "j)");
}

static void pyi_r_str(struct pyi_rctx *c, pt_addr obj)
{
    struct pyi_ustr u;
    if (pyi_str_read(c->s, obj, c->s->repr.max_str, &u) != 0) {
        pyi_r_unreadable(c, "str", obj);
        return;
    }
    pyi_str_repr_cps(c->s, u.cp, u.len, u.len < u.full_len, c->out);
    free(u.cp);
}

/* PyBytes_Repr with smartquotes */
static void pyi_bytes_repr(struct pyi_buf *out, const uint8_t *b, size_t n, bool truncated)
{
    static const char hex[] = "0123456789abcdef";
    bool sq = memchr(b, '\'', n) != NULL, dq = memchr(b, '"', n) != NULL;
    char quote = (sq && !dq) ? '"' : '\'';
    pyi_buf_putc(out, 'b');
    pyi_buf_putc(out, quote);
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = b[i];
        if (ch == (uint8_t)quote || ch == '\\') {
            pyi_buf_putc(out, '\\');
            pyi_buf_putc(out, (char)ch);
        } else if (ch == '\t') {
            pyi_buf_puts(out, "\\t");
        } else if (ch == '\n') {
            pyi_buf_puts(out, "\\n");
        } else if (ch == '\r') {
            pyi_buf_puts(out, "\\r");
        } else if (ch < ' ' || ch >= 0x7f) {
            pyi_buf_printf(out, "\\x%c%c", hex[ch >> 4], hex[ch & 15]);
        } else {
            pyi_buf_putc(out, (char)ch);
        }
    }
    pyi_buf_putc(out, quote);
    if (truncated) {
        pyi_buf_puts(out, "...(truncated)");
    }
}

/* bytes_repr / bytearray_repr (`Name(b'...')` with _PyType_Name) */
static void pyi_r_bytes(struct pyi_rctx *c, const struct pyi_objinfo *oi)
{
    int64_t n;
    pt_addr data = oi->addr + (pt_addr)c->s->m[PYI_F_BYTES_SVAL].off;
    bool ba = oi->kind == PYI_K_BYTEARRAY;
    if (pyi_rd(c->s, oi->addr, PYI_F_OB_SIZE, &n) != 0 || n < 0 || n > PYI_MAX_STR ||
        (ba && pyi_rd_ptr(c->s, oi->addr, PYI_F_BA_START, &data) != 0)) {
        pyi_r_unreadable(c, ba ? "bytearray" : "bytes", oi->addr);
        return;
    }
    size_t len = (size_t)n, max = c->s->repr.max_str;
    bool cut = max && len > max;
    if (cut) {
        len = max;
    }
    uint8_t *b = malloc(len + 1);
    if (!b || (len && (!data || pyi_read(c->s, data, b, len) != 0))) {
        free(b);
        pyi_r_unreadable(c, ba ? "bytearray" : "bytes", oi->addr);
        return;
    }
    char *name = NULL;
    if (ba && pyi_type_shortname(c->s, oi->type, &name) == 0) {
        pyi_buf_printf(c->out, "%s(", name);
    }
    pyi_bytes_repr(c->out, b, len, cut);
    if (name) {
        pyi_buf_putc(c->out, ')');
    }
    free(name);
    free(b);
}

/* ---- containers ----------------------------------------------------------------------------- */

static void pyi_r_truncated(struct pyi_rctx *c, bool first)
{
    c->inexact = true;
    pyi_buf_puts(c->out, first ? "...(truncated)" : ", ...(truncated)");
}

/* list_repr / tuple_repr */
static void pyi_r_seq(struct pyi_rctx *c, const struct pyi_objinfo *oi)
{
    bool list = oi->kind == PYI_K_LIST;
    const char *open = list ? "[" : "(", *close = list ? "]" : ")";
    pt_addr *items;
    size_t n, full;
    if (pyi_seq_items(c->s, oi->addr, oi->kind, &items, &n, c->s->repr.max_items, &full) != 0) {
        pyi_r_unreadable(c, list ? "list" : "tuple", oi->addr);
        return;
    }
    if (full == 0) {
        pyi_buf_puts(c->out, list ? "[]" : "()");
    } else if (!pyi_r_enter(c, oi->addr)) {
        pyi_buf_printf(c->out, "%s...%s", open, close);
    } else {
        pyi_buf_puts(c->out, open);
        for (size_t i = 0; i < n; i++) {
            if (i) {
                pyi_buf_puts(c->out, ", ");
            }
            pyi_r(c, items[i]);
        }
        if (n < full) {
            pyi_r_truncated(c, n == 0);
        } else if (!list && full == 1) {
            pyi_buf_putc(c->out, ',');
        }
        pyi_buf_puts(c->out, close);
        pyi_r_leave(c);
    }
    free(items);
}

struct pyi_dict_rctx {
    struct pyi_rctx *c;
    size_t n;
    bool cut;
};

static int pyi_r_dict_item(void *ctx, pt_addr key, pt_addr value)
{
    struct pyi_dict_rctx *d = ctx;
    size_t max = d->c->s->repr.max_items;
    if (max && d->n >= max) {
        d->cut = true;
        return 1;
    }
    if (d->n++) {
        pyi_buf_puts(d->c->out, ", ");
    }
    pyi_r(d->c, key);
    pyi_buf_puts(d->c->out, ": ");
    pyi_r(d->c, value);
    return 0;
}

/* dict_repr */
static void pyi_r_dict(struct pyi_rctx *c, pt_addr obj)
{
    int64_t used;
    if (pyi_rd(c->s, obj, PYI_F_DICT_USED, &used) != 0) {
        pyi_r_unreadable(c, "dict", obj);
        return;
    }
    if (used == 0) {
        pyi_buf_puts(c->out, "{}");
        return;
    }
    if (!pyi_r_enter(c, obj)) {
        pyi_buf_puts(c->out, "{...}");
        return;
    }
    struct pyi_dict_rctx d = {c, 0, false};
    pyi_buf_putc(c->out, '{');
    if (c->s->v->dict_iter(c->s, obj, pyi_r_dict_item, &d) != 0) {
        pyi_buf_puts(c->out, d.n ? ", " : "");
        pyi_r_unreadable(c, "dict entries", obj);
    }
    if (d.cut) {
        pyi_r_truncated(c, d.n == 0);
    }
    pyi_buf_putc(c->out, '}');
    pyi_r_leave(c);
}

/* The keys of a set in table order (set_next), skipping empty and dummy slots; the table is
 * read a chunk at a time and reading stops once max keys are found. */
int pyi_set_keys(struct pyi_session *s, pt_addr obj, size_t max, pt_addr **keys, size_t *n,
                 bool *cut)
{
    enum { CHUNK = 1024 };
    int64_t mask, used;
    pt_addr table, dummy = 0;
    *keys = NULL;
    *n = 0;
    *cut = false;
    if (pyi_rd(s, obj, PYI_F_SET_MASK, &mask) != 0 || pyi_rd(s, obj, PYI_F_SET_USED, &used) != 0 ||
        pyi_rd_ptr(s, obj, PYI_F_SET_TABLE, &table) != 0 ||
        pyi_read_ptr(s, s->sym[PYI_Y_SET_DUMMY], &dummy) != 0) {
        return -1;
    }
    if (mask < 0 || mask >= (1LL << PYI_MAX_DICT_LOG2) || ((mask + 1) & mask) != 0 || used < 0 ||
        used > mask + 1) {
        return pt_fail("implausible set (mask %lld, used %lld)", (long long)mask, (long long)used);
    }
    size_t slots = (size_t)mask + 1, esz = (size_t)s->size[PYI_S_SETENTRY];
    size_t want = max && (size_t)used > max ? max : (size_t)used;
    uint8_t *raw = malloc(CHUNK * esz);
    *keys = malloc((want ? want : 1) * sizeof **keys);
    if (!raw || !*keys) {
        free(raw);
        free(*keys);
        *keys = NULL;
        return pt_fail("out of memory");
    }
    int rc = 0;
    for (size_t i = 0; i < slots && *n < want && rc == 0; i += CHUNK) {
        size_t cnt = slots - i < CHUNK ? slots - i : CHUNK;
        if (pyi_read(s, table + i * esz, raw, cnt * esz) != 0) {
            rc = -1;
            break;
        }
        for (size_t j = 0; j < cnt && *n < want; j++) {
            pt_addr k;
            memcpy(&k, raw + j * esz + s->m[PYI_F_SETENTRY_KEY].off, sizeof k);
            if (k && k != dummy) {
                (*keys)[(*n)++] = k;
            }
        }
    }
    free(raw);
    *cut = rc == 0 && *n < (size_t)used;
    if (rc != 0) {
        free(*keys);
        *keys = NULL;
    }
    return rc;
}

/* set_repr (frozenset and subclasses: `Name({...})`, empty: `Name()`) */
static void pyi_r_set(struct pyi_rctx *c, const struct pyi_objinfo *oi)
{
    char *tpname = NULL;
    pt_addr *keys;
    size_t n;
    bool cut;
    bool named = !(oi->kind == PYI_K_SET && oi->exact);
    if (pyi_type_tpname(c->s, oi->type, &tpname) != 0 ||
        pyi_set_keys(c->s, oi->addr, c->s->repr.max_items, &keys, &n, &cut) != 0) {
        free(tpname);
        pyi_r_unreadable(c, "set", oi->addr);
        return;
    }
    if (!pyi_r_enter(c, oi->addr)) {
        pyi_buf_printf(c->out, "%s(...)", tpname);
    } else {
        if (n == 0 && !cut) {
            pyi_buf_printf(c->out, "%s()", tpname);
        } else {
            if (named) {
                pyi_buf_printf(c->out, "%s({", tpname);
            } else {
                pyi_buf_putc(c->out, '{');
            }
            for (size_t i = 0; i < n; i++) {
                if (i) {
                    pyi_buf_puts(c->out, ", ");
                }
                pyi_r(c, keys[i]);
            }
            if (cut) {
                pyi_r_truncated(c, n == 0);
            }
            pyi_buf_puts(c->out, named ? "})" : "}");
        }
        pyi_r_leave(c);
    }
    free(keys);
    free(tpname);
}

/* range_repr */
static void pyi_r_range(struct pyi_rctx *c, pt_addr obj)
{
    pt_addr start, stop, step;
    int64_t istep;
    bool ovf;
    if (pyi_rd_ptr(c->s, obj, PYI_F_RANGE_START, &start) != 0 ||
        pyi_rd_ptr(c->s, obj, PYI_F_RANGE_STOP, &stop) != 0 ||
        pyi_rd_ptr(c->s, obj, PYI_F_RANGE_STEP, &step) != 0 ||
        pyi_long_value(c->s, step, &istep, &ovf) != 0) {
        pyi_r_unreadable(c, "range", obj);
        return;
    }
    pyi_buf_puts(c->out, "range(");
    pyi_r(c, start);
    pyi_buf_puts(c->out, ", ");
    pyi_r(c, stop);
    if (istep != 1 || ovf) {
        pyi_buf_puts(c->out, ", ");
        pyi_r(c, step);
    }
    pyi_buf_putc(c->out, ')');
}

/* ---- labelled forms ------------------------------------------------------------------------- */

static void pyi_r_strfield(struct pyi_rctx *c, pt_addr obj, enum pyi_field f, const char *dflt)
{
    pt_addr p;
    char *t = NULL;
    if (pyi_rd_ptr(c->s, obj, f, &p) == 0 && p && pyi_str_utf8(c->s, p, &t) == 0) {
        pyi_buf_puts(c->out, t);
        free(t);
    } else {
        pyi_buf_puts(c->out, dflt);
    }
}

/* object_repr */
static void pyi_r_object(struct pyi_rctx *c, pt_addr obj, pt_addr type)
{
    char *mod = NULL, *qual = NULL;
    if (pyi_type_module_qualname(c->s, type, &mod, &qual) != 0 || !mod || !qual) {
        char *tp = NULL;
        if (pyi_type_tpname(c->s, type, &tp) == 0) {
            pyi_buf_printf(c->out, "<%s object at 0x%llx>", tp, (unsigned long long)obj);
        } else {
            pyi_r_unreadable(c, "object", obj);
        }
        free(tp);
    } else if (strcmp(mod, "builtins") != 0) {
        pyi_buf_printf(c->out, "<%s.%s object at 0x%llx>", mod, qual, (unsigned long long)obj);
    } else {
        char *tp = NULL;
        pyi_type_tpname(c->s, type, &tp);
        pyi_buf_printf(c->out, "<%s object at 0x%llx>", tp ? tp : qual, (unsigned long long)obj);
        free(tp);
    }
    free(mod);
    free(qual);
}

/* type_repr */
static void pyi_r_type(struct pyi_rctx *c, pt_addr type)
{
    char *mod = NULL, *qual = NULL;
    if (pyi_type_module_qualname(c->s, type, &mod, &qual) != 0 || !qual) {
        pyi_r_unreadable(c, "class", type);
    } else if (mod && strcmp(mod, "builtins") != 0) {
        pyi_buf_printf(c->out, "<class '%s.%s'>", mod, qual);
    } else {
        pyi_buf_printf(c->out, "<class '%s'>", qual);
    }
    free(mod);
    free(qual);
}

/* func_repr */
static void pyi_r_function(struct pyi_rctx *c, pt_addr obj)
{
    pyi_buf_puts(c->out, "<function ");
    pyi_r_strfield(c, obj, PYI_F_FUNC_QUALNAME, "?");
    pyi_buf_printf(c->out, " at 0x%llx>", (unsigned long long)obj);
}

/* method_repr: `<bound method QUALNAME of REPR(self)>` */
static void pyi_r_method(struct pyi_rctx *c, pt_addr obj)
{
    pt_addr func, self;
    struct pyi_objinfo fi;
    if (pyi_rd_ptr(c->s, obj, PYI_F_METH_FUNC, &func) != 0 ||
        pyi_rd_ptr(c->s, obj, PYI_F_METH_SELF, &self) != 0 ||
        pyi_obj_classify(c->s, func, &fi) != 0) {
        pyi_r_unreadable(c, "method", obj);
        return;
    }
    pyi_buf_puts(c->out, "<bound method ");
    if (fi.kind == PYI_K_FUNCTION) {
        pyi_r_strfield(c, func, PYI_F_FUNC_QUALNAME, "?");
    } else {
        pyi_buf_puts(c->out, "?");
    }
    pyi_buf_puts(c->out, " of ");
    pyi_r(c, self);
    pyi_buf_putc(c->out, '>');
}

/* meth_repr (builtin_function_or_method) */
static void pyi_r_cfunction(struct pyi_rctx *c, pt_addr obj)
{
    pt_addr ml, self, namep, stype;
    char name[256];
    struct pyi_objinfo si;
    if (pyi_rd_ptr(c->s, obj, PYI_F_CFUNC_ML, &ml) != 0 ||
        pyi_rd_ptr(c->s, obj, PYI_F_CFUNC_SELF, &self) != 0 ||
        pyi_rd_ptr(c->s, ml, PYI_F_ML_NAME, &namep) != 0 ||
        pt_mem_read_cstr(c->s->mem, namep, name, sizeof name) != 0 || !pyi_utf8_text(name)) {
        pyi_r_unreadable(c, "builtin function", obj);
        return;
    }
    if (!self || (pyi_obj_classify(c->s, self, &si) == 0 && si.kind == PYI_K_MODULE)) {
        pyi_buf_printf(c->out, "<built-in function %s>", name);
        return;
    }
    char *tp = NULL;
    if (pyi_obj_type(c->s, self, &stype) == 0 && pyi_type_tpname(c->s, stype, &tp) == 0) {
        pyi_buf_printf(c->out, "<built-in method %s of %s object at 0x%llx>", name, tp,
                       (unsigned long long)self);
    } else {
        pyi_r_unreadable(c, "builtin method", obj);
    }
    free(tp);
}

/* code_repr */
static void pyi_r_code(struct pyi_rctx *c, pt_addr obj)
{
    struct pyi_code *co;
    if (pyi_code_get(c->s, obj, &co) != 0) {
        pyi_r_unreadable(c, "code object", obj);
        return;
    }
    pyi_buf_printf(c->out, "<code object %s at 0x%llx, file \"%s\", line %d>", co->name,
                   (unsigned long long)obj, co->filename, co->firstlineno);
}

/* cell_repr */
static void pyi_r_cell(struct pyi_rctx *c, pt_addr obj)
{
    pt_addr ref, t;
    char *tp = NULL;
    if (pyi_rd_ptr(c->s, obj, PYI_F_CELL_REF, &ref) != 0) {
        pyi_r_unreadable(c, "cell", obj);
    } else if (!ref) {
        pyi_buf_printf(c->out, "<cell at 0x%llx: empty>", (unsigned long long)obj);
    } else if (pyi_obj_type(c->s, ref, &t) == 0 && pyi_type_tpname(c->s, t, &tp) == 0) {
        pyi_buf_printf(c->out, "<cell at 0x%llx: %.80s object at 0x%llx>", (unsigned long long)obj,
                       tp, (unsigned long long)ref);
    } else {
        pyi_r_unreadable(c, "cell", obj);
    }
    free(tp);
}

/* An attribute of an object that keeps its attributes in a dict (modules, module specs): 0 if
 * absent or unreadable. */
static pt_addr pyi_attr_of(struct pyi_rctx *c, pt_addr obj, const char *name)
{
    struct pyi_objinfo oi;
    pt_addr dict = 0, v = 0;
    if (pyi_obj_classify(c->s, obj, &oi) != 0) {
        return 0;
    }
    if (oi.kind == PYI_K_MODULE) {
        if (pyi_rd_ptr(c->s, obj, PYI_F_MOD_DICT, &dict) != 0 || !dict ||
            pyi_dict_get_str(c->s, dict, name, &v) != 0) {
            return 0;
        }
        return v;
    }
    return pyi_instance_attr(c->s, obj, oi.type, name, &v) == 0 ? v : 0;
}

static bool pyi_is_none(struct pyi_rctx *c, pt_addr obj)
{
    return !obj || obj == c->s->sym[PYI_Y_NONE];
}

/* importlib._bootstrap._module_repr_from_spec */
static bool pyi_r_module_spec(struct pyi_rctx *c, pt_addr spec)
{
    pt_addr name = pyi_attr_of(c, spec, "name"), origin = pyi_attr_of(c, spec, "origin");
    pt_addr loader = pyi_attr_of(c, spec, "loader");
    pt_addr has_loc = pyi_attr_of(c, spec, "_set_fileattr");
    if (!name) {
        return false;
    }
    pyi_buf_puts(c->out, "<module ");
    pyi_r(c, name);
    if (pyi_is_none(c, origin)) {
        if (!pyi_is_none(c, loader)) {
            pyi_buf_puts(c->out, " (");
            pyi_r(c, loader);
            pyi_buf_putc(c->out, ')');
        }
    } else if (has_loc == c->s->sym[PYI_Y_TRUE]) {
        pyi_buf_puts(c->out, " from ");
        pyi_r(c, origin);
    } else {
        char *o = NULL;
        pyi_str_utf8(c->s, origin, &o);
        pyi_buf_printf(c->out, " (%s)", o ? o : "?");
        free(o);
    }
    pyi_buf_putc(c->out, '>');
    return true;
}

/* module_repr -> importlib._bootstrap._module_repr */
static void pyi_r_module(struct pyi_rctx *c, pt_addr obj)
{
    pt_addr spec = pyi_attr_of(c, obj, "__spec__");
    if (!pyi_is_none(c, spec) && pyi_r_module_spec(c, spec)) {
        return;
    }
    pt_addr name = pyi_attr_of(c, obj, "__name__"), file = pyi_attr_of(c, obj, "__file__");
    pt_addr loader = pyi_attr_of(c, obj, "__loader__");
    pyi_buf_puts(c->out, "<module ");
    if (name) {
        pyi_r(c, name);
    } else {
        pyi_buf_puts(c->out, "'?'");
    }
    if (file) {
        pyi_buf_puts(c->out, " from ");
        pyi_r(c, file);
    } else if (!pyi_is_none(c, loader)) {
        pyi_buf_puts(c->out, " (");
        pyi_r(c, loader);
        pyi_buf_putc(c->out, ')');
    }
    pyi_buf_putc(c->out, '>');
}

/* BaseException_repr: `Name(arg)` for one argument, else `Name` + repr(args) */
static void pyi_r_exception(struct pyi_rctx *c, const struct pyi_objinfo *oi)
{
    char *name = NULL;
    pt_addr args, *items = NULL;
    size_t n;
    if (pyi_type_shortname(c->s, oi->type, &name) != 0 ||
        pyi_rd_ptr(c->s, oi->addr, PYI_F_EXC_ARGS, &args) != 0 || !args ||
        pyi_tuple_items(c->s, args, &items, &n) != 0) {
        free(name);
        pyi_r_unreadable(c, "exception", oi->addr);
        return;
    }
    pyi_buf_puts(c->out, name);
    if (n == 1) {
        pyi_buf_putc(c->out, '(');
        pyi_r(c, items[0]);
        pyi_buf_putc(c->out, ')');
    } else {
        pyi_r(c, args);
    }
    free(items);
    free(name);
}

/* ---- objects whose repr needs code ---------------------------------------------------------- */

/* A class whose metaclass defines __repr__ (enum classes: `<enum 'Color'>`). */
static bool pyi_r_meta_repr(struct pyi_rctx *c, pt_addr cls)
{
    pt_addr meta, r1, r2;
    return pyi_obj_type(c->s, cls, &meta) == 0 && meta != c->s->sym[PYI_Y_TYPE_TYPE] &&
           pyi_rd_ptr(c->s, meta, PYI_F_TP_REPR, &r1) == 0 &&
           pyi_rd_ptr(c->s, c->s->sym[PYI_Y_TYPE_TYPE], PYI_F_TP_REPR, &r2) == 0 && r1 != r2;
}

struct pyi_field_ctx {
    struct pyi_rctx *c;
    size_t n;
};

static int pyi_r_field_cb(void *vctx, pt_addr key, pt_addr value)
{
    struct pyi_field_ctx *f = vctx;
    char *name = NULL;
    if (pyi_str_utf8(f->c->s, key, &name) != 0) {
        return 0;
    }
    size_t len = strlen(name);
    if (!(len > 4 && strncmp(name, "__", 2) == 0 && strcmp(name + len - 2, "__") == 0)) {
        pyi_buf_printf(f->c->out, "%s%s=", f->n++ ? ", " : "", name);
        pyi_r(f->c, value);
    }
    free(name);
    return 0;
}

/* A named tuple: `Name(field=value, ...)` from the class's _fields. */
static bool pyi_r_namedtuple(struct pyi_rctx *c, const struct pyi_objinfo *oi, const char *name)
{
    pt_addr fields, *names = NULL, *items = NULL;
    size_t nn, ni, full;
    struct pyi_objinfo fi;
    if (oi->kind != PYI_K_TUPLE || pyi_type_lookup(c->s, oi->type, "_fields", &fields) != 0 ||
        !fields || pyi_obj_classify(c->s, fields, &fi) != 0 || fi.kind != PYI_K_TUPLE ||
        pyi_tuple_items(c->s, fields, &names, &nn) != 0) {
        pt_err_clear();
        return false;
    }
    bool ok = pyi_seq_items(c->s, oi->addr, PYI_K_TUPLE, &items, &ni, 0, &full) == 0 && ni == nn;
    if (ok) {
        pyi_buf_printf(c->out, "%s(", name);
        for (size_t i = 0; i < ni; i++) {
            char *f = NULL;
            pyi_str_utf8(c->s, names[i], &f);
            pyi_buf_printf(c->out, "%s%s=", i ? ", " : "", f ? f : "?");
            free(f);
            pyi_r(c, items[i]);
        }
        pyi_buf_putc(c->out, ')');
    }
    free(names);
    free(items);
    pt_err_clear();
    return ok;
}

/* An enum member: `<Class.NAME: value>` from its _name_ and _value_. */
static bool pyi_r_enum(struct pyi_rctx *c, const struct pyi_objinfo *oi, const char *name)
{
    pt_addr n = pyi_attr_of(c, oi->addr, "_name_"), v = pyi_attr_of(c, oi->addr, "_value_");
    char *member = NULL;
    if (!n || !v || pyi_str_utf8(c->s, n, &member) != 0) {
        pt_err_clear();
        return false;
    }
    pyi_buf_printf(c->out, "<%s.%s: ", name, member);
    pyi_r(c, v);
    pyi_buf_putc(c->out, '>');
    free(member);
    return true;
}

/* Anything else with an instance dict (dataclasses, classes with their own __repr__):
 * `Name(attr=value, ...)` from the dict, dunder attributes left out; not nested in another such
 * form (objects inside it with their own repr show as object.__repr__ does). */
static bool pyi_r_from_dict(struct pyi_rctx *c, const struct pyi_objinfo *oi, const char *name)
{
    struct pyi_field_ctx f = {c, 0};
    bool found;
    size_t mark = c->out->len;
    if (c->in_dict_form) {
        return false;
    }
    pyi_buf_printf(c->out, "%s(", name);
    c->in_dict_form++;
    int rc = c->s->v->instance_attrs(c->s, oi->addr, oi->type, pyi_r_field_cb, &f, &found);
    c->in_dict_form--;
    if (rc != 0 || !found) {
        c->out->len = mark;
        pt_err_clear();
        return false;
    }
    pyi_buf_putc(c->out, ')');
    return true;
}

/* datetime objects: their repr from their C fields (the tzinfo rendered recursively). */
static bool pyi_r_datetime(struct pyi_rctx *c, const struct pyi_objinfo *oi)
{
    pt_addr tz;
    if (!pyi_datetime_fields(c->s, oi->addr, oi->type, c->out, &tz)) {
        return false;
    }
    if (tz) {
        pyi_buf_puts(c->out, ", tzinfo=");
        pyi_r(c, tz);
    }
    pyi_buf_putc(c->out, ')');
    return true;
}

/* The structural form `pytt dump` shows for an object whose repr() needs code. */
static bool pyi_r_structural(struct pyi_rctx *c, const struct pyi_objinfo *oi)
{
    char *name = NULL;
    if (pyi_r_datetime(c, oi)) {
        return true;
    }
    if (pyi_type_shortname(c->s, oi->type, &name) != 0) {
        pt_err_clear();
        return false;
    }
    bool ok = false;
    if (pyi_r_enter(c, oi->addr)) {
        ok = pyi_r_namedtuple(c, oi, name) || pyi_r_enum(c, oi, name) ||
             pyi_r_from_dict(c, oi, name);
        pyi_r_leave(c);
    }
    free(name);
    return ok;
}

/* ---- dispatch ------------------------------------------------------------------------------- */

static void pyi_r_kind(struct pyi_rctx *c, const struct pyi_objinfo *oi)
{
    pt_addr obj = oi->addr;
    switch (oi->kind) {
    case PYI_K_NONE:
        pyi_buf_puts(c->out, "None");
        break;
    case PYI_K_ELLIPSIS:
        pyi_buf_puts(c->out, "Ellipsis");
        break;
    case PYI_K_NOTIMPL:
        pyi_buf_puts(c->out, "NotImplemented");
        break;
    case PYI_K_BOOL:
        pyi_buf_puts(c->out, obj == c->s->sym[PYI_Y_TRUE] ? "True" : "False");
        break;
    case PYI_K_INT:
        pyi_r_int(c, obj);
        break;
    case PYI_K_FLOAT:
        pyi_r_float(c, obj);
        break;
    case PYI_K_COMPLEX:
        pyi_r_complex(c, obj);
        break;
    case PYI_K_STR:
        pyi_r_str(c, obj);
        break;
    case PYI_K_BYTES:
    case PYI_K_BYTEARRAY:
        pyi_r_bytes(c, oi);
        break;
    case PYI_K_LIST:
    case PYI_K_TUPLE:
        pyi_r_seq(c, oi);
        break;
    case PYI_K_DICT:
        pyi_r_dict(c, obj);
        break;
    case PYI_K_SET:
    case PYI_K_FROZENSET:
        pyi_r_set(c, oi);
        break;
    case PYI_K_RANGE:
        pyi_r_range(c, obj);
        break;
    case PYI_K_FUNCTION:
        pyi_r_function(c, obj);
        break;
    case PYI_K_METHOD:
        pyi_r_method(c, obj);
        break;
    case PYI_K_CFUNCTION:
        pyi_r_cfunction(c, obj);
        break;
    case PYI_K_MODULE:
        pyi_r_module(c, obj);
        break;
    case PYI_K_CODE:
        pyi_r_code(c, obj);
        break;
    case PYI_K_CELL:
        pyi_r_cell(c, obj);
        break;
    case PYI_K_TYPE:
        pyi_r_type(c, obj);
        break;
    case PYI_K_EXCEPTION:
        pyi_r_exception(c, oi);
        break;
    default:
        pyi_r_object(c, obj, oi->type);
        break;
    }
}

static bool pyi_r_is_container(enum pyi_kind k)
{
    return k == PYI_K_LIST || k == PYI_K_TUPLE || k == PYI_K_DICT || k == PYI_K_SET ||
           k == PYI_K_FROZENSET || k == PYI_K_METHOD || k == PYI_K_EXCEPTION;
}

static void pyi_r(struct pyi_rctx *c, pt_addr obj)
{
    struct pyi_objinfo oi;
    if (!obj) {
        pyi_buf_puts(c->out, "<NULL>");
        return;
    }
    if (c->s->ov.n && pyi_repr_override(c->s, obj, c->out)) {
        return;
    }
    if (pyi_obj_classify(c->s, obj, &oi) != 0) {
        pyi_r_unreadable(c, "object", obj);
        return;
    }
    if (oi.kind == PYI_K_TYPE && pyi_r_meta_repr(c, obj)) {
        c->inexact = true; /* a metaclass __repr__ (enum classes): the class form */
        pyi_r_type(c, obj);
        return;
    }
    if (oi.own_repr) {
        c->inexact = true; /* a __repr__ only the interpreter can run */
        if ((c->flags & PYI_REPR_STRUCTURAL) && pyi_r_structural(c, &oi)) {
            c->built = true;
        } else {
            pyi_r_object(c, obj, oi.type);
        }
        return;
    }
    if (pyi_r_is_container(oi.kind) && pyi_r_too_deep(c)) {
        pyi_buf_puts(c->out, "...");
        return;
    }
    pyi_r_kind(c, &oi);
}

int pyi_repr_ex(struct pyi_session *s, pt_addr obj, unsigned flags, struct pyi_buf *out,
                unsigned *what)
{
    struct pyi_rctx *c = calloc(1, sizeof *c);
    if (!c) {
        return pt_fail("out of memory");
    }
    c->s = s;
    c->out = out;
    c->flags = flags;
    pyi_r(c, obj);
    if (what) {
        *what = (c->inexact ? PYI_REPR_INEXACT : 0) | (c->built ? PYI_REPR_BUILT : 0);
    }
    free(c);
    return 0;
}

int pyi_repr_buf(struct pyi_session *s, pt_addr obj, struct pyi_buf *out)
{
    return pyi_repr_ex(s, obj, 0, out, NULL);
}

int pyi_repr_flags(struct pyi_session *s, pt_addr obj, unsigned flags, char **out, unsigned *what)
{
    struct pyi_buf b;
    pyi_buf_init(&b);
    pyi_repr_ex(s, obj, flags, &b, what);
    *out = pyi_buf_take(&b);
    return *out ? 0 : pt_fail("out of memory");
}

int pyi_repr(struct pyi_session *s, pt_addr obj, char **out)
{
    return pyi_repr_flags(s, obj, 0, out, NULL);
}

/* ---- overrides and collection --------------------------------------------------------------- */

bool pyi_repr_override(struct pyi_session *s, pt_addr obj, struct pyi_buf *out)
{
    for (size_t i = 0; i < s->ov.n; i++) {
        if (s->ov.objs[i] == obj) {
            pyi_buf_puts(out, s->ov.texts[i]);
            return true;
        }
    }
    return false;
}

void pyi_clear_repr_overrides(struct pyi_session *s)
{
    for (size_t i = 0; i < s->ov.n; i++) {
        free(s->ov.texts[i]);
    }
    free(s->ov.objs);
    free(s->ov.texts);
    memset(&s->ov, 0, sizeof s->ov);
}

int pyi_set_repr_overrides(struct pyi_session *s, const pt_addr *objs, char *const *texts, size_t n)
{
    pyi_clear_repr_overrides(s);
    s->ov.objs = calloc(n ? n : 1, sizeof *objs);
    s->ov.texts = calloc(n ? n : 1, sizeof *texts);
    if (!s->ov.objs || !s->ov.texts) {
        pyi_clear_repr_overrides(s);
        return pt_fail("out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        s->ov.objs[s->ov.n] = objs[i];
        s->ov.texts[s->ov.n] = strdup(texts[i] ? texts[i] : "");
        if (s->ov.texts[s->ov.n]) {
            s->ov.n++;
        }
    }
    return 0;
}

void pyi_set_value_style(struct pyi_session *s, unsigned flags)
{
    s->value_style = flags;
}

void pyi_collect_inexact(struct pyi_session *s, bool on)
{
    s->inexact.on = on;
    if (on) {
        s->inexact.n = 0;
    }
}

size_t pyi_inexact_values(struct pyi_session *s, const pt_addr **objs)
{
    *objs = s->inexact.objs;
    return s->inexact.n;
}

/* The printing functions' value renderer: the style, the overrides, collection, and the line's
 * note in structural style. */
int pyi_render_value(struct pyi_session *s, pt_addr obj, char **text, const char **note)
{
    unsigned what = 0;
    *note = "";
    if (pyi_repr_flags(s, obj, s->value_style, text, &what) != 0) {
        return -1;
    }
    if ((what & PYI_REPR_INEXACT) && s->inexact.on) {
        if (s->inexact.n == s->inexact.cap) {
            size_t cap = s->inexact.cap ? s->inexact.cap * 2 : 16;
            pt_addr *o = realloc(s->inexact.objs, cap * sizeof *o);
            if (!o) {
                return pt_fail("out of memory");
            }
            s->inexact.objs = o;
            s->inexact.cap = cap;
        }
        s->inexact.objs[s->inexact.n++] = obj;
    }
    if (s->value_style & PYI_REPR_STRUCTURAL) {
        *note = (what & PYI_REPR_BUILT)     ? "  # built from fields, not repr()"
                : (what & PYI_REPR_INEXACT) ? "  # repr() needs code: not run in a live process"
                                            : "";
    }
    return 0;
}
