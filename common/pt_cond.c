/*
 * pt_cond: x86-64 code for in-tracee breakpoint conditions (see pt_cond.h), and the emitter
 * primitives pt_tlog.c shares (pt_cond_emit.h). Each tree node is
 * compiled to jumps towards three exits, TRUE, FALSE and UNKNOWN (the jumping code of a
 * short-circuit evaluation, as compilers emit for && and ||); TRUE and UNKNOWN both make the
 * trampoline trap. Registers used: rax, rcx, rdx (the frame), rsi; all restored.
 */
#include "pt_cond.h"
#include "pt_cond_emit.h"

#include <string.h>

void ce_bytes(struct emitter *e, const void *p, size_t n)
{
    if (e->n + n > e->cap) {
        e->bad = 1;
        return;
    }
    memcpy(e->out + e->n, p, n);
    e->n += n;
}

void ce_b1(struct emitter *e, uint8_t v)
{
    ce_bytes(e, &v, 1);
}

void ce_i32(struct emitter *e, int32_t v)
{
    ce_bytes(e, &v, 4);
}

void ce_i64(struct emitter *e, uint64_t v)
{
    ce_bytes(e, &v, 8);
}

int ce_new_label(struct emitter *e)
{
    if (e->nlabels == MAX_LABELS) {
        e->bad = 1;
        return L_UNKNOWN;
    }
    e->labels[e->nlabels] = -1;
    return e->nlabels++;
}

void ce_place(struct emitter *e, int label)
{
    e->labels[label] = (int)e->n;
}

/* A rel32 jump: opcode bytes (jmp: e9; jcc: 0f 8x), then the label's displacement. */
static void ce_jump(struct emitter *e, const uint8_t *op, size_t oplen, int label)
{
    ce_bytes(e, op, oplen);
    if (e->nfix == MAX_FIXUPS) {
        e->bad = 1;
        return;
    }
    e->fix[e->nfix].at = (int)e->n;
    e->fix[e->nfix++].label = label;
    ce_i32(e, 0);
}

void ce_jmp(struct emitter *e, int label)
{
    static const uint8_t op[] = {0xe9};
    ce_jump(e, op, 1, label);
}

/* jcc with condition code cc (0x4 e, 0x5 ne, 0xc l, 0xd ge, 0xe le, 0xf g) */
void ce_jcc(struct emitter *e, uint8_t cc, int label)
{
    uint8_t op[2] = {0x0f, (uint8_t)(0x80 | cc)};
    ce_jump(e, op, 2, label);
}

/* mov rax, [rdx + disp32] */
void ce_load_slot(struct emitter *e, int64_t off)
{
    static const uint8_t op[] = {0x48, 0x8b, 0x82};
    ce_bytes(e, op, 3);
    ce_i32(e, (int32_t)off);
}

void ce_movabs(struct emitter *e, int reg /* 0 rax, 1 rcx, 6 rsi */, uint64_t v)
{
    ce_b1(e, 0x48);
    ce_b1(e, (uint8_t)(0xb8 + reg));
    ce_i64(e, v);
}

/* cmp rax, rcx */
void ce_cmp_rax_rcx(struct emitter *e)
{
    static const uint8_t op[] = {0x48, 0x39, 0xc8};
    ce_bytes(e, op, 3);
}

/* rax: an object; to `unknown` unless an exact int whose type check passes. */
void ce_check_int_type(struct emitter *e, int unknown)
{
    static const uint8_t test[] = {0x48, 0x85, 0xc0};     /* test rax, rax */
    static const uint8_t cmp_type[] = {0x48, 0x39, 0x88}; /* cmp [rax+d32], rcx */
    ce_bytes(e, test, 3);
    ce_jcc(e, CC_E, unknown);
    ce_movabs(e, 1, e->l->long_type);
    ce_bytes(e, cmp_type, 3);
    ce_i32(e, (int32_t)e->l->type_off);
    ce_jcc(e, CC_NE, unknown);
}

/* 3.12+: rax: an exact int -> its value in rax, from long_value.lv_tag (ndigits << 3 | sign
 * bits: 0 positive, 1 zero, 2 negative) and the first digit (at most one, else unknown). */
