/*
 * rep_thread: the threads of the replayed process and the recorded schedule.
 *
 * The recording ran one thread at a time (recorder/rec_sched.c) and logged every switch as a
 * SWITCH event saying where the thread that ran stopped: in a syscall that may block (its
 * SYSCALL event comes later, when the call returned), preempted at a counted dispatch, or
 * gone. Replay runs the same thread at the same moments: the current thread runs until the
 * moment its SWITCH names, then the next one runs. A syscall that returned while another
 * thread ran was logged when the recorder saw it return; replay completes it (emulated, so it
 * returns at once) when the log reaches it, before the current thread runs on. Its recorded
 * clock is not checked: it counted the other thread's progress at an arbitrary instant.
 *
 * Threads are created for real: a clone with CLONE_THREAD runs at replay, and the new thread's
 * id, which differs from the recorded one, is replaced by the recorded id wherever the
 * program sees it (clone's result, CLONE_PARENT_SETTID, CLONE_CHILD_SETTID): gettid and the
 * like are emulated, so the program only ever sees recorded ids.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

#include <elf.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

struct rep_thread *rep_thread_by_rec(struct rep_session *s, pid_t rec_tid)
{
    for (int i = 0; i < s->nthreads; i++) {
        if (s->threads[i].rec_tid == rec_tid) {
            return &s->threads[i];
        }
    }
    return NULL;
}

struct rep_thread *rep_thread_by_tid(struct rep_session *s, pid_t tid)
{
    for (int i = 0; i < s->nthreads; i++) {
        if (s->threads[i].tid == tid) {
            return &s->threads[i];
        }
    }
    return NULL;
}

struct rep_thread *rep_thread_cur(struct rep_session *s)
{
    return s->cur >= 0 && s->cur < s->nthreads ? &s->threads[s->cur] : NULL;
}

static struct rep_thread *add_thread(struct rep_session *s, pid_t rec_tid, pid_t tid, int state)
{
    if (s->nthreads == s->threads_cap) {
        int cap = s->threads_cap ? 2 * s->threads_cap : 8;
        struct rep_thread *v = realloc(s->threads, (size_t)cap * sizeof *v);
        if (!v) {
            abort(); /* out of memory for a few dozen bytes: nothing sensible is left to do */
        }
        s->threads = v;
        s->threads_cap = cap;
    }
    struct rep_thread *t = &s->threads[s->nthreads++];
    memset(t, 0, sizeof *t);
    t->rec_tid = rec_tid;
    t->tid = tid;
    t->state = state;
    return t;
}

void rep_threads_init(struct rep_session *s)
{
    s->nthreads = 0;
    add_thread(s, s->tr.hdr.pid, s->pid, REP_T_STOPPED);
    s->cur = 0;
    s->tid = s->pid;
}

void rep_thread_act(struct rep_session *s, int i)
{
    s->tid = s->threads[i].tid;
}

static void remove_thread(struct rep_session *s, struct rep_thread *t)
{
    int i = (int)(t - s->threads);
    if (s->cur == i) {
        s->cur = -1;
    } else if (s->cur > i) {
        s->cur--;
    }
    memmove(t, t + 1, (size_t)(s->nthreads - i - 1) * sizeof *t);
    s->nthreads--;
}

/* Wait for a new thread's first stop (its SIGSTOP) if it has not come yet. */
static int await_first_stop(struct rep_session *s, struct rep_thread *t)
{
    while (t->state == REP_T_NEW) {
        struct pt_stop st;
        if (pt_wait(t->tid, &st) < 0) {
            return -1;
        }
        if (st.kind != PT_STOP_SIGNAL && st.kind != PT_STOP_GROUP) {
            return pt_fail("the new thread %d did not start as it should (%s)", (int)t->tid,
                           pt_stop_str(&st));
        }
        t->state = REP_T_STOPPED;
    }
    return 0;
}

/* A syscall of a thread that waits at its entry (it was let into the kernel at record) is
 * logged as returned here: complete it now, from that entry stop. */
