/*
 * rep_clock: the Python clock during replay. It is installed when the log says it was
 * (a CLOCK event), every syscall's tick is checked against the recorded one (a different tick
 * is a divergence), signals logged at a tick are delivered at that tick, and the session can
 * be stopped at any tick (goto, and later step/next/breakpoints).
 *
 * Before each resume the countdown is set for the nearest tick anything waits for: the next
 * logged tick-signal or the requested stop.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <signal.h>
#include <string.h>

/* Ctrl-C while the tracee computes: make it trap at its next dispatch. The tracee shares
 * pytt's CPU, so it is not running while this runs and the countdown cannot move under us. */
static void interrupt_hook(void *ctx)
{
    struct rep_session *s = ctx;
    uint64_t countdown, one = 1;
    if (s->pid > 0 && s->clock.table &&
        pt_mem_read(&s->mem, PT_CLOCK_COUNTDOWN, &countdown, 8) == 0 && countdown > 1 &&
        pt_mem_write(&s->mem, PT_CLOCK_COUNTDOWN, &one, 8) == 0) {
        s->clock.base = s->clock.base - countdown + 1;
        s->armed_for = UINT64_MAX;
    }
}

void rep_clock_interruptible(struct rep_session *s)
{
    pt_wait_interrupt_hook = interrupt_hook;
    pt_wait_interrupt_ctx = s;
}

int rep_clock_now(struct rep_session *s, uint64_t *tick)
{
    return pt_clock_now(&s->clock, &s->mem, tick);
}

/* Install the clock if the next event says so. */
int rep_clock_event(struct rep_session *s)
{
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    if (!nx || nx->type != PT_EV_CLOCK) {
        return 0;
    }
    if (pt_tracer_next(&s->tr, &s->ev) != 1) {
        return -1;
    }
    s->armed_for = 0;
    return pt_clock_install(&s->clock, &s->mem, s->ev.clock_table, &s->ev.clock_plan);
}

int rep_clock_check(struct rep_session *s, uint64_t recorded)
{
    uint64_t now;
    if (rep_clock_now(s, &now) < 0) {
        return -1;
    }
    s->last_tick = now;
    if (now != recorded) {
        return rep_divergence(s,
                              "the program reached this syscall at Python tick %llu, but at "
                              "tick %llu when recorded",
                              (unsigned long long)now, (unsigned long long)recorded);
    }
    return 0;
}

/* The tick the countdown should stop at now: 0 if none. */
static uint64_t wanted_tick(struct rep_session *s)
{
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    uint64_t want = s->stop_tick;
    if (nx && nx->type == PT_EV_SIGNAL && nx->tick && (!want || nx->tick < want)) {
        want = nx->tick;
    }
    if (s->auto_snap && (!want || s->snap_due < want)) {
        want = s->snap_due;
    }
    return want;
}

int rep_clock_prepare(struct rep_session *s)
{
    if (!s->clock.table) {
        return 0;
    }
    if (pt_clock_watch(&s->clock, &s->mem, s->watch_on ? &s->watch : NULL) < 0) {
        return -1;
    }
    uint64_t want = wanted_tick(s);
    if (s->keep_last && rep_last_dispatch_sync(s, want) < 0) {
        return -1;
    }
    uint64_t now;
    if (want && (rep_clock_now(s, &now) < 0 || want <= now)) {
        if (!pt_errmsg()[0] && s->auto_snap && want == s->snap_due) {
            s->snap_due = now + REP_SNAP_INTERVAL; /* passed while stopped elsewhere */
            want = wanted_tick(s);
        }
        pt_err_clear();
    }
    if (want == s->armed_for) {
        return 0;
    }
    s->armed_for = want;
    return want ? pt_clock_arm(&s->clock, &s->mem, want) : pt_clock_idle(&s->clock, &s->mem);
}

int rep_clock_trap(struct rep_session *s)
{
    uint64_t now;
    if (rep_clock_now(s, &now) < 0) {
        return -1;
    }
    s->armed_for = 0;
    if (s->auto_snap && now >= s->snap_due) {
        s->snap_due = now + REP_SNAP_INTERVAL; /* rep_snapshot checks the budget when equal */
        if (rep_snapshot(s) < 0) {
            return -1;
        }
    }
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    if (nx && nx->type == PT_EV_SIGNAL && nx->tick == now && rep_deliver_logged_signal(s) < 0) {
        return -1;
    }
    if (s->stop_tick && now == s->stop_tick) {
        s->stop_tick = 0;
        s->stopped_at_tick = 1;
    }
    if (s->watch_on) {
        s->stopped_at_tick = 1; /* a watched frame, instruction or opcode */
    }
    return 0;
}
