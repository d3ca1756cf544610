/*
 * rep_clock: the Python clock during replay (pt_clock.h). It is installed when the log says it
 * was (a CLOCK event, with the recording's plan), every syscall's count of counted dispatches
 * is checked against the recorded one (a difference is a divergence), signals logged at a
 * counted dispatch are delivered there, and the session can be stopped at any tick.
 *
 * Before each resume the clock is set for the nearest moment anything waits for: the coarse
 * countdown for a counted dispatch (the next tick-signal, the next automatic snapshot, the
 * counted part of a requested tick), and, while watching, the fine countdown for a number of
 * dispatches (the rest of a requested tick within its interval, or "one more dispatch").
 * Anything that needs exact moments (a requested tick with k > 0, single dispatches, catching
 * raises) runs with the watch trampolines, which keep k. The watchdog (rep_watchdog.c) arms the
 * coarse countdown, while the program runs, one past the next syscall's recorded count: a
 * replay that gets there without making the call has diverged, and the trap here reports it.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <string.h>

/* Make the running tracee trap at counted dispatch `at` (or its next one if that has passed).
 * The tracee shares pytt's CPU, so it is not running while this runs and the countdown cannot
 * move under us. */
void rep_clock_trap_at(struct rep_session *s, uint64_t at)
{
    uint64_t countdown;
    if (s->pid <= 0 || !s->clock.table ||
        pt_mem_read(&s->mem, s->clock.countdown, &countdown, 8) < 0) {
        pt_err_clear();
        return;
    }
    uint64_t now = s->clock.base - countdown;
    uint64_t cd = at > now ? at - now : 1;
    /* the syscall buffer's library reads base and countdown: the ticks it sees from here on
     * in this run are not checked (ctl.moved first) */
    if (cd < countdown && rep_sysbuf_moved(s, 1) == 0 &&
        pt_mem_write(&s->mem, s->clock.countdown, &cd, 8) == 0) {
        s->clock.base = now + cd;
        s->armed_for = UINT64_MAX;
        s->sb_base_moved = 1;
        pt_clock_publish_base(&s->clock, &s->mem);
    }
    pt_err_clear();
}

int rep_clock_now(struct rep_session *s, uint64_t *tick)
{
    return pt_clock_now(&s->clock, &s->mem, tick);
}

int rep_clock_coarse(struct rep_session *s, uint64_t *count)
{
    return pt_clock_coarse(&s->clock, &s->mem, count);
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
    if (pt_clock_install(&s->clock, &s->mem, &s->ev.clock_plan) < 0) {
        return -1;
    }
    return rep_sysbuf_clock(s);
}

int rep_clock_check(struct rep_session *s, uint64_t recorded)
{
    uint64_t now;
    if (rep_clock_coarse(s, &now) < 0) {
        return -1;
    }
    s->last_tick = now;
    if (now != recorded) {
        return rep_divergence(s,
                              "the program reached this syscall after %llu counted bytecode "
                              "dispatches, but after %llu when recorded",
                              (unsigned long long)now, (unsigned long long)recorded);
    }
    return 0;
}

/* The counted dispatch the coarse countdown should stop at: 0 if none. */
static uint64_t wanted_count(struct rep_session *s, uint64_t now_c)
{
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    uint64_t want = 0;
    if (s->stop_tick && PT_TICK_C(s->stop_tick) > now_c) {
        want = PT_TICK_C(s->stop_tick);
    }
    if (nx && nx->type == PT_EV_SIGNAL && nx->tick && (!want || nx->tick < want)) {
        want = nx->tick;
    }
    uint64_t share = rep_share_tick(s); /* the recording closed the shared mappings there */
    if (share && (!want || share < want)) {
        want = share;
    }
    uint64_t sw = rep_sched_switch_tick(s); /* the recording preempted this thread there */
    if (sw && (!want || sw < want)) {
        want = sw;
    }
    if (s->auto_snap && s->snap_due <= now_c) {
        s->snap_due = now_c + REP_SNAP_INTERVAL; /* passed while stopped elsewhere */
    }
    if (s->auto_snap && (!want || s->snap_due < want)) {
        want = s->snap_due;
    }
    if (rep_progress_due(s) && rep_progress_due(s) <= now_c) {
        rep_progress_passed(s, now_c); /* passed while stopped elsewhere */
    }
    uint64_t progress = rep_progress_due(s); /* a stop to report a long motion's progress */
    if (progress && (!want || progress < want)) {
        want = progress;
    }
    return want > now_c ? want : 0;
}

/* Dispatches to run before stopping, counted by the fine countdown: 0 if none. The requested
 * tick's interval has been reached (its counted part is now), or single dispatches run. */
static int wanted_fine(struct rep_session *s, uint64_t now_c, uint64_t *n)
{
    *n = 0;
    if (s->fine_left) {
        *n = s->fine_left;
        return 0;
    }
    if (!s->stop_tick || PT_TICK_C(s->stop_tick) != now_c) {
        return 0;
    }
    uint64_t now;
    if (rep_clock_now(s, &now) < 0) {
        return -1;
    }
    if (now >= s->stop_tick) {
        return pt_fail("tick %llu.%llu is not ahead of the current tick %llu.%llu",
                       (unsigned long long)PT_TICK_C(s->stop_tick),
                       (unsigned long long)PT_TICK_K(s->stop_tick),
                       (unsigned long long)PT_TICK_C(now), (unsigned long long)PT_TICK_K(now));
    }
    *n = s->stop_tick - now;
    return 0;
}

/* The watch trampolines' configuration for this run: the motion's, or (for exact moments
 * only) one that traps on nothing but the countdowns. */
