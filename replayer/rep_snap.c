/*
 * rep_snap: snapshots of the replay, for going backwards.
 *
 * A snapshot is a fork of the stopped tracee that is kept stopped (design notes §5): pytt
 * injects clone(CLONE_PTRACE | SIGCHLD) at a clock trap, so the copy is born traced and
 * stopped, with the whole address space shared copy-on-write. Restoring clones the snapshot
 * again and makes the fresh copy the tracee, with the registers, Python clock, event position
 * and descriptor model the snapshot was taken with; the snapshot itself stays untouched, so it
 * can be restored any number of times. Snapshots are taken only at clock traps with the plain
 * trampolines installed, so a restored copy resumes exactly like the original did.
 *
 * Which snapshots are kept: a snapshot is taken automatically every REP_SNAP_INTERVAL ticks of
 * forward execution, and whenever a reverse motion lands (so the next one starts close by). When
 * more than PYTT_SNAPSHOTS (default 24) exist, or (checked at interval snapshots) their memory
 * exceeds PYTT_SNAPSHOT_MB (proportional set size, default no limit), the one whose removal leaves
 * the smallest gap relative to its distance from the newest goes, so spacing grows with age (O(log
 * L) kept over a long run), as rr thins its checkpoints. The first snapshot (the start of the main
 * script) is never dropped.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int rep_clone_stopped(pid_t pid, uint64_t flags, pid_t *child)
{
    uint64_t args[6] = {CLONE_PTRACE | SIGCHLD | flags, 0, 0, 0, 0, 0};
    int64_t ret;
    if (pt_inject_syscall(pid, PT_PAGE_STUB_SYSCALL, SYS_clone, args, &ret) < 0) {
        return pt_wrap("cloning process %d", (int)pid);
    }
    if (ret <= 0) {
        return pt_fail("clone in process %d failed (%lld)", (int)pid, (long long)ret);
    }
    struct pt_stop st;
    if (pt_wait((pid_t)ret, &st) < 0) {
        return -1;
    }
    if (st.kind != PT_STOP_SIGNAL && st.kind != PT_STOP_GROUP) {
        return pt_fail("the copy of process %d did not stop (%s)", (int)pid, pt_stop_str(&st));
    }
    *child = (pid_t)ret;
    return 0;
}

static void drop_snapshot(struct rep_session *s, int i)
{
    pt_kill_wait(s->snaps[i].pid);
    rep_threads_free(&s->snaps[i]);
    memmove(&s->snaps[i], &s->snaps[i + 1], (size_t)(s->nsnaps - i - 1) * sizeof s->snaps[0]);
    s->nsnaps--;
}

/* A snapshot's proportional set size in KiB (-1 if unreadable). */
static long snapshot_kib(pid_t pid)
{
    char path[64], line[256];
    long pss = -1;
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "re");
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "Pss:", 4) == 0) {
            pss = atol(line + 4);
        }
    }
    if (f) {
        fclose(f);
    }
    return pss;
}

static int over_budget(struct rep_session *s)
{
    long total = 0;
    for (int i = 0; i < s->nsnaps; i++) {
        long kib = snapshot_kib(s->snaps[i].pid);
        total += kib > 0 ? kib : 0;
    }
    return total > s->budget_kib;
}

/* Keep spacing growing with distance from where the replay is now (which is where the user
 * works, wherever that is in the run): drop the snapshot whose neighbours are closest
 * together relative to its distance from here. The first snapshot and the two made last
 * (where reverse motions will start next) are never dropped. */
static void thin(struct rep_session *s, int check_memory)
{
    if (!s->max_snaps) {
        const char *n = getenv("PYTT_SNAPSHOTS"), *mb = getenv("PYTT_SNAPSHOT_MB");
        s->max_snaps = n && atoi(n) >= 2 ? atoi(n) : 24;
        s->max_snaps = s->max_snaps > REP_MAX_SNAPS ? REP_MAX_SNAPS : s->max_snaps;
        s->budget_kib = mb && atol(mb) > 0 ? atol(mb) * 1024 : 0;
    }
    while (s->nsnaps > 2 && check_memory && s->budget_kib && over_budget(s)) {
        drop_snapshot(s, 1); /* the oldest droppable one: the start (0) stays */
    }
    uint64_t here = 0;
    if (rep_clock_now(s, &here) < 0) {
        pt_err_clear();
    }
    while (s->nsnaps > s->max_snaps) {
        int victim = -1;
        double best = 1e300;
        for (int i = 1; i < s->nsnaps; i++) {
            if (s->snaps[i].made + 2 > s->nmade) {
                continue; /* one of the last two made */
            }
            uint64_t t = s->snaps[i].tick;
            uint64_t next =
                i + 1 < s->nsnaps ? s->snaps[i + 1].tick : t + (t - s->snaps[i - 1].tick);
            double gap = (double)(next - s->snaps[i - 1].tick);
            double dist = (double)(t > here ? t - here : here - t) + 1.0;
            if (gap / dist < best) {
                best = gap / dist;
                victim = i;
            }
        }
        if (victim < 0) {
            break;
        }
        drop_snapshot(s, victim);
    }
}

