/*
 * pt_clock: locating opcode_targets, planning and writing the counting trampolines, reading and
 * arming the countdown (see pt_clock.h).
 */
#define _GNU_SOURCE
#include "pt_clock.h"

#include "pt_clock_switch.h"
#include "pt_error.h"
#include "pt_pyver.h"

#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOPCODES 256

static int symbol_is(const char *name, const char *want)
{
    size_t n = strlen(want);
    return strncmp(name, want, n) == 0 && (name[n] == '\0' || name[n] == '.');
}

/* The symbols "opcode_targets" (a static: "opcode_targets.N" in GCC builds),
 * "_PyOpcode_Deopt" and "_PyEval_EvalFrameDefault" in symfile. */
static int find_symbols(const char *symfile, uint64_t *table, uint64_t *deopt, uint64_t eval[2],
                        int *etype)
{
    elf_version(EV_CURRENT);
    int fd = open(symfile, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return pt_fail_errno("open(%s)", symfile);
    }
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    int found = 0;
    *deopt = 0;
    GElf_Ehdr eh;
    if (elf && gelf_getehdr(elf, &eh)) {
        *etype = eh.e_type;
    }
    for (Elf_Scn *s = elf ? elf_nextscn(elf, NULL) : NULL; s; s = elf_nextscn(elf, s)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(s, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize) {
            continue;
        }
        Elf_Data *d = elf_getdata(s, NULL);
        for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
            GElf_Sym sym;
            const char *name;
            if (!gelf_getsym(d, (int)i, &sym)) {
                continue;
            }
            name = elf_strptr(elf, sh.sh_link, sym.st_name);
            if (name && sym.st_size == NOPCODES * 8 && symbol_is(name, "opcode_targets")) {
                *table = sym.st_value;
                found = 1;
            } else if (name && sym.st_size == NOPCODES && symbol_is(name, "_PyOpcode_Deopt")) {
                *deopt = sym.st_value;
            } else if (name && GELF_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_size &&
                       strcmp(name, "_PyEval_EvalFrameDefault") == 0) {
                eval[0] = sym.st_value;
                eval[1] = sym.st_size;
            }
        }
    }
    if (elf) {
        elf_end(elf);
    }
    close(fd);
    return found ? 0
                 : pt_fail("no opcode_targets symbol in %s: is this a CPython built with "
                           "computed gotos (3.8 or later)?",
                           symfile);
}

/* Load address of `image` in pid: start of its mapping at file offset 0. */
static int image_base(pid_t pid, const char *image, uint64_t *base)
{
    char path[64], line[4608];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) {
        return pt_fail_errno("open(%s)", path);
    }
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        uint64_t lo, off;
        char file[4096] = "";
        if (sscanf(line, "%" SCNx64 "-%*x %*s %" SCNx64 " %*s %*s %4095[^\n]", &lo, &off, file) >=
                2 &&
            off == 0 && strcmp(file, image) == 0) {
            *base = lo;
            found = 1;
        }
    }
    fclose(f);
    return found ? 0 : pt_fail("%s is not mapped in process %d yet", image, (int)pid);
}

int pt_clock_locate(pid_t pid, const char *image, const char *symfile, struct pt_clock_site *site)
{
    uint64_t table = 0, deopt = 0, base = 0, eval[2] = {0, 0};
    int etype = ET_EXEC;
    if (find_symbols(symfile, &table, &deopt, eval, &etype) < 0) {
        return -1;
    }
    site->relocated = etype == ET_DYN;
    if (site->relocated && image_base(pid, image, &base) < 0) {
        return -1;
    }
    site->table = base + table;
    site->deopt = deopt ? base + deopt : 0;
    site->eval = eval[0] ? base + eval[0] : 0;
    site->eval_size = eval[1];
    return 0;
}

/* Superinstructions: every specialization of a fused base opcode is redirected to its first
 * half's plain handler (the interpreter's own _PyOpcode_Deopt says which opcodes those are). */
