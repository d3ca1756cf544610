/*
 * pyi_eval: the built-in evaluator. Python expressions (the subset of pyi_expr.h) evaluated from
 * the tracee's memory, without running any code in it, wherever that gives exactly the answer
 * Python would give; everywhere else the answer is "needs code" (PYI_EVAL_NEEDS_CODE), and the
 * caller asks the interpreter itself (replayer/rep_eval.c). A wrong value is never produced:
 *   - names: fast locals, cells and free variables, then globals, then builtins, as an
 *     evaluation in a merge of the frame's globals and locals finds them;
 *   - attributes only where PyObject_GenericGetAttr would find a plain value: the type's
 *     tp_getattro is the generic one, the name is no data descriptor other than a __slots__
 *     member (properties, getsets such as __class__ and __dict__, __getattr__ hooks need code),
 *     and a method found on the class needs code (a bound method is made); module attributes
 *     from the module's dict; class attributes of plain classes (no metaclass) that are plain
 *     values or functions;
 *   - subscripts of exact lists, tuples and strs by int, of exact dicts by int/float/str/bool/
 *     None keys when every key in the dict is such a scalar (no user __eq__ can be involved);
 *   - arithmetic and comparisons on exact ints (64-bit, overflow: needs code), floats (as
 *     CPython's float_* functions compute them), strs and bools; `is` on objects; `in` on strs
 *     and on lists, tuples and dicts of scalars; and/or/not with Python's truth rules.
 * Errors (NameError, ZeroDivisionError...) also "need code": the interpreter then raises them
 * with its own message.
 */
#define _GNU_SOURCE
#include "pyintrospect/pyi_expr.h"
#include "pyintrospect/pyi_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PYI_T_OBJECT 6     /* structmember.h T_OBJECT */
#define PYI_T_OBJECT_EX 16 /* structmember.h T_OBJECT_EX */
#define PYI_EV_MAX_STR (1u << 20)
#define PYI_EV_EXACT_DOUBLE (1ll << 53)

enum vk { V_OBJ, V_INT, V_FLOAT, V_STR, V_BOOL, V_NONE };

struct val {
    enum vk k;
    pt_addr obj; /* the remote object it is (0: computed here) */
    int64_t i;   /* INT, BOOL */
    double f;
    char *s; /* STR: UTF-8, owned */
    size_t n;
};

struct pyi_ev {
    struct pyi_session *s;
    const struct pyi_expr *e;
    struct pyi_rawframe r;
    const char *why;              /* what needed code */
    const struct pyi_bind *binds; /* names bound to objects, looked up first */
    size_t nbinds;
    bool noframe; /* no frame: only the bound names exist */
};

enum { OK = 0, NEED = 1 };

static int need(struct pyi_ev *ev, const char *why)
{
    if (!ev->why) {
        ev->why = why;
    }
    return NEED;
}

static void val_free(struct val *v)
{
    free(v->s);
    v->s = NULL;
}

static struct val v_obj(pt_addr obj)
{
    struct val v = {V_OBJ, obj, 0, 0, NULL, 0};
    return v;
}

static struct val v_int(int64_t i)
{
    struct val v = {V_INT, 0, i, 0, NULL, 0};
    return v;
}

static struct val v_float(double f)
{
    struct val v = {V_FLOAT, 0, 0, f, NULL, 0};
    return v;
}

static struct val v_bool(struct pyi_ev *ev, bool b)
{
    struct val v = {V_BOOL, ev->s->sym[b ? PYI_Y_TRUE : PYI_Y_FALSE], b, 0, NULL, 0};
    return v;
}

/* ---- reading remote values ------------------------------------------------------------------ */

static int read_str(struct pyi_ev *ev, pt_addr obj, struct val *v)
{
    struct pyi_ustr u;
    if (pyi_str_read(ev->s, obj, PYI_EV_MAX_STR, &u) != 0) {
        return -1;
    }
    if (u.len < u.full_len) {
        free(u.cp);
        return need(ev, "a very long str");
    }
    struct pyi_buf b;
    pyi_buf_init(&b);
    for (size_t i = 0; i < u.len; i++) {
        pyi_buf_put_utf8(&b, u.cp[i]);
    }
    free(u.cp);
    v->n = b.len;
    v->s = pyi_buf_take(&b);
    if (!v->s) {
        v->s = strdup("");
    }
    return v->s ? OK : pt_fail("out of memory");
}

/* Give a remote object of an exact scalar type its value (INT, FLOAT, STR, BOOL, NONE); other
 * objects stay V_OBJ. */
static int materialize(struct pyi_ev *ev, struct val *v)
{
    struct pyi_objinfo oi;
    if (v->k != V_OBJ) {
        return OK;
    }
    if (pyi_obj_classify(ev->s, v->obj, &oi) != 0) {
        return -1;
    }
    if (oi.kind == PYI_K_NONE) {
        v->k = V_NONE;
    } else if (oi.kind == PYI_K_BOOL) {
        v->k = V_BOOL;
        v->i = v->obj == ev->s->sym[PYI_Y_TRUE];
    } else if (oi.kind == PYI_K_INT && oi.exact) {
        bool ovf;
        if (pyi_long_value(ev->s, v->obj, &v->i, &ovf) != 0) {
            return -1;
        }
        if (ovf) {
            return need(ev, "an int beyond 64 bits");
        }
        v->k = V_INT;
    } else if (oi.kind == PYI_K_FLOAT && oi.exact) {
        if (pyi_read(ev->s, v->obj + (pt_addr)ev->s->m[PYI_F_FLOAT_VAL].off, &v->f, 8) != 0) {
            return -1;
        }
        v->k = V_FLOAT;
    } else if (oi.kind == PYI_K_STR && oi.exact) {
        int rc = read_str(ev, v->obj, v);
        if (rc != OK) {
            return rc;
        }
        v->k = V_STR;
    }
    return OK;
}

