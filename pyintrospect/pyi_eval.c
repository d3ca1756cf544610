/*
 * pyi_eval: `print EXPR` without running Python. EXPR is a name followed by attribute accesses
 * and subscripts with int or str literals: `self.items[0].name`, `d['k'][-1]`. Names resolve as
 * in the frame (locals, which include cell and free variables, then globals, then builtins);
 * attributes as PyObject_GenericGetAttr would (data descriptors such as __slots__ members, the
 * instance dict or inline values, then class attributes through the MRO; module attributes from
 * the module dict; class attributes of classes); subscripts on list, tuple and dict. Failures
 * are reported with Python's own messages (NameError, AttributeError, IndexError, KeyError,
 * TypeError); anything that would need Python code to run (a property, __getattr__, a custom
 * __getitem__) is refused with a message saying so.
 */
#include "pyintrospect/pyi_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define PYI_T_OBJECT 6     /* structmember.h T_OBJECT */
#define PYI_T_OBJECT_EX 16 /* structmember.h T_OBJECT_EX */

struct pyi_eval {
    struct pyi_session *s;
    const struct pyi_rawframe *r;
    const char *p;       /* parse position */
    struct pyi_buf err;  /* Python-level error text */
    pt_addr method_self; /* set when the value is a function reached through an instance */
};

static int pyi_ev_error(struct pyi_eval *e, const char *fmt, const char *a, const char *b)
{
    pyi_buf_free(&e->err);
    pyi_buf_printf(&e->err, fmt, a, b ? b : "");
    return PYI_EVAL_PYERR;
}

static void pyi_ev_ws(struct pyi_eval *e)
{
    while (isspace((unsigned char)*e->p)) {
        e->p++;
    }
}

static bool pyi_ev_ident(struct pyi_eval *e, char *buf, size_t cap)
{
    size_t n = 0;
    pyi_ev_ws(e);
    if (!(isalpha((unsigned char)*e->p) || *e->p == '_' || (unsigned char)*e->p >= 0x80)) {
        return false;
    }
    while ((isalnum((unsigned char)*e->p) || *e->p == '_' || (unsigned char)*e->p >= 0x80) &&
           n + 1 < cap) {
        buf[n++] = *e->p++;
    }
    buf[n] = '\0';
    return true;
}

/* ---- names
 * ---------------------------------------------------------------------------------------- */

struct pyi_find_local {
    const char *name;
    pt_addr value;
};

static int pyi_find_local_cb(void *ctx, const char *name, pt_addr value)
{
    struct pyi_find_local *f = ctx;
    if (strcmp(name, f->name) == 0) {
        f->value = value;
        return 1;
    }
    return 0;
}

static int pyi_ev_name(struct pyi_eval *e, const char *name, pt_addr *out)
{
    struct pyi_find_local f = {name, 0};
    if (pyi_frame_locals(e->s, e->r, pyi_find_local_cb, &f) != 0) {
        return -1;
    }
    if (!f.value && e->r->globals && pyi_dict_get_str(e->s, e->r->globals, name, &f.value) != 0) {
        return -1;
    }
    if (!f.value && e->r->builtins) {
        struct pyi_objinfo oi;
        pt_addr bdict = e->r->builtins;
        /* f_builtins is a dict; a module there (__builtins__ of a non-main module) has one */
        if (pyi_obj_classify(e->s, bdict, &oi) == 0 && oi.kind == PYI_K_MODULE &&
            pyi_rd_ptr(e->s, bdict, PYI_F_MOD_DICT, &bdict) != 0) {
            return -1;
        }
        if (pyi_dict_get_str(e->s, bdict, name, &f.value) != 0) {
            return -1;
        }
    }
    if (!f.value) {
        return pyi_ev_error(e, "NameError: name '%s' is not defined", name, NULL);
    }
    *out = f.value;
    return 0;
}

/* ---- attributes
 * ------------------------------------------------------------------------------------ */

struct pyi_find_attr {
    struct pyi_session *s;
    const char *name;
    pt_addr value;
};

static int pyi_find_attr_cb(void *ctx, pt_addr key, pt_addr value)
{
    struct pyi_find_attr *f = ctx;
    bool eq;
    if (pyi_str_eq(f->s, key, f->name, &eq) == 0 && eq) {
        f->value = value;
        return 1;
    }
    return 0;
}

