/*
 * pt_ptrace: waiting, stop classification, register access, syscall injection and exact
 * signal delivery for ptrace'd tracees (see pt_ptrace.h).
 */
#define _GNU_SOURCE
#include "pt_ptrace.h"

#include "pt_error.h"
#include "pt_proc.h"
#include "pt_syscalls.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int classify_trap(pid_t pid, struct pt_stop *st)
{
    struct __ptrace_syscall_info info;
    long n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info, &info);
    if (n < 0 && errno == ESRCH) {
        return 1; /* killed since it stopped: nothing to act on, its death is reported next */
    }
    if (n < 0) {
        return pt_fail_errno("ptrace(PTRACE_GET_SYSCALL_INFO, %d)", (int)pid);
    }
    if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
        st->kind = PT_STOP_SYSCALL_ENTRY;
        st->nr = info.entry.nr;
        st->abi = pt_sc_abi_of(info.arch, info.entry.nr);
    } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
        st->kind = PT_STOP_SYSCALL_EXIT;
        st->abi = pt_sc_abi_of(info.arch, 0);
    } else {
        return pt_fail("pid %d: syscall stop of unknown kind %d", (int)pid, info.op);
    }
    return 0;
}

/* A PTRACE_EVENT_SECCOMP stop: the recording's filter stopped a syscall at its entry. */
static int classify_seccomp(pid_t pid, struct pt_stop *st)
{
    struct __ptrace_syscall_info info;
    long n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info, &info);
    if (n < 0 && errno == ESRCH) {
        return 1;
    }
    if (n < 0) {
        return pt_fail_errno("ptrace(PTRACE_GET_SYSCALL_INFO, %d)", (int)pid);
    }
    if (info.op != PTRACE_SYSCALL_INFO_SECCOMP) {
        return pt_fail("pid %d: seccomp stop of unknown kind %d", (int)pid, info.op);
    }
    st->kind = PT_STOP_SYSCALL_ENTRY;
    st->seccomp = 1;
    st->nr = info.seccomp.nr;
    st->abi = pt_sc_abi_of(info.arch, info.seccomp.nr);
    return 0;
}

int pt_seccomp_tracing;

/* What the last stop a wait reported for each task was: inside a call the filter stopped (a
 * seccomp, fork, vfork, clone, exec or vfork-done event: its exit comes next) or not. Every
 * stop of a tracee is seen by pt_wait or pt_wait_deadline (injected calls wait through them
 * too), so this is what PTRACE_GETSIGINFO would say, without a syscall per resume. A slot
 * another task took since falls back to asking the kernel. */
#define PT_LAST_STOPS 1024
static struct {
    pid_t tid;
    int8_t in_call;
    int8_t to_exit; /* resumed from that stop with PTRACE_SYSCALL: its next syscall stop is the
                     * call's exit (no PTRACE_GET_SYSCALL_INFO needed to tell) */
} last_stop[PT_LAST_STOPS];

/* A stop at this ptrace event is inside a call the filter stopped: its exit comes next. */
static int event_in_call(int ev)
{
    return ev == PTRACE_EVENT_SECCOMP || ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK ||
           ev == PTRACE_EVENT_CLONE || ev == PTRACE_EVENT_EXEC || ev == PTRACE_EVENT_VFORK_DONE;
}

static void note_stop(pid_t tid, int status)
{
    size_t i = (size_t)tid % PT_LAST_STOPS;
    last_stop[i].tid = WIFSTOPPED(status) ? tid : 0;
    last_stop[i].to_exit = 0;
    last_stop[i].in_call =
        (int8_t)(WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP && event_in_call(status >> 16));
}

/* Asked of the kernel: after PTRACE_SETSIGINFO of a signal-delivery stop this gives the same
 * answer (a delivered signal is no ptrace event). */
static int in_call_siginfo(pid_t pid)
{
    siginfo_t si;
    return ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) == 0 && si.si_signo == SIGTRAP &&
           event_in_call(si.si_code >> 8);
}

int pt_resume_next(pid_t pid, int sig)
{
    if (!pt_seccomp_tracing) {
        return pt_resume_syscall(pid, sig);
    }
    size_t i = (size_t)pid % PT_LAST_STOPS;
    int in_call = last_stop[i].tid == pid ? last_stop[i].in_call : in_call_siginfo(pid);
    if (!in_call) {
        return pt_resume_cont(pid, sig);
    }
    int rc = pt_resume_syscall(pid, sig);
    if (rc == 0 && last_stop[i].tid == pid) {
        last_stop[i].to_exit = 1;
    }
    return rc;
}

volatile sig_atomic_t pt_interrupted;
void (*pt_wait_interrupt_hook)(void *ctx);
void *pt_wait_interrupt_ctx;

