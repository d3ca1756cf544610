/*
 * pt_tlog: the x86-64 code of in-tracee tracepoint logs (see pt_tlog.h): one shared routine
 * that checks an object's type and size and copies it into the log, and per traced
 * instruction a program that loads each expression's object (pt_cond_emit.h's operands) and
 * commits the entry only when every value was copied.
 */
#include "pt_tlog.h"

#include "pt_clock.h"
#include "pt_cond_emit.h"

#include <string.h>

static void ins(struct emitter *e, const uint8_t *p, size_t n)
{
    ce_bytes(e, p, n);
}

#define INS(e, ...)                                                                                \
    do {                                                                                           \
        static const uint8_t op_[] = {__VA_ARGS__};                                                \
        ins(e, op_, sizeof op_);                                                                   \
    } while (0)

/* mov rcx, [rax + disp32] */
static void rcx_from_rax(struct emitter *e, int64_t off)
{
    INS(e, 0x48, 0x8b, 0x88);
    ce_i32(e, (int32_t)off);
}

/* cmp rcx, imm32; ja fail (unsigned: a negative size is too long) */
static void rcx_at_most(struct emitter *e, int64_t max, int fail)
{
    INS(e, 0x48, 0x81, 0xf9);
    ce_i32(e, (int32_t)max);
    ce_jcc(e, CC_A, fail);
}

/* add rcx, imm32 */
static void rcx_add(struct emitter *e, int64_t v)
{
    INS(e, 0x48, 0x81, 0xc1);
    ce_i32(e, (int32_t)v);
}

/* rcx: the size word of an int -> the bytes to copy (its digits, at least one), or fail. */
static void int_len(struct emitter *e, const struct pt_tlog_layout *l, int fail)
{
    int64_t maxdig = (PT_TLOG_COPY_MAX - l->obj.digit_off) / l->digit_size;
    if (l->obj.int_tag) {
        INS(e, 0x48, 0xc1, 0xe9, 0x03); /* shr rcx, 3: the digit count */
    } else {
        INS(e, 0x48, 0x89, 0xce,    /* mov rsi, rcx */
            0x48, 0xc1, 0xfe, 0x3f, /* sar rsi, 63 */
            0x48, 0x31, 0xf1,       /* xor rcx, rsi */
            0x48, 0x29, 0xf1);      /* sub rcx, rsi: |ob_size| */
    }
    rcx_at_most(e, maxdig, fail);
    INS(e, 0x48, 0x85, 0xc9,           /* test rcx, rcx */
        0x75, 0x05,                    /* jne +5 */
        0xb9, 0x01, 0x00, 0x00, 0x00); /* mov ecx, 1: 0 keeps one digit */
    INS(e, 0x48, 0x6b, 0xc9);          /* imul rcx, rcx, imm8 */
    ce_b1(e, (uint8_t)l->digit_size);
    rcx_add(e, l->obj.digit_off);
}

