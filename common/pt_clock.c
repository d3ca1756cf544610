/*
 * pt_clock: locating opcode_targets, planning which opcodes are counted, writing the counted
 * and watch trampolines, reading and arming the countdowns (see pt_clock.h).
 */
#define _GNU_SOURCE
#include "pt_clock.h"
#include "pt_sysbuf.h"

#include "pt_clock_switch.h"
#include "pt_error.h"
#include "pt_fidcache.h"
#include "pt_pyver.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
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

/* find_symbols through the per-user cache (pt_fidcache.h): scanning the ~40,000 symbols of
 * a distribution's debug file took ~1 ms of every recording. */
static int find_symbols_cached(const char *symfile, uint64_t *table, uint64_t *deopt,
                               uint64_t eval[2], int *etype)
{
    struct stat st;
    uint64_t v[5];
    int have = stat(symfile, &st) == 0 && S_ISREG(st.st_mode);
    if (have && pt_fidcache_get_words(&st, v, 5)) {
        *table = v[0];
        *deopt = v[1];
        eval[0] = v[2];
        eval[1] = v[3];
        *etype = (int)v[4];
        return 0;
    }
    if (find_symbols(symfile, table, deopt, eval, etype) < 0) {
        return -1;
    }
    if (have) {
        uint64_t w[5] = {*table, *deopt, eval[0], eval[1], (uint64_t)*etype};
        pt_fidcache_put_words(&st, w, 5);
    }
    return 0;
}