static int complete_foreign(struct rep_session *s, struct rep_thread *t)
{
    pid_t acting = s->tid;
    struct user_regs_struct saved = s->entry_regs;
    s->tid = t->tid;
    s->entry_regs = t->entry_regs;
    s->foreign = 1;
    int rc = rep_syscall_at_entry(s);
    s->foreign = 0;
    s->tid = acting;
    s->entry_regs = saved;
    if (rc < 0) {
        return pt_wrap("completing thread %d's syscall", (int)t->rec_tid);
    }
    t->state = REP_T_STOPPED;
    return 0;
}

/* Does the SWITCH nx apply now, given where the current thread is? */
static int switch_due(struct rep_session *s, const struct pt_event *nx, int at, int nr,
                      uint64_t tick)
{
    struct rep_thread *c = rep_thread_cur(s);
    if (!c) {
        return 1;
    }
    if (nx->switch_from != c->rec_tid || nx->switch_at != at) {
        return 0;
    }
    return (at != PT_SWITCH_ENTRY || nx->switch_nr == nr) &&
           (at != PT_SWITCH_TICK || nx->tick == tick);
}

static int take_switch(struct rep_session *s, int at)
{
    struct pt_event ev;
    pt_event_init(&ev);
    int rc = pt_tracer_next(&s->tr, &ev) == 1 ? 0 : -1;
    struct rep_thread *c = rep_thread_cur(s), *to = rc == 0 ? rep_thread_by_rec(s, ev.tid) : NULL;
    const struct pt_event *nx = rc == 0 && !to ? pt_tracer_peek(&s->tr) : NULL;
    if (nx && nx->type == PT_EV_END) {
        /* a fatal signal ends the process: the recorder saw one thread go and switched to
         * another that the kernel was killing too; here that one may be gone already */
        pt_event_free(&ev);
        return 0;
    }
    if (rc == 0 && !to) {
        rc = rep_divergence(s, "the recording switches to thread %d, which does not exist here",
                            (int)ev.tid);
    }
    pt_event_free(&ev);
    if (rc < 0 || await_first_stop(s, to) < 0) {
        return -1;
    }
    if (c && at == PT_SWITCH_ENTRY) {
        c->state = REP_T_AT_ENTRY;
        c->entry_regs = s->entry_regs;
    }
    if (to->state == REP_T_AT_ENTRY) {
        return rep_divergence(s,
                              "the recording runs thread %d on, but it waits in a syscall "
                              "here",
                              (int)to->rec_tid);
    }
    s->cur = (int)(to - s->threads);
    s->tid = to->tid;
    s->trap_count = 0;
    s->resume_sig = to->resume_sig;
    to->resume_sig = 0;
    if (c && c != to) {
        s->presented = 0;
    }
    return 0;
}

int rep_sched_drain_foreign(struct rep_session *s)
{
    for (;;) {
        if (rep_child_output(s) < 0) {
            return -1;
        }
        const struct pt_event *nx = pt_tracer_peek(&s->tr);
        struct rep_thread *c = rep_thread_cur(s);
        if (!nx || nx->type != PT_EV_SYSCALL || (c && nx->tid == c->rec_tid)) {
            return !nx && pt_errmsg()[0] ? -1 : 0;
        }
        struct rep_thread *t = rep_thread_by_rec(s, nx->tid);
        if (!t || t->state != REP_T_AT_ENTRY) {
            return 0; /* the usual checks say what is wrong */
        }
        if (complete_foreign(s, t) < 0) {
            return -1;
        }
    }
}

