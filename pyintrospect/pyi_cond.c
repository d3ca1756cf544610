/*
 * pyi_cond: a breakpoint condition lowered to the tree that the watch trampolines check inside
 * the tracee (common/pt_cond.h), for one code object: names become slots of its fast locals,
 * and the layout of ints and singletons comes from DWARF. Only the parts that can be decided
 * from those slots are lowered (int comparisons, `is` None/True/False, truth of a local,
 * not/and/or, and attributes of locals down a chain, local.a.b, planned against the classes of
 * the objects in the frame at a hit); the rest become UNKNOWN leaves, which make the trampoline
 * trap so that pytt evaluates the whole condition exactly.
 */
#include "pyintrospect/pyi_expr.h"
#include "pyintrospect/pyi_internal.h"

#include "common/pt_cond.h"

#include <string.h>

struct lower {
    struct pyi_session *s;
    const struct pyi_expr *e;
    const struct pyi_code *code;
    pt_addr frame; /* the frame at a hit (0: none): the objects attributes are read from */
    struct pt_cond *out;
    bool attrs; /* some operand is an attribute */
};

static int add(struct lower *l, const struct pt_cond_node *n)
{
    if (l->out->nnodes == PT_COND_NODES) {
        return -1;
    }
    l->out->n[l->out->nnodes] = *n;
    return l->out->nnodes++;
}

static int unknown(struct lower *l)
{
    struct pt_cond_node n;
    memset(&n, 0, sizeof n);
    n.kind = PT_CN_UNKNOWN;
    int id = add(l, &n);
    return id < 0 ? 0 : id; /* out of room: node 0 is as good a place as any to give up */
}

/* A plain fast local (not a cell or free variable) of the code: its slot's offset. */
static bool local_slot(struct lower *l, const char *name, int64_t *off)
{
    const struct pyi_code *c = l->code;
    unsigned plain = l->s->v->fast_local, other = l->s->v->fast_cell | l->s->v->fast_free;
    for (int i = 0; i < c->nlocalsplus; i++) {
        if (c->localsplusnames[i] && strcmp(c->localsplusnames[i], name) == 0) {
            *off = l->s->m[PYI_F_IF_LOCALSPLUS].off + (int64_t)i * 8;
            return (c->localspluskinds[i] & plain) && !(c->localspluskinds[i] & other);
        }
    }
    return false;
}

/* One attribute load obj.name planned against obj's class: a class that reads attributes
 * generically, has a valid version tag, defines nothing of that name (no descriptor, no class
 * attribute: pyi_type_lookup) and keeps its instances' values where the version's access reads
 * them (inline_attr). *next: the attribute's value now, for the load after it. */
static bool attr_step(struct lower *l, pt_addr obj, const char *name, struct pt_cond_step *st,
                      pt_addr *next)
{
    struct pyi_session *s = l->s;
    pt_addr type = 0, getattro, descr;
    unsigned tag = 0;
    memset(st, 0, sizeof *st);
    bool ok = obj && pyi_obj_type(s, obj, &type) == 0 && pyi_type_version(s, type, &tag) == 0 &&
              tag != 0 && pyi_rd_ptr(s, type, PYI_F_TP_GETATTRO, &getattro) == 0 &&
              getattro == s->sym[PYI_Y_GENERIC_GETATTR] &&
              pyi_type_lookup(s, type, name, &descr) == 0 && !descr &&
              s->v->inline_attr(s, type, name, st) == 1 &&
              pyi_instance_attr(s, obj, type, name, next) == 0;
    pt_err_clear();
    st->type = type;
    st->tag = tag;
    return ok;
}

/* local.a.b...: the chain of names, innermost first; false unless its base is a name. */
static bool attr_chain(const struct pyi_expr *e, const struct pyi_enode *n, const char **names,
                       int *count, const char **base)
{
    const struct pyi_enode *chain[PT_COND_STEPS];
    int k = 0;
    while (n->kind == PYI_E_ATTR) {
        if (k == PT_COND_STEPS) {
            return false;
        }
        chain[k++] = n;
        n = &e->n[n->a];
    }
    if (n->kind != PYI_E_NAME) {
        return false;
    }
    *base = n->s;
    *count = k;
    for (int i = 0; i < k; i++) {
        names[i] = chain[k - 1 - i]->s;
    }
    return true;
}

/* local.a.b..., where the local holds (now, in l->frame) an object whose attributes, and
 * theirs down the chain, can each be read from where their class keeps them (attr_step). */