static int materialize2(struct pyi_ev *ev, struct val *a, struct val *b)
{
    int rc = materialize(ev, a);
    return rc == OK ? materialize(ev, b) : rc;
}

static bool numeric(const struct val *v)
{
    return v->k == V_INT || v->k == V_BOOL || v->k == V_FLOAT;
}

static bool scalar(const struct val *v)
{
    return numeric(v) || v->k == V_STR || v->k == V_NONE;
}

/* ---- names ---------------------------------------------------------------------------------- */

static int ev_name(struct pyi_ev *ev, const char *name, struct val *out)
{
    struct pyi_find_local f = {name, 0};
    const struct pyi_rawframe *r = &ev->r;
    for (size_t i = 0; i < ev->nbinds; i++) {
        if (strcmp(ev->binds[i].name, name) == 0) {
            *out = v_obj(ev->binds[i].obj);
            return OK;
        }
    }
    if (ev->noframe) {
        return need(ev, "a name that is not defined");
    }
    if (pyi_frame_locals(ev->s, r, pyi_find_local_cb, &f) != 0) {
        return -1;
    }
    if (!f.value && r->globals && pyi_dict_get_str(ev->s, r->globals, name, &f.value) != 0) {
        return -1;
    }
    if (!f.value && r->builtins) {
        struct pyi_objinfo oi;
        pt_addr bdict = r->builtins;
        /* f_builtins is a dict; a module there (__builtins__ of a non-main module) has one */
        if (pyi_obj_classify(ev->s, bdict, &oi) == 0 && oi.kind == PYI_K_MODULE &&
            pyi_rd_ptr(ev->s, bdict, PYI_F_MOD_DICT, &bdict) != 0) {
            return -1;
        }
        if (pyi_dict_get_str(ev->s, bdict, name, &f.value) != 0) {
            return -1;
        }
    }
    if (!f.value) {
        return need(ev, "a name that is not defined");
    }
    *out = v_obj(f.value);
    return OK;
}

/* ---- attributes ----------------------------------------------------------------------------- */

/* tp_descr_get / tp_descr_set of type(obj) (0 when absent). */
static int descr_slots(struct pyi_session *s, pt_addr obj, pt_addr *get, pt_addr *set)
{
    pt_addr t;
    *get = *set = 0;
    if (!pyi_has(s, PYI_F_TP_DESCR_GET) || !pyi_has(s, PYI_F_TP_DESCR_SET)) {
        return pt_fail("no descriptor slots in this layout");
    }
    return pyi_obj_type(s, obj, &t) == 0 && pyi_rd_ptr(s, t, PYI_F_TP_DESCR_GET, get) == 0 &&
                   pyi_rd_ptr(s, t, PYI_F_TP_DESCR_SET, set) == 0
               ? 0
               : -1;
}

/* A __slots__ member (PyMemberDescrObject -> PyMemberDef) read from the instance. */
static int ev_member(struct pyi_ev *ev, pt_addr obj, pt_addr descr, struct val *out)
{
    pt_addr def, v;
    int64_t type, off;
    if (pyi_rd_ptr(ev->s, descr, PYI_F_MEMBERDESCR_MEMBER, &def) != 0 ||
        pyi_rd(ev->s, def, PYI_F_MEMBERDEF_TYPE, &type) != 0 ||
        pyi_rd(ev->s, def, PYI_F_MEMBERDEF_OFFSET, &off) != 0) {
        return -1;
    }
    if (type != PYI_T_OBJECT && type != PYI_T_OBJECT_EX) {
        return need(ev, "a C field of a builtin type");
    }
    if (off <= 0 || off > (1 << 20) || pyi_read_ptr(ev->s, obj + (pt_addr)off, &v) != 0) {
        return -1;
    }
    if (!v && type == PYI_T_OBJECT_EX) {
        return need(ev, "an unset slot"); /* AttributeError */
    }
    *out = v_obj(v ? v : ev->s->sym[PYI_Y_NONE]);
    return OK;
}

static int ev_module_attr(struct pyi_ev *ev, pt_addr obj, const char *name, struct val *out)
{
    pt_addr dict, v = 0;
    if (pyi_rd_ptr(ev->s, obj, PYI_F_MOD_DICT, &dict) != 0 ||
        (dict && pyi_dict_get_str(ev->s, dict, name, &v) != 0)) {
        return -1;
    }
    if (!v) {
        return need(ev, "a module attribute not in its dict (module __getattr__)");
    }
    *out = v_obj(v);
    return OK;
}

