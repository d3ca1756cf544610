/*
 * rep_progress: telling the front end how a long motion is going. Backward searches report
 * each snapshot interval they replay (rep_reverse.c); forward runs report the tick reached once
 * the motion has lasted a second, then every second, from the replay loop's stops (syscalls,
 * and clock traps: the clock is armed every PROGRESS_TICKS while a front end listens, so a
 * pure computation stops often enough too).
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <time.h>

#define PROGRESS_AFTER 1.0 /* seconds before the first forward report */
#define PROGRESS_EVERY 1.0
#define PROGRESS_TICKS (1ull << 20) /* counted dispatches (loop iterations, calls) */

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

void rep_set_progress(struct rep_session *s, void (*fn)(void *ctx, const struct rep_progress *p),
                      void *ctx)
{
    s->progress = fn;
    s->progress_ctx = ctx;
}

void rep_progress_restart(struct rep_session *s)
{
    uint64_t now_c;
    s->prog_t0 = now_seconds();
    s->prog_last = s->prog_t0;
    if (s->state == REP_READY && s->clock.table && rep_clock_coarse(s, &now_c) == 0) {
        s->prog_due = now_c + PROGRESS_TICKS;
    }
    pt_err_clear();
}

uint64_t rep_progress_due(const struct rep_session *s)
{
    return s->progress && s->auto_snap ? s->prog_due : 0;
}

void rep_progress_passed(struct rep_session *s, uint64_t now_c)
{
    s->prog_due = now_c + PROGRESS_TICKS;
}

/* Called at every stop of a forward run. */
void rep_progress_forward(struct rep_session *s)
{
    if (!s->progress || !s->auto_snap || s->state != REP_READY || pt_interrupted) {
        return;
    }
    double t = now_seconds();
    if (t - s->prog_t0 < PROGRESS_AFTER || t - s->prog_last < PROGRESS_EVERY) {
        return;
    }
    s->prog_last = t;
    struct rep_progress p = {.backward = 0, .to = rep_last_tick(s)};
    if (rep_clock_now(s, &p.now) == 0) {
        s->progress(s->progress_ctx, &p);
    }
}

const char *rep_failure(const struct rep_session *s)
{
    return s->failed ? s->fail_msg : NULL;
}

uint64_t rep_last_tick(const struct rep_session *s)
{
    return PT_TICK(s->tr.last_tick, 0); /* the trace counts dispatches: its first moment there */
}
