/*
 * rec_share: the recorders' token (rec_gate_peers.c) held only while a process can touch
 * shared pages, so that recorded processes that share memory (a multiprocessing Pool's workers)
 * run their computation in parallel.
 *
 * A recorded process in this mode gives the token back where it would have kept it (at a
 * syscall's exit, or at a counted dispatch once it has held it for a slice) and, at that same
 * moment, makes its shared mappings inaccessible (an injected mprotect(PROT_NONE); a mapping so
 * protected is *closed*). Replay gets a SHARE event there and applies the same protection at
 * the same event. Between events the program runs deterministically, so its first access to a
 * closed mapping faults at the same instruction in both: the recorder then takes the token,
 * logs the pages of that mapping other processes changed since its baseline (the bytes as
 * replay has them, taken where the process last had the mapping open and the token), opens the
 * mapping again (its own protection back) in a SHARE event replay applies at that fault, and
 * the instruction runs again. A syscall whose arguments point into a closed mapping (a futex
 * on a semaphore: it would get EFAULT), that reads or writes through pointers held in memory
 * (writev, sendmsg, ioctl: PT_SCF_INDIRECT in the syscall table, all mappings opened) or that
 * creates a task does the same at its entry: the
 * call is skipped to its exit, where the mapping is opened, and the thread is put back on its
 * syscall instruction to make the call again (replay does the same dance at that entry).
 *
 * Used only where it is exact and simple: a process of a --children tree with one thread, no
 * traced descendants of its own, the Python clock on and at most PT_SHARE_MAX shared mappings
 * (rec_share_usable); others keep the token while they run user code, as before. Writes of other
 * processes are only ever read through a fault or an entry, with the token: what the kernel reads
 * in a call (a futex word compared) is logged with the call as before.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Counted dispatches a process may keep the token with a mapping open, once others wait. */
#define REC_SHARE_SLICE 2048

static int closable(const struct rec_shmap *m)
{
    return m->shadow != NULL; /* what is not compared (too large, a device) is not gated */
}

/* Do all the mappings to close fit one SHARE event? */
static int few_enough(const struct rec_session *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nshmaps; i++) {
        n += closable(&s->shmaps[i]) != 0;
    }
    return n <= PT_SHARE_MAX;
}

int rec_share_usable(const struct rec_session *s)
{
    return s->grp && !rec_peers_ended(s) && s->nshmaps > 0 && s->nthreads == 1 &&
           s->nchildren == 0 && s->clock_state == REC_CLOCK_ON && few_enough(s);
}

static int set_prot(struct rec_session *s, const struct rec_shmap *m, int prot)
{
    uint64_t args[6] = {m->addr, m->len, (uint64_t)prot, 0, 0, 0};
    int64_t ret;
    pid_t tid = s->cur ? s->cur->tid : s->pid;
    if (pt_inject_syscall(tid, PT_PAGE_STUB_SYSCALL, SYS_mprotect, args, &ret) < 0) {
        return pt_wrap("protecting the shared mapping at 0x%llx", (unsigned long long)m->addr);
    }
    if (ret < 0) {
        return pt_fail("mprotect(0x%llx, %llu, %d) in the program failed: %s",
                       (unsigned long long)m->addr, (unsigned long long)m->len, prot,
                       strerror((int)-ret));
    }
    return 0;
}

static void add_range(struct rec_session *s, const struct rec_shmap *m, int prot)
{
    struct pt_share_range *r = &s->ev.ranges[s->ev.nranges++];
    r->addr = m->addr;
    r->len = m->len;
    r->prot = (uint32_t)prot;
    r->open_prot = (uint32_t)m->prot;
}

/* Close every open mapping (at a syscall exit or a counted dispatch) and give the token back. */
static int close_all(struct rec_session *s, uint8_t at, uint64_t tick)
{
    int holding = rec_peers_holding(s);
    pt_event_reset(&s->ev, PT_EV_SHARE);
    s->ev.tid = s->cur ? s->cur->tid : s->pid;
    s->ev.share_at = at;
    s->ev.tick = tick;
    for (size_t i = 0; i < s->nshmaps && s->ev.nranges < PT_SHARE_MAX; i++) {
        struct rec_shmap *m = &s->shmaps[i];
        if (m->closed || !closable(m)) {
            continue;
        }
        if (holding) {
            rec_mmap_shadow_refresh(s, m); /* nobody else wrote it since it was synced */
        }
        if (set_prot(s, m, PROT_NONE) < 0) {
            return -1;
        }
        m->closed = 1;
        add_range(s, m, PROT_NONE);
    }
    s->share_slice_end = 0;
    rec_peers_open(s);
    return s->ev.nranges ? rec_write_event(s) : 0;
}

/* A call the kernel restarts (-ERESTART*) does so on the way back to user code, which an
 * injected call would skip, and a signal handler may run there: at such an exit the gate
 * takes the token and logs the open mappings' changes into the call's event, as for a
 * process with threads (rec_gate.c), and the mappings stay open until the next exit. */
static int restarting(int64_t ret)
{
    return ret <= -512 && ret >= -516;
}

int rec_share_closes_at_exit(const struct rec_session *s, const struct rec_thread *t, int64_t ret)
{
    /* only where replay is at this thread's exit too: a thread that returns while none is
     * scheduled (the last other thread just ended) is switched to by a later event */
    return rec_share_usable(s) && t == s->cur && !restarting(ret);
}

int rec_share_after_exit(struct rec_session *s, struct rec_thread *t, int64_t ret)
{
    return rec_share_closes_at_exit(s, t, ret) ? close_all(s, PT_SHARE_EXIT, 0) : 0;
}