/* Fill st from a waitpid status of process got. Returns 1 for a stop that cannot be handled
 * because its task was killed since (a sibling's exit_group or exec, a SIGKILL from anyone):
 * the waits skip it, and the task's death comes as a report of its own. */
static int classify_status(pid_t got, int status, struct pt_stop *st)
{
    memset(st, 0, sizeof *st);
    st->pid = got;
    st->status = status;
    size_t slot = (size_t)got % PT_LAST_STOPS;
    int to_exit = last_stop[slot].tid == got && last_stop[slot].to_exit;
    note_stop(got, status);
    if (WIFEXITED(status)) {
        st->kind = PT_STOP_EXITED;
        st->code = WEXITSTATUS(status);
        return 0;
    }
    if (WIFSIGNALED(status)) {
        st->kind = PT_STOP_KILLED;
        st->sig = WTERMSIG(status);
        return 0;
    }
    int sig = WSTOPSIG(status);
    int event = (status >> 16) & 0xff;
    if (sig == (SIGTRAP | 0x80) && to_exit) {
        /* the exit of a call the filter stopped (its entry was a 64-bit one: others are
         * refused there); asking the kernel was one ptrace call per syscall */
        st->kind = PT_STOP_SYSCALL_EXIT;
        st->abi = PT_ABI_X86_64;
        return 0;
    }
    if (sig == (SIGTRAP | 0x80)) {
        return classify_trap(got, st);
    }
    if (event == PTRACE_EVENT_SECCOMP) {
        return classify_seccomp(got, st);
    }
    if (event == PTRACE_EVENT_STOP) {
        st->kind = PT_STOP_GROUP;
        st->sig = sig;
    } else if (event) {
        st->kind = PT_STOP_EVENT;
        st->event = event;
    } else {
        st->kind = PT_STOP_SIGNAL;
        st->sig = sig;
    }
    return 0;
}

int pt_wait(pid_t pid, struct pt_stop *st)
{
    int status;
    pid_t got;
    int rc;
    do {
        do {
            got = waitpid(pid, &status, __WALL);
            if (got < 0 && errno == EINTR && pt_wait_interrupt_hook) {
                pt_wait_interrupt_hook(pt_wait_interrupt_ctx);
            }
        } while (got < 0 && errno == EINTR);
        if (got < 0) {
            return pt_fail_errno("waitpid(%d)", (int)pid);
        }
        rc = classify_status(got, status, st);
    } while (rc == 1);
    return rc;
}

static int64_t monotonic_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* SIGCHLD is blocked while waiting, so each stop or exit of a child (ptrace stops notify the
 * tracer too) stays pending for sigtimedwait instead of being discarded. */
int pt_wait_deadline(pid_t pid, struct pt_stop *st, int64_t deadline_ns)
{
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    int rc = 1;
    for (;;) {
        int status;
        pid_t got = waitpid(pid, &status, __WALL | WNOHANG);
        if (got > 0) {
            rc = classify_status(got, status, st);
            if (rc == 1) {
                continue; /* a killed task's last stop */
            }
            break;
        }
        if (got < 0 && errno != EINTR) {
            rc = pt_fail_errno("waitpid(%d)", (int)pid);
            break;
        }
        int64_t left = deadline_ns - monotonic_ns();
        if (left <= 0 || pt_interrupted) {
            break; /* rc 1: the deadline passed, or Ctrl-C */
        }
        struct timespec ts = {(time_t)(left / 1000000000), (long)(left % 1000000000)};
        sigtimedwait(&chld, NULL, &ts);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}

const char *pt_stop_str(const struct pt_stop *st)
{
    static char buf[96];
    switch (st->kind) {
    case PT_STOP_SYSCALL_ENTRY:
        return "a syscall entry";
    case PT_STOP_SYSCALL_EXIT:
        return "a syscall exit";
    case PT_STOP_SIGNAL:
        snprintf(buf, sizeof buf, "signal %s", strsignal(st->sig));
        return buf;
    case PT_STOP_EVENT:
        snprintf(buf, sizeof buf, "ptrace event %d", st->event);
        return buf;
    case PT_STOP_GROUP:
        return "a group stop";
    case PT_STOP_EXITED:
        snprintf(buf, sizeof buf, "exit with status %d", st->code);
        return buf;
    case PT_STOP_KILLED:
        snprintf(buf, sizeof buf, "death by signal %s", strsignal(st->sig));
        return buf;
    }
    return "an unknown stop";
}

/* Reap task pid after a SIGKILL: wait until it is gone, whatever signal interrupts the wait
 * (Ctrl-C, the watchdog's alarm, `pytt dap`'s pause or disconnect). A killed task ends promptly;
 * a traced thread left unreaped keeps its zombie leader from ever being reported, so a wait
 * that gave up at EINTR made the wait for the leader block for good. */
static void reap(pid_t pid)
{
    int status;
    for (;;) {
        pid_t got = waitpid(pid, &status, __WALL);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0 || WIFEXITED(status) || WIFSIGNALED(status)) {
            return; /* gone (ECHILD: not ours, or reaped already) */
        }
    }
}

