/*
 * rep_sysbuf: the replayer's side of the in-process syscall buffer (common/pt_sysbuf.h).
 *
 * A recording made with the buffer holds, for each thread, SYSBUF events: the calls its
 * library made without a stop, logged at the thread's next stop (or when the buffer filled).
 * Replay runs the same library in REPLAY mode, which makes no call: it takes each result from
 * its thread's buffer. Before a thread runs, and when the library asks (FLUSH), the SYSBUF
 * event at the head of the log that belongs to it is copied into its buffer (once the
 * previous one is used up). A SYSBUF event met anywhere else means the program made fewer
 * buffered calls than recorded, and the usual checks report it; the library reports a call
 * that differs from its record (DIVERGE), or a FLUSH with nothing recorded (more calls than
 * recorded). At every stop, the Python ticks the library saw at the calls it replayed are
 * checked against the recorded ones (a run during which pytt moved the clock's base to
 * interrupt it is not checked: ctl.moved). Only a stopped thread whose library is not inside a
 * wrapper (the header's busy flag) has its buffer touched.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_fdkinds.h"
#include "common/pt_sysbuf.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static int write_ctl(struct pt_mem *mem, size_t off, const void *p, size_t n, const char *what)
{
    if (pt_mem_write(mem, PT_SYSBUF_CTL + off, p, n) < 0) {
        return pt_wrap("%s", what);
    }
    return 0;
}

int rep_sysbuf_start(struct rep_session *s)
{
    uint32_t mode = PT_SYSBUF_REPLAY;
    if (!s->tr.hdr.sysbuf) {
        return 0;
    }
    return write_ctl(&s->mem, offsetof(struct pt_sysbuf_ctl, mode), &mode, sizeof mode,
                     "setting the syscall buffer's mode");
}

int rep_sysbuf_clock(struct rep_session *s)
{
    uint64_t at = s->clock.countdown;
    if (!s->tr.hdr.sysbuf) {
        return 0;
    }
    return write_ctl(&s->mem, offsetof(struct pt_sysbuf_ctl, countdown), &at, sizeof at,
                     "telling the syscall buffer where the Python clock is");
}

int rep_sysbuf_off(struct pt_mem *mem)
{
    uint32_t mode = PT_SYSBUF_OFF;
    return write_ctl(mem, offsetof(struct pt_sysbuf_ctl, mode), &mode, sizeof mode,
                     "turning the syscall buffer off in a copy");
}

int rep_sysbuf_hello(struct rep_session *s, int64_t ret)
{
    struct rep_thread *c = rep_thread_by_rec(s, s->ev.tid); /* the thread of the event */
    if (!c || ret <= 0) {
        return 0;
    }
    uint64_t a = (uint64_t)ret;
    if (a < PT_SYSBUF_SLOT(0) || a >= PT_SYSBUF_SLOT(PT_SYSBUF_SLOTS) ||
        (a - PT_SYSBUF_SLOT(0)) % PT_SYSBUF_SLOT_LEN) {
        return rep_divergence(s,
                              "the recording gives thread %d a syscall buffer at 0x%llx, "
                              "which is not one: the trace is corrupt or was crafted",
                              (int)c->rec_tid, (unsigned long long)a);
    }
    c->sysbuf = a;
    c->sb_checked = c->sb_checked_off = 0;
    return 0;
}

static const char *call_str(const struct pt_sysbuf_rec *r, char *buf, size_t cap)
{
    rep_fmt_call(buf, cap, r->nr, 3, r->a);
    return buf;
}

