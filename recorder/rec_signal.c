/*
 * rec_signal: signals and trapped rdtsc in the recorded process.
 *
 * A signal must reach the program at a moment replay can find again. Synchronous faults
 * (SIGSEGV from a bad access, ...) happen at the same instruction in replay by themselves: they
 * are logged only to be checked. An asynchronous signal that arrives right at a syscall exit
 * (registers unchanged since that stop: no user code ran) is delivered there and logged as
 * "after event N". One that interrupts user code is held back and delivered at the next
 * syscall exit instead, through pt_deliver_signal, the same path replay uses. Signals the
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

static int emulate_rdtsc(struct rec_session *s, struct user_regs_struct *r, int len, int rdtscp)
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
    if (pt_setregs(s->pid, r) < 0) {
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

static int async_signal(struct rec_session *s, const siginfo_t *si, struct user_regs_struct *r)
{
    int sig = si->si_signo;
    uint64_t caught = 0, ignored = 0, bit = 1ull << (sig - 1);
    if (pt_proc_sigmasks(s->pid, &caught, &ignored) < 0) {
        return -1;
    }
    if ((ignored & bit) || (!(caught & bit) && default_ignored(sig))) {
        return 0; /* no effect on the program: drop it */
    }
    int at_exit = s->last_was_exit && memcmp(r, &s->exit_regs, sizeof *r) == 0;
    if (at_exit || !(caught & bit)) {
        /* Right after a syscall, or fatal anyway: deliver now, replay delivers it after the
         * same event. */
        s->resume_sig = sig;
        return record_signal(s, PT_EV_SIGNAL, si, 0);
    }
    for (int i = 0; i < s->npending && sig < SIGRTMIN; i++) {
        if (s->pending[i].si_signo == sig) {
            return 0; /* standard signals do not queue: the kernel would have merged them */
        }
    }
    if (s->npending == REC_MAX_PENDING) {
        return rec_abort(s, "too many signals arrived without a syscall to deliver them at");
    }
    s->pending[s->npending++] = *si;
    return rec_clock_rearm(s); /* with the clock on: deliver at the next bytecode dispatch */
}

int rec_signal_stop(struct rec_session *s, int sig)
{
    siginfo_t si;
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETSIGINFO, s->pid, NULL, &si) < 0) {
        return pt_fail_errno("ptrace(PTRACE_GETSIGINFO, %d)", (int)s->pid);
    }
    if (pt_getregs(s->pid, &r) < 0) {
        return -1;
    }
    int rc = 0, rdtscp = 0, len, opcode;
    s->resume_sig = 0;
    if (sig == SIGTRAP && pt_clock_is_trap(&s->clock, r.rip, &opcode)) {
        rc = rec_clock_trap(s);
    } else if (sig == SIGSEGV && si.si_code == SI_KERNEL && (len = rdtsc_at(s, r.rip, &rdtscp))) {
        rc = emulate_rdtsc(s, &r, len, rdtscp);
    } else if (is_fault(&si)) {
        s->resume_sig = sig;
        rc = record_signal(s, PT_EV_FAULT, &si, 0);
    } else if (!stop_signal(sig)) {
        rc = async_signal(s, &si, &r);
    }
    s->last_was_exit = 0;
    return rc;
}

/* Deliver the oldest held-back signal now, at `tick` (0: at this syscall exit). */
static int deliver_first(struct rec_session *s, uint64_t tick)
{
    siginfo_t si = s->pending[0];
    memmove(s->pending, s->pending + 1, (size_t)(s->npending - 1) * sizeof si);
    s->npending--;
    if (pt_deliver_signal(s->pid, &si) < 0) {
        return pt_wrap("delivering a deferred signal");
    }
    s->resume_sig = si.si_signo;
    s->last_was_exit = 0;
    if (record_signal(s, PT_EV_SIGNAL, &si, tick) < 0) {
        return -1;
    }
    return rec_clock_rearm(s);
}

int rec_deliver_pending(struct rec_session *s)
{
    return s->npending ? deliver_first(s, 0) : 0;
}

int rec_clock_trap(struct rec_session *s)
{
    uint64_t now;
    if (rec_clock_tick(s, &now) < 0) {
        return -1;
    }
    if (s->npending == 0) {
        return pt_clock_idle(&s->clock, &s->mem);
    }
    return deliver_first(s, now);
}