int rep_sched_drain(struct rep_session *s, int at, int nr, uint64_t tick)
{
    int changed = 0;
    for (;;) {
        if (rep_child_output(s) < 0) {
            return -1;
        }
        const struct pt_event *nx = pt_tracer_peek(&s->tr);
        if (!nx) {
            return pt_errmsg()[0] ? -1 : changed;
        }
        struct rep_thread *c = rep_thread_cur(s);
        if (nx->type == PT_EV_SYSCALL && (!c || nx->tid != c->rec_tid)) {
            struct rep_thread *t = rep_thread_by_rec(s, nx->tid);
            if (!t || t->state != REP_T_AT_ENTRY) {
                return rep_divergence(s,
                                      "the recording has a syscall of thread %d return here, "
                                      "but that thread is not waiting in one",
                                      (int)nx->tid);
            }
            if (complete_foreign(s, t) < 0) {
                return -1;
            }
            continue;
        }
        if (nx->type != PT_EV_SWITCH || !switch_due(s, nx, at, nr, tick)) {
            if (changed && nx->type == PT_EV_SIGNAL && nx->tick == 0 && c &&
                nx->tid == c->rec_tid && rep_deliver_logged_signal(s) < 0) {
                return -1; /* other threads' calls returned between the switch to it and its
                            * signal: it still takes the signal before it runs on */
            }
            return changed;
        }
        if (c && nx->tid == c->rec_tid) {
            /* a switch of a thread to itself at its syscall entry: from here on the events of
             * other threads may carry what descendants wrote into shared memory, so they are
             * applied only now (recorder/rec_gate.c). The thread goes on into its call. */
            struct pt_event ev;
            pt_event_init(&ev);
            int rc = pt_tracer_next(&s->tr, &ev) == 1 ? 0 : -1;
            pt_event_free(&ev);
            if (rc < 0) {
                return -1;
            }
            continue;
        }
        if (c && c->resume_sig == 0) {
            c->resume_sig = s->resume_sig; /* a signal it was about to take waits for it */
            s->resume_sig = 0;
        }
        if (take_switch(s, at) < 0) {
            return -1;
        }
        changed = 1;
        at = 0; /* the new current thread is stopped where it was: no switch from it yet */
        nx = pt_tracer_peek(&s->tr);
        if (nx && nx->type == PT_EV_SIGNAL && nx->tick == 0 &&
            nx->tid == s->threads[s->cur].rec_tid && rep_deliver_logged_signal(s) < 0) {
            return -1; /* delivered as it resumes after its syscall, as recorded */
        }
    }
}

uint64_t rep_sched_switch_tick(struct rep_session *s)
{
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    struct rep_thread *c = rep_thread_cur(s);
    if (nx && c && nx->type == PT_EV_SWITCH && nx->switch_at == PT_SWITCH_TICK &&
        nx->switch_from == c->rec_tid) {
        return nx->tick;
    }
    return 0;
}

int rep_thread_other_stop(struct rep_session *s, const struct pt_stop *st)
{
    struct rep_thread *t = rep_thread_by_tid(s, st->pid);
    if (!t) {
        return 0; /* a snapshot or a replaced copy ending: not this process */
    }
    if (st->kind == PT_STOP_EXITED || st->kind == PT_STOP_KILLED) {
        remove_thread(s, t);
        return 0;
    }
    if (t->state == REP_T_NEW && (st->kind == PT_STOP_SIGNAL || st->kind == PT_STOP_GROUP)) {
        t->state = REP_T_STOPPED;
        return 0;
    }
    return pt_fail("thread %d stopped (%s) while another thread was running", (int)t->rec_tid,
                   pt_stop_str(st));
}

/* Where the kernel wrote the new thread's id for the parent and the child (clone's and
 * clone3's argument layouts). */
static int tid_slots(struct rep_session *s, const struct user_regs_struct *r, uint64_t flags,
                     pt_addr *ptid, pt_addr *ctid)
{
    *ptid = *ctid = 0;
    if (r->orig_rax == SYS_clone3) {
        uint64_t args[4];
        if (pt_mem_read(&s->mem, r->rdi, args, sizeof args) < 0) {
            return pt_wrap("reading clone3's arguments");
        }
        *ctid = (flags & CLONE_CHILD_SETTID) ? args[2] : 0;
        *ptid = (flags & CLONE_PARENT_SETTID) ? args[3] : 0;
        return 0;
    }
    *ptid = (flags & CLONE_PARENT_SETTID) ? r->rdx : 0;
    *ctid = (flags & CLONE_CHILD_SETTID) ? r->r10 : 0;
    return 0;
}

/* The word the kernel clears when a new thread ends (CLONE_CHILD_CLEARTID's child_tid). */
static int clear_slot(struct rep_session *s, const struct user_regs_struct *r, uint64_t *slot)
{
    if (r->orig_rax == SYS_clone3) {
        uint64_t args[3];
        if (pt_mem_read(&s->mem, r->rdi, args, sizeof args) < 0) {
            return pt_wrap("reading clone3's arguments");
        }
        *slot = args[2];
        return 0;
    }
    *slot = r->r10;
    return 0;
}

