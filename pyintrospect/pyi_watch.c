/*
 * pyi_watch: what a data watchpoint watches. A watched expression (a name, then attributes and
 * subscripts) is bound once, at the moment the user sets it: its leftmost name becomes a frame's
 * variable slot or an object (pyintrospect.h says which). At any later (or earlier) moment,
 * pyi_watch_resolve follows the chain from that root through the tracee's memory, as
 * PyObject_GenericGetAttr, dict lookups and list indexing would, and says which memory words
 * hold it: the slot of every link (a write there may change the value), the words that move a
 * slot (a dict's table), the value's own mutable state (a list's size, a dict's version: in
 * place changes) and the root object's type word (an object created at its address: a different
 * object from then on). The replayer traps writes to those words with the CPU's debug registers
 * and compares the value before and after (pyi_watch_value, pyi_wvalue_equal).
 *
 * Version differences (where a dict keeps an entry's value, where an instance keeps its
 * attributes, which opcodes store into an object) come from the version layer (struct
 * pyi_vops); offsets come from DWARF.
 */
#define _GNU_SOURCE
#include "pyintrospect/pyi_expr.h"
#include "pyintrospect/pyi_internal.h"

#include <stdlib.h>
#include <string.h>

#define PYI_CO_OPTIMIZED 0x1
#define PYI_T_OBJECT 6     /* structmember.h T_OBJECT */
#define PYI_T_OBJECT_EX 16 /* structmember.h T_OBJECT_EX */

void pyi_wloc_add(struct pyi_watch_loc *loc, pt_addr addr, int role, int prio)
{
    for (int i = 0; i < loc->nwords; i++) {
        if (loc->words[i].addr == addr) {
            if (prio < loc->words[i].prio) {
                loc->words[i].prio = prio;
            }
            return;
        }
    }
    if (loc->nwords < PYI_WATCH_WORDS) {
        loc->words[loc->nwords++] = (struct pyi_watch_word){addr, role, prio};
    }
}

static void store_obj(struct pyi_watch_loc *loc, pt_addr obj)
{
    for (int i = 0; i < loc->nstores; i++) {
        if (loc->stores[i] == obj) {
            return;
        }
    }
    if (loc->nstores < PYI_WATCH_STORES) {
        loc->stores[loc->nstores++] = obj;
    }
}

/* ---- binding ------------------------------------------------------------------------------ */

static int watch_syntax(const char *expr)
{
    return pt_fail("cannot watch `%s`: watch a name, then attributes and subscripts by constant "
                   "keys (x, obj.attr, obj.attr.attr, seq[i], d[key])",
                   expr);
}

/* A subscript's key, evaluated now: an int (index or key), a str or None. */
static int bind_key(struct pyi_session *s, pt_addr frame, const struct pyi_expr *e, int node,
                    struct pyi_watch_link *l, const char *expr)
{
    struct pyi_scalar k = {0};
    const char *why = NULL;
    int rc = pyi_eval_node(s, frame, e, node, &k, &why);
    if (rc < 0) {
        return -1;
    }
    l->kind = PYI_WLINK_ITEM;
    if (rc == PYI_EVAL_OK && (k.k == PYI_SK_INT || k.k == PYI_SK_BOOL)) {
        l->key_kind = 1;
        l->key_int = k.i;
    } else if (rc == PYI_EVAL_OK && k.k == PYI_SK_STR && k.n < sizeof l->key_str) {
        l->key_kind = 2;
        memcpy(l->key_str, k.s, k.n + 1);
    } else if (rc == PYI_EVAL_OK && k.k == PYI_SK_NONE) {
        l->key_kind = 3;
    } else {
        pyi_scalar_free(&k);
        return pt_fail("cannot watch `%s`: a key must be an int, a str or None now (%s)", expr,
                       why ? why : "another type");
    }
    pyi_scalar_free(&k);
    return 0;
}