static const struct pt_watch *run_watch(struct rep_session *s, int exact, struct pt_watch *none)
{
    if (s->watch_on) {
        return &s->watch;
    }
    if (!exact) {
        return NULL;
    }
    memset(none, 0, sizeof *none);
    none->frame_reg = s->frame_reg;
    none->instr_reg = s->instr_reg;
    none->frame_zero_off = -1;
    none->keep_last = s->keep_last || s->hw.n > 0; /* a write trap's instruction: rep_hwatch.c */
    none->keep_traced_off = s->keep_traced_off;
    return none;
}

/* The coarse countdown armed for what the log has next (unchanged if it already is). */
static int arm_coarse(struct rep_session *s, uint64_t now_c)
{
    uint64_t want = wanted_count(s, now_c);
    if (want == s->armed_for) {
        return 0;
    }
    s->armed_for = want;
    return want ? pt_clock_arm(&s->clock, &s->mem, want) : pt_clock_idle(&s->clock, &s->mem);
}

int rep_clock_prepare(struct rep_session *s)
{
    struct pt_watch none;
    uint64_t now_c, fine;
    if (!s->clock.table) {
        return 0;
    }
    if (rep_clock_coarse(s, &now_c) < 0 || wanted_fine(s, now_c, &fine) < 0) {
        return -1;
    }
    int exact = fine || s->catch_armed || (s->stop_tick && PT_TICK_K(s->stop_tick)) || s->hw.n;
    if (pt_clock_watch(&s->clock, &s->mem, run_watch(s, exact, &none)) < 0) {
        return -1;
    }
    if (s->keep_last && rep_last_dispatch_sync(s, fine == 1) < 0) {
        return -1;
    }
    if (s->clock.watching && !s->fine_armed) {
        if (fine ? pt_clock_arm_fine(&s->clock, &s->mem, fine) < 0
                 : pt_clock_arm_fine(&s->clock, &s->mem, PT_CLOCK_IDLE) < 0) {
            return -1;
        }
        s->fine_armed = fine != 0;
    }
    if (pt_clock_resuming(&s->clock, &s->mem) < 0) {
        return -1;
    }
    return arm_coarse(s, now_c);
}

int rep_clock_rearm(struct rep_session *s)
{
    uint64_t now_c;
    if (!s->clock.table) {
        return 0;
    }
    return rep_clock_coarse(s, &now_c) < 0 ? -1 : arm_coarse(s, now_c);
}

/* Did the fine countdown reach 0 (the dispatches asked for have run)? */
static int fine_done(struct rep_session *s, int *done)
{
    uint64_t f;
    *done = 0;
    if (!s->fine_armed) {
        return 0;
    }
    if (pt_mem_read(&s->mem, PT_CLOCK_FINE(s->clock.countdown), &f, 8) < 0) {
        return pt_wrap("reading the fine countdown");
    }
    *done = f == 0;
    if (*done) {
        s->fine_armed = 0;
        s->fine_left = 0;
    }
    return 0;
}

/* The program ran past the counted dispatch at which the recording made its next syscall. */
static int ran_past(struct rep_session *s, uint64_t now_c)
{
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    struct rep_thread *c = rep_thread_cur(s);
    /* (a syscall of another thread, logged when it returned, has no meaningful clock) */
    if (!nx || nx->type != PT_EV_SYSCALL || !nx->tick || now_c <= nx->tick || !c ||
        nx->tid != c->rec_tid) {
        return 0;
    }
    return rep_divergence(s,
                          "the program ran past counted bytecode dispatch %llu, where the "
                          "recording made syscall %s, without making it (now at %llu)",
                          (unsigned long long)nx->tick, pt_syscall_name(nx->nr),
                          (unsigned long long)now_c);
}

int rep_clock_trap(struct rep_session *s, int opcode)
{
    uint64_t now, now_c;
    int done;
    if (pt_clock_at_trap(&s->clock, &s->mem, opcode) < 0 || rep_clock_coarse(s, &now_c) < 0 ||
        fine_done(s, &done) < 0) {
        return -1;
    }
    s->armed_for = 0;
    if (ran_past(s, now_c) < 0) {
        return -1;
    }
    int counted = opcode >= 0 && opcode < 256 && s->clock.counted[opcode];
    if (counted) {
        s->trap_count = now_c; /* a switch the recording made here waits for the resume */
    }
    if (rep_progress_due(s) && now_c >= rep_progress_due(s)) {
        rep_progress_passed(s, now_c);
    }
    if (s->auto_snap && now_c >= s->snap_due) {
        s->snap_due = now_c + REP_SNAP_INTERVAL; /* rep_snapshot checks the budget when equal */
        if (rep_snapshot(s) < 0) {
            return -1;
        }
    }
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    struct rep_thread *c = rep_thread_cur(s);
    if (counted && rep_share_next(s, PT_SHARE_TICK, now_c)) { /* before a signal, as recorded */
        if (rep_share_apply(s) < 0) {
            return -1;
        }
        nx = pt_tracer_peek(&s->tr);
    }
    if (counted && nx && nx->type == PT_EV_SIGNAL && nx->tick == now_c && c &&
        nx->tid == c->rec_tid && rep_deliver_logged_signal(s) < 0) {
        return -1;
    }
    if (s->stop_tick && rep_clock_now(s, &now) == 0 && now == s->stop_tick) {
        s->stop_tick = 0;
        s->stopped_at_tick = 1;
    }
    pt_err_clear();
    if (done || s->watch_on) {
        s->stopped_at_tick = 1; /* dispatches asked for, a watched frame, instruction or opcode */
    }
    return 0; /* a switch due here is taken when the run goes on (rep_sched_drain) */
}