/* Run the clone at the current thread's entry stop to its exit; *tid: the new thread. */
static int run_clone(struct rep_session *s, pid_t *tid, struct user_regs_struct *x)
{
    *tid = 0;
    for (;;) {
        struct pt_stop st;
        if (pt_resume_syscall(s->tid, 0) < 0 || pt_wait(s->tid, &st) < 0) {
            return -1;
        }
        if (st.kind == PT_STOP_EVENT && st.event == PTRACE_EVENT_CLONE) {
            unsigned long msg = 0;
            if (ptrace(PTRACE_GETEVENTMSG, s->tid, NULL, &msg) < 0) {
                return pt_fail_errno("ptrace(PTRACE_GETEVENTMSG, %d)", (int)s->tid);
            }
            *tid = (pid_t)msg;
        } else if (st.kind == PT_STOP_SYSCALL_EXIT) {
            return pt_getregs(s->tid, x);
        } else if (st.kind != PT_STOP_SIGNAL) {
            return pt_fail("replaying clone: expected its exit, got %s", pt_stop_str(&st));
        }
    }
}

int rep_clone_thread(struct rep_session *s, struct user_regs_struct *r, uint64_t flags)
{
    struct user_regs_struct x;
    pid_t tid;
    pt_addr ptid, ctid;
    if (tid_slots(s, r, flags, &ptid, &ctid) < 0 || run_clone(s, &tid, &x) < 0) {
        return -1;
    }
    if ((int64_t)x.rax < 0 || !tid) {
        return rep_divergence(s, "creating a thread failed here (%lld), but not when recorded",
                              (long long)x.rax);
    }
    pid_t rec_tid = (pid_t)s->ev.ret;
    uint64_t clear_tid = 0;
    if ((flags & CLONE_CHILD_CLEARTID) && clear_slot(s, r, &clear_tid) < 0) {
        return -1;
    }
    struct rep_thread *nt = add_thread(s, rec_tid, tid, REP_T_NEW);
    nt->ctid = clear_tid;
    nt->born = rep_position(s);
    rep_thread_seen(s, nt);
    uint32_t id = (uint32_t)rec_tid;
    if ((ptid && pt_mem_write(&s->mem, ptid, &id, 4) < 0) ||
        (ctid && pt_mem_write(&s->mem, ctid, &id, 4) < 0)) {
        return pt_wrap("writing the recorded id of a new thread");
    }
    x.rax = (uint64_t)rec_tid;
    return pt_setregs(s->tid, &x);
}

/* ---- snapshots of several threads ------------------------------------------------------ */

/* A thread's blocked-signal mask, from /proc (SigBlk). */
static int thread_sigmask(pid_t pid, pid_t tid, uint64_t *mask)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
    FILE *f = fopen(path, "re");
    int found = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "SigBlk:", 7) == 0) {
            *mask = strtoull(line + 7, NULL, 16);
            found = 1;
        }
    }
    if (f) {
        fclose(f);
    }
    return found ? 0 : pt_fail("reading the signal mask of thread %d", (int)tid);
}

/* A thread's x87/SSE/AVX state. A copy made by fork has only the thread that forked, with that
 * thread's registers: the others are created again from it (recreate), and the first thread
 * may be given another thread's role, so each thread's own state is saved and put back. */
static int save_xstate(pid_t tid, struct rep_thread_image *im)
{
    uint8_t buf[16384];
    struct iovec iov = {buf, sizeof buf};
    if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov) < 0) {
        return pt_fail_errno("ptrace(PTRACE_GETREGSET, %d, NT_X86_XSTATE)", (int)tid);
    }
    im->xstate = malloc(iov.iov_len);
    if (!im->xstate) {
        return pt_fail("out of memory saving thread %d's registers", (int)tid);
    }
    memcpy(im->xstate, buf, iov.iov_len);
    im->xstate_len = iov.iov_len;
    return 0;
}

static int restore_xstate(pid_t tid, const struct rep_thread_image *im)
{
    struct iovec iov = {im->xstate, im->xstate_len};
    if (im->xstate && ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &iov) < 0) {
        return pt_fail_errno("ptrace(PTRACE_SETREGSET, %d, NT_X86_XSTATE)", (int)tid);
    }
    return 0;
}

void rep_threads_free(struct rep_snap *snap)
{
    for (int i = 0; snap->threads && i < snap->nthreads; i++) {
        free(snap->threads[i].xstate);
    }
    free(snap->threads);
    snap->threads = NULL;
}

