/*
 * rec_sched: the threads of the recorded process, and the scheduler that runs them one at a
 * time (rr's model, design notes §8). All of them are pinned to pytt's CPU; exactly one, the
 * current thread, runs user code; every other thread is stopped at a ptrace stop (ready to be
 * scheduled) or was let into a syscall that may block and will stop at that syscall's exit. So
 * the Python clock, one countdown shared by all threads, counts one thread at a time and a
 * counted dispatch names one moment of the whole process.
 *
 * The scheduler switches threads at three kinds of moments, and logs each switch as a SWITCH
 * event naming where the previous thread stopped, so that replay reproduces the interleaving
 * exactly:
 *   - the current thread enters a syscall that may block (PT_SCF_BLOCKS: futex waits, reads,
 *     polls, sleeps...) while another is ready: it is let into the kernel and another runs;
 *     likewise when a thread becomes ready while the current one waits in such a syscall;
 *   - its time slice ends: a countdown trap at a counted dispatch (REC_SLICE counted
 *     dispatches after it was scheduled; only armed when there are other threads) while
 *     another is ready: this preempts a thread that runs pure Python, so it cannot starve the
 *     others, and the GIL's timed hand-off works as it does natively;
 *   - it exits.
 * A thread let into the kernel logs its SYSCALL event when pytt sees it return, and waits in
 * the ready queue. --chaos picks the next thread at random and draws slice lengths at random
 * (rr's chaos mode), to make rare interleavings frequent.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_proc.h"
#include "common/pt_ptrace.h"

#include <errno.h>
#include <linux/sched.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* A time slice is counted in counted dispatches (loop iterations, calls), so that it ends at
 * a moment replay can find; its length is adapted so that a slice lasts about REC_SLICE_NS of
 * real time: the GIL's hand-off is timed (a waiting thread asks for the GIL after 5 ms), and
 * a slice of a fixed count lasted 100 ms in a loop that makes a syscall per iteration. */
#define REC_SLICE_NS 1000000
#define REC_SLICE_MIN (1u << 6)
#define REC_SLICE_MAX (1u << 18)

struct rec_thread *rec_thread_find(struct rec_session *s, pid_t tid)
{
    for (size_t i = 0; i < s->nthreads; i++) {
        if (s->threads[i]->tid == tid) {
            return s->threads[i];
        }
    }
    return NULL;
}

struct rec_thread *rec_thread_add(struct rec_session *s, pid_t tid, int state)
{
    if (s->nthreads >= REC_MAX_THREADS) {
        pt_fail("the program started more than %d threads at once", REC_MAX_THREADS);
        return NULL;
    }
    if ((s->nthreads & (s->nthreads - 1)) == 0) { /* 0, 1, 2, 4...: grow */
        size_t cap = s->nthreads ? 2 * s->nthreads : 4;
        s->threads = realloc(s->threads, cap * sizeof *s->threads);
    }
    struct rec_thread *t = calloc(1, sizeof *t);
    t->tid = tid;
    t->state = state;
    t->restart_nr = -1;
    s->threads[s->nthreads++] = t;
    return t;
}

/* Resume thread t. A thread killed with its whole process (a fatal signal another thread
 * took) cannot be resumed any more: its end is reported next, so that is not an error. */
static int resume(struct rec_thread *t, int sig)
{
    t->resumed = 1;
    int no_exit = t->no_exit;
    t->no_exit = 0;
    int rc = no_exit ? pt_resume_cont(t->tid, sig) : pt_resume_next(t->tid, sig);
    if (rc < 0 && errno == ESRCH) {
        pt_err_clear();
        rc = 0;
    }
    return rc;
}

int rec_sched_resume_in_kernel(struct rec_thread *t)
{
    return t->state == REC_T_KERNEL ? resume(t, 0) : 0;
}

/* CLOCK_MONOTONIC through the syscall, not the vDSO: pytt traps rdtsc in itself too
 * (pt_tsc_like_tracee), and the coarse clock ticks every 4 ms, longer than a slice. */
