/*
 * rec_gate: descendants that share memory with the recorded process (multiprocessing's
 * semaphores, queues' locks and shared values live in MAP_SHARED pages of /dev/shm files, and a
 * fork child inherits shared anonymous memory) write it while the recorded process reads it,
 * with no syscall in between: what a replay without them reads there is not what the recording
 * read, and replay diverges (a SemLock's sem_trywait took the slow path in one and not the
 * other: every multiprocessing.Pool recording diverged).
 *
 * So, as rr runs one task at a time, the recorder keeps a gate between the recorded process and
 * its descendants while it has shared mappings: descendants run user code only while the gate
 * is open, which it is only while no thread of the recorded process runs user code: the current
 * thread waits in a syscall that may block (a read of a pipe, a futex wait, a sleep, waitpid, a
 * vfork), or every thread does. When a thread of the recorded process returns from a syscall with
 * the gate open, the recorder shuts it first (each descendant task running user code gets a
 * SIGSTOP and is kept at that stop; those inside a syscall are kept at its exit stop), then logs
 * the pages of each shared mapping that changed since the gate opened (rec_mmap.c keeps a
 * shadow copy, taken at the opening: see gate_open) as output of that syscall: replay writes
 * them back there like any output, so the program reads the same bytes at the same moments.
 *
 * Where replay applies them matters: replay completes another thread's syscall at any point of
 * the current thread's run, so when the gate opens at the current thread's entry, the recorder
 * logs a SWITCH of that thread to itself there (rec_sched_mark_entry): replay applies the events
 * that follow only once that thread has reached that entry, as they happened. A thread's own
 * syscall exit is exact anyway.
 *
 * Progress: a recorded process that waits for a descendant without a call that may block (a
 * waitpid(WNOHANG) or poll(0) loop) opens the gate at a syscall entry once it has been shut for
 * REC_GATE_MAX_SHUT_NS; such busy waiting records slowly (the descendants run only during those
 * syscalls). Not covered: a descendant's kernel writing shared memory from inside a syscall (a
 * read() into a shared buffer) while the gate is shut, a recorded process spinning on shared
 * memory with no syscall at all, and shared mappings over REC_SHADOW_LIMIT.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"

#include <time.h>

#define REC_GATE_MAX_SHUT_NS (2 * 1000 * 1000)

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int rec_gate_active(const struct rec_session *s)
{
    return s->nshmaps > 0 && s->nchildren > 0;
}

/* Is a thread created but not stopped yet? It would run user code at its first stop, which is
 * no event where the shared pages could be logged: the gate stays shut until it has stopped. */
static int thread_being_born(const struct rec_session *s)
{
    for (size_t i = 0; i < s->nthreads; i++) {
        if (s->threads[i]->state == REC_T_NEW) {
            return 1;
        }
    }
    return 0;
}

/* Does a descendant run user code although the gate is shut (see rec_gate_at_exit)? */
static int descendant_running(const struct rec_session *s)
{
    for (size_t i = 0; i < s->nchildren; i++) {
        if (!s->children[i].held && !s->children[i].in_syscall) {
            return 1;
        }
    }
    return 0;
}

/* Let the descendants run (the recorded process runs no user code until the syscall the
 * current thread is in returns). What is in the shared mappings now is what replay has there:
 * the program's own writes since the last comparison included. So that is what the
 * descendants' writes are compared with when the gate shuts: against the bytes last logged, a
 * semaphore the program decremented and a descendant incremented back looked unchanged, and
 * replay kept the decremented value (a ProcessPoolExecutor's call queue looked full). A
 * descendant already running keeps the old baseline: its writes are not logged yet. */
