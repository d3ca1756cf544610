/*
 * rep_watch: data over time. Watchpoints (`watch EXPR`: continue and reverse-continue stop where
 * the value changes), `last EXPR` (the previous or next change), `history EXPR` (every change
 * in the recording) and the scan they share.
 *
 * An expression is resolved once, when it is set, to a place (pyintrospect's struct pyi_loc: a
 * function's local, a module's global, one object's attribute, one container's item). A scan
 * runs the replay forward one bytecode dispatch at a time, in every thread (the same counted
 * dispatches `step` stops at), and reads each place at every dispatch: a value that differs from
 * the one read at the previous dispatch was changed by the instruction of that previous
 * dispatch (Python runs one instruction at a time, under the GIL), whose line, function and
 * thread the change reports; the moment of the change is the dispatch after it (the first
 * moment the new value can be seen). A local is read only at dispatches of frames running its
 * function, each frame compared with its own previous value (a frame's start sets it without a
 * change: arguments are bound by the call, not assigned). Going backwards is the same scan over
 * the snapshot intervals before now, latest first, keeping the last change before now. Simple
 * and exact, one trap per dispatch; hardware debug registers are the speed-up left for later
 * (docs/architecture.md).
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <stdlib.h>
#include <string.h>

/* A frame running a watched local's function: its value after its last dispatch. */
struct wframe {
    pt_addr frame;
    char *value;
    struct rep_place last; /* its last dispatch */
};

/* What a scan follows for one place. */
struct wfollow {
    const struct pyi_loc *loc;
    char *value; /* GLOBAL, ATTR, ITEM: after the previous dispatch */
    struct wframe *frames;
    size_t nframes, cap;
};

struct wscan {
    struct wfollow *f;
    size_t n;
    struct rep_place prev; /* the previous dispatch, any thread */
    int allow_hw;          /* the caller needs no stop at each dispatch (no breakpoints) */
    int hw;                /* 1: the places' words are armed (rep_hwatch.c), 0: exact */
    unsigned exact_left;   /* dispatches to scan exactly before trying to arm again */
};

static void place_of(struct rep_session *s, const struct pyi_pos *pos, struct rep_place *out)
{
    struct rep_thread *t = rep_thread_cur(s);
    out->tid = t ? t->rec_tid : 0;
    out->thread = t ? rep_thread_number(s, t->rec_tid) : 0;
    out->line = pos->line;
    snprintf(out->file, sizeof out->file, "%s", pos->filename);
    snprintf(out->func, sizeof out->func, "%s", pos->qualname);
}

static void scan_free(struct rep_session *s, struct wscan *sc)
{
    rep_hw_set(s, NULL, 0);
    for (size_t i = 0; i < sc->n; i++) {
        free(sc->f[i].value);
        for (size_t k = 0; k < sc->f[i].nframes; k++) {
            free(sc->f[i].frames[k].value);
        }
        free(sc->f[i].frames);
    }
    free(sc->f);
    memset(sc, 0, sizeof *sc);
}

/* The value of a place now (a note in <...> when it holds nothing or cannot be read). */
static char *read_value(struct rep_session *s, const struct pyi_loc *loc, pt_addr frame)
{
    char *text = NULL;
    if (pyi_loc_read(s->pyi, loc, frame, &text) < 0) {
        free(text);
        text = NULL;
        if (asprintf(&text, "<unreadable: %s>", pt_errmsg()) < 0) {
            text = NULL;
        }
        pt_err_clear();
    }
    return text ? text : strdup("<unreadable>");
}

static struct wframe *frame_entry(struct wfollow *f, pt_addr frame, int create)
{
    for (size_t k = 0; k < f->nframes; k++) {
        if (f->frames[k].frame == frame) {
            return &f->frames[k];
        }
    }
    if (!create) {
        return NULL;
    }
    if (f->nframes == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 8;
        struct wframe *v = realloc(f->frames, cap * sizeof *v);
        if (!v) {
            return NULL;
        }
        f->frames = v;
        f->cap = cap;
    }
    struct wframe *e = &f->frames[f->nframes++];
    memset(e, 0, sizeof *e);
    e->frame = frame;
    return e;
}