/* The chain of links from the root name to the end, in order; *root_node: the name. */
static int bind_links(struct pyi_session *s, pt_addr frame, const struct pyi_expr *e,
                      struct pyi_watch *w, int *root_node, const char *expr)
{
    int chain[PYI_WATCH_LINKS], n = 0, id = e->root;
    while (e->n[id].kind == PYI_E_ATTR || e->n[id].kind == PYI_E_SUB) {
        if (n == PYI_WATCH_LINKS) {
            return pt_fail("cannot watch `%s`: at most %d attributes and subscripts", expr,
                           PYI_WATCH_LINKS);
        }
        chain[n++] = id;
        id = e->n[id].a;
    }
    if (e->n[id].kind != PYI_E_NAME) {
        return watch_syntax(expr);
    }
    *root_node = id;
    for (int i = n - 1; i >= 0; i--) {
        const struct pyi_enode *c = &e->n[chain[i]];
        struct pyi_watch_link *l = &w->links[w->nlinks++];
        memset(l, 0, sizeof *l);
        if (c->kind == PYI_E_ATTR) {
            l->kind = PYI_WLINK_ATTR;
            snprintf(l->name, sizeof l->name, "%s", c->s);
        } else if (bind_key(s, frame, e, c->b, l, expr) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Index of `name` among the code's fast locals, cells and free variables, -1 if none. */
static int fast_index(const struct pyi_code *c, const char *name)
{
    for (int i = 0; i < c->nlocalsplus; i++) {
        if (c->localsplusnames[i] && strcmp(c->localsplusnames[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

static int bind_object_root(struct pyi_session *s, struct pyi_watch *w, pt_addr obj)
{
    w->root = PYI_WROOT_OBJECT;
    w->obj = obj;
    return pyi_obj_type(s, obj, &w->obj_type);
}

/* A bare name: the frame's slot, or the namespace dict that holds it (a str key). */
static int bind_name(struct pyi_session *s, const struct pyi_rawframe *r, const struct pyi_code *c,
                     const char *name, struct pyi_watch *w)
{
    int i = (c->flags & PYI_CO_OPTIMIZED) ? fast_index(c, name) : -1;
    if (i >= 0) {
        w->root = PYI_WROOT_FRAME;
        w->frame = r->addr;
        w->code = r->code;
        w->local = i;
        w->cell = (c->localspluskinds[i] & (s->v->fast_cell | s->v->fast_free)) != 0;
        w->generator = r->owned_by_generator;
        snprintf(w->what, sizeof w->what, "local variable of %s()", c->qualname ? c->qualname : "?");
        return 0;
    }
    pt_addr ns = !(c->flags & PYI_CO_OPTIMIZED) && r->locals ? r->locals : r->globals;
    if (!ns) {
        return pt_fail("no namespace holds `%s` here", name);
    }
    memmove(&w->links[1], &w->links[0], (size_t)w->nlinks * sizeof w->links[0]);
    w->nlinks++;
    memset(&w->links[0], 0, sizeof w->links[0]);
    w->links[0].kind = PYI_WLINK_ITEM;
    w->links[0].key_kind = 2;
    w->links[0].name_key = true;
    snprintf(w->links[0].key_str, sizeof w->links[0].key_str, "%s", name);
    snprintf(w->what, sizeof w->what, "%s of %s", ns == r->globals ? "global" : "name",
             c->filename ? c->filename : "?");
    return bind_object_root(s, w, ns);
}

int pyi_watch_bind(struct pyi_session *s, const char *expr, struct pyi_watch *w)
{
    struct pyi_expr e;
    const char *why = NULL;
    struct pyi_code *c;
    int root = 0;
    memset(w, 0, sizeof *w);
    const struct pyi_rawframe *r = pyi_selected_raw(s, NULL);
    if (!r || pyi_code_get(s, r->code, &c) != 0) {
        return -1;
    }
    struct pyi_rawframe frame = *r; /* evaluations below may reload the frames */
    int rc = pyi_expr_parse(expr, &e, &why);
    if (rc != PYI_PARSE_OK) {
        return rc < 0 ? pt_fail("out of memory") : watch_syntax(expr);
    }
    if (bind_links(s, frame.addr, &e, w, &root, expr) < 0) {
        pyi_expr_free(&e);
        return -1;
    }
    if (w->nlinks == 0) {
        rc = bind_name(s, &frame, c, e.n[root].s, w);
    } else {
        struct pyi_scalar v = {0};
        rc = pyi_eval_node(s, frame.addr, &e, root, &v, &why);
        if (rc == PYI_EVAL_OK && v.obj) {
            rc = bind_object_root(s, w, v.obj);
            snprintf(w->what, sizeof w->what, "%s as it is now", e.n[root].s);
        } else if (rc >= 0) {
            rc = pt_fail("cannot watch `%s`: `%s` has no value here (%s)", expr, e.n[root].s,
                         why ? why : "a computed value");
        }
        pyi_scalar_free(&v);
    }
    pyi_expr_free(&e);
    return rc;
}

/* ---- resolving at a moment ---------------------------------------------------------------- */

struct key_match {
    struct pyi_session *s;
    const struct pyi_watch_link *l;
};

/* Does a dict key equal the link's key? Strs by contents; ints (and bools) by value; None by
 * identity: the keys pytt watches never run __eq__. */
static int key_matches(void *ctx, pt_addr key)
{
    struct key_match *m = ctx;
    const struct pyi_watch_link *l = m->l;
    if (l->key_kind == 3) {
        return key == m->s->sym[PYI_Y_NONE];
    }
    if (l->key_kind == 2) {
        bool eq = false;
        pt_addr t;
        return pyi_obj_type(m->s, key, &t) == 0 && t == m->s->sym[PYI_Y_UNICODE_TYPE] &&
               pyi_str_eq(m->s, key, l->key_str, &eq) == 0 && eq;
    }
    struct pyi_scalar v = {0};
    int ok = pyi_scalar_of(m->s, key, &v) == 0 && (v.k == PYI_SK_INT || v.k == PYI_SK_BOOL) &&
             v.i == l->key_int;
    pyi_scalar_free(&v);
    pt_err_clear();
    return ok;
}

static int absent(struct pyi_watch_loc *loc, const char *why)
{
    loc->value = 0;
    snprintf(loc->why, sizeof loc->why, "%s", why);
    return 0;
}

/* Follow a slot: the reference it holds (0: none). */
static int read_slot(struct pyi_session *s, pt_addr slot, int prio, struct pyi_watch_loc *loc,
                     pt_addr *v)
{
    pyi_wloc_add(loc, slot, PYI_WW_SLOT, prio);
    return pyi_read_ptr(s, slot, v);
}

/* A __slots__ member (PyMemberDescrObject -> PyMemberDef): its slot in the object. */
static int member_slot(struct pyi_session *s, pt_addr obj, pt_addr descr, pt_addr *slot)
{
    pt_addr def;
    int64_t type, off;
    if (pyi_rd_ptr(s, descr, PYI_F_MEMBERDESCR_MEMBER, &def) != 0 ||
        pyi_rd(s, def, PYI_F_MEMBERDEF_TYPE, &type) != 0 ||
        pyi_rd(s, def, PYI_F_MEMBERDEF_OFFSET, &off) != 0) {
        return -1;
    }
    if ((type != PYI_T_OBJECT && type != PYI_T_OBJECT_EX) || off <= 0 || off > (1 << 20)) {
        return pt_fail("a C field of a builtin type cannot be watched");
    }
    *slot = obj + (pt_addr)off;
    return 0;
}

/* Does a data descriptor (other than a __slots__ member) or a custom __getattribute__ decide
 * the attribute? Then its value is computed by code: refuse rather than watch the wrong
 * memory. *member: the __slots__ member's descriptor, if that is what holds it. */
static int attr_by_code(struct pyi_session *s, pt_addr type, const char *name, pt_addr *member)
{
    pt_addr getattro, descr, dtype, set = 0;
    *member = 0;
    if (pyi_rd_ptr(s, type, PYI_F_TP_GETATTRO, &getattro) != 0 ||
        pyi_type_lookup(s, type, name, &descr) != 0) {
        return -1;
    }
    if (getattro != s->sym[PYI_Y_GENERIC_GETATTR]) {
        return pt_fail("its type has its own attribute lookup (__getattr__, __getattribute__ or "
                       "a C type)");
    }
    if (!descr) {
        return 0;
    }
    if (pyi_obj_type(s, descr, &dtype) != 0 || pyi_rd_ptr(s, dtype, PYI_F_TP_DESCR_SET, &set) != 0) {
        return -1;
    }
    if (!set) {
        return 0; /* a plain class attribute or a method: the instance's own value wins */
    }
    if (dtype == s->sym[PYI_Y_MEMBERDESCR_TYPE]) {
        *member = descr;
        return 0;
    }
    return pt_fail("`%s` is a property or another data descriptor: watch what it reads instead",
                   name);
}

static int step_attr(struct pyi_session *s, pt_addr cur, const struct pyi_watch_link *l, int prio,
                     struct pyi_watch_loc *loc, pt_addr *slot)
{
    struct pyi_objinfo oi;
    struct key_match m;
    struct pyi_watch_link key = {.kind = PYI_WLINK_ITEM, .key_kind = 2};
    pt_addr dict, member;
    *slot = 0;
    snprintf(key.key_str, sizeof key.key_str, "%s", l->name);
    m = (struct key_match){s, &key};
    if (pyi_obj_classify(s, cur, &oi) != 0) {
        return -1;
    }
    if ((oi.kind == PYI_K_MODULE && oi.exact) || (oi.kind == PYI_K_TYPE && oi.exact)) {
        if (pyi_rd_ptr(s, cur, oi.kind == PYI_K_MODULE ? PYI_F_MOD_DICT : PYI_F_TP_DICT, &dict) != 0) {
            return -1;
        }
        return dict ? s->v->dict_slot(s, dict, key_matches, &m, slot, loc, prio) : 0;
    }
    if (attr_by_code(s, oi.type, l->name, &member) < 0) {
        return pt_wrap("cannot watch attribute `%s`", l->name);
    }
    store_obj(loc, cur); /* `obj.x = v` may add the attribute or move the others */
    if (member) {
        return member_slot(s, cur, member, slot);
    }
    return s->v->attr_slot(s, cur, oi.type, l->name, slot, loc, prio);
}

static int step_item(struct pyi_session *s, pt_addr cur, const struct pyi_watch_link *l, int prio,
                     struct pyi_watch_loc *loc, pt_addr *slot, const char **why)
{
    struct pyi_objinfo oi;
    struct key_match m = {s, l};
    *slot = 0;
    if (pyi_obj_classify(s, cur, &oi) != 0) {
        return -1;
    }
    if (oi.kind == PYI_K_DICT && oi.exact) {
        store_obj(loc, cur);
        *why = "no such key";
        return s->v->dict_slot(s, cur, key_matches, &m, slot, loc, prio);
    }
    if ((oi.kind != PYI_K_LIST && oi.kind != PYI_K_TUPLE) || !oi.exact || l->key_kind != 1) {
        return pt_fail("only exact lists, tuples (by int index) and dicts can be watched by "
                       "subscript (this one runs __getitem__)");
    }
    int64_t size;
    pt_addr base = cur + (pt_addr)s->m[PYI_F_TUPLE_ITEM].off;
    if (pyi_rd(s, cur, PYI_F_OB_SIZE, &size) != 0 ||
        (oi.kind == PYI_K_LIST && pyi_rd_ptr(s, cur, PYI_F_LIST_ITEM, &base) != 0)) {
        return -1;
    }
    if (oi.kind == PYI_K_LIST) {
        /* appends, pops and inserts write the size (and move the items with it) */
        pyi_wloc_add(loc, cur + (pt_addr)s->m[PYI_F_OB_SIZE].off, PYI_WW_MOVE, prio + 1);
        store_obj(loc, cur);
    }
    int64_t i = l->key_int < 0 ? l->key_int + size : l->key_int;
    *why = "index out of range";
    if (i >= 0 && i < size && size <= PYI_MAX_ITEMS) {
        *slot = base + (pt_addr)i * 8;
    }
    return 0;
}

/* In-place changes of the value: what a list, dict, set or bytearray writes whenever it
 * changes; stores into any other object (its attributes, its items). */
static void value_state(struct pyi_session *s, pt_addr v, struct pyi_watch_loc *loc)
{
    struct pyi_objinfo oi;
    if (pyi_obj_classify(s, v, &oi) != 0) {
        pt_err_clear();
        return;
    }
    switch (oi.kind) {
    case PYI_K_LIST:
    case PYI_K_BYTEARRAY:
        pyi_wloc_add(loc, v + (pt_addr)s->m[PYI_F_OB_SIZE].off, PYI_WW_STATE, 3);
        store_obj(loc, v);
        return;
    case PYI_K_DICT:
        if (pyi_has(s, PYI_F_DICT_VERSION)) {
            pyi_wloc_add(loc, v + (pt_addr)s->m[PYI_F_DICT_VERSION].off, PYI_WW_STATE, 3);
        } else {
            pyi_wloc_add(loc, v + (pt_addr)s->m[PYI_F_DICT_USED].off, PYI_WW_STATE, 3);
        }
        store_obj(loc, v);
        return;
    case PYI_K_SET:
        pyi_wloc_add(loc, v + (pt_addr)s->m[PYI_F_SET_USED].off, PYI_WW_STATE, 3);
        return;
    case PYI_K_OTHER:
    case PYI_K_OBJECT:
        store_obj(loc, v);
        return;
    default:
        return; /* immutable (int, str, tuple...) or not watched in place */
    }
}

/* The frame root: the variable's slot, and a cell's contents. */
static int resolve_frame(struct pyi_session *s, const struct pyi_watch *w,
                         struct pyi_watch_loc *loc, pt_addr *cur)
{
    struct pyi_rawframe r;
    struct pyi_objinfo oi;
    int prio = w->nlinks ? 1 : 0;
    if (s->v->frame_read(s, w->frame, &r) != 0 || r.code != w->code) {
        pt_err_clear();
        pyi_wloc_add(loc, w->frame + (pt_addr)s->m[PYI_F_IF_LOCALSPLUS].off +
                              (pt_addr)w->local * 8, PYI_WW_SLOT, prio);
        return absent(loc, "not in scope");
    }
    if (read_slot(s, r.localsplus + (pt_addr)w->local * 8, prio, loc, cur) != 0) {
        return -1;
    }
    if (w->cell && *cur && pyi_obj_classify(s, *cur, &oi) == 0 && oi.kind == PYI_K_CELL &&
        read_slot(s, *cur + (pt_addr)s->m[PYI_F_CELL_REF].off, prio, loc, cur) != 0) {
        return -1;
    }
    pt_err_clear();
    return *cur ? 0 : absent(loc, "unbound");
}

int pyi_watch_resolve(struct pyi_session *s, const struct pyi_watch *w, struct pyi_watch_loc *loc)
{
    pt_addr cur = 0, type;
    memset(loc, 0, sizeof *loc);
    if (w->root == PYI_WROOT_FRAME) {
        if (resolve_frame(s, w, loc, &cur) != 0) {
            return -1;
        }
        if (!cur) {
            return 0;
        }
    } else {
        pyi_wloc_add(loc, w->obj + (pt_addr)s->m[PYI_F_OB_TYPE].off, PYI_WW_BIRTH, 3);
        if (pyi_obj_type(s, w->obj, &type) != 0 || type != w->obj_type) {
            pt_err_clear();
            return absent(loc, "object gone");
        }
        cur = w->obj;
    }
    for (int i = 0; i < w->nlinks; i++) {
        const struct pyi_watch_link *l = &w->links[i];
        const char *why = "no attribute";
        int prio = i == w->nlinks - 1 ? 0 : 1;
        pt_addr slot;
        int rc = l->kind == PYI_WLINK_ATTR ? step_attr(s, cur, l, prio, loc, &slot)
                                           : step_item(s, cur, l, prio, loc, &slot, &why);
        if (rc < 0) {
            return -1;
        }
        if (!slot || read_slot(s, slot, prio, loc, &cur) != 0 || !cur) {
            pt_err_clear();
            return absent(loc, l->name_key ? "unbound" : why);
        }
    }
    loc->value = cur;
    value_state(s, cur, loc);
    return 0;
}

/* ---- values ------------------------------------------------------------------------------- */

int pyi_watch_value(struct pyi_session *s, const struct pyi_watch_loc *loc, struct pyi_wvalue *v)
{
    struct pyi_scalar sc = {0};
    unsigned what = 0;
    memset(v, 0, sizeof *v);
    if (!loc->value) {
        v->absent = true;
        v->exact = true;
        return asprintf(&v->text, "<%s>", loc->why) < 0 ? pt_fail("out of memory") : 0;
    }
    v->obj = loc->value;
    if (pyi_repr_flags(s, loc->value, 0, &v->text, &what) != 0) {
        return -1;
    }
    v->exact = !(what & PYI_REPR_INEXACT);
    if (pyi_scalar_of(s, loc->value, &sc) == 0) {
        static const int kinds[] = {[PYI_SK_OBJ] = 0, [PYI_SK_INT] = 1,   [PYI_SK_BOOL] = 1,
                                    [PYI_SK_FLOAT] = 2, [PYI_SK_STR] = 3, [PYI_SK_NONE] = 4};
        v->kind = kinds[sc.k];
        v->i = sc.i;
        v->f = sc.f;
    }
    pyi_scalar_free(&sc);
    pt_err_clear();
    return 0;
}

int pyi_wvalue_equal(const struct pyi_wvalue *a, const struct pyi_wvalue *b)
{
    if (a->absent || b->absent) {
        return a->absent && b->absent && strcmp(a->text, b->text) == 0;
    }
    if (a->kind == 2 && b->kind == 2 && a->obj == b->obj) {
        return 1; /* the same float object (a NaN is equal to itself, as `x == x` is not) */
    }
    if ((a->kind == 1 || a->kind == 2) && (b->kind == 1 || b->kind == 2)) {
        struct pyi_scalar x = {a->kind == 1 ? PYI_SK_INT : PYI_SK_FLOAT, 0, a->i, a->f, NULL, 0};
        struct pyi_scalar y = {b->kind == 1 ? PYI_SK_INT : PYI_SK_FLOAT, 0, b->i, b->f, NULL, 0};
        int eq = pyi_scalar_eq(&x, &y);
        if (eq >= 0) {
            return eq;
        }
    }
    return strcmp(a->text, b->text) == 0;
}

void pyi_wvalue_free(struct pyi_wvalue *v)
{
    free(v->text);
    v->text = NULL;
}

/* ---- what the watch trampolines need --------------------------------------------------------- */

int pyi_store_ops(struct pyi_session *s, uint8_t depth[256])
{
    uint8_t member[256];
    memset(depth, 0, 256);
    if (!s->v->store_ops) {
        return pt_fail("CPython %s: stores into objects are not known to pytt", s->version);
    }
    for (int k = 0; k < s->v->nstore_ops; k++) {
        if (pyi_opcode_family(s, s->v->store_ops[k][0], member) < 0) {
            return -1;
        }
        for (int op = 0; op < 256; op++) {
            if (member[op]) {
                depth[op] = s->v->store_ops[k][1];
            }
        }
    }
    return 0;
}

int pyi_code_start_instr(struct pyi_session *s, pt_addr code, pt_addr *addr)
{
    size_t it = 0;
    struct pyi_instr in;
    int rc;
    while ((rc = pyi_code_next_instr(s, code, &it, &in)) == 1) {
        if (in.opcode == s->v->op_resume) {
            *addr = code + (pt_addr)s->m[PYI_F_CO_CODE_ADAPTIVE].off + (pt_addr)in.offset;
            return 0;
        }
    }
    return rc < 0 ? -1 : pt_fail("the code at 0x%llx has no RESUME", (unsigned long long)code);
}

int pyi_thread_position(struct pyi_session *s, pid_t tid, struct pyi_pos *pos)
{
    const struct pyi_thread *t;
    size_t n;
    pt_addr instr;
    if (pyi_threads(s, &t, &n) != 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (t[i].native_tid == tid && t[i].top_frame) {
            if (pyi_frame_instr(s, t[i].top_frame, &instr) != 0) {
                return -1;
            }
            return pyi_position(s, t[i].top_frame, instr, pos);
        }
    }
    return pt_fail("thread %d runs no Python code", (int)tid);
}