/* type_getattro for a class whose metaclass is `type` itself. */
static int ev_class_attr(struct pyi_ev *ev, pt_addr cls, const char *name, struct val *out)
{
    pt_addr meta, v, get, set, on_type;
    struct pyi_objinfo vi;
    if (pyi_obj_type(ev->s, cls, &meta) != 0) {
        return -1;
    }
    if (meta != ev->s->sym[PYI_Y_TYPE_TYPE]) {
        return need(ev, "an attribute of a class with a metaclass");
    }
    if (pyi_type_lookup(ev->s, meta, name, &on_type) != 0 ||
        pyi_type_lookup(ev->s, cls, name, &v) != 0) {
        return -1;
    }
    if (on_type || !v) {
        return need(ev, on_type ? "an attribute `type` defines (__name__, __dict__, mro...)"
                                : "a missing class attribute");
    }
    if (pyi_obj_classify(ev->s, v, &vi) != 0 || descr_slots(ev->s, v, &get, &set) != 0) {
        return -1;
    }
    if (get && !(vi.kind == PYI_K_FUNCTION && vi.exact)) {
        return need(ev, "a descriptor on a class (classmethod, staticmethod, property...)");
    }
    *out = v_obj(v);
    return OK;
}

/* PyObject_GenericGetAttr, where it reads a plain value. */
static int ev_instance_attr(struct pyi_ev *ev, const struct pyi_objinfo *oi, const char *name,
                            struct val *out)
{
    pt_addr getattro, descr, get = 0, set = 0;
    if (!pyi_has(ev->s, PYI_F_TP_GETATTRO) || !ev->s->sym[PYI_Y_GENERIC_GETATTR]) {
        return need(ev, "attributes (this CPython's layout does not name tp_getattro)");
    }
    if (pyi_rd_ptr(ev->s, oi->type, PYI_F_TP_GETATTRO, &getattro) != 0 ||
        pyi_type_lookup(ev->s, oi->type, name, &descr) != 0) {
        return -1;
    }
    if (getattro != ev->s->sym[PYI_Y_GENERIC_GETATTR]) {
        return need(ev, "an object with its own attribute lookup (__getattr__, "
                        "__getattribute__, a C type)");
    }
    if (descr && descr_slots(ev->s, descr, &get, &set) != 0) {
        return -1;
    }
    if (descr && get && set) {
        struct pyi_objinfo di;
        if (pyi_obj_classify(ev->s, descr, &di) != 0) {
            return -1;
        }
        return di.kind == PYI_K_MEMBERDESCR && di.exact
                   ? ev_member(ev, oi->addr, descr, out)
                   : need(ev, "a data descriptor (property, __class__, __dict__...)");
    }
    pt_addr value;
    if (pyi_instance_attr(ev->s, oi->addr, oi->type, name, &value) != 0) {
        return -1;
    }
    if (value) {
        *out = v_obj(value);
        return OK;
    }
    if (!descr) {
        return need(ev, "a missing attribute");
    }
    if (get) {
        return need(ev, "a method or other descriptor (a bound object is made)");
    }
    *out = v_obj(descr);
    return OK;
}

static int ev_attr(struct pyi_ev *ev, struct val *obj, const char *name, struct val *out)
{
    struct pyi_objinfo oi;
    if (obj->obj == 0) {
        return need(ev, "an attribute of a computed value");
    }
    if (pyi_obj_classify(ev->s, obj->obj, &oi) != 0) {
        return -1;
    }
    if (oi.kind == PYI_K_MODULE && oi.exact) {
        return ev_module_attr(ev, obj->obj, name, out);
    }
    if (oi.kind == PYI_K_TYPE && oi.exact) {
        return ev_class_attr(ev, obj->obj, name, out);
    }
    return ev_instance_attr(ev, &oi, name, out);
}

/* ---- equality of scalars (what == gives between exact int/float/str/bool/None) -------------- */

static int num_cmp(struct pyi_ev *ev, const struct val *a, const struct val *b, int *c)
{
    if (a->k != V_FLOAT && b->k != V_FLOAT) {
        *c = a->i < b->i ? -1 : a->i > b->i;
        return OK;
    }
    double x = a->k == V_FLOAT ? a->f : (double)a->i, y = b->k == V_FLOAT ? b->f : (double)b->i;
    if ((a->k != V_FLOAT && llabs(a->i) > PYI_EV_EXACT_DOUBLE) ||
        (b->k != V_FLOAT && llabs(b->i) > PYI_EV_EXACT_DOUBLE)) {
        return need(ev, "comparing a large int with a float");
    }
    *c = isnan(x) || isnan(y) ? 2 : x < y ? -1 : x > y; /* 2: unordered */
    return OK;
}

static int str_cmp(const struct val *a, const struct val *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    int c = memcmp(a->s, b->s, n); /* UTF-8 byte order is code point order */
    return c ? (c < 0 ? -1 : 1) : a->n < b->n ? -1 : a->n > b->n;
}

/* a == b for scalars: 1, 0. */
static int scalar_eq(struct pyi_ev *ev, const struct val *a, const struct val *b, int *eq)
{
    int c;
    if (numeric(a) && numeric(b)) {
        int rc = num_cmp(ev, a, b, &c);
        *eq = c == 0;
        return rc;
    }
    if (a->k == V_STR && b->k == V_STR) {
        *eq = str_cmp(a, b) == 0;
    } else {
        *eq = a->k == V_NONE && b->k == V_NONE; /* different builtin types are never equal */
    }
    return OK;
}

/* ---- subscripts ----------------------------------------------------------------------------- */

struct find_key {
    struct pyi_ev *ev;
    const struct val *key;
    pt_addr value;
    int rc;
};