/* A __slots__ member (PyMemberDescrObject -> PyMemberDef) read from the instance. */
static int pyi_ev_member(struct pyi_eval *e, pt_addr obj, pt_addr descr, const char *name,
                         const char *tpname, pt_addr *out)
{
    pt_addr def;
    int64_t type, off;
    if (pyi_rd_ptr(e->s, descr, PYI_F_MEMBERDESCR_MEMBER, &def) != 0 ||
        pyi_rd(e->s, def, PYI_F_MEMBERDEF_TYPE, &type) != 0 ||
        pyi_rd(e->s, def, PYI_F_MEMBERDEF_OFFSET, &off) != 0) {
        return -1;
    }
    if (type != PYI_T_OBJECT && type != PYI_T_OBJECT_EX) {
        return pyi_ev_error(e, "pytt: member '%s' is a C field of '%s' objects (not supported)",
                            name, tpname);
    }
    if (off <= 0 || off > (1 << 20) || pyi_read_ptr(e->s, obj + (pt_addr)off, out) != 0) {
        return -1;
    }
    if (!*out && type == PYI_T_OBJECT_EX) {
        return pyi_ev_error(e, "AttributeError: '%s' object has no attribute '%s'", tpname, name);
    }
    if (!*out) {
        *out = e->s->sym[PYI_Y_NONE];
    }
    return 0;
}

static int pyi_ev_module_attr(struct pyi_eval *e, pt_addr obj, const char *name, pt_addr *out)
{
    pt_addr dict, v = 0, mname = 0;
    char *m = NULL;
    if (pyi_rd_ptr(e->s, obj, PYI_F_MOD_DICT, &dict) != 0 ||
        (dict && pyi_dict_get_str(e->s, dict, name, &v) != 0)) {
        return -1;
    }
    if (v) {
        *out = v;
        return 0;
    }
    if (dict && pyi_dict_get_str(e->s, dict, "__name__", &mname) == 0 && mname) {
        pyi_str_utf8(e->s, mname, &m);
    }
    int r = pyi_ev_error(e, "AttributeError: module '%s' has no attribute '%s'", m ? m : "?", name);
    free(m);
    return r;
}

static int pyi_ev_class_attr(struct pyi_eval *e, pt_addr cls, const char *name, pt_addr *out)
{
    pt_addr v;
    if (pyi_type_lookup(e->s, cls, name, &v) != 0) {
        return -1;
    }
    if (v) {
        *out = v;
        return 0;
    }
    char *tp = NULL;
    pyi_type_shortname(e->s, cls, &tp);
    int r = pyi_ev_error(e, "AttributeError: type object '%s' has no attribute '%s'", tp ? tp : "?",
                         name);
    free(tp);
    return r;
}

/* PyObject_GenericGetAttr */
static int pyi_ev_instance_attr(struct pyi_eval *e, const struct pyi_objinfo *oi, const char *name,
                                pt_addr *out)
{
    pt_addr descr;
    char *tp = NULL;
    struct pyi_objinfo di = {0};
    if (pyi_type_lookup(e->s, oi->type, name, &descr) != 0 ||
        pyi_type_tpname(e->s, oi->type, &tp) != 0) {
        return -1;
    }
    int r = 0;
    if (descr && pyi_obj_classify(e->s, descr, &di) != 0) {
        r = -1;
    } else if (descr && di.kind == PYI_K_MEMBERDESCR) {
        r = pyi_ev_member(e, oi->addr, descr, name, tp, out);
    } else if (descr && di.kind == PYI_K_PROPERTY) {
        r = pyi_ev_error(e,
                         "pytt: '%s' is a property of '%s' objects: evaluating it would run "
                         "Python code",
                         name, tp);
    } else {
        struct pyi_find_attr f = {e->s, name, 0};
        bool found;
        if (e->s->v->instance_attrs(e->s, oi->addr, oi->type, pyi_find_attr_cb, &f, &found) != 0) {
            r = -1;
        } else if (f.value) {
            *out = f.value;
        } else if (descr) {
            *out = descr;
            if (di.kind == PYI_K_FUNCTION) {
                e->method_self = oi->addr;
            }
        } else {
            r = pyi_ev_error(e, "AttributeError: '%s' object has no attribute '%s'", tp, name);
        }
    }
    free(tp);
    return r;
}

