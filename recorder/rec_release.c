/*
 * rec_release: when the trace cannot be written any more (the disk filled up, a write error),
 * the recording stops but the program does not: what is on disk is kept readable (the log is
 * cut back to its last complete chunk, the reserve file is freed and an END record says why),
 * and at its next syscall exit the program is released to run on untraced, as it would have
 * without pytt: its Python clock idled (it must never trap), rdtsc and its CPU set given back,
 * signals pytt was holding for it sent again, then PTRACE_DETACH. pytt waits for it and exits
 * with its status. If releasing fails, the program is killed, and pytt says so. A program with
 * several threads is killed too: its threads stop at different moments, and letting them go
 * one by one while the others still wait for pytt would change how they interleave with no
 * recording left to show it.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

int rec_storage_failed(struct rec_session *s)
{
    char why[400];
    snprintf(why, sizeof why, "%s", pt_errmsg());
    s->storage_errno = s->tw.ev.write_errno ? s->tw.ev.write_errno : EIO;
    pt_tracew_salvage(&s->tw);
    snprintf(s->storage_msg, sizeof s->storage_msg, "%s", why);
    pt_event_reset(&s->ev, PT_EV_END);
    s->ev.end_how = PT_END_ABORTED;
    snprintf(s->ev.end_msg, sizeof s->ev.end_msg,
             "the recording stopped after event %llu: %s; the program was let go and ran on "
             "untraced",
             (unsigned long long)(s->tw.ev.nrecords ? s->tw.ev.nrecords - 1 : 0), why);
    s->stopped_at = s->tw.ev.nrecords;
    if (pt_tracew_event(&s->tw, &s->ev) < 0 || pt_tracew_flush(&s->tw) < 0) {
        pt_chunkw_drop(&s->tw.ev); /* not even that fits: the reader says it was cut short */
    }
    pt_err_clear();
    return 0;
}

static int give_back(struct rec_session *s)
{
    if (rec_share_open_all(s) < 0) { /* no fault would be handled any more */
        return -1;
    }
    if (s->clock_state == REC_CLOCK_ON && pt_clock_idle(&s->clock, &s->mem) < 0) {
        return -1;
    }
    uint64_t args[6] = {PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0, 0};
    int64_t ret;
    if (pt_inject_syscall(s->pid, PT_PAGE_STUB_SYSCALL, SYS_prctl, args, &ret) < 0) {
        return pt_wrap("re-enabling rdtsc in the program");
    }
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int i = 0; i < CPU_SETSIZE; i++) {
        CPU_SET(i, &all);
    }
    sched_setaffinity(s->pid, sizeof all, &all); /* best effort: the kernel clips to online */
    return 0;
}

static void kill_threads(struct rec_session *s)
{
    pid_t tids[s->nthreads + 1];
    int n = 0;
    for (size_t i = 0; i < s->nthreads; i++) {
        if (s->threads[i]->tid != s->pid) {
            tids[n++] = s->threads[i]->tid;
        }
    }
    pt_kill_wait_threads(s->pid, tids, n);
}

int rec_release(struct rec_session *s)
{
    if (s->nthreads > 1) {
        pt_fail("it has %zu threads, which pytt cannot let go one by one", s->nthreads);
    }
    /* under the recording's seccomp filter it needs a tracer that lets its calls through */
    pid_t me = s->pid;
    if (s->nthreads > 1 || give_back(s) < 0 ||
        (pt_seccomp_tracing                              ? rec_passthrough(&me, 1)
         : ptrace(PTRACE_DETACH, s->pid, NULL, NULL) < 0 ? -1
                                                         : 0) < 0) {
        snprintf(s->storage_msg + strlen(s->storage_msg),
                 sizeof s->storage_msg - strlen(s->storage_msg),
                 "; releasing the program failed (%s), so it was killed", pt_errmsg());
        kill_threads(s);
        s->res->how = PT_END_SIGNALED;
        s->res->code = SIGKILL;
        s->pid = 0;
        s->res->released = -1;
        return 1;
    }
    for (int i = 0; i < s->npending; i++) {
        syscall(SYS_tgkill, s->pid, s->pending[i].tid, s->pending[i].si.si_signo);
    }
    s->npending = 0;
    s->res->released = 1;
    if (rec_gate_end(s) < 0) { /* its descendants run freely too */
        pt_err_clear();
    }
    return 0;
}