static int find_key_cb(void *ctx, pt_addr key, pt_addr value)
{
    struct find_key *f = ctx;
    struct val k = v_obj(key);
    int eq = 0;
    f->rc = materialize(f->ev, &k);
    if (f->rc == OK && !scalar(&k)) {
        f->rc = need(f->ev, "a dict with keys of other types (their __eq__ would run)");
    }
    if (f->rc == OK && (key == f->key->obj || (f->rc = scalar_eq(f->ev, &k, f->key, &eq)) == OK) &&
        (key == f->key->obj || eq)) {
        f->value = value;
    }
    val_free(&k);
    return f->rc != OK || f->value;
}

static int ev_dict_get(struct pyi_ev *ev, pt_addr dict, const struct val *key, pt_addr *value)
{
    struct find_key f = {ev, key, 0, OK};
    if (ev->s->v->dict_iter(ev->s, dict, find_key_cb, &f) != 0) {
        return -1;
    }
    *value = f.value;
    return f.rc;
}

static int utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

static int ev_str_index(struct pyi_ev *ev, struct val *str, int64_t i, struct val *out)
{
    size_t count = 0, at = 0;
    for (size_t p = 0; p < str->n; p += (size_t)utf8_len((unsigned char)str->s[p])) {
        count++;
    }
    if (i < 0) {
        i += (int64_t)count;
    }
    if (i < 0 || (size_t)i >= count) {
        return need(ev, "an index out of range");
    }
    for (int64_t k = 0; k < i; k++) {
        at += (size_t)utf8_len((unsigned char)str->s[at]);
    }
    size_t len = (size_t)utf8_len((unsigned char)str->s[at]);
    memset(out, 0, sizeof *out);
    out->k = V_STR;
    out->s = strndup(str->s + at, len);
    out->n = len;
    return out->s ? OK : pt_fail("out of memory");
}

static int ev_subscript(struct pyi_ev *ev, struct val *obj, struct val *key, struct val *out)
{
    struct pyi_objinfo oi;
    int rc = materialize2(ev, obj, key);
    if (rc != OK) {
        return rc;
    }
    if (obj->k == V_STR && key->k == V_INT) {
        return ev_str_index(ev, obj, key->i, out);
    }
    if (obj->k != V_OBJ) {
        return need(ev, "this subscript");
    }
    if (pyi_obj_classify(ev->s, obj->obj, &oi) != 0) {
        return -1;
    }
    if ((oi.kind == PYI_K_LIST || oi.kind == PYI_K_TUPLE) && oi.exact && key->k == V_INT) {
        pt_addr *items, item;
        size_t n, full;
        if (pyi_seq_items(ev->s, obj->obj, oi.kind, &items, &n, 1, &full) != 0) {
            return -1;
        }
        free(items);
        int64_t i = key->i < 0 ? key->i + (int64_t)full : key->i;
        if (i < 0 || i >= (int64_t)full) {
            return need(ev, "an index out of range");
        }
        if (pyi_seq_item(ev->s, obj->obj, oi.kind, (size_t)i, &item) != 0) {
            return -1;
        }
        *out = v_obj(item);
        return OK;
    }
    if (oi.kind == PYI_K_DICT && oi.exact && scalar(key)) {
        pt_addr v = 0;
        rc = ev_dict_get(ev, obj->obj, key, &v);
        if (rc == OK && !v) {
            return need(ev, "a missing key");
        }
        *out = v_obj(v);
        return rc;
    }
    return need(ev, "a subscript that runs __getitem__");
}

/* ---- arithmetic (CPython's long_* and float_* semantics) ------------------------------------ */

static int int_floordiv(int64_t a, int64_t b, int64_t *q, int64_t *m)
{
    if (b == 0 || (a == INT64_MIN && b == -1)) {
        return -1;
    }
    *q = a / b;
    *m = a % b;
    if (*m && ((*m < 0) != (b < 0))) {
        *m += b;
        *q -= 1;
    }
    return 0;
}

static int int_pow(int64_t a, int64_t b, int64_t *r)
{
    *r = 1;
    for (int64_t k = 0; k < b; k++) {
        if (__builtin_mul_overflow(*r, a, r)) {
            return -1;
        }
        if (*r == 0 || *r == 1) {
            break;
        }
        if (*r == -1) {
            *r = (b - k - 1) % 2 ? 1 : -1;
            break;
        }
    }
    return 0;
}

static int ev_int_op(struct pyi_ev *ev, int op, int64_t a, int64_t b, struct val *out)
{
    int64_t r = 0, m;
    bool ovf = false;
    switch (op) {
    case PYI_OP_ADD:
        ovf = __builtin_add_overflow(a, b, &r);
        break;
    case PYI_OP_SUB:
        ovf = __builtin_sub_overflow(a, b, &r);
        break;
    case PYI_OP_MUL:
        ovf = __builtin_mul_overflow(a, b, &r);
        break;
    case PYI_OP_FLOORDIV:
    case PYI_OP_MOD:
        ovf = int_floordiv(a, b, &r, &m) < 0;
        r = op == PYI_OP_MOD ? m : r;
        break;
    case PYI_OP_POW:
        ovf = b < 0 || int_pow(a, b, &r) < 0;
        break;
    case PYI_OP_DIV:
        if (b == 0 || llabs(a) > PYI_EV_EXACT_DOUBLE || llabs(b) > PYI_EV_EXACT_DOUBLE) {
            return need(ev, "this int division");
        }
        *out = v_float((double)a / (double)b); /* both exact: one correctly rounded division */
        return OK;
    }
    if (ovf) {
        return need(ev, "an int result beyond 64 bits, or a division by zero");
    }
    *out = v_int(r);
    return OK;
}

