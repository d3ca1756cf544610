/*
 * rep_copy: a throwaway copy of the stopped replay, in which pytt calls functions of the
 * interpreter (design notes §8, "Evaluating Python at a moment of the replay").
 *
 * The copy is made as snapshots are (rep_clone_stopped: an injected clone at a clock trap), with
 * CLONE_PARENT so that pytt, not the replayed program, is its parent and reaps it. In the copy
 * the Python clock is idled (plain trampolines, a countdown that never reaches 0) and the
 * `catch raise` int3 is removed, so running code there never traps into the replay's logic;
 * shared writable mappings are made private, so that no store in the copy can reach the replay.
 * The replay itself is never touched beyond the clone.
 *
 * A call follows the SysV ABI: arguments in rdi, rsi, rdx, rcx, r8, r9, on the stopped thread's
 * own stack below its red zone, with the return address pointing at the int3 of pytt's syscall
 * stub; the call has returned when the copy traps there. Meanwhile every syscall the copy makes
 * stops it (PTRACE_SYSCALL) and goes through one policy, read from the syscall table's flags:
 *   - LOCAL calls (memory management, signal state, clocks, ids, metadata by path) run;
 *   - FD_READ calls run on descriptors the copy opened itself (fstat on any), as do read-only
 *     opens, whose descriptors become the copy's own;
 *   - write/writev to the program's stdout or stderr are captured (shown to the user) and
 *     reported as done; exit and exit_group end the copy;
 *   - everything else (writing files, sockets, signals to others, exec, fork...) is refused
 *     with EPERM, which the Python code sees as PermissionError.
 * A crash (a synchronous signal), an exit, a timeout or Ctrl-C ends the copy and is reported.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_seccomp.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"
#include "common/pt_syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>

#define COPY_SCRATCH_LEN (4u << 20)
#define COPY_OUTPUT_MAX (1u << 20)
#define COPY_RETURN (PT_PAGE_STUB_SYSCALL + 2) /* the int3 after the stub's syscall */

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int own_fd(const struct rep_copy *c, uint64_t fd)
{
    return fd < PT_MAX_FD && (c->own_fd[fd / 8] >> (fd % 8) & 1);
}

static void set_own_fd(struct rep_copy *c, int64_t fd, int on)
{
    if (fd >= 0 && fd < PT_MAX_FD) {
        c->own_fd[fd / 8] = (uint8_t)(on ? c->own_fd[fd / 8] | 1u << (fd % 8)
                                         : c->own_fd[fd / 8] & ~(1u << (fd % 8)));
    }
}

/* ---- making the copy ------------------------------------------------------------------------ */

static int inject(struct rep_copy *c, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                  uint64_t a4, uint64_t a5, int64_t *ret)
{
    uint64_t args[6] = {a0, a1, a2, a3, a4, a5};
    return pt_inject_syscall(c->pid, PT_PAGE_STUB_SYSCALL, nr, args, ret);
}

/* Shared writable mappings (MAP_SHARED|MAP_ANONYMOUS ones the program made) are shared with
 * the replay: give the copy private pages with the same contents instead. */
static int privatize_shared(struct rep_copy *c)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)c->pid);
    FILE *f = fopen(path, "re");
    if (!f) {
        return pt_fail_errno("open(%s)", path);
    }
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        uint64_t lo, hi;
        char perms[8];
        if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &lo, &hi, perms) != 3 || perms[1] != 'w' ||
            perms[3] != 's' || hi - lo > (1ull << 30)) {
            continue;
        }
        size_t len = (size_t)(hi - lo);
        void *keep = malloc(len);
        int64_t ret;
        rc = keep && pt_mem_read(&c->mem, lo, keep, len) == 0 &&
                     inject(c, SYS_mmap, lo, len, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, (uint64_t)-1, 0, &ret) == 0 &&
                     (uint64_t)ret == lo && pt_mem_write(&c->mem, lo, keep, len) == 0
                 ? 0
                 : pt_fail("cannot make the shared mapping at 0x%" PRIx64 " private in the copy",
                           lo);
        free(keep);
    }
    fclose(f);
    return rc;
}

