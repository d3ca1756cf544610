/*
 * rec_gate_peers: the gate (rec_gate.c) across recorders. Under `record --children` a
 * descendant that execs CPython is recorded by a recorder of its own (rec_adopt.c), which
 * traces it: the recorder that handed it over cannot stop it any more. Such processes still
 * share memory (multiprocessing's semaphores: a spawn worker maps the same /dev/shm pages as
 * its parent and its sibling workers), and each recorded process must read there, at the same
 * moments, what its replay will find: as rr runs one task at a time, the recorded processes of
 * a tree that have shared mappings run user code one at a time.
 *
 * All the recorders of a tree share one page of memory (a memfd made by the top recorder and
 * inherited down). Its `holder` is the recorder whose process may run user code now, a token:
 * a recorder takes it where its gate shuts (its process returns from a syscall with shared
 * mappings: rec_gate_at_exit) before it logs the shared pages that changed meanwhile, and
 * gives it back where its gate opens (its process waits in a syscall that may block). A
 * recorder with no shared mapping never takes it. The fork children a child recorder traces
 * (a forkserver's workers) are not recorded: they run user code only while nobody holds the
 * token, each counted in its recorder's slot while it does, and a recorder that takes the
 * token waits until every other slot's count is 0 (each has reached its next stop). The top
 * recorder's own fork children follow its gate only. A recorder waiting for the token keeps
 * handling its own descendants' stops meanwhile (they may be what others wait for). A
 * recorder that died is noticed (its pid is gone) and its token and counts dropped.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <errno.h>
#include <fcntl.h>
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
    _Atomic int pid;     /* the recorder (0: free or ended, -1: its recorder is starting) */
    _Atomic int running; /* its untraced-by-others fork children resumed into user code */
};

