/*
 * rep_tlog: the replay's side of tracepoints logged in the tracee (common/pt_tlog.h). A `trace`
 * pass gives each address of its breakpoint a log program where pyintrospect can plan one
 * (pyi_tlog_lower; again with a hit's frame when a hit had to trap, for attribute chains);
 * those hits then run on without a stop. At every stop of the replay (one_stop, before the stop
 * is handled: a hit's row comes before the output of a write after it, as when every hit
 * stopped) the log is read and emptied, and each entry becomes a row for `trace`'s callback,
 * with the number of the thread that ran (the replay runs one thread at a time, so every entry
 * since the last stop is that thread's), its values made from the copies by pyintrospect's repr
 * (pyi_repr_copy). A hit that could not be logged stops; its row follows the logged ones.
 * PYTT_WATCH_EXACT=1 turns the log off: every hit stops, as before (the oracle for the log).
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_sysbuf.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RELOWER_MAX 8 /* plans with a hit's frame per address, at most */

struct site {
    pt_addr instr, code;
    int line;
    char func[512];
    int state; /* 0 not planned yet, 1 logged, 2 not logged */
    int nargs; /* `trace FUNCTION`: its arguments' names, the values logged */
    char args[PT_TLOG_VALUES][PYI_TLOG_NAME];
    int relowered;
    struct pt_tlog prog;
};

struct rep_tlog {
    int bp_id;
    const char *const *exprs;
    size_t n;
    struct site *sites;
    size_t nsites;
    struct pt_tlog_layout layout;
    int (*row)(void *ctx, const struct rep_trace_hit *hit);
    void *ctx;
    size_t *hits;
    int stopped; /* row() asked to stop: later entries are dropped */
};

int rep_tlog_begin(struct rep_session *s, int bp_id, const char *const *exprs, size_t n,
                   int (*row)(void *ctx, const struct rep_trace_hit *hit), void *ctx, size_t *hits)
{
    rep_tlog_end(s);
    if (n > PT_TLOG_VALUES || rep_watch_exact_only()) {
        return 0; /* too many: every hit stops */
    }
    struct rep_tlog *t = calloc(1, sizeof *t);
    struct pt_tlog_hdr h = {PT_TLOG_BUF, PT_TLOG_BUF_END, 0};
    if (!t) {
        return pt_fail("out of memory");
    }
    if (pt_mem_write(&s->mem, PT_TLOG_HDR, &h, sizeof h) < 0) {
        free(t);
        return pt_wrap("starting the tracepoint log");
    }
    t->bp_id = bp_id;
    t->exprs = exprs;
    t->n = n;
    t->row = row;
    t->ctx = ctx;
    t->hits = hits;
    s->tlog = t;
    return 0;
}

void rep_tlog_end(struct rep_session *s)
{
    if (s->tlog) {
        free(s->tlog->sites);
        free(s->tlog);
        s->tlog = NULL;
    }
}

static struct site *site_of(struct rep_tlog *t, pt_addr instr, pt_addr code)
{
    for (size_t i = 0; i < t->nsites; i++) {
        if (t->sites[i].instr == instr) {
            return &t->sites[i];
        }
    }
    struct site *v = realloc(t->sites, sizeof *v * (t->nsites + 1));
    if (!v) {
        return NULL;
    }
    t->sites = v;
    memset(&v[t->nsites], 0, sizeof v[0]);
    v[t->nsites].instr = instr;
    v[t->nsites].code = code;
    v[t->nsites].line = -1;
    return &v[t->nsites++];
}

/* Plan site's program (frame: a hit's, 0 if none) and name its line and function. */
static void plan(struct rep_session *s, struct site *st, pt_addr frame)
{
    struct pyi_session *p = rep_pyi(s);
    struct pt_tlog_layout layout;
    if (!p) {
        pt_err_clear();
        st->state = 2;
        return;
    }
    if (st->line < 0 &&
        pyi_tlog_site(p, st->code, st->instr, &st->line, st->func, sizeof st->func) < 0) {
        st->state = 2;
        pt_err_clear();
        return;
    }
    const char *args[PT_TLOG_VALUES];
    const char *const *exprs = s->tlog->exprs;
    size_t n = s->tlog->n;
    if (n == 0) { /* `trace FUNCTION`: the arguments, each a fast local */
        st->nargs = pyi_tlog_args(p, st->code, st->args, PT_TLOG_VALUES);
        for (int i = 0; i < st->nargs; i++) {
            args[i] = st->args[i];
        }
        exprs = args;
        n = st->nargs > 0 ? (size_t)st->nargs : 0;
    }
    int rc = pyi_tlog_lower(p, st->code, st->instr, frame, exprs, n, &st->prog, &layout);
    pt_err_clear();
    st->state = rc == 1 ? 1 : 2;
    if (rc == 1) {
        layout.countdown = s->clock.countdown;
        layout.base_at = PT_SYSBUF_CTL + offsetof(struct pt_sysbuf_ctl, base);
        s->tlog->layout = layout;
    }
}

void rep_tlog_watch(struct rep_session *s, const struct rep_bp *bp, int k, struct pt_watch *w,
                    int slot)
{
    struct rep_tlog *t = s->tlog;
    if (!t || bp->id != t->bp_id) {
        return;
    }
    struct site *st = site_of(t, bp->addrs[k], bp->codes[k]);
    if (st && st->state == 0) {
        plan(s, st, 0);
    }
    if (st && st->state == 1) {
        w->logs[slot] = st->prog;
        w->tlog_layout = t->layout;
        w->keep_last = 1; /* the log program compares with the last dispatch (pt_tlog.h) */
    }
}

