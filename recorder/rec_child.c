/*
 * rec_child: the descendants of the recorded process (subprocess.run, os.system, a shell
 * pipeline, multiprocessing, a daemon...) run unrecorded: the parent only talks to them through
 * syscalls, which are logged, so the parent replays exactly without them. What replay cannot
 * do without them is print what they wrote straight to the stdout/stderr they inherited. So
 * every descendant stays traced (PTRACE_O_TRACEFORK & co. attach them automatically), each
 * process with its own model of which descriptors are the original streams (pt_fdkinds, copied
 * from its creator at fork, shared by the tasks of a thread group or a CLONE_FILES pair), and
 * each of their writes to those streams is logged as an OUTPUT event, in the order it happened.
 *
 * A new thread of the recorded process itself (clone with CLONE_THREAD) is recorded like the
 * first one: it joins the scheduler's threads (rec_sched.c) instead.
 *
 * What a new task is, and what it inherited, is known from its creator's ptrace event
 * (PTRACE_EVENT_FORK / VFORK / CLONE, with the clone flags read from the creator's registers),
 * never guessed from /proc: a task's first stop can be reported before its creator's event, so
 * it waits, stopped, until the event names its creator. Only a task created by the recorded
 * process carries the recording setup, which pytt undoes at its first stop: rdtsc trapping
 * (PR_TSC_ENABLE through pytt's page, which such a task has), the CPU pinning,
 * PTRACE_O_EXITKILL (a daemon outlives pytt), and, when it has its own copy of the memory
 * (fork, not vfork or CLONE_VM), its copy of the Python clock's countdown is idled so it never
 * traps. Anything a descendant creates inherits the undone state; a descendant that execs
 * another program has no pytt page at all, so nothing is ever injected into it.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_clock.h"
#include "common/pt_error.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A descriptor model shared by the tasks that share one descriptor table. */
struct rec_fdmodel {
    struct pt_fdkinds k;
    int refs;
};

static struct rec_fdmodel *fdmodel_new(const struct pt_fdkinds *from)
{
    struct rec_fdmodel *m = calloc(1, sizeof *m);
    if (from) {
        m->k = *from;
    }
    m->refs = 1;
    return m;
}

static void fdmodel_put(struct rec_fdmodel *m)
{
    if (m && --m->refs == 0) {
        free(m);
    }
}

static struct rec_child *find_child(struct rec_session *s, pid_t pid)
{
    for (size_t i = 0; i < s->nchildren; i++) {
        if (s->children[i].pid == pid) {
            return &s->children[i];
        }
    }
    return NULL;
}

static struct rec_birth *find_birth(struct rec_session *s, pid_t pid)
{
    for (size_t i = 0; i < s->nbirths; i++) {
        if (s->births[i].pid == pid) {
            return &s->births[i];
        }
    }
    return NULL;
}

static void drop_birth(struct rec_session *s, struct rec_birth *b)
{
    *b = s->births[--s->nbirths];
}

/* The descriptor model of task tid (the recorded process's own, or a descendant's). */
static const struct pt_fdkinds *fds_of(struct rec_session *s, pid_t tid)
{
    if (rec_thread_find(s, tid)) {
        return &s->fds;
    }
    struct rec_child *c = find_child(s, tid);
    return c && c->fds ? &c->fds->k : NULL;
}

/* Undo the recording setup in a task the recorded process created (see the top comment). */
static int release_setup(struct rec_session *s, struct rec_child *c, const struct rec_birth *b)
{
    if (!(b->clone_flags & CLONE_VM) && pt_clock_idle_copy(&s->clock, &c->mem) < 0) {
        return pt_wrap("idling the Python clock in child %d", (int)c->pid);
    }
    uint64_t args[6] = {PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0, 0};
    int64_t ret;
    if (pt_inject_syscall(c->pid, PT_PAGE_STUB_SYSCALL, SYS_prctl, args, &ret) < 0) {
        return pt_wrap("re-enabling rdtsc in child %d", (int)c->pid);
    }
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int i = 0; i < CPU_SETSIZE; i++) {
        CPU_SET(i, &all);
    }
    sched_setaffinity(c->pid, sizeof all, &all); /* best effort: the kernel clips to online */
    long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP;
    if (pt_seccomp_tracing) {
        /* under the recording's filter a task without its tracer would only get ENOSYS: if
         * pytt is killed, it goes too (pytt hands the living ones over when it ends normally) */
        opts |= PTRACE_O_EXITKILL;
    }
    if (ptrace(PTRACE_SETOPTIONS, c->pid, NULL, (void *)opts) < 0) {
        return pt_fail_errno("ptrace(PTRACE_SETOPTIONS, child %d)", (int)c->pid);
    }
    return 0;
}

