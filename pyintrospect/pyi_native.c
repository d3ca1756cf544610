/*
 * pyi_native: native code of the selected thread: the native stack with libunwind's ptrace
 * accessors (the thread must be ptrace-stopped), interleaved with Python frames the way
 * `py-spy dump --native` does it (each _PyEval_EvalFrameDefault frame replaced by the Python
 * frames it runs, see pyi_frames.c), and disassembly with capstone in gdb's AT&T layout
 * (`x/Ni`, `disas`). Symbols come from libdwfl, so the stripped Debian binary is named through
 * its separate debug info.
 */
#include "pyintrospect/pyi_internal.h"

#include "common/pt_capstone.h"
#include <libunwind-ptrace.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PYI_MAX_NATIVE 1024

struct pyi_unwind {
    unw_addr_space_t as;
    void *upt;
    unw_cursor_t cur;
};

static pid_t pyi_selected_tid(struct pyi_session *s)
{
    const struct pyi_thread *t;
    size_t n, i;
    if (pyi_threads(s, &t, &n) != 0 || pyi_selected_thread(s, &i) != 0) {
        return -1;
    }
    /* In a replay the thread state holds the recorded thread id (gettid was replayed), which
     * is not a thread of this process: then the thread is the process itself. */
    char task[64];
    snprintf(task, sizeof task, "/proc/%d/task/%d", (int)s->pid, (int)t[i].native_tid);
    return t[i].native_tid && access(task, F_OK) == 0 ? t[i].native_tid : s->pid;
}

static int pyi_unwind_begin(struct pyi_session *s, struct pyi_unwind *u)
{
    pid_t tid = pyi_selected_tid(s);
    if (tid < 0) {
        return -1;
    }
    u->as = unw_create_addr_space(&_UPT_accessors, 0);
    if (!u->as) {
        return pt_fail("unw_create_addr_space failed");
    }
    u->upt = _UPT_create(tid);
    if (!u->upt) {
        unw_destroy_addr_space(u->as);
        return pt_fail("_UPT_create(%d) failed", (int)tid);
    }
    int r = unw_init_remote(&u->cur, u->as, u->upt);
    if (r < 0) {
        _UPT_destroy(u->upt);
        unw_destroy_addr_space(u->as);
        return pt_fail("unw_init_remote(thread %d): %s (is it ptrace-stopped?)", (int)tid,
                       unw_strerror(r));
    }
    return 0;
}

static void pyi_unwind_end(struct pyi_unwind *u)
{
    _UPT_destroy(u->upt);
    unw_destroy_addr_space(u->as);
}

int pyi_native_pc(struct pyi_session *s, pt_addr *pc)
{
    struct pyi_unwind u;
    unw_word_t ip;
    if (pyi_unwind_begin(s, &u) != 0) {
        return -1;
    }
    int r = unw_get_reg(&u.cur, UNW_REG_IP, &ip);
    pyi_unwind_end(&u);
    if (r < 0) {
        return pt_fail("reading the pc: %s", unw_strerror(r));
    }
    *pc = ip;
    return 0;
}

static const char *pyi_basename(const char *p)
{
    const char *b = p ? strrchr(p, '/') : NULL;
    return b ? b + 1 : p ? p : "?";
}

int pyi_print_native_bt(struct pyi_session *s, FILE *out, unsigned flags,
                        void (*python_group)(struct pyi_session *, FILE *, int, unsigned))
{
    struct pyi_unwind u;
    if (pyi_unwind_begin(s, &u) != 0) {
        return -1;
    }
    int group = 0, ngroups = s->nframes ? s->frames[s->nframes - 1].native_index + 1 : 0;
    for (int n = 0; n < PYI_MAX_NATIVE; n++) {
        unw_word_t ip;
        if (unw_get_reg(&u.cur, UNW_REG_IP, &ip) < 0 || ip == 0) {
            break;
        }
        const char *module = NULL;
        pt_addr lookup = n == 0 ? ip : ip - 1; /* a return address may be past the call's end */
        const char *name = pyi_dbg_addr_name(s, lookup, NULL, &module);
        if (name && strcmp(name, "_PyEval_EvalFrameDefault") == 0 && group < ngroups) {
            python_group(s, out, group++, flags);
        } else {
            fprintf(out, "   0x%016llx in %s () from %s\n", (unsigned long long)ip,
                    name ? name : "??", pyi_basename(module));
        }
        if (unw_step(&u.cur) <= 0) {
            break;
        }
    }
    pyi_unwind_end(&u);
    for (; group < ngroups; group++) {
        fprintf(out, "   (Python frames of an eval loop the native unwind did not reach)\n");
        python_group(s, out, group, flags);
    }
    return 0;
}