static int plan_fused(struct pt_mem *mem, const struct pt_clock_site *site,
                      const struct pt_pyver *v, uint8_t redirect[256])
{
    uint8_t deopt[NOPCODES];
    if (v->nfused == 0) {
        return 0;
    }
    if (!site->deopt || pt_mem_read(mem, site->deopt, deopt, sizeof deopt) < 0) {
        return pt_fail("CPython %s: cannot read _PyOpcode_Deopt to split superinstructions",
                       v->name);
    }
    for (int i = 0; i < NOPCODES; i++) {
        for (int b = 0; b < v->nfused; b++) {
            if (deopt[i] == v->fused_base[b] && i != deopt[i]) {
                redirect[i] = deopt[i];
            }
        }
    }
    return 0;
}

int pt_clock_plan(struct pt_mem *mem, const struct pt_clock_site *site, const char *version,
                  struct pt_clock_plan *plan)
{
    const struct pt_pyver *v = pt_pyver_lookup(version);
    uint64_t handlers[NOPCODES];
    memset(plan, 0, sizeof *plan);
    for (int i = 0; i < NOPCODES; i++) {
        plan->redirect[i] = (uint8_t)i;
    }
    if (!v) {
        return 0;
    }
    if (plan_fused(mem, site, v, plan->redirect) < 0) {
        return -1;
    }
    if (v->main_loop_switch) {
        /* without it the recording still replays; the debugger then says why it cannot step */
        if (pt_mem_read(mem, site->table, handlers, sizeof handlers) < 0 ||
            pt_clock_switch_find(mem, site->eval, site->eval_size, handlers, plan) < 0) {
            plan->switch_site = plan->switch_table = 0;
            plan->switch_len = 0;
            plan->switch_n = 0;
        }
        pt_err_clear();
    }
    return 0;
}

static void put32(uint8_t *p, int32_t v)
{
    memcpy(p, &v, 4);
}

/* One trampoline at address t for opcode i (layout in pt_clock.h). A superinstruction's counts
 * its two instructions at once and traps when that reaches or passes 0 (pt_clock_settle). */
static void emit_trampoline(uint8_t *code, pt_addr t, int i, int fused, uint64_t handler)
{
    pt_addr orig = PT_CLOCK_ORIG + (pt_addr)i * 8;
    static const uint8_t sub[] = {0x48, 0x83, 0x2d}; /* sub qword [rip+rel32], imm8 */
    memset(code, 0xcc, PT_CLOCK_TRAMP_SIZE);
    memcpy(code, sub, 3);
    put32(code + 3, (int32_t)(PT_CLOCK_COUNTDOWN - (t + 8)));
    code[7] = fused ? 2 : 1;
    code[8] = fused ? 0x7e : 0x74; /* jle / je trap */
    code[9] = (uint8_t)(PT_CLOCK_TRAP_OFFSET - 10);
    code[10] = 0xff; /* jmp [rip+rel32]: the handler, fused for a superinstruction */
    code[11] = 0x25;
    put32(code + 12, (int32_t)(PT_CLOCK_TRAMP_HANDLER - 16));
    code[16] = 0xcc; /* int3 */
    code[17] = 0xff; /* jmp [rip+rel32]: after a trap, the first half's handler */
    code[18] = 0x25;
    put32(code + 19, (int32_t)(orig - (t + 23)));
    memcpy(code + PT_CLOCK_TRAMP_HANDLER, &handler, 8);
}