size_t pt_tlog_emit_copy(const struct pt_tlog_layout *l, uint8_t *out, size_t cap)
{
    struct emitter e;
    ce_init(&e, NULL, &l->obj, out, cap);
    int fail = ce_new_label(&e), single = ce_new_label(&e), copy = ce_new_label(&e);
    int is_float = ce_new_label(&e), is_int = ce_new_label(&e), is_str = ce_new_label(&e),
        is_bytes = ce_new_label(&e);
    INS(&e, 0x48, 0x89, 0x07); /* mov [rdi], rax */
    uint64_t singles[3] = {l->obj.none, l->obj.true_obj, l->obj.false_obj};
    for (int i = 0; i < 3; i++) {
        ce_movabs(&e, 1, singles[i]);
        ce_cmp_rax_rcx(&e);
        ce_jcc(&e, CC_E, single);
    }
    rcx_from_rax(&e, l->obj.type_off);
    uint64_t types[4] = {l->float_type, l->obj.long_type, l->str_type, l->bytes_type};
    int to[4] = {is_float, is_int, is_str, is_bytes};
    for (int i = 0; i < 4; i++) {
        if (!types[i]) {
            continue;
        }
        ce_movabs(&e, 6, types[i]);
        INS(&e, 0x48, 0x39, 0xf1); /* cmp rcx, rsi */
        ce_jcc(&e, CC_E, to[i]);
    }
    ce_place(&e, fail);
    INS(&e, 0x48, 0x39, 0xe4, 0xc3); /* cmp rsp, rsp (ZF = 1); ret */
    ce_place(&e, single);
    INS(&e, 0x31, 0xc9); /* xor ecx, ecx: nothing to copy */
    ce_jmp(&e, copy);
    ce_place(&e, is_float);
    INS(&e, 0xb9); /* mov ecx, imm32 */
    ce_i32(&e, (int32_t)l->float_size);
    ce_jmp(&e, copy);
    ce_place(&e, is_int);
    rcx_from_rax(&e, l->obj.size_off);
    int_len(&e, l, fail);
    ce_jmp(&e, copy);
    ce_place(&e, is_str); /* compact ASCII only: its characters follow the header */
    INS(&e, 0x8b, 0x88);  /* mov ecx, [rax + disp32] */
    ce_i32(&e, (int32_t)l->str_state_off);
    INS(&e, 0x81, 0xe1); /* and ecx, mask */
    ce_i32(&e, (int32_t)l->str_state_mask);
    INS(&e, 0x81, 0xf9); /* cmp ecx, mask */
    ce_i32(&e, (int32_t)l->str_state_mask);
    ce_jcc(&e, CC_NE, fail);
    rcx_from_rax(&e, l->str_len_off);
    rcx_at_most(&e, PT_TLOG_COPY_MAX - l->str_ascii_size - 1, fail);
    rcx_add(&e, l->str_ascii_size + 1);
    ce_jmp(&e, copy);
    ce_place(&e, is_bytes);
    rcx_from_rax(&e, l->var_size_off);
    rcx_at_most(&e, PT_TLOG_COPY_MAX - l->bytes_data_off - 1, fail);
    rcx_add(&e, l->bytes_data_off + 1);
    ce_place(&e, copy);             /* rcx bytes of the object at rax to rdi + 16 */
    INS(&e, 0x48, 0x89, 0x4f, 0x08, /* mov [rdi+8], rcx */
        0x48, 0x89, 0xc6,           /* mov rsi, rax */
        0x48, 0x83, 0xc7, 0x10,     /* add rdi, 16 */
        0xf3, 0xa4,                 /* rep movsb */
        0x48, 0x83, 0xc7, 0x07,     /* add rdi, 7 */
        0x48, 0x83, 0xe7, 0xf8,     /* and rdi, -8 */
        0x48, 0x85, 0xe4, 0xc3);    /* test rsp, rsp (ZF = 0); ret */
    return ce_finish(&e);
}

static void pops(struct emitter *e)
{
    INS(e, 0x41, 0x58, 0x5f, 0x5e, 0x5a, 0x59, 0x58); /* pop r8 rdi rsi rdx rcx rax */
}

/* The entry's header at r8: the tick, the instruction, its size (rdi - r8) and value count. */
static void header(struct emitter *e, const struct pt_tlog_layout *l, uint64_t instr_at, int n)
{
    ce_movabs(e, 0, l->base_at);
    INS(e, 0x48, 0x8b, 0x00); /* mov rax, [rax] */
    ce_movabs(e, 1, l->countdown);
    INS(e, 0x48, 0x2b, 0x01, /* sub rax, [rcx]: C */
        0x48, 0xc1, 0xe0);   /* shl rax, imm8 */
    ce_b1(e, PT_TICK_K_BITS);
    ce_movabs(e, 1, PT_CLOCK_KCOUNT(l->countdown));
    INS(e, 0x48, 0x0b, 0x01, /* or rax, [rcx]: k */
        0x49, 0x89, 0x00);   /* mov [r8], rax */
    ce_movabs(e, 0, instr_at);
    INS(e, 0x48, 0x8b, 0x00,     /* mov rax, [rax]: the instruction */
        0x49, 0x89, 0x40, 0x08,  /* mov [r8+8], rax */
        0x48, 0x89, 0xf8,        /* mov rax, rdi */
        0x4c, 0x29, 0xc0,        /* sub rax, r8 */
        0x41, 0x89, 0x40, 0x10,  /* mov [r8+16], eax */
        0x41, 0xc7, 0x40, 0x14); /* mov dword [r8+20], imm32 */
    ce_i32(e, n);
}

