/*
 * rec_loop: the recording session from start to end. Spawn, reach the interpreter's execve
 * exit, write the header, then stop at every syscall entry and exit, signal and ptrace event of
 * the process's threads (run one at a time: rec_sched.c) until it exits or is killed;
 * descendants are traced for their output (rec_child.c). The
 * END record says how the run ended; a recording that had to stop early (an unsupported
 * syscall, a second thread) ends with an ABORTED record and still replays up to there.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_meta.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define FLUSH_NS 1000000000ll

int64_t rec_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t rec_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int rec_write_event(struct rec_session *s)
{
    if (s->storage_errno) {
        return 0; /* the trace has ended; the program runs on until it is released */
    }
    if (!s->ev.tid && s->ev.type != PT_EV_OUTPUT) {
        s->ev.tid = s->ev_tid; /* made while handling that thread's stop */
    }
    if (pt_chunkw_async_failed(&s->tw.ev)) { /* the writer's thread could not write a chunk */
        int rc = pt_tracew_flush(&s->tw);    /* (says why, its records buffered again) */
        if (rc < 0 && s->tw.ev.write_errno) {
            rec_storage_failed(s);
            return 0; /* the END is written; this event would come after it */
        }
        if (rc < 0) {
            return -1;
        }
    }
    s->ev.seq = s->res->nevents++;
    int rc = pt_tracew_event(&s->tw, &s->ev);
    int64_t now = rec_now_ns();
    if (rc == 0 && now - s->last_flush_ns > FLUSH_NS) {
        s->last_flush_ns = now;
        rc = pt_tracew_flush_async(&s->tw);
    }
    if (rc < 0 && s->tw.ev.write_errno) {
        return rec_storage_failed(s);
    }
    return rc;
}

int rec_flush_soon(struct rec_session *s)
{
    if (s->storage_errno) {
        return 0;
    }
    int rc = pt_tracew_flush_async(&s->tw);
    if (rc < 0 && s->tw.ev.write_errno) {
        return rec_storage_failed(s);
    }
    return rc;
}

static int write_end(struct rec_session *s, int how, int code, const char *msg)
{
    s->res->how = how;
    s->res->code = code;
    if (!s->res->header_written) {
        return 0;
    }
    pt_event_reset(&s->ev, PT_EV_END);
    s->ev.end_how = (uint8_t)how;
    s->ev.end_code = code;
    snprintf(s->ev.end_msg, sizeof s->ev.end_msg, "%s", msg ? msg : "");
    return rec_write_event(s);
}

int rec_abort(struct rec_session *s, const char *why)
{
    char msg[sizeof s->ev.end_msg];
    snprintf(msg, sizeof msg, "%s", why);
    write_end(s, PT_END_ABORTED, 0, msg);
    pid_t tids[s->nthreads + 1];
    int n = 0;
    for (size_t i = 0; i < s->nthreads; i++) {
        if (s->threads[i]->tid != s->pid) {
            tids[n++] = s->threads[i]->tid;
        }
    }
    pt_kill_wait_threads(s->pid, tids, n);
    s->pid = 0;
    return pt_fail("recording stopped after %llu events: %s", (unsigned long long)s->res->nevents,
                   msg);
}

/* A stop of a task that is not (yet) a known thread: a descendant, a new thread whose
 * creator's event has not come, or a thread pytt has not seen stop before. */
static int other_stop(struct rec_session *s, const struct pt_stop *st)
{
    return rec_child_stop(s, st);
}