int pt_clock_install(struct pt_clock *c, struct pt_mem *mem, pt_addr table,
                     const struct pt_clock_plan *plan)
{
    uint64_t handler[NOPCODES], orig[NOPCODES], tramp[NOPCODES], idle = PT_CLOCK_IDLE;
    const uint8_t *redirect = plan->redirect;
    if (pt_mem_read(mem, table, handler, sizeof handler) < 0) {
        return pt_wrap("reading opcode_targets at 0x%llx", (unsigned long long)table);
    }
    if (plan->switch_site && pt_clock_switch_install(mem, table, handler, plan) < 0) {
        return -1;
    }
    c->switch_routed = plan->switch_site != 0;
    for (int i = 0; i < NOPCODES; i++) {
        orig[i] = handler[redirect[i]];
    }
    uint8_t *code = malloc(NOPCODES * PT_CLOCK_TRAMP_SIZE);
    for (int i = 0; i < NOPCODES; i++) {
        c->fused[i] = redirect[i] != i;
        tramp[i] = PT_CLOCK_TRAMPS + (pt_addr)i * PT_CLOCK_TRAMP_SIZE;
        emit_trampoline(code + i * PT_CLOCK_TRAMP_SIZE, tramp[i], i, c->fused[i], handler[i]);
    }
    int rc = -1;
    if (pt_mem_write(mem, PT_CLOCK_COUNTDOWN, &idle, 8) == 0 &&
        pt_mem_write(mem, PT_CLOCK_ORIG, orig, sizeof orig) == 0 &&
        pt_mem_write(mem, PT_CLOCK_TRAMPS, code, NOPCODES * PT_CLOCK_TRAMP_SIZE) == 0 &&
        pt_mem_write(mem, table, tramp, sizeof tramp) == 0) {
        rc = 0;
        c->table = table;
        c->base = PT_CLOCK_IDLE;
    }
    free(code);
    return rc < 0 ? pt_wrap("installing the Python clock") : 0;
}

int pt_clock_now(const struct pt_clock *c, struct pt_mem *mem, uint64_t *tick)
{
    uint64_t countdown;
    if (!c->table) {
        *tick = 0;
        return 0;
    }
    if (pt_mem_read(mem, PT_CLOCK_COUNTDOWN, &countdown, 8) < 0) {
        return pt_wrap("reading the Python clock");
    }
    *tick = c->base - countdown;
    return 0;
}

static int set_countdown(struct pt_clock *c, struct pt_mem *mem, uint64_t now, uint64_t cd)
{
    if (pt_mem_write(mem, PT_CLOCK_COUNTDOWN, &cd, 8) < 0) {
        return pt_wrap("arming the Python clock");
    }
    c->base = now + cd;
    return 0;
}

int pt_clock_arm(struct pt_clock *c, struct pt_mem *mem, uint64_t target)
{
    uint64_t now = 0;
    if (pt_clock_now(c, mem, &now) < 0) {
        return -1;
    }
    if (target <= now) {
        return pt_fail("cannot arm the clock for tick %llu: it is already tick %llu",
                       (unsigned long long)target, (unsigned long long)now);
    }
    return set_countdown(c, mem, now, target - now);
}

int pt_clock_idle(struct pt_clock *c, struct pt_mem *mem)
{
    uint64_t now = 0;
    if (!c->table) {
        return 0;
    }
    if (pt_clock_now(c, mem, &now) < 0) {
        return -1;
    }
    return set_countdown(c, mem, now, PT_CLOCK_IDLE);
}

/* cmp REG, [rip+disp32] at p (7 bytes) for an instruction at address at. */
static size_t emit_cmp(uint8_t *p, pt_addr at, int reg, pt_addr slot)
{
    p[0] = (uint8_t)(0x48 | (reg >= 8 ? 4 : 0));
    p[1] = 0x3b;
    p[2] = (uint8_t)(((reg & 7) << 3) | 5);
    put32(p + 3, (int32_t)(slot - (at + 7)));
    return 7;
}

/* je rel32 to target (6 bytes). */
static size_t emit_je(uint8_t *p, pt_addr at, pt_addr target)
{
    p[0] = 0x0f;
    p[1] = 0x84;
    put32(p + 2, (int32_t)(target - (at + 6)));
    return 6;
}