static void int_value_tag(struct emitter *e, int unknown)
{
    static const uint8_t ld_tag[] = {0x48, 0x8b, 0x88};      /* mov rcx, [rax+d32] */
    static const uint8_t cmp15[] = {0x48, 0x83, 0xf9, 0x0f}; /* cmp rcx, 15: ndigits <= 1 */
    static const uint8_t ld_digit[] = {0x8b, 0x80};          /* mov eax, [rax+d32] */
    static const uint8_t and3[] = {0x83, 0xe1, 0x03};        /* and ecx, 3 */
    static const uint8_t neg[] = {0x48, 0xf7, 0xd9};         /* neg rcx */
    static const uint8_t inc[] = {0x48, 0x83, 0xc1, 0x01};   /* add rcx, 1: 1 - sign bits */
    static const uint8_t imul[] = {0x48, 0x0f, 0xaf, 0xc1};  /* imul rax, rcx */
    ce_bytes(e, ld_tag, 3);
    ce_i32(e, (int32_t)e->l->size_off);
    ce_bytes(e, cmp15, 4);
    ce_jcc(e, CC_A, unknown);
    ce_bytes(e, ld_digit, 2);
    ce_i32(e, (int32_t)e->l->digit_off);
    ce_bytes(e, and3, 3);
    ce_bytes(e, neg, 3);
    ce_bytes(e, inc, 4);
    ce_bytes(e, imul, 4);
}

/* rax: an exact int -> its value in rax (at most one 30-bit digit, else unknown). */
static void int_value(struct emitter *e, int unknown)
{
    static const uint8_t ld_size[] = {0x48, 0x8b, 0x88};     /* mov rcx, [rax+d32] */
    static const uint8_t cmp1[] = {0x48, 0x83, 0xf9, 0x01};  /* cmp rcx, 1 */
    static const uint8_t cmpm1[] = {0x48, 0x83, 0xf9, 0xff}; /* cmp rcx, -1 */
    static const uint8_t ld_digit[] = {0x8b, 0x80};          /* mov eax, [rax+d32] */
    static const uint8_t imul[] = {0x48, 0x0f, 0xaf, 0xc1};  /* imul rax, rcx */
    ce_check_int_type(e, unknown);
    if (e->l->int_tag) {
        int_value_tag(e, unknown);
        return;
    }
    ce_bytes(e, ld_size, 3);
    ce_i32(e, (int32_t)e->l->size_off);
    ce_bytes(e, cmp1, 4);
    ce_jcc(e, CC_G, unknown);
    ce_bytes(e, cmpm1, 4);
    ce_jcc(e, CC_L, unknown);
    ce_bytes(e, ld_digit, 2);
    ce_i32(e, (int32_t)e->l->digit_off);
    ce_bytes(e, imul, 4);
}

void ce_test_rax(struct emitter *e, int zero)
{
    static const uint8_t test[] = {0x48, 0x85, 0xc0}; /* test rax, rax */
    ce_bytes(e, test, 3);
    ce_jcc(e, CC_E, zero);
}

/* mov rax, [rax + disp32] */
void ce_load_rax(struct emitter *e, int64_t off)
{
    static const uint8_t op[] = {0x48, 0x8b, 0x80};
    ce_bytes(e, op, 3);
    ce_i32(e, (int32_t)off);
}

/* rax: a dict at the type's dictoffset (3.10) -> rax: its split values, if it still shares the
 * keys object planned for whose entry still holds the same key (else unknown). */
static void split_dict_values(struct emitter *e, const struct pt_cond_step *st, int unknown)
{
    static const uint8_t cmp_keys[] = {0x48, 0x39, 0x88}; /* cmp [rax+d32], rcx */
    static const uint8_t push_rax = 0x50, pop_rax = 0x58;
    static const uint8_t deref[] = {0x48, 0x8b, 0x00}; /* mov rax, [rax] */
    ce_test_rax(e, unknown);
    ce_movabs(e, 1, st->keys);
    ce_bytes(e, cmp_keys, 3);
    ce_i32(e, (int32_t)e->l->dict_keys_off);
    ce_jcc(e, CC_NE, unknown);
    ce_b1(e, push_rax); /* the entry's key: one more register for a moment */
    ce_movabs(e, 0, st->key_at);
    ce_bytes(e, deref, 3);
    ce_movabs(e, 1, st->key);
    ce_cmp_rax_rcx(e);
    ce_b1(e, pop_rax); /* flags kept */
    ce_jcc(e, CC_NE, unknown);
    ce_load_rax(e, e->l->dict_values_off);
    ce_test_rax(e, unknown);
}

/* rax: an object -> rax: its attribute (step st), read from its values when its class is
 * exactly the one planned for and unchanged, and the object keeps its values where the class
 * does (else unknown). */
