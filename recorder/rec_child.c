/*
 * rec_child: children the recorded process creates (fork, vfork, clone without CLONE_THREAD,
 * e.g. subprocess.run or os.system) run unrecorded: the parent only talks to them through
 * syscalls, which are logged, so the parent replays exactly without them. What replay cannot
 * do without them is print what they wrote straight to the stdout/stderr they inherited. So
 * children stay traced (ptrace attaches them automatically, PTRACE_O_TRACEFORK & co.), each
 * with its own model of which descriptors are the original streams (pt_fdkinds, copied from
 * its parent at fork), and each of their writes to those streams is logged as an OUTPUT event,
 * in the order it happened. Nothing else of theirs is logged.
 *
 * At a child's first stop pytt undoes what it inherited from the recording setup: rdtsc
 * trapping (PR_TSC_ENABLE) and the CPU pinning; and PTRACE_O_EXITKILL, so a child still running
 * when pytt exits (a daemon) is let go instead of killed.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_clock.h"

#include "common/pt_error.h"
#include "common/pt_proc.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

#include <linux/kcmp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

static struct rec_child *find_child(struct rec_session *s, pid_t pid)
{
    for (size_t i = 0; i < s->nchildren; i++) {
        if (s->children[i].pid == pid) {
            return &s->children[i];
        }
    }
    return NULL;
}

static const struct pt_fdkinds *fds_of(struct rec_session *s, pid_t pid)
{
    if (pid == s->pid) {
        return &s->fds;
    }
    struct rec_child *c = find_child(s, pid);
    return c ? &c->fds : NULL;
}

static pid_t parent_of(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    pid_t ppid = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "PPid:", 5) == 0) {
            ppid = (pid_t)atoi(line + 5);
        }
    }
    if (f) {
        fclose(f);
    }
    return ppid;
}

/* Does child have its own address space (fork), not its parent's (vfork, CLONE_VM)? When
 * unsure, no: writing to a shared one would change the parent's. */
static int own_memory(pid_t child)
{
    pid_t parent = parent_of(child);
    return parent > 0 && syscall(SYS_kcmp, child, parent, KCMP_VM, 0, 0) > 0 ? 1 : 0;
}

/* Undo the recording setup in a new child. Its copy of the Python clock keeps counting in its
 * own memory (the trampolines are in the copied table): it must never trap, so it is idled, in
 * case the parent's was armed (a signal waiting for the next dispatch) when it forked. */
static int release_setup(struct rec_session *s, struct rec_child *c, pid_t child)
{
    uint64_t idle = PT_CLOCK_IDLE;
    if (s->clock.table && own_memory(child) &&
        pt_mem_write(&c->mem, PT_CLOCK_COUNTDOWN, &idle, 8) < 0) {
        return pt_wrap("idling the Python clock in child %d", (int)child);
    }
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
    long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC;
    if (ptrace(PTRACE_SETOPTIONS, child, NULL, (void *)opts) < 0) {
        return pt_fail_errno("ptrace(PTRACE_SETOPTIONS, child %d)", (int)child);
    }
    return 0;
}

static struct rec_child *new_child(struct rec_session *s, pid_t pid)
{
    if (s->nchildren == s->children_cap) {
        s->children_cap = s->children_cap ? s->children_cap * 2 : 8;
        s->children = realloc(s->children, s->children_cap * sizeof *s->children);
    }
    struct rec_child *c = &s->children[s->nchildren++];
    memset(c, 0, sizeof *c);
    c->pid = pid;
    const struct pt_fdkinds *parent = fds_of(s, parent_of(pid));
    if (parent) {
        c->fds = *parent;
    } else {
        memset(&c->fds, 0, sizeof c->fds); /* not a descendant we know: log nothing */
    }
    pt_mem_init_pid(&c->mem, pid);
    return c;
}

static void forget_child(struct rec_session *s, pid_t pid)
{
    struct rec_child *c = find_child(s, pid);
    if (c) {
        pt_mem_close(&c->mem);
        *c = s->children[--s->nchildren];
    }
}

/* Log `n` bytes the child wrote at addr to stream `kind`. */
static int log_output(struct rec_session *s, struct rec_child *c, int kind, pt_addr addr, size_t n)
{
    pt_event_reset(&s->ev, PT_EV_OUTPUT);
    s->ev.signo = kind;
    uint8_t *dst = pt_event_add_region(&s->ev, 0, n);
    if (pt_mem_read(&c->mem, addr, dst, n) < 0) {
        return pt_wrap("reading what child %d wrote", (int)c->pid);
    }
    return rec_write_event(s);
}

struct out_ctx {
    struct rec_session *s;
    struct rec_child *c;
    int kind;
};

static int log_region(void *ud, pt_addr addr, uint64_t len)
{
    struct out_ctx *o = ud;
    return log_output(o->s, o->c, o->kind, addr, (size_t)len);
}

static int child_write(struct rec_session *s, struct rec_child *c, int64_t ret)
{
    int kind = pt_fdkinds_get(&c->fds, c->args[0]);
    if (!kind || ret <= 0) {
        return 0;
    }
    if (c->nr == SYS_write) {
        return log_output(s, c, kind, c->args[1], (size_t)ret);
    }
    struct out_ctx o = {s, c, kind};
    return pt_sc_iovec_regions(&c->mem, c->args[1], c->args[2], (uint64_t)ret, log_region, &o);
}

static int child_syscall(struct rec_session *s, struct rec_child *c, const struct pt_stop *st)
{
    struct user_regs_struct r;
    int entry = st->kind == PT_STOP_SYSCALL_ENTRY;
    if (pt_getregs(c->pid, &r) < 0) {
        return -1;
    }
    if (entry) {
        /* a 32-bit call's number means something else in the x86-64 table: not a write */
        c->nr = st->abi == PT_ABI_X86_64 ? (int)r.orig_rax : -1;
        uint64_t a[6] = {r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9};
        memcpy(c->args, a, sizeof a);
        return 0;
    }
    int64_t ret = (int64_t)r.rax;
    if ((c->nr == SYS_write || c->nr == SYS_writev) && child_write(s, c, ret) < 0) {
        return -1;
    }
    pt_fdkinds_update(&c->fds, c->nr, c->args, ret);
    return 0;
}

int rec_child_stop(struct rec_session *s, const struct pt_stop *st)
{
    if (st->kind == PT_STOP_EXITED || st->kind == PT_STOP_KILLED) {
        forget_child(s, st->pid);
        return 0;
    }
    struct rec_child *c = find_child(s, st->pid);
    int sig = 0;
    if (!c) {
        c = new_child(s, st->pid);
        if (release_setup(s, c, st->pid) < 0) {
            return -1;
        }
    } else if (st->kind == PT_STOP_SYSCALL_ENTRY || st->kind == PT_STOP_SYSCALL_EXIT) {
        if (child_syscall(s, c, st) < 0) {
            return -1;
        }
    } else if (st->kind == PT_STOP_SIGNAL) {
        sig = st->sig; /* a child's signals are its own business */
    }
    return pt_resume_syscall(st->pid, sig);
}