/* mov [rip+disp32], REG (7 bytes): keep a register of the dispatch at slot. */
static size_t emit_store(uint8_t *p, pt_addr at, int reg, pt_addr slot)
{
    p[0] = (uint8_t)(0x48 | (reg >= 8 ? 4 : 0));
    p[1] = 0x89;
    p[2] = (uint8_t)(((reg & 7) << 3) | 5);
    put32(p + 3, (int32_t)(slot - (at + 7)));
    return 7;
}

/* cmp dword (qword: wide) [REG + disp32], 0 (8 to 10 bytes). */
static size_t emit_cmp_zero(uint8_t *p, int reg, int32_t disp, int wide)
{
    size_t n = 0;
    if (wide || reg >= 8) {
        p[n++] = (uint8_t)(0x40 | (wide ? 8 : 0) | (reg >= 8 ? 1 : 0));
    }
    p[n++] = 0x83;
    p[n++] = (uint8_t)(0x80 | (7 << 3) | ((reg & 7) == 4 ? 4 : (reg & 7)));
    if ((reg & 7) == 4) {
        p[n++] = 0x24; /* SIB: base rsp/r12, no index */
    }
    put32(p + n, disp);
    n += 4;
    p[n++] = 0;
    return n;
}

static size_t emit_keep(uint8_t *p, pt_addr at, const struct pt_watch *w, pt_addr slot)
{
    size_t n = emit_store(p, at, w->frame_reg, slot);
    return n + emit_store(p + n, at + n, w->instr_reg, slot + 8);
}

/* The last-dispatch bookkeeping of a watch trampoline (flags clobbered, as by its `sub`):
 *       <keep at LAST>
 *       cmp qword [frame + traced_off], 0 ; je done
 *       <keep at LAST + 16>
 *   done: */
static size_t emit_keep_last(uint8_t *p, pt_addr at, const struct pt_watch *w)
{
    if (!w->keep_last) {
        return 0;
    }
    size_t n = emit_keep(p, at, w, PT_CLOCK_LAST);
    if (w->keep_traced_off < 0) {
        return n;
    }
    n += emit_cmp_zero(p + n, w->frame_reg, (int32_t)w->keep_traced_off, 1);
    p[n++] = 0x74; /* je done */
    size_t je_done = n++;
    n += emit_keep(p + n, at + n, w, PT_CLOCK_LAST + 16);
    p[je_done] = (uint8_t)(n - (je_done + 1));
    return n;
}

static void emit_watch(uint8_t *code, pt_addr t, int i, const struct pt_watch *w)
{
    pt_addr orig = PT_CLOCK_ORIG + (pt_addr)i * 8, trap = t + PT_CLOCK_WATCH_TRAP;
    size_t n = 0;
    memset(code, 0xcc, PT_CLOCK_WATCH_SIZE);
    code[n++] = 0x48; /* sub qword [rip+rel32], 1 */
    code[n++] = 0x83;
    code[n++] = 0x2d;
    put32(code + n, (int32_t)(PT_CLOCK_COUNTDOWN - (t + 8)));
    n += 4;
    code[n++] = 1;
    n += emit_je(code + n, t + n, trap);
    if (w->trap_op[i]) {
        code[n] = 0xe9; /* jmp rel32 */
        put32(code + n + 1, (int32_t)(trap - (t + n + 5)));
        n += 5;
    }
    if (w->frame_zero_off >= 0) {
        n += emit_cmp_zero(code + n, w->frame_reg, (int32_t)w->frame_zero_off, 0);
        n += emit_je(code + n, t + n, trap);
    }
    for (int k = 0; k < w->nframes; k++) {
        n += emit_cmp(code + n, t + n, w->frame_reg, PT_CLOCK_SLOTS + (pt_addr)k * 8);
        n += emit_je(code + n, t + n, trap);
    }
    for (int k = 0; k < w->ninstrs; k++) {
        pt_addr slot = PT_CLOCK_SLOTS + (pt_addr)(PT_WATCH_MAX + k) * 8;
        n += emit_cmp(code + n, t + n, w->instr_reg, slot);
        n += emit_je(code + n, t + n, trap);
    }
    n += emit_keep_last(code + n, t + n, w);
    code[n++] = 0xff; /* jmp [rip+rel32] */
    code[n++] = 0x25;
    put32(code + n, (int32_t)(orig - (t + n + 4)));
    n = PT_CLOCK_WATCH_TRAP;
    code[n++] = 0xcc; /* int3, then continue to the handler */
    n += emit_keep_last(code + n, t + n, w);
    code[n++] = 0xff;
    code[n++] = 0x25;
    put32(code + n, (int32_t)(orig - (t + n + 4)));
}

