/*
 * rep_break: breakpoints, and `continue` through them.
 *
 * A breakpoint names a source line (FILE:LINE) or a function; it is resolved to bytecode
 * addresses: for a line, the instructions of every code object of that file where a 'line'
 * event for it can fire (a run of instructions of that line entered in sequence, or a jump
 * target); for a function, the first line-reporting instruction of its code. `continue` runs
 * with the watch trampolines comparing next_instr against those addresses (at most
 * PT_WATCH_MAX), so the program runs at full speed between hits; a trap is a hit if CPython
 * would report the line event there and the condition holds.
 *
 * Code that does not exist yet (a module imported later, a function defined later) leaves the
 * breakpoint pending: `continue` then also traps each frame start (pyi_frame_start_watch) and
 * retries the
 * pending breakpoints against the code that starts, until all are resolved.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int rep_file_matches(const char *co_filename, const char *want)
{
    size_t n = strlen(co_filename), m = strlen(want);
    if (strcmp(co_filename, want) == 0) {
        return 1;
    }
    return want[0] != '/' && n > m && co_filename[n - m - 1] == '/' &&
           strcmp(co_filename + n - m, want) == 0;
}

struct resolve_ctx {
    struct rep_session *s;
    struct rep_bp *bp;
};

static void add_addr(struct rep_bp *bp, pt_addr a, pt_addr code)
{
    for (int i = 0; i < bp->naddrs; i++) {
        if (bp->addrs[i] == a) {
            return;
        }
    }
    if (bp->naddrs < REP_BP_ADDRS) {
        bp->codes[bp->naddrs] = code;
        bp->addrs[bp->naddrs++] = a;
        bp->lowered_for[0] = '\0'; /* lower the condition again (rep_watch_breakpoints) */
    }
}

static int resolve_code_cb(void *ctx, pt_addr code)
{
    struct resolve_ctx *r = ctx;
    pt_addr addrs[REP_BP_ADDRS];
    size_t n = 0;
    if (pyi_code_line_addrs(r->s->pyi, code, r->bp->line, addrs, REP_BP_ADDRS, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            add_addr(r->bp, addrs[i], code);
        }
    }
    pt_err_clear();
    return 0;
}

/* Resolve a FILE:LINE breakpoint against the code that exists now. */
static void resolve_line(struct rep_session *s, struct rep_bp *bp, const char *co_filename)
{
    struct resolve_ctx r = {s, bp};
    pyi_find_code(s->pyi, co_filename, resolve_code_cb, &r);
}

static void resolve_function(struct rep_session *s, struct rep_bp *bp)
{
    char *text = NULL;
    pt_addr obj = 0, code, addr;
    int line;
    struct pyi_code_info ci;
    if (pyi_eval(s->pyi, bp->func, &text, &obj) == PYI_EVAL_OK &&
        pyi_code_of(s->pyi, obj, &code) == 0 &&
        pyi_code_first_line_addr(s->pyi, code, &addr, &line) == 0) {
        add_addr(bp, addr, code);
        bp->line = line;
        if (pyi_code_info(s->pyi, code, &ci) == 0 && ci.filename) {
            snprintf(bp->file, sizeof bp->file, "%s", ci.filename); /* where it is, for views */
        }
    }
    free(text);
    pt_err_clear();
}

/* Is pos's function the one `want` names: its qualified name or one ending in .want (a dotted
 * want), else its plain name; without qualified names (3.10) the plain name of either. */
static bool func_matches(struct rep_session *s, const struct pyi_pos *pos, const char *want)
{
    const char *dot = strrchr(want, '.');
    size_t nq = strlen(pos->qualname), nw = strlen(want);
    if (!dot) {
        return strcmp(pos->name, want) == 0;
    }
    if (!pyi_has_qualnames(s->pyi)) {
        return strcmp(pos->name, dot + 1) == 0;
    }
    return strcmp(pos->qualname, want) == 0 || (nq > nw && pos->qualname[nq - nw - 1] == '.' &&
                                                strcmp(pos->qualname + nq - nw, want) == 0);
}

/* A frame of `pos` is starting (RESUME): can it resolve a pending breakpoint? Only its own
 * file (line breakpoints) or its own name (function breakpoints) can, so nothing else is read. */
static void resolve_at_start(struct rep_session *s, struct rep_bp *bp, const struct pyi_pos *pos)
{
    const char *want = bp->func;
    pt_addr addr;
    int line;
    if (!bp->func[0]) {
        if (rep_file_matches(pos->filename, bp->file)) {
            struct resolve_ctx r = {s, bp};
            pyi_find_code_in(s->pyi, pos->code, pos->filename, resolve_code_cb, &r);
        }
    } else if (func_matches(s, pos, want) &&
               pyi_code_first_line_addr(s->pyi, pos->code, &addr, &line) == 0) {
        add_addr(bp, addr, pos->code);
        bp->line = line;
        snprintf(bp->file, sizeof bp->file, "%s", pos->filename);
    }
    pt_err_clear();
}

