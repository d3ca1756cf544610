/*
 * rec_gate_peers: the gate (rec_gate.c) across recorders. Under `record --children` a
 * descendant that execs CPython is recorded by a recorder of its own (rec_adopt.c), which
 * traces it: the recorder that handed it over cannot stop it any more. Such a child still
 * shares memory with the process that started it (multiprocessing's semaphores: a spawn
 * worker maps the same /dev/shm pages as its parent), so it must still run user code only
 * while that process's gate is open, or the parent's replay diverges.
 *
 * The gate is shared with the child recorders through a page of shared memory (a memfd the
 * child recorders inherit): `open` says whether they may let their process run user code, and
 * each child recorder counts, in its own slot, its threads it resumed into user code and has
 * not seen stop since. A child recorder resumes a thread into user code only while the gate
 * is open (else it waits, its process stopped); the owner, shutting the gate, waits until
 * every slot's count is 0, that is until each such thread has reached its next stop (a
 * syscall entry, a tick trap, a signal), then logs the shared pages they changed as usual.
 * Letting a thread into a syscall is not counted: it may block, and its exit stop waits for
 * the gate again. A child recorder that ended (or crashed: its process is killed with it)
 * counts nothing. A thread that runs long with no stop at all delays the owner's process
 * meanwhile, not the recording's correctness.
 *
 * The protocol is one level deep: each recorder owns the gate of the children it handed over,
 * and a child recorder's own handed-over children follow its gate, not the top one.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PEER_SLOTS 1000

struct rec_peer_slot {
    _Atomic int pid;     /* the child recorder (0: free or ended) */
    _Atomic int running; /* its threads resumed into user code, not stopped since */
};

struct rec_peer_gate {
    _Atomic int open;  /* futex word: child recorders may let user code run */
    _Atomic int ended; /* the owner is gone or done: never wait again */
    _Atomic int ran;   /* some child ran user code since the owner last logged */
    _Atomic int seq;   /* futex word: bumped when a count drops to 0 */
    _Atomic int nslots;
    _Atomic int owner; /* the owner's recorder */
    struct rec_peer_slot slot[PEER_SLOTS];
};

static long futex(_Atomic int *word, int op, int val, const struct timespec *ts)
{
    return syscall(SYS_futex, (int *)word, op, val, ts, NULL, 0);
}

static void wake_all(_Atomic int *word)
{
    futex(word, FUTEX_WAKE, INT_MAX, NULL);
}

/* ---- the owner's side ---- */

