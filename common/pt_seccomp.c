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
#include <fcntl.h>
#include <stddef.h>
#include <sys/mman.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define MAX_INSNS 192
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

/* ---- the loader's filter: a program with labels, jumps patched once they are placed ---- */

enum { L_TRACE, L_ALLOW, L_NR, L_OPENAT, L_FD, L_MMAP, L_ARCH, L_FUTEX, L_PRLIMIT, L_N };

struct lprog {
    struct prog p;
    int at[L_N];                      /* where each label is, or -1 */
    int jt[MAX_INSNS], jf[MAX_INSNS]; /* an instruction's targets: a label, or -1 for the next */
};

static void lemit(struct lprog *l, uint16_t code, uint32_t k, int jt, int jf)
{
    if (l->p.n < MAX_INSNS) {
        l->jt[l->p.n] = jt;
        l->jf[l->p.n] = jf;
    }
    emit(&l->p, code, 0, 0, k);
}

static void lhere(struct lprog *l, int label)
{
    l->at[label] = (int)l->p.n;
}

static void ld_word(struct lprog *l, uint32_t off)
{
    lemit(l, BPF_LD | BPF_W | BPF_ABS, off, -1, -1);
}

static void jeq(struct lprog *l, uint32_t k, int jt, int jf)
{
    lemit(l, BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf);
}

#define ARG_LO(i) (uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)
#define IP_LO (uint32_t) offsetof(struct seccomp_data, instruction_pointer)
#define IP_HI (IP_LO + 4)
#define NR (uint32_t) offsetof(struct seccomp_data, nr)

static int resolve(struct lprog *l)
{
    for (unsigned i = 0; i < l->p.n; i++) {
        uint16_t cls = BPF_CLASS(l->p.f[i].code);
        if (cls != BPF_JMP) {
            continue;
        }
        int targets[2] = {l->jt[i], l->jf[i]};
        unsigned off[2] = {0, 0};
        for (int k = 0; k < 2; k++) {
            if (targets[k] < 0) {
                continue;
            }
            int to = l->at[targets[k]];
            if (to <= (int)i || to - (int)i - 1 > 255) {
                return -1;
            }
            off[k] = (unsigned)(to - (int)i - 1);
        }
        if (BPF_OP(l->p.f[i].code) == BPF_JA) {
            l->p.f[i].k = off[0];
        } else {
            l->p.f[i].jt = (uint8_t)off[0];
            l->p.f[i].jf = (uint8_t)off[1];
        }
    }
    return 0;
}

/* The filter recording starts with (see pt_seccomp.h): calls whose only effects are memory and
 * descriptors the process opened since (all closed or noted when the phase ends), run
 * unstopped from anywhere, as do the calls pt_sc_unseen names and pytt's stubs. Anything else
 * stops (TRACE). */