/* What the copy inherits from the replay's stop that must not act there: the clock's traps
 * (watch trampolines, an armed countdown) and the catchpoint's int3. */
static int quiet_copy(struct rep_session *s, struct rep_copy *c)
{
    struct pt_clock clock = s->clock;
    if (clock.table &&
        (pt_clock_watch(&clock, &c->mem, NULL) < 0 || pt_clock_idle(&clock, &c->mem) < 0)) {
        return -1;
    }
    if (s->nbp_pid == s->pid && s->nbp_addr &&
        pt_mem_write(&c->mem, s->nbp_addr, &s->nbp_orig, 1) < 0) {
        return pt_wrap("removing the catchpoint in the copy");
    }
    long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL;
    if (ptrace(PTRACE_SETOPTIONS, c->pid, NULL, (void *)opts) < 0) {
        return pt_fail_errno("ptrace(PTRACE_SETOPTIONS, %d)", (int)c->pid);
    }
    return 0;
}

int rep_copy_open(struct rep_session *s, struct rep_copy *c, int64_t timeout_ns)
{
    int opcode;
    memset(c, 0, sizeof *c);
    c->pid = -1;
    pt_buf_init(&c->out);
    c->timeout_ns = timeout_ns;
    if (s->state != REP_READY || pt_getregs(s->tid, &c->base) < 0) {
        return s->state != REP_READY ? pt_fail("the replay is at the end of the recording") : -1;
    }
    if (!pt_clock_is_trap(&s->clock, c->base.rip, &opcode) &&
        !(s->presented && c->base.rip == s->presented)) {
        return pt_fail("Python code can run only where the replay stopped at a bytecode "
                       "instruction");
    }
    c->base.orig_rax = (uint64_t)-1;
    c->fds = s->fds;
    if (rep_clone_stopped(s->tid, CLONE_PARENT, &c->pid) < 0) {
        c->pid = -1;
        return pt_wrap("making a copy of the replay");
    }
    pt_mem_init_pid(&c->mem, c->pid);
    int64_t ret;
    /* rep_sysbuf_off: the copy's syscall buffer library makes its calls the plain way */
    /* closed shared mappings are opened first (the bytes the program last synced), so that
     * privatize_shared sees them writable */
    if (quiet_copy(s, c) < 0 || rep_share_open_copy(s, c->pid) < 0 || privatize_shared(c) < 0 ||
        rep_sysbuf_off(&c->mem) < 0 ||
        inject(c, SYS_mmap, 0, COPY_SCRATCH_LEN, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0, &ret) < 0) {
        rep_copy_close(c);
        return pt_wrap("preparing the copy of the replay");
    }
    if (ret < 0 && ret > -4096) {
        rep_copy_close(c);
        return pt_fail("mmap in the copy of the replay failed: %s", strerror((int)-ret));
    }
    c->scratch = (pt_addr)ret;
    c->scratch_len = COPY_SCRATCH_LEN;
    return 0;
}

void rep_copy_close(struct rep_copy *c)
{
    if (c->pid > 0) {
        if (!c->pid_gone) {
            pt_kill_wait(c->pid);
        }
        pt_mem_close(&c->mem);
    }
    c->pid = -1;
    pt_buf_free(&c->out);
}

int rep_copy_put(struct rep_copy *c, const void *data, size_t n, pt_addr *at)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (c->scratch_used + need > c->scratch_len) {
        return pt_fail("the evaluation's input is too large (%zu bytes)", n);
    }
    *at = c->scratch + c->scratch_used;
    if (pt_mem_write(&c->mem, *at, data, n) < 0) {
        return pt_wrap("writing into the copy of the replay");
    }
    c->scratch_used += need;
    return 0;
}

void rep_copy_reset_scratch(struct rep_copy *c, size_t keep)
{
    c->scratch_used = keep;
}

/* ---- the syscall policy --------------------------------------------------------------------- */