static void try_resolve(struct rep_session *s, struct rep_bp *bp)
{
    char file[1024];
    if (!s->pyi) {
        return;
    }
    if (bp->func[0]) {
        resolve_function(s, bp);
        return;
    }
    if (bp->file[0] == '/') {
        resolve_line(s, bp, bp->file);
    } else if (rep_loaded_file(s, bp->file, file, sizeof file)) {
        resolve_line(s, bp, file);
    }
}

static int parse_spec(struct rep_session *s, struct rep_bp *bp, const char *spec)
{
    const char *colon = strrchr(spec, ':');
    char *end;
    if (colon && colon[1] && strtol(colon + 1, &end, 10) > 0 && !*end) {
        snprintf(bp->file, sizeof bp->file, "%.*s", (int)(colon - spec), spec);
        bp->line = (int)strtol(colon + 1, NULL, 10);
        return 0;
    }
    long line = strtol(spec, &end, 10);
    if (line > 0 && !*end) { /* LINE: in the file of the selected frame (as gdb) */
        const struct pyi_frame *f;
        size_t n;
        struct pyi_session *p = rep_pyi(s); /* not rep_here: that forgets the selection */
        if (!p || pyi_frames(p, &f, &n) < 0 || pyi_frame_selected(p) >= n) {
            return pt_wrap("break %s: no current file", spec);
        }
        snprintf(bp->file, sizeof bp->file, "%s", f[pyi_frame_selected(p)].filename);
        bp->line = (int)line;
        return 0;
    }
    for (const char *p = spec; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.') {
            return pt_fail("break %s: expected FILE:LINE, LINE or FUNCTION", spec);
        }
    }
    snprintf(bp->func, sizeof bp->func, "%s", spec);
    return 0;
}

/* pdb's checkline: a line breakpoint must be on a line with code. */
static int check_line(struct rep_session *s, const struct rep_bp *bp)
{
    size_t len = 0;
    char loaded[1024];
    if (bp->func[0] || !s->pyi) {
        return 0;
    }
    const char *file = bp->file; /* a relative name: the loaded file it names, if any */
    if (file[0] != '/' && rep_loaded_file(s, file, loaded, sizeof loaded)) {
        file = loaded;
    }
    const char *text = pyi_source_text(s->pyi, file, bp->line, &len);
    pt_err_clear();
    if (!text) {
        return access(file, R_OK) == 0
                   ? pt_fail("%s:%d: End of file", bp->file, bp->line)
                   : 0; /* a relative or not-yet-seen file: checked when it resolves */
    }
    while (len && isspace((unsigned char)*text)) {
        text++;
        len--;
    }
    if (len == 0 || *text == '#') {
        return pt_fail("%s:%d: Blank or comment", bp->file, bp->line);
    }
    return 0;
}

int rep_break_add(struct rep_session *s, const char *spec, const char *cond, int temporary,
                  const struct rep_bp **out)
{
    if (s->nbps == REP_MAX_BPS) {
        return pt_fail("too many breakpoints (at most %d)", REP_MAX_BPS);
    }
    struct rep_bp *bp = &s->bps[s->nbps];
    memset(bp, 0, sizeof *bp);
    if (parse_spec(s, bp, spec) < 0) {
        return -1;
    }
    if (s->state == REP_READY && rep_pyi(s) && check_line(s, bp) < 0) {
        return -1;
    }
    bp->id = ++s->last_bp_id;
    bp->enabled = 1;
    bp->temporary = temporary;
    snprintf(bp->cond, sizeof bp->cond, "%s", cond ? cond : "");
    s->nbps++;
    if (s->state == REP_READY && rep_pyi(s)) {
        try_resolve(s, bp);
        rep_break_explain(s, bp);
    }
    pt_err_clear();
    *out = bp;
    return 0;
}

/* Does bp sit at the location spec names (as break parses it)? */
static int same_location(struct rep_session *s, const struct rep_bp *bp, const struct rep_bp *want)
{
    if (bp->is_catch) {
        return 0;
    }
    if (want->func[0]) {
        return strcmp(bp->func, want->func) == 0;
    }
    return !bp->func[0] && bp->line == want->line &&
           (strcmp(bp->file, want->file) == 0 || rep_file_matches(bp->file, want->file) ||
            rep_file_matches(want->file, bp->file));
}