/* Handle one stop of thread t of the recorded process; returns 1 when the process is gone. */
static int thread_stop(struct rec_session *s, struct rec_thread *t, const struct pt_stop *st)
{
    t->resumed = 0;
    s->ev_tid = t->tid;
    /* at the exit of a call whose entry stopped, the thread ran no user code since that entry's
     * drain: its buffer is as that drain left it (one read of its header less per call) */
    int ran_since_drain = !(st->kind == PT_STOP_SYSCALL_EXIT && t->in_syscall);
    if (st->kind != PT_STOP_EXITED && st->kind != PT_STOP_KILLED && ran_since_drain &&
        rec_sysbuf_drain(s, t) < 0) {
        return -1; /* what it did through its buffer comes before what it does here */
    }
    switch (st->kind) {
    case PT_STOP_SYSCALL_ENTRY:
        if (t != s->cur) {
            return pt_fail("thread %d entered a syscall while not scheduled", (int)t->tid);
        }
        t->last_was_exit = 0;
        return rec_syscall_entry(s, t, st);
    case PT_STOP_SYSCALL_EXIT:
        if (rec_syscall_exit(s, t) < 0) {
            return -1;
        }
        if (s->storage_errno && !s->res->released) {
            return rec_release(s);
        }
        return t == s->cur ? rec_deliver_pending(s, t) : rec_thread_returned(s, t);
    case PT_STOP_SIGNAL:
        if (t->state == REC_T_NEW) {
            return rec_thread_first_stop(s, t); /* a new thread's SIGSTOP: it may run now */
        }
        if (t != s->cur) {
            return pt_fail("thread %d stopped with %s while another thread was running",
                           (int)t->tid, strsignal(st->sig));
        }
        return rec_signal_stop(s, t, st->sig);
    case PT_STOP_EVENT:
        if (rec_child_birth(s, st) < 0) { /* fork/vfork/clone: the new task's first stop waits */
            return -1;
        }
        /* a creator let into its clone while others run (--chaos switches at any syscall)
         * goes on in the kernel: nothing else would resume it */
        return t == s->cur ? 0 : rec_sched_resume_in_kernel(t);
    case PT_STOP_GROUP:
        return 0;
    case PT_STOP_EXITED:
    case PT_STOP_KILLED:
        if (t->tid != s->pid) {
            rec_thread_gone(s, t); /* a thread ended; the process goes on */
            return 0;
        }
        if (rec_adopt_finish(s) < 0) { /* what recorded children wrote comes before the end */
            return -1;
        }
        if (st->kind == PT_STOP_EXITED) {
            return write_end(s, PT_END_EXITED, st->code, NULL) < 0 ? -1 : 1;
        }
        return write_end(s, PT_END_SIGNALED, st->sig, NULL) < 0 ? -1 : 1;
    }
    return pt_fail("unexpected stop of thread %d: %s", (int)t->tid, pt_stop_str(st));
}

static int record_loop(struct rec_session *s)
{
    if (rec_sched_run(s) < 0) {
        return -1;
    }
    for (;;) {
        struct pt_stop st;
        int w = rec_peers_wait(s, &st);
        if (w < 0) {
            return -1;
        }
        if (w > 0) { /* the upstream gate opened: what waited for it goes on */
            if (rec_child_release_upstream(s) < 0 || rec_sched_run(s) < 0) {
                return -1;
            }
            continue;
        }
        if (rec_adopt_drain(s) < 0) {
            return -1;
        }
        struct rec_thread *t = rec_thread_find(s, st.pid);
        int r = t ? thread_stop(s, t, &st) : other_stop(s, &st);
        if (r < 0 && t && s->pid && pt_task_gone(st.pid)) { /* not after rec_abort */
            /* killed while its stop was handled (a fatal signal another thread took, os.abort
             * under --chaos): its memory may be gone too; the deaths are reported next */
            pt_err_clear();
            r = 0;
        }
        if (r != 0) {
            return r < 0 ? -1 : 0;
        }
        if (!s->pid) {
            return -1;
        }
        if (s->res->released) {
            continue; /* untraced now: only its exit is reported */
        }
        if (rec_sched_run(s) < 0) {
            return -1;
        }
    }
}

static void session_free(struct rec_session *s)
{
    free(s->loader.redacted);
    pt_event_free(&s->ev);
    pt_mem_close(&s->mem);
    rec_sched_free(s);
    free(s->files);
    rec_mmap_free(s);
    rec_child_free(s);
    rec_sources_free(s);
    rec_adopt_free(s);
    rec_peers_free(s);
}

/* The trace's sources and meta files, once the run is over; the recording's own error (rc < 0)
 * stays the one reported. */
static int write_sources_meta(struct rec_session *s, int rc)
{
    char err[1024];
    snprintf(err, sizeof err, "%s", pt_errmsg());
    if (!s->storage_errno && rec_sources_write(s) < 0) {
        pt_err_clear(); /* the sources are for `list`; the recording itself is complete */
    }
    int done = rc == 0 && !s->storage_errno && s->res->how != PT_END_ABORTED;
    if (rec_meta(s, done ? PT_META_COMPLETE : PT_META_STOPPED) < 0 && rc == 0) {
        return s->storage_errno ? 0 : -1; /* a full disk was already said; else say this */
    }
    if (rc < 0) {
        pt_fail("%s", err);
    }
    return rc;
}

/* The descriptor model a child recorder starts with: "FD:KIND,..." or "none". */
static void streams_model(struct pt_fdkinds *k, const char *spec)
{
    memset(k, 0, sizeof *k);
    for (const char *p = spec; p && *p;) {
        char *end;
        long fd = strtol(p, &end, 10);
        if (*end != ':') {
            break;
        }
        long kind = strtol(end + 1, &end, 10);
        if (fd >= 0 && fd < PT_MAX_FD) {
            k->kind[fd] = (uint8_t)kind;
        }
        p = *end == ',' ? end + 1 : end;
    }
}