int rep_threads_save(struct rep_session *s, struct rep_snap *snap,
                     const struct user_regs_struct *cur_regs)
{
    snap->nthreads = s->nthreads;
    snap->cur = s->cur;
    snap->trap_count = s->trap_count;
    snap->threads = calloc((size_t)(s->nthreads ? s->nthreads : 1), sizeof *snap->threads);
    for (int i = 0; i < s->nthreads; i++) {
        struct rep_thread_image *im = &snap->threads[i];
        im->t = s->threads[i];
        if (im->t.resume_sig || im->t.state == REP_T_NEW) {
            return pt_fail("thread %d is between states", (int)im->t.rec_tid); /* no snapshot */
        }
        int rc = i == s->cur                     ? (im->regs = *cur_regs, 0)
                 : im->t.state == REP_T_AT_ENTRY ? (im->regs = im->t.entry_regs, 0)
                                                 : pt_getregs(im->t.tid, &im->regs);
        if (rc < 0 || thread_sigmask(s->pid, im->t.tid, &im->sigmask) < 0 ||
            (s->nthreads > 1 && save_xstate(im->t.tid, im) < 0)) {
            return -1;
        }
    }
    return 0;
}

/* Run syscall nr in thread tid from pytt's stub (its registers are restored after). */
static int inject(pid_t tid, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                  uint64_t a4, int64_t *ret)
{
    uint64_t args[6] = {a0, a1, a2, a3, a4, 0};
    int64_t r;
    if (pt_inject_syscall(tid, PT_PAGE_STUB_SYSCALL, nr, args, &r) < 0) {
        return -1;
    }
    if (ret) {
        *ret = r;
    } else if (r < 0) {
        return pt_fail("syscall %ld in thread %d failed (%lld)", nr, (int)tid, (long long)r);
    }
    return 0;
}

/* The per-thread kernel state a thread had: its signal mask and alternate stack. */
static int set_thread_state(struct rep_session *s, pid_t tid, const struct rep_thread_image *im)
{
    if (pt_mem_write(&s->mem, PT_PAGE_SCRATCH, &im->sigmask, 8) < 0 ||
        inject(tid, SYS_rt_sigprocmask, SIG_SETMASK, PT_PAGE_SCRATCH, 0, 8, 0, NULL) < 0) {
        return pt_wrap("restoring the signal mask of thread %d", (int)im->t.rec_tid);
    }
    uint64_t disabled[3] = {0, SS_DISABLE, 0};
    const uint64_t *alt = im->t.altstack[2] ? im->t.altstack : disabled;
    if (pt_mem_write(&s->mem, PT_PAGE_SCRATCH, alt, 24) < 0 ||
        inject(tid, SYS_sigaltstack, PT_PAGE_SCRATCH, 0, 0, 0, 0, NULL) < 0) {
        return pt_wrap("restoring the alternate signal stack of thread %d", (int)im->t.rec_tid);
    }
    return 0;
}

/* Give a thread of the copy the registers it had; one that waited at a syscall entry goes back
 * onto its syscall instruction and runs to that entry again. */
static int place_thread(pid_t tid, const struct rep_thread_image *im)
{
    struct user_regs_struct r = im->regs;
    if (restore_xstate(tid, im) < 0) {
        return -1;
    }
    if (im->t.state != REP_T_AT_ENTRY) {
        r.orig_rax = (uint64_t)-1; /* nothing to restart: it is past its syscall */
        return pt_setregs(tid, &r);
    }
    r.rip -= 2;
    r.rax = r.orig_rax;
    r.orig_rax = (uint64_t)-1;
    struct pt_stop st;
    if (pt_setregs(tid, &r) < 0 || pt_resume_syscall(tid, 0) < 0 || pt_wait(tid, &st) < 0) {
        return -1;
    }
    if (st.kind != PT_STOP_SYSCALL_ENTRY) {
        return pt_fail("thread %d did not come back to its syscall entry (%s)", (int)im->t.rec_tid,
                       pt_stop_str(&st));
    }
    return 0;
}