static int point_table(struct pt_clock *c, struct pt_mem *mem, pt_addr area, size_t size)
{
    uint64_t tramp[NOPCODES];
    for (int i = 0; i < NOPCODES; i++) {
        tramp[i] = area + (pt_addr)i * size;
    }
    return pt_mem_write(mem, c->table, tramp, sizeof tramp);
}

int pt_clock_watch(struct pt_clock *c, struct pt_mem *mem, const struct pt_watch *w)
{
    if (!c->table) {
        return pt_fail("the Python clock is not installed yet");
    }
    if (!w) {
        if (c->watching && point_table(c, mem, PT_CLOCK_TRAMPS, PT_CLOCK_TRAMP_SIZE) < 0) {
            return pt_wrap("restoring the plain clock trampolines");
        }
        c->watching = 0;
        return 0;
    }
    if (c->watching && memcmp(&c->watch, w, sizeof *w) == 0) {
        return 0;
    }
    if (w->frame_reg != c->watch.frame_reg || w->instr_reg != c->watch.instr_reg) {
        c->code_valid = 0;
    }
    if (w->nframes > PT_WATCH_MAX || w->ninstrs > PT_WATCH_MAX) {
        return pt_fail("too many watched frames or instructions (at most %d)", PT_WATCH_MAX);
    }
    uint64_t slots[2 * PT_WATCH_MAX];
    for (int k = 0; k < PT_WATCH_MAX; k++) {
        slots[k] = k < w->nframes ? w->frames[k] : 1;
        slots[PT_WATCH_MAX + k] = k < w->ninstrs ? w->instrs[k] : 1;
    }
    int same_code = c->code_valid && c->watch.nframes == w->nframes &&
                    c->watch.ninstrs == w->ninstrs &&
                    c->watch.frame_zero_off == w->frame_zero_off &&
                    c->watch.keep_last == w->keep_last &&
                    c->watch.keep_traced_off == w->keep_traced_off &&
                    memcmp(c->watch.trap_op, w->trap_op, sizeof w->trap_op) == 0;
    if (pt_mem_write(mem, PT_CLOCK_SLOTS, slots, sizeof slots) < 0) {
        return pt_wrap("writing watched values");
    }
    if (!same_code) {
        uint8_t *code = malloc(NOPCODES * PT_CLOCK_WATCH_SIZE);
        for (int i = 0; i < NOPCODES; i++) {
            emit_watch(code + i * PT_CLOCK_WATCH_SIZE,
                       PT_CLOCK_WATCH + (pt_addr)i * PT_CLOCK_WATCH_SIZE, i, w);
        }
        int rc = pt_mem_write(mem, PT_CLOCK_WATCH, code, NOPCODES * PT_CLOCK_WATCH_SIZE);
        free(code);
        if (rc < 0) {
            return pt_wrap("installing the watch trampolines");
        }
    }
    if (!c->watching && point_table(c, mem, PT_CLOCK_WATCH, PT_CLOCK_WATCH_SIZE) < 0) {
        return pt_wrap("installing the watch trampolines");
    }
    c->watch = *w;
    c->code_valid = 1;
    c->watching = 1;
    return 0;
}