/* CPU, descriptor model, --children's directory and pipe. */
static int session_setup(struct rec_session *s)
{
    const struct rec_options *opt = s->opt;
    s->fwd_rd = s->fwd_wr = -1;
    s->grp_fd = -1;
    if (opt->procs_dir) {
        snprintf(s->procs_dir, sizeof s->procs_dir, "%s", opt->procs_dir);
    } else {
        snprintf(s->procs_dir, sizeof s->procs_dir, "%s/procs", opt->trace_dir);
    }
    if (opt->children && mkdir(s->procs_dir, 0700) < 0 && errno != EEXIST) {
        return pt_fail_errno("creating %s", s->procs_dir);
    }
    if (!opt->adopt_pid) {
        pt_fdkinds_init(&s->fds);
        return pt_pick_cpu(&s->cpu) < 0 ? -1 : pt_pin_self(s->cpu);
    }
    streams_model(&s->fds, opt->streams);
    if (opt->gate_fd > 0 && rec_peers_attach(s, opt->gate_fd, opt->gate_slot) < 0) {
        return -1;
    }
    s->cpu = opt->cpu;
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int i = 0; i < CPU_SETSIZE; i++) {
        CPU_SET(i, &all);
    }
    sched_setaffinity(0, sizeof all, &all); /* the parent's recorder was pinned */
    return pt_pin_self(s->cpu);
}

int rec_record(const struct rec_options *opt, struct rec_result *res)
{
    struct rec_session s;
    memset(&s, 0, sizeof s);
    memset(res, 0, sizeof *res);
    s.opt = opt;
    s.res = res;
    s.start_ns = rec_wall_ns();
    s.last_flush_ns = rec_now_ns();
    pt_event_init(&s.ev);
    if (session_setup(&s) < 0 || pt_tracew_open(&s.tw, opt->trace_dir) < 0) {
        session_free(&s);
        return -1;
    }
    int rc = opt->adopt_pid ? rec_adopt_attach(&s) : rec_spawn(&s);
    if (rc == 0) {
        snprintf(res->python_version, sizeof res->python_version, "%s", s.py.version);
        rc = rec_start(&s);
    }
    if (rc == 0 && pt_chunkw_async(&s.tw.ev, s.cpu) < 0) {
        pt_err_clear(); /* the tracer compresses and writes chunks itself, as it can */
    }
    if (rc == 0) {
        rc = rec_clock_start(&s);
        pt_tsc_like_tracee();
    }
    if (rc == 0) {
        s.cur = rec_thread_add(&s, s.pid, REC_T_CURRENT);
        s.ev_tid = s.pid;
        s.rng = opt->chaos_seed ? opt->chaos_seed : (uint64_t)s.start_ns | 1;
    }
    if (rc == 0) {
        rc = record_loop(&s);
    }
    if (rec_gate_end(&s) < 0) { /* descendants run freely once pytt is gone */
        pt_err_clear();
    }
    if (rec_child_handoff(&s) < 0) { /* ... under a tracer that stays (rec_passthrough.c) */
        pt_err_clear();
    }
    if (rc < 0 && s.pid > 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", pt_errmsg());
        rec_abort(&s, msg);
    }
    if (!s.storage_errno && pt_tracew_flush(&s.tw) < 0) {
        /* the program has ended; its last events fit once the reserve is freed, or are lost */
        char msg[768];
        snprintf(msg, sizeof msg, "%s", pt_errmsg());
        if (!pt_tracew_salvage(&s.tw)) {
            rc = pt_fail("%s", msg);
        }
    }
    if (s.storage_errno) {
        snprintf(res->stop_msg, sizeof res->stop_msg, "%s", s.storage_msg);
        res->stopped_at = s.stopped_at;
        res->released = res->released ? res->released : 1; /* it ended before its release */
    }
    res->trace_bytes = s.tw.ev.bytes_out;
    if (res->header_written) {
        if (rec_adopt_finish(&s) < 0 && rc == 0) { /* recording stopped early: still wait */
            rc = -1;
        }
        if (rec_procs_write(&s) < 0) {
            pt_err_clear(); /* `ps` then lists the recorded processes only */
        }
        rc = write_sources_meta(&s, rc);
    }
    if (pt_tracew_close(&s.tw) < 0) {
        rc = -1;
    }
    session_free(&s);
    return rc;
}