/* Create thread im in the copy, from its first thread `leader`; *tid: the new thread. */
static int recreate(struct rep_session *s, pid_t leader, const struct rep_thread_image *im,
                    pid_t *tid)
{
    uint64_t flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                     CLONE_SYSVSEM | (im->t.ctid ? CLONE_CHILD_CLEARTID : 0);
    int64_t ret;
    /* the new thread starts at the stub's return with the leader's registers: replaced below */
    if (inject(leader, SYS_clone, flags, 0, 0, im->t.ctid, 0, &ret) < 0) {
        return -1;
    }
    if (ret <= 0) {
        return pt_fail("creating thread %d again failed (%lld)", (int)im->t.rec_tid,
                       (long long)ret);
    }
    *tid = (pid_t)ret;
    struct pt_stop st;
    if (pt_wait(*tid, &st) < 0) {
        return -1;
    }
    if (st.kind != PT_STOP_SIGNAL && st.kind != PT_STOP_GROUP) {
        return pt_fail("thread %d created again did not stop (%s)", (int)im->t.rec_tid,
                       pt_stop_str(&st));
    }
    return set_thread_state(s, *tid, im) < 0 ? -1 : place_thread(*tid, im);
}

int rep_threads_restore(struct rep_session *s, const struct rep_snap *snap, pid_t copy)
{
    int lead = 0;
    for (int i = 0; i < snap->nthreads; i++) {
        if (snap->threads[i].t.rec_tid == s->tr.hdr.pid) {
            lead = i;
        }
    }
    s->nthreads = 0;
    for (int i = 0; i < snap->nthreads; i++) {
        struct rep_thread *t = add_thread(s, snap->threads[i].t.rec_tid, 0, 0);
        *t = snap->threads[i].t;
        t->tid = 0;
        t->sysemu = t->skip_exit = 0; /* the copy's threads are resumed with PTRACE_SYSCALL */
    }
    /* the copy's own thread becomes the first thread; the others are created from it */
    s->threads[lead].tid = copy;
    if (snap->nthreads > 1 && set_thread_state(s, copy, &snap->threads[lead]) < 0) {
        return -1;
    }
    for (int i = 0; i < snap->nthreads; i++) {
        if (i != lead && recreate(s, copy, &snap->threads[i], &s->threads[i].tid) < 0) {
            return pt_wrap("restoring a snapshot of %d threads", snap->nthreads);
        }
    }
    if (place_thread(copy, &snap->threads[lead]) < 0) {
        return -1;
    }
    s->cur = snap->cur;
    s->tid = s->cur >= 0 ? s->threads[s->cur].tid : copy;
    s->trap_count = snap->trap_count;
    return 0;
}

void rep_thread_note_altstack(struct rep_session *s, const uint64_t args[6], int64_t ret)
{
    struct rep_thread *t = rep_thread_by_tid(s, s->tid);
    if (t && ret == 0 && args[0] && pt_mem_read(&s->mem, args[0], t->altstack, 24) < 0) {
        pt_err_clear();
    }
}

/* ---- the thread the user works in ------------------------------------------------------ */

int rep_select_thread(struct rep_session *s, pid_t rec_tid)
{
    if (!rep_thread_by_rec(s, rec_tid)) {
        return pt_fail("no thread %d at this moment", (int)rec_tid);
    }
    s->sel_tid = rec_tid;
    s->last_stop_tid = rec_tid; /* a stop in another thread then says so */
    return 0;
}

pid_t rep_selected_thread(const struct rep_session *s)
{
    return s->sel_tid;
}

pid_t rep_stop_thread(struct rep_session *s, int *switched)
{
    struct rep_thread *c = rep_thread_cur(s);
    pid_t tid = c ? c->rec_tid : 0;
    *switched = s->last_stop_tid && tid && tid != s->last_stop_tid;
    s->last_stop_tid = tid;
    return tid;
}

int rep_thread_ids(const struct rep_session *s, pid_t *out, int max)
{
    int n = 0;
    for (int i = 0; i < s->nthreads && n < max; i++) {
        out[n++] = s->threads[i].rec_tid;
    }
    return n;
}

int rep_in_selected_thread(struct rep_session *s)
{
    struct rep_thread *c = rep_thread_cur(s);
    return !s->sel_tid || !c || c->rec_tid == s->sel_tid ||
           !rep_thread_by_rec(s, s->sel_tid); /* the selected one ended: follow any */
}