/* float_divmod */
static void float_divmod(double vx, double wx, double *floordiv, double *mod)
{
    double div;
    *mod = fmod(vx, wx);
    div = (vx - *mod) / wx;
    if (*mod) {
        if ((wx < 0) != (*mod < 0)) {
            *mod += wx;
            div -= 1.0;
        }
    } else {
        *mod = copysign(0.0, wx);
    }
    if (div) {
        *floordiv = floor(div);
        if (div - *floordiv > 0.5) {
            *floordiv += 1.0;
        }
    } else {
        *floordiv = copysign(0.0, vx / wx);
    }
}

static int ev_float_op(struct pyi_ev *ev, int op, const struct val *a, const struct val *b,
                       struct val *out)
{
    if ((a->k != V_FLOAT && llabs(a->i) > PYI_EV_EXACT_DOUBLE) ||
        (b->k != V_FLOAT && llabs(b->i) > PYI_EV_EXACT_DOUBLE)) {
        return need(ev, "mixing a large int with a float");
    }
    double x = a->k == V_FLOAT ? a->f : (double)a->i, y = b->k == V_FLOAT ? b->f : (double)b->i;
    double q, m;
    switch (op) {
    case PYI_OP_ADD:
        *out = v_float(x + y);
        return OK;
    case PYI_OP_SUB:
        *out = v_float(x - y);
        return OK;
    case PYI_OP_MUL:
        *out = v_float(x * y);
        return OK;
    case PYI_OP_DIV:
        if (y == 0) {
            return need(ev, "a division by zero");
        }
        *out = v_float(x / y);
        return OK;
    case PYI_OP_FLOORDIV:
    case PYI_OP_MOD:
        if (y == 0) {
            return need(ev, "a division by zero");
        }
        float_divmod(x, y, &q, &m);
        *out = v_float(op == PYI_OP_MOD ? m : q);
        return OK;
    }
    return need(ev, "float powers");
}

static int ev_str_concat(struct pyi_ev *ev, const struct val *a, const struct val *b,
                         struct val *out)
{
    if (a->n + b->n > PYI_EV_MAX_STR) {
        return need(ev, "a very long str");
    }
    memset(out, 0, sizeof *out);
    out->k = V_STR;
    out->n = a->n + b->n;
    out->s = malloc(out->n + 1);
    if (!out->s) {
        return pt_fail("out of memory");
    }
    memcpy(out->s, a->s, a->n);
    memcpy(out->s + a->n, b->s, b->n);
    out->s[out->n] = '\0';
    return OK;
}

static int ev_str_repeat(struct pyi_ev *ev, const struct val *str, int64_t times, struct val *out)
{
    size_t k = times > 0 ? (size_t)times : 0;
    if (k && str->n > PYI_EV_MAX_STR / k) {
        return need(ev, "a very long str");
    }
    memset(out, 0, sizeof *out);
    out->k = V_STR;
    out->n = str->n * k;
    out->s = malloc(out->n + 1);
    if (!out->s) {
        return pt_fail("out of memory");
    }
    for (size_t i = 0; i < k; i++) {
        memcpy(out->s + i * str->n, str->s, str->n);
    }
    out->s[out->n] = '\0';
    return OK;
}

static int ev_binary(struct pyi_ev *ev, int op, struct val *a, struct val *b, struct val *out)
{
    int rc = materialize2(ev, a, b);
    if (rc != OK) {
        return rc;
    }
    bool ia = a->k == V_INT || a->k == V_BOOL, ib = b->k == V_INT || b->k == V_BOOL;
    if (ia && ib) {
        return ev_int_op(ev, op, a->i, b->i, out);
    }
    if (numeric(a) && numeric(b)) {
        return ev_float_op(ev, op, a, b, out);
    }
    if (op == PYI_OP_ADD && a->k == V_STR && b->k == V_STR) {
        return ev_str_concat(ev, a, b, out);
    }
    if (op == PYI_OP_MUL && ((a->k == V_STR && ib) || (ia && b->k == V_STR))) {
        return ev_str_repeat(ev, a->k == V_STR ? a : b, a->k == V_STR ? b->i : a->i, out);
    }
    return need(ev, "an operation on these types (or % formatting)");
}

static int ev_unary(struct pyi_ev *ev, int op, struct val *a, struct val *out)
{
    int rc = materialize(ev, a);
    if (rc != OK) {
        return rc;
    }
    if (a->k == V_FLOAT && op != '~') {
        *out = v_float(op == '-' ? -a->f : a->f);
        return OK;
    }
    if ((a->k == V_INT || a->k == V_BOOL) && !(op == '-' && a->i == INT64_MIN)) {
        *out = v_int(op == '-' ? -a->i : op == '~' ? ~a->i : a->i);
        return OK;
    }
    return need(ev, "a unary operator on this type");
}

/* ---- truth and comparisons ------------------------------------------------------------------ */

