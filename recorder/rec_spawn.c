/*
 * rec_spawn: start the recorded command and follow it, untouched, through any wrappers that
 * exec (a venv's python symlink, pyenv's shim scripts, /usr/bin/env) until it execs a CPython
 * interpreter. Recording starts at the exit of that execve. Wrappers run with ASLR disabled
 * and pinned to pytt's CPU (the interpreter inherits both); their own children are not traced.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_proc.h"
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
#include <unistd.h>

/* The syscall buffer's library goes first in LD_PRELOAD (common/pt_sysbuf.h). */
static void preload_sysbuf(const struct rec_session *s)
{
    const char *lib = s->opt->no_sysbuf ? NULL : rec_sysbuf_library();
    if (!lib) {
        return;
    }
    const char *old = getenv("LD_PRELOAD");
    char val[8192];
    snprintf(val, sizeof val, "%s%s%s", lib, old && *old ? ":" : "", old ? old : "");
    setenv("LD_PRELOAD", val, 1);
}

static void child_exec(const struct rec_session *s, int errfd)
{
    int e = 0;
    preload_sysbuf(s);
    if (pt_pin_self(s->cpu) < 0 ||
        personality((unsigned long)personality(0xffffffff) | ADDR_NO_RANDOMIZE) < 0 ||
        ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 || raise(SIGSTOP) != 0) {
        e = errno;
    } else {
        execvp(s->opt->argv[0], s->opt->argv);
        e = errno;
    }
    if (write(errfd, &e, sizeof e) != sizeof e) {
        _exit(126);
    }
    _exit(127);
}

/* The command ended before any CPython exec: explain why. */
static int never_python(struct rec_session *s, int errfd, const struct pt_stop *st,
                        const char *last_msg)
{
    int e = 0;
    if (read(errfd, &e, sizeof e) == sizeof e && e) {
        errno = e;
        return pt_fail_errno("cannot run %s", s->opt->argv[0]);
    }
    if (last_msg[0]) {
        return pt_fail("%s", last_msg);
    }
    return pt_fail("%s ended (%s) without starting a CPython interpreter", s->opt->argv[0],
                   pt_stop_str(st));
}

/* At an exec event: is the new image our CPython? 1 yes, 0 no (keep following), -1 error. */
static int exec_is_python(struct rec_session *s, char *last_msg, size_t cap)
{
    char exe[4096];
    int is_python;
    if (pt_proc_readlink(s->pid, "exe", exe, sizeof exe) < 0) {
        return -1;
    }
    if (pt_check_python(exe, &s->py, &is_python) == 0) {
        return 1;
    }
    if (is_python) {
        return -1; /* CPython, but unusable: the message says what to install */
    }
    snprintf(last_msg, cap, "%s", pt_errmsg());
    return 0;
}

/* After the exec event of the interpreter, run to the exit of its execve. */
static int to_execve_exit(struct rec_session *s)
{
    struct pt_stop st;
    if (pt_resume_syscall(s->pid, 0) < 0 || pt_wait(s->pid, &st) < 0) {
        return -1;
    }
    if (st.kind != PT_STOP_SYSCALL_EXIT) {
        return pt_fail("after exec, expected the exit of execve but got %s", pt_stop_str(&st));
    }
    return 0;
}

static int follow_until_python(struct rec_session *s, int errfd)
{
    char last_msg[1024] = "";
    int sig = 0;
    for (;;) {
        struct pt_stop st;
        if (pt_resume_cont(s->pid, sig) < 0 || pt_wait(s->pid, &st) < 0) {
            return -1;
        }
        sig = 0;
        if (st.kind == PT_STOP_EXITED || st.kind == PT_STOP_KILLED) {
            return never_python(s, errfd, &st, last_msg);
        }
        if (st.kind == PT_STOP_SIGNAL) {
            sig = st.sig;
        } else if (st.kind == PT_STOP_EVENT && st.event == PTRACE_EVENT_EXEC) {
            int r = exec_is_python(s, last_msg, sizeof last_msg);
            if (r != 0) {
                return r < 0 ? -1 : to_execve_exit(s);
            }
        }
    }
}

int rec_spawn(struct rec_session *s)
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
    struct pt_stop st;
    int rc = pt_wait(s->pid, &st);
    if (rc == 0 && (st.kind != PT_STOP_SIGNAL || st.sig != SIGSTOP)) {
        rc = never_python(s, errpipe[0], &st, "");
    }
    if (rc == 0 && ptrace(PTRACE_SETOPTIONS, s->pid, NULL,
                          (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC |
                                         PTRACE_O_EXITKILL)) < 0) {
        rc = pt_fail_errno("ptrace(PTRACE_SETOPTIONS, %d)", (int)s->pid);
    }
    if (rc == 0) {
        rc = follow_until_python(s, errpipe[0]);
    }
    close(errpipe[0]);
    pt_mem_init_pid(&s->mem, s->pid);
    return rc;
}