static int pyi_ev_attr(struct pyi_eval *e, pt_addr obj, const char *name, pt_addr *out)
{
    struct pyi_objinfo oi;
    if (pyi_obj_classify(e->s, obj, &oi) != 0) {
        return -1;
    }
    if (oi.kind == PYI_K_MODULE) {
        return pyi_ev_module_attr(e, obj, name, out);
    }
    if (oi.kind == PYI_K_TYPE) {
        return pyi_ev_class_attr(e, obj, name, out);
    }
    if (oi.kind == PYI_K_NONE) {
        return pyi_ev_error(e, "AttributeError: 'NoneType' object has no attribute '%s'", name,
                            NULL);
    }
    return pyi_ev_instance_attr(e, &oi, name, out);
}

/* ---- subscripts
 * ------------------------------------------------------------------------------------ */

struct pyi_key {
    bool is_str;
    int64_t i;
    char s[1024];
};

static bool pyi_ev_literal(struct pyi_eval *e, struct pyi_key *k)
{
    pyi_ev_ws(e);
    char q = *e->p;
    if (q == '\'' || q == '"') {
        size_t n = 0;
        e->p++;
        while (*e->p && *e->p != q && n + 1 < sizeof k->s) {
            char c = *e->p++;
            if (c == '\\' && *e->p) {
                c = *e->p++;
                c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
            }
            k->s[n++] = c;
        }
        k->s[n] = '\0';
        if (*e->p != q) {
            return false;
        }
        e->p++;
        k->is_str = true;
        return true;
    }
    char *end;
    k->i = strtoll(e->p, &end, 10);
    if (end == e->p) {
        return false;
    }
    e->p = end;
    k->is_str = false;
    return true;
}

static void pyi_key_repr(struct pyi_eval *e, const struct pyi_key *k, struct pyi_buf *b)
{
    if (!k->is_str) {
        pyi_buf_printf(b, "%lld", (long long)k->i);
        return;
    }
    uint32_t cps[1024];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)k->s; *p && n < 1024; n++) {
        uint32_t c = *p++;
        int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
        c &= more == 3 ? 0x07 : more == 2 ? 0x0f : more == 1 ? 0x1f : 0x7f;
        for (; more > 0 && (*p & 0xc0) == 0x80; more--) {
            c = (c << 6) | (*p++ & 0x3f);
        }
        cps[n] = c;
    }
    pyi_str_repr_cps(e->s, cps, n, false, b);
}

struct pyi_find_key {
    struct pyi_session *s;
    const struct pyi_key *k;
    pt_addr value;
};

static int pyi_find_key_cb(void *ctx, pt_addr key, pt_addr value)
{
    struct pyi_find_key *f = ctx;
    struct pyi_objinfo oi;
    if (pyi_obj_classify(f->s, key, &oi) != 0) {
        return 0;
    }
    bool eq = false;
    if (f->k->is_str && oi.kind == PYI_K_STR) {
        pyi_str_eq(f->s, key, f->k->s, &eq);
    } else if (!f->k->is_str && (oi.kind == PYI_K_INT || oi.kind == PYI_K_BOOL)) {
        int64_t v;
        bool ovf;
        eq = pyi_long_value(f->s, key, &v, &ovf) == 0 && !ovf && v == f->k->i;
    }
    if (eq) {
        f->value = value;
    }
    return eq;
}

static int pyi_ev_subscript(struct pyi_eval *e, pt_addr obj, const struct pyi_key *k, pt_addr *out)
{
    struct pyi_objinfo oi;
    char *tp = NULL;
    if (pyi_obj_classify(e->s, obj, &oi) != 0) {
        return -1;
    }
    if ((oi.kind == PYI_K_LIST || oi.kind == PYI_K_TUPLE) && !oi.own_repr && !k->is_str) {
        const char *what = oi.kind == PYI_K_LIST ? "list" : "tuple";
        pt_addr *items;
        size_t n, full;
        if (pyi_seq_items(e->s, obj, oi.kind, &items, &n, 1, &full) != 0) {
            return -1;
        }
        free(items);
        int64_t i = k->i < 0 ? k->i + (int64_t)full : k->i;
        if (i < 0 || i >= (int64_t)full) {
            return pyi_ev_error(e, "IndexError: %s index out of range", what, NULL);
        }
        return pyi_seq_item(e->s, obj, oi.kind, (size_t)i, out);
    }
    if (oi.kind == PYI_K_LIST || oi.kind == PYI_K_TUPLE) {
        pyi_type_shortname(e->s, oi.type, &tp);
        int r = pyi_ev_error(e, "TypeError: %s indices must be integers or slices, not str",
                             tp ? tp : "?", NULL);
        free(tp);
        return r;
    }
    if (oi.kind == PYI_K_DICT) {
        struct pyi_find_key f = {e->s, k, 0};
        if (e->s->v->dict_iter(e->s, obj, pyi_find_key_cb, &f) != 0) {
            return -1;
        }
        if (f.value) {
            *out = f.value;
            return 0;
        }
        struct pyi_buf kr;
        pyi_buf_init(&kr);
        pyi_key_repr(e, k, &kr);
        int r = pyi_ev_error(e, "KeyError: %s", kr.data ? kr.data : "?", NULL);
        pyi_buf_free(&kr);
        return r;
    }
    if (pyi_type_shortname(e->s, oi.type, &tp) != 0) {
        return -1;
    }
    int r = pyi_ev_error(e,
                         "TypeError: '%s' object is not subscriptable (or only by running "
                         "Python code)",
                         tp, NULL);
    free(tp);
    return r;
}