int rep_break_find(struct rep_session *s, const char *spec, int *ids, int max)
{
    struct rep_bp want;
    int n = 0;
    memset(&want, 0, sizeof want);
    if (parse_spec(s, &want, spec) < 0) {
        return -1;
    }
    for (int i = 0; i < s->nbps && n < max; i++) {
        if (same_location(s, &s->bps[i], &want)) {
            ids[n++] = s->bps[i].id;
        }
    }
    return n;
}

int rep_break_delete(struct rep_session *s, int id)
{
    if (id == 0) {
        rep_watch_remove(s, 0);
    } else if (rep_watch_remove(s, id) == 0) {
        return 0;
    }
    pt_err_clear();
    for (int i = 0; i < s->nbps; i++) {
        if (id == 0 || s->bps[i].id == id) {
            memmove(&s->bps[i], &s->bps[i + 1], (size_t)(s->nbps - i - 1) * sizeof s->bps[0]);
            s->nbps--;
            if (id) {
                return 0;
            }
            i--;
        }
    }
    return id ? pt_fail("no breakpoint number %d", id) : 0;
}

static struct rep_bp *bp_by_id(struct rep_session *s, int id)
{
    for (int i = 0; i < s->nbps; i++) {
        if (s->bps[i].id == id) {
            return &s->bps[i];
        }
    }
    pt_fail("no breakpoint number %d", id);
    return NULL;
}

int rep_break_enable(struct rep_session *s, int id, int on)
{
    if (rep_watch_enable(s, id, on) == 0) {
        return 0;
    }
    pt_err_clear();
    struct rep_bp *bp = bp_by_id(s, id);
    if (bp) {
        bp->enabled = on;
    }
    return bp ? 0 : -1;
}

int rep_break_thread(struct rep_session *s, int id, int n)
{
    struct rep_bp *bp = bp_by_id(s, id);
    if (bp) {
        bp->thread = n;
    }
    return bp ? 0 : -1;
}

int rep_break_at(const struct rep_bp *bp, const char *file, int line)
{
    return !bp->is_catch && bp->line == line && bp->file[0] &&
           (strcmp(bp->file, file) == 0 || rep_file_matches(file, bp->file));
}

const struct rep_bp *rep_breakpoints(const struct rep_session *s, int *n)
{
    *n = s->nbps;
    return s->bps;
}

/* Pending breakpoints whose code exists by now (defined since, reached by goto or a reverse
 * motion) resolve without waiting for their code to start. */
void rep_break_resolve_pending(struct rep_session *s)
{
    for (int i = 0; i < s->nbps; i++) {
        struct rep_bp *bp = &s->bps[i];
        if (bp->enabled && !bp->is_catch && bp->naddrs == 0) {
            try_resolve(s, bp);
        }
    }
    pt_err_clear();
}

/* ---- continue -------------------------------------------------------------------------------- */

static int any_pending(struct rep_session *s)
{
    for (int i = 0; i < s->nbps; i++) {
        if (s->bps[i].enabled && !s->bps[i].is_catch && s->bps[i].naddrs == 0) {
            return 1;
        }
    }
    return 0;
}

/* A conditional breakpoint's condition, lowered for checking in the tracee at each of its
 * addresses (cached until the condition or the addresses change). */
static void lower_condition(struct rep_session *s, struct rep_bp *bp)
{
    if (strcmp(bp->lowered_for, bp->cond) == 0) {
        return;
    }
    memset(bp->conds, 0, sizeof bp->conds);
    for (int k = 0; bp->cond[0] && s->pyi && k < bp->naddrs; k++) {
        if (pyi_cond_lower(s->pyi, bp->codes[k], 0, bp->cond, &bp->conds[k], &s->cond_layout) < 0) {
            memset(&bp->conds[k], 0, sizeof bp->conds[k]);
        }
    }
    pt_err_clear();
    snprintf(bp->lowered_for, sizeof bp->lowered_for, "%s", bp->cond);
}

/* At a hit the in-tracee check could not rule out: lower the condition again with this frame,
 * whose objects tell which class `local.attr` operands read from; the next run uses it. */
static void relower_at_hit(struct rep_session *s, struct rep_bp *bp, int k, pt_addr frame)
{
    struct pt_cond c;
    struct pt_cond_layout layout;
    if (strcmp(bp->lowered_for, bp->cond) == 0 &&
        pyi_cond_lower(s->pyi, bp->codes[k], frame, bp->cond, &c, &layout) == 1 &&
        memcmp(&c, &bp->conds[k], sizeof c) != 0) {
        bp->conds[k] = c;
        s->cond_layout = layout;
    }
    pt_err_clear();
}