/* bool(v): 1, 0. */
static int ev_truth(struct pyi_ev *ev, struct val *v, int *t)
{
    int rc = materialize(ev, v);
    if (rc != OK) {
        return rc;
    }
    switch (v->k) {
    case V_INT:
    case V_BOOL:
        *t = v->i != 0;
        return OK;
    case V_FLOAT:
        *t = v->f != 0;
        return OK;
    case V_STR:
        *t = v->n > 0;
        return OK;
    case V_NONE:
        *t = 0;
        return OK;
    default:
        break;
    }
    struct pyi_objinfo oi;
    int64_t n;
    if (pyi_obj_classify(ev->s, v->obj, &oi) != 0) {
        return -1;
    }
    if (!oi.exact) {
        return need(ev, "the truth of this object (__bool__, __len__)");
    }
    enum pyi_field f = oi.kind == PYI_K_LIST || oi.kind == PYI_K_TUPLE      ? PYI_F_OB_SIZE
                       : oi.kind == PYI_K_DICT                              ? PYI_F_DICT_USED
                       : oi.kind == PYI_K_SET || oi.kind == PYI_K_FROZENSET ? PYI_F_SET_USED
                                                                            : PYI_F__COUNT;
    if (oi.kind == PYI_K_FUNCTION || oi.kind == PYI_K_MODULE || oi.kind == PYI_K_TYPE) {
        *t = 1;
        return OK;
    }
    if (f == PYI_F__COUNT) {
        return need(ev, "the truth of this object");
    }
    if (pyi_rd(ev->s, v->obj, f, &n) != 0) {
        return -1;
    }
    *t = n > 0;
    return OK;
}

static pt_addr identity(struct pyi_ev *ev, const struct val *v)
{
    if (v->obj) {
        return v->obj;
    }
    if (v->k == V_NONE) {
        return ev->s->sym[PYI_Y_NONE];
    }
    return 0;
}

struct contains {
    struct pyi_ev *ev;
    const struct val *needle;
    int found, rc;
};

static int contains_cb(void *ctx, pt_addr item, pt_addr value)
{
    struct contains *c = ctx;
    struct val k = v_obj(item);
    int eq = 0;
    if (item == c->needle->obj) {
        c->found = 1; /* PyObject_RichCompareBool: identity first */
        return 1;
    }
    c->rc = materialize(c->ev, &k);
    if (c->rc == OK && !(scalar(&k) && scalar(c->needle))) {
        c->rc = need(c->ev, "`in` over objects of other types (their __eq__ would run)");
    }
    if (c->rc == OK) {
        c->rc = scalar_eq(c->ev, &k, c->needle, &eq);
    }
    val_free(&k);
    c->found = eq;
    return c->rc != OK || eq;
}

static int ev_in(struct pyi_ev *ev, struct val *needle, struct val *hay, int *r)
{
    struct pyi_objinfo oi;
    int rc = materialize2(ev, needle, hay);
    if (rc != OK) {
        return rc;
    }
    if (hay->k == V_STR && needle->k == V_STR) {
        *r = needle->n == 0 || memmem(hay->s, hay->n, needle->s, needle->n) != NULL;
        return OK;
    }
    if (hay->k != V_OBJ || pyi_obj_classify(ev->s, hay->obj, &oi) != 0) {
        return hay->k != V_OBJ ? need(ev, "`in` on this type") : -1;
    }
    struct contains c = {ev, needle, 0, OK};
    if ((oi.kind == PYI_K_LIST || oi.kind == PYI_K_TUPLE) && oi.exact) {
        pt_addr *items;
        size_t n, full;
        if (pyi_seq_items(ev->s, hay->obj, oi.kind, &items, &n, 0, &full) != 0) {
            return -1;
        }
        for (size_t i = 0; i < n && !contains_cb(&c, items[i], 0); i++) {
        }
        free(items);
    } else if (oi.kind == PYI_K_DICT && oi.exact) {
        if (ev->s->v->dict_iter(ev->s, hay->obj, contains_cb, &c) != 0) {
            return -1;
        }
    } else {
        return need(ev, "`in` on this type (__contains__)");
    }
    *r = c.found;
    return c.rc;
}

static int ev_compare(struct pyi_ev *ev, int op, struct val *a, struct val *b, int *r)
{
    if (op == PYI_CMP_IS || op == PYI_CMP_IS_NOT) {
        pt_addr x = identity(ev, a), y = identity(ev, b);
        if (!x || !y) {
            return need(ev, "`is` on a computed value");
        }
        *r = (x == y) == (op == PYI_CMP_IS);
        return OK;
    }
    if (op == PYI_CMP_IN || op == PYI_CMP_NOT_IN) {
        int rc = ev_in(ev, a, b, r);
        *r = *r == (op == PYI_CMP_IN);
        return rc;
    }
    int c, rc = materialize2(ev, a, b);
    if (rc != OK) {
        return rc;
    }
    if (op == PYI_CMP_EQ || op == PYI_CMP_NE) {
        if (!scalar(a) || !scalar(b)) {
            return need(ev, "== on objects (their __eq__ would run)");
        }
        rc = scalar_eq(ev, a, b, &c);
        *r = c == (op == PYI_CMP_EQ);
        return rc;
    }
    if (numeric(a) && numeric(b)) {
        if ((rc = num_cmp(ev, a, b, &c)) != OK) {
            return rc;
        }
    } else if (a->k == V_STR && b->k == V_STR) {
        c = str_cmp(a, b);
    } else {
        return need(ev, "ordering these types");
    }
    *r = c == 2             ? 0
         : op == PYI_CMP_LT ? c < 0
         : op == PYI_CMP_LE ? c <= 0
         : op == PYI_CMP_GT ? c > 0
                            : c >= 0;
    return OK;
}

/* ---- the tree ------------------------------------------------------------------------------- */

static int ev_node(struct pyi_ev *ev, int id, struct val *out);

