/*
 * rep_hwbp: the replayed threads' debug registers (common/pt_hwbp.h), for data watchpoints.
 *
 * The session holds what the four slots should watch (s->hw_want) and whether they are armed
 * now (s->hw_on: only while a watchpoint search or a run with watchpoints goes on; every other
 * run, and every snapshot, copy and evaluation, runs without). Registers are per thread, and
 * neither a new thread nor a restored copy inherits them, so the thread about to run is brought
 * to the wanted state at each resume (rep_hw_sync: one PTRACE_POKEUSER set when it changed).
 * A trap (SIGTRAP, TRAP_HWBKPT) ends the current run with the slots that fired in s->hw_fired;
 * the watchpoints then look at what changed (rep_watch.c).
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"

#include <string.h>

void rep_hw_set(struct rep_session *s, const struct pt_hwbp *want)
{
    if (memcmp(&s->hw_want, want, sizeof *want) != 0) {
        s->hw_want = *want;
        s->hw_gen++;
    }
}

void rep_hw_arm(struct rep_session *s, int on)
{
    if (s->hw_on != on) {
        s->hw_on = on;
        s->hw_gen++;
        s->hw_fired = 0;
    }
}

int rep_hw_sync(struct rep_session *s)
{
    struct rep_thread *t = rep_thread_cur(s);
    if (!t || t->hw_gen == s->hw_gen + 1) {
        return 0;
    }
    struct pt_hwbp none = {{0}, {0}, 0};
    if (!s->hw_on && t->hw_gen == 0) {
        t->hw_gen = s->hw_gen + 1; /* new or restored since: it has none, and needs none */
        return 0;
    }
    if (pt_hwbp_apply(t->tid, s->hw_on ? &s->hw_want : &none) < 0) {
        return pt_wrap("setting the debug registers of thread %d", (int)t->rec_tid);
    }
    t->hw_gen = s->hw_gen + 1; /* 0 stays "unknown": a thread created or restored since */
    return 0;
}

int rep_hw_trap(struct rep_session *s)
{
    unsigned slots;
    if (pt_hwbp_fired(s->tid, &slots) < 0) {
        return -1;
    }
    if (s->hw_on && (slots & s->hw_want.used)) {
        s->hw_fired |= slots & s->hw_want.used;
        s->stopped_at_tick = 1; /* the run ends here: the watchpoints look at the change */
    }
    return 0;
}