static void gate_open(struct rec_session *s)
{
    if (s->nchildren == 0 && !s->grp) {
        /* nobody could write the shared pages: no baseline now, nothing to compare at the
         * exit (a read of each shared mapping at every stop, ~27 KB for glibc's gconv cache
         * in every Python run). A descendant that appears takes it (rec_gate_new_child). */
        s->gate_unwatched = 1;
    } else if (!descendant_running(s)) {
        rec_mmap_shared_baseline(s);
        s->gate_unwatched = 0;
    }
    s->gate_open = 1;
    rec_peers_open(s);
    if (rec_child_release_all(s) < 0) {
        pt_err_clear(); /* a task that cannot be resumed is gone: its death is reported */
    }
}

int rec_gate_at_entry(struct rec_session *s, int may_block, int waits_for_child)
{
    s->cur_waits_for_child = waits_for_child;
    if (s->gate_open || thread_being_born(s)) {
        return 0;
    }
    if (!waits_for_child && !may_block && mono_ns() - s->gate_shut_ns < REC_GATE_MAX_SHUT_NS) {
        return 0;
    }
    /* the events other threads log from now on may carry descendants' writes: replay must not
     * apply them before this thread has reached this entry */
    if (s->nshmaps > 0 && rec_sched_mark_entry(s) < 0) {
        return -1;
    }
    gate_open(s);
    return 0;
}

int rec_gate_idle(struct rec_session *s)
{
    if (!s->gate_open && !thread_being_born(s)) {
        if (s->nshmaps > 0 && rec_sched_mark_entry(s) < 0) {
            return -1;
        }
        gate_open(s);
    }
    return 0;
}

int rec_gate_at_exit(struct rec_session *s, struct rec_thread *t, int64_t ret)
{
    int was_open = s->gate_open;
    s->gate_open = 0;
    s->gate_shut_ns = was_open ? mono_ns() : s->gate_shut_ns;
    if (s->nshmaps == 0) {
        rec_peers_open(s);
        return 0; /* no memory to share: descendants are not held */
    }
    if (rec_share_closes_at_exit(s, t, ret)) {
        return 0; /* its shared mappings are closed instead, at this exit (rec_share.c) */
    }
    /* the other recorded processes of the tree wait for the token (rec_gate_peers.c) */
    int took = rec_peers_shut(s);
    if (took < 0) {
        return -1;
    }
    /* a descendant can be running user code with the gate shut: it was created or the first
     * shared mapping appeared while the gate was shut. Only the current thread's own exit is
     * a moment where that can be logged: another thread's exit is logged while the current
     * one runs user code, and replay applies it anywhere in that run */
    int ran = was_open || took;
    for (size_t i = 0; i < s->nchildren && !ran && t == s->cur; i++) {
        ran = !s->children[i].held && !s->children[i].in_syscall;
    }
    if (!ran) {
        return 0;
    }
    if (was_open && s->gate_unwatched && s->nchildren == 0 && !took) {
        return 0; /* nobody shared the pages while it was open (see gate_open) */
    }
    if (rec_child_hold_all(s) < 0 || rec_mmap_shared_changes(s) < 0) {
        return pt_wrap("stopping the descendants that share memory with the program");
    }
    /* another thread returned while the current one waits in vfork for its child, which must
     * run; the returned thread does not run before the vfork returns */
    if (s->cur && s->cur != t && s->cur->in_syscall && s->cur_waits_for_child) {
        gate_open(s);
    }
    return 0;
}

void rec_gate_new_child(struct rec_session *s)
{
    if (s->gate_unwatched) {
        /* before the new task runs any user code: what is in the pages now is what replay
         * has, the program's own writes included */
        rec_mmap_shared_baseline(s);
        s->gate_unwatched = 0;
    }
}

int rec_gate_end(struct rec_session *s)
{
    s->gate_open = 1;
    rec_peers_end(s);
    if (rec_child_release_all(s) < 0) {
        return -1;
    }
    /* a SIGSTOP pytt sent and the task has not taken yet would stop it for good once pytt is
     * gone: let each come and swallow it */
    return rec_child_drain_stops(s);
}