static void attribute(struct emitter *e, const struct pt_cond_step *st, int unknown)
{
    static const uint8_t cmp_type[] = {0x48, 0x39, 0x88}; /* cmp [rax+d32], rcx */
    static const uint8_t cmp_tag[] = {0x81, 0xb9};        /* cmp dword [rcx+d32], imm32 */
    static const uint8_t test_al1[] = {0xa8, 0x01};       /* test al, 1 */
    static const uint8_t cmp_byte0[] = {0x80, 0xb8};      /* cmp byte [rax+d32], imm8 */
    int64_t at = e->l->values_off + 8 * (int64_t)st->index;
    ce_test_rax(e, unknown);
    ce_movabs(e, 1, st->type);
    ce_bytes(e, cmp_type, 3);
    ce_i32(e, (int32_t)e->l->type_off);
    ce_jcc(e, CC_NE, unknown);
    ce_bytes(e, cmp_tag, 2); /* rcx still holds the type */
    ce_i32(e, (int32_t)e->l->tag_off);
    ce_i32(e, (int32_t)st->tag);
    ce_jcc(e, CC_NE, unknown);
    switch (e->l->attrs) {
    case PT_CA_VALUES_PTR: /* NULL: the object has a dict instead */
        ce_load_rax(e, e->l->values_ptr_off);
        ce_test_rax(e, unknown);
        break;
    case PT_CA_TAGGED_WORD: /* even: a dict; odd: the values less 1 */
        ce_load_rax(e, e->l->values_ptr_off);
        ce_bytes(e, test_al1, 2);
        ce_jcc(e, CC_E, unknown);
        at += 1;
        break;
    case PT_CA_INLINE: /* valid 0: the object's dict took them over */
        ce_bytes(e, cmp_byte0, 2);
        ce_i32(e, (int32_t)(st->base + e->l->valid_off));
        ce_b1(e, 0);
        ce_jcc(e, CC_E, unknown);
        at += st->base;
        break;
    case PT_CA_SPLIT_DICT:
        ce_load_rax(e, st->base);
        split_dict_values(e, st, unknown);
        break;
    default:
        ce_jmp(e, unknown);
        return;
    }
    ce_load_rax(e, at);
}

/* An operand's value (ints) or address (objects) into rax. */
void ce_operand(struct emitter *e, const struct pt_cond_opnd *o, int as_int, int unknown)
{
    if (o->kind == PT_CO_CONST) {
        ce_movabs(e, 0, (uint64_t)o->v);
        return;
    }
    ce_load_slot(e, o->v);
    if (o->kind == PT_CO_ATTR) {
        if (e->l->attrs == PT_CA_NONE || !o->nsteps || e->c->nsteps > PT_COND_STEPS ||
            o->step + o->nsteps > e->c->nsteps) {
            ce_jmp(e, unknown);
            return;
        }
        for (int k = o->step; k < o->step + o->nsteps; k++) {
            attribute(e, &e->c->steps[k], unknown);
        }
    }
    if (as_int) {
        int_value(e, unknown);
    } else {
        ce_test_rax(e, unknown); /* unbound (NameError, or a global): unknown */
    }
}

static void compare(struct emitter *e, const struct pt_cond_node *n, int lt, int lf, int lu)
{
    static const uint8_t to_rsi[] = {0x48, 0x89, 0xc6};  /* mov rsi, rax */
    static const uint8_t cmp_rsi[] = {0x48, 0x39, 0xf0}; /* cmp rax, rsi */
    static const uint8_t cc[] = {[PT_CC_EQ] = CC_E,  [PT_CC_NE] = CC_NE, [PT_CC_LT] = CC_L,
                                 [PT_CC_LE] = CC_LE, [PT_CC_GT] = CC_G,  [PT_CC_GE] = CC_GE};
    int as_int = n->kind == PT_CN_CMP;
    ce_operand(e, &n->y, as_int, lu);
    ce_bytes(e, to_rsi, 3);
    ce_operand(e, &n->x, as_int, lu);
    ce_bytes(e, cmp_rsi, 3);
    ce_jcc(e, cc[n->op > PT_CC_GE ? PT_CC_EQ : n->op], lt);
    ce_jmp(e, lf);
}

static void truth(struct emitter *e, const struct pt_cond_node *n, int lt, int lf, int lu)
{
    static const uint8_t ld_size[] = {0x48, 0x8b, 0x88};  /* mov rcx, [rax+d32] */
    static const uint8_t test_rcx[] = {0x48, 0x85, 0xc9}; /* test rcx, rcx */
    ce_load_slot(e, n->x.v);
    uint64_t singles[3] = {e->l->none, e->l->false_obj, e->l->true_obj};
    int to[3] = {lf, lf, lt};
    for (int i = 0; i < 3; i++) {
        ce_movabs(e, 1, singles[i]);
        ce_cmp_rax_rcx(e);
        ce_jcc(e, CC_E, to[i]);
    }
    static const uint8_t and3[] = {0x83, 0xe1, 0x03}; /* and ecx, 3 */
    static const uint8_t cmp1[] = {0x83, 0xf9, 0x01}; /* cmp ecx, 1 */
    ce_check_int_type(e, lu);
    ce_bytes(e, ld_size, 3);
    ce_i32(e, (int32_t)e->l->size_off);
    if (e->l->int_tag) {
        ce_bytes(e, and3, 3);
        ce_bytes(e, cmp1, 3);
        ce_jcc(e, CC_E, lf); /* sign bits 1: the int 0 */
        ce_jmp(e, lt);
        return;
    }
    ce_bytes(e, test_rcx, 3);
    ce_jcc(e, CC_E, lf); /* ob_size 0: the int 0 */
    ce_jmp(e, lt);
}

