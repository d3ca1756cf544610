/*
 * rep_clock: the Python clock during replay. It is installed when the log says it was
 * (a CLOCK event), every syscall's tick is checked against the recorded one (a different tick
 * is a divergence), signals logged at a tick are delivered at that tick, and the session can
 * be stopped at any tick (goto, and later step/next/breakpoints).
 *
 * Before each resume the countdown is set for the nearest tick anything waits for: the next
 * logged tick-signal, the requested stop, the next snapshot. The watchdog (rep_watchdog.c)
 * arms it, while the program runs, at one past the next syscall's recorded tick: a replay that
 * gets there without making the call has diverged, and the trap here reports it.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <string.h>

/* Make the running tracee trap at tick `at` (or its next dispatch if that has passed). The
 * tracee shares pytt's CPU, so it is not running while this runs and the countdown cannot move
 * under us. */
void rep_clock_trap_at(struct rep_session *s, uint64_t at)
{
    uint64_t countdown, now;
    if (s->pid <= 0 || !s->clock.table ||
        pt_mem_read(&s->mem, PT_CLOCK_COUNTDOWN, &countdown, 8) < 0) {
        pt_err_clear();
        return;
    }
    now = s->clock.base - countdown;
    uint64_t cd = at > now ? at - now : 1;
    if (cd < countdown && pt_mem_write(&s->mem, PT_CLOCK_COUNTDOWN, &cd, 8) == 0) {
        s->clock.base = now + cd;
        s->armed_for = UINT64_MAX;
    }
    pt_err_clear();
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
    return pt_clock_install(&s->clock, &s->mem, s->ev.clock_table, s->ev.clock_redirect);
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

static void earliest(uint64_t *want, uint64_t t, uint64_t now)
{
    if (t > now && (!*want || t < *want)) {
        *want = t;
    }
}

/* The tick the countdown should stop at now: 0 if none. */
static uint64_t wanted_tick(struct rep_session *s, uint64_t now)
{
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    uint64_t want = 0;
    earliest(&want, s->stop_tick, now);
    if (nx && nx->type == PT_EV_SIGNAL && nx->tick) {
        earliest(&want, nx->tick, now);
    }
    if (s->auto_snap) {
        if (s->snap_due <= now) {
            s->snap_due = now + REP_SNAP_INTERVAL; /* passed while stopped elsewhere */
        }
        earliest(&want, s->snap_due, now);
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
    uint64_t now;
    if (rep_clock_now(s, &now) < 0) {
        return -1;
    }
    uint64_t want = wanted_tick(s, now);
    if (want == s->armed_for) {
        return 0;
    }
    s->armed_for = want;
    return want ? pt_clock_arm(&s->clock, &s->mem, want) : pt_clock_idle(&s->clock, &s->mem);
}

/* The program ran past the tick where the recording made its next syscall. */
static int ran_past(struct rep_session *s, uint64_t now)
{
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    if (!nx || nx->type != PT_EV_SYSCALL || !nx->tick || now <= nx->tick) {
        return 0;
    }
    return rep_divergence(s,
                          "the program ran past Python tick %llu, where the recording made "
                          "syscall %s, without making it (now at tick %llu)",
                          (unsigned long long)nx->tick, pt_syscall_name(nx->nr),
                          (unsigned long long)now);
}

int rep_clock_trap(struct rep_session *s)
{
    uint64_t now;
    if (rep_clock_now(s, &now) < 0) {
        return -1;
    }
    s->armed_for = 0;
    if (ran_past(s, now) < 0) {
        return -1;
    }
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