static int64_t fine_now_ns(void)
{
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t rng_next(struct rec_session *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng;
}

static void ready_push(struct rec_session *s, struct rec_thread *t)
{
    t->state = REC_T_READY;
    t->next_ready = NULL;
    if (s->ready_tail) {
        s->ready_tail->next_ready = t;
    } else {
        s->ready_head = t;
    }
    s->ready_tail = t;
}

static void ready_remove(struct rec_session *s, struct rec_thread *t)
{
    struct rec_thread **pp = &s->ready_head, *prev = NULL;
    for (; *pp; prev = *pp, pp = &(*pp)->next_ready) {
        if (*pp == t) {
            *pp = t->next_ready;
            if (s->ready_tail == t) {
                s->ready_tail = prev;
            }
            t->next_ready = NULL;
            return;
        }
    }
}

/* The next thread to run: the longest waiting, or (--chaos) any. */
static struct rec_thread *ready_pop(struct rec_session *s)
{
    struct rec_thread *t = s->ready_head;
    if (t && s->opt->chaos) {
        size_t n = 0;
        for (struct rec_thread *u = s->ready_head; u; u = u->next_ready) {
            n++;
        }
        for (size_t k = rng_next(s) % n; k > 0; k--) {
            t = t->next_ready;
        }
    }
    if (t) {
        ready_remove(s, t);
    }
    return t;
}

int rec_sched_others_ready(const struct rec_session *s)
{
    return s->ready_head != NULL;
}

void rec_thread_gone(struct rec_session *s, struct rec_thread *t)
{
    rec_sysbuf_thread_gone(s, t);
    if (s->exiting == t) {
        s->exiting = NULL;
    }
    if (s->cur == t) {
        s->cur = NULL;
        s->switch_from = t->tid;
        s->switch_at = PT_SWITCH_EXITED;
    }
    ready_remove(s, t);
    for (size_t i = 0; i < s->nthreads; i++) {
        if (s->threads[i] == t) {
            s->threads[i] = s->threads[--s->nthreads];
            break;
        }
    }
    free(t);
}

/* The current thread stops running user code (it waits in a syscall, is preempted or ended):
 * remember where, for the next SWITCH event. */
static void leave(struct rec_session *s, int at, int nr, uint64_t tick)
{
    s->switch_from = s->cur->tid;
    s->switch_at = at;
    s->switch_nr = nr;
    s->switch_tick = tick;
    s->cur = NULL;
}

/* A thread waiting in a syscall that may block stops being current (it stays in the kernel). */
static void leave_in_kernel(struct rec_session *s)
{
    struct rec_thread *t = s->cur;
    t->state = REC_T_KERNEL;
    leave(s, PT_SWITCH_ENTRY, (int)t->entry_regs.orig_rax, 0);
}

/* Thread t can run (a syscall it waited in returned, or it was just born). If the current
 * thread is inside a syscall that may block, it may be waiting for t (a lock t holds, a
 * thread t must start): it stops being current, so t runs. Without this, a new thread whose
 * first stop came after its creator entered such a wait would never run. */
static void became_ready(struct rec_session *s, struct rec_thread *t)
{
    ready_push(s, t);
    struct rec_thread *c = s->cur;
    if (c && c->resumed && c->in_syscall) {
        uint64_t a[6] = {c->entry_regs.rdi, c->entry_regs.rsi, c->entry_regs.rdx,
                         c->entry_regs.r10, c->entry_regs.r8,  c->entry_regs.r9};
        if (pt_sc_may_block(pt_syscall(c->call_nr), c->call_nr, a)) {
            leave_in_kernel(s);
        }
    }
}

int rec_thread_first_stop(struct rec_session *s, struct rec_thread *t)
{
    t->resumed = 0;
    t->resume_sig = 0; /* its first stop's SIGSTOP is pytt's */
    became_ready(s, t);
    return 0;
}

int rec_thread_returned(struct rec_session *s, struct rec_thread *t)
{
    became_ready(s, t);
    return 0;
}

/* Does this call wait for the child it creates (vfork, clone or clone3 with CLONE_VFORK)? */
static int waits_for_child(struct rec_session *s, int nr, const uint64_t a[6])
{
    uint64_t flags = 0;
    if (nr == SYS_vfork) {
        return 1;
    }
    if (nr == SYS_clone) {
        flags = a[0];
    } else if (nr == SYS_clone3 && pt_mem_read_u64(&s->mem, a[0], &flags) < 0) {
        pt_err_clear();
        return 0;
    }
    return (nr == SYS_clone || nr == SYS_clone3) && (flags & CLONE_VFORK);
}

int rec_sched_at_entry(struct rec_session *s, const struct pt_syscall *sc, int nr)
{
    struct rec_thread *t = s->cur;
    if (nr == SYS_exit) {
        /* The thread ends here; no exit stop follows. Nothing else runs until its end is
         * reported: the kernel clears its CLONE_CHILD_CLEARTID word on the way, and glibc
         * reuses a thread's stack only once that word is 0, so another thread running
         * meanwhile would see it set or not by chance (replay always waits). */
        t->state = REC_T_KERNEL;
        s->exiting = t;
        leave(s, PT_SWITCH_EXITED, 0, 0);
        return resume(t, 0);
    }
    /* chaos switches anywhere but where a task is created (see PT_SCF_CREATES) */
    int creates = sc && (sc->flags & PT_SCF_CREATES);
    int chaos_switch = s->opt->chaos && !creates && rng_next(s) % 8 == 0;
    const struct user_regs_struct *r = &t->entry_regs;
    uint64_t a[6] = {r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9};
    int may_block = pt_sc_may_block(sc, nr, a);
    if (!s->ready_head || !(may_block || chaos_switch)) {
        /* t stays current, in the kernel: no user code of the process runs meanwhile */
        return rec_gate_at_entry(s, may_block, waits_for_child(s, nr, a));
    }
    leave_in_kernel(s);
    return resume(t, 0);
}

int rec_sched_at_tick(struct rec_session *s)
{
    uint64_t now;
    if (!s->slice_end || rec_clock_tick(s, &now) < 0 || now < s->slice_end) {
        return 0;
    }
    s->slice_end = 0;
    /* adapt the next slice's length to last about REC_SLICE_NS */
    int64_t took = fine_now_ns() - s->slice_start_ns;
    double len = (double)s->slice_len * REC_SLICE_NS / (double)(took > 1000 ? took : 1000);
    s->slice_len = len < REC_SLICE_MIN   ? REC_SLICE_MIN
                   : len > REC_SLICE_MAX ? REC_SLICE_MAX
                                         : (uint64_t)len;
    if (!s->ready_head) {
        return 0; /* nobody else wants the CPU: a new slice */
    }
    struct rec_thread *t = s->cur;
    leave(s, PT_SWITCH_TICK, 0, now);
    ready_push(s, t);
    return 0;
}

static int write_switch(struct rec_session *s, struct rec_thread *to)
{
    pt_event_reset(&s->ev, PT_EV_SWITCH);
    s->ev.tid = to->tid;
    s->ev.switch_from = s->switch_from;
    s->ev.switch_at = (uint8_t)s->switch_at;
    s->ev.switch_nr = s->switch_nr;
    s->ev.tick = s->switch_tick;
    s->switch_from = 0;
    s->switch_at = PT_SWITCH_NONE;
    s->switch_nr = 0;
    s->switch_tick = 0;
    s->nswitches++;
    return rec_write_event(s);
}

int rec_sched_mark_entry(struct rec_session *s)
{
    pid_t tid = s->cur ? s->cur->tid : s->switch_from;
    int nr = s->cur ? (int)s->cur->entry_regs.orig_rax : s->switch_nr;
    if (s->nthreads < 2 || (!s->cur && s->switch_at != PT_SWITCH_ENTRY)) {
        return 0; /* no other thread's events, or the last to run ended: nothing to order */
    }
    pt_event_reset(&s->ev, PT_EV_SWITCH);
    s->ev.tid = tid;
    s->ev.switch_from = tid;
    s->ev.switch_at = PT_SWITCH_ENTRY;
    s->ev.switch_nr = nr;
    return rec_write_event(s);
}

/* The counted dispatch where the current thread's slice ends (when others exist). */
uint64_t rec_sched_slice_end(struct rec_session *s, uint64_t now)
{
    if (s->nthreads < 2 || !s->cur) {
        return 0;
    }
    if (!s->slice_end) {
        if (!s->slice_len) {
            s->slice_len = 1u << 12;
        }
        uint64_t len = s->slice_len;
        if (s->opt->chaos) {
            len = 1 + rng_next(s) % (2 * len); /* chaos: any length up to 2 slices */
        }
        s->slice_end = now + len;
        s->slice_start_ns = fine_now_ns();
    }
    return s->slice_end;
}

/* Does delivering sig end the process (no handler, not ignored, a default action that
 * terminates)? */
static int signal_kills(struct rec_session *s, int sig)
{
    uint64_t caught = 0, ignored = 0, bit = 1ull << (sig - 1);
    if (sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH || sig == SIGSTOP ||
        sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
        return 0;
    }
    if (pt_proc_sigmasks(s->pid, &caught, &ignored) < 0) {
        pt_err_clear();
        return 0;
    }
    return !((caught | ignored) & bit);
}

int rec_sched_run(struct rec_session *s)
{
    if (s->exiting) {
        return 0; /* a thread is ending: see rec_sched_at_entry */
    }
    if (!s->cur && s->dying) {
        return 0; /* the process is ending: its other threads only die */
    }
    if (!s->cur) {
        struct rec_thread *t = ready_pop(s);
        if (!t) {
            /* every thread waits in the kernel: the next to return runs, and descendants
             * may run until then */
            return rec_gate_idle(s);
        }
        if (write_switch(s, t) < 0) {
            return -1;
        }
        s->cur = t;
        t->state = REC_T_CURRENT;
        s->slice_end = 0;
    }
    struct rec_thread *t = s->cur;
    if (t->resumed) {
        return 0;
    }
    s->ev_tid = t->tid;
    if (rec_clock_rearm(s) < 0) {
        return -1;
    }
    int sig = t->resume_sig;
    t->resume_sig = 0;
    if (sig && signal_kills(s, sig)) {
        s->dying = 1; /* the other threads only die from here: nothing else is scheduled */
    }
    return resume(t, sig);
}

void rec_sched_free(struct rec_session *s)
{
    for (size_t i = 0; i < s->nthreads; i++) {
        free(s->threads[i]);
    }
    free(s->threads);
    s->threads = NULL;
    s->nthreads = 0;
}
