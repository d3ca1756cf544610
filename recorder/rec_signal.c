/*
 * rec_signal: signals and trapped rdtsc in the recorded process.
 *
 * A signal must reach the program at a moment replay can find again. Synchronous faults
 * (SIGSEGV from a bad access, ...) happen at the same instruction in replay by themselves: they
 * are logged only to be checked. An asynchronous signal that arrives right at a syscall exit
 * (registers unchanged since that stop: no user code ran) is delivered there and logged as
 * "after event N". One that interrupts user code is held back and delivered at the thread's
 * next syscall exit or counted dispatch instead, through pt_deliver_signal, the same path
 * replay uses. Every signal belongs to the thread the kernel gave it to. Signals the
 * program ignores are dropped; signals that only stop the process are not passed on (the
 * tracee is pytt's to stop). An rdtsc faults because of PR_SET_TSC: pytt executes it itself,
 * logs the value and steps over the instruction.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_proc.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

#include <string.h>
#include <sys/ptrace.h>
#include <x86intrin.h>

static int record_signal(struct rec_session *s, uint8_t type, const siginfo_t *si, uint64_t tick)
{
    pt_event_reset(&s->ev, type);
    s->ev.tick = tick;
    s->ev.signo = si->si_signo;
    memcpy(s->ev.siginfo, si, sizeof s->ev.siginfo);
    return rec_write_event(s);
}

/* rdtsc is 0f 31, rdtscp is 0f 01 f9. Returns the instruction length, or 0. */
static int rdtsc_at(struct rec_session *s, uint64_t rip, int *is_rdtscp)
{
    uint8_t code[3];
    if (pt_mem_read(&s->mem, rip, code, sizeof code) < 0) {
        return 0;
    }
    *is_rdtscp = code[0] == 0x0f && code[1] == 0x01 && code[2] == 0xf9;
    if (*is_rdtscp) {
        return 3;
    }
    return code[0] == 0x0f && code[1] == 0x31 ? 2 : 0;
}

static int emulate_rdtsc(struct rec_session *s, struct rec_thread *t, struct user_regs_struct *r,
                         int len, int rdtscp)
{
    uint32_t aux = 0;
    uint64_t tsc = pt_tsc_read(rdtscp, &aux);
    r->rax = tsc & 0xffffffffu;
    r->rdx = tsc >> 32;
    if (rdtscp) {
        r->rcx = aux;
    }
    r->rip += (uint64_t)len;
    pt_event_reset(&s->ev, PT_EV_RDTSC);
    s->ev.rax = r->rax;
    s->ev.rdx = r->rdx;
    s->ev.rcx = r->rcx;
    s->ev.insn_len = (uint8_t)len;
    if (pt_setregs(t->tid, r) < 0) {
        return -1;
    }
    return rec_write_event(s);
}

/* A signal the kernel raised because of the instruction at rip. SI_KERNEL counts: a general-
 * protection fault (a non-canonical address, a privileged instruction) is a SIGSEGV with
 * SI_KERNEL, and it recurs at the same instruction until a handler changes something; taken
 * for an asynchronous signal and held back, it livelocked the recording (faulthandler). The
 * trapped rdtsc, also SI_KERNEL, is recognised before this. */
static int is_fault(const siginfo_t *si)
{
    switch (si->si_signo) {
    case SIGSEGV:
    case SIGBUS:
    case SIGILL:
    case SIGFPE:
    case SIGTRAP:
        return si->si_code > 0;
    }
    return 0;
}

