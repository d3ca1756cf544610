/*
 * rep_trace: retroactive tracepoints. `trace FILE:LINE EXPR[, EXPR...]` is the print statement
 * added after the fact: every execution of that line in the whole recording, with the values of
 * the expressions there; `trace FUNCTION` is every call of it with its arguments. One forward
 * pass from the first snapshot (the main script's first line) with a breakpoint on the location
 * (the breakpoint machinery: its addresses watched, pending until the code is loaded) and the
 * user's breakpoints and watchpoints set aside. Where it can, the breakpoint logs its hits in
 * the program without stopping (rep_tlog.c: a copy of each value, formatted afterwards by the
 * same repr code, each row given at the replay's next stop); every other hit stops and is
 * evaluated as `print` would (from memory when exact, else in a throwaway copy), after the
 * logged hits before it, so the rows stay in order. The replay then goes back to where it was.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the user had set, put aside during the pass. */
struct stash {
    struct rep_bp *bps;
    int nbps, nwps, last_id;
};

static int stash_put(struct rep_session *s, struct stash *st)
{
    st->bps = malloc(sizeof s->bps[0] * (size_t)(s->nbps ? s->nbps : 1));
    if (!st->bps) {
        return pt_fail("out of memory");
    }
    memcpy(st->bps, s->bps, sizeof s->bps[0] * (size_t)s->nbps);
    st->nbps = s->nbps;
    st->nwps = s->nwps;
    st->last_id = s->last_bp_id;
    s->nbps = 0;
    s->nwps = 0;
    return 0;
}

static void stash_back(struct rep_session *s, struct stash *st)
{
    memcpy(s->bps, st->bps, sizeof s->bps[0] * (size_t)st->nbps);
    s->nbps = st->nbps;
    s->nwps = st->nwps;
    s->last_bp_id = st->last_id;
    free(st->bps);
}

/* The arguments of the stop's frame, "a = 1, b = 'x'" (pdb's `args`, on one line). */
static char *args_text(struct rep_session *s)
{
    char *buf = NULL, *out = NULL;
    size_t len = 0, k = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        return NULL;
    }
    if (pyi_print_args(s->pyi, f) < 0) {
        pt_err_clear();
    }
    fclose(f);
    out = malloc(2 * len + 1);
    for (size_t i = 0; out && i < len; i++) {
        if (buf[i] != '\n') {
            out[k++] = buf[i];
        } else if (i + 1 < len) {
            out[k++] = ',';
            out[k++] = ' ';
        }
    }
    if (out) {
        out[k] = '\0';
    }
    free(buf);
    return out;
}

/* One hit's values read from memory in the hit's frame, without presenting the stop (no
 * thread or stack walk): 1 done, 0 some value needs the slower way (values_at). */
static int values_fast(struct rep_session *s, const struct pyi_pos *pos, const char *const *exprs,
                       size_t n, char **values)
{
    struct pyi_session *p = rep_pyi(s);
    for (size_t i = 0; p && i < n; i++) {
        int rc = pyi_eval_in(p, pos->frame, exprs[i], &values[i], NULL);
        if (rc != PYI_EVAL_OK) {
            pt_err_clear();
            for (size_t k = 0; k <= i; k++) {
                free(values[k]);
                values[k] = NULL;
            }
            return 0;
        }
    }
    return p && n > 0;
}

/* One hit: the values of exprs (or the arguments), each "<raised ...>" when it raised. */
static int values_at(struct rep_session *s, const char *const *exprs, size_t n, char **values)
{
    if (n == 0) {
        values[0] = args_text(s);
        return values[0] ? 0 : pt_fail("out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        struct rep_eval_item item = {REP_EVAL_REPR, exprs[i], -1, 0, NULL};
        struct rep_eval_report rep;
        if (rep_eval_expr(s, &item, &rep) < 0) {
            rep_eval_report_free(&rep);
            return -1;
        }
        if (item.status == REP_EVAL_VALUE) {
            values[i] = item.text;
        } else if (asprintf(&values[i], "<%s>",
                            item.text    ? item.text
                            : rep.why[0] ? rep.why
                                         : "not evaluated") < 0) {
            values[i] = NULL;
        }
        if (item.status != REP_EVAL_VALUE) {
            free(item.text);
        }
        rep_eval_report_free(&rep);
    }
    return 0;
}

static int trace_pass(struct rep_session *s, const char *spec, const char *const *exprs, size_t n,
                      int (*row)(void *ctx, const struct rep_trace_hit *hit), void *ctx,
                      size_t *hits)
{
    const struct rep_bp *bp;
    struct pyi_pos pos;
    int id;
    if (rep_break_add(s, spec, NULL, 0, &bp) < 0 || rep_goto_start(s, &pos) < 0 ||
        rep_tlog_begin(s, bp->id, exprs, n, row, ctx, hits) < 0) {
        return -1;
    }
    char **values = calloc(n ? n : 1, sizeof *values);
    if (!values) {
        return pt_fail("out of memory");
    }
    int rc = 0;
    s->bare_stops = 1; /* presented only where values_fast cannot read a value */
    while (!pt_interrupted && (rc = rep_continue(s, &pos, &id)) > 0) {
        if (rep_tlog_stopped(s)) {
            break; /* row() asked to stop at a logged hit */
        }
        rep_tlog_trapped(s, pos.instr, pos.frame);
        struct rep_trace_hit hit = {.values = values, .nvalues = n ? n : 1};
        struct rep_thread *t = rep_thread_cur(s);
        hit.thread = t ? rep_thread_number(s, t->rec_tid) : 0;
        hit.line = pos.line;
        snprintf(hit.func, sizeof hit.func, "%s", pos.qualname);
        if (rep_clock_now(s, &hit.tick) < 0 ||
            (!values_fast(s, &pos, exprs, n, values) &&
             (rep_present(s, &pos) < 0 || values_at(s, exprs, n, values) < 0))) {
            rc = -1;
        }
        int stop = rc < 0 || row(ctx, &hit) != 0;
        for (size_t i = 0; i < hit.nvalues; i++) {
            free(values[i]);
            values[i] = NULL;
        }
        ++*hits;
        if (stop) {
            break;
        }
    }
    rep_tlog_end(s);
    s->bare_stops = 0;
    free(values);
    return rc < 0 ? -1 : 0;
}

int rep_trace(struct rep_session *s, const char *spec, const char *const *exprs, size_t n,
              int (*row)(void *ctx, const struct rep_trace_hit *hit), void *ctx, size_t *hits)
{
    struct stash st = {0};
    struct pyi_pos pos;
    uint64_t now;
    *hits = 0;
    if (s->state != REP_READY || rep_clock_now(s, &now) < 0) {
        return pt_fail("the replay is at the end of the recording (use goto end or goto TICK)");
    }
    if (stash_put(s, &st) < 0) {
        return -1;
    }
    s->trace_row = row;
    s->trace_ctx = ctx;
    int rc = trace_pass(s, spec, exprs, n, row, ctx, hits);
    s->trace_row = NULL;
    stash_back(s, &st);
    int interrupted = pt_interrupted;
    pt_interrupted = 0; /* going back must not be cut short */
    if (rep_goto(s, now, &pos) < 0) {
        rc = -1;
    }
    pt_interrupted = interrupted;
    return rc;
}