int rep_watch_breakpoints(struct rep_session *s, struct pt_watch *w)
{
    for (int i = 0; i < s->nbps; i++) {
        struct rep_bp *bp = &s->bps[i];
        if (bp->enabled && !bp->is_catch && s->eval_path == REP_PATH_AUTO) {
            lower_condition(s, bp);
        }
        for (int k = 0; bp->enabled && !bp->is_catch && k < bp->naddrs; k++) {
            if (w->ninstrs == PT_WATCH_MAX) {
                return pt_fail("too many breakpoint locations (at most %d enabled)", PT_WATCH_MAX);
            }
            if (bp->cond[0] && s->eval_path == REP_PATH_AUTO && bp->conds[k].nnodes) {
                w->conds[w->ninstrs] = bp->conds[k];
                w->cond_layout = s->cond_layout;
            }
            rep_tlog_watch(s, bp, k, w, w->ninstrs);
            w->instrs[w->ninstrs++] = bp->addrs[k];
        }
    }
    return 0;
}

static int build_watch(struct rep_session *s, struct pt_watch *w)
{
    rep_watch_init(s, w);
    if (rep_watch_breakpoints(s, w) < 0) {
        return -1;
    }
    if (any_pending(s) && rep_watch_frame_starts(s, w) < 0) {
        return -1;
    }
    return 0;
}

/* Is the thread that runs the one bp is limited to (if it is)? */
static int in_thread(struct rep_session *s, const struct rep_bp *bp)
{
    struct rep_thread *c = rep_thread_cur(s);
    return !bp->thread || (c && rep_thread_number(s, c->rec_tid) == bp->thread);
}

/* Is this trap a hit of an enabled breakpoint? Returns the breakpoint or NULL. */
struct rep_bp *rep_bp_check(struct rep_session *s, pt_addr next_instr, const struct pyi_pos *pos)
{
    if (!pos->line_event) {
        return NULL;
    }
    for (int i = 0; i < s->nbps; i++) {
        struct rep_bp *bp = &s->bps[i];
        for (int k = 0; bp->enabled && k < bp->naddrs; k++) {
            if (bp->addrs[k] != next_instr || !in_thread(s, bp)) {
                continue;
            }
            int truth = 1;
            if (bp->cond[0]) {
                s->cond_checks++;
            }
            if (bp->cond[0] && s->eval_path == REP_PATH_AUTO) {
                relower_at_hit(s, bp, k, pos->frame);
            }
            if (bp->cond[0] && rep_break_condition(s, pos->frame, bp->cond, &truth) < 0) {
                return bp; /* a failing condition stops, like pdb, to show the error */
            }
            if (truth) {
                return bp;
            }
        }
    }
    return NULL;
}

static int continue_watched(struct rep_session *s, struct pyi_pos *pos, int *bp_id);

int rep_continue(struct rep_session *s, struct pyi_pos *pos, int *bp_id)
{
    s->caught_name[0] = '\0';
    rep_change_free(&s->change);
    memset(&s->change, 0, sizeof s->change);
    if (rep_watch_active(s)) {
        return rep_watch_continue(s, pos, bp_id);
    }
    s->catch_armed = 1;
    int r = continue_watched(s, pos, bp_id);
    s->catch_armed = 0;
    if (r > 0 && s->catch_hit) {
        return rep_catch_land(s, pos, bp_id);
    }
    return r;
}

static int continue_watched(struct rep_session *s, struct pyi_pos *pos, int *bp_id)
{
    struct pt_watch w;
    *bp_id = 0;
    if (s->nbps == 0 || rep_nav_ready(s) < 0) {
        pt_err_clear();
        /* nothing can stop it before the end: start from the last snapshot ahead */
        int rc = rep_skip_ahead(s, UINT64_MAX - 1) < 0 ? -1 : rep_run(s, UINT64_MAX);
        return rc < 0 ? -1 : s->state == REP_READY;
    }
    rep_break_resolve_pending(s);
    for (;;) {
        if (build_watch(s, &w) < 0) {
            return -1;
        }
        int r = rep_run_watched(s, &w);
        if (r <= 0 || s->catch_hit) {
            return r;
        }
        pt_addr next_instr;
        if (rep_here_instr(s, pos, &next_instr) < 0) {
            return -1;
        }
        if (pos->frame_start) {
            for (int i = 0; i < s->nbps; i++) {
                if (s->bps[i].enabled && !s->bps[i].is_catch && s->bps[i].naddrs == 0) {
                    resolve_at_start(s, &s->bps[i], pos);
                }
            }
            /* 3.10 has no RESUME: a frame's first instruction can be the breakpoint's */
        }
        struct rep_bp *bp = rep_bp_check(s, next_instr, pos);
        if (bp) {
            bp->hits++;
            *bp_id = bp->id;
            if (bp->temporary) {
                rep_break_delete(s, bp->id);
            }
            return s->bare_stops || rep_present(s, pos) == 0 ? 1 : -1;
        }
    }
}