int pt_clock_settle(struct pt_clock *c, struct pt_mem *mem, uint64_t rip, int *early)
{
    uint64_t countdown;
    *early = 0;
    if (!c->table || rip < PT_CLOCK_TRAMPS ||
        rip >= PT_CLOCK_TRAMPS + NOPCODES * PT_CLOCK_TRAMP_SIZE ||
        !c->fused[(rip - PT_CLOCK_TRAMPS) / PT_CLOCK_TRAMP_SIZE]) {
        return 0;
    }
    if (pt_mem_read(mem, PT_CLOCK_COUNTDOWN, &countdown, 8) < 0) {
        return pt_wrap("reading the Python clock");
    }
    countdown++; /* the second half is counted when it is dispatched, after the trap */
    if (pt_mem_write(mem, PT_CLOCK_COUNTDOWN, &countdown, 8) < 0) {
        return pt_wrap("settling the Python clock");
    }
    *early = countdown != 0;
    return 0;
}

int pt_clock_as_plain(const struct pt_clock *c, struct user_regs_struct *r)
{
    if (!c->table || r->rip < PT_CLOCK_WATCH ||
        r->rip >= PT_CLOCK_WATCH + NOPCODES * PT_CLOCK_WATCH_SIZE ||
        (r->rip - PT_CLOCK_WATCH) % PT_CLOCK_WATCH_SIZE != PT_CLOCK_WATCH_TRAP + 1) {
        return 0;
    }
    uint64_t op = (r->rip - PT_CLOCK_WATCH) / PT_CLOCK_WATCH_SIZE;
    uint64_t watch = PT_CLOCK_WATCH + op * PT_CLOCK_WATCH_SIZE;
    uint64_t plain = PT_CLOCK_TRAMPS + op * PT_CLOCK_TRAMP_SIZE;
    unsigned long long *gpr[] = {&r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi,
                                 &r->rdi, &r->rbp, &r->r8,  &r->r9,  &r->r10,
                                 &r->r11, &r->r12, &r->r13, &r->r14, &r->r15};
    for (size_t i = 0; i < sizeof gpr / sizeof gpr[0]; i++) {
        if (*gpr[i] == watch) {
            *gpr[i] = plain; /* the dispatch's jump target */
        }
    }
    r->rip = plain + PT_CLOCK_TRAP_OFFSET + 1;
    /* and the flags the plain trampoline's `sub` left: 1 - 1 (ZF PF) or, for a superinstruction
     * stopped on its first half, 1 - 2 (CF PF AF SF) */
    const uint64_t arith = 0x8d5; /* OF SF ZF AF PF CF */
    r->eflags = (r->eflags & ~arith) | (c->fused[op] ? 0x95 : 0x44);
    return 1;
}

int pt_clock_is_trap(const struct pt_clock *c, uint64_t rip, int *opcode)
{
    if (c->table && rip >= PT_CLOCK_WATCH &&
        rip < PT_CLOCK_WATCH + NOPCODES * PT_CLOCK_WATCH_SIZE &&
        (rip - PT_CLOCK_WATCH) % PT_CLOCK_WATCH_SIZE == PT_CLOCK_WATCH_TRAP + 1) {
        *opcode = (int)((rip - PT_CLOCK_WATCH) / PT_CLOCK_WATCH_SIZE);
        return 1;
    }
    if (!c->table || rip < PT_CLOCK_TRAMPS ||
        rip >= PT_CLOCK_TRAMPS + NOPCODES * PT_CLOCK_TRAMP_SIZE) {
        return 0;
    }
    uint64_t off = rip - PT_CLOCK_TRAMPS;
    if (off % PT_CLOCK_TRAMP_SIZE != PT_CLOCK_TRAP_OFFSET + 1) {
        return 0;
    }
    *opcode = (int)(off / PT_CLOCK_TRAMP_SIZE);
    return 1;
}
