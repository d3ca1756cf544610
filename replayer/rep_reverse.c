/*
 * rep_reverse: moving backwards, and to any tick.
 *
 * A reverse motion is "the last moment before now at which its forward twin would have
 * stopped". pytt finds it by replaying forward from a snapshot (rep_snap.c) and watching, then
 * going to the best moment found:
 *   reverse-step      every dispatch in a window [now-K, now), K doubling from 64 until a
 *                     'line' event is found (lines are a few dispatches apart in any frame);
 *   reverse-next      'line' events in the current frame or its callers, with the watch
 *                     trampolines trapping only those frames, one snapshot interval at a time;
 *   reverse-finish    the caller's call instruction, which is where the caller's prev_instr
 *                     points now: the last dispatch of it in that frame;
 *   reverse-continue  the last breakpoint hit, the breakpoints' addresses watched.
 * Watched searches (next, finish, continue) go through find_last, which copes with dense hits
 * (a hot loop) by searching in growing windows back from `end` instead of trapping at every hit
 * from the interval's start. After landing, a snapshot is near the window scanned, so the next
 * reverse motion starts close by. A search for instructions only first tries one sparse pass
 * (find_last_sparse: only the watched instructions' opcodes trap, at nearly plain speed) and
 * then finds the exact moment of its last hit.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <stdlib.h>
#include <string.h>

typedef int (*rev_pred)(struct rep_session *s, const struct pyi_pos *pos, pt_addr next_instr,
                        void *ctx);

static int now_tick(struct rep_session *s, uint64_t *t)
{
    if (s->state != REP_READY) {
        return pt_fail("the replay is at the end of the recording (use goto end or goto TICK)");
    }
    return rep_clock_now(s, t);
}

/* Run forward to t; when that is far, stop NEAR_GAP counted dispatches short to leave a
 * snapshot there: the user is likely to go back a little from t next. (Any counted dispatch
 * up to the last is a moment that exists: (C, 0).) */
#define NEAR_GAP 64
static int run_forward_to(struct rep_session *s, uint64_t now, uint64_t t)
{
    if (PT_TICK_C(t) > PT_TICK_C(now) + 8 * NEAR_GAP && s->auto_snap) {
        if (rep_run_to_tick(s, PT_TICK(PT_TICK_C(t) - NEAR_GAP, 0)) < 0) {
            return -1;
        }
        if (s->state != REP_READY || rep_snapshot(s) < 0) {
            return s->state == REP_READY ? -1 : 0;
        }
    }
    return rep_run_to_tick(s, t);
}

/* Going forward to t (> now): start from the latest snapshot before t when it is ahead of now
 * by more than a cheap replay, instead of replaying from here. Snapshots lie where the replay
 * has been, so the output of what is skipped has been shown already. */
#define SKIP_AHEAD (1ull << 16) /* counted dispatches: a cheap replay (CHEAP_RUN) */
int rep_skip_ahead(struct rep_session *s, uint64_t t)
{
    uint64_t now;
    int i = rep_snap_before(s, t + 1);
    if (s->state != REP_READY || i < 0 || rep_clock_now(s, &now) < 0 ||
        PT_TICK_C(s->snaps[i].tick) <= PT_TICK_C(now) + SKIP_AHEAD) {
        pt_err_clear();
        return 0;
    }
    return rep_restore(s, i);
}

int rep_goto_tick(struct rep_session *s, uint64_t t)
{
    uint64_t now = 0;
    if (s->state == REP_READY && rep_clock_now(s, &now) == 0 && now == t && !s->nbp_stepover) {
        return 0; /* already there, at the instruction (not on a catchpoint's trap) */
    }
    if (s->state == REP_READY && now < t) {
        if (rep_skip_ahead(s, t) < 0 || rep_clock_now(s, &now) < 0) {
            return -1;
        }
        return now == t ? 0 : run_forward_to(s, now, t);
    }
    int i = rep_snap_before(s, t + 1);
    if (i < 0) {
        uint64_t first = s->nsnaps ? s->snaps[0].tick : 0;
        return pt_fail("tick %llu.%llu is before the first moment pytt can reach (tick %llu.%llu)",
                       (unsigned long long)PT_TICK_C(t), (unsigned long long)PT_TICK_K(t),
                       (unsigned long long)PT_TICK_C(first), (unsigned long long)PT_TICK_K(first));
    }
    if (rep_restore(s, i) < 0) {
        return -1;
    }
    return s->snaps[i].tick == t ? 0 : run_forward_to(s, s->snaps[i].tick, t);
}