static int capture_region(void *ud, pt_addr addr, uint64_t len)
{
    struct rep_copy *c = ud;
    if (c->discard_output) {
        return 0;
    }
    size_t room = COPY_OUTPUT_MAX > c->out.len ? COPY_OUTPUT_MAX - c->out.len : 0;
    size_t n = len < room ? (size_t)len : room;
    if (n) {
        pt_buf_reserve(&c->out, n);
        if (pt_mem_read(&c->mem, addr, c->out.data + c->out.len, n) == 0) {
            c->out.len += n;
        }
    }
    c->out_cut |= n < len;
    return 0;
}

/* write/writev to stdout or stderr: keep the bytes; returns the count to report. */
static int64_t capture_write(struct rep_copy *c, const struct user_regs_struct *r)
{
    if (r->orig_rax == SYS_write) {
        capture_region(c, r->rsi, r->rdx);
        return (int64_t)r->rdx;
    }
    uint64_t total = 0, iov[2];
    for (uint64_t i = 0; i < r->rdx && i < 1024; i++) {
        if (pt_mem_read(&c->mem, r->rsi + i * 16, iov, sizeof iov) < 0) {
            return -EFAULT;
        }
        total += iov[1];
    }
    pt_sc_iovec_regions(&c->mem, r->rsi, r->rdx, total, capture_region, c);
    pt_err_clear();
    return (int64_t)total;
}

static int read_only_open(const struct user_regs_struct *r)
{
    uint64_t flags = r->orig_rax == SYS_open ? r->rsi : r->rdx;
    int dirfd_ok = r->orig_rax == SYS_open || (int)r->rdi == AT_FDCWD;
    uint64_t tmpfile = 020000000; /* O_TMPFILE without O_DIRECTORY */
    return (flags & O_ACCMODE) == O_RDONLY && !(flags & (O_CREAT | O_TRUNC | tmpfile)) && dirfd_ok;
}

/* Inspecting a descriptor the copy opened: terminal queries and descriptor flags. */
static int own_fd_query(const struct rep_copy *c, const struct user_regs_struct *r)
{
    if (!own_fd(c, r->rdi)) {
        return 0;
    }
    if (r->orig_rax == SYS_ioctl) {
        return r->rsi == TCGETS || r->rsi == TIOCGWINSZ || r->rsi == FIONREAD;
    }
    return r->orig_rax == SYS_fcntl &&
           (r->rsi == F_GETFD || r->rsi == F_SETFD || r->rsi == F_GETFL || r->rsi == F_SETFL);
}

enum verdict { RUN, REFUSE, CAPTURE, OPEN };

static enum verdict judge(struct rep_copy *c, const struct pt_stop *st,
                          const struct user_regs_struct *r)
{
    if (st->abi != PT_ABI_X86_64) {
        return REFUSE;
    }
    const struct pt_syscall *sc = pt_syscall((int)st->nr);
    uint64_t nr = st->nr;
    if (nr == SYS_open || nr == SYS_openat) {
        return read_only_open(r) ? OPEN : REFUSE;
    }
    if (nr == SYS_mmap && !(r->r10 & MAP_ANONYMOUS) && !own_fd(c, r->r8)) {
        return REFUSE; /* a file mapping of a descriptor the copy did not open */
    }
    if (nr == SYS_newfstatat && (int)r->rdi != AT_FDCWD && !own_fd(c, r->rdi) &&
        !(r->r10 & AT_EMPTY_PATH)) {
        return REFUSE;
    }
    if (!sc) {
        return REFUSE;
    }
    if (own_fd_query(c, r)) {
        return RUN;
    }
    if (sc->flags & PT_SCF_LOCAL) {
        return RUN;
    }
    if ((sc->flags & PT_SCF_FD_READ) &&
        (own_fd(c, r->rdi) || nr == SYS_fstat || nr == SYS_fstatfs)) {
        return RUN;
    }
    if ((nr == SYS_write || nr == SYS_writev) && pt_fdkinds_get(&c->fds, r->rdi)) {
        return CAPTURE;
    }
    return REFUSE;
}

static void note_refused(struct rep_copy *c, const struct pt_stop *st)
{
    if (!c->refused++) {
        snprintf(c->refused_first, sizeof c->refused_first, "%s",
                 st->abi == PT_ABI_X86_64 ? pt_syscall_name((int)st->nr) : "a 32-bit syscall");
    }
}