static void node(struct emitter *e, int id, int lt, int lf, int lu)
{
    const struct pt_cond_node *n = &e->c->n[id];
    int mid;
    if (e->bad || id < 0 || id >= e->c->nnodes) {
        e->bad = 1;
        return;
    }
    switch (n->kind) {
    case PT_CN_AND:
        mid = ce_new_label(e);
        node(e, n->a, mid, lf, lu);
        ce_place(e, mid);
        node(e, n->b, lt, lf, lu);
        return;
    case PT_CN_OR:
        mid = ce_new_label(e);
        node(e, n->a, lt, mid, lu);
        ce_place(e, mid);
        node(e, n->b, lt, lf, lu);
        return;
    case PT_CN_NOT:
        node(e, n->a, lf, lt, lu);
        return;
    case PT_CN_CMP:
    case PT_CN_IS:
        if (n->kind == PT_CN_CMP && !e->l->long_type) {
            break;
        }
        compare(e, n, lt, lf, lu);
        return;
    case PT_CN_TRUTH:
        if (!e->l->long_type || n->x.kind != PT_CO_LOCAL) {
            break;
        }
        truth(e, n, lt, lf, lu);
        return;
    default:
        break;
    }
    ce_jmp(e, lu);
}

/* pop rsi, rdx, rcx, rax; then ZF (trap: cmp rsp, rsp; go on: test rsp, rsp); ret */
static void epilogue(struct emitter *e, int trap)
{
    static const uint8_t pops[] = {0x5e, 0x5a, 0x59, 0x58};
    static const uint8_t set_zf[] = {0x48, 0x39, 0xe4}, clear_zf[] = {0x48, 0x85, 0xe4};
    ce_bytes(e, pops, 4);
    ce_bytes(e, trap ? set_zf : clear_zf, 3);
    ce_b1(e, 0xc3);
}

void ce_init(struct emitter *e, const struct pt_cond *c, const struct pt_cond_layout *l,
             uint8_t *out, size_t cap)
{
    memset(e, 0, sizeof *e);
    e->out = out;
    e->cap = cap;
    e->c = c;
    e->l = l;
    for (int i = 0; i < L_FIRST_FREE; i++) {
        e->labels[i] = -1;
    }
    e->nlabels = L_FIRST_FREE;
}

size_t ce_finish(struct emitter *e)
{
    for (int i = 0; i < e->nfix && !e->bad; i++) {
        int target = e->labels[e->fix[i].label];
        int32_t rel = (int32_t)(target - (e->fix[i].at + 4));
        if (target < 0) {
            e->bad = 1;
        } else {
            memcpy(e->out + e->fix[i].at, &rel, 4);
        }
    }
    return e->bad ? 0 : e->n;
}

void ce_frame(struct emitter *e, int frame_reg)
{
    if (frame_reg != 2) { /* mov rdx, FRAME */
        ce_b1(e, (uint8_t)(0x48 | (frame_reg >= 8 ? 4 : 0)));
        ce_b1(e, 0x89);
        ce_b1(e, (uint8_t)(0xc0 | ((frame_reg & 7) << 3) | 2));
    }
}

size_t pt_cond_emit(const struct pt_cond *c, const struct pt_cond_layout *l, int frame_reg,
                    uint64_t at, uint8_t *out, size_t cap)
{
    struct emitter e;
    ce_init(&e, c, l, out, cap);
    static const uint8_t pushes[] = {0x50, 0x51, 0x52, 0x56}; /* rax rcx rdx rsi */
    ce_bytes(&e, pushes, 4);
    ce_frame(&e, frame_reg);
    node(&e, c->root, L_TRUE, L_FALSE, L_UNKNOWN);
    ce_place(&e, L_FALSE);
    epilogue(&e, 0);
    ce_place(&e, L_TRUE);
    ce_place(&e, L_UNKNOWN);
    epilogue(&e, 1);
    (void)at; /* position-independent: every jump is relative to the code itself */
    return ce_finish(&e);
}