static bool attr_operand(struct lower *l, const struct pyi_enode *n, struct pt_cond_opnd *o)
{
    struct pyi_session *s = l->s;
    const char *names[PT_COND_STEPS], *base;
    int count;
    pt_addr obj;
    if (!l->frame || !s->v->cond_attrs || !s->v->inline_attr || !pyi_has(s, PYI_F_TP_VERSION_TAG) ||
        !pyi_has(s, PYI_F_TP_GETATTRO) || !s->sym[PYI_Y_GENERIC_GETATTR] ||
        !attr_chain(l->e, n, names, &count, &base) || l->out->nsteps + count > PT_COND_STEPS ||
        !local_slot(l, base, &o->v) || pyi_read_ptr(s, l->frame + (pt_addr)o->v, &obj) != 0) {
        pt_err_clear();
        return false;
    }
    struct pt_cond_step *steps = &l->out->steps[l->out->nsteps];
    for (int i = 0; i < count; i++) {
        if (!attr_step(l, obj, names[i], &steps[i], &obj)) {
            memset(steps, 0, sizeof *steps * (size_t)count); /* lowerings compare equal */
            return false;
        }
    }
    o->kind = PT_CO_ATTR;
    o->step = (uint8_t)l->out->nsteps;
    o->nsteps = (uint8_t)count;
    l->out->nsteps += count;
    l->attrs = true;
    return true;
}

/* An operand: a local, an attribute of a local, an int literal (CMP) or None/True/False (IS). */
static bool operand(struct lower *l, int id, bool is, struct pt_cond_opnd *o)
{
    const struct pyi_enode *n = &l->e->n[id];
    memset(o, 0, sizeof *o);
    if (n->kind == PYI_E_NAME) {
        o->kind = PT_CO_LOCAL;
        return local_slot(l, n->s, &o->v);
    }
    if (n->kind == PYI_E_ATTR) {
        return attr_operand(l, n, o);
    }
    o->kind = PT_CO_CONST;
    if (!is && n->kind == PYI_E_INT) {
        o->v = n->i;
        return true;
    }
    if (!is && n->kind == PYI_E_UNARY && n->op == '-' && l->e->n[n->a].kind == PYI_E_INT) {
        o->v = -l->e->n[n->a].i;
        return true;
    }
    enum pyi_sym sym = n->kind == PYI_E_NONE    ? PYI_Y_NONE
                       : n->kind == PYI_E_TRUE  ? PYI_Y_TRUE
                       : n->kind == PYI_E_FALSE ? PYI_Y_FALSE
                                                : PYI_Y__COUNT;
    if (!is || sym == PYI_Y__COUNT) {
        return false;
    }
    o->v = (int64_t)l->s->sym[sym];
    return true;
}

static int compare(struct lower *l, int op, int a, int b)
{
    static const int cc[] = {
        [PYI_CMP_EQ] = PT_CC_EQ, [PYI_CMP_NE] = PT_CC_NE,    [PYI_CMP_LT] = PT_CC_LT,
        [PYI_CMP_LE] = PT_CC_LE, [PYI_CMP_GT] = PT_CC_GT,    [PYI_CMP_GE] = PT_CC_GE,
        [PYI_CMP_IS] = PT_CC_EQ, [PYI_CMP_IS_NOT] = PT_CC_NE};
    struct pt_cond_node n;
    memset(&n, 0, sizeof n);
    bool is = op == PYI_CMP_IS || op == PYI_CMP_IS_NOT;
    if (op == PYI_CMP_IN || op == PYI_CMP_NOT_IN || !operand(l, a, is, &n.x) ||
        !operand(l, b, is, &n.y) || (n.x.kind == PT_CO_CONST && n.y.kind == PT_CO_CONST)) {
        return unknown(l);
    }
    n.kind = is ? PT_CN_IS : PT_CN_CMP;
    n.op = (uint8_t)cc[op];
    int id = add(l, &n);
    return id < 0 ? unknown(l) : id;
}

static int binary(struct lower *l, int kind, int a, int b)
{
    struct pt_cond_node n;
    memset(&n, 0, sizeof n);
    n.kind = (uint8_t)kind;
    n.a = (uint8_t)a;
    n.b = (uint8_t)b;
    int id = add(l, &n);
    return id < 0 ? unknown(l) : id;
}

static int lower(struct lower *l, int id)
{
    const struct pyi_enode *n = &l->e->n[id];
    struct pt_cond_node t;
    switch (n->kind) {
    case PYI_E_NOT:
        return binary(l, PT_CN_NOT, lower(l, n->a), 0);
    case PYI_E_AND:
    case PYI_E_OR: {
        int a = lower(l, n->a), b = lower(l, n->b);
        return binary(l, n->kind == PYI_E_AND ? PT_CN_AND : PT_CN_OR, a, b);
    }
    case PYI_E_CMP: {
        int acc = compare(l, n->cops[0], n->cargs[0], n->cargs[1]);
        for (int k = 1; k < n->ncmp; k++) { /* a < b < c: (a < b) and (b < c) */
            acc = binary(l, PT_CN_AND, acc, compare(l, n->cops[k], n->cargs[k], n->cargs[k + 1]));
        }
        return acc;
    }
    case PYI_E_NAME:
        memset(&t, 0, sizeof t);
        t.kind = PT_CN_TRUTH;
        t.x.kind = PT_CO_LOCAL;
        if (local_slot(l, n->s, &t.x.v)) {
            int tid = add(l, &t);
            return tid < 0 ? unknown(l) : tid;
        }
        return unknown(l);
    default:
        return unknown(l);
    }
}