struct rec_peer_gate {
    _Atomic int holder; /* futex word: the recorder whose process runs user code, 0 none */
    _Atomic int ended;  /* the top recording is over: nobody waits any more */
    _Atomic int seq;    /* futex word: bumped when a count drops to 0 */
    _Atomic int nslots;
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

static int gone(int pid)
{
    return pid > 0 && kill(pid, 0) < 0 && errno == ESRCH;
}

static int map_page(struct rec_session *s, int fd)
{
    void *p = mmap(NULL, sizeof *s->grp, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        return pt_fail_errno("mmap(the recorders' shared gate)");
    }
    s->grp = p;
    s->grp_fd = fd;
    return 0;
}

/* The top recorder makes the page at its first hand-over; it takes slot 0. */
static int create(struct rec_session *s)
{
    int fd = memfd_create("pytt-gate", MFD_CLOEXEC);
    if (fd < 0) {
        return pt_fail_errno("memfd_create");
    }
    if (ftruncate(fd, sizeof *s->grp) < 0 || map_page(s, fd) < 0) {
        close(fd);
        return pt_fail_errno("making the recorders' shared gate");
    }
    s->grp_slot = &s->grp->slot[0];
    atomic_store(&s->grp_slot->pid, (int)getpid());
    atomic_store(&s->grp->nslots, 1);
    if (!s->gate_open && s->nshmaps > 0) {
        atomic_store(&s->grp->holder, (int)getpid()); /* its process runs user code now */
    }
    return 0;
}

int rec_peers_new_slot(struct rec_session *s, int *fd, int *slot)
{
    if (!s->grp && create(s) < 0) {
        return -1;
    }
    int n = atomic_fetch_add(&s->grp->nslots, 1);
    if (n >= PEER_SLOTS) {
        atomic_fetch_sub(&s->grp->nslots, 1);
        return pt_fail("more than %d Python processes recorded in one tree", PEER_SLOTS);
    }
    atomic_store(&s->grp->slot[n].pid, -1);
    *fd = s->grp_fd;
    *slot = n;
    return 0;
}

int rec_peers_attach(struct rec_session *s, int fd, int slot)
{
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (map_page(s, fd) < 0) {
        return -1;
    }
    if (slot < 0 || slot >= PEER_SLOTS) {
        return pt_fail("gate slot %d out of range", slot);
    }
    s->grp_slot = &s->grp->slot[slot];
    atomic_store(&s->grp_slot->running, 0);
    atomic_store(&s->grp_slot->pid, (int)getpid());
    return 0;
}

void rec_peers_open(struct rec_session *s)
{
    if (!s->grp) {
        return; /* no peers (the common case): not even a getpid per stop */
    }
    int me = (int)getpid();
    if (atomic_compare_exchange_strong(&s->grp->holder, &me, 0)) {
        wake_all(&s->grp->holder);
    }
}

/* Is a slot other than ours counting fork children that run user code? */
static int others_running(struct rec_session *s)
{
    int n = atomic_load(&s->grp->nslots);
    for (int i = 0; i < n && i < PEER_SLOTS; i++) {
        struct rec_peer_slot *sl = &s->grp->slot[i];
        if (sl == s->grp_slot || atomic_load(&sl->running) <= 0) {
            continue;
        }
        if (!gone(atomic_load(&sl->pid))) {
            return 1;
        }
        atomic_store(&sl->running, 0); /* its recorder died; its tasks died with it */
    }
    return 0;
}

/* Wait a little for the holder to change (or a count to drop), handling our own descendants'
 * stops meanwhile: another recorder may be waiting for them. */
static int wait_a_little(struct rec_session *s, _Atomic int *word, int val)
{
    if (rec_child_poll(s) < 0) {
        return -1;
    }
    struct timespec ts = {0, 1000 * 1000};
    futex(word, FUTEX_WAIT, val, &ts);
    return 0;
}

int rec_peers_shut(struct rec_session *s)
{
    struct rec_peer_gate *g = s->grp;
    if (!g) {
        return 0;
    }
    int me = (int)getpid();
    int took = 0;
    for (;;) {
        if (atomic_load(&g->ended)) {
            return 0;
        }
        int h = 0;
        if (h == me || atomic_compare_exchange_strong(&g->holder, &h, me) || h == me) {
            took = h != me;
            break;
        }
        if (gone(h)) {
            atomic_compare_exchange_strong(&g->holder, &h, 0); /* died holding it */
            continue;
        }
        if (wait_a_little(s, &g->holder, h) < 0) {
            return -1;
        }
    }
    for (;;) {
        int seq = atomic_load(&g->seq);
        if (!others_running(s) || atomic_load(&g->ended)) {
            return took;
        }
        if (wait_a_little(s, &g->seq, seq) < 0) {
            return -1;
        }
    }
}

void rec_peers_end(struct rec_session *s)
{
    if (!s->grp) {
        return;
    }
    rec_peers_open(s);
    if (s->grp_slot == &s->grp->slot[0]) {
        atomic_store(&s->grp->ended, 1); /* the top one: nobody need wait any more */
        atomic_fetch_add(&s->grp->seq, 1);
        wake_all(&s->grp->holder);
        wake_all(&s->grp->seq);
    }
}

int rec_peers_holding(const struct rec_session *s)
{
    return s->grp && atomic_load(&s->grp->holder) == (int)getpid();
}

int rec_peers_ended(const struct rec_session *s)
{
    return s->grp && atomic_load(&s->grp->ended);
}

/* ---- fork children of a child recorder ---- */

int rec_peers_may_run(struct rec_session *s, int *counted)
{
    struct rec_peer_gate *g = s->grp;
    if (!g || *counted || s->grp_slot == &g->slot[0]) {
        return 1; /* the top recorder's own descendants follow its gate only */
    }
    atomic_fetch_add(&s->grp_slot->running, 1);
    int h = atomic_load(&g->holder);
    if (h != 0 && !atomic_load(&g->ended)) {
        rec_peers_stopped(s, &(int){1});
        if (gone(h)) {
            atomic_compare_exchange_strong(&g->holder, &h, 0);
        }
        s->up_waiting = 1;
        return 0;
    }
    *counted = 1;
    return 1;
}

void rec_peers_stopped(struct rec_session *s, int *counted)
{
    if (s->grp && *counted) {
        *counted = 0;
        if (atomic_fetch_sub(&s->grp_slot->running, 1) == 1) {
            atomic_fetch_add(&s->grp->seq, 1);
            wake_all(&s->grp->seq);
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
        int h = atomic_load(&s->grp->holder);
        if (h == 0 || atomic_load(&s->grp->ended)) {
            s->up_waiting = 0;
            return 1; /* nobody holds the token: the held fork children may go on */
        }
        if (gone(h)) {
            atomic_compare_exchange_strong(&s->grp->holder, &h, 0);
        }
    }
}

void rec_peers_free(struct rec_session *s)
{
    if (s->grp) {
        rec_peers_end(s);
        atomic_store(&s->grp_slot->running, 0);
        atomic_store(&s->grp_slot->pid, 0);
        atomic_fetch_add(&s->grp->seq, 1);
        wake_all(&s->grp->seq);
        munmap(s->grp, sizeof *s->grp);
        s->grp = NULL;
    }
    if (s->grp_fd >= 0) {
        close(s->grp_fd);
        s->grp_fd = -1;
    }
}