void rep_tlog_trapped(struct rep_session *s, pt_addr instr, pt_addr frame)
{
    struct rep_tlog *t = s->tlog;
    for (size_t i = 0; t && i < t->nsites; i++) {
        struct site *st = &t->sites[i];
        if (st->instr == instr && st->relowered < RELOWER_MAX) {
            st->relowered++;
            plan(s, st, frame);
        }
    }
}

/* `trace FUNCTION`'s row: one value, "a = 1, b = 'x'" (pdb's `args` on one line, as
 * rep_trace.c's args_text makes it), in values[0]; the others freed. */
static int args_row(const struct site *st, char **values, uint32_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        return pt_fail("out of memory");
    }
    for (uint32_t i = 0; i < n; i++) {
        fprintf(f, "%s%s = %s", i ? ", " : "", st->args[i], values[i]);
        free(values[i]);
        values[i] = NULL;
    }
    fclose(f);
    values[0] = buf;
    return buf ? 0 : pt_fail("out of memory");
}

/* One raw entry at e (size bytes), logged by thread `thread`: its row, the values formatted
 * from their copies. */
static int entry_row(struct rep_session *s, const uint8_t *e, size_t size, int thread)
{
    struct rep_tlog *t = s->tlog;
    uint64_t tick, instr;
    uint32_t nvalues;
    memcpy(&tick, e, 8);
    memcpy(&instr, e + 8, 8);
    memcpy(&nvalues, e + 20, 4);
    struct site *st = site_of(t, instr, 0);
    if (!st || st->line < 0 || nvalues != (uint32_t)st->prog.nvalues || nvalues > PT_TLOG_VALUES) {
        return pt_fail("internal: a tracepoint log entry for an unknown instruction 0x%llx",
                       (unsigned long long)instr);
    }
    char *values[PT_TLOG_VALUES] = {0};
    struct rep_trace_hit hit;
    hit.tick = tick;
    hit.thread = thread;
    hit.line = st->line;
    hit.values = values;
    hit.nvalues = t->n == 0 ? 1 : nvalues;       /* `trace FUNCTION`: one, args_row */
    memcpy(hit.func, st->func, sizeof hit.func); /* both NUL-terminated, of the same size */
    size_t off = 24;
    int rc = 0;
    for (uint32_t i = 0; i < nvalues && rc == 0; i++) {
        uint64_t obj = 0, len = 0;
        if (off + 16 > size ||
            (memcpy(&obj, e + off, 8), memcpy(&len, e + off + 8, 8), off + 16 + len > size)) {
            rc = pt_fail("internal: a truncated tracepoint log entry");
        } else if (pyi_repr_copy(rep_pyi(s), obj, e + off + 16, len, &values[i]) < 0) {
            rc = pt_wrap("formatting a logged value");
        }
        off += 16 + ((len + 7) & ~7ull);
    }
    if (rc == 0 && t->n == 0 && args_row(st, values, nvalues) < 0) {
        rc = -1;
    }
    if (rc == 0) {
        s->tlog_logged++;
        ++*t->hits;
        t->stopped = t->row(t->ctx, &hit) != 0;
    }
    for (uint32_t i = 0; i < nvalues; i++) {
        free(values[i]);
    }
    return rc;
}

int rep_tlog_drain(struct rep_session *s)
{
    struct rep_tlog *t = s->tlog;
    struct pt_tlog_hdr h;
    if (!t) {
        return 0;
    }
    if (pt_mem_read(&s->mem, PT_TLOG_HDR, &h, sizeof h) < 0) {
        pt_err_clear(); /* the process is gone: nothing was logged since the last stop */
        return 0;
    }
    if (h.cursor <= PT_TLOG_BUF || h.cursor > PT_TLOG_BUF_END || !rep_pyi(s)) {
        pt_err_clear();
        return 0;
    }
    size_t len = h.cursor - PT_TLOG_BUF;
    uint8_t *raw = malloc(len);
    if (!raw) {
        return pt_fail("out of memory reading %zu bytes of tracepoint log", len);
    }
    uint64_t start = PT_TLOG_BUF;
    if (pt_mem_read(&s->mem, PT_TLOG_BUF, raw, len) < 0 ||
        pt_mem_write(&s->mem, PT_TLOG_HDR, &start, 8) < 0) {
        free(raw);
        return pt_wrap("reading the tracepoint log");
    }
    struct rep_thread *cur = rep_thread_cur(s);
    int thread = cur ? rep_thread_number(s, cur->rec_tid) : 0;
    int rc = 0;
    for (size_t at = 0; at + 24 <= len && rc == 0 && !t->stopped;) {
        uint32_t size;
        memcpy(&size, raw + at + 16, 4);
        if (size < 24 || at + size > len) {
            rc = pt_fail("internal: a tracepoint log entry of %u bytes", size);
            break;
        }
        rc = entry_row(s, raw + at, size, thread);
        at += size;
    }
    free(raw);
    return rc;
}

int rep_tlog_stopped(const struct rep_session *s)
{
    return s->tlog && s->tlog->stopped;
}

uint64_t rep_tlog_count(const struct rep_session *s)
{
    return s->tlog_logged;
}
