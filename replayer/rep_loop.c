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

#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
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
    if (pt_pick_cpu(&s->cpu) < 0 || pt_pin_self(s->cpu) < 0 || rep_spawn(s) < 0) {
        return -1;
    }
    s->state = REP_READY;
    rep_threads_init(s);
    pt_tsc_like_tracee();
    rep_watchdog_install(s);
    /* a clock installed at startup is event 0; then what ld.so did, when it ran unstopped, and
     * a clock installed once ld.so relocated it */
    return rep_clock_event(s) < 0 || rep_loader_event(s) < 0 ? -1 : rep_clock_event(s);
}

static void kill_tracee(struct rep_session *s)
{
    if (s->pid > 0) {
        rep_kill_process(s);
        s->pid = -1;
    }
}

void rep_kill_process(struct rep_session *s)
{
    pid_t tids[s->nthreads + 1];
    int n = 0;
    for (int i = 0; i < s->nthreads; i++) {
        if (s->threads[i].tid != s->pid) {
            tids[n++] = s->threads[i].tid;
        }
    }
    pt_kill_wait_threads(s->pid, tids, n);
    s->nthreads = 0;
    s->cur = -1;
}

/* The trace's END record has been reached: take it and finish. */
static int finish(struct rep_session *s)
{
    if (rep_child_output(s) < 0) {
        return -1;
    }
    s->end_tick = PT_TICK(s->last_tick, 0);
    if (s->pid > 0 && rep_clock_now(s, &s->end_tick) < 0) {
        pt_err_clear(); /* a plain run ended: the last counted dispatch names the end */
        s->end_tick = PT_TICK(s->last_tick, 0);
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
    s->nthreads = 0;
    s->cur = -1;
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

/* A thread of the process ended. The process ends when its first thread's end is reported
 * (the kernel reports it after all the others); a thread that ends the process (exit_group)
 * takes the others with it. */
static int thread_ended(struct rep_session *s, const struct pt_stop *st)
{
    if (st->pid == s->pid) {
        return process_ended(s, st);
    }
    if (rep_thread_other_stop(s, st) < 0) {
        return -1;
    }
    if (!at_end_record(s)) {
        return 0; /* one thread ended; the recording switches to another next */
    }
    struct pt_stop last;
    do {
        if (pt_wait(-1, &last) < 0) {
            return -1;
        }
        if (last.pid != s->pid && rep_thread_other_stop(s, &last) < 0) {
            return -1;
        }
    } while (last.pid != s->pid);
    return process_ended(s, &last);
}

/* Wait for the current thread's next stop; other threads report only their first stops and
 * their ends meanwhile. */
static int wait_current(struct rep_session *s, struct pt_stop *st)
{
    for (;;) {
        if (pt_wait(-1, st) < 0) {
            return -1;
        }
        if (st->pid == s->tid) {
            return 0;
        }
        if (st->pid == s->pid && (st->kind == PT_STOP_EXITED || st->kind == PT_STOP_KILLED)) {
            return 0;
        }
        if (rep_thread_other_stop(s, st) < 0) {
            return -1;
        }
    }
}

static int one_stop(struct rep_session *s)
{
    struct pt_stop st;
    if (pt_interrupted) {
        return pt_fail("interrupted");
    }
    /* what comes before the current thread runs on: other threads' calls returning, a switch,
     * and its calls through the syscall buffer (which may hide the former) */
    int took;
    do {
        if (rep_sched_drain(s, s->trap_count ? PT_SWITCH_TICK : 0, 0, s->trap_count) < 0) {
            return -1;
        }
        if (s->cur < 0) {
            return at_end_record(s) ? finish(s)
                                    : rep_divergence(s, "no thread is running here, but the "
                                                        "recording goes on");
        }
        rep_thread_act(s, s->cur);
        if ((took = rep_sysbuf_prefill(s)) < 0) {
            return -1;
        }
    } while (took);
    if (s->sb_base_moved) {
        s->sb_base_moved = 0;
        if (rep_sysbuf_moved(s, 0) < 0) {
            return -1;
        }
    }
    if (rep_sysbuf_ready(s) < 0 || rep_clock_prepare(s) < 0 || rep_catch_sync(s) < 0 ||
        rep_hw_sync(s) < 0) {
        return -1;
    }
    s->presented = 0;
    int sig = s->resume_sig;
    s->resume_sig = 0;
    /* a thread killed with its whole process cannot be resumed: its end is reported next */
    s->running = 1;
    int rc = 0;
    struct rep_thread *c = rep_thread_cur(s);
    int emu = rep_syscall_emulable_next(s), skip_exit = 0;
    if (c) {
        skip_exit = c->skip_exit && !emu; /* resumed with PTRACE_SYSCALL: its exit stop comes */
        c->skip_exit = 0;
        c->sysemu = emu;
    }
    if (ptrace(emu ? PTRACE_SYSEMU : PTRACE_SYSCALL, s->tid, NULL, (void *)(long)sig) < 0 &&
        errno != ESRCH) {
        rc = pt_fail_errno("ptrace(%s, %d)", emu ? "PTRACE_SYSEMU" : "PTRACE_SYSCALL", (int)s->tid);
    }
    s->trap_count = 0;
    rc = rc < 0 ? -1 : wait_current(s, &st);
    s->running = 0;
    if (rc < 0 || rep_tlog_drain(s) < 0) {
        return -1;
    }
    if (s->watchdog_msg[0]) {
        s->pid = -1;
        return rep_divergence(s, "%s", s->watchdog_msg);
    }
    if (st.kind != PT_STOP_EXITED && st.kind != PT_STOP_KILLED && rep_sysbuf_check(s) < 0) {
        return -1;
    }
    switch (st.kind) {
    case PT_STOP_SYSCALL_EXIT:
        if (skip_exit) {
            return 0; /* a call skipped at its entry (rep_syscall.c, emulate), resumed with
                       * PTRACE_SYSCALL after all: nothing happens at its exit */
        }
        return pt_fail("unexpected stop of the replayed process: %s", pt_stop_str(&st));
    case PT_STOP_SYSCALL_ENTRY:
        if (at_end_record(s)) {
            return finish(s); /* the recording ended here: killed, or stopped early */
        }
        return rep_syscall(s, &st);
    case PT_STOP_SIGNAL:
        return rep_signal_stop(s, st.sig);
    case PT_STOP_EXITED:
    case PT_STOP_KILLED:
        return thread_ended(s, &st);
    default:
        return pt_fail("unexpected stop of the replayed process: %s", pt_stop_str(&st));
    }
}

static int run_loop(struct rep_session *s, uint64_t until_event)
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

/* Counted dispatches so far, for what a run replays (0 when the clock is not running yet). */
static uint64_t count_or_zero(struct rep_session *s)
{
    uint64_t c = 0;
    if (s->state != REP_READY) {
        return PT_TICK_C(s->end_tick);
    }
    if (s->clock.table && rep_clock_coarse(s, &c) < 0) {
        pt_err_clear();
        c = 0;
    }
    return c;
}

int rep_run(struct rep_session *s, uint64_t until_event)
{
    uint64_t from = count_or_zero(s);
    rep_watchdog_begin(s);
    int rc = run_loop(s, until_event);
    rep_watchdog_end(s);
    uint64_t to = count_or_zero(s);
    if (from && to > from) {
        s->ticks_run += to - from;
    }
    s->fine_left = 0; /* whatever the run was waiting for, it is over */
    s->fine_armed = 0;
    return rc;
}

int rep_run_dispatches(struct rep_session *s, uint64_t n)
{
    if (!s->clock.table) {
        return pt_fail("the Python clock is not running yet at this point of the replay");
    }
    s->fine_left = n;
    return rep_run(s, UINT64_MAX);
}

int rep_run_to_tick(struct rep_session *s, uint64_t tick)
{
    uint64_t now;
    if (!s->clock.table) {
        return pt_fail("the Python clock is not running yet at this point of the replay");
    }
    if (rep_clock_now(s, &now) < 0) {
        return -1;
    }
    if (tick <= now) {
        return pt_fail("tick %llu.%llu is not ahead of the current tick %llu.%llu (going back "
                       "needs snapshots)",
                       (unsigned long long)PT_TICK_C(tick), (unsigned long long)PT_TICK_K(tick),
                       (unsigned long long)PT_TICK_C(now), (unsigned long long)PT_TICK_K(now));
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

uint64_t rep_cond_checks(const struct rep_session *s)
{
    return s->cond_checks;
}

uint64_t rep_sparse_passes(const struct rep_session *s)
{
    return s->sparse_passes;
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
    rep_change_free(&s->change);
    if (s->pyi) {
        pyi_close(s->pyi);
    }
    pt_tracer_close(&s->tr);
    rep_files_free(s);
    rep_sources_free(s);
    rep_threads_seen_free(s);
    rep_share_free(s);
    free(s->threads);
    pt_event_free(&s->ev);
    pt_mem_close(&s->mem);
    free(s);
}