static int default_ignored(int sig)
{
    return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

static int stop_signal(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static int async_signal(struct rec_session *s, struct rec_thread *t, const siginfo_t *si,
                        struct user_regs_struct *r)
{
    int sig = si->si_signo;
    uint64_t caught = 0, ignored = 0, bit = 1ull << (sig - 1);
    if (pt_proc_sigmasks(s->pid, &caught, &ignored) < 0) {
        return -1;
    }
    if ((ignored & bit) || (!(caught & bit) && default_ignored(sig))) {
        return 0; /* no effect on the program: drop it */
    }
    int at_exit = t->last_was_exit && memcmp(r, &t->exit_regs, sizeof *r) == 0;
    if (at_exit || !(caught & bit)) {
        /* Right after a syscall, or fatal anyway: deliver now, replay delivers it after the
         * same event. */
        t->resume_sig = sig;
        return record_signal(s, PT_EV_SIGNAL, si, 0);
    }
    for (int i = 0; i < s->npending && sig < SIGRTMIN; i++) {
        if (s->pending[i].si.si_signo == sig && s->pending[i].tid == t->tid) {
            return 0; /* standard signals do not queue: the kernel would have merged them */
        }
    }
    if (s->npending == REC_MAX_PENDING) {
        return rec_abort(s, "too many signals arrived without a syscall to deliver them at");
    }
    s->pending[s->npending].si = *si;
    s->pending[s->npending++].tid = t->tid;
    return 0; /* rec_sched_run arms the clock: delivered at the next counted dispatch */
}

/* An asynchronous signal that came while the loader ran unstopped (rec_loader.c) waits for
 * the first syscall exit: nothing the program can see happened in between. */
static int hold_early(struct rec_session *s, struct rec_thread *t, const siginfo_t *si)
{
    uint64_t caught = 0, ignored = 0, bit = 1ull << (si->si_signo - 1);
    if (pt_proc_sigmasks(s->pid, &caught, &ignored) < 0) {
        return -1;
    }
    if ((ignored & bit) || (!(caught & bit) && default_ignored(si->si_signo))) {
        return 0;
    }
    for (int i = 0; i < s->npending && si->si_signo < SIGRTMIN; i++) {
        if (s->pending[i].si.si_signo == si->si_signo) {
            return 0;
        }
    }
    if (s->npending == REC_MAX_PENDING) {
        return rec_abort(s, "too many signals arrived while the loader ran");
    }
    s->pending[s->npending].si = *si;
    s->pending[s->npending++].tid = t->tid;
    return 0;
}

int rec_signal_stop(struct rec_session *s, struct rec_thread *t, int sig)
{
    siginfo_t si;
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETSIGINFO, t->tid, NULL, &si) < 0) {
        return pt_fail_errno("ptrace(PTRACE_GETSIGINFO, %d)", (int)t->tid);
    }
    if (pt_getregs(t->tid, &r) < 0) {
        return -1;
    }
    int rc = 0, rdtscp = 0, len, opcode;
    t->resume_sig = 0;
    if (sig == SIGTRAP && pt_clock_is_trap(&s->clock, r.rip, &opcode)) {
        rc = rec_clock_trap(s, t);
    } else if (sig == SIGSEGV && si.si_code == SI_KERNEL && (len = rdtsc_at(s, r.rip, &rdtscp))) {
        rc = emulate_rdtsc(s, t, &r, len, rdtscp);
    } else if (sig == SIGSEGV && (rc = rec_share_fault(s, t, &si)) != 0) {
        rc = rc < 0 ? -1 : 0; /* a closed shared mapping, opened: the access runs again */
    } else if (s->loader.pending && is_fault(&si)) {
        rc = pt_fail("the program got %s at 0x%llx while ld.so loaded it, before pytt's library "
                     "was loaded; record it with --no-syscallbuf to see each step of the loader",
                     strsignal(sig), r.rip);
    } else if (s->loader.pending && !stop_signal(sig)) {
        rc = hold_early(s, t, &si); /* delivered at the first syscall exit after the LOADER */
    } else if (is_fault(&si)) {
        t->resume_sig = sig;
        rc = record_signal(s, PT_EV_FAULT, &si, 0);
    } else if (!stop_signal(sig)) {
        rc = async_signal(s, t, &si, &r);
    }
    t->last_was_exit = 0;
    return rc;
}

/* Deliver thread t's oldest held-back signal now, at `tick` (0: at this syscall exit). */
static int deliver_first(struct rec_session *s, struct rec_thread *t, int i, uint64_t tick)
{
    siginfo_t si = s->pending[i].si;
    memmove(&s->pending[i], &s->pending[i + 1],
            (size_t)(s->npending - i - 1) * sizeof s->pending[0]);
    s->npending--;
    if (pt_deliver_signal(s->pid, t->tid, &si) < 0) {
        return pt_wrap("delivering a deferred signal");
    }
    t->resume_sig = si.si_signo;
    t->last_was_exit = 0;
    return record_signal(s, PT_EV_SIGNAL, &si, tick);
}

static int first_pending(struct rec_session *s, pid_t tid)
{
    for (int i = 0; i < s->npending; i++) {
        if (s->pending[i].tid == tid) {
            return i;
        }
    }
    return -1;
}

int rec_deliver_pending(struct rec_session *s, struct rec_thread *t)
{
    int i = first_pending(s, t->tid);
    return i >= 0 ? deliver_first(s, t, i, 0) : 0;
}

int rec_clock_trap(struct rec_session *s, struct rec_thread *t)
{
    uint64_t now;
    int i = first_pending(s, t->tid);
    s->armed_for = 0; /* the countdown ran out: rec_sched_run arms it again */
    if (rec_clock_tick(s, &now) < 0) {
        return -1;
    }
    /* closing the shared mappings injects calls: before a signal is made pending */
    if (rec_share_at_tick(s, now) < 0) {
        return -1;
    }
    if (i >= 0 && deliver_first(s, t, i, now) < 0) {
        return -1;
    }
    return rec_sched_at_tick(s);
}