void pt_kill_wait(pid_t pid)
{
    kill(pid, SIGKILL);
    reap(pid);
}

/* Reap every thread /proc lists for pid other than pid itself (a killed thread stays listed
 * until it is reaped): also those the caller did not know of yet (a clone not seen). */
static void reap_listed_threads(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid > 0 && tid != pid) {
            reap(tid);
        }
    }
    if (d) {
        closedir(d);
    }
}

void pt_kill_wait_threads(pid_t pid, const pid_t *tids, int n)
{
    kill(pid, SIGKILL);
    for (int i = 0; i < n; i++) {
        reap(tids[i]);
    }
    reap_listed_threads(pid);
    reap(pid);
}

int pt_task_gone(pid_t pid)
{
    errno = 0;
    ptrace(PTRACE_PEEKUSER, pid, NULL, NULL);
    return errno == ESRCH;
}

int pt_getregs(pid_t pid, struct user_regs_struct *r)
{
    if (ptrace(PTRACE_GETREGS, pid, NULL, r) < 0) {
        return pt_fail_errno("ptrace(PTRACE_GETREGS, %d)", (int)pid);
    }
    return 0;
}

int pt_setregs(pid_t pid, const struct user_regs_struct *r)
{
    if (ptrace(PTRACE_SETREGS, pid, NULL, r) < 0) {
        return pt_fail_errno("ptrace(PTRACE_SETREGS, %d)", (int)pid);
    }
    return 0;
}

int pt_resume_syscall(pid_t pid, int sig)
{
    if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig) < 0) {
        return pt_fail_errno("ptrace(PTRACE_SYSCALL, %d)", (int)pid);
    }
    return 0;
}

int pt_resume_cont(pid_t pid, int sig)
{
    if (ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig) < 0) {
        return pt_fail_errno("ptrace(PTRACE_CONT, %d)", (int)pid);
    }
    return 0;
}

static void set_args(struct user_regs_struct *r, long nr, const uint64_t a[6])
{
    r->rax = (uint64_t)nr;
    r->orig_rax = (uint64_t)-1;
    r->rdi = a[0];
    r->rsi = a[1];
    r->rdx = a[2];
    r->r10 = a[3];
    r->r8 = a[4];
    r->r9 = a[5];
}

/* Asynchronous signals that arrived while injected calls ran (a timer's SIGALRM, a SIGCHLD:
 * pytt injects at many stops under `record --children`, recorder/rec_share.c): set aside and
 * sent again once the registers are back, so the program still gets each (the recorder then
 * delivers it where replay can find it again; replay drops signals from outside anyway). */
#define SET_ASIDE_MAX 32
static siginfo_t set_aside[SET_ASIDE_MAX];
static int nset_aside;

static int asynchronous(const struct pt_stop *st, pid_t pid)
{
    siginfo_t si;
    if (st->kind != PT_STOP_SIGNAL || ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) < 0) {
        return 0;
    }
    int sync = si.si_signo == SIGSEGV || si.si_signo == SIGBUS || si.si_signo == SIGILL ||
               si.si_signo == SIGFPE || si.si_signo == SIGTRAP;
    if (sync && si.si_code > 0) {
        return 0; /* raised by the injected code itself: an error */
    }
    if (nset_aside < SET_ASIDE_MAX) {
        set_aside[nset_aside++] = si;
    }
    return 1;
}

/* Send the signals set aside since `mark` to tid again, with their siginfo where allowed. */
static void resend_set_aside(pid_t tid, int mark)
{
    pid_t tgid = nset_aside > mark ? pt_proc_tgid(tid) : tid;
    for (int i = mark; i < nset_aside; i++) {
        siginfo_t *si = &set_aside[i];
        if (syscall(SYS_rt_tgsigqueueinfo, tgid, tid, si->si_signo, si) < 0) {
            syscall(SYS_tgkill, tgid, tid, si->si_signo); /* a kernel si_code: plain */
        }
    }
    nset_aside = mark;
}

/* Resume and expect a syscall stop of the given kind; anything else is an error.
 * Asynchronous signals (a SIGCHLD of a process pytt killed: snapshots; the program's timers)
 * are set aside, as are the seccomp stop an inherited recording filter adds after the entry
 * stop and the ptrace event of an injected clone. */