/* rep_goto_tick without stopping at raises on the way (catchpoints armed by reverse-continue
 * are for the scans, not for getting to where a scan starts or to what it found). */
static int goto_disarmed(struct rep_session *s, uint64_t t)
{
    int armed = s->catch_armed;
    s->catch_armed = 0;
    int rc = rep_goto_tick(s, t);
    s->catch_armed = armed;
    return rc;
}

/* Land on tick t (a moment found by a scan, so one that exists) and make it the visible
 * stop; going there must not stop at raises on the way (rep_goto disarms catchpoints). */
static int land(struct rep_session *s, uint64_t t, struct pyi_pos *pos)
{
    int rc = rep_goto(s, t, pos);
    return rc == 0 ? pt_fail("tick %llu.%llu is past the recording's end",
                             (unsigned long long)PT_TICK_C(t), (unsigned long long)PT_TICK_K(t))
                   : rc;
}

/* A watched hit leaves a snapshot (so landing on the last one is a restore instead of a second
 * replay of the interval) unless one lies within this many counted dispatches before it: a
 * breakpoint in a hot loop must not fork at every iteration. */
#define HIT_SNAP_GAP (1ull << 18)

/* Evaluate pred at the current trap (tick < end): remember the tick if it holds. */
static int consider(struct rep_session *s, uint64_t end, rev_pred pred, void *ctx, uint64_t *best,
                    int *found, int snapshot_hits)
{
    uint64_t t;
    struct pyi_pos pos;
    pt_addr next_instr;
    if (rep_clock_now(s, &t) < 0 || t >= end) {
        return 0;
    }
    if (rep_here_instr(s, &pos, &next_instr) < 0) {
        return -1;
    }
    if (pred(s, &pos, next_instr, ctx)) {
        *best = t;
        *found = 1;
        int near = rep_snap_before(s, t + 1);
        if (snapshot_hits &&
            (near < 0 || PT_TICK_C(t) - PT_TICK_C(s->snaps[near].tick) > HIT_SNAP_GAP) &&
            rep_snapshot(s) < 0) {
            return -1;
        }
    }
    return 0;
}

/* From the current stop, run towards `end` trapping as w says (NULL: every dispatch), and
 * keep in *best the last tick in [start, end) where pred holds (*found: whether any). Stops
 * early, with *exhausted set, after `budget` traps: the caller then knows the answer is at or
 * after *best and searches closer to `end` first (find_last). */
static int scan(struct rep_session *s, uint64_t end, const struct pt_watch *w, rev_pred pred,
                void *ctx, uint64_t *best, int *found, unsigned budget, int *exhausted)
{
    uint64_t t;
    unsigned traps = 0;
    *exhausted = 0;
    if (consider(s, end, pred, ctx, best, found, w != NULL) < 0) {
        return -1;
    }
    for (;;) {
        if (rep_clock_now(s, &t) < 0) {
            return -1;
        }
        if (t >= end) {
            return 0;
        }
        if (++traps > budget) {
            *exhausted = 1;
            return 0;
        }
        if (w) {
            s->watch = *w;
            s->watch_on = 1;
            int rc = rep_run_to_tick(s, end);
            s->watch_on = 0;
            if (rc < 0) {
                return -1;
            }
        } else if (rep_run_dispatches(s, 1) < 0) {
            return -1;
        }
        if (s->state != REP_READY) {
            return 0;
        }
        if (s->catch_hit) { /* a raise (reverse-continue with catchpoints) */
            if (rep_clock_now(s, &t) < 0) {
                return -1;
            }
            if (t < end) {
                *best = t;
                *found = 1;
                s->catch_best = s->catch_hit;
                snprintf(s->caught_name, sizeof s->caught_name, "%s", s->catch_name);
            }
            s->catch_hit = 0;
            continue;
        }
        if (consider(s, end, pred, ctx, best, found, w != NULL) < 0) {
            return -1;
        }
    }
}