/* Start following locs from the current dispatch (its values are the baseline). */
static int scan_init(struct rep_session *s, struct wscan *sc, const struct pyi_loc *const *locs,
                     size_t n)
{
    struct pyi_pos pos;
    pt_addr ni;
    memset(sc, 0, sizeof *sc);
    if (rep_here_instr(s, &pos, &ni) < 0) {
        return -1;
    }
    sc->f = calloc(n, sizeof *sc->f);
    if (!sc->f) {
        return pt_fail("out of memory");
    }
    sc->n = n;
    place_of(s, &pos, &sc->prev);
    for (size_t i = 0; i < n; i++) {
        struct wfollow *f = &sc->f[i];
        f->loc = locs[i];
        if (f->loc->kind != PYI_LOC_LOCAL) {
            f->value = read_value(s, f->loc, 0);
        } else if (pos.code == f->loc->code) {
            struct wframe *e = frame_entry(f, pos.frame, 1);
            if (!e) {
                return pt_fail("out of memory");
            }
            e->value = read_value(s, f->loc, pos.frame);
            e->last = sc->prev;
        }
    }
    return 0;
}

/* Fill ch with a change of place i, from old to new (ownership of new passes to ch). */
static void note_change(struct rep_change *ch, size_t i, uint64_t tick, const struct rep_place *by,
                        const char *old, char *new)
{
    ch->which = (int)i;
    ch->tick = tick;
    ch->by = *by;
    free(ch->old_value);
    free(ch->new_value);
    ch->old_value = strdup(old);
    ch->new_value = new;
}

/* A place that holds nothing (pyi_loc_read's notes): going from one such state to another
 * (no object yet, then an object without the attribute yet) is not a change of value. */