/* The records the library replayed since the last check ran at their recorded ticks. */
int rep_sysbuf_check(struct rep_session *s)
{
    struct rep_thread *c = rep_thread_cur(s);
    struct pt_sysbuf_hdr h;
    if (!c || !c->sysbuf) {
        return 0;
    }
    if (pt_mem_read(&s->mem, c->sysbuf, &h, sizeof h) < 0) {
        return pt_wrap("reading thread %d's syscall buffer", (int)c->rec_tid);
    }
    if (h.pos > h.nrec || h.pos_off > h.used || h.used > PT_SYSBUF_SLOT_LEN - sizeof h) {
        return rep_divergence(s, "thread %d's syscall buffer is damaged", (int)c->rec_tid);
    }
    if (h.pos == c->sb_checked) {
        return 0; /* nothing replayed through the buffer since the last stop: the usual case */
    }
    if (c->sb_checked_off > h.pos_off) {
        return rep_divergence(s, "thread %d's syscall buffer is damaged", (int)c->rec_tid);
    }
    /* the records replayed since the last check, in one read */
    size_t n = h.pos_off - c->sb_checked_off;
    uint8_t *p = malloc(n ? n : 1);
    if (!p || pt_mem_read(&s->mem, c->sysbuf + sizeof h + c->sb_checked_off, p, n) < 0) {
        free(p);
        return p ? pt_wrap("reading thread %d's syscall buffer", (int)c->rec_tid)
                 : pt_fail("out of memory");
    }
    int rc = 0;
    for (size_t off = 0; rc == 0 && off + sizeof(struct pt_sysbuf_rec) <= n;) {
        struct pt_sysbuf_rec r;
        memcpy(&r, p + off, sizeof r);
        if (r.seen && r.seen != r.tick) {
            char call[160];
            rc = rep_divergence(s,
                                "thread %d made %s through the syscall buffer at counted "
                                "dispatch %llu, but at %llu when recorded",
                                (int)c->rec_tid, call_str(&r, call, sizeof call),
                                (unsigned long long)r.seen, (unsigned long long)r.tick);
        }
        off += r.size < sizeof r ? n : r.size;
    }
    free(p);
    c->sb_checked = h.pos;
    c->sb_checked_off = h.pos_off;
    return rc;
}

/* Copy the SYSBUF event at the head of the log into the current thread's used-up buffer.
 * Returns 1 if it did, 0 if there was none for it (or the buffer is still in use). */
static int take(struct rep_session *s, struct rep_thread *c)
{
    struct pt_sysbuf_hdr h;
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    if (!nx || nx->type != PT_EV_SYSBUF || nx->tid != c->rec_tid) {
        return pt_errmsg()[0] && !nx ? -1 : 0;
    }
    if (pt_mem_read(&s->mem, c->sysbuf, &h, sizeof h) < 0) {
        return pt_wrap("reading thread %d's syscall buffer", (int)c->rec_tid);
    }
    if (h.busy || h.pos < h.nrec) {
        return 0;
    }
    if (rep_sysbuf_check(s) < 0 || pt_tracer_next(&s->tr, &s->ev) != 1) {
        return -1;
    }
    const uint8_t *p = pt_event_region_data(&s->ev, 0);
    size_t n = s->ev.regions[0].len;
    uint32_t count = 0;
    for (size_t off = 0; off < n; count++) {
        struct pt_sysbuf_rec r;
        memcpy(&r, p + off, sizeof r);
        pt_fdkinds_sysbuf(&s->fds, &r); /* as the recorder did when it drained them */
        off += r.size;                  /* sizes were checked when the trace was read */
    }
    memset(&h, 0, sizeof h);
    h.nrec = count;
    h.used = (uint32_t)n;
    h.cap = (uint32_t)(PT_SYSBUF_SLOT_LEN - sizeof h);
    if (pt_mem_write(&s->mem, c->sysbuf + sizeof h, p, n) < 0 ||
        pt_mem_write(&s->mem, c->sysbuf, &h, sizeof h) < 0) {
        return pt_wrap("filling thread %d's syscall buffer", (int)c->rec_tid);
    }
    c->sb_checked = c->sb_checked_off = 0;
    return 1;
}

int rep_sysbuf_prefill(struct rep_session *s)
{
    struct rep_thread *c = rep_thread_cur(s);
    if (!c || !c->sysbuf || s->foreign) {
        return 0;
    }
    return take(s, c);
}

/* Tell the library whether a batch of its thread's records waits at the log's head (it asks
 * for it, FLUSH, only then; else its next wrapped call was made with a stop). */