/* find_last's parameters: watched traps allowed in one forward scan (~25 us each); a replay
 * short enough to repeat for every window (~2.5 ms of plain replay), and the first window, in
 * counted dispatches. */
#define TRAP_BUDGET 4096
#define CHEAP_RUN (1ull << 16)
#define WINDOW0 8

/* The sparse first pass (below): how many hits it takes before handing over to the exact
 * search (dense hits: a breakpoint in a hot loop, searched in windows from `end`). */
#define SPARSE_BUDGET 256

/* w as a sparse watch (pt_clock.h): only the opcodes the watched instructions can be
 * dispatched as go through a watch trampoline. 0 when w watches more than instructions, a
 * catchpoint is armed (its int3 stops the run at a moment whose k is needed), or an
 * instruction's opcode is not known here; PYTT_RC_EXACT=1 never makes one (an oracle). */
static int sparse_watch(struct rep_session *s, const struct pt_watch *w, struct pt_watch *sw)
{
    const char *e = getenv("PYTT_RC_EXACT");
    struct pyi_session *p = rep_pyi(s);
    if ((e && *e && strcmp(e, "0") != 0) || !p || !w || w->nframes || w->frame_zero_off >= 0 ||
        w->keep_last || memchr(w->trap_op, 1, sizeof w->trap_op) || rep_catch_active(s)) {
        return 0;
    }
    *sw = *w;
    sw->sparse = 1;
    memset(sw->sparse_op, 0, sizeof sw->sparse_op);
    for (int k = 0; k < w->ninstrs; k++) {
        uint8_t op;
        if (pt_mem_read(&s->mem, w->instrs[k], &op, 1) < 0 ||
            pyi_opcode_family(p, op, sw->sparse_op) < 0) {
            pt_err_clear();
            return 0;
        }
    }
    return 1;
}

/* Run to counted dispatch c (its moment (c, 0)) from a stop whose k may be unknown. */
static int run_to_count(struct rep_session *s, uint64_t c)
{
    s->stop_tick = PT_TICK(c, 0);
    int rc = rep_run(s, UINT64_MAX);
    s->stop_tick = 0;
    return rc;
}

/* find_last's first pass, over [now, (C(end), 0)) at nearly the speed of a plain replay: a
 * sparse watch traps only at dispatches of the watched instructions' opcodes, and keeps no k,
 * so a hit is known by its counted dispatch only: *c_last, the last one after which pred held
 * (*found). *exhausted after SPARSE_BUDGET hits. */
static int scan_sparse(struct rep_session *s, uint64_t end, const struct pt_watch *sw,
                       rev_pred pred, void *ctx, uint64_t *c_last, int *found, int *exhausted)
{
    uint64_t ce = PT_TICK_C(end), c;
    unsigned hits = 0;
    *found = *exhausted = 0;
    for (;;) {
        if (rep_clock_coarse(s, &c) < 0) {
            return -1;
        }
        if (c >= ce || s->state != REP_READY) {
            return 0;
        }
        if (hits > SPARSE_BUDGET) {
            *exhausted = 1;
            return 0;
        }
        s->watch = *sw;
        s->watch_on = 1;
        int rc = run_to_count(s, ce);
        s->watch_on = 0;
        if (rc < 0 || s->state != REP_READY || rep_clock_coarse(s, &c) < 0) {
            return rc < 0 || s->state == REP_READY ? -1 : 0;
        }
        struct pyi_pos pos;
        pt_addr ni;
        if (c < ce) {
            if (rep_here_instr(s, &pos, &ni) < 0) {
                return -1;
            }
            if (pred(s, &pos, ni, ctx)) {
                *c_last = c;
                *found = 1;
                hits++;
            }
        }
    }
}