int pt_clock_locate(pid_t pid, const char *image, const char *symfile, struct pt_clock_site *site)
{
    uint64_t table = 0, deopt = 0, base = 0, eval[2] = {0, 0};
    int etype = ET_EXEC;
    if (find_symbols_cached(symfile, &table, &deopt, eval, &etype) < 0) {
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

/* ---- the plan --------------------------------------------------------------------------- */

static int in_list(const uint8_t *list, int n, int op)
{
    for (int i = 0; i < n; i++) {
        if (list[i] == op) {
            return 1;
        }
    }
    return 0;
}

/* C's word goes where no load the interpreter makes right after a counted dispatch shares its
 * low 12 address bits (4K aliasing: such a load waits for the store to retire, measured at up
 * to 2x on CPU-bound code when C shared a page offset with hot stack slots). Those loads are
 * the dispatch table's entries (2 KiB of page offsets from the table's own) and the counted
 * trampolines' handler words (offset 24 mod 32). So: a 64-byte-aligned offset in the middle of
 * the half page the table does not cover. Stack slots can sit at any offset, but only the
 * store of a counted dispatch (a loop iteration, a call) can meet them now. */
static pt_addr choose_countdown(pt_addr table)
{
    uint64_t off = ((table & 0xfff) + 2048 + 1024) & 0xfc0;
    return PT_CLOCK_CPAGE + off;
}

int pt_clock_plan(struct pt_mem *mem, const struct pt_clock_site *site, const char *version,
                  struct pt_clock_plan *plan)
{
    uint8_t deopt[NOPCODES];
    const struct pt_pyver *v = pt_pyver_lookup(version);
    if (!v || v->ncounted == 0) {
        return pt_fail("CPython %s: pytt's Python clock knows 3.8 to 3.13", version);
    }
    memset(plan, 0, sizeof *plan);
    plan->table = site->table;
    plan->countdown = choose_countdown(site->table);
    int have_deopt = site->deopt && pt_mem_read(mem, site->deopt, deopt, sizeof deopt) == 0;
    if (!have_deopt && site->deopt) {
        return pt_wrap("CPython %s: reading _PyOpcode_Deopt", version);
    }
    for (int i = 0; i < NOPCODES; i++) {
        int base = have_deopt && deopt[i] ? deopt[i] : i;
        plan->redirect[i] = (uint8_t)i;
        if (base != i && in_list(v->fused_base, v->nfused, base)) {
            plan->redirect[i] = (uint8_t)base; /* a superinstruction: split when watching */
        }
        plan->counted[i] = (uint8_t)in_list(v->counted, v->ncounted, base);
    }
    if (v->main_loop_switch) {
        /* without it the recording still replays; the debugger then says why it cannot step */
        uint64_t handlers[NOPCODES];
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

/* ---- code generation ------------------------------------------------------------------- */

static void put32(uint8_t *p, int32_t v)
{
    memcpy(p, &v, 4);
}

/* `OP qword [rip+rel32], imm8` (sub: /5, add: /0) at p for an instruction at `at`. */
static size_t emit_rmw(uint8_t *p, pt_addr at, int sub, pt_addr word, uint8_t imm)
{
    p[0] = 0x48;
    p[1] = 0x83;
    p[2] = sub ? 0x2d : 0x05;
    put32(p + 3, (int32_t)(word - (at + 8)));
    p[7] = imm;
    return 8;
}

/* `mov qword [rip+rel32], 0` (leaves the flags alone). */
static size_t emit_zero(uint8_t *p, pt_addr at, pt_addr word)
{
    p[0] = 0x48;
    p[1] = 0xc7;
    p[2] = 0x05;
    put32(p + 3, (int32_t)(word - (at + 11)));
    put32(p + 7, 0);
    return 11;
}

/* `jmp [rip+rel32]` (6 bytes). */
static size_t emit_jmp_mem(uint8_t *p, pt_addr at, pt_addr slot)
{
    p[0] = 0xff;
    p[1] = 0x25;
    put32(p + 2, (int32_t)(slot - (at + 6)));
    return 6;
}

/* `je rel32` (6 bytes). */
static size_t emit_je(uint8_t *p, pt_addr at, pt_addr target)
{
    p[0] = 0x0f;
    p[1] = 0x84;
    put32(p + 2, (int32_t)(target - (at + 6)));
    return 6;
}

/* `cmp REG, [rip+rel32]` (7 bytes). */
static size_t emit_cmp(uint8_t *p, pt_addr at, int reg, pt_addr slot)
{
    p[0] = (uint8_t)(0x48 | (reg >= 8 ? 4 : 0));
    p[1] = 0x3b;
    p[2] = (uint8_t)(((reg & 7) << 3) | 5);
    put32(p + 3, (int32_t)(slot - (at + 7)));
    return 7;
}

/* A counted opcode's plain trampoline at t (layout in pt_clock.h). */
static void emit_counted(uint8_t *code, pt_addr t, int i, pt_addr countdown, uint64_t handler)
{
    pt_addr orig = PT_CLOCK_ORIG + (pt_addr)i * 8;
    memset(code, 0xcc, PT_CLOCK_TRAMP_SIZE);
    emit_rmw(code, t, 1, countdown, 1);
    code[8] = 0x74; /* je trap */
    code[9] = (uint8_t)(PT_CLOCK_TRAP_OFFSET - 10);
    emit_jmp_mem(code + 10, t + 10, t + PT_CLOCK_TRAMP_HANDLER);
    code[PT_CLOCK_TRAP_OFFSET] = 0xcc;
    emit_jmp_mem(code + 17, t + 17, orig);
    memcpy(code + PT_CLOCK_TRAMP_HANDLER, &handler, 8);
}

#define WATCH_TRAP_C                                                                               \
    (PT_CLOCK_WATCH_TRAP - 16) /* counted opcode whose C reached 0: count F                        \
                                * too, then trap */

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
 *   done:
 * (at most KEEP_LAST_MAX bytes) */
#define KEEP_LAST_MAX 40
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

/* A watched instruction with a condition: compare next_instr, then call the condition's code
 * below the red zone (lea keeps the flags it returns) and trap if it says so. */
static size_t emit_cond_instr(uint8_t *p, pt_addr at, const struct pt_watch *w, int k, pt_addr trap)
{
    static const uint8_t down[] = {0x48, 0x8d, 0x64, 0x24, 0x80};        /* lea rsp, [rsp-128] */
    static const uint8_t up[] = {0x48, 0x8d, 0xa4, 0x24, 0x80, 0, 0, 0}; /* lea rsp, [rsp+128] */
    pt_addr slot = PT_CLOCK_SLOTS + (pt_addr)(PT_WATCH_MAX + k) * 8;
    size_t n = emit_cmp(p, at, w->instr_reg, slot);
    p[n++] = 0x75; /* jne over the call */
    p[n++] = (uint8_t)(sizeof down + 5 + sizeof up + 6);
    memcpy(p + n, down, sizeof down);
    n += sizeof down;
    p[n] = 0xe8; /* call rel32 */
    put32(p + n + 1, (int32_t)(PT_CLOCK_COND + (pt_addr)k * PT_COND_CODE_MAX - (at + n + 5)));
    n += 5;
    memcpy(p + n, up, sizeof up);
    n += sizeof up;
    return n + emit_je(p + n, at + n, trap);
}

/* Opcode i's watch trampoline at t: keep k, count C (counted opcodes) and F, trap on either
 * reaching 0 and on what w watches, then continue into the (split) plain handler. */
static int emit_watch(uint8_t *code, pt_addr t, int i, int counted, pt_addr countdown,
                      const struct pt_watch *w)
{
    pt_addr orig = PT_CLOCK_ORIG + (pt_addr)i * 8, trap = t + PT_CLOCK_WATCH_TRAP;
    size_t n = 0;
    memset(code, 0xcc, PT_CLOCK_WATCH_SIZE);
    if (counted) {
        n += emit_zero(code + n, t + n, PT_CLOCK_KCOUNT(countdown));
        n += emit_rmw(code + n, t + n, 1, countdown, 1);
        n += emit_je(code + n, t + n, t + WATCH_TRAP_C);
    } else {
        n += emit_rmw(code + n, t + n, 0, PT_CLOCK_KCOUNT(countdown), 1);
    }
    n += emit_rmw(code + n, t + n, 1, PT_CLOCK_FINE(countdown), 1);
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
        if (w->conds[k].nnodes || w->logs[k].nvalues) {
            n += emit_cond_instr(code + n, t + n, w, k, trap);
            continue;
        }
        n += emit_cmp(code + n, t + n, w->instr_reg, slot);
        n += emit_je(code + n, t + n, trap);
    }
    if (n + KEEP_LAST_MAX + 6 > WATCH_TRAP_C) {
        return pt_fail("too many watched frames and conditional breakpoints at once");
    }
    n += emit_keep_last(code + n, t + n, w);
    emit_jmp_mem(code + n, t + n, orig);
    n = WATCH_TRAP_C;
    n += emit_rmw(code + n, t + n, 1, PT_CLOCK_FINE(countdown), 1);
    code[n] = 0xeb; /* jmp short trap */
    code[n + 1] = (uint8_t)(PT_CLOCK_WATCH_TRAP - (n + 2));
    n = PT_CLOCK_WATCH_TRAP;
    code[n++] = 0xcc; /* int3, then continue to the handler */
    n += emit_keep_last(code + n, t + n, w);
    emit_jmp_mem(code + n, t + n, orig);
    return 0;
}

/* The conditions' code (pt_cond.c) and the tracepoints' log programs (pt_tlog.c), one
 * PT_COND_CODE_MAX slot per watched instruction, and the log's copy routine. */
static int write_cond_code(struct pt_mem *mem, const struct pt_watch *w)
{
    uint8_t code[PT_COND_CODE_MAX];
    int logs = 0;
    for (int k = 0; k < w->ninstrs; k++) {
        pt_addr at = PT_CLOCK_COND + (pt_addr)k * PT_COND_CODE_MAX;
        size_t n;
        if (w->logs[k].nvalues) {
            n = pt_tlog_emit(&w->logs[k], &w->tlog_layout, w->frame_reg,
                             PT_CLOCK_SLOTS + (pt_addr)(PT_WATCH_MAX + k) * 8, code, sizeof code);
            logs = 1;
        } else if (w->conds[k].nnodes) {
            n = pt_cond_emit(&w->conds[k], &w->cond_layout, w->frame_reg, at, code, sizeof code);
        } else {
            continue;
        }
        if (n == 0) {
            return pt_fail("a breakpoint condition or tracepoint is too complex for in-process "
                           "checking");
        }
        if (pt_mem_write(mem, at, code, n) < 0) {
            return pt_wrap("writing a breakpoint condition's code");
        }
    }
    uint8_t copy[PT_TLOG_COPY_CODE_MAX];
    size_t n = logs ? pt_tlog_emit_copy(&w->tlog_layout, copy, sizeof copy) : 0;
    if (logs && (n == 0 || pt_mem_write(mem, PT_TLOG_COPY_CODE, copy, n) < 0)) {
        return pt_wrap("writing the tracepoint log's copy routine");
    }
    return 0;
}

/* ---- install and run ------------------------------------------------------------------- */

static int write_word(struct pt_mem *mem, pt_addr addr, uint64_t v, const char *what)
{
    if (pt_mem_write(mem, addr, &v, 8) < 0) {
        return pt_wrap("%s", what);
    }
    return 0;
}

/* The table while nothing is watched: counted opcodes through their trampoline, the rest
 * straight to the interpreter's handler. */
static int point_plain(struct pt_clock *c, struct pt_mem *mem)
{
    uint64_t table[NOPCODES];
    for (int i = 0; i < NOPCODES; i++) {
        table[i] =
            c->counted[i] ? PT_CLOCK_TRAMPS + (pt_addr)i * PT_CLOCK_TRAMP_SIZE : c->handlers[i];
    }
    return pt_mem_write(mem, c->table, table, sizeof table);
}

int pt_clock_publish_base(const struct pt_clock *c, struct pt_mem *mem)
{
    return write_word(mem, PT_SYSBUF_CTL + offsetof(struct pt_sysbuf_ctl, base), c->base,
                      "publishing the Python clock's base");
}

int pt_clock_install(struct pt_clock *c, struct pt_mem *mem, const struct pt_clock_plan *plan)
{
    uint64_t handler[NOPCODES], orig[NOPCODES];
    if (plan->countdown < PT_CLOCK_CPAGE || plan->countdown + 8 > PT_CLOCK_CPAGE + 4096 ||
        plan->countdown % 8) {
        return pt_fail("the Python clock's countdown at 0x%llx is outside its page or unaligned",
                       (unsigned long long)plan->countdown);
    }
    if (pt_mem_read(mem, plan->table, handler, sizeof handler) < 0) {
        return pt_wrap("reading opcode_targets at 0x%llx", (unsigned long long)plan->table);
    }
    if (plan->switch_site && pt_clock_switch_install(mem, plan->table, handler, plan) < 0) {
        return -1;
    }
    c->switch_routed = plan->switch_site != 0;
    uint8_t *code = malloc(NOPCODES * PT_CLOCK_TRAMP_SIZE);
    for (int i = 0; i < NOPCODES; i++) {
        orig[i] = handler[plan->redirect[i]];
        c->orig[i] = orig[i];
        c->handlers[i] = handler[i];
        c->counted[i] = plan->counted[i];
        emit_counted(code + i * PT_CLOCK_TRAMP_SIZE,
                     PT_CLOCK_TRAMPS + (pt_addr)i * PT_CLOCK_TRAMP_SIZE, i, plan->countdown,
                     handler[i]);
    }
    c->table = plan->table;
    c->countdown = plan->countdown;
    int rc = -1;
    if (write_word(mem, c->countdown, PT_CLOCK_IDLE, "idling the clock") == 0 &&
        write_word(mem, PT_CLOCK_FINE(c->countdown), PT_CLOCK_IDLE, "idling the clock") == 0 &&
        write_word(mem, PT_CLOCK_KCOUNT(c->countdown), 0, "zeroing k") == 0 &&
        pt_mem_write(mem, PT_CLOCK_ORIG, orig, sizeof orig) == 0 &&
        pt_mem_write(mem, PT_CLOCK_TRAMPS, code, NOPCODES * PT_CLOCK_TRAMP_SIZE) == 0 &&
        point_plain(c, mem) == 0) {
        c->base = PT_CLOCK_IDLE;
        rc = pt_clock_publish_base(c, mem);
        c->k_valid = 1; /* nothing dispatched yet: k is 0 */
    }
    free(code);
    if (rc < 0) {
        c->table = 0;
    }
    return rc < 0 ? pt_wrap("installing the Python clock") : 0;
}

int pt_clock_coarse(const struct pt_clock *c, struct pt_mem *mem, uint64_t *count)
{
    uint64_t countdown;
    if (!c->table) {
        *count = 0;
        return 0;
    }
    if (pt_mem_read(mem, c->countdown, &countdown, 8) < 0) {
        return pt_wrap("reading the Python clock");
    }
    *count = c->base - countdown;
    return 0;
}

int pt_clock_now(struct pt_clock *c, struct pt_mem *mem, uint64_t *tick)
{
    uint64_t count = 0, k = 0;
    if (pt_clock_coarse(c, mem, &count) < 0) {
        return -1;
    }
    if (!c->table) {
        *tick = 0;
        return 0;
    }
    if (!c->k_valid && c->k_pending && count != c->resume_count) {
        c->k_valid = 1;
    }
    if (!c->k_valid) {
        return pt_fail("the replay is between two counted bytecode dispatches, at an unknown "
                       "instruction (internal: a plain run ended at a syscall)");
    }
    if (pt_mem_read(mem, PT_CLOCK_KCOUNT(c->countdown), &k, 8) < 0) {
        return pt_wrap("reading the Python clock");
    }
    if (k >> PT_TICK_K_BITS || count >> (64 - PT_TICK_K_BITS)) {
        return pt_fail("this moment cannot be named: %llu instructions after counted dispatch "
                       "%llu (pytt names at most 2^%d)",
                       (unsigned long long)k, (unsigned long long)count, PT_TICK_K_BITS);
    }
    *tick = PT_TICK(count, k);
    return 0;
}

static int set_countdown(struct pt_clock *c, struct pt_mem *mem, uint64_t now, uint64_t cd)
{
    if (pt_mem_write(mem, c->countdown, &cd, 8) < 0) {
        return pt_wrap("arming the Python clock");
    }
    c->base = now + cd;
    return pt_clock_publish_base(c, mem);
}

int pt_clock_arm(struct pt_clock *c, struct pt_mem *mem, uint64_t target)
{
    uint64_t now = 0;
    if (pt_clock_coarse(c, mem, &now) < 0) {
        return -1;
    }
    if (target <= now) {
        return pt_fail("cannot arm the clock for counted dispatch %llu: it is already %llu",
                       (unsigned long long)target, (unsigned long long)now);
    }
    return set_countdown(c, mem, now, target - now);
}

int pt_clock_arm_fine(struct pt_clock *c, struct pt_mem *mem, uint64_t n)
{
    if (!c->watching || (c->watch.sparse && n != PT_CLOCK_IDLE)) {
        return pt_fail("internal: a fine stop needs the watch trampolines, all of them");
    }
    return write_word(mem, PT_CLOCK_FINE(c->countdown), n,
                      "arming the Python clock's fine countdown");
}

int pt_clock_idle(struct pt_clock *c, struct pt_mem *mem)
{
    uint64_t now = 0;
    if (!c->table) {
        return 0;
    }
    if (pt_clock_coarse(c, mem, &now) < 0 ||
        write_word(mem, PT_CLOCK_FINE(c->countdown), PT_CLOCK_IDLE, "idling the clock") < 0) {
        return -1;
    }
    return set_countdown(c, mem, now, PT_CLOCK_IDLE);
}

/* The table while watching: every opcode through its watch trampoline, or (sparse) only
 * w->sparse_op's, the others as point_plain has them but with superinstructions split (a
 * watched instruction can be a fused pair's second half). */
static int point_watch(struct pt_clock *c, struct pt_mem *mem, const struct pt_watch *w)
{
    uint64_t table[NOPCODES];
    for (int i = 0; i < NOPCODES; i++) {
        table[i] = PT_CLOCK_WATCH + (pt_addr)i * PT_CLOCK_WATCH_SIZE;
        if (w->sparse && !w->sparse_op[i]) {
            table[i] =
                c->counted[i] ? PT_CLOCK_TRAMPS + (pt_addr)i * PT_CLOCK_TRAMP_SIZE : c->orig[i];
        }
    }
    return pt_mem_write(mem, c->table, table, sizeof table);
}

static int write_watch_code(struct pt_clock *c, struct pt_mem *mem, const struct pt_watch *w)
{
    uint8_t *code = malloc(NOPCODES * PT_CLOCK_WATCH_SIZE);
    if (!code) {
        return pt_fail("out of memory");
    }
    for (int i = 0; i < NOPCODES; i++) {
        if (emit_watch(code + i * PT_CLOCK_WATCH_SIZE,
                       PT_CLOCK_WATCH + (pt_addr)i * PT_CLOCK_WATCH_SIZE, i, c->counted[i],
                       c->countdown, w) < 0) {
            free(code);
            return -1;
        }
    }
    int rc = write_cond_code(mem, w);
    if (rc == 0 && pt_mem_write(mem, PT_CLOCK_WATCH, code, NOPCODES * PT_CLOCK_WATCH_SIZE) < 0) {
        rc = pt_wrap("installing the watch trampolines");
    }
    free(code);
    return rc;
}

int pt_clock_watch(struct pt_clock *c, struct pt_mem *mem, const struct pt_watch *w)
{
    if (!c->table) {
        return pt_fail("the Python clock is not installed yet");
    }
    if (!w) {
        if (c->watching && point_plain(c, mem) < 0) {
            return pt_wrap("restoring the plain clock trampolines");
        }
        c->watching = 0;
        return 0;
    }
    if (c->watching && memcmp(&c->watch, w, sizeof *w) == 0) {
        return 0;
    }
    if (w->nframes > PT_WATCH_MAX || w->ninstrs > PT_WATCH_MAX) {
        return pt_fail("too many watched frames or instructions (at most %d)", PT_WATCH_MAX);
    }
    uint64_t slots[2 * PT_WATCH_MAX];
    for (int k = 0; k < PT_WATCH_MAX; k++) {
        slots[k] = k < w->nframes ? w->frames[k] : 1;
        slots[PT_WATCH_MAX + k] = k < w->ninstrs ? w->instrs[k] : 1;
    }
    int same_code =
        c->code_valid && c->watch.nframes == w->nframes && c->watch.ninstrs == w->ninstrs &&
        c->watch.frame_reg == w->frame_reg && c->watch.instr_reg == w->instr_reg &&
        memcmp(c->watch.trap_op, w->trap_op, sizeof w->trap_op) == 0 &&
        memcmp(c->watch.conds, w->conds, sizeof w->conds) == 0 &&
        memcmp(c->watch.logs, w->logs, sizeof w->logs) == 0 &&
        memcmp(&c->watch.tlog_layout, &w->tlog_layout, sizeof w->tlog_layout) == 0 &&
        memcmp(&c->watch.cond_layout, &w->cond_layout, sizeof w->cond_layout) == 0 &&
        c->watch.frame_zero_off == w->frame_zero_off && c->watch.keep_last == w->keep_last &&
        c->watch.keep_traced_off == w->keep_traced_off;
    if (pt_mem_write(mem, PT_CLOCK_SLOTS, slots, sizeof slots) < 0) {
        return pt_wrap("writing watched values");
    }
    if (!same_code && write_watch_code(c, mem, w) < 0) {
        return -1;
    }
    int same_table = c->watching && c->watch.sparse == w->sparse &&
                     memcmp(c->watch.sparse_op, w->sparse_op, sizeof w->sparse_op) == 0;
    if (w->sparse && (w->nframes || w->frame_zero_off >= 0 || w->keep_last ||
                      memchr(w->trap_op, 1, sizeof w->trap_op))) {
        return pt_fail("internal: a sparse watch traps on instructions only");
    }
    if (!same_table && point_watch(c, mem, w) < 0) {
        return pt_wrap("installing the watch trampolines");
    }
    c->watch = *w;
    c->code_valid = 1;
    c->watching = 1;
    return 0;
}

int pt_clock_at_trap(struct pt_clock *c, struct pt_mem *mem, int opcode)
{
    if (!c->table || opcode < 0 || opcode >= NOPCODES || !c->counted[opcode]) {
        return 0;
    }
    /* a plain trampoline does not keep k; a watch one has already zeroed it */
    if ((!c->watching || c->watch.sparse) &&
        write_word(mem, PT_CLOCK_KCOUNT(c->countdown), 0, "zeroing k") < 0) {
        return -1;
    }
    c->k_valid = 1;
    return 0;
}

int pt_clock_resuming(struct pt_clock *c, struct pt_mem *mem)
{
    c->k_pending = 0;
    if (!c->watching || c->watch.sparse) {
        c->k_valid = 0;
    } else if (!c->k_valid) {
        /* a watched run makes k known at its first counted dispatch: C then moves */
        c->k_pending = 1;
        return pt_clock_coarse(c, mem, &c->resume_count);
    }
    return 0;
}

int pt_clock_as_plain(const struct pt_clock *c, struct user_regs_struct *r)
{
    int op;
    if (!c->table || r->rip < PT_CLOCK_WATCH ||
        r->rip >= PT_CLOCK_WATCH + NOPCODES * PT_CLOCK_WATCH_SIZE ||
        (r->rip - PT_CLOCK_WATCH) % PT_CLOCK_WATCH_SIZE != PT_CLOCK_WATCH_TRAP + 1) {
        return 0;
    }
    op = (int)((r->rip - PT_CLOCK_WATCH) / PT_CLOCK_WATCH_SIZE);
    if (!c->counted[op]) {
        return 0; /* only counted dispatches are moments the recording trapped at */
    }
    uint64_t watch = PT_CLOCK_WATCH + (uint64_t)op * PT_CLOCK_WATCH_SIZE;
    uint64_t plain = PT_CLOCK_TRAMPS + (uint64_t)op * PT_CLOCK_TRAMP_SIZE;
    unsigned long long *gpr[] = {&r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi,
                                 &r->rdi, &r->rbp, &r->r8,  &r->r9,  &r->r10,
                                 &r->r11, &r->r12, &r->r13, &r->r14, &r->r15};
    for (size_t i = 0; i < sizeof gpr / sizeof gpr[0]; i++) {
        if (*gpr[i] == watch) {
            *gpr[i] = plain; /* the dispatch's jump target */
        }
    }
    r->rip = plain + PT_CLOCK_TRAP_OFFSET + 1;
    /* and the flags the plain trampoline's `sub` left at 0: ZF PF */
    const uint64_t arith = 0x8d5; /* OF SF ZF AF PF CF */
    r->eflags = (r->eflags & ~arith) | 0x44;
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

int pt_clock_handler_after_trap(struct pt_mem *mem, int opcode, uint64_t *handler)
{
    if (pt_mem_read(mem, PT_CLOCK_ORIG + (pt_addr)opcode * 8, handler, 8) < 0) {
        return pt_wrap("reading the handler of opcode %d", opcode);
    }
    return 0;
}

int pt_clock_idle_copy(const struct pt_clock *c, struct pt_mem *copy_mem)
{
    if (!c->table) {
        return 0;
    }
    return write_word(copy_mem, c->countdown, PT_CLOCK_IDLE, "idling a copy's Python clock");
}

const char *pt_tick_str(uint64_t tick, char buf[PT_TICK_STRLEN])
{
    snprintf(buf, PT_TICK_STRLEN, "%llu.%llu", (unsigned long long)PT_TICK_C(tick),
             (unsigned long long)PT_TICK_K(tick));
    return buf;
}

int pt_tick_parse(const char *text, uint64_t *tick)
{
    char *end;
    errno = 0;
    unsigned long long c = strtoull(text, &end, 10), k = 0;
    if (end == text || errno || c >> (64 - PT_TICK_K_BITS)) {
        return pt_fail("'%s' is not a tick (C or C.k, as `when` shows)", text);
    }
    if (*end == '.') {
        const char *kt = end + 1;
        k = strtoull(kt, &end, 10);
        if (end == kt || errno || k >> PT_TICK_K_BITS) {
            return pt_fail("'%s' is not a tick (C or C.k, as `when` shows)", text);
        }
    }
    if (*end && *end != ' ' && *end != '\t') {
        return pt_fail("'%s' is not a tick (C or C.k, as `when` shows)", text);
    }
    *tick = PT_TICK(c, k);
    return 0;
}

_Static_assert(PT_CLOCK_WATCH + 256 * PT_CLOCK_WATCH_SIZE <= PT_CLOCK_COND,
               "the watch trampolines overlap the conditions' code");
_Static_assert(PT_CLOCK_COND + PT_WATCH_MAX * PT_COND_CODE_MAX <= PT_CLOCK_SWITCH_TABLE,
               "the conditions' code overlaps 3.10's switch table");