static int ev_chain(struct pyi_ev *ev, const struct pyi_enode *n, struct val *out)
{
    struct val left, right;
    int rc = ev_node(ev, n->cargs[0], &left), r = 1;
    for (int k = 0; rc == OK && k < n->ncmp && r; k++) {
        rc = ev_node(ev, n->cargs[k + 1], &right);
        if (rc == OK) {
            rc = ev_compare(ev, n->cops[k], &left, &right, &r);
        }
        val_free(&left);
        left = right;
        right.s = NULL;
        if (rc != OK) {
            break;
        }
    }
    val_free(&left);
    if (rc == OK) {
        *out = v_bool(ev, r);
    }
    return rc;
}

static int ev_logic(struct pyi_ev *ev, const struct pyi_enode *n, struct val *out)
{
    int t, rc = ev_node(ev, n->a, out);
    if (rc == OK && n->kind == PYI_E_NOT) {
        rc = ev_truth(ev, out, &t);
        val_free(out);
        *out = v_bool(ev, !t);
        return rc;
    }
    if (rc == OK) {
        rc = ev_truth(ev, out, &t);
    }
    if (rc != OK || (n->kind == PYI_E_AND ? !t : t)) {
        return rc; /* the first operand decides: it is the value */
    }
    val_free(out);
    return ev_node(ev, n->b, out);
}

static int ev_str_literal(const struct pyi_enode *n, struct val *out)
{
    memset(out, 0, sizeof *out);
    out->k = V_STR;
    out->n = n->len;
    out->s = malloc(n->len + 1);
    if (!out->s) {
        return pt_fail("out of memory");
    }
    memcpy(out->s, n->s, n->len + 1);
    return OK;
}

static int ev_node(struct pyi_ev *ev, int id, struct val *out)
{
    const struct pyi_enode *n = &ev->e->n[id];
    struct val a, b;
    int rc;
    memset(out, 0, sizeof *out);
    switch (n->kind) {
    case PYI_E_NAME:
        return ev_name(ev, n->s, out);
    case PYI_E_INT:
        *out = v_int(n->i);
        return OK;
    case PYI_E_FLOAT:
        *out = v_float(n->f);
        return OK;
    case PYI_E_STR:
        return ev_str_literal(n, out);
    case PYI_E_NONE:
        out->k = V_NONE;
        out->obj = ev->s->sym[PYI_Y_NONE];
        return OK;
    case PYI_E_TRUE:
    case PYI_E_FALSE:
        *out = v_bool(ev, n->kind == PYI_E_TRUE);
        return OK;
    case PYI_E_ATTR:
        rc = ev_node(ev, n->a, &a);
        if (rc == OK) {
            rc = ev_attr(ev, &a, n->s, out);
        }
        val_free(&a);
        return rc;
    case PYI_E_SUB:
    case PYI_E_BIN:
        rc = ev_node(ev, n->a, &a);
        if (rc == OK && (rc = ev_node(ev, n->b, &b)) == OK) {
            rc = n->kind == PYI_E_SUB ? ev_subscript(ev, &a, &b, out)
                                      : ev_binary(ev, n->op, &a, &b, out);
            val_free(&b);
        }
        val_free(&a);
        return rc;
    case PYI_E_UNARY:
        rc = ev_node(ev, n->a, &a);
        if (rc == OK) {
            rc = ev_unary(ev, n->op, &a, out);
        }
        val_free(&a);
        return rc;
    case PYI_E_CMP:
        return ev_chain(ev, n, out);
    case PYI_E_AND:
    case PYI_E_OR:
    case PYI_E_NOT:
        return ev_logic(ev, n, out);
    }
    return need(ev, "this expression");
}

/* ---- results -------------------------------------------------------------------------------- */

static void str_repr(struct pyi_session *s, const struct val *v, struct pyi_buf *b)
{
    uint32_t *cps = malloc((v->n + 1) * sizeof *cps);
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)v->s; cps && *p; n++) {
        uint32_t c = *p++;
        int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
        c &= more == 3 ? 0x07 : more == 2 ? 0x0f : more == 1 ? 0x1f : 0x7f;
        for (; more > 0 && (*p & 0xc0) == 0x80; more--) {
            c = (c << 6) | (*p++ & 0x3f);
        }
        cps[n] = c;
    }
    if (cps) {
        pyi_str_repr_cps(s, cps, n, false, b);
    }
    free(cps);
}

/* repr() of a value, when it is exact: OK, else NEED. */
static int ev_repr(struct pyi_ev *ev, const struct val *v, struct pyi_buf *b)
{
    unsigned what = 0;
    switch (v->k) {
    case V_OBJ:
        if (pyi_repr_ex(ev->s, v->obj, 0, b, &what) != 0) {
            return -1;
        }
        return what & PYI_REPR_INEXACT ? need(ev, "repr() of an object whose repr needs code") : OK;
    case V_INT:
        pyi_buf_printf(b, "%lld", (long long)v->i);
        return OK;
    case V_FLOAT:
        pyi_float_repr(v->f, true, false, b);
        return OK;
    case V_STR:
        str_repr(ev->s, v, b);
        return OK;
    case V_BOOL:
        pyi_buf_puts(b, v->i ? "True" : "False");
        return OK;
    case V_NONE:
        pyi_buf_puts(b, "None");
        return OK;
    }
    return need(ev, "this value");
}

