/*
 * rep_signal: signals and rdtsc during replay. Logged signals are injected right after the
 * syscall event they followed, with their recorded siginfo (pt_deliver_signal, the path the
 * recorder used). An rdtsc faults as it did when recording and gets the logged value. A
 * synchronous fault must recur where the log says. Signals from outside (nobody else should
 * send any: the tracee has its own process group) are dropped.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>

int rep_after_exit(struct rep_session *s)
{
    if (rep_clock_event(s) < 0) {
        return -1;
    }
    /* the recording closed the shared mappings here (recorder/rec_share.c) */
    const struct pt_event *sh = pt_tracer_peek(&s->tr);
    if (rep_share_next(s, PT_SHARE_EXIT, 0) &&
        ((sh->nranges && rep_syscall_settle(s) < 0) || rep_share_apply(s) < 0)) {
        return -1;
    }
    /* other threads' syscalls seen returning before the signal came */
    if (rep_sched_drain(s, 0, 0, 0) < 0) {
        return -1;
    }
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    struct rep_thread *c = rep_thread_cur(s);
    if (!nx || nx->type != PT_EV_SIGNAL || nx->tick != 0 || !c || nx->tid != c->rec_tid) {
        return 0;
    }
    return rep_deliver_logged_signal(s);
}

int rep_deliver_logged_signal(struct rep_session *s)
{
    if (pt_tracer_next(&s->tr, &s->ev) != 1) {
        return -1;
    }
    struct rep_thread *c = rep_thread_cur(s);
    if (!c || s->ev.tid != c->rec_tid) {
        return rep_divergence(s, "the recording delivers %s to thread %d, which is not running",
                              strsignal(s->ev.signo), (int)s->ev.tid);
    }
    siginfo_t si;
    memcpy(&si, s->ev.siginfo, sizeof si);
    struct user_regs_struct r;
    if (s->ev.tick && (pt_getregs(s->tid, &r) < 0 ||
                       (pt_clock_as_plain(&s->clock, &r) && pt_setregs(s->tid, &r) < 0))) {
        return -1; /* at a breakpoint's (watch) trampoline: the recording was at a plain one */
    }
    if (pt_deliver_signal(s->pid, s->tid, &si) < 0) {
        return pt_wrap("replaying the delivery of %s (event %llu, tick %llu)",
                       strsignal(si.si_signo), (unsigned long long)s->ev.seq,
                       (unsigned long long)s->ev.tick);
    }
    s->resume_sig = si.si_signo;
    return 0;
}

static int is_rdtsc(struct rep_session *s, uint64_t rip)
{
    uint8_t code[3];
    if (pt_mem_read(&s->mem, rip, code, sizeof code) < 0) {
        return 0;
    }
    return code[0] == 0x0f && (code[1] == 0x31 || (code[1] == 0x01 && code[2] == 0xf9));
}

static int replay_rdtsc(struct rep_session *s, struct user_regs_struct *r)
{
    if (rep_next_event(s, PT_EV_RDTSC, "an rdtsc") < 0) {
        return -1;
    }
    r->rax = s->ev.rax;
    r->rdx = s->ev.rdx;
    if (s->ev.insn_len == 3) {
        r->rcx = s->ev.rcx;
    }
    r->rip += s->ev.insn_len;
    return pt_setregs(s->tid, r);
}

int rep_signal_stop(struct rep_session *s, int sig)
{
    siginfo_t si;
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETSIGINFO, s->tid, NULL, &si) < 0) {
        return pt_fail_errno("ptrace(PTRACE_GETSIGINFO, %d)", (int)s->tid);
    }
    if (pt_getregs(s->tid, &r) < 0) {
        return -1;
    }
    int opcode;
    if (sig == SIGTRAP && pt_clock_is_trap(&s->clock, r.rip, &opcode)) {
        return rep_clock_trap(s, opcode);
    }
    if (sig == SIGTRAP && rep_catch_is_trap(s, r.rip)) {
        return rep_catch_trap(s, &r);
    }
    if (sig == SIGTRAP && s->hw.n && rep_hw_trap(s)) {
        return 0; /* a write to a watched word (rep_hwatch.c) */
    }
    if (sig == SIGSEGV && si.si_code == SI_KERNEL && is_rdtsc(s, r.rip)) {
        return replay_rdtsc(s, &r);
    }
    if (sig == SIGSEGV && si.si_code == SEGV_ACCERR && rep_share_next(s, PT_SHARE_FAULT, 0)) {
        return rep_share_fault(s, (uint64_t)(uintptr_t)si.si_addr, r.rip); /* runs again */
    }
    if (sig == SIGSYS && si.si_code == 1 /* SYS_SECCOMP */) {
        return rep_divergence(s,
                              "the program made syscall %s (number %d) at 0x%llx, which replay "
                              "never runs for real: pytt's seccomp filter stopped it",
                              si.si_arch == 0xc000003e ? pt_syscall_name(si.si_syscall) : "?",
                              si.si_syscall, r.rip);
    }
    if (++s->dropped_signals > 1000) {
        return rep_divergence(s,
                              "the program keeps receiving %s (1000 times without reaching "
                              "its next event)",
                              strsignal(sig));
    }
    int sync = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
    if (sync && si.si_code > 0) { /* SI_KERNEL too: general-protection faults (rec_signal.c) */
        const struct pt_event *nx = pt_tracer_peek(&s->tr);
        if (!nx || nx->type != PT_EV_FAULT || nx->signo != sig) {
            return rep_divergence(s,
                                  "the program raised %s at 0x%llx, which it did not when "
                                  "recorded",
                                  strsignal(sig), r.rip);
        }
        pt_tracer_next(&s->tr, &s->ev);
        s->resume_sig = sig;
    }
    return 0;
}
