/*
 * rec_passthrough: a tracer that stays behind for tasks the recording lets go.
 *
 * The recording's seccomp filter (common/pt_seccomp.c) cannot be removed, and a task under it
 * whose tracer is gone gets ENOSYS from every syscall (seccomp(2), SECCOMP_RET_TRACE). So a task
 * that must run on untraced (a daemon that outlives the recording, a program released after a
 * full disk) is handed to a small tracer process of its own, forked from pytt: pytt detaches
 * each task into a stop (PTRACE_DETACH with SIGSTOP), the tracer seizes it, continues it with
 * SIGCONT, and from then on lets every stop go: filtered calls and ptrace events continue as
 * they are, signals are delivered, group-stops are kept (PTRACE_LISTEN). Its descendants are
 * followed the same way. The tracer leaves pytt's descriptors, its session and its terminal,
 * and ends when its last task does. The cost is one stop per syscall of those tasks. Should
 * the tracer (or pytt before the hand-over) be killed, its tasks are killed with it
 * (PTRACE_O_EXITKILL): without a tracer they could not make a single syscall.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Is this SIGSTOP stop of a task pytt handed over pytt's own (PTRACE_DETACH's, then clear its
 * mark)? The group-stop it starts must not be kept, even when the SIGCONT meant to end it came
 * first (the task was still on its way into the stop: a LISTEN then left it stopped for good,
 * one hand-over in ten under load). The mark stays until a SIGSTOP comes: the detach's signal
 * is not a pending one, so the SIGCONT does not discard it, and the task can take the SIGCONT
 * (a stop of its own) before it (the sanitized suite's one hang of replay.special.disk_full).
 * The cost: when the SIGCONT did discard it, the task's first SIGSTOP of its own is ignored. */
static int first_stop(pid_t pid, int sig, pid_t *fresh, int n)
{
    for (int i = 0; sig == SIGSTOP && i < n; i++) {
        if (fresh[i] == pid) {
            fresh[i] = 0;
            return 1;
        }
    }
    return 0;
}

static void passthrough_loop(pid_t *fresh, int n)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, __WALL);
        if (pid < 0) {
            if (errno == EINTR) {
                continue;
            }
            _exit(0); /* ECHILD: every task has ended */
        }
        if (!WIFSTOPPED(status)) {
            continue;
        }
        int sig = WSTOPSIG(status), event = status >> 16, first = first_stop(pid, sig, fresh, n);
        if (event == PTRACE_EVENT_STOP) {
            if (!first && (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)) {
                ptrace(PTRACE_LISTEN, pid, NULL, NULL); /* a group-stop: it stays stopped */
            } else {
                ptrace(PTRACE_CONT, pid, NULL, NULL);
            }
        } else if (event || sig == (SIGTRAP | 0x80)) {
            ptrace(PTRACE_CONT, pid, NULL, NULL);
        } else if (first && sig == SIGSTOP) {
            ptrace(PTRACE_CONT, pid, NULL, NULL); /* pytt's SIGSTOP, not delivered */
        } else {
            ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
        }
    }
}

static void child_side(int rd, const pid_t *tids, int n)
{
    setsid();
    int keep = rd;
    for (int fd = 0; fd < 1024; fd++) {
        if (fd != keep) {
            close(fd);
        }
    }
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    char go;
    if (read(rd, &go, 1) != 1) {
        _exit(1);
    }
    close(rd);
    long opts = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
    for (int i = 0; i < n; i++) {
        ptrace(PTRACE_SEIZE, tids[i], NULL, (void *)opts);
    }
    pid_t fresh[n];
    for (int i = 0; i < n; i++) {
        syscall(SYS_tkill, tids[i], SIGCONT);
        fresh[i] = tids[i];
    }
    passthrough_loop(fresh, n);
}

int rec_passthrough(const pid_t *tids, int n)
{
    if (n == 0) {
        return 0;
    }
    int p[2];
    if (pipe(p) < 0) {
        return pt_fail_errno("pipe for the pass-through tracer");
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return pt_fail_errno("starting the pass-through tracer");
    }
    if (pid == 0) {
        close(p[1]);
        child_side(p[0], tids, n);
        _exit(0);
    }
    close(p[0]);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (ptrace(PTRACE_DETACH, tids[i], NULL, (void *)(long)SIGSTOP) < 0 && errno != ESRCH) {
            rc = pt_fail_errno("ptrace(PTRACE_DETACH, %d) for the pass-through tracer",
                               (int)tids[i]);
        }
    }
    if (write(p[1], "g", 1) != 1 && rc == 0) {
        rc = pt_fail_errno("starting the pass-through tracer");
    }
    close(p[1]);
    return rc;
}