static int is_absent(const char *v)
{
    static const char *const notes[] = {
        "<unbound>",           "<not defined>", "<no object>",         "<not set>",
        "<no such attribute>", "<no such key>", "<index out of range>"};
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++) {
        if (strcmp(v, notes[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int differs(const char *old, const char *new)
{
    return strcmp(old, new) != 0 && !(is_absent(old) && is_absent(new));
}

/* Read every place at the current dispatch; the first that changed fills ch (1). */
static int scan_check(struct rep_session *s, struct wscan *sc, struct rep_change *ch)
{
    struct pyi_pos pos;
    pt_addr ni;
    uint64_t tick;
    struct rep_place here;
    int changed = 0;
    if (rep_here_instr(s, &pos, &ni) < 0 || rep_clock_now(s, &tick) < 0) {
        return -1;
    }
    place_of(s, &pos, &here);
    for (size_t i = 0; i < sc->n; i++) {
        struct wfollow *f = &sc->f[i];
        if (f->loc->kind != PYI_LOC_LOCAL) {
            char *v = read_value(s, f->loc, 0);
            if (!changed && differs(f->value, v)) {
                note_change(ch, i, tick, &sc->prev, f->value, strdup(v));
                changed = 1;
            }
            free(f->value);
            f->value = v;
            continue;
        }
        if (pos.code != f->loc->code) {
            continue;
        }
        struct wframe *e = frame_entry(f, pos.frame, 0);
        char *v = read_value(s, f->loc, pos.frame);
        if (e && !pos.frame_start && !changed && differs(e->value, v)) {
            note_change(ch, i, tick, &e->last, e->value, strdup(v));
            changed = 1;
        }
        if (!e && !(e = frame_entry(f, pos.frame, 1))) {
            free(v);
            return pt_fail("out of memory");
        }
        free(e->value);
        e->value = v;
        e->last = here;
    }
    sc->prev = here;
    return changed;
}

/* One dispatch forward, then check: 1 a change (ch), 0 none, 2 the replay ended. */
static int scan_step(struct rep_session *s, struct wscan *sc, struct rep_change *ch)
{
    if (rep_run_dispatches(s, 1) < 0) {
        return -1;
    }
    if (s->state != REP_READY) {
        return 2;
    }
    return scan_check(s, sc, ch);
}

/* ---- the hardware path (rep_hwatch.c) ------------------------------------------------------ */

/* Dispatches scanned exactly, where the places cannot be armed, before trying again. */
#define HW_RETRY 64

/* PYTT_WATCH_EXACT=1 turns the hardware path off (the exact engine alone: an oracle for it),
 * and `trace`'s in-tracee log (every hit stops). */
int rep_watch_exact_only(void)
{
    const char *e = getenv("PYTT_WATCH_EXACT");
    return e && *e && strcmp(e, "0") != 0;
}

static int hw_allowed(void)
{
    return !rep_watch_exact_only();
}

/* Arm the words every place's value lives in (pyintrospect's pyi_loc_slots): 1 armed, 0 not
 * (the scan goes on exactly; rep_watch_how says why). */
static int hw_arm(struct rep_session *s, struct wscan *sc)
{
    pt_addr all[PYI_SLOTS_MAX];
    int n = 0;
    struct pyi_session *p = rep_pyi(s);
    sc->hw = 0;
    for (size_t i = 0; p && i < sc->n; i++) {
        struct pyi_slots sl;
        int r = pyi_loc_slots(p, sc->f[i].loc, &sl);
        if (r <= 0 || n + sl.n > PYI_SLOTS_MAX) {
            pt_err_clear();
            rep_hw_set(s, NULL, 0);
            return 0;
        }
        memcpy(all + n, sl.addr, (size_t)sl.n * sizeof all[0]);
        n += sl.n;
    }
    if (rep_hw_arm_now(s, all, n) < 0) {
        pt_err_clear(); /* no debug registers here: rep_watch_how says so */
        return 0;
    }
    sc->hw = 1;
    return 1;
}

/* Run with the words armed to `end` (UINT64_MAX: the recording's end) or a write to one: then
 * on to the next dispatch (the first moment a new value is seen) and compare there, the writing
 * instruction being the one the trap stopped in. 1 a change (ch), 0 none yet (at end, or a
 * write that changed nothing), 2 the replay ended. */
static int hw_step(struct rep_session *s, struct wscan *sc, uint64_t end, struct rep_change *ch)
{
    struct pyi_pos pos;
    struct rep_place by = sc->prev;
    s->hw.hit = 0;
    s->hw.runs++;
    int rc = end == UINT64_MAX ? rep_run_until_trap(s) : rep_run_to_tick(s, end);
    if (rc < 0 && pt_interrupted) {
        pt_err_clear(); /* the caller sees pt_interrupted */
        return 0;
    }
    if (rc < 0 || s->state != REP_READY) {
        return rc < 0 ? -1 : 2;
    }
    if (!s->hw.hit) {
        return 0;
    }
    if (rep_here_running(s, &pos) == 0) {
        place_of(s, &pos, &by);
    }
    pt_err_clear();
    do { /* more writes before the next dispatch: the same instruction's */
        s->hw.hit = 0;
        if (rep_run_dispatches(s, 1) < 0) {
            return -1;
        }
        if (s->state != REP_READY) {
            return 2;
        }
    } while (s->hw.hit);
    sc->prev = by;
    return scan_check(s, sc, ch);
}

/* Forward to the next change or `end`: with debug registers where the places can be armed,
 * else one dispatch at a time (scan_step). Returns as scan_step. */
static int scan_advance(struct rep_session *s, struct wscan *sc, uint64_t end,
                        struct rep_change *ch)
{
    uint64_t now;
    if (sc->allow_hw && sc->exact_left == 0 && hw_allowed()) {
        if (!hw_arm(s, sc)) {
            sc->exact_left = HW_RETRY;
        } else if (end == UINT64_MAX || (rep_clock_now(s, &now) == 0 && now < end)) {
            return hw_step(s, sc, end, ch);
        }
        pt_err_clear();
    }
    if (sc->exact_left) {
        sc->exact_left--;
    }
    sc->hw = 0;
    rep_hw_set(s, NULL, 0);
    return scan_step(s, sc, ch);
}

/* ---- watchpoints --------------------------------------------------------------------------- */

int rep_watch_add(struct rep_session *s, const char *expr, const struct rep_watchpt **out)
{
    struct pyi_loc loc;
    if (s->nwps == REP_MAX_WATCH) {
        return pt_fail("too many watchpoints (at most %d): delete one first", REP_MAX_WATCH);
    }
    if (rep_nav_ready(s) < 0 || rep_pyi(s) == NULL || pyi_loc_resolve(s->pyi, expr, &loc) < 0) {
        return pt_wrap("watch %s", expr);
    }
    return rep_watch_add_loc(s, expr, &loc, out);
}

int rep_watch_add_loc(struct rep_session *s, const char *expr, const struct pyi_loc *loc,
                      const struct rep_watchpt **out)
{
    if (s->nwps == REP_MAX_WATCH) {
        return pt_fail("too many watchpoints (at most %d): delete one first", REP_MAX_WATCH);
    }
    struct rep_watchpt *w = &s->wps[s->nwps++];
    memset(w, 0, sizeof *w);
    w->id = ++s->last_bp_id;
    w->enabled = 1;
    w->loc = *loc;
    snprintf(w->expr, sizeof w->expr, "%s", expr);
    *out = w;
    return 0;
}

int rep_watch_remove(struct rep_session *s, int id)
{
    for (int i = 0; i < s->nwps; i++) {
        if (id == 0 || s->wps[i].id == id) {
            memmove(&s->wps[i], &s->wps[i + 1], (size_t)(s->nwps - i - 1) * sizeof s->wps[0]);
            s->nwps--;
            if (id) {
                return 0;
            }
            i--;
        }
    }
    return id ? pt_fail("no watchpoint number %d", id) : 0;
}

const struct rep_watchpt *rep_watchpoints(const struct rep_session *s, int *n)
{
    *n = s->nwps;
    return s->wps;
}

int rep_watch_enable(struct rep_session *s, int id, int on)
{
    for (int i = 0; i < s->nwps; i++) {
        if (s->wps[i].id == id) {
            s->wps[i].enabled = on;
            return 0;
        }
    }
    return pt_fail("no watchpoint number %d", id);
}

const struct rep_change *rep_last_change(const struct rep_session *s)
{
    return s->change.tick ? &s->change : NULL;
}

static struct rep_watchpt *wp_by_id(struct rep_session *s, int id)
{
    for (int i = 0; i < s->nwps; i++) {
        if (s->wps[i].id == id) {
            return &s->wps[i];
        }
    }
    return NULL;
}

/* The enabled watchpoints are armed together or not at all: 1 if w (armable, `words` words)
 * still is with the others, else 0 with why. */
static int with_others(struct rep_session *s, const struct rep_watchpt *w, int words, char *why,
                       size_t len)
{
    int total = words;
    for (int i = 0; i < s->nwps; i++) {
        struct pyi_slots sl;
        if (&s->wps[i] == w || !s->wps[i].enabled) {
            continue;
        }
        if (pyi_loc_slots(rep_pyi(s), &s->wps[i].loc, &sl) <= 0) {
            pt_err_clear();
            snprintf(why, len, "watchpoint %d is, and the enabled ones are checked together",
                     s->wps[i].id);
            return 0;
        }
        total += sl.n;
    }
    if (total > PYI_SLOTS_MAX) {
        snprintf(why, len, "the enabled watchpoints need %d debug registers in all (there are %d)",
                 total, PYI_SLOTS_MAX);
        return 0;
    }
    return 1;
}

int rep_watch_how(struct rep_session *s, int id, int *words, char *why, size_t len)
{
    struct rep_watchpt *w = wp_by_id(s, id);
    struct pyi_slots sl;
    *words = 0;
    why[0] = '\0';
    if (!w) {
        return pt_fail("no watchpoint number %d", id);
    }
    if (!hw_allowed() || s->hw.unusable[0]) {
        snprintf(why, len, "%s", s->hw.unusable[0] ? s->hw.unusable : "PYTT_WATCH_EXACT is set");
        return 0;
    }
    if (s->state != REP_READY || rep_nav_ready(s) < 0 || !rep_pyi(s)) {
        pt_err_clear();
        snprintf(why, len, "no process to look at here");
        return 0;
    }
    int r = pyi_loc_slots(rep_pyi(s), &w->loc, &sl);
    if (r < 0) {
        snprintf(why, len, "%s", pt_errmsg());
        pt_err_clear();
        return 0;
    }
    *words = sl.n;
    snprintf(why, len, "%s", r ? "" : sl.why);
    return r > 0 && w->enabled ? with_others(s, w, *words, why, len) : r;
}

void rep_hw_stats(const struct rep_session *s, uint64_t *runs, uint64_t *traps)
{
    *runs = s->hw.runs;
    *traps = s->hw.traps;
}

/* The enabled watchpoints' places, and which watchpoint each is. */
static size_t enabled_locs(struct rep_session *s, const struct pyi_loc **locs, int *ids)
{
    size_t n = 0;
    for (int i = 0; i < s->nwps; i++) {
        if (s->wps[i].enabled) {
            ids[n] = s->wps[i].id;
            locs[n++] = &s->wps[i].loc;
        }
    }
    return n;
}

int rep_watch_active(const struct rep_session *s)
{
    for (int i = 0; i < s->nwps; i++) {
        if (s->wps[i].enabled) {
            return 1;
        }
    }
    return 0;
}

/* A breakpoint hit at the current dispatch (its id, 0 none). */
static int bp_here(struct rep_session *s)
{
    struct pyi_pos pos;
    pt_addr ni;
    if (s->nbps == 0 || rep_here_instr(s, &pos, &ni) < 0) {
        pt_err_clear();
        return 0;
    }
    struct rep_bp *bp = rep_bp_check(s, ni, &pos);
    return bp ? bp->id : 0;
}

/* continue with watchpoints: dispatch by dispatch to the next change or breakpoint hit. */
int rep_watch_continue(struct rep_session *s, struct pyi_pos *pos, int *id)
{
    const struct pyi_loc *locs[REP_MAX_WATCH];
    int ids[REP_MAX_WATCH];
    struct wscan sc = {0};
    size_t n = enabled_locs(s, locs, ids);
    *id = 0;
    free(s->change.old_value);
    free(s->change.new_value);
    memset(&s->change, 0, sizeof s->change);
    rep_break_resolve_pending(s);
    if (rep_nav_ready(s) < 0 || scan_init(s, &sc, locs, n) < 0) {
        scan_free(s, &sc);
        return -1;
    }
    int r;
    sc.allow_hw = s->nbps == 0; /* breakpoints are checked at every dispatch */
    while ((r = scan_advance(s, &sc, UINT64_MAX, &s->change)) == 0) {
        int bp = bp_here(s);
        if (bp || pt_interrupted) {
            struct rep_bp *b = NULL;
            for (int i = 0; bp && i < s->nbps; i++) {
                b = s->bps[i].id == bp ? &s->bps[i] : b;
            }
            if (b) {
                b->hits++;
            }
            *id = bp;
            r = 3;
            break;
        }
    }
    scan_free(s, &sc);
    if (r < 0 || r == 2) {
        return r < 0 ? -1 : 0;
    }
    if (r == 1) {
        struct rep_watchpt *w = wp_by_id(s, ids[s->change.which]);
        s->change.which = ids[s->change.which];
        if (w) {
            w->hits++;
        }
        *id = s->change.which;
    }
    return rep_here(s, pos) < 0 || rep_present(s, pos) < 0 ? -1 : 1;
}

/* ---- backwards: the last change in [from snapshot, end) ---------------------------------- */

/* A backward scan leaves a snapshot every this many dispatches (a fork: ~1 ms, against ~50 us
 * per dispatch scanned), so a repeated `last` starts near where it stopped. */
#define SCAN_SNAP_EVERY 4096
/* With debug registers the scan runs at nearly full speed: it leaves a snapshot at a change it
 * finds instead, when the last one it left is this many counted dispatches behind, so landing
 * on the last change found replays at most that much, not the interval again. */
#define HW_SNAP_GAP (1ull << 16)

/* Scan from the current moment to `end` (exclusive; inclusive when incl): the last change (in
 * *best, *found) and the last breakpoint hit (*bp_tick, *bp). */
static int last_in(struct rep_session *s, const struct pyi_loc *const *locs, size_t n, uint64_t end,
                   int incl, struct rep_change *best, int *found, uint64_t *bp_tick, int *bp)
{
    struct wscan sc = {0};
    struct rep_change ch = {0};
    uint64_t t, steps = 0, snap_c = 0;
    if (scan_init(s, &sc, locs, n) < 0 || rep_clock_now(s, &t) < 0) {
        scan_free(s, &sc);
        return -1;
    }
    snap_c = PT_TICK_C(t);
    sc.allow_hw = !bp || s->nbps == 0;
    int r = 0;
    for (;;) {
        if (rep_clock_now(s, &t) < 0) {
            r = -1;
            break;
        }
        if (t > end || (t == end && !incl) || pt_interrupted) {
            break;
        }
        if (bp && t < end) {
            int id = bp_here(s);
            if (id) {
                *bp = id;
                *bp_tick = t;
            }
        }
        if (++steps % SCAN_SNAP_EVERY == 0 && rep_snapshot(s) < 0) {
            r = -1; /* the next search back starts from here, not from the interval's start */
            break;
        }
        r = scan_advance(s, &sc, end, &ch);
        if (r < 0 || r == 2) {
            break;
        }
        if (r == 1 && rep_clock_now(s, &t) == 0 && (t < end || (t == end && incl))) {
            free(best->old_value);
            free(best->new_value);
            *best = ch;
            memset(&ch, 0, sizeof ch);
            *found = 1;
            if (sc.hw && PT_TICK_C(t) >= snap_c + HW_SNAP_GAP) {
                snap_c = PT_TICK_C(t);
                if (rep_snapshot(s) < 0) {
                    r = -1;
                    break;
                }
            }
        }
    }
    free(ch.old_value);
    free(ch.new_value);
    scan_free(s, &sc);
    return r < 0 ? -1 : 0;
}

/* The last change before now (and, when bp is set, the last breakpoint hit, if later): land
 * there (1), or at the start when there is none (0). */
/* Land on the later of the change found and the breakpoint hit found: 1 (change) or 2 (hit). */
static int land_found(struct rep_session *s, int found, const struct rep_change *best, int *bp,
                      uint64_t bp_tick, struct pyi_pos *pos)
{
    int use_bp = bp && *bp && (!found || bp_tick > best->tick);
    if (bp && !use_bp) {
        *bp = 0;
    }
    int rc = rep_goto(s, use_bp ? bp_tick : best->tick, pos);
    if (rc == 0) {
        return pt_fail("the change found is past the recording's end");
    }
    return rc < 0 ? -1 : use_bp ? 2 : 1;
}

/* The last change before now (and, when bp is set, the last breakpoint hit, if later): land
 * there (1, or 2 for the hit), or at the start when there is none (0). Within each snapshot
 * interval, latest first, the scan looks at windows [end - k, end), k counted dispatches growing
 * fourfold from WINDOW0 (getting to a window's start is a plain replay), so a change close
 * before now costs a scan of about that distance, not of the whole interval. */
#define WINDOW0 256
/* With the places armable now (no breakpoint to find), the scan runs at nearly full speed
 * (rep_hwatch.c): each interval is scanned whole, without windows. */
static uint64_t first_window(struct rep_session *s, const struct pyi_loc *const *locs, size_t n,
                             const int *bp)
{
    int words = 0;
    struct pyi_session *p = rep_pyi(s);
    if ((bp && s->nbps) || !p || !hw_allowed() || s->hw.unusable[0]) {
        return WINDOW0;
    }
    for (size_t i = 0; i < n; i++) {
        struct pyi_slots sl;
        if (pyi_loc_slots(p, locs[i], &sl) <= 0 || (words += sl.n) > PYI_SLOTS_MAX) {
            pt_err_clear();
            return WINDOW0;
        }
    }
    return 1ULL << 60;
}

static int search_back(struct rep_session *s, const struct pyi_loc *const *locs, size_t n,
                       struct rep_change *best, int *bp, struct pyi_pos *pos)
{
    uint64_t end, now, bp_tick = 0;
    int found = 0, intervals = 0, incl = 0;
    if (rep_clock_now(s, &now) < 0) {
        return -1;
    }
    end = now;
    uint64_t k0 = first_window(s, locs, n, bp);
    for (int i = rep_snap_before(s, end); i >= 0; i = rep_snap_before(s, end)) {
        uint64_t start = s->snaps[i].tick;
        if (intervals++ > 0 && s->progress) {
            struct rep_progress p = {.backward = 1, .from = start, .to = end};
            s->progress(s->progress_ctx, &p);
        }
        for (uint64_t k = k0;; k *= 4) {
            uint64_t lo =
                PT_TICK_C(end) > PT_TICK_C(start) + k ? PT_TICK(PT_TICK_C(end) - k, 0) : start;
            if ((lo == start ? rep_restore(s, i) : rep_goto_tick(s, lo)) < 0 ||
                last_in(s, locs, n, end, incl, best, &found, &bp_tick, bp) < 0) {
                return -1;
            }
            if (pt_interrupted) {
                rep_goto_tick(s, now);
                return pt_fail("interrupted: back where it started");
            }
            if (found || (bp && *bp)) {
                return land_found(s, found, best, bp, bp_tick, pos);
            }
            if (lo == start) {
                break;
            }
        }
        end = start;
        incl = 1; /* a change seen at a snapshot's own moment belongs to the interval before */
    }
    return rep_goto_start(s, pos) < 0 ? -1 : 0;
}

/* reverse-continue with watchpoints. */
int rep_watch_reverse_continue(struct rep_session *s, struct pyi_pos *pos, int *id)
{
    const struct pyi_loc *locs[REP_MAX_WATCH];
    int ids[REP_MAX_WATCH], bp = 0;
    size_t n = enabled_locs(s, locs, ids);
    *id = 0;
    free(s->change.old_value);
    free(s->change.new_value);
    memset(&s->change, 0, sizeof s->change);
    if (s->state != REP_READY) {
        return pt_fail("the replay is at the end of the recording (use goto end or goto TICK)");
    }
    rep_break_resolve_pending(s);
    if (rep_nav_ready(s) < 0) {
        return -1;
    }
    int r = search_back(s, locs, n, &s->change, &bp, pos);
    if (r == 1) {
        s->change.which = ids[s->change.which];
        *id = s->change.which;
        struct rep_watchpt *w = wp_by_id(s, *id);
        if (w) {
            w->hits++;
        }
    } else if (r == 2) {
        free(s->change.old_value);
        free(s->change.new_value);
        memset(&s->change, 0, sizeof s->change);
        *id = bp;
        r = 1;
    }
    return r;
}

/* ---- last and history ---------------------------------------------------------------------- */

static int last_forward(struct rep_session *s, const struct pyi_loc *const *locs,
                        struct rep_change *ch, struct pyi_pos *pos);

int rep_last(struct rep_session *s, const char *expr, int forward, struct rep_change *ch,
             struct pyi_pos *pos)
{
    struct pyi_loc loc;
    const struct pyi_loc *locs[1] = {&loc};
    memset(ch, 0, sizeof *ch);
    if (s->state != REP_READY) {
        return pt_fail("the replay is at the end of the recording (use goto end or goto TICK)");
    }
    uint64_t here;
    if (rep_nav_ready(s) < 0 || rep_pyi(s) == NULL || rep_clock_now(s, &here) < 0) {
        return -1;
    }
    if (here == s->last_landed && strcmp(expr, s->last_expr) == 0) {
        loc = s->last_loc; /* repeated: the same place, although the stop is elsewhere now */
    } else if (pyi_loc_resolve(s->pyi, expr, &loc) < 0) {
        return pt_wrap("last %s", expr);
    }
    int r = forward ? last_forward(s, locs, ch, pos) : search_back(s, locs, 1, ch, NULL, pos);
    if (r >= 0 && rep_clock_now(s, &s->last_landed) == 0) {
        s->last_loc = loc;
        snprintf(s->last_expr, sizeof s->last_expr, "%s", expr);
    }
    return r > 0 ? 1 : r;
}

/* last -f: the next change after now. */
static int last_forward(struct rep_session *s, const struct pyi_loc *const *locs,
                        struct rep_change *ch, struct pyi_pos *pos)
{
    struct wscan sc = {0};
    uint64_t now;
    int r = rep_clock_now(s, &now) < 0 ? -1 : scan_init(s, &sc, locs, 1);
    sc.allow_hw = 1;
    while (r == 0 && !pt_interrupted) {
        r = scan_advance(s, &sc, UINT64_MAX, ch);
    }
    scan_free(s, &sc);
    if (r == 0) { /* interrupted */
        rep_goto_tick(s, now);
        return pt_fail("interrupted: back where it started");
    }
    if (r == 2) {
        return rep_goto_end(s, pos) < 0 ? -1 : 0;
    }
    return r < 0 || rep_here(s, pos) < 0 || rep_present(s, pos) < 0 ? -1 : 1;
}

int rep_history(struct rep_session *s, const char *expr, size_t limit,
                int (*row)(void *ctx, const struct rep_change *ch), void *ctx, char **first)
{
    struct pyi_loc loc;
    const struct pyi_loc *locs[1] = {&loc};
    struct wscan sc = {0};
    struct rep_change ch = {0};
    uint64_t now;
    size_t rows = 0;
    *first = NULL;
    if (s->state != REP_READY || rep_clock_now(s, &now) < 0) {
        return pt_fail("the replay is at the end of the recording (use goto end or goto TICK)");
    }
    if (rep_nav_ready(s) < 0 || rep_pyi(s) == NULL || pyi_loc_resolve(s->pyi, expr, &loc) < 0) {
        return pt_wrap("history %s", expr);
    }
    if (s->nsnaps == 0 || rep_restore(s, 0) < 0 || scan_init(s, &sc, locs, 1) < 0) {
        return s->nsnaps ? -1 : pt_fail("no snapshot of the start was taken");
    }
    *first = strdup(sc.f[0].value ? sc.f[0].value : "<unbound>");
    rep_progress_restart(s);
    sc.allow_hw = 1;
    int r = 0;
    while (!pt_interrupted && (!limit || rows < limit)) {
        r = scan_advance(s, &sc, UINT64_MAX, &ch);
        if (r < 0 || r == 2) {
            break;
        }
        if (r == 1) {
            ch.which = 0;
            rows++;
            if (row(ctx, &ch) != 0) {
                break;
            }
        }
    }
    free(ch.old_value);
    free(ch.new_value);
    scan_free(s, &sc);
    int interrupted = pt_interrupted;
    if (rep_goto_tick(s, now) < 0) {
        return -1;
    }
    if (r < 0) {
        return -1;
    }
    return interrupted ? pt_fail("interrupted: back where it started") : (int)(rows > 0);
}

void rep_change_free(struct rep_change *ch)
{
    free(ch->old_value);
    free(ch->new_value);
    ch->old_value = ch->new_value = NULL;
}