/* Evaluate src in frame (0: the selected frame, PYI_NO_FRAME: none), names in binds first. */
static int ev_run_bound(struct pyi_session *s, pt_addr frame, const char *src,
                        const struct pyi_bind *binds, size_t nbinds, struct pyi_ev *ev,
                        struct pyi_expr *e, struct val *v)
{
    const char *why = NULL;
    memset(ev, 0, sizeof *ev);
    ev->s = s;
    ev->e = e;
    ev->binds = binds;
    ev->nbinds = nbinds;
    int rc = pyi_expr_parse(src, e, &why);
    if (rc != PYI_PARSE_OK) {
        ev->why = why ? why : "this syntax";
        return rc < 0 ? pt_fail("out of memory") : NEED;
    }
    if (frame == PYI_NO_FRAME) {
        ev->noframe = true;
    } else if (frame) {
        if (s->v->frame_read(s, frame, &ev->r) != 0) {
            return -1;
        }
    } else {
        const struct pyi_rawframe *r = pyi_selected_raw(s, NULL);
        if (!r) {
            return -1;
        }
        ev->r = *r;
    }
    return ev_node(ev, e->root, v);
}

static int ev_run(struct pyi_session *s, pt_addr frame, const char *src, struct pyi_ev *ev,
                  struct pyi_expr *e, struct val *v)
{
    return ev_run_bound(s, frame, src, NULL, 0, ev, e, v);
}

/* The end of an evaluation: *text = b's text (OK) or why it needed code (after prefix); with
 * need_text an OK result without a text is out of memory. */
static int eval_result(int rc, struct pyi_ev *ev, struct pyi_buf *b, const char *expr,
                       const char *prefix, bool need_text, char **text)
{
    if (rc < 0) {
        pyi_buf_free(b);
        return pt_wrap("evaluating %s", expr);
    }
    if (rc == NEED) {
        pyi_buf_free(b);
        pyi_buf_printf(b, "%s%s", prefix, ev->why ? ev->why : "?");
    }
    *text = pyi_buf_take(b);
    if (!*text && (rc == NEED || need_text)) {
        return pt_fail("out of memory");
    }
    return rc == OK ? PYI_EVAL_OK : PYI_EVAL_NEEDS_CODE;
}

int pyi_eval(struct pyi_session *s, const char *expr, char **text, pt_addr *addr)
{
    return pyi_eval_in(s, 0, expr, text, addr);
}

int pyi_eval_in(struct pyi_session *s, pt_addr frame, const char *expr, char **text, pt_addr *addr)
{
    struct pyi_ev ev;
    struct pyi_expr e;
    struct val v = {0};
    struct pyi_buf b;
    *text = NULL;
    pyi_buf_init(&b);
    int rc = ev_run(s, frame, expr, &ev, &e, &v);
    if (rc == OK) {
        rc = ev_repr(&ev, &v, &b);
    }
    if (rc == OK && addr) {
        *addr = v.obj;
    }
    val_free(&v);
    pyi_expr_free(&e);
    return eval_result(rc, &ev, &b, expr, "needs the interpreter: ", true, text);
}

int pyi_eval_bound(struct pyi_session *s, pt_addr frame, const char *expr,
                   const struct pyi_bind *binds, size_t nbinds, pt_addr *obj, char **text)
{
    struct pyi_ev ev;
    struct pyi_expr e;
    struct val v = {0};
    struct pyi_buf b;
    *text = NULL;
    *obj = 0;
    pyi_buf_init(&b);
    memset(&ev, 0, sizeof ev);
    int rc = ev_run_bound(s, frame, expr, binds, nbinds, &ev, &e, &v);
    if (rc == OK) {
        *obj = v.obj;
        rc = v.obj ? OK : ev_repr(&ev, &v, &b); /* a value pytt computed: its repr */
    }
    val_free(&v);
    pyi_expr_free(&e);
    return eval_result(rc, &ev, &b, expr, "", !*obj, text);
}

int pyi_eval_truth(struct pyi_session *s, pt_addr frame, const char *expr, int *truth,
                   const char **why)
{
    struct pyi_ev ev;
    struct pyi_expr e;
    struct val v = {0};
    int rc = ev_run(s, frame, expr, &ev, &e, &v);
    if (rc == OK) {
        rc = ev_truth(&ev, &v, truth);
    }
    val_free(&v);
    pyi_expr_free(&e);
    *why = ev.why;
    return rc < 0 ? -1 : rc == OK ? PYI_EVAL_OK : PYI_EVAL_NEEDS_CODE;
}

/* The probe's `print`: the value as pyintrospect renders it, exact or not (see the header). */
int pyi_print_expr(struct pyi_session *s, FILE *out, const char *expr)
{
    struct pyi_ev ev;
    struct pyi_expr e;
    struct val v = {0};
    struct pyi_buf b;
    pyi_buf_init(&b);
    int rc = ev_run(s, 0, expr, &ev, &e, &v);
    if (rc == OK) {
        rc = v.k == V_OBJ ? pyi_repr_buf(s, v.obj, &b) : ev_repr(&ev, &v, &b);
    }
    val_free(&v);
    pyi_expr_free(&e);
    if (rc < 0) {
        pyi_buf_free(&b);
        return -1;
    }
    if (rc == NEED) {
        pyi_buf_printf(&b, "needs the interpreter: %s", ev.why ? ev.why : "?");
    }
    fprintf(out, "%s\n", b.data ? b.data : "");
    pyi_buf_free(&b);
    return rc == OK ? PYI_EVAL_OK : PYI_EVAL_NEEDS_CODE;
}