/* Resume a descendant task into user code, unless the gate of the recorder that handed this
 * process over is shut (rec_gate_peers.c): it is held until that opens. */
static int resume_user(struct rec_session *s, struct rec_child *c, int sig)
{
    if (!rec_peers_may_run(s, &c->up_counted)) {
        c->held = c->up_held = 1;
        c->held_sig = sig;
        return 0;
    }
    c->held = c->up_held = 0;
    return pt_resume_next(c->pid, sig);
}

/* Let a descendant task stopped at a stop where user code comes next go on, or keep it there
 * while the gate is closed (rec_gate.c). */
static int go_on(struct rec_session *s, struct rec_child *c, int sig)
{
    if (rec_gate_active(s) && !s->gate_open) {
        c->held = 1;
        c->held_sig = sig;
        return 0;
    }
    return resume_user(s, c, sig);
}

/* The first stop of a task whose creation is known: set it up and let it run. */
static int adopt(struct rec_session *s, pid_t pid, const struct rec_birth *b)
{
    if (s->nchildren == s->children_cap) {
        s->children_cap = s->children_cap ? s->children_cap * 2 : 8;
        s->children = realloc(s->children, s->children_cap * sizeof *s->children);
    }
    struct rec_child *c = &s->children[s->nchildren++];
    memset(c, 0, sizeof *c);
    c->pid = pid;
    c->nr = -1;
    c->fds = b->fds; /* the birth's reference passes to the task */
    pt_mem_init_pid(&c->mem, pid);
    if (b->by_recorded && release_setup(s, c, b) < 0) {
        return -1;
    }
    rec_gate_new_child(s);
    return go_on(s, c, 0); /* the first stop's SIGSTOP is pytt's, not the task's */
}

/* The flags a creation event implies (fork/vfork) or the clone call had (clone, clone3). */
static int creation_flags(pid_t creator, int event, uint64_t *flags)
{
    struct user_regs_struct r;
    *flags = 0;
    if (event == PTRACE_EVENT_VFORK) {
        *flags = CLONE_VM | CLONE_VFORK;
    }
    if (event != PTRACE_EVENT_CLONE) {
        return 0;
    }
    if (pt_getregs(creator, &r) < 0) {
        return -1;
    }
    if (r.orig_rax == SYS_clone3) {
        struct pt_mem m;
        pt_mem_init_pid(&m, creator);
        int rc = pt_mem_read_u64(&m, r.rdi, flags);
        pt_mem_close(&m);
        return rc < 0 ? pt_wrap("reading clone3's flags in %d", (int)creator) : 0;
    }
    *flags = r.rdi;
    return 0;
}

/* A new thread of the recorded process: it becomes ready at its first stop (already seen, if
 * it came before this event). */
static int thread_birth(struct rec_session *s, pid_t tid)
{
    struct rec_thread *t = rec_thread_add(s, tid, REC_T_NEW);
    if (!t) {
        return rec_abort(s, pt_errmsg());
    }
    for (size_t i = 0; i < s->nwaiting; i++) {
        if (s->waiting[i] == tid) {
            s->waiting[i] = s->waiting[--s->nwaiting];
            return rec_thread_first_stop(s, t);
        }
    }
    return 0;
}

