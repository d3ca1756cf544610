/*
 * pt_clock_switch: CPython 3.10's _PyEval_EvalFrameDefault reaches its opcode handlers two ways:
 * `goto *opcode_targets[opcode]` from inside the handlers (DISPATCH), and, from the top of its
 * main loop (a frame starting or resuming, after the eval breaker, every instruction while
 * tracing, after EXTENDED_ARG), a C `switch (opcode)` that GCC compiles to a jump table of its
 * own:
 *
 *     cmp  $N-1, %ecx ; ja default
 *     lea  TABLE(%rip), %rdx ; mov %ecx, %eax ; movslq (%rdx,%rax,4), %rax ; add %rdx, %rax
 *     jmp  *%rax
 *
 * Those dispatches would never pass the clock's trampolines. This file finds that sequence
 * with capstone (the table must agree with opcode_targets entry for entry: the same handler,
 * or a few register reloads GCC put on the switch's path that fall straight into it), and
 * rewrites it as
 *
 *     mov %ecx, %eax ; movabs $PT_CLOCK_SWITCH_TABLE, %rdx ; jmp *(%rdx,%rax,8)
 *
 * where entry i is a stub in pytt's page: the reloads of the switch's path for opcode i, then
 * `movabs $&opcode_targets[i], %rdx ; jmp *(%rdx)`, i.e. the same handler through whatever
 * trampoline opcode_targets points at. The registers the original sequence clobbered (the
 * table base and the target) are the only ones touched. Nothing else jumps into the middle of
 * the rewritten bytes (checked). Record and replay run the same code on the same image.
 */
#include "pt_clock_switch.h"

#include "pt_error.h"
#include "pt_x86.h"

#include "pt_capstone.h"
#include <stdlib.h>
#include <string.h>

#define SW_MAX_FUNC (1 << 20) /* bytes of _PyEval_EvalFrameDefault read */
#define SW_MAX_PREFIX 16      /* bytes of reloads a switch entry may add */

struct sw_func {
    csh cs;
    cs_insn *insn;
    size_t n;
    uint8_t *code;
};

static void sw_func_free(struct sw_func *f)
{
    if (f->insn) {
        cs_free(f->insn, f->n);
    }
    if (f->cs) {
        cs_close(&f->cs);
    }
    free(f->code);
}

static int sw_open(csh *cs)
{
    if (pt_capstone_x86(cs) < 0) {
        return -1;
    }
    cs_option(*cs, CS_OPT_DETAIL, CS_OPT_ON);
    return 0;
}

static int sw_func_load(struct pt_mem *mem, pt_addr lo, pt_addr size, struct sw_func *f)
{
    memset(f, 0, sizeof *f);
    if (!lo || !size || size > SW_MAX_FUNC) {
        return pt_fail("_PyEval_EvalFrameDefault not found (or implausible size %llu)",
                       (unsigned long long)size);
    }
    f->code = malloc(size);
    if (!f->code || pt_mem_read(mem, lo, f->code, size) < 0 || sw_open(&f->cs) < 0) {
        return f->code ? pt_wrap("reading _PyEval_EvalFrameDefault") : pt_fail("out of memory");
    }
    f->n = cs_disasm(f->cs, f->code, size, lo, 0, &f->insn);
    return f->n ? 0 : pt_fail("capstone cannot decode _PyEval_EvalFrameDefault");
}

/* Names of the narrower views of each 64-bit register (capstone reports the width used). */
static const char *const sw_sub[16][3] = {
    {"eax", "ax", "al"},      {"ecx", "cx", "cl"},      {"edx", "dx", "dl"},
    {"ebx", "bx", "bl"},      {"esp", "sp", "spl"},     {"ebp", "bp", "bpl"},
    {"esi", "si", "sil"},     {"edi", "di", "dil"},     {"r8d", "r8w", "r8b"},
    {"r9d", "r9w", "r9b"},    {"r10d", "r10w", "r10b"}, {"r11d", "r11w", "r11b"},
    {"r12d", "r12w", "r12b"}, {"r13d", "r13w", "r13b"}, {"r14d", "r14w", "r14b"},
    {"r15d", "r15w", "r15b"},
};

