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

static int file_matches(const char *co_filename, const char *want)
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

static void add_addr(struct rep_bp *bp, pt_addr a)
{
    for (int i = 0; i < bp->naddrs; i++) {
        if (bp->addrs[i] == a) {
            return;
        }
    }
    if (bp->naddrs < REP_BP_ADDRS) {
        bp->addrs[bp->naddrs++] = a;
    }
}

static int resolve_code_cb(void *ctx, pt_addr code)
{
    struct resolve_ctx *r = ctx;
    pt_addr addrs[REP_BP_ADDRS];
    size_t n = 0;
    if (pyi_code_line_addrs(r->s->pyi, code, r->bp->line, addrs, REP_BP_ADDRS, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            add_addr(r->bp, addrs[i]);
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
    if (pyi_eval(s->pyi, bp->func, &text, &obj) == PYI_EVAL_OK &&
        pyi_code_of(s->pyi, obj, &code) == 0 &&
        pyi_code_first_line_addr(s->pyi, code, &addr, &line) == 0) {
        add_addr(bp, addr);
        bp->line = line;
    }
    free(text);
    pt_err_clear();
}

/* The file as code objects name it, if some code of it is on the stack. */
static int stack_filename(struct rep_session *s, const char *want, char *out, size_t cap)
{
    const struct pyi_frame *frames;
    size_t n = 0;
    if (pyi_frames(s->pyi, &frames, &n) < 0) {
        pt_err_clear();
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (frames[i].filename && file_matches(frames[i].filename, want)) {
            snprintf(out, cap, "%s", frames[i].filename);
            return 1;
        }
    }
    return 0;
}

/* A frame of `pos` is starting (RESUME): can it resolve a pending breakpoint? Only its own
 * file (line breakpoints) or its own name (function breakpoints) can, so nothing else is read. */
static void resolve_at_start(struct rep_session *s, struct rep_bp *bp, const struct pyi_pos *pos)
{
    const char *want = bp->func;
    const char *dot = strrchr(want, '.');
    pt_addr addr;
    int line;
    if (!bp->func[0]) {
        if (file_matches(pos->filename, bp->file)) {
            struct resolve_ctx r = {s, bp};
            pyi_find_code_in(s->pyi, pos->code, pos->filename, resolve_code_cb, &r);
        }
    } else if ((dot ? strcmp(pos->qualname, want) == 0 ||
                          (strlen(pos->qualname) > strlen(want) &&
                           pos->qualname[strlen(pos->qualname) - strlen(want) - 1] == '.' &&
                           strcmp(pos->qualname + strlen(pos->qualname) - strlen(want), want) == 0)
                    : strcmp(pos->name, want) == 0) &&
               pyi_code_first_line_addr(s->pyi, pos->code, &addr, &line) == 0) {
        add_addr(bp, addr);
        bp->line = line;
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
    } else if (stack_filename(s, bp->file, file, sizeof file)) {
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
    if (line > 0 && !*end) { /* LINE: in the file of the current frame */
        struct pyi_pos here;
        if (rep_here(s, &here) < 0) {
            return pt_wrap("break %s: no current file", spec);
        }
        snprintf(bp->file, sizeof bp->file, "%s", here.filename);
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
    if (bp->func[0] || !s->pyi) {
        return 0;
    }
    const char *text = pyi_source_text(s->pyi, bp->file, bp->line, &len);
    pt_err_clear();
    if (!text) {
        return access(bp->file, R_OK) == 0
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
    }
    pt_err_clear();
    *out = bp;
    return 0;
}

int rep_break_delete(struct rep_session *s, int id)
{
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

int rep_break_enable(struct rep_session *s, int id, int on)
{
    for (int i = 0; i < s->nbps; i++) {
        if (s->bps[i].id == id) {
            s->bps[i].enabled = on;
            return 0;
        }
    }
    return pt_fail("no breakpoint number %d", id);
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

/* ---- conditions: EXPR (==|!=|<|<=|>|>=) LITERAL, EXPR is [not] None ----------------------- */

static int parse_int(const char *t, long long *v)
{
    char *end;
    *v = strtoll(t, &end, 10);
    return *t && !*end;
}

static int compare(const char *left, const char *op, const char *right)
{
    long long a, b;
    int c;
    if (parse_int(left, &a) && parse_int(right, &b)) {
        c = a < b ? -1 : a > b;
    } else {
        c = strcmp(left, right);
        if (strcmp(op, "==") != 0 && strcmp(op, "!=") != 0 && left[0] != '\'' && left[0] != '"') {
            return -1; /* ordering is for ints and strs */
        }
    }
    if (!strcmp(op, "=="))
        return c == 0;
    if (!strcmp(op, "!="))
        return c != 0;
    if (!strcmp(op, "<"))
        return c < 0;
    if (!strcmp(op, "<="))
        return c <= 0;
    if (!strcmp(op, ">"))
        return c > 0;
    return c >= 0;
}

/* A literal as repr() would print it: 'x' and "x" both become 'x'. */
static void canonical_literal(const char *lit, char *out, size_t cap)
{
    size_t n = strlen(lit);
    if (n >= 2 && (lit[0] == '"' || lit[0] == '\'') && lit[n - 1] == lit[0]) {
        snprintf(out, cap, "'%.*s'", (int)(n - 2), lit + 1);
    } else {
        snprintf(out, cap, "%s", lit);
    }
}

int rep_break_condition(struct rep_session *s, const char *cond, int *truth)
{
    static const char *ops[] = {" is not ", " is ", "==", "!=", "<=", ">=", "<", ">"};
    char expr[512], lit[512], want[512], *text = NULL;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        const char *at = strstr(cond, ops[i]);
        if (!at) {
            continue;
        }
        snprintf(expr, sizeof expr, "%.*s", (int)(at - cond), cond);
        snprintf(lit, sizeof lit, "%s", at + strlen(ops[i]));
        for (char *e = expr + strlen(expr); e > expr && isspace((unsigned char)e[-1]);) {
            *--e = '\0';
        }
        char *l = lit + strspn(lit, " ");
        canonical_literal(l, want, sizeof want);
        int rc = pyi_eval(s->pyi, expr, &text, NULL);
        if (rc != PYI_EVAL_OK) {
            rc = pt_fail("condition `%s`: %s", cond, text ? text : pt_errmsg());
            free(text);
            return rc;
        }
        if (i <= 1) {
            *truth = (strcmp(text, "None") == 0) == (i == 1);
        } else {
            *truth = compare(text, ops[i], want);
        }
        free(text);
        return *truth < 0 ? pt_fail("condition `%s`: cannot order these values", cond) : 0;
    }
    return pt_fail("condition `%s`: expected EXPR OP LITERAL (==, !=, <, <=, >, >=) or EXPR "
                   "is [not] None",
                   cond);
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

int rep_watch_breakpoints(struct rep_session *s, struct pt_watch *w)
{
    for (int i = 0; i < s->nbps; i++) {
        for (int k = 0; s->bps[i].enabled && !s->bps[i].is_catch && k < s->bps[i].naddrs; k++) {
            if (w->ninstrs == PT_WATCH_MAX) {
                return pt_fail("too many breakpoint locations (at most %d enabled)", PT_WATCH_MAX);
            }
            w->instrs[w->ninstrs++] = s->bps[i].addrs[k];
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

/* Is this trap a hit of an enabled breakpoint? Returns the breakpoint or NULL. */
struct rep_bp *rep_bp_check(struct rep_session *s, pt_addr next_instr, const struct pyi_pos *pos)
{
    if (!pos->line_event) {
        return NULL;
    }
    for (int i = 0; i < s->nbps; i++) {
        struct rep_bp *bp = &s->bps[i];
        for (int k = 0; bp->enabled && k < bp->naddrs; k++) {
            if (bp->addrs[k] != next_instr) {
                continue;
            }
            int truth = 1;
            if (bp->cond[0] && rep_break_condition(s, bp->cond, &truth) < 0) {
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
        int rc = rep_run(s, UINT64_MAX);
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
            return rep_present(s, pos) < 0 ? -1 : 1;
        }
    }
}
