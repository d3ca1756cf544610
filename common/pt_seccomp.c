/*
 * pt_seccomp: building the replay filter from the syscall table and installing it in the
 * tracee through pytt's stub (see pt_seccomp.h).
 */
#define _GNU_SOURCE
#include "pt_seccomp.h"

#include "pt_error.h"
#include "pt_ptrace.h"
#include "pt_startup.h"
#include "pt_syscalls.h"
#include "pt_sysbuf.h"
#include "pt_trace.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define MAX_INSNS 128
#define STUB_RIP (PT_PAGE_STUB_SYSCALL + 2) /* the instruction pointer after its `syscall` */

struct prog {
    struct sock_filter f[MAX_INSNS];
    unsigned n;
};

static void emit(struct prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
    if (p->n < MAX_INSNS) {
        p->f[p->n++] = (struct sock_filter){code, jt, jf, k};
    }
}

/* What replay runs for real from the program's own code: EXECUTE rows, mmap and mremap at the
 * recorded addresses, and clone/clone3 creating threads (other clones are emulated at entry,
 * so they never reach the filter; a thread stays inside the process and under this filter). */
static int allowed_nr(int nr)
{
    const struct pt_syscall *sc = pt_syscall(nr);
    return (sc && sc->mode == PT_SC_EXECUTE) || nr == SYS_mmap || nr == SYS_mremap ||
           nr == SYS_clone || nr == SYS_clone3;
}

int pt_seccomp_allows(int nr)
{
    return allowed_nr(nr);
}

/* Layout: arch check, the stub's instruction pointer, -1, the allowed numbers; then TRAP at
 * index n-2 and ALLOW at n-1 (jumps are patched once the length is known). */
static void build(struct prog *p)
{
    int nrs[64], nn = 0;
    for (int nr = 0; nr < PT_NSYSCALLS && nn < 64; nr++) {
        if (allowed_nr(nr)) {
            nrs[nn++] = nr;
        }
    }
    unsigned total = 4 + 4 + 2 + (unsigned)nn + 2, trap = total - 2, allow = total - 1;
    p->n = 0;
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
    emit(p, BPF_JMP | BPF_JA, 0, 0, trap - 3);
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, instruction_pointer) + 4);
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 2, (uint32_t)(STUB_RIP >> 32));
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, instruction_pointer));
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(allow - 7), 0, (uint32_t)STUB_RIP);
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(allow - 9), 0, 0xffffffffu);
    emit(p, BPF_JMP | BPF_JGE | BPF_K, (uint8_t)(trap - 10), 0, 0x40000000u); /* x32 */
    for (int i = 0; i < nn; i++) {
        emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(allow - p->n - 1), 0, (uint32_t)nrs[i]);
    }
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_TRAP);
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
}

unsigned pt_seccomp_program(struct sock_filter *out, unsigned max)
{
    struct prog p;
    build(&p);
    unsigned n = p.n < max ? p.n : max;
    memcpy(out, p.f, n * sizeof *out);
    return n;
}

static int stub(pid_t pid, long nr, uint64_t a0, uint64_t a1, uint64_t a2, const char *what)
{
    uint64_t args[6] = {a0, a1, a2, 0, 0, 0};
    int64_t ret;
    if (pt_inject_syscall(pid, PT_PAGE_STUB_SYSCALL, nr, args, &ret) < 0) {
        return pt_wrap("%s in the traced process", what);
    }
    if (ret != 0) {
        return pt_fail("%s in the traced process failed (error %lld)", what, (long long)-ret);
    }
    return 0;
}

/* The recording's filter: every call stops the tracee (SECCOMP_RET_TRACE: one stop at its entry
 * instead of ptrace's entry stop), except those made from pytt's two stubs (its own injected
 * calls and the syscall buffer's, pt_sysbuf.h) and the calls pt_sc_unseen names, from anywhere.
 * Layout: arch check, the UNSEEN numbers, the stubs' instruction pointers; TRACE at n-2,
 * ALLOW at n-1. */
static void build_record(struct prog *p)
{
    const uint64_t buf_rip = PT_SYSBUF_STUB + 2;
    int nrs[16], nn = 0;
    for (int nr = 0; nr < PT_NSYSCALLS && nn < 16; nr++) {
        if (pt_sc_unseen(nr, PT_TRACE_VERSION)) {
            nrs[nn++] = nr;
        }
    }
    unsigned total = 3 + (unsigned)nn + 5 + 2, trace = total - 2, allow = total - 1;
    p->n = 0;
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(trace - 2), AUDIT_ARCH_X86_64);
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
    for (int i = 0; i < nn; i++) {
        emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(allow - p->n - 1), 0, (uint32_t)nrs[i]);
    }
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, instruction_pointer) + 4);
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(trace - p->n - 1), (uint32_t)(STUB_RIP >> 32));
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, instruction_pointer));
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(allow - p->n - 1), 0, (uint32_t)STUB_RIP);
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(allow - p->n - 1), 0, (uint32_t)buf_rip);
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_TRACE);
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
}

static int install(pid_t pid, struct pt_mem *mem, const struct prog *pr)
{
    struct prog p = *pr;
    struct sock_fprog fprog = {(unsigned short)p.n, (struct sock_filter *)(PT_PAGE_SCRATCH + 64)};
    size_t len = p.n * sizeof p.f[0];
    if (64 + len > PT_PAGE_SCRATCH_LEN) {
        return pt_fail("the seccomp filter does not fit in pytt's page");
    }
    if (pt_mem_write(mem, PT_PAGE_SCRATCH, &fprog, sizeof fprog) < 0 ||
        pt_mem_write(mem, PT_PAGE_SCRATCH + 64, p.f, len) < 0) {
        return pt_wrap("writing the seccomp filter");
    }
    if (stub(pid, SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, "prctl(PR_SET_NO_NEW_PRIVS)") < 0 ||
        stub(pid, SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, PT_PAGE_SCRATCH, "seccomp") < 0) {
        return -1;
    }
    return 0;
}

int pt_seccomp_install(pid_t pid, struct pt_mem *mem)
{
    struct prog p;
    build(&p);
    return install(pid, mem, &p);
}

int pt_seccomp_install_record(pid_t pid, struct pt_mem *mem)
{
    struct prog p;
    build_record(&p);
    return install(pid, mem, &p);
}