static int step_to(pid_t pid, int kind, long nr)
{
    struct pt_stop st = {0};
    do {
        if (pt_resume_syscall(pid, 0) < 0 || pt_wait(pid, &st) < 0) {
            return -1;
        }
    } while (asynchronous(&st, pid) || st.kind == PT_STOP_EVENT ||
             st.seccomp); /* an inherited recording filter's stop after the entry stop */
    if (st.kind != kind) {
        return pt_fail("pid %d: while running injected syscall %ld, got %s instead of %s", (int)pid,
                       nr, pt_stop_str(&st),
                       kind == PT_STOP_SYSCALL_ENTRY ? "its entry" : "its exit");
    }
    return 0;
}

static int run_from_here(pid_t pid, struct user_regs_struct *r, long nr, int64_t *ret)
{
    if (pt_setregs(pid, r) < 0 || step_to(pid, PT_STOP_SYSCALL_ENTRY, nr) < 0 ||
        step_to(pid, PT_STOP_SYSCALL_EXIT, nr) < 0 || pt_getregs(pid, r) < 0) {
        return -1;
    }
    *ret = (int64_t)r->rax;
    return 0;
}

int pt_inject_syscall(pid_t pid, uint64_t stub, long nr, const uint64_t args[6], int64_t *ret)
{
    struct user_regs_struct saved, r;
    int mark = nset_aside;
    if (pt_getregs(pid, &saved) < 0) {
        return -1;
    }
    r = saved;
    set_args(&r, nr, args);
    long word = 0;
    if (stub) {
        r.rip = stub;
    } else {
        errno = 0;
        word = ptrace(PTRACE_PEEKTEXT, pid, (void *)saved.rip, NULL);
        if (errno) {
            return pt_fail_errno("ptrace(PEEKTEXT, %d, 0x%llx)", (int)pid, saved.rip);
        }
        long patched = (word & ~0xffffL) | 0x050f; /* syscall */
        if (ptrace(PTRACE_POKETEXT, pid, (void *)saved.rip, (void *)patched) < 0) {
            return pt_fail_errno("ptrace(POKETEXT, %d, 0x%llx)", (int)pid, saved.rip);
        }
    }
    int rc = run_from_here(pid, &r, nr, ret);
    if (!stub && ptrace(PTRACE_POKETEXT, pid, (void *)saved.rip, (void *)word) < 0 && rc == 0) {
        rc = pt_fail_errno("ptrace(POKETEXT, %d, 0x%llx) restoring code", (int)pid, saved.rip);
    }
    if (pt_setregs(pid, &saved) < 0) {
        return -1;
    }
    resend_set_aside(pid, mark);
    return rc;
}

int pt_skip_call(pid_t tid, const struct user_regs_struct *entry)
{
    struct user_regs_struct r = *entry;
    r.orig_rax = (uint64_t)-1;
    int mark = nset_aside;
    if (pt_setregs(tid, &r) < 0) {
        return -1;
    }
    int rc = step_to(tid, PT_STOP_SYSCALL_EXIT, (long)entry->orig_rax);
    resend_set_aside(tid, mark);
    return rc;
}

int pt_rewind_to_call(pid_t tid, const struct user_regs_struct *entry)
{
    struct user_regs_struct r = *entry;
    r.rax = r.orig_rax;
    r.rip -= 2; /* back onto the 2-byte `syscall` instruction */
    return pt_setregs(tid, &r);
}

int pt_rerun_syscall(pid_t pid, const struct user_regs_struct *base, long nr,
                     const uint64_t args[6], int64_t *ret)
{
    struct user_regs_struct r = *base;
    int mark = nset_aside;
    set_args(&r, nr, args);
    r.rip -= 2; /* back onto the 2-byte `syscall` instruction */
    int rc = run_from_here(pid, &r, nr, ret);
    resend_set_aside(pid, mark);
    return rc;
}

int pt_deliver_signal(pid_t tgid, pid_t tid, const siginfo_t *info)
{
    int sig = info->si_signo;
    if (syscall(SYS_tgkill, tgid, tid, sig) < 0) {
        return pt_fail_errno("tgkill(%d, %d, %s)", (int)tgid, (int)tid, strsignal(sig));
    }
    struct pt_stop st;
    if (pt_resume_syscall(tid, 0) < 0 || pt_wait(tid, &st) < 0) {
        return -1;
    }
    if (st.kind != PT_STOP_SIGNAL || st.sig != sig) {
        return pt_fail("thread %d: delivering %s, expected its delivery stop but got %s", (int)tid,
                       strsignal(sig), pt_stop_str(&st));
    }
    if (ptrace(PTRACE_SETSIGINFO, tid, NULL, info) < 0) {
        return pt_fail_errno("ptrace(PTRACE_SETSIGINFO, %d, %s)", (int)tid, strsignal(sig));
    }
    return 0;
}