/* ---- the expression
 * ----------------------------------------------------------------------------------- */

static int pyi_ev_trailers(struct pyi_eval *e, pt_addr *v)
{
    char name[256];
    for (;;) {
        pyi_ev_ws(e);
        int r = 0;
        if (*e->p == '.') {
            e->p++;
            if (!pyi_ev_ident(e, name, sizeof name)) {
                return pyi_ev_error(e, "SyntaxError: invalid syntax", NULL, NULL);
            }
            e->method_self = 0;
            r = pyi_ev_attr(e, *v, name, v);
        } else if (*e->p == '[') {
            struct pyi_key k;
            e->p++;
            if (!pyi_ev_literal(e, &k) || (pyi_ev_ws(e), *e->p != ']')) {
                return pyi_ev_error(e,
                                    "SyntaxError: pytt supports only int and str literal "
                                    "subscripts",
                                    NULL, NULL);
            }
            e->p++;
            e->method_self = 0;
            r = pyi_ev_subscript(e, *v, &k, v);
        } else if (*e->p == '\0') {
            return 0;
        } else {
            return pyi_ev_error(e, "SyntaxError: invalid syntax", NULL, NULL);
        }
        if (r != 0) {
            return r;
        }
    }
}

/* A function reached through an instance prints as the bound method Python would create. */
static int pyi_ev_render(struct pyi_eval *e, pt_addr v, struct pyi_buf *b)
{
    if (!e->method_self) {
        return pyi_repr_buf(e->s, v, b);
    }
    pt_addr qn;
    char *q = NULL;
    if (pyi_rd_ptr(e->s, v, PYI_F_FUNC_QUALNAME, &qn) == 0) {
        pyi_str_utf8(e->s, qn, &q);
    }
    pyi_buf_printf(b, "<bound method %s of ", q ? q : "?");
    free(q);
    pyi_repr_buf(e->s, e->method_self, b);
    pyi_buf_putc(b, '>');
    return 0;
}

int pyi_eval(struct pyi_session *s, const char *expr, char **text, pt_addr *addr)
{
    struct pyi_eval e = {s, NULL, expr, {0}, 0};
    char name[256];
    pt_addr v = 0;
    *text = NULL;
    pyi_buf_init(&e.err);
    if (!(e.r = pyi_selected_raw(s, NULL))) {
        return -1;
    }
    int r;
    if (!pyi_ev_ident(&e, name, sizeof name)) {
        r = pyi_ev_error(&e, "SyntaxError: invalid syntax", NULL, NULL);
    } else {
        r = pyi_ev_name(&e, name, &v);
        if (r == 0) {
            r = pyi_ev_trailers(&e, &v);
        }
    }
    if (r == PYI_EVAL_PYERR) {
        *text = pyi_buf_take(&e.err);
        return *text ? PYI_EVAL_PYERR : -1;
    }
    pyi_buf_free(&e.err);
    if (r != 0) {
        return pt_wrap("evaluating %s", expr);
    }
    struct pyi_buf b;
    pyi_buf_init(&b);
    pyi_ev_render(&e, v, &b);
    *text = pyi_buf_take(&b);
    if (addr) {
        *addr = v;
    }
    return *text ? PYI_EVAL_OK : -1;
}

int pyi_print_expr(struct pyi_session *s, FILE *out, const char *expr)
{
    char *text;
    int r = pyi_eval(s, expr, &text, NULL);
    if (r < 0) {
        return -1;
    }
    fprintf(out, "%s\n", text);
    free(text);
    return r;
}