static int build_loader(struct prog *out, const struct pt_seccomp_loader *ld)
{
    static const int any[] = {
        SYS_fstat,           SYS_newfstatat,   SYS_statx,     SYS_access,
        SYS_faccessat,       SYS_faccessat2,   SYS_readlink,  SYS_readlinkat,
        SYS_mprotect,        SYS_munmap,       SYS_getrandom, SYS_set_tid_address,
        SYS_set_robust_list, SYS_gettid,       SYS_getpid,    SYS_getppid,
        SYS_getuid,          SYS_geteuid,      SYS_getgid,    SYS_getegid,
        SYS_uname,           SYS_sysinfo,      SYS_getcwd,    SYS_clock_gettime,
        SYS_clock_getres,    SYS_gettimeofday, SYS_time,      SYS_sched_getaffinity};
    static const int on_own_fd[] = {SYS_read, SYS_pread64, SYS_lseek, SYS_getdents64, SYS_close};
    struct lprog l;
    memset(&l, 0, sizeof l);
    for (int i = 0; i < L_N; i++) {
        l.at[i] = -1;
    }
    ld_word(&l, (uint32_t)offsetof(struct seccomp_data, arch));
    jeq(&l, AUDIT_ARCH_X86_64, -1, L_TRACE);
    ld_word(&l, IP_HI);
    jeq(&l, (uint32_t)(STUB_RIP >> 32), -1, L_NR);
    ld_word(&l, IP_LO);
    jeq(&l, (uint32_t)STUB_RIP, L_ALLOW, -1);
    jeq(&l, (uint32_t)(PT_SYSBUF_STUB + 2), L_ALLOW, -1);
    lhere(&l, L_NR);
    ld_word(&l, NR);
    for (int nr = 0; nr < PT_NSYSCALLS; nr++) {
        if (pt_sc_unseen(nr, PT_TRACE_VERSION)) {
            jeq(&l, (uint32_t)nr, L_ALLOW, -1);
        }
    }
    for (size_t i = 0; i < sizeof any / sizeof any[0]; i++) {
        jeq(&l, (uint32_t)any[i], L_ALLOW, -1);
    }
    for (size_t i = 0; i < sizeof on_own_fd / sizeof on_own_fd[0]; i++) {
        jeq(&l, (uint32_t)on_own_fd[i], L_FD, -1);
    }
    jeq(&l, SYS_openat, L_OPENAT, -1);
    jeq(&l, SYS_mmap, L_MMAP, -1);
    jeq(&l, SYS_arch_prctl, L_ARCH, -1);
    jeq(&l, SYS_futex, L_FUTEX, -1);
    jeq(&l, SYS_prlimit64, L_PRLIMIT, L_TRACE);
    lhere(&l, L_OPENAT); /* read-only, without O_CREAT, O_TRUNC, O_PATH and the like */
    ld_word(&l, ARG_LO(2));
    lemit(&l, BPF_ALU | BPF_AND | BPF_K,
          ~(uint32_t)(O_CLOEXEC | O_NONBLOCK | O_DIRECTORY | O_LARGEFILE | O_NOCTTY | O_NOFOLLOW),
          -1, -1);
    jeq(&l, 0, L_ALLOW, L_TRACE);
    lhere(&l, L_FD); /* a descriptor it opened: none the process inherited */
    ld_word(&l, ARG_HI(0));
    jeq(&l, 0, -1, L_TRACE);
    ld_word(&l, ARG_LO(0));
    if (ld->ninherited < 0) {
        lemit(&l, BPF_JMP | BPF_JGT | BPF_K, (uint32_t)ld->max_inherited_fd, L_ALLOW, L_TRACE);
    } else {
        for (int i = 0; i < ld->ninherited; i++) {
            jeq(&l, (uint32_t)ld->inherited[i], L_TRACE, -1);
        }
        lemit(&l, BPF_JMP | BPF_JA, 0, L_ALLOW, -1);
    }
    lhere(&l, L_MMAP); /* private, or a read-only shared map of a file */
    ld_word(&l, ARG_LO(3));
    lemit(&l, BPF_ALU | BPF_AND | BPF_K, MAP_TYPE | MAP_ANONYMOUS, -1, -1);
    jeq(&l, MAP_PRIVATE, L_ALLOW, -1);
    jeq(&l, MAP_PRIVATE | MAP_ANONYMOUS, L_ALLOW, -1);
    jeq(&l, MAP_SHARED, -1, L_TRACE);
    ld_word(&l, ARG_LO(2));
    jeq(&l, PROT_READ, L_ALLOW, L_TRACE);
    lhere(&l, L_ARCH); /* ARCH_SET_FS, and the CET status query glibc makes */
    ld_word(&l, ARG_LO(0));
    jeq(&l, 0x1002, L_ALLOW, -1);
    jeq(&l, 0x3001, L_ALLOW, L_TRACE);
    lhere(&l, L_FUTEX); /* FUTEX_WAKE: nobody waits, there is one thread */
    ld_word(&l, ARG_LO(1));
    lemit(&l, BPF_ALU | BPF_AND | BPF_K, 0x7f, -1, -1);
    jeq(&l, 1, L_ALLOW, L_TRACE);
    lhere(&l, L_PRLIMIT); /* no new limit */
    ld_word(&l, ARG_LO(2));
    jeq(&l, 0, -1, L_TRACE);
    ld_word(&l, ARG_HI(2));
    jeq(&l, 0, L_ALLOW, L_TRACE);
    lhere(&l, L_TRACE);
    lemit(&l, BPF_RET | BPF_K, SECCOMP_RET_TRACE, -1, -1);
    lhere(&l, L_ALLOW);
    lemit(&l, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, -1, -1);
    if (l.p.n >= MAX_INSNS || resolve(&l) < 0) {
        return pt_fail("the loader's seccomp filter does not fit");
    }
    *out = l.p;
    return 0;
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

int pt_seccomp_install_loader(pid_t pid, struct pt_mem *mem, const struct pt_seccomp_loader *ld)
{
    struct prog p;
    if (build_loader(&p, ld) < 0) {
        return -1;
    }
    return install(pid, mem, &p);
}

unsigned pt_seccomp_loader_program(const struct pt_seccomp_loader *ld, struct sock_filter *out,
                                   unsigned max)
{
    struct prog p;
    if (build_loader(&p, ld) < 0) {
        pt_err_clear();
        return 0;
    }
    unsigned n = p.n < max ? p.n : max;
    memcpy(out, p.f, n * sizeof *out);
    return n;
}

int pt_seccomp_install_record(pid_t pid, struct pt_mem *mem)
{
    struct prog p;
    build_record(&p);
    return install(pid, mem, &p);
}