int rec_peers_new_slot(struct rec_session *s, int *fd, int *slot)
{
    if (!s->peers) {
        int mfd = memfd_create("pytt-gate", MFD_CLOEXEC);
        if (mfd < 0) {
            return pt_fail_errno("memfd_create");
        }
        if (ftruncate(mfd, sizeof *s->peers) < 0) {
            close(mfd);
            return pt_fail_errno("ftruncate(gate memfd)");
        }
        void *p = mmap(NULL, sizeof *s->peers, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
        if (p == MAP_FAILED) {
            close(mfd);
            return pt_fail_errno("mmap(gate memfd)");
        }
        s->peers = p;
        s->peers_fd = mfd;
        atomic_store(&s->peers->owner, (int)getpid());
        atomic_store(&s->peers->open, s->gate_open || s->nshmaps == 0);
    }
    int n = atomic_load(&s->peers->nslots);
    if (n >= PEER_SLOTS) {
        return pt_fail("more than %d Python children recorded by one recorder", PEER_SLOTS);
    }
    atomic_store(&s->peers->slot[n].pid, -1); /* taken; the child recorder writes its pid */
    atomic_store(&s->peers->nslots, n + 1);
    *fd = s->peers_fd;
    *slot = n;
    return 0;
}

void rec_peers_open(struct rec_session *s)
{
    if (s->peers && !atomic_load(&s->peers->open)) {
        atomic_store(&s->peers->open, 1);
        wake_all(&s->peers->open);
    }
}

/* Is slot i's recorder still there? A slot taken but not claimed yet (-1) is: it has not run
 * anything yet. */
static int slot_busy(struct rec_peer_slot *sl)
{
    int pid = atomic_load(&sl->pid);
    if (atomic_load(&sl->running) <= 0 || pid == 0) {
        return 0;
    }
    if (pid > 0 && kill(pid, 0) < 0 && errno == ESRCH) {
        atomic_store(&sl->pid, 0); /* it ended without counting its threads down */
        atomic_store(&sl->running, 0);
        return 0;
    }
    return 1;
}

int rec_peers_shut(struct rec_session *s)
{
    struct rec_peer_gate *g = s->peers;
    if (!g) {
        return 0;
    }
    atomic_store(&g->open, 0);
    for (;;) {
        int seq = atomic_load(&g->seq);
        int busy = 0, n = atomic_load(&g->nslots);
        for (int i = 0; i < n && !busy; i++) {
            busy = slot_busy(&g->slot[i]);
        }
        if (!busy) {
            return 0;
        }
        struct timespec ts = {0, 10 * 1000 * 1000}; /* then look for ended recorders again */
        futex(&g->seq, FUTEX_WAIT, seq, &ts);
    }
}

int rec_peers_ran(struct rec_session *s)
{
    return s->peers && atomic_exchange(&s->peers->ran, 0);
}

void rec_peers_end(struct rec_session *s)
{
    if (s->peers) {
        atomic_store(&s->peers->ended, 1);
        atomic_store(&s->peers->open, 1);
        wake_all(&s->peers->open);
    }
}

void rec_peers_free(struct rec_session *s)
{
    if (s->peers) {
        rec_peers_end(s);
        munmap(s->peers, sizeof *s->peers);
        s->peers = NULL;
    }
    if (s->peers_fd >= 0) {
        close(s->peers_fd);
        s->peers_fd = -1;
    }
}

/* ---- the child recorder's side ---- */

int rec_peers_attach(struct rec_session *s, int fd, int slot)
{
    void *p = mmap(NULL, sizeof *s->up, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        return pt_fail_errno("mmap(the gate of the parent's recorder)");
    }
    if (slot < 0 || slot >= PEER_SLOTS) {
        munmap(p, sizeof *s->up);
        return pt_fail("gate slot %d out of range", slot);
    }
    s->up = p;
    s->up_slot = &s->up->slot[slot];
    atomic_store(&s->up_slot->running, 0);
    atomic_store(&s->up_slot->pid, (int)getpid());
    return 0;
}

int rec_peers_may_run(struct rec_session *s, int *counted)
{
    struct rec_peer_gate *g = s->up;
    if (!g || *counted) {
        return 1;
    }
    atomic_fetch_add(&s->up_slot->running, 1);
    if (!atomic_load(&g->open) && !atomic_load(&g->ended)) {
        rec_peers_stopped(s, &(int){1});
        if (kill(atomic_load(&g->owner), 0) < 0 && errno == ESRCH) {
            atomic_store(&g->ended, 1); /* the owner's recorder died without opening it */
        }
        s->up_waiting = 1;
        return 0;
    }
    atomic_store(&g->ran, 1);
    *counted = 1;
    return 1;
}

void rec_peers_stopped(struct rec_session *s, int *counted)
{
    if (s->up && *counted) {
        *counted = 0;
        if (atomic_fetch_sub(&s->up_slot->running, 1) == 1) {
            atomic_fetch_add(&s->up->seq, 1);
            wake_all(&s->up->seq);
        }
    }
}

int rec_peers_wait(struct rec_session *s, struct pt_stop *st)
{
    if (!s->up_waiting) {
        return pt_wait(-1, st);
    }
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t deadline = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec + 1000 * 1000;
        int rc = pt_wait_deadline(-1, st, deadline);
        if (rc <= 0) {
            return rc;
        }
        if (atomic_load(&s->up->open) || atomic_load(&s->up->ended)) {
            s->up_waiting = 0;
            return 1;
        }
        struct timespec ts = {0, 1000 * 1000}; /* until it opens, or a stop comes */
        futex(&s->up->open, FUTEX_WAIT, 0, &ts);
        if (atomic_load(&s->up->open) || atomic_load(&s->up->ended)) {
            s->up_waiting = 0;
            return 1;
        }
    }
}

void rec_peers_detach(struct rec_session *s)
{
    if (s->up) {
        atomic_store(&s->up_slot->running, 0);
        atomic_store(&s->up_slot->pid, 0);
        atomic_fetch_add(&s->up->seq, 1);
        wake_all(&s->up->seq);
        munmap(s->up, sizeof *s->up);
        s->up = NULL;
    }
}