/* Where the version keeps what an attribute load reads (all from DWARF but the words before
 * the object, macros of CPython's headers that the version layer knows). */
static void attr_layout(struct pyi_session *s, struct pt_cond_layout *layout)
{
    layout->attrs = s->v->cond_attrs;
    layout->tag_off = s->m[PYI_F_TP_VERSION_TAG].off;
    switch (s->v->cond_attrs) {
    case PT_CA_VALUES_PTR:
        layout->values_ptr_off = -(int64_t)s->v->values_word * 8;
        break;
    case PT_CA_TAGGED_WORD:
        layout->values_ptr_off = -(int64_t)s->v->managed_dict_word * 8;
        break;
    case PT_CA_INLINE:
        layout->valid_off = s->m[PYI_F_DV_VALID].off;
        break;
    case PT_CA_SPLIT_DICT:
        layout->dict_keys_off = s->m[PYI_F_DICT_KEYS].off;
        layout->dict_values_off = s->m[PYI_F_DICT_VALUES].off;
        break;
    default:
        layout->attrs = PT_CA_NONE;
        break;
    }
    /* 3.10's ma_values is a plain array of values */
    layout->values_off = pyi_has(s, PYI_F_DV_VALUES) ? s->m[PYI_F_DV_VALUES].off : 0;
}

/* Does the code fit in the trampolines' slot (any frame register)? If not, nothing is checked
 * in the tracee: every hit traps, as without a condition. */
static int fits(struct pt_cond *c, const struct pt_cond_layout *layout)
{
    uint8_t code[PT_COND_CODE_MAX];
    if (pt_cond_emit(c, layout, 15, 0, code, sizeof code) == 0) {
        memset(c, 0, sizeof *c);
        return 0;
    }
    return 1;
}

int pyi_cond_lower(struct pyi_session *s, pt_addr code, pt_addr frame, const char *expr,
                   struct pt_cond *out, struct pt_cond_layout *layout)
{
    struct pyi_expr e;
    struct pyi_code *c;
    const char *why;
    memset(out, 0, sizeof *out);
    memset(layout, 0, sizeof *layout);
    if (s->v->cond_ints == PYI_INTS_NONE || pyi_code_get(s, code, &c) != 0) {
        pt_err_clear();
        return 0;
    }
    if (!(c->flags & PYI_CO_OPTIMIZED)) {
        return 0; /* module and class bodies keep their names in dicts */
    }
    int rc = pyi_expr_parse(expr, &e, &why);
    if (rc != PYI_PARSE_OK) {
        pyi_expr_free(&e);
        return rc < 0 ? pt_fail("out of memory") : 0;
    }
    struct lower l = {s, &e, c, frame, out, false};
    out->root = lower(&l, e.root);
    pyi_expr_free(&e);
    if (out->n[out->root].kind == PT_CN_UNKNOWN) {
        memset(out, 0, sizeof *out);
        return 0; /* nothing decidable: trapping at every hit is all there is */
    }
    pyi_cond_layout(s, l.attrs, layout);
    return fits(out, layout);
}

void pyi_cond_layout(struct pyi_session *s, bool attrs, struct pt_cond_layout *layout)
{
    layout->type_off = s->m[PYI_F_OB_TYPE].off;
    layout->int_tag = s->v->cond_ints == PYI_INTS_LV_TAG;
    layout->size_off = s->m[layout->int_tag ? PYI_F_LONG_TAG : PYI_F_OB_SIZE].off;
    layout->digit_off = s->m[PYI_F_LONG_DIGIT].off;
    layout->long_type = s->sym[PYI_Y_LONG_TYPE];
    layout->none = s->sym[PYI_Y_NONE];
    layout->true_obj = s->sym[PYI_Y_TRUE];
    layout->false_obj = s->sym[PYI_Y_FALSE];
    if (attrs) {
        attr_layout(s, layout);
    }
}

int pyi_cond_operand_expr(struct pyi_session *s, const struct pyi_code *c, pt_addr frame,
                          const char *expr, struct pt_cond *steps, struct pt_cond_opnd *o,
                          bool *attrs)
{
    struct pyi_expr e;
    const char *why;
    int rc = pyi_expr_parse(expr, &e, &why);
    if (rc != PYI_PARSE_OK) {
        pyi_expr_free(&e);
        return rc < 0 ? pt_fail("out of memory") : 0;
    }
    struct lower l = {s, &e, c, frame, steps, false};
    int kind = e.n[e.root].kind;
    bool ok = (kind == PYI_E_NAME || kind == PYI_E_ATTR) && (c->flags & PYI_CO_OPTIMIZED) &&
              operand(&l, e.root, false, o);
    pyi_expr_free(&e);
    *attrs = *attrs || l.attrs;
    return ok ? 1 : 0;
}