size_t pt_tlog_emit(const struct pt_tlog *g, const struct pt_tlog_layout *l, int frame_reg,
                    uint64_t instr_at, uint8_t *out, size_t cap)
{
    struct emitter e;
    if (g->nvalues <= 0 || g->nvalues > PT_TLOG_VALUES) {
        return 0;
    }
    ce_init(&e, &g->steps, &l->obj, out, cap);
    INS(&e, 0x50, 0x51, 0x52, 0x56, 0x57, 0x41, 0x50); /* push rax rcx rdx rsi rdi r8 */
    ce_frame(&e, frame_reg);
    /* the same frame and instruction dispatched twice in a row (3.11's DO_TRACING, 3.12's
     * INSTRUMENTED_LINE, then the instruction): pytt tells which one is the line event */
    int once = ce_new_label(&e);
    ce_movabs(&e, 0, PT_CLOCK_LAST);
    INS(&e, 0x48, 0x3b, 0x10); /* cmp rdx, [rax] */
    ce_jcc(&e, CC_NE, once);
    INS(&e, 0x48, 0x8b, 0x48, 0x08); /* mov rcx, [rax+8] */
    ce_movabs(&e, 0, instr_at);
    INS(&e, 0x48, 0x3b, 0x08); /* cmp rcx, [rax] */
    ce_jcc(&e, CC_E, L_UNKNOWN);
    ce_place(&e, once);
    ce_movabs(&e, 0, PT_TLOG_HDR);
    INS(&e, 0x48, 0x8b, 0x38,   /* mov rdi, [rax]: the cursor */
        0x48, 0x8b, 0x48, 0x08, /* mov rcx, [rax+8]: the end */
        0x48, 0x29, 0xf9,       /* sub rcx, rdi */
        0x48, 0x81, 0xf9);      /* cmp rcx, imm32 */
    ce_i32(&e, PT_TLOG_ENTRY_MAX);
    ce_jcc(&e, CC_B, L_UNKNOWN); /* full: trap (pytt empties it) */
    INS(&e, 0x49, 0x89, 0xf8,    /* mov r8, rdi: the entry */
        0x48, 0x83, 0xc7, 0x18); /* add rdi, 24 */
    for (int i = 0; i < g->nvalues; i++) {
        ce_operand(&e, &g->v[i], 0, L_UNKNOWN);
        ce_movabs(&e, 1, PT_TLOG_COPY_CODE);
        INS(&e, 0xff, 0xd1); /* call rcx */
        ce_jcc(&e, CC_E, L_UNKNOWN);
    }
    header(&e, l, instr_at, g->nvalues);
    ce_movabs(&e, 0, PT_TLOG_HDR);
    INS(&e, 0x48, 0x89, 0x38,          /* mov [rax], rdi: committed */
        0x48, 0x83, 0x40, 0x10, 0x01); /* add qword [rax+16], 1 */
    ce_place(&e, L_FALSE);
    pops(&e);
    INS(&e, 0x48, 0x85, 0xe4, 0xc3); /* test rsp, rsp (ZF = 0: go on); ret */
    ce_place(&e, L_TRUE);
    ce_place(&e, L_UNKNOWN);
    pops(&e);
    INS(&e, 0x48, 0x39, 0xe4, 0xc3); /* cmp rsp, rsp (ZF = 1: trap); ret */
    return ce_finish(&e);
}

_Static_assert(PT_CLOCK_WATCH + 256 * PT_CLOCK_WATCH_SIZE <= PT_TLOG_COPY_CODE &&
                   PT_TLOG_COPY_CODE + PT_TLOG_COPY_CODE_MAX <= PT_CLOCK_COND,
               "the log's copy code overlaps the watch trampolines or the conditions' code");