int rec_child_birth(struct rec_session *s, const struct pt_stop *st)
{
    if (st->event != PTRACE_EVENT_FORK && st->event != PTRACE_EVENT_VFORK &&
        st->event != PTRACE_EVENT_CLONE) {
        return 0;
    }
    unsigned long msg = 0;
    if (ptrace(PTRACE_GETEVENTMSG, st->pid, NULL, &msg) < 0) {
        return pt_fail_errno("ptrace(PTRACE_GETEVENTMSG, %d)", (int)st->pid);
    }
    struct rec_birth b = {
        .pid = (pid_t)msg, .creator = st->pid, .by_recorded = rec_thread_find(s, st->pid) != NULL};
    if (creation_flags(st->pid, st->event, &b.clone_flags) < 0) {
        if (b.by_recorded || !pt_task_gone(st->pid)) {
            return -1;
        }
        /* a descendant killed at its clone event: the new task, if it lives, is a process of
         * its own (a thread would have died with its creator) */
        pt_err_clear();
        b.clone_flags = 0;
    }
    if (b.by_recorded && (b.clone_flags & CLONE_THREAD)) {
        return thread_birth(s, b.pid);
    }
    if (!(b.clone_flags & CLONE_THREAD)) {
        rec_proc_born(s, b.pid, b.creator);
    }
    /* The descriptor model is taken now, while the creator is stopped: it may exit before the
     * new task's first stop is seen (a double fork's middle process does). */
    struct rec_child *creator = find_child(s, b.creator);
    if (creator && (b.clone_flags & CLONE_FILES)) {
        b.fds = creator->fds;
        b.fds->refs++;
    } else {
        b.fds = fdmodel_new(fds_of(s, b.creator));
    }
    for (size_t i = 0; i < s->nwaiting; i++) {
        if (s->waiting[i] == b.pid) { /* its first stop came first: it is waiting for this */
            s->waiting[i] = s->waiting[--s->nwaiting];
            return adopt(s, b.pid, &b);
        }
    }
    if (s->nbirths == s->births_cap) {
        s->births_cap = s->births_cap ? s->births_cap * 2 : 8;
        s->births = realloc(s->births, s->births_cap * sizeof *s->births);
    }
    s->births[s->nbirths++] = b;
    return 0;
}

static void forget_child(struct rec_session *s, pid_t pid)
{
    struct rec_child *c = find_child(s, pid);
    if (c) {
        rec_peers_stopped(s, &c->up_counted);
        pt_mem_close(&c->mem);
        fdmodel_put(c->fds);
        *c = s->children[--s->nchildren];
    }
    for (size_t i = 0; i < s->nwaiting; i++) {
        if (s->waiting[i] == pid) {
            s->waiting[i] = s->waiting[--s->nwaiting];
        }
    }
}

static int child_syscall(struct rec_session *s, struct rec_child *c, const struct pt_stop *st)
{
    struct user_regs_struct r;
    if (pt_getregs(c->pid, &r) < 0) {
        return -1;
    }
    c->in_syscall = st->kind == PT_STOP_SYSCALL_ENTRY;
    if (st->kind == PT_STOP_SYSCALL_ENTRY) {
        /* a 32-bit call's number means something else in the x86-64 table: not a write */
        c->nr = st->abi == PT_ABI_X86_64 ? (int)r.orig_rax : -1;
        uint64_t a[6] = {r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9};
        memcpy(c->args, a, sizeof a);
        return 0;
    }
    int64_t ret = (int64_t)r.rax;
    if (rec_output_write(s, &c->mem, pt_fdkinds_get(&c->fds->k, c->args[0]), 1, c->nr, c->args,
                         ret) < 0) {
        return -1;
    }
    if (c->nr >= 0) {
        pt_fdkinds_update(&c->fds->k, c->nr, c->args, ret);
    }
    c->nr = -1;
    return 0;
}

/* A task exec'd: a multi-threaded process's exec is reported by its leader with the former
 * tid of the thread that called it, whose entry goes (the other threads report their exits). */
static void child_exec(struct rec_session *s, pid_t pid)
{
    unsigned long former = 0;
    if (ptrace(PTRACE_GETEVENTMSG, pid, NULL, &former) == 0 && (pid_t)former != pid) {
        forget_child(s, (pid_t)former);
    }
}