static int pyi_cs_open(csh *h)
{
    if (pt_capstone_x86(h) < 0) {
        return -1;
    }
    cs_option(*h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
    return 0;
}

static void pyi_print_insn(struct pyi_session *s, FILE *out, const cs_insn *in, pt_addr pc)
{
    pt_addr start = 0;
    const char *name = pyi_dbg_addr_name(s, in->address, &start, NULL);
    fprintf(out, "%s0x%016llx", in->address == pc ? "=> " : "   ", (unsigned long long)in->address);
    if (name) {
        fprintf(out, " <%s+%llu>", name, (unsigned long long)(in->address - start));
    }
    fprintf(out, ":\t%s%s%s\n", in->mnemonic, in->op_str[0] ? "\t" : "", in->op_str);
}

int pyi_print_native_disas(struct pyi_session *s, FILE *out, pt_addr addr, int count, pt_addr pc)
{
    if (count <= 0 || count > 100000) {
        return pt_fail("bad instruction count %d", count);
    }
    size_t want = (size_t)count * 15;
    uint8_t *buf = malloc(want);
    if (!buf) {
        return pt_fail("out of memory");
    }
    ssize_t got = pt_mem_read_partial(s->mem, addr, buf, want);
    if (got <= 0) {
        free(buf);
        return pt_wrap("reading code at 0x%llx", (unsigned long long)addr);
    }
    csh h;
    if (pyi_cs_open(&h) != 0) {
        free(buf);
        return -1;
    }
    cs_insn *insn;
    size_t n = cs_disasm(h, buf, (size_t)got, addr, (size_t)count, &insn);
    for (size_t i = 0; i < n; i++) {
        pyi_print_insn(s, out, &insn[i], pc);
    }
    if (n) {
        cs_free(insn, n);
    }
    cs_close(&h);
    free(buf);
    if (n == 0) {
        return pt_fail("cannot decode an instruction at 0x%llx", (unsigned long long)addr);
    }
    return 0;
}

int pyi_print_native_function(struct pyi_session *s, FILE *out, pt_addr pc)
{
    pt_addr start = 0;
    const char *name = pyi_dbg_addr_name(s, pc, &start, NULL);
    Dwfl_Module *m = dwfl_addrmodule(s->dwfl, pc);
    GElf_Sym sym;
    GElf_Off off;
    if (!name || !m || !dwfl_module_addrinfo(m, pc, &off, &sym, NULL, NULL, NULL)) {
        return pt_fail("no symbol covers 0x%llx", (unsigned long long)pc);
    }
    size_t size = sym.st_size ? (size_t)sym.st_size : 256;
    if (size > 2000 * 15) {
        size = 2000 * 15;
    }
    uint8_t *buf = malloc(size);
    ssize_t got = buf ? pt_mem_read_partial(s->mem, start, buf, size) : -1;
    csh h;
    if (got <= 0 || pyi_cs_open(&h) != 0) {
        free(buf);
        return pt_wrap("reading %s at 0x%llx", name, (unsigned long long)start);
    }
    fprintf(out, "Dump of assembler code for function %s:\n", name);
    cs_insn *insn;
    size_t n = cs_disasm(h, buf, (size_t)got, start, 2000, &insn);
    for (size_t i = 0; i < n; i++) {
        pyi_print_insn(s, out, &insn[i], pc);
    }
    fprintf(out, "End of assembler dump.\n");
    if (n) {
        cs_free(insn, n);
    }
    cs_close(&h);
    free(buf);
    return 0;
}
