/*
 * rep_spawn: bring a fresh process to the exact state the recording started from.
 *
 * The files the run depends on were checked when the trace was opened (rep_files.c). The binary
 * (the trace's copy of it when the trace is packed) is started directly (not through the wrappers
 * the recording went through) with the recorded argv, envp, rlimits and personality; at the exit of
 * its execve the whole initial stack is overwritten with the recorded image and rsp set to the
 * recorded value, so argv, envp, the auxiliary vector (vDSO hidden, same AT_RANDOM) and the exec
 * filename are byte-identical to the recording whatever path, cwd or environment replay runs from.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_elf.h"
#include "common/pt_error.h"
#include "common/pt_proc.h"
#include "common/pt_seccomp.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <unistd.h>

/* Signal dispositions and the mask survive execve: give the replayed program the ones the
 * recorded one inherited (a program started under nohup sees SIGHUP ignored, ...). */
static void inherit_signals(const struct pt_header *h)
{
    sigset_t blocked;
    sigemptyset(&blocked);
    for (int sig = 1; sig < 65; sig++) {
        uint64_t bit = 1ull << (sig - 1);
        if (sig != SIGKILL && sig != SIGSTOP) {
            signal(sig, (h->sig_ignored & bit) ? SIG_IGN : SIG_DFL);
        }
        if (h->sig_blocked & bit) {
            sigaddset(&blocked, sig);
        }
    }
    sigprocmask(SIG_SETMASK, &blocked, NULL);
}

static void child_exec(const struct rep_session *s, int errfd)
{
    const struct pt_header *h = &s->tr.hdr;
    int e = 0;
    setpgid(0, 0); /* terminal signals are for pytt, not for the replayed program */
    inherit_signals(h);
    for (int i = 0; i < PT_NRLIMITS; i++) {
        struct rlimit rl = {h->rlim_cur[i], h->rlim_max[i]};
        if (setrlimit((enum __rlimit_resource)i, &rl) != 0 && i == RLIMIT_STACK) {
            e = errno; /* the stack limit decides the memory layout: it must match */
        }
    }
    if (chdir(h->cwd) != 0 && chdir("/") != 0) {
        e = errno;
    }
    if (e == 0 && (pt_pin_self(s->cpu) < 0 || personality((unsigned long)h->personality) < 0 ||
                   ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 || raise(SIGSTOP) != 0)) {
        e = errno;
    }
    if (e == 0) {
        execve(s->files[0].use, h->argv, h->envp);
        e = errno;
    }
    if (write(errfd, &e, sizeof e) != sizeof e) {
        _exit(126);
    }
    _exit(127);
}

static int expect(struct rep_session *s, int kind, int event, const char *what)
{
    struct pt_stop st;
    if (pt_resume_syscall(s->pid, 0) < 0 || pt_wait(s->pid, &st) < 0) {
        return -1;
    }
    if (st.kind != kind || (kind == PT_STOP_EVENT && st.event != event)) {
        return pt_fail("starting %s: expected %s, got %s", s->tr.hdr.exe_path, what,
                       pt_stop_str(&st));
    }
    return 0;
}

/* Overwrite the kernel-built initial stack with the recorded one. */
static int restore_stack(struct rep_session *s)
{
    const struct pt_header *h = &s->tr.hdr;
    struct user_regs_struct r;
    uint64_t end;
    if (pt_getregs(s->pid, &r) < 0 || pt_proc_stack_end(s->pid, &end) < 0) {
        return -1;
    }
    if (end != h->stack_end || r.rip != h->rip) {
        return pt_fail("the replayed process does not start like the recorded one (stack end "
                       "0x%llx vs 0x%llx, entry 0x%llx vs 0x%llx): was it recorded on another "
                       "machine or kernel?",
                       (unsigned long long)end, (unsigned long long)h->stack_end, r.rip,
                       (unsigned long long)h->rip);
    }
    uint64_t low = (r.rsp < h->rsp ? r.rsp : h->rsp) & ~4095ull;
    size_t zlen = h->rsp - low;
    uint8_t *zeros = calloc(1, zlen ? zlen : 1);
    int rc = pt_mem_write(&s->mem, low, zeros, zlen);
    free(zeros);
    if (rc < 0 || pt_mem_write(&s->mem, h->rsp, h->stack, h->stack_len) < 0) {
        return pt_wrap("writing the recorded initial stack");
    }
    r.rsp = h->rsp;
    return pt_setregs(s->pid, &r);
}

static int start_child(struct rep_session *s, int errfd)
{
    struct pt_stop st;
    if (pt_wait(s->pid, &st) < 0) {
        return -1;
    }
    if (st.kind != PT_STOP_SIGNAL || st.sig != SIGSTOP) {
        int e = 0;
        if (read(errfd, &e, sizeof e) == sizeof e && e) {
            errno = e;
            return pt_fail_errno("cannot start %s", s->tr.hdr.exe_path);
        }
        return pt_fail("cannot start %s: %s", s->tr.hdr.exe_path, pt_stop_str(&st));
    }
    long opts =
        PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE;
    if (ptrace(PTRACE_SETOPTIONS, s->pid, NULL, (void *)opts) < 0) {
        return pt_fail_errno("ptrace(PTRACE_SETOPTIONS, %d)", (int)s->pid);
    }
    if (expect(s, PT_STOP_SYSCALL_ENTRY, 0, "execve") < 0 ||
        expect(s, PT_STOP_EVENT, PTRACE_EVENT_EXEC, "the exec event") < 0 ||
        expect(s, PT_STOP_SYSCALL_EXIT, 0, "the exit of execve") < 0) {
        int e = 0;
        if (read(errfd, &e, sizeof e) == sizeof e && e) {
            errno = e;
            return pt_fail_errno("cannot start %s", s->tr.hdr.exe_path);
        }
        return -1;
    }
    return 0;
}

int rep_spawn(struct rep_session *s)
{
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) < 0) {
        return pt_fail_errno("pipe2");
    }
    s->pid = fork();
    if (s->pid < 0) {
        return pt_fail_errno("fork");
    }
    if (s->pid == 0) {
        close(errpipe[0]);
        child_exec(s, errpipe[1]);
    }
    close(errpipe[1]);
    pt_mem_init_pid(&s->mem, s->pid);
    int rc = start_child(s, errpipe[0]);
    close(errpipe[0]);
    if (rc == 0 && (restore_stack(s) < 0 || pt_startup_inject(s->pid, &s->mem, 1) < 0 ||
                    pt_seccomp_install(s->pid, &s->mem) < 0 || rep_sysbuf_start(s) < 0)) {
        rc = pt_wrap("preparing the replayed process");
    }
    return rc;
}