static int same_reg(csh cs, x86_reg r, int hw)
{
    const char *name = cs_reg_name(cs, r);
    if (pt_x86_hw_reg(r) == hw) {
        return 1;
    }
    for (int k = 0; name && k < 3; k++) {
        if (strcmp(name, sw_sub[hw][k]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Does the instruction read or write 64-bit register hw (any width of it)? */
static int touches(csh cs, const cs_insn *in, int hw)
{
    cs_regs rd, wr;
    uint8_t nrd = 0, nwr = 0;
    if (cs_regs_access(cs, in, rd, &nrd, wr, &nwr) != CS_ERR_OK) {
        return 1;
    }
    for (int i = 0; i < nrd + nwr; i++) {
        if (same_reg(cs, i < nrd ? rd[i] : wr[i - nrd], hw)) {
            return 1;
        }
    }
    return 0;
}

static int is_branch(const cs_insn *in)
{
    for (int g = 0; g < in->detail->groups_count; g++) {
        uint8_t k = in->detail->groups[g];
        if (k == CS_GRP_JUMP || k == CS_GRP_CALL || k == CS_GRP_RET || k == CS_GRP_IRET ||
            k == CS_GRP_INT) {
            return 1;
        }
    }
    return 0;
}

static int uses_rip(const cs_insn *in)
{
    const cs_x86 *x = &in->detail->x86;
    for (int k = 0; k < x->op_count; k++) {
        if (x->operands[k].type == X86_OP_MEM && x->operands[k].mem.base == X86_REG_RIP) {
            return 1;
        }
    }
    return 0;
}

/* The shape of one candidate site: lea B <- table; [kept...]; movsxd R <- [B + I*4];
 * add R, B; jmp R. */
struct sw_site {
    size_t lea, movsxd, add, jmp; /* instruction indexes */
    int b, r, i;                  /* hardware numbers */
    pt_addr table;
    unsigned n; /* entries, from the bound check before the lea */
};

static int match_tail(const struct sw_func *f, size_t j, struct sw_site *s)
{
    const cs_insn *in = f->insn;
    const cs_x86 *x = &in[j].detail->x86;
    if (in[j].id != X86_INS_JMP || x->op_count != 1 || x->operands[0].type != X86_OP_REG || j < 3) {
        return 0;
    }
    s->jmp = j;
    s->r = pt_x86_hw_reg(x->operands[0].reg);
    const cs_x86 *a = &in[j - 1].detail->x86;
    if (s->r < 0 || in[j - 1].id != X86_INS_ADD || a->op_count != 2 ||
        a->operands[0].type != X86_OP_REG || a->operands[1].type != X86_OP_REG ||
        pt_x86_hw_reg(a->operands[0].reg) != s->r) {
        return 0;
    }
    s->add = j - 1;
    s->b = pt_x86_hw_reg(a->operands[1].reg);
    const cs_x86 *m = &in[j - 2].detail->x86;
    if (s->b < 0 || in[j - 2].id != X86_INS_MOVSXD || m->op_count != 2 ||
        m->operands[1].type != X86_OP_MEM || pt_x86_hw_reg(m->operands[1].mem.base) != s->b ||
        m->operands[1].mem.scale != 4 || m->operands[1].mem.disp != 0 ||
        pt_x86_hw_reg(m->operands[0].reg) != s->r) {
        return 0;
    }
    s->movsxd = j - 2;
    s->i = pt_x86_hw_reg(m->operands[1].mem.index);
    return s->i >= 0 && s->i != s->b;
}

/* lea B, [rip + disp] within a few instructions before the movsxd; the instructions between
 * must not touch B or branch (they are kept, before the new dispatch). */
static int match_lea(const struct sw_func *f, struct sw_site *s)
{
    for (size_t k = s->movsxd; k-- > 0 && s->movsxd - k <= 4;) {
        const cs_insn *in = &f->insn[k];
        const cs_x86 *x = &in->detail->x86;
        if (in->id == X86_INS_LEA && x->op_count == 2 &&
            pt_x86_hw_reg(x->operands[0].reg) == s->b && x->operands[1].mem.base == X86_REG_RIP) {
            s->lea = k;
            s->table = in->address + in->size + (pt_addr)x->operands[1].mem.disp;
            return 1;
        }
        if (is_branch(in) || uses_rip(in) || touches(f->cs, in, s->b)) {
            return 0;
        }
    }
    return 0;
}

/* `cmp X, imm ; ja default` shortly before the lea gives the number of entries. */
static int match_bound(const struct sw_func *f, struct sw_site *s)
{
    for (size_t k = s->lea; k-- > 1 && s->lea - k <= 4;) {
        const cs_insn *in = &f->insn[k];
        if (in->id != X86_INS_JA) {
            continue;
        }
        const cs_x86 *c = &f->insn[k - 1].detail->x86;
        if (f->insn[k - 1].id == X86_INS_CMP && c->op_count == 2 &&
            c->operands[1].type == X86_OP_IMM && c->operands[1].imm >= 0 &&
            c->operands[1].imm < 256) {
            s->n = (unsigned)c->operands[1].imm + 1;
            return 1;
        }
        return 0;
    }
    return 0;
}

/* Where a handler really starts: opcode_targets may point at a `jmp` to it. */
static pt_addr follow_jmps(struct pt_mem *mem, csh cs, pt_addr a)
{
    for (int hop = 0; hop < 4; hop++) {
        uint8_t code[16];
        cs_insn *in;
        if (pt_mem_read(mem, a, code, sizeof code) < 0) {
            return a;
        }
        size_t n = cs_disasm(cs, code, sizeof code, a, 1, &in);
        const cs_x86 *x = n ? &in[0].detail->x86 : NULL;
        pt_addr next = 0;
        if (n && in[0].id == X86_INS_JMP && x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
            next = (pt_addr)x->operands[0].imm;
        }
        if (n) {
            cs_free(in, n);
        }
        if (!next) {
            return a;
        }
        a = next;
    }
    return a;
}

/* Decode the reloads from a switch target up to the handler it falls into; *len their bytes
 * (0 if the target is the handler itself). */
static int prefix_of(struct pt_mem *mem, csh cs, pt_addr target, pt_addr handler,
                     const struct sw_site *s, uint8_t *bytes, size_t *len)
{
    *len = 0;
    if (target == handler) {
        return 1;
    }
    handler = follow_jmps(mem, cs, handler);
    if (target == handler) {
        return 1;
    }
    if (target > handler || handler - target > SW_MAX_PREFIX) {
        return 0;
    }
    size_t n = (size_t)(handler - target);
    if (pt_mem_read(mem, target, bytes, n) < 0) {
        return 0;
    }
    cs_insn *in;
    size_t cnt = cs_disasm(cs, bytes, n, target, 0, &in);
    size_t at = 0;
    int ok = cnt > 0;
    for (size_t k = 0; k < cnt && ok; k++) {
        ok = (in[k].id == X86_INS_MOV || in[k].id == X86_INS_MOVZX || in[k].id == X86_INS_MOVSX ||
              in[k].id == X86_INS_MOVSXD) &&
             !uses_rip(&in[k]) && !touches(cs, &in[k], s->b) && !touches(cs, &in[k], s->r) &&
             !touches(cs, &in[k], s->i);
        at += in[k].size;
    }
    if (cnt) {
        cs_free(in, cnt);
    }
    *len = n;
    return ok && at == n;
}

/* Does every entry of the table reach the handler opcode_targets has for it? */
static int table_agrees(struct pt_mem *mem, csh cs, const struct sw_site *s,
                        const uint64_t handlers[256], unsigned *exact)
{
    int32_t rel[256];
    *exact = 0;
    if (s->n == 0 || s->n > 256 || pt_mem_read(mem, s->table, rel, 4 * s->n) < 0) {
        return 0;
    }
    for (unsigned k = 0; k < s->n; k++) {
        uint8_t bytes[SW_MAX_PREFIX];
        size_t len;
        pt_addr target = s->table + (pt_addr)(int64_t)rel[k];
        if (!prefix_of(mem, cs, target, handlers[k], s, bytes, &len)) {
            return 0;
        }
        *exact += len == 0;
    }
    return 1;
}

/* No direct branch of the function lands inside the bytes to rewrite (after their start). */
static int no_entry_inside(const struct sw_func *f, pt_addr lo, pt_addr hi)
{
    for (size_t k = 0; k < f->n; k++) {
        const cs_x86 *x = &f->insn[k].detail->x86;
        if (!is_branch(&f->insn[k]) || x->op_count != 1 || x->operands[0].type != X86_OP_IMM) {
            continue;
        }
        pt_addr t = (pt_addr)x->operands[0].imm;
        if (t > lo && t < hi) {
            return 0;
        }
    }
    return 1;
}

int pt_clock_switch_find(struct pt_mem *mem, pt_addr eval, pt_addr size,
                         const uint64_t handlers[256], struct pt_clock_plan *plan)
{
    struct sw_func f;
    if (sw_func_load(mem, eval, size, &f) < 0) {
        sw_func_free(&f);
        return -1;
    }
    int found = 0;
    for (size_t j = 0; j < f.n && !found; j++) {
        struct sw_site s;
        unsigned exact;
        memset(&s, 0, sizeof s);
        if (!match_tail(&f, j, &s) || !match_lea(&f, &s) || !match_bound(&f, &s) ||
            !table_agrees(mem, f.cs, &s, handlers, &exact) || exact < s.n / 2) {
            continue;
        }
        pt_addr lo = f.insn[s.lea].address, hi = f.insn[s.jmp].address + f.insn[s.jmp].size;
        if (!no_entry_inside(&f, lo, hi)) {
            continue;
        }
        plan->switch_site = lo;
        plan->switch_len = (uint8_t)(hi - lo);
        plan->switch_table = s.table;
        plan->switch_n = (uint16_t)s.n;
        found = 1;
    }
    sw_func_free(&f);
    return found ? 0
                 : pt_fail("no switch dispatch agreeing with opcode_targets found in "
                           "_PyEval_EvalFrameDefault");
}

/* ---- code generation ---------------------------------------------------------------------- */

static size_t emit_movabs(uint8_t *p, int reg, uint64_t imm)
{
    p[0] = (uint8_t)(0x48 | (reg >= 8 ? 1 : 0));
    p[1] = (uint8_t)(0xb8 + (reg & 7));
    memcpy(p + 2, &imm, 8);
    return 10;
}

/* jmp qword [base + index*8] (index < 0: no index). */
static size_t emit_jmp_mem(uint8_t *p, int base, int index)
{
    size_t n = 0;
    uint8_t rex = 0x40 | (index >= 8 ? 2 : 0) | (base >= 8 ? 1 : 0);
    if (rex != 0x40) {
        p[n++] = rex;
    }
    p[n++] = 0xff;
    int disp8 = (base & 7) == 5; /* rbp/r13 as a base need a displacement */
    uint8_t mod = disp8 ? 0x40 : 0x00;
    if (index >= 0 || (base & 7) == 4) {
        int idx = index >= 0 ? index : 4; /* 100: no index */
        p[n++] = (uint8_t)(mod | (4 << 3) | 4);
        p[n++] = (uint8_t)((index >= 0 ? 3 << 6 : 0) | ((idx & 7) << 3) | (base & 7));
    } else {
        p[n++] = (uint8_t)(mod | (4 << 3) | (base & 7));
    }
    if (disp8) {
        p[n++] = 0;
    }
    return n;
}

/* Re-decode the site recorded in the plan: the registers and the instructions kept. */
static int site_decode(struct pt_mem *mem, csh cs, const struct pt_clock_plan *plan,
                       struct sw_site *s, uint8_t *kept, size_t *nkept)
{
    uint8_t code[64];
    struct sw_func f;
    memset(&f, 0, sizeof f);
    if (plan->switch_len > sizeof code ||
        pt_mem_read(mem, plan->switch_site, code, plan->switch_len) < 0) {
        return pt_fail("cannot read the eval loop's switch at 0x%llx",
                       (unsigned long long)plan->switch_site);
    }
    f.cs = cs;
    f.n = cs_disasm(cs, code, plan->switch_len, plan->switch_site, 0, &f.insn);
    int ok = f.n >= 4 && match_tail(&f, f.n - 1, s) && match_lea(&f, s) && s->lea == 0 &&
             s->table == plan->switch_table;
    *nkept = 0;
    for (size_t k = 1; ok && k < s->movsxd; k++) {
        memcpy(kept + *nkept, f.insn[k].bytes, f.insn[k].size);
        *nkept += f.insn[k].size;
    }
    if (f.insn) {
        cs_free(f.insn, f.n);
    }
    return ok ? 0
              : pt_fail("the eval loop's switch at 0x%llx is not what the recording saw",
                        (unsigned long long)plan->switch_site);
}

static int write_stubs(struct pt_mem *mem, csh cs, pt_addr table, const uint64_t handlers[256],
                       const struct sw_site *s)
{
    int32_t rel[256];
    uint64_t stubtab[256];
    uint8_t stubs[256 * PT_CLOCK_SWITCH_STUB];
    memset(stubs, 0xcc, sizeof stubs);
    if (pt_mem_read(mem, s->table, rel, 4 * s->n) < 0) {
        return pt_wrap("reading the eval loop's switch table");
    }
    for (unsigned k = 0; k < 256; k++) {
        uint8_t *p = stubs + k * PT_CLOCK_SWITCH_STUB;
        size_t len = 0;
        stubtab[k] = PT_CLOCK_SWITCH_STUBS + (pt_addr)k * PT_CLOCK_SWITCH_STUB;
        if (k < s->n &&
            !prefix_of(mem, cs, s->table + (pt_addr)(int64_t)rel[k], handlers[k], s, p, &len)) {
            return pt_fail("switch entry %u of the eval loop does not reach its handler", k);
        }
        len += emit_movabs(p + len, s->b, table + (pt_addr)k * 8);
        emit_jmp_mem(p + len, s->b, -1);
    }
    if (pt_mem_write(mem, PT_CLOCK_SWITCH_TABLE, stubtab, sizeof stubtab) < 0 ||
        pt_mem_write(mem, PT_CLOCK_SWITCH_STUBS, stubs, sizeof stubs) < 0) {
        return pt_wrap("writing the switch stubs");
    }
    return 0;
}

int pt_clock_switch_install(struct pt_mem *mem, pt_addr table, const uint64_t handlers[256],
                            const struct pt_clock_plan *plan)
{
    csh cs;
    struct sw_site s;
    uint8_t kept[64], code[64];
    size_t nkept = 0;
    memset(&s, 0, sizeof s);
    if (sw_open(&cs) < 0) {
        return -1;
    }
    s.n = plan->switch_n;
    int rc = site_decode(mem, cs, plan, &s, kept, &nkept);
    s.n = plan->switch_n;
    if (rc == 0) {
        rc = write_stubs(mem, cs, table, handlers, &s);
    }
    cs_close(&cs);
    if (rc < 0) {
        return -1;
    }
    size_t n = nkept;
    memcpy(code, kept, nkept);
    n += emit_movabs(code + n, s.b, PT_CLOCK_SWITCH_TABLE);
    n += emit_jmp_mem(code + n, s.b, s.i);
    if (n > plan->switch_len) {
        return pt_fail("the eval loop's switch (%u bytes) has no room for the clock's %zu",
                       plan->switch_len, n);
    }
    memset(code + n, 0xcc, plan->switch_len - n);
    if (pt_mem_write(mem, plan->switch_site, code, plan->switch_len) < 0) {
        return pt_wrap("routing the eval loop's switch through opcode_targets");
    }
    return 0;
}