/* The exact moment of a hit the sparse pass (begun at `from`) found after counted dispatch c:
 * the last one in [(c, 0), (c + 1, 0)) and not before `from`, found by going there (a snapshot
 * is left near) and scanning exactly. */
static int resolve_sparse(struct rep_session *s, uint64_t from, uint64_t c,
                          const struct pt_watch *w, rev_pred pred, void *ctx, uint64_t *best,
                          int *found)
{
    int exhausted;
    *found = 0;
    if (goto_disarmed(s, PT_TICK(c, 0) > from ? PT_TICK(c, 0) : from) < 0) {
        return -1;
    }
    return scan(s, PT_TICK(c + 1, 0), w, pred, ctx, best, found, TRAP_BUDGET, &exhausted);
}

/* find_last through the sparse pass: 1 when it has the answer (*found says whether there is
 * a hit), 0 when the hits were too dense for it (the replay is then anywhere). */
static int find_last_sparse(struct rep_session *s, uint64_t end, const struct pt_watch *w,
                            const struct pt_watch *sw, rev_pred pred, void *ctx, uint64_t *best,
                            int *found)
{
    uint64_t c_last = 0, now, from;
    int sf = 0, exhausted = 0;
    if (rep_clock_now(s, &from) < 0 ||
        scan_sparse(s, end, sw, pred, ctx, &c_last, &sf, &exhausted) < 0) {
        return -1;
    }
    if (exhausted) {
        return 0;
    }
    /* the hits after (C(end), 0), exactly: the run stopped there */
    if (s->state == REP_READY && PT_TICK_K(end) > 0) {
        if (rep_clock_now(s, &now) < 0 ||
            (now < end && scan(s, end, w, pred, ctx, best, found, TRAP_BUDGET, &exhausted) < 0)) {
            return -1;
        }
        if (*found) {
            return 1;
        }
    }
    if (!sf) {
        return 1;
    }
    if (resolve_sparse(s, from, c_last, w, pred, ctx, best, found) < 0) {
        return -1;
    }
    return *found ? 1 : 0; /* (not found: the exact search decides) */
}

/* The last tick in [now, end) where pred holds, watching as w says. Hits are often dense (the
 * current frame or a breakpoint inside a hot loop: a forward scan would trap at every
 * iteration), and the answer is the one nearest `end`, so the search looks in windows
 * [end - k, end), k growing fourfold from WINDOW0, each replayed from the nearest snapshot.
 * That is done at once when `end` is a cheap replay away; otherwise a forward scan runs first
 * (right when hits are rare: one pass), and turns to windows after TRAP_BUDGET traps, leaving a
 * snapshot where it stopped. A window that is dense again does the same from where it stops. */