static int note_more(struct rep_session *s, struct rep_thread *c)
{
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    uint32_t more = nx && nx->type == PT_EV_SYSBUF && nx->tid == c->rec_tid;
    if (!nx && pt_errmsg()[0]) {
        return -1;
    }
    if (pt_mem_write(&s->mem, c->sysbuf + offsetof(struct pt_sysbuf_hdr, more), &more,
                     sizeof more) < 0) {
        return pt_wrap("writing thread %d's syscall buffer", (int)c->rec_tid);
    }
    return 0;
}

int rep_sysbuf_ready(struct rep_session *s)
{
    struct rep_thread *c = rep_thread_cur(s);
    return !c || !c->sysbuf || s->foreign ? 0 : note_more(s, c);
}

/* FLUSH: the current thread used up its buffer and has a batch waiting. */
static int refill(struct rep_session *s, struct rep_thread *c)
{
    if (rep_sched_drain_foreign(s) < 0) {
        return -1;
    }
    int r = c->sysbuf ? take(s, c) : 0;
    if (r < 0) {
        return -1;
    }
    /* what the batch hid at the head (a switch at a tick, a signal) is due in this run */
    if (r > 0 && (rep_sched_drain_foreign(s) < 0 || rep_clock_rearm(s) < 0)) {
        return -1;
    }
    return c->sysbuf ? note_more(s, c) : 0;
}

int rep_sysbuf_at_call(struct rep_session *s)
{
    struct rep_thread *c = rep_thread_cur(s);
    struct pt_sysbuf_hdr h;
    if (!c || !c->sysbuf || s->foreign) {
        return 0;
    }
    if (pt_mem_read(&s->mem, c->sysbuf, &h, sizeof h) < 0) {
        return pt_wrap("reading thread %d's syscall buffer", (int)c->rec_tid);
    }
    if (h.pos < h.nrec) {
        return rep_divergence(s,
                              "thread %d made a syscall with %u of its calls through the "
                              "syscall buffer still to come before it",
                              (int)c->rec_tid, h.nrec - h.pos);
    }
    return 0;
}

/* DIVERGE: the library's call is not the recorded one. */
static int diverged(struct rep_session *s, struct rep_thread *c, uint64_t what_addr)
{
    uint64_t what[4];
    struct pt_sysbuf_hdr h;
    char got[160], want[160] = "nothing";
    if (pt_mem_read(&s->mem, what_addr, what, sizeof what) < 0 ||
        pt_mem_read(&s->mem, c->sysbuf, &h, sizeof h) < 0) {
        return pt_wrap("reading the syscall buffer's divergence report");
    }
    struct pt_sysbuf_rec r = {.nr = (uint16_t)what[0], .a = {what[1], what[2], what[3]}};
    call_str(&r, got, sizeof got);
    if (h.pos < h.nrec && h.pos_off + sizeof r <= h.used &&
        pt_mem_read(&s->mem, c->sysbuf + sizeof h + h.pos_off, &r, sizeof r) == 0) {
        call_str(&r, want, sizeof want);
    }
    return rep_divergence(s,
                          "thread %d called %s through the syscall buffer, but the recording "
                          "has %s",
                          (int)c->rec_tid, got, want);
}

int rep_sysbuf_request(struct rep_session *s, const struct user_regs_struct *r)
{
    struct rep_thread *c = rep_thread_cur(s);
    if (!c || s->foreign) {
        return rep_divergence(s, "a syscall buffer request from a thread that is not running");
    }
    int rc = 0;
    if (r->rdi == PT_SYSBUF_FLUSH) {
        rc = refill(s, c);
    } else if (r->rdi == PT_SYSBUF_DIVERGE) {
        return diverged(s, c, r->rsi);
    }
    return rc < 0 ? -1 : rep_syscall_skip(s, r);
}

int rep_sysbuf_moved(struct rep_session *s, uint32_t moved)
{
    if (!s->tr.hdr.sysbuf) {
        return 0;
    }
    return write_ctl(&s->mem, offsetof(struct pt_sysbuf_ctl, moved), &moved, sizeof moved,
                     "marking the Python clock's base as moved");
}