/* At a syscall entry: run it, or skip it and decide its result now (*result). */
static int syscall_entry(struct rep_copy *c, const struct pt_stop *st, int *skip, int64_t *result)
{
    struct user_regs_struct r;
    if (pt_getregs(c->pid, &r) < 0) {
        return -1;
    }
    enum verdict v = judge(c, st, &r);
    *skip = v == REFUSE || v == CAPTURE;
    c->opening = v == OPEN;
    if (v == REFUSE) {
        note_refused(c, st);
        *result = -EPERM;
    } else if (v == CAPTURE) {
        *result = capture_write(c, &r);
    }
    /* The copy inherited the replay's seccomp filter, which lets the program's own code run
     * only what replay runs: an allowed call outside that set is skipped here and run from
     * pytt's stub (which the filter trusts) at its exit, with the same arguments. */
    c->via_stub = !*skip && !pt_seccomp_allows((int)st->nr);
    if (c->via_stub) {
        uint64_t a[6] = {r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9};
        c->call_nr = st->nr;
        memcpy(c->call_args, a, sizeof a);
        *skip = 1;
    }
    if (*skip) {
        r.orig_rax = (uint64_t)-1; /* the kernel does nothing */
        return pt_setregs(c->pid, &r);
    }
    return 0;
}

static int syscall_exit(struct rep_copy *c, int skipped, int64_t result)
{
    struct user_regs_struct r;
    if (pt_getregs(c->pid, &r) < 0) {
        return -1;
    }
    if (c->via_stub) {
        c->via_stub = 0;
        if (pt_inject_syscall(c->pid, PT_PAGE_STUB_SYSCALL, (long)c->call_nr, c->call_args,
                              &result) < 0) {
            return -1;
        }
        r.orig_rax = c->call_nr;
        r.rdi = c->call_args[0];
    } else if (!skipped) {
        result = (int64_t)r.rax;
    }
    r.rax = (uint64_t)result;
    if (c->opening) {
        set_own_fd(c, result, 1);
    } else if (r.orig_rax == SYS_close && result == 0) {
        set_own_fd(c, (int64_t)r.rdi, 0);
    }
    c->opening = 0;
    return skipped ? pt_setregs(c->pid, &r) : 0;
}

/* ---- running a call ------------------------------------------------------------------------- */

static int is_rdtsc(struct rep_copy *c, uint64_t rip, int *len)
{
    uint8_t code[3];
    if (pt_mem_read(&c->mem, rip, code, sizeof code) < 0 || code[0] != 0x0f) {
        return 0;
    }
    *len = code[1] == 0x31 ? 2 : 3;
    return code[1] == 0x31 || (code[1] == 0x01 && code[2] == 0xf9);
}

/* rdtsc faults in the copy as in the replay (PR_SET_TSC): give it the time stamp counter. */
static int emulate_rdtsc(struct rep_copy *c, struct user_regs_struct *r, int len)
{
    uint32_t aux = 0;
    uint64_t tsc = pt_tsc_read(len == 3, &aux);
    r->rax = tsc & 0xffffffffu;
    r->rdx = tsc >> 32;
    if (len == 3) {
        r->rcx = aux;
    }
    r->rip += (uint64_t)len;
    return pt_setregs(c->pid, r);
}

static int ended(struct rep_copy *c, int how, int code)
{
    c->end = how;
    c->end_code = code;
    return 1;
}

/* A signal stop: 0 to go on (*sig to deliver), 2 when the call returned, 1 when the copy ends. */
static int signal_stop(struct rep_copy *c, int sig, int *deliver)
{
    struct user_regs_struct r;
    siginfo_t si;
    int len;
    *deliver = 0;
    if (pt_getregs(c->pid, &r) < 0 || ptrace(PTRACE_GETSIGINFO, c->pid, NULL, &si) < 0) {
        return pt_getregs(c->pid, &r) < 0 ? -1 : pt_fail_errno("ptrace(PTRACE_GETSIGINFO)");
    }
    if (sig == SIGTRAP && r.rip == COPY_RETURN + 1) {
        c->ret = r.rax;
        return 2;
    }
    if (sig == SIGSEGV && si.si_code == SI_KERNEL && is_rdtsc(c, r.rip, &len)) {
        return emulate_rdtsc(c, &r, len) < 0 ? -1 : 0;
    }
    int sync = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
               sig == SIGTRAP || sig == SIGABRT || sig == SIGSYS;
    if (sync) {
        c->crash_pc = r.rip;
        return ended(c, REP_COPY_CRASHED, sig);
    }
    return 0; /* other signals (timers the code set, SIGCHLD...) are dropped */
}