static int find_last(struct rep_session *s, uint64_t end, const struct pt_watch *w, rev_pred pred,
                     void *ctx, uint64_t *best, int *found)
{
    int exhausted = 0;
    uint64_t from;
    struct pt_watch sw;
    *found = 0;
    if (rep_clock_now(s, &from) < 0) {
        return -1;
    }
    if (PT_TICK_C(end) - PT_TICK_C(from) > CHEAP_RUN && sparse_watch(s, w, &sw)) {
        int r = find_last_sparse(s, end, w, &sw, pred, ctx, best, found);
        if (r != 0) {
            s->sparse_passes += r > 0;
            return r < 0 ? -1 : 0;
        }
        if (goto_disarmed(s, from) < 0) { /* dense hits: the exact search below, from here */
            return -1;
        }
    }
    if (PT_TICK_C(end) - PT_TICK_C(from) > CHEAP_RUN) {
        if (scan(s, end, w, pred, ctx, best, found, TRAP_BUDGET, &exhausted) < 0) {
            return -1;
        }
        if (!exhausted) {
            return 0;
        }
        if (rep_clock_now(s, &from) < 0 || rep_snapshot(s) < 0) {
            return -1;
        }
    }
    for (uint64_t k = WINDOW0;; k *= 4) {
        uint64_t span = PT_TICK_C(end) - PT_TICK_C(from), b = 0;
        uint64_t lo = span > k ? PT_TICK(PT_TICK_C(end) - k, 0) : from;
        int f = 0;
        if (goto_disarmed(s, lo) < 0 ||
            scan(s, end, w, pred, ctx, &b, &f, TRAP_BUDGET, &exhausted) < 0) {
            return -1;
        }
        if (f) {
            *best = b;
            *found = 1;
        }
        if (exhausted) { /* dense inside the window: windows again, from here */
            if (rep_clock_now(s, &from) < 0 || rep_snapshot(s) < 0) {
                return -1;
            }
            k = WINDOW0 / 4;
            continue;
        }
        if (f || lo == from) {
            return 0;
        }
    }
}

/* Scan snapshot intervals backwards from `end` until pred holds somewhere. */
static int scan_back(struct rep_session *s, uint64_t end, const struct pt_watch *w, rev_pred pred,
                     void *ctx, struct pyi_pos *pos)
{
    uint64_t best;
    int found;
    int intervals = 0;
    for (int i = rep_snap_before(s, end); i >= 0; i = rep_snap_before(s, end)) {
        if (intervals++ > 0 && s->progress) {
            struct rep_progress p = {.backward = 1, .from = s->snaps[i].tick, .to = end};
            s->progress(s->progress_ctx, &p);
        }
        uint64_t start = s->snaps[i].tick;
        if (rep_restore(s, i) < 0 || find_last(s, end, w, pred, ctx, &best, &found) < 0) {
            return -1;
        }
        if (found) {
            return land(s, best, pos);
        }
        end = start;
    }
    return rep_goto_start(s, pos) < 0 ? -1 : 0;
}

static int is_line(struct rep_session *s, const struct pyi_pos *pos, pt_addr ni, void *ctx)
{
    return pos->line_event && rep_in_selected_thread(s);
}

int rep_reverse_step(struct rep_session *s, struct pyi_pos *pos)
{
    uint64_t now, best;
    int found;
    if (now_tick(s, &now) < 0 || rep_nav_ready(s) < 0) {
        return -1;
    }
    uint64_t first = s->nsnaps ? s->snaps[0].tick : 0;
    /* windows from the counted dispatch k back to now: this one's interval, then 1, 2, 4... */
    for (uint64_t k = 0;; k = k ? 2 * k : 1) {
        uint64_t lo_c = PT_TICK_C(now) > k ? PT_TICK_C(now) - k : 0;
        uint64_t lo = PT_TICK(lo_c, 0) > first ? PT_TICK(lo_c, 0) : first;
        if (lo >= now) {
            if (lo == first) {
                return rep_goto_start(s, pos) < 0 ? -1 : 0; /* nothing before the start */
            }
            continue; /* now is a counted dispatch: its interval is empty */
        }
        if (rep_goto_tick(s, lo) < 0) {
            return -1;
        }
        int near = rep_snap_before(s, lo + 1);
        if (lo > first && (near < 0 || lo_c - PT_TICK_C(s->snaps[near].tick) > 256) &&
            rep_snapshot(s) < 0) {
            return -1; /* the next reverse steps start from here */
        }
        int exhausted;
        found = 0;
        if (scan(s, now, NULL, is_line, NULL, &best, &found, UINT32_MAX, &exhausted) < 0) {
            return -1;
        }
        if (found) {
            return land(s, best, pos);
        }
        if (lo == first) {
            return rep_goto_start(s, pos) < 0 ? -1 : 0;
        }
    }
}

