/*
 * pt_ptrace: the ptrace mechanics shared by the recorder and the replayer.
 *
 *   - waiting for a tracee and classifying the stop (syscall entry/exit via
 *     PTRACE_GET_SYSCALL_INFO, signal delivery, ptrace event, exit);
 *   - running a syscall inside the tracee on pytt's behalf (pt_inject_syscall), from a stub
 *     `syscall; int3` in pytt's page, or by temporarily writing a syscall instruction at rip
 *     before that page exists;
 *   - re-running the syscall instruction the tracee is stopped after (pt_rerun_syscall), the
 *     replayer's way of issuing extra calls from a syscall stop (open a file, mmap it, close);
 *   - delivering a signal with an exact siginfo at a chosen moment (pt_deliver_signal), used
 *     identically at record and replay so both take the same path through the kernel.
 */
#ifndef PT_PTRACE_H
#define PT_PTRACE_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

enum pt_stop_kind {
    PT_STOP_SYSCALL_ENTRY = 1,
    PT_STOP_SYSCALL_EXIT,
    PT_STOP_SIGNAL, /* signal-delivery-stop: sig */
    PT_STOP_EVENT,  /* PTRACE_EVENT_* stop: event */
    PT_STOP_GROUP,  /* group-stop (PTRACE_SEIZE'd tracees only) */
    PT_STOP_EXITED, /* the process exited: code */
    PT_STOP_KILLED, /* the process was killed: sig */
};

struct pt_stop {
    pid_t pid;
    int status;
    int kind;
    int sig;
    int event;
    int code;
    /* syscall stops: the ABI the call was made with (pt_syscalls.h PT_ABI_*: anything but
     * PT_ABI_X86_64 must never be looked up in the x86-64 table) and its number */
    int abi;
    uint64_t nr;
    int seccomp; /* a syscall entry reported by the recording's seccomp filter */
};

/* Ctrl-C: the CLI's SIGINT handler sets pt_interrupted; a wait interrupted by a signal (that
 * one, or the replay watchdog's timer) calls the hook (if set), which may bring the tracee to a
 * stop, then goes on waiting. */
extern volatile sig_atomic_t pt_interrupted;
extern void (*pt_wait_interrupt_hook)(void *ctx);
extern void *pt_wait_interrupt_ctx;

/* Wait for pid (or any child if pid is -1) and classify the stop. */
int pt_wait(pid_t pid, struct pt_stop *st);
/* The same, giving up at deadline_ns (CLOCK_MONOTONIC) or at Ctrl-C (pt_interrupted): returns
 * 0 with *st filled, 1 if it gave up (the process is left as it is), -1 on error. */
int pt_wait_deadline(pid_t pid, struct pt_stop *st, int64_t deadline_ns);
/* A human-readable description of a stop, for error messages (static buffer). */
const char *pt_stop_str(const struct pt_stop *st);

/* SIGKILL a tracee and reap it. */
void pt_kill_wait(pid_t pid);
/* SIGKILL a multi-threaded tracee and reap its threads `tids` (the others than pid), then
 * pid: a traced thread group leader's end is reported only after its other threads'. */
void pt_kill_wait_threads(pid_t pid, const pid_t *tids, int n);
/* Whether a tracee that was in a ptrace-stop is gone: killed since (SIGKILL from anyone, a
 * sibling thread's exit_group or exec), so any ptrace request on it fails with ESRCH until
 * waitpid reports its death. */
int pt_task_gone(pid_t pid);

int pt_getregs(pid_t pid, struct user_regs_struct *r);
int pt_setregs(pid_t pid, const struct user_regs_struct *r);
/* Resume with PTRACE_SYSCALL / PTRACE_CONT, delivering sig (0 for none). */
int pt_resume_syscall(pid_t pid, int sig);
int pt_resume_cont(pid_t pid, int sig);
/* Recording: the tracees run under the recording's seccomp filter (pt_seccomp.h), so every
 * syscall they must be seen making stops them once, at a PTRACE_EVENT_SECCOMP stop that the
 * waits report as PT_STOP_SYSCALL_ENTRY (st.seccomp set). Set by the recorder. */
extern int pt_seccomp_tracing;
/* Run a tracee of a recording to its next stop pytt must see: under the filter, to the exit of
 * the syscall it is in (stopped at its seccomp stop or at a ptrace event inside it) or else to
 * its next filtered call or signal (PTRACE_CONT); without it, PTRACE_SYSCALL. */
int pt_resume_next(pid_t pid, int sig);

/* Execute syscall nr with args in the stopped tracee and return its raw result in *ret.
 * stub: address of a `syscall` instruction in the tracee, or 0 to write one at rip
 * temporarily. Registers (and memory, for stub 0) are restored afterwards. The tracee is left
 * in a syscall-exit-stop, so call this only from stops where that is harmless: a syscall-exit
 * stop or the first stop after exec. */
int pt_inject_syscall(pid_t pid, uint64_t stub, long nr, const uint64_t args[6], int64_t *ret);
/* At a syscall-entry stop whose registers are *entry: skip the call and run to its exit stop
 * (no user code runs), where syscalls can be injected; pt_rewind_to_call then puts the thread
 * back on its syscall instruction with the call's number and arguments, to make it again. */
int pt_skip_call(pid_t tid, const struct user_regs_struct *entry);
int pt_rewind_to_call(pid_t tid, const struct user_regs_struct *entry);

/* From a syscall-exit-stop: step back onto the syscall instruction just executed, run syscall
 * nr with args, and stop at its exit. Registers are NOT restored (the caller owns them). */
int pt_rerun_syscall(pid_t pid, const struct user_regs_struct *base, long nr,
                     const uint64_t args[6], int64_t *ret);

/* Make thread tid of process tgid (stopped at a syscall-exit-stop or a clock trap) take signal
 * info->si_signo now, with exactly that siginfo: queue it with tgkill, resume to the resulting
 * signal-delivery-stop, overwrite the siginfo. On return the thread is in that
 * signal-delivery-stop; resume it with the signal to deliver it. */
int pt_deliver_signal(pid_t tgid, pid_t tid, const siginfo_t *info);

#endif