static int call_loop(struct rep_copy *c, int64_t deadline)
{
    int skip = 0, sig = 0;
    int64_t result = 0;
    for (;;) {
        struct pt_stop st;
        if (pt_resume_syscall(c->pid, sig) < 0) {
            return -1;
        }
        sig = 0;
        int w = pt_wait_deadline(c->pid, &st, deadline);
        if (w != 0) {
            return w < 0 ? -1
                         : ended(c, pt_interrupted ? REP_COPY_INTERRUPTED : REP_COPY_TIMEOUT, 0);
        }
        int rc = 0;
        switch (st.kind) {
        case PT_STOP_SYSCALL_ENTRY:
            rc = syscall_entry(c, &st, &skip, &result);
            break;
        case PT_STOP_SYSCALL_EXIT:
            rc = syscall_exit(c, skip, result);
            skip = 0;
            break;
        case PT_STOP_SIGNAL:
            rc = signal_stop(c, st.sig, &sig);
            break;
        case PT_STOP_EXITED:
            c->pid_gone = 1;
            return ended(c, REP_COPY_EXITED, st.code);
        case PT_STOP_KILLED:
            c->pid_gone = 1;
            return ended(c, REP_COPY_CRASHED, st.sig);
        default:
            break; /* group stops, ptrace events: carry on */
        }
        if (rc != 0) {
            return rc == 2 ? 0 : rc;
        }
    }
}

int rep_copy_call(struct rep_copy *c, pt_addr fn, const uint64_t *args, int nargs, uint64_t *ret)
{
    if (c->end) {
        return 1;
    }
    struct user_regs_struct r = c->base;
    unsigned long long *regs[] = {&r.rdi, &r.rsi, &r.rdx, &r.rcx, &r.r8, &r.r9};
    for (int i = 0; i < nargs && i < 6; i++) {
        *regs[i] = args[i];
    }
    r.rax = 0;
    r.rsp = ((c->base.rsp - 128 - 64) & ~(uint64_t)15) - 8; /* below the red zone; aligned */
    uint64_t retaddr = COPY_RETURN;
    if (pt_mem_write(&c->mem, r.rsp, &retaddr, 8) < 0) {
        /* the thread's stack has no room mapped below: the top of the scratch area then */
        r.rsp = c->scratch + c->scratch_len - 16 - 8;
        if (pt_mem_write(&c->mem, r.rsp, &retaddr, 8) < 0) {
            return pt_wrap("setting up a call in the copy of the replay");
        }
    }
    r.rip = fn;
    if (pt_setregs(c->pid, &r) < 0) {
        return -1;
    }
    int rc = call_loop(c, now_ns() + c->timeout_ns);
    if (rc == 0) {
        *ret = c->ret;
    }
    return rc;
}

const char *rep_copy_end_str(const struct rep_copy *c, char *buf, size_t cap)
{
    switch (c->end) {
    case REP_COPY_EXITED:
        snprintf(buf, cap, "the evaluation ended the process (exit status %d, e.g. os._exit)",
                 c->end_code);
        break;
    case REP_COPY_CRASHED:
        snprintf(buf, cap, "the evaluation crashed the interpreter (%s at 0x%llx)",
                 strsignal(c->end_code), (unsigned long long)c->crash_pc);
        break;
    case REP_COPY_TIMEOUT:
        snprintf(buf, cap, "the evaluation did not finish within %.3g s (set eval-timeout SECONDS)",
                 (double)c->timeout_ns / 1e9);
        break;
    case REP_COPY_INTERRUPTED:
        snprintf(buf, cap, "the evaluation was interrupted");
        break;
    default:
        snprintf(buf, cap, "the evaluation is still running");
        break;
    }
    return buf;
}