int rep_snapshot(struct rep_session *s)
{
    uint64_t tick;
    int opcode;
    struct user_regs_struct r;
    if (s->state != REP_READY || rep_clock_now(s, &tick) < 0 || pt_getregs(s->tid, &r) < 0) {
        return -1;
    }
    if (!pt_clock_is_trap(&s->clock, r.rip, &opcode) && !(s->presented && r.rip == s->presented)) {
        return pt_fail("snapshots are taken at bytecode instructions");
    }
    for (int i = 0; i < s->nsnaps; i++) {
        if (s->snaps[i].tick == tick) {
            return 0; /* already have this moment */
        }
    }
    if (s->resume_sig) {
        /* a recorded signal is being delivered (the thread takes it when it resumes; its event
         * is consumed): a copy would resume without it. The handler's first instruction, just
         * after, is a moment a snapshot can hold. */
        return 0;
    }
    if (pt_clock_watch(&s->clock, &s->mem, NULL) < 0 || rep_catch_remove(s) < 0) {
        return -1;
    }
    if (s->nbp_stepover) {
        return 0; /* stopped on the catchpoint, not at an instruction: no snapshot here */
    }
    struct rep_snap snap;
    memset(&snap, 0, sizeof snap);
    if (rep_threads_save(s, &snap, &r) < 0) {
        rep_threads_free(&snap); /* a thread between states: no snapshot at this moment */
        pt_err_clear();
        return 0;
    }
    if (rep_clone_stopped(s->tid, 0, &snap.pid) < 0) {
        rep_threads_free(&snap);
        return -1;
    }
    snap.tick = tick;
    snap.made = s->nmade++;
    snap.event_pos = pt_tracer_pos(&s->tr);
    snap.regs = r;
    snap.fds = s->fds;
    snap.clock = s->clock;
    snap.last_tick = s->last_tick;
    snap.presented = s->presented;
    int at = s->nsnaps;
    while (at > 0 && s->snaps[at - 1].tick > tick) {
        at--;
    }
    memmove(&s->snaps[at + 1], &s->snaps[at], (size_t)(s->nsnaps - at) * sizeof snap);
    s->snaps[at] = snap;
    s->nsnaps++;
    s->last_snap_tick = tick;
    thin(s, s->auto_snap && PT_TICK_C(tick) + REP_SNAP_INTERVAL == s->snap_due);
    return 0;
}

int rep_restore(struct rep_session *s, int index)
{
    struct rep_snap *snap = &s->snaps[index];
    pid_t child;
    if (rep_clone_stopped(snap->pid, 0, &child) < 0) {
        return -1;
    }
    if (s->pid > 0) {
        rep_kill_process(s);
    }
    pt_mem_close(&s->mem);
    s->pid = child;
    pt_mem_init_pid(&s->mem, child);
    if (rep_threads_restore(s, snap, child) < 0) {
        return -1;
    }
    if (pt_tracer_seek(&s->tr, snap->event_pos) < 0) {
        return -1;
    }
    s->fds = snap->fds;
    s->clock = snap->clock;
    s->clock.watching = 0;
    s->armed_for = UINT64_MAX; /* the copy's countdown reads 0: re-arm before resuming */
    s->last_tick = snap->last_tick;
    s->presented = snap->presented;
    s->state = REP_READY;
    s->restores++;
    s->failed = 0;
    s->postmortem_tick = 0;
    s->resume_sig = 0;
    s->stop_tick = 0;
    s->watch_on = 0;
    s->nbp_pid = 0;
    s->nbp_stepover = 0;
    s->catch_hit = 0;
    if (s->auto_snap) {
        /* running forward again from here leaves snapshots every interval on the way, so
         * that moments around where the user goes are never far from one */
        s->snap_due = PT_TICK_C(snap->tick) + REP_SNAP_INTERVAL;
    }
    if (s->pyi) {
        pyi_set_target(s->pyi, child, &s->mem); /* code objects stay cached, re-checked */
    }
    return 0;
}

/* The latest snapshot strictly before tick t, or -1. */
int rep_snap_before(struct rep_session *s, uint64_t t)
{
    int best = -1;
    for (int i = 0; i < s->nsnaps; i++) {
        if (s->snaps[i].tick < t) {
            best = i;
        }
    }
    return best;
}

void rep_snap_free(struct rep_session *s)
{
    while (s->nsnaps > 0) {
        drop_snapshot(s, s->nsnaps - 1);
    }
}

int rep_enable_snapshots(struct rep_session *s)
{
    uint64_t now;
    s->auto_snap = 1;
    if (rep_clock_coarse(s, &now) < 0) {
        return -1;
    }
    s->snap_due = now + REP_SNAP_INTERVAL;
    return rep_snapshot(s);
}

int rep_snapshots(const struct rep_session *s, struct rep_snapinfo *out, int max)
{
    int n = 0;
    for (int i = 0; i < s->nsnaps && n < max; i++, n++) {
        out[n].tick = s->snaps[i].tick;
        out[n].pid = s->snaps[i].pid;
        out[n].pss_kib = snapshot_kib(s->snaps[i].pid);
    }
    return n;
}

int rep_snapshot_ticks(const struct rep_session *s, uint64_t *ticks, int max)
{
    int n = 0;
    for (int i = 0; i < s->nsnaps && n < max; i++) {
        ticks[n++] = s->snaps[i].tick;
    }
    return n;
}