/* A stop of a task that is not yet known: its creator's event names it. */
static int first_stop(struct rec_session *s, pid_t pid)
{
    struct rec_birth *b = find_birth(s, pid);
    if (b) {
        struct rec_birth copy = *b;
        drop_birth(s, b);
        return adopt(s, pid, &copy);
    }
    if (s->nwaiting == sizeof s->waiting / sizeof s->waiting[0]) {
        return pt_fail("more than %zu new processes waiting for their creator's event",
                       sizeof s->waiting / sizeof s->waiting[0]);
    }
    s->waiting[s->nwaiting++] = pid; /* stays stopped until rec_child_birth */
    return 0;
}

static int child_stop(struct rec_session *s, const struct pt_stop *st);

/* A descendant can be killed at any moment, even while pytt handles one of its stops (a sibling
 * thread's exit_group or exec, a kill -9 from any process): the requests on it then fail, and
 * waitpid reports its death later, which forgets it. Only a live task's failure is pytt's. */
int rec_child_stop(struct rec_session *s, const struct pt_stop *st)
{
    if (child_stop(s, st) < 0) {
        if (!pt_task_gone(st->pid)) {
            return -1;
        }
        pt_err_clear();
    }
    return 0;
}

static int child_stop(struct rec_session *s, const struct pt_stop *st)
{
    if (st->kind == PT_STOP_EXITED || st->kind == PT_STOP_KILLED) {
        rec_proc_ended(s, st);
        forget_child(s, st->pid);
        return 0;
    }
    struct rec_child *c = find_child(s, st->pid);
    if (!c) {
        return first_stop(s, st->pid);
    }
    int sig = 0;
    c->held = c->up_held = 0;
    rec_peers_stopped(s, &c->up_counted);
    if (st->kind == PT_STOP_SYSCALL_ENTRY || st->kind == PT_STOP_SYSCALL_EXIT) {
        if (child_syscall(s, c, st) < 0) {
            return -1;
        }
        if (st->kind == PT_STOP_SYSCALL_ENTRY) { /* the call runs in the kernel meanwhile */
            return pt_resume_next(st->pid, 0);
        }
    } else if (st->kind == PT_STOP_EVENT) {
        if (st->event == PTRACE_EVENT_EXEC) {
            child_exec(s, st->pid);
            c = find_child(s, st->pid); /* child_exec may have moved the table */
            int r = c ? rec_adopt_at_exec(s, st->pid, &c->fds->k) : 0;
            if (r != 0) {
                if (r > 0) {
                    forget_child(s, st->pid); /* recorded by a recorder of its own now */
                }
                return r < 0 ? -1 : 0;
            }
        } else if (rec_child_birth(s, st) < 0) {
            return -1;
        }
        return pt_resume_next(st->pid, 0); /* events happen inside a syscall */
    } else if (st->kind == PT_STOP_SIGNAL && st->sig == SIGSTOP && c->stop_sent) {
        c->stop_sent = 0; /* pytt's own, from rec_child_hold_all */
    } else if (st->kind == PT_STOP_SIGNAL) {
        sig = st->sig; /* a descendant's signals are its own business */
    }
    return go_on(s, c, sig);
}

/* Is descendant task c possibly running user code (not held, not inside a syscall)? */
static int may_run_user_code(const struct rec_child *c)
{
    return !c->held && !c->in_syscall;
}

/* Wait for one stop of each task pick() chooses until it chooses none, handling each stop. */
static int wait_each(struct rec_session *s, int (*pick)(const struct rec_child *))
{
    for (;;) {
        struct rec_child *c = NULL;
        for (size_t i = 0; i < s->nchildren && !c; i++) {
            if (pick(&s->children[i])) {
                c = &s->children[i];
            }
        }
        if (!c) {
            return 0;
        }
        struct pt_stop st;
        if (pt_wait(c->pid, &st) < 0) {
            if (errno == ECHILD) { /* not ours any more */
                forget_child(s, c->pid);
                continue;
            }
            return pt_wrap("waiting for descendant %d", (int)c->pid);
        }
        if (rec_child_stop(s, &st) < 0) {
            return -1;
        }
    }
}

