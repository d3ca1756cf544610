/*
 * pt_cond_emit: the small x86-64 emitter that in-tracee code is written with (pt_cond.c for
 * breakpoint conditions, pt_tlog.c for tracepoint logs): bytes, labels with rel32 fixups, and
 * the loads both need (a fast local of the frame in rdx, an attribute chain, an int's type).
 * Labels L_TRUE, L_FALSE and L_UNKNOWN exist from the start; code jumps to them and the caller
 * places them. Registers: rax, rcx, rsi, rdx (the frame) as pt_cond.h says.
 */
#ifndef PT_COND_EMIT_H
#define PT_COND_EMIT_H

#include "pt_cond.h"

#include <stddef.h>
#include <stdint.h>

enum { L_TRUE, L_FALSE, L_UNKNOWN, L_FIRST_FREE };
#define MAX_LABELS 64
#define MAX_FIXUPS 256

struct emitter {
    uint8_t *out;
    size_t n, cap;
    const struct pt_cond *c;
    const struct pt_cond_layout *l;
    int labels[MAX_LABELS]; /* position, -1 until placed */
    int nlabels;
    struct {
        int at, label;
    } fix[MAX_FIXUPS];
    int nfix;
    int bad;
};

/* condition codes of jcc (0x4 e, 0x5 ne, 0xc l, 0xd ge, 0xe le, 0xf g; 0x7 a, 0x2 b) */
enum {
    CC_B = 0x2,
    CC_A = 0x7,
    CC_E = 0x4,
    CC_NE = 0x5,
    CC_L = 0xc,
    CC_GE = 0xd,
    CC_LE = 0xe,
    CC_G = 0xf
};

void ce_init(struct emitter *e, const struct pt_cond *c, const struct pt_cond_layout *l,
             uint8_t *out, size_t cap);
/* Resolve the jumps: the code's length, 0 if it did not fit or a label was never placed. */
size_t ce_finish(struct emitter *e);
void ce_frame(struct emitter *e, int frame_reg); /* mov rdx, the frame register */

void ce_bytes(struct emitter *e, const void *p, size_t n);
void ce_b1(struct emitter *e, uint8_t v);
void ce_i32(struct emitter *e, int32_t v);
void ce_i64(struct emitter *e, uint64_t v);
int ce_new_label(struct emitter *e);
void ce_place(struct emitter *e, int label);
void ce_jmp(struct emitter *e, int label);
void ce_jcc(struct emitter *e, uint8_t cc, int label);
void ce_load_slot(struct emitter *e, int64_t off); /* mov rax, [rdx + off] */
void ce_movabs(struct emitter *e, int reg /* 0 rax, 1 rcx, 6 rsi */, uint64_t v);
void ce_cmp_rax_rcx(struct emitter *e);
void ce_check_int_type(struct emitter *e, int unknown); /* rax: an exact int, or jump */
void ce_test_rax(struct emitter *e, int zero);          /* jump if rax is 0 */
void ce_load_rax(struct emitter *e, int64_t off);       /* mov rax, [rax + off] */
/* An operand's value (as_int: an int's value) or object address into rax, else to `unknown`. */
void ce_operand(struct emitter *e, const struct pt_cond_opnd *o, int as_int, int unknown);

#endif
