/*
 * rec_child: children the recorded process creates (fork, vfork, clone without CLONE_THREAD,
 * e.g. subprocess.run) run untraced: the parent only talks to them through syscalls, which are
 * logged, so the parent replays exactly without them. ptrace attaches them automatically
 * (PTRACE_O_TRACEFORK & co.) so pytt can undo, before they run, what they inherited from the
 * recording setup: rdtsc trapping (an untraced child would die of SIGSEGV in the vDSO's
 * clock_gettime) and the CPU pinning. Then they are detached.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

int rec_child_release(struct rec_session *s, pid_t child)
{
    uint64_t args[6] = {PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0, 0};
    int64_t ret;
    if (pt_inject_syscall(child, PT_PAGE_STUB_SYSCALL, SYS_prctl, args, &ret) < 0) {
        return pt_wrap("re-enabling rdtsc in child %d", (int)child);
    }
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int i = 0; i < CPU_SETSIZE; i++) {
        CPU_SET(i, &all);
    }
    sched_setaffinity(child, sizeof all, &all); /* best effort: the kernel clips to online */
    if (ptrace(PTRACE_DETACH, child, NULL, NULL) < 0) {
        return pt_fail_errno("ptrace(PTRACE_DETACH, child %d)", (int)child);
    }
    return 0;
}