static int in_frames(struct rep_session *s, const struct pyi_pos *pos, pt_addr ni, void *ctx)
{
    const struct pt_watch *w = ctx;
    return pos->line_event && rep_watch_has_frame(w, w->nframes, pos->frame);
}

int rep_reverse_next(struct rep_session *s, struct pyi_pos *pos)
{
    struct pyi_pos here;
    struct pt_watch w;
    uint64_t now;
    if (now_tick(s, &now) < 0 || rep_nav_ready(s) < 0 || rep_here_selected(s, &here) < 0 ||
        rep_watch_frames(s, here.frame, &w, 0) < 0) {
        return -1;
    }
    return scan_back(s, now, &w, in_frames, &w, pos);
}

struct call_ctx {
    pt_addr frame, instr;
};

static int at_call(struct rep_session *s, const struct pyi_pos *pos, pt_addr ni, void *ctx)
{
    struct call_ctx *c = ctx;
    return pos->frame == c->frame && ni == c->instr;
}

int rep_reverse_finish(struct rep_session *s, struct pyi_pos *pos)
{
    struct pyi_pos here;
    struct pt_watch w;
    struct call_ctx c;
    uint64_t now;
    if (now_tick(s, &now) < 0 || rep_nav_ready(s) < 0 || rep_here_selected(s, &here) < 0) {
        return -1;
    }
    if (!here.previous) {
        return pt_fail("\"reverse-finish\" not meaningful in the outermost frame");
    }
    c.frame = here.previous;
    if (pyi_frame_instr(s->pyi, c.frame, &c.instr) < 0) {
        return -1;
    }
    rep_watch_init(s, &w);
    w.instrs[w.ninstrs++] = c.instr;
    return scan_back(s, now, &w, at_call, &c, pos);
}

static int bp_hit(struct rep_session *s, const struct pyi_pos *pos, pt_addr ni, void *ctx)
{
    return rep_bp_check(s, ni, pos) != NULL;
}

/* At the stop rep_goto_uncaught made, the uncaught exception's raise counts as behind the
 * user (the program is shown post mortem): a catchpoint for it reports it there, once. */
static int postmortem_catch(struct rep_session *s, uint64_t now, struct pyi_pos *pos, int *bp_id)
{
    if (!s->postmortem_tick || now != s->postmortem_tick) {
        return 0;
    }
    for (int i = 0; i < s->nbps; i++) {
        if (s->bps[i].is_catch && s->bps[i].enabled &&
            rep_catch_matches(s->bps[i].func, s->postmortem_name)) {
            *bp_id = s->bps[i].id;
            s->bps[i].hits++;
            snprintf(s->caught_name, sizeof s->caught_name, "%s", s->postmortem_name);
            s->catch_skip_tick = now;
            s->postmortem_tick = 0;
            return rep_here(s, pos) < 0 ? -1 : 1;
        }
    }
    return 0;
}

int rep_reverse_continue(struct rep_session *s, struct pyi_pos *pos, int *bp_id)
{
    struct pt_watch w;
    uint64_t now;
    *bp_id = 0;
    if (now_tick(s, &now) < 0 || rep_nav_ready(s) < 0) {
        return -1;
    }
    int pm = postmortem_catch(s, now, pos, bp_id);
    if (pm != 0) {
        return pm;
    }
    if (rep_watch_active(s)) {
        return rep_watch_reverse_continue(s, pos, bp_id);
    }
    rep_break_resolve_pending(s);
    rep_watch_init(s, &w);
    if (rep_watch_breakpoints(s, &w) < 0) {
        return -1;
    }
    s->caught_name[0] = '\0';
    s->catch_best = 0;
    s->catch_skip_tick = 0;
    s->catch_armed = 1;
    int r = scan_back(s, now, &w, bp_hit, NULL, pos);
    s->catch_armed = 0;
    if (r > 0 && s->catch_best) {
        uint64_t t;
        *bp_id = s->catch_best;
        if (rep_clock_now(s, &t) == 0) {
            s->catch_skip_tick = t;
        }
        return r;
    }
    s->caught_name[0] = '\0';
    if (r > 0) {
        pt_addr ni;
        struct pyi_pos p2;
        if (rep_here_instr(s, &p2, &ni) == 0) {
            const struct rep_bp *bp = rep_bp_check(s, ni, &p2);
            *bp_id = bp ? bp->id : 0;
        }
    }
    return r;
}