static int stop_coming_to_running(const struct rec_child *c)
{
    return !c->held && !c->in_syscall && c->stop_sent;
}

static int stop_coming(const struct rec_child *c)
{
    return !c->held && c->stop_sent;
}

int rec_child_drain_stops(struct rec_session *s)
{
    return wait_each(s, stop_coming);
}

int rec_child_hold_all(struct rec_session *s)
{
    for (size_t i = 0; i < s->nchildren; i++) {
        struct rec_child *c = &s->children[i];
        if (may_run_user_code(c) && !c->stop_sent) {
            if (syscall(SYS_tkill, c->pid, SIGSTOP) < 0) {
                continue; /* gone: its death is reported */
            }
            c->stop_sent = 1;
        }
    }
    return wait_each(s, stop_coming_to_running); /* its SIGSTOP, or a stop that came first */
}

/* Resume the held tasks (only those held for the upstream gate: up_only). */
static int release(struct rec_session *s, int up_only)
{
    for (size_t i = 0; i < s->nchildren; i++) {
        struct rec_child *c = &s->children[i];
        if (c->held && (!up_only || c->up_held)) {
            if (resume_user(s, c, c->held_sig) < 0 && !pt_task_gone(c->pid)) {
                return -1;
            }
            pt_err_clear();
        }
    }
    return 0;
}

int rec_child_release_all(struct rec_session *s)
{
    return release(s, 0);
}

int rec_child_release_upstream(struct rec_session *s)
{
    return release(s, 1);
}

int rec_child_poll(struct rec_session *s)
{
    for (size_t i = 0; i < s->nchildren; i++) {
        struct rec_child *c = &s->children[i];
        struct pt_stop st;
        int rc = c->held ? 1 : pt_wait_deadline(c->pid, &st, 0);
        if (rc < 0) {
            pt_err_clear(); /* not ours any more: its end is reported */
        } else if (rc == 0 && rec_child_stop(s, &st) < 0) {
            return -1;
        }
    }
    return 0;
}

void rec_child_free(struct rec_session *s)
{
    for (size_t i = 0; i < s->nchildren; i++) {
        pt_mem_close(&s->children[i].mem);
        fdmodel_put(s->children[i].fds);
    }
    free(s->children);
    for (size_t i = 0; i < s->nbirths; i++) {
        fdmodel_put(s->births[i].fds);
    }
    free(s->births);
}

/* Bring descendant task c into a ptrace-stop: 1 if it is in one, 0 if it is gone. Stops met
 * on the way are let go (the recording is over: nothing is logged any more). */
static int stop_for_handoff(struct rec_child *c)
{
    if (c->held) {
        return 1;
    }
    if (!c->stop_sent && syscall(SYS_tkill, c->pid, SIGSTOP) < 0) {
        return 0;
    }
    for (;;) {
        struct pt_stop st;
        if (pt_wait(c->pid, &st) < 0) {
            pt_err_clear();
            return 0;
        }
        if (st.kind == PT_STOP_EXITED || st.kind == PT_STOP_KILLED) {
            return 0;
        }
        if (st.kind == PT_STOP_SIGNAL && st.sig == SIGSTOP) {
            return 1; /* ours: it stays stopped, and is detached into a stop */
        }
        if (pt_resume_next(c->pid, st.kind == PT_STOP_SIGNAL ? st.sig : 0) < 0) {
            pt_err_clear();
            return 0;
        }
    }
}

int rec_child_handoff(struct rec_session *s)
{
    if (!pt_seccomp_tracing || s->nchildren == 0) {
        return 0;
    }
    pid_t *tids = calloc(s->nchildren, sizeof *tids);
    int n = 0;
    for (size_t i = 0; tids && i < s->nchildren; i++) {
        if (stop_for_handoff(&s->children[i])) {
            tids[n++] = s->children[i].pid;
        }
    }
    int rc = tids ? rec_passthrough(tids, n) : pt_fail("out of memory");
    free(tids);
    return rc;
}
