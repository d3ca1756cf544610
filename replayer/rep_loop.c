/*
 * rep_loop: the replay session's life: open and validate the trace, start the tracee, run it
 * event by event to the end (or to a requested event), and check that it ends the way the
 * recording did (same exit status, same fatal signal, or where the recording stopped early).
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

int rep_open(struct rep_session **out, const struct rep_options *opt)
{
    struct rep_session *s = calloc(1, sizeof *s);
    s->opt = *opt;
    s->pid = -1;
    pt_event_init(&s->ev);
    rep_fd_init(s);
    *out = s;
    if (pt_tracer_open(&s->tr, opt->trace_dir) < 0) {
        return -1;
    }
    return rep_check_files(s);
}

int rep_start(struct rep_session *s)
{
    s->cpu = pt_pick_cpu();
    if (pt_pin_self(s->cpu) < 0 || rep_spawn(s) < 0) {
        return -1;
    }
    s->state = REP_READY;
    pt_tsc_like_tracee();
    rep_clock_interruptible(s);
    return rep_clock_event(s); /* a clock installed at startup is event 0 */
}

static void kill_tracee(struct rep_session *s)
{
    if (s->pid > 0) {
        pt_kill_wait(s->pid);
        s->pid = -1;
    }
}

/* The trace's END record has been reached: take it and finish. */
static int finish(struct rep_session *s)
{
    if (rep_child_output(s) < 0) {
        return -1;
    }
    s->end_tick = s->last_tick;
    if (s->pid > 0 && rep_clock_now(s, &s->end_tick) < 0) {
        pt_err_clear();
    }
    if (pt_tracer_next(&s->tr, &s->ev) != 1) {
        return -1;
    }
    s->end_how = s->ev.end_how;
    s->end_code = s->ev.end_code;
    snprintf(s->end_msg, sizeof s->end_msg, "%s", s->ev.end_msg);
    s->state = REP_FINISHED;
    kill_tracee(s);
    return 0;
}

static int at_end_record(struct rep_session *s)
{
    if (rep_child_output(s) < 0) {
        return 0;
    }
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    return nx && nx->type == PT_EV_END;
}

/* The tracee exited or was killed: so must it have when recorded. */
static int process_ended(struct rep_session *s, const struct pt_stop *st)
{
    int how = st->kind == PT_STOP_EXITED ? PT_END_EXITED : PT_END_SIGNALED;
    int code = how == PT_END_EXITED ? st->code : st->sig;
    s->pid = -1;
    if (rep_child_output(s) < 0) {
        return -1;
    }
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    if (!nx || nx->type != PT_EV_END || nx->end_how != how || nx->end_code != code) {
        return rep_divergence(s, "the program ended (%s) where the recording did not",
                              pt_stop_str(st));
    }
    return finish(s);
}

static int one_stop(struct rep_session *s)
{
    struct pt_stop st;
    if (pt_interrupted) {
        return pt_fail("interrupted");
    }
    if (rep_clock_prepare(s) < 0 || rep_catch_sync(s) < 0) {
        return -1;
    }
    s->presented = 0;
    int sig = s->resume_sig;
    s->resume_sig = 0;
    if (pt_resume_syscall(s->pid, sig) < 0 || pt_wait(s->pid, &st) < 0) {
        return -1;
    }
    switch (st.kind) {
    case PT_STOP_SYSCALL_ENTRY:
        if (at_end_record(s)) {
            return finish(s); /* the recording ended here: killed, or stopped early */
        }
        return rep_syscall(s, &st);
    case PT_STOP_SIGNAL:
        return rep_signal_stop(s, st.sig);
    case PT_STOP_EXITED:
    case PT_STOP_KILLED:
        return process_ended(s, &st);
    default:
        return pt_fail("unexpected stop of the replayed process: %s", pt_stop_str(&st));
    }
}

/* The tick now, for counting what a run replays (0 when the clock is not running yet). */
static uint64_t tick_or_zero(struct rep_session *s)
{
    uint64_t t = 0;
    if (s->state != REP_READY) {
        return s->end_tick;
    }
    if (s->clock.table && rep_clock_now(s, &t) < 0) {
        pt_err_clear();
        t = 0;
    }
    return t;
}

static int run_events(struct rep_session *s, uint64_t until_event);

int rep_run(struct rep_session *s, uint64_t until_event)
{
    uint64_t from = tick_or_zero(s);
    int rc = run_events(s, until_event);
    uint64_t to = tick_or_zero(s);
    if (from && to > from) {
        s->ticks_run += to - from;
    }
    return rc;
}

static int run_events(struct rep_session *s, uint64_t until_event)
{
    s->stopped_at_tick = 0;
    s->postmortem_tick = 0; /* moving on from the post-mortem stop (rep_goto_uncaught) */
    while (s->state == REP_READY && pt_tracer_pos(&s->tr) < until_event && !s->stopped_at_tick) {
        if (pt_interrupted) {
            return pt_fail("interrupted"); /* the tracee is stopped: the session stays usable */
        }
        if (one_stop(s) < 0) {
            if (pt_interrupted) {
                return -1;
            }
            kill_tracee(s);
            s->state = REP_FINISHED;
            s->end_how = PT_END_ABORTED;
            s->failed = 1;
            snprintf(s->fail_msg, sizeof s->fail_msg, "%s", pt_errmsg());
            return -1;
        }
        rep_progress_forward(s);
    }
    return 0;
}

int rep_run_to_tick(struct rep_session *s, uint64_t tick)
{
    uint64_t now;
    if (rep_clock_now(s, &now) < 0) {
        return -1;
    }
    if (!s->clock.table) {
        return pt_fail("the Python clock is not running yet at this point of the replay");
    }
    if (tick <= now) {
        return pt_fail("tick %llu is not ahead of the current tick %llu (going back needs "
                       "snapshots)",
                       (unsigned long long)tick, (unsigned long long)now);
    }
    s->stop_tick = tick;
    int rc = rep_run(s, UINT64_MAX);
    s->stop_tick = 0;
    return rc;
}

int rep_run_until_trap(struct rep_session *s)
{
    return rep_run(s, UINT64_MAX);
}

void rep_stats(const struct rep_session *s, uint64_t *ticks_run, uint64_t *restores)
{
    *ticks_run = s->ticks_run;
    *restores = s->restores;
}

int rep_tick(struct rep_session *s, uint64_t *tick)
{
    if (s->state != REP_READY) {
        *tick = s->end_tick;
        return 0;
    }
    return rep_clock_now(s, tick);
}

int rep_state(const struct rep_session *s)
{
    return s->state;
}

const struct pt_header *rep_header(const struct rep_session *s)
{
    return &s->tr.hdr;
}

uint64_t rep_position(const struct rep_session *s)
{
    return pt_tracer_pos(&s->tr);
}

uint64_t rep_nevents(const struct rep_session *s)
{
    return s->tr.nevents;
}

pid_t rep_pid(const struct rep_session *s)
{
    return s->pid;
}

struct pt_mem *rep_mem(struct rep_session *s)
{
    return &s->mem;
}

void rep_end(const struct rep_session *s, int *how, int *code, const char **msg)
{
    *how = s->end_how;
    *code = s->end_code;
    *msg = s->end_msg;
}

void rep_close(struct rep_session *s)
{
    if (!s) {
        return;
    }
    kill_tracee(s);
    rep_snap_free(s);
    if (s->pyi) {
        pyi_close(s->pyi);
    }
    pt_tracer_close(&s->tr);
    pt_event_free(&s->ev);
    pt_mem_close(&s->mem);
    free(s);
}