int rep_goto_start(struct rep_session *s, struct pyi_pos *pos)
{
    if (s->nsnaps == 0) {
        return pt_fail("no snapshot of the start was taken");
    }
    if (rep_restore(s, 0) < 0 || rep_here(s, pos) < 0) {
        return -1;
    }
    return rep_present(s, pos) < 0 ? -1 : 1;
}

int rep_goto(struct rep_session *s, uint64_t t, struct pyi_pos *pos)
{
    if (goto_disarmed(s, t) < 0) {
        return -1;
    }
    if (s->state != REP_READY) {
        return 0; /* past the recording's last Python moment */
    }
    return rep_here(s, pos) < 0 || rep_present(s, pos) < 0 ? -1 : 1;
}

static int never(struct rep_session *s, const struct pyi_pos *pos, pt_addr ni, void *ctx)
{
    return 0;
}

int rep_goto_uncaught(struct rep_session *s, struct pyi_pos *pos, char *name, size_t cap)
{
    struct pt_watch w;
    pt_addr fo;
    int r = rep_goto_end(s, pos);
    if (r <= 0 || rep_nav_ready(s) < 0) {
        return r <= 0 ? r : -1;
    }
    int u = pyi_uncaught(s->pyi, &fo, name, cap);
    if (u <= 0) {
        return u < 0 ? -1 : 1; /* no uncaught exception: stay at the end */
    }
    uint64_t end;
    if (rep_clock_now(s, &end) < 0) {
        return -1;
    }
    rep_watch_init(s, &w);
    s->uncaught_fo = fo;
    s->catch_armed = 1;
    s->catch_skip_tick = 0;
    r = scan_back(s, end, &w, never, NULL, pos);
    s->catch_armed = 0;
    s->uncaught_fo = 0;
    if (r == 0) { /* not found (the raise is before the first snapshot): the end, then */
        return rep_goto_end(s, pos);
    }
    if (r > 0 && rep_clock_now(s, &s->postmortem_tick) == 0) {
        s->catch_skip_tick = s->postmortem_tick;
        snprintf(s->postmortem_name, sizeof s->postmortem_name, "%s", name);
    }
    return r < 0 ? -1 : 2;
}

/* The last Python moment: the last dispatch before the program ended. The trace knows the
 * counted dispatch of its last syscall; from there, dispatches are run one at a time to the
 * end (a short straight-line tail), and the last one is landed on. */
int rep_goto_end(struct rep_session *s, struct pyi_pos *pos)
{
    enum { BACK = 8 };
    uint64_t end_c = s->tr.last_tick, last[BACK] = {0}, t;
    size_t n = 0;
    if (end_c == 0) {
        return pt_fail("the recording has no Python moments to go to");
    }
    if (goto_disarmed(s, PT_TICK(end_c, 0)) < 0) {
        return -1;
    }
    while (s->state == REP_READY && rep_clock_now(s, &t) == 0) {
        last[n++ % BACK] = t;
        if (rep_run_dispatches(s, 1) < 0) {
            return -1;
        }
    }
    if (n == 0) {
        return -1;
    }
    int rc = land(s, last[(n - 1) % BACK], pos);
    /* 3.12+: the last dispatches can be the eval loop's exit in a frame the C stack owns: the
     * end is the last one in Python code */
    for (size_t back = 2; rc > 0 && pos->c_stack && back <= n && back <= BACK; back++) {
        rc = land(s, last[(n - back) % BACK], pos);
    }
    return rc;
}