int rec_share_at_tick(struct rec_session *s, uint64_t now)
{
    if (!s->share_slice_end || now < s->share_slice_end) {
        return 0;
    }
    if (!rec_share_usable(s)) {
        s->share_slice_end = 0;
        return 0;
    }
    return close_all(s, PT_SHARE_TICK, now);
}

uint64_t rec_share_want(const struct rec_session *s)
{
    return s->share_slice_end;
}

/* Open the closed mappings `pick` selects: take the token, log what others changed in them,
 * give them their protection back. The event is written; the caller makes the injections
 * possible (a signal stop is fine; a syscall entry needs the call skipped first). */
static int open_some(struct rec_session *s, uint8_t at,
                     int (*pick)(const struct rec_shmap *, void *), void *ud, int *n)
{
    *n = 0;
    if (rec_peers_shut(s) < 0) {
        return -1;
    }
    pt_event_reset(&s->ev, PT_EV_SHARE);
    s->ev.tid = s->cur ? s->cur->tid : s->pid;
    s->ev.share_at = at;
    for (size_t i = 0; i < s->nshmaps && s->ev.nranges < PT_SHARE_MAX; i++) {
        struct rec_shmap *m = &s->shmaps[i];
        if (!m->closed || !pick(m, ud)) {
            continue;
        }
        if (rec_mmap_log_changes(s, m) < 0) {
            return -1;
        }
        add_range(s, m, m->prot);
        (*n)++;
    }
    if (rec_write_event(s) < 0) {
        return -1;
    }
    for (size_t i = 0; i < s->nshmaps; i++) {
        struct rec_shmap *m = &s->shmaps[i];
        if (m->closed && pick(m, ud)) {
            if (set_prot(s, m, m->prot) < 0) {
                return -1;
            }
            m->closed = 0;
        }
    }
    uint64_t now = 0;
    if (rec_share_usable(s) && rec_clock_tick(s, &now) == 0) {
        s->share_slice_end = now + REC_SHARE_SLICE;
    }
    return 0;
}

static int pick_addr(const struct rec_shmap *m, void *ud)
{
    uint64_t a = *(uint64_t *)ud;
    return a >= m->addr && a < m->addr + m->len;
}

static int pick_args(const struct rec_shmap *m, void *ud)
{
    const uint64_t *a = ud;
    for (int i = 0; i < 6; i++) {
        if (pick_addr(m, (void *)&a[i])) {
            return 1;
        }
    }
    return 0;
}

static int pick_all(const struct rec_shmap *m, void *ud)
{
    (void)m;
    (void)ud;
    return 1;
}

int rec_share_fault(struct rec_session *s, struct rec_thread *t, const siginfo_t *si)
{
    uint64_t addr = (uint64_t)(uintptr_t)si->si_addr;
    if (si->si_signo != SIGSEGV || si->si_code != SEGV_ACCERR) {
        return 0;
    }
    int hit = 0;
    for (size_t i = 0; i < s->nshmaps && !hit; i++) {
        hit = s->shmaps[i].closed && pick_addr(&s->shmaps[i], &addr);
    }
    if (!hit) {
        return 0;
    }
    int n;
    if (open_some(s, PT_SHARE_FAULT, pick_addr, &addr, &n) < 0) {
        return -1;
    }
    t->resume_sig = 0; /* the access runs again, the mapping open */
    return 1;
}

static int any_closed(const struct rec_session *s)
{
    for (size_t i = 0; i < s->nshmaps; i++) {
        if (s->shmaps[i].closed) {
            return 1;
        }
    }
    return 0;
}

/* Calls after which the process is not alone with its memory any more (a thread, a child that
 * inherits the mappings as they are), or that replace it; and calls whose memory the arguments
 * do not name (an iovec in private memory pointing into a shared mapping: writev would get
 * EFAULT, or a short count after writing part of its data, sendmsg the same). */
static int opens_all(int nr)
{
    const struct pt_syscall *sc = pt_syscall(nr);
    return nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork || nr == SYS_vfork ||
           nr == SYS_execve || nr == SYS_execveat || (sc && (sc->flags & PT_SCF_INDIRECT));
}

int rec_share_at_entry(struct rec_session *s, struct rec_thread *t, int nr, const uint64_t a[6])
{
    if (!any_closed(s) || nr == SYS_exit || nr == SYS_exit_group) {
        return 0;
    }
    int (*pick)(const struct rec_shmap *, void *) = opens_all(nr) ? pick_all : pick_args;
    int hit = 0;
    for (size_t i = 0; i < s->nshmaps && !hit; i++) {
        hit = s->shmaps[i].closed && pick(&s->shmaps[i], (void *)a);
    }
    if (!hit) {
        return 0;
    }
    /* the call is skipped to its exit, where the mappings are opened, and made again */
    int n;
    if (pt_skip_call(t->tid, &t->entry_regs) < 0 ||
        open_some(s, PT_SHARE_ENTRY, pick, (void *)a, &n) < 0 ||
        pt_rewind_to_call(t->tid, &t->entry_regs) < 0) {
        return pt_wrap("opening the shared mappings %s uses", pt_syscall_name(nr));
    }
    return 1;
}

int rec_share_open_all(struct rec_session *s)
{
    for (size_t i = 0; i < s->nshmaps; i++) {
        struct rec_shmap *m = &s->shmaps[i];
        if (m->closed) {
            if (set_prot(s, m, m->prot) < 0) {
                return -1;
            }
            m->closed = 0;
        }
    }
    return 0;
}
