/*
 * dap_hits: hit numbers for `pytt dap`'s hit conditions, in execution order. The Nth hit of a
 * breakpoint is the Nth time the program reached it (its condition holding) since the start of
 * the main script, whichever way the motion that meets it runs: a reverse continue that lands
 * on the 3rd execution of a line calls it hit 3, as a forward continue from the start would.
 * Each breakpoint keeps a ledger: the ticks of its hits up to a moment (hits_known). A forward
 * continue that starts inside the known part extends it as it goes; a hit past it (met by a
 * reverse continue, or by a continue that starts after steps or a goto) is numbered by a
 * counting pass: the replay runs from hits_known to that hit with only this breakpoint enabled,
 * and then goes back to where it was (the program's output is shown once, when first reached,
 * so a pass that runs further than any motion did shows that output, in order).
 */
#define _GNU_SOURCE
#include "dap.h"

#include "common/pt_error.h"
#include "pyintrospect/pyintrospect.h"

#include <stdint.h>
#include <stdlib.h>

void dap_hits_init(struct dap *d, struct dap_bp *b)
{
    b->hit_ticks = NULL;
    b->nhit_ticks = 0;
    b->hits_known = d->start_tick;
}

void dap_hits_free(struct dap_bp *b)
{
    free(b->hit_ticks);
    b->hit_ticks = NULL;
    b->nhit_ticks = 0;
}

int dap_breaks_off(struct dap *d, int *ids)
{
    int count;
    const struct rep_bp *all = rep_breakpoints(d->rep, &count);
    int k = 0;
    for (int i = 0; i < count && k < 256; i++) {
        if (all[i].enabled) {
            ids[k++] = all[i].id;
        }
    }
    const struct rep_watchpt *w = rep_watchpoints(d->rep, &count);
    for (int i = 0; i < count && k < 256; i++) { /* data breakpoints too */
        if (w[i].enabled) {
            ids[k++] = w[i].id;
        }
    }
    for (int i = 0; i < k; i++) {
        rep_break_enable(d->rep, ids[i], 0);
    }
    return k;
}

void dap_breaks_on(struct dap *d, const int *ids, int n)
{
    for (int i = 0; i < n; i++) {
        rep_break_enable(d->rep, ids[i], 1);
    }
}

static int record_hit(struct dap_bp *b, uint64_t tick)
{
    uint64_t *nt = realloc(b->hit_ticks, (size_t)(b->nhit_ticks + 1) * sizeof *nt);
    if (!nt) {
        return pt_fail("out of memory for the hits of breakpoint %d", b->dap_id);
    }
    b->hit_ticks = nt;
    b->hit_ticks[b->nhit_ticks++] = tick;
    b->hits_known = tick;
    return 0;
}

/* Replay from hits_known until the ledger reaches tick (or the end), with only b enabled. */
static int count_pass(struct dap *d, struct dap_bp *b, uint64_t tick)
{
    struct pyi_pos pos;
    int ids[256], bp = 0, rc = 0;
    int n = dap_breaks_off(d, ids);
    rep_break_enable(d->rep, b->rep_id, 1);
    int r = rep_goto(d->rep, b->hits_known, &pos);
    while (r > 0 && b->hits_known < tick) {
        uint64_t now;
        r = rep_continue(d->rep, &pos, &bp);
        if (r > 0 && rep_state(d->rep) == REP_READY && rep_tick(d->rep, &now) == 0) {
            rc = record_hit(b, now);
        } else if (r == 0 || rep_state(d->rep) != REP_READY) {
            b->hits_known = UINT64_MAX; /* the end of the recording: all are known */
        }
    }
    rep_break_enable(d->rep, b->rep_id, 0);
    dap_breaks_on(d, ids, n);
    if (r < 0 || rc < 0) {
        return pt_wrap("counting the hits of breakpoint %d", b->dap_id);
    }
    if (rep_goto(d->rep, tick, &pos) <= 0) {
        return pt_wrap("going back to tick %llu after counting hits", (unsigned long long)tick);
    }
    return 0;
}

int dap_hit_number(struct dap *d, struct dap_bp *b, uint64_t tick, long *n)
{
    if (tick > b->hits_known && d->continue_from <= b->hits_known) {
        if (record_hit(b, tick) < 0) { /* the next hit of a continue from the known part */
            return -1;
        }
    } else if (tick > b->hits_known && count_pass(d, b, tick) < 0) {
        return -1;
    }
    long k = 0;
    while (k < b->nhit_ticks && b->hit_ticks[k] <= tick) {
        k++;
    }
    *n = k;
    return 0;
}
