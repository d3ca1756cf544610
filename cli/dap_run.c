/*
 * dap_run: moving the replay for `pytt dap` and the breakpoints that stop it. Motions map onto
 * the replayer's: continue -> rep_continue, next/stepIn/stepOut -> rep_next/rep_step/
 * rep_finish, stepBack -> rep_reverse_next, reverseContinue -> rep_reverse_continue, goto ->
 * a temporary breakpoint run to forwards or backwards. Every motion ends with exactly one
 * stopped event (reason step, breakpoint, function breakpoint, data breakpoint (dap_data.c),
 * exception, pause, goto, entry) or, at the end of the recording, an exited event and a stop at
 * its last moment (reason "end"), from where the reverse motions go back. Breakpoint conditions are
 * the replayer's; hit conditions and log points are the adapter's, checked at each hit a continue
 * or reverse continue meets (hit numbers in execution order: dap_hits.c); steps and goto ignore
 * them.
 */
#define _GNU_SOURCE
#include "dap.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"
#include "pyintrospect/pyintrospect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- stop events ---------------------------------------------------------------------------- */

void dap_stopped(struct dap *d, const char *reason, const char *desc, const char *text,
                 int bp_dap_id)
{
    int switched;
    pid_t tid = rep_stop_thread(d->rep, &switched);
    int num = tid ? rep_thread_number(d->rep, tid) : 1;
    dap_thread_events(d);
    struct pt_jw w;
    dap_begin_event(d, &w, "stopped");
    pt_jw_kstr(&w, "reason", reason);
    if (desc) {
        pt_jw_kstr(&w, "description", desc);
    }
    if (text) {
        pt_jw_kstr(&w, "text", text);
    }
    pt_jw_kint(&w, "threadId", num > 0 ? num : 1);
    pt_jw_kbool(&w, "allThreadsStopped", 1);
    if (bp_dap_id > 0) {
        pt_jw_key(&w, "hitBreakpointIds");
        pt_jw_arr(&w);
        pt_jw_int(&w, bp_dap_id);
        pt_jw_end_arr(&w);
    }
    dap_end_event(d, &w);
}

static void stopped(struct dap *d, const char *reason, const char *desc, int bp_dap_id)
{
    dap_stopped(d, reason, desc, NULL, bp_dap_id);
}

/* The replay reached the end of the recording: report how the program ended (once), then stop
 * where the uncaught exception was raised (filter "uncaught") or at the last moment. */
static void at_end(struct dap *d)
{
    struct pyi_pos pos;
    char name[256] = "", msg[512];
    int how, code;
    const char *why;
    rep_end(d->rep, &how, &code, &why);
    if (rep_failure(d->rep)) {
        int n = snprintf(msg, sizeof msg, "pytt: the replay stopped: %s\n", rep_failure(d->rep));
        dap_output(d, "console", msg, (size_t)n);
    }
    if (!d->exited_sent) {
        d->exited_sent = 1;
        struct pt_jw w;
        dap_begin_event(d, &w, "exited");
        pt_jw_kint(&w, "exitCode", how == PT_END_EXITED ? code : 128 + code);
        dap_end_event(d, &w);
    }
    if (d->stop_uncaught) {
        int r = rep_goto_uncaught(d->rep, &pos, name, sizeof name);
        if (r == 2) {
            snprintf(msg, sizeof msg, "Uncaught %s", name[0] ? name : "exception");
            stopped(d, "exception", msg, 0);
            return;
        }
    }
    pt_err_clear();
    if (rep_goto_end(d->rep, &pos) > 0) {
        stopped(d, "end", "The end of the recording (step back or reverse-continue)", 0);
        return;
    }
    struct pt_jw w;
    dap_begin_event(d, &w, "terminated");
    dap_end_event(d, &w);
}

/* ---- breakpoints ------------------------------------------------------------------------------
 */

static struct dap_bp *bp_by_rep(struct dap *d, int rep_id)
{
    for (int i = 0; i < d->nbps; i++) {
        if (d->bps[i].rep_id == rep_id && rep_id) {
            return &d->bps[i];
        }
    }
    return NULL;
}

void dap_bp_drop(struct dap *d, int i)
{
    if (d->bps[i].rep_id) {
        rep_break_delete(d->rep, d->bps[i].rep_id);
    }
    free(d->bps[i].log);
    free(d->bps[i].data_id);
    free(d->bps[i].cond);
    dap_hits_free(&d->bps[i]);
    d->bps[i] = d->bps[--d->nbps];
}

void dap_free_breakpoints(struct dap *d)
{
    for (int i = 0; i < d->nbps; i++) {
        free(d->bps[i].log);
        free(d->bps[i].data_id);
        free(d->bps[i].cond);
        dap_hits_free(&d->bps[i]);
    }
    free(d->bps);
    d->bps = NULL;
    d->nbps = 0;
}

int dap_parse_hit(const char *s, struct dap_bp *b)
{
    static const char *const ops[] = {"==", ">=", "<=", ">", "<", "%"};
    s += strspn(s, " ");
    strcpy(b->hit_op, "==");
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        if (strncmp(s, ops[i], strlen(ops[i])) == 0) {
            strcpy(b->hit_op, ops[i]);
            s += strlen(ops[i]);
            break;
        }
    }
    char *end;
    b->hit_n = strtol(s, &end, 10);
    end += strspn(end, " ");
    return end == s || *end || b->hit_n < 0 || (b->hit_op[0] == '%' && b->hit_n == 0) ? -1 : 0;
}

int dap_hit_passes(const struct dap_bp *b, long h)
{
    long n = b->hit_n;
    switch (b->hit_op[0]) {
    case 0:
        return 1;
    case '%':
        return h % n == 0;
    case '>':
        return b->hit_op[1] ? h >= n : h > n;
    case '<':
        return b->hit_op[1] ? h <= n : h < n;
    default:
        return h == n;
    }
}

/* Add one breakpoint (spec: FILE:LINE or FUNCTION) from a SourceBreakpoint/FunctionBreakpoint
 * and write its Breakpoint into w. */
static void bp_add(struct dap *d, struct pt_jw *w, const struct pt_json *sb, const char *spec,
                   const char *source, int line, int function)
{
    struct dap_bp b;
    memset(&b, 0, sizeof b);
    b.dap_id = d->next_bp_id++;
    dap_hits_init(d, &b);
    b.function = function;
    b.line = line;
    snprintf(b.source, sizeof b.source, "%s", source ? source : "");
    const char *cond = pt_json_get_str(sb, "condition", NULL);
    const char *hit = pt_json_get_str(sb, "hitCondition", NULL);
    const char *log = pt_json_get_str(sb, "logMessage", NULL);
    char msg[1024] = "";
    const struct rep_bp *rb = NULL;
    if (cond && !*cond) {
        cond = NULL;
    }
    if (hit && *hit && dap_parse_hit(hit, &b) < 0) {
        snprintf(msg, sizeof msg,
                 "hit condition '%s': expected a count N, or ==N, >N, >=N, <N, "
                 "<=N, %%N",
                 hit);
    } else if (rep_break_add(d->rep, spec, cond, 0, &rb) < 0) {
        snprintf(msg, sizeof msg, "%s", pt_errmsg());
        pt_err_clear();
    } else {
        b.rep_id = rb->id;
        b.log = log && *log ? strdup(log) : NULL;
        if (rb->pending_why != REP_PENDING_NONE) {
            snprintf(msg, sizeof msg,
                     "pending: %s is not loaded yet at this moment; it is "
                     "set when it is",
                     spec);
        }
    }
    pt_jw_obj(w);
    pt_jw_kint(w, "id", b.dap_id);
    pt_jw_kbool(w, "verified", b.rep_id != 0);
    if (msg[0]) {
        pt_jw_kstr(w, "message", msg);
    }
    if (line > 0) {
        pt_jw_kint(w, "line", line);
    }
    pt_jw_end_obj(w);
    if (b.rep_id) {
        struct dap_bp *nb = realloc(d->bps, (size_t)(d->nbps + 1) * sizeof *nb);
        if (nb) {
            d->bps = nb;
            d->bps[d->nbps++] = b;
        }
    }
}

/* Replace the breakpoints of source path (NULL: the function breakpoints) by those of the
 * request, and answer with their Breakpoint objects. */
static int replace_breakpoints(struct dap *d, const struct pt_json *req, const char *path)
{
    const struct pt_json *list = pt_json_get(pt_json_get(req, "arguments"), "breakpoints");
    for (int i = d->nbps - 1; i >= 0; i--) {
        if (!d->bps[i].data && (path ? !d->bps[i].function && strcmp(d->bps[i].source, path) == 0
                                     : d->bps[i].function)) {
            dap_bp_drop(d, i);
        }
    }
    struct pt_jw w;
    dap_begin_response(d, &w, req);
    pt_jw_key(&w, "breakpoints");
    pt_jw_arr(&w);
    for (const struct pt_json *b = list ? list->child : NULL; b; b = b->next) {
        int line = (int)pt_json_get_num(b, "line", 0) + (d->lines_start_at1 ? 0 : 1);
        char spec[1200];
        if (path) {
            snprintf(spec, sizeof spec, "%s:%d", path, line);
            bp_add(d, &w, b, spec, path, line, 0);
        } else {
            bp_add(d, &w, b, pt_json_get_str(b, "name", ""), NULL, 0, 1);
        }
    }
    pt_jw_end_arr(&w);
    dap_end_response(d, &w);
    return 0;
}

int dap_set_breakpoints(struct dap *d, const struct pt_json *req)
{
    const struct pt_json *src = pt_json_get(pt_json_get(req, "arguments"), "source");
    const char *path = pt_json_get_str(src, "path", NULL);
    if (!path) {
        return dap_error(d, req, "setBreakpoints: the source needs a \"path\"");
    }
    return replace_breakpoints(d, req, path);
}

int dap_set_function_breakpoints(struct dap *d, const struct pt_json *req)
{
    return replace_breakpoints(d, req, NULL);
}

int dap_set_exception_breakpoints(struct dap *d, const struct pt_json *req)
{
    const struct pt_json *filters = pt_json_get(pt_json_get(req, "arguments"), "filters");
    int raised = 0, uncaught = 0;
    for (const struct pt_json *f = filters ? filters->child : NULL; f; f = f->next) {
        if (f->type == PT_JSON_STR && strcmp(f->str, "raised") == 0) {
            raised = 1;
        } else if (f->type == PT_JSON_STR && strcmp(f->str, "uncaught") == 0) {
            uncaught = 1;
        } else {
            return dap_error(d, req,
                             "setExceptionBreakpoints: unknown filter (pytt has "
                             "\"raised\" and \"uncaught\")");
        }
    }
    if (raised && !d->catch_id) {
        const struct rep_bp *bp;
        if (rep_catch_add(d->rep, "", &bp) < 0) {
            return dap_error(d, req, "setExceptionBreakpoints: %s", pt_errmsg());
        }
        d->catch_id = bp->id;
    } else if (!raised && d->catch_id) {
        rep_break_delete(d->rep, d->catch_id);
        d->catch_id = 0;
    }
    d->stop_uncaught = uncaught;
    dap_ok(d, req);
    return 0;
}

/* ---- motions -------------------------------------------------------------------------------- */

/* A log point's message with each {EXPR} replaced by its value. */
static void log_point(struct dap *d, const char *msg)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) {
        return;
    }
    for (const char *p = msg; *p;) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        if (close) {
            char *expr = strndup(p + 1, (size_t)(close - p - 1));
            char *v = expr ? dap_eval_str(d, expr) : NULL;
            fputs(v ? v : "<error>", f);
            free(v);
            free(expr);
            p = close + 1;
        } else {
            fputc(*p++, f);
        }
    }
    fputc('\n', f);
    fclose(f);
    dap_output(d, "console", out, len);
    free(out);
}

/* After a continue or reverse continue stopped at replayer breakpoint rep_id: does it stop
 * for the client (1) or go on (0: a log point, or a hit condition not met)? A hit that cannot
 * be numbered stops, with the reason in the console. */
static int bp_stops(struct dap *d, int rep_id)
{
    struct dap_bp *b = bp_by_rep(d, rep_id);
    uint64_t tick;
    long h;
    if (!b) {
        return 1;
    }
    if (b->data) {
        return dap_data_stops(d, b);
    }
    if (b->hit_op[0] && (rep_tick(d->rep, &tick) < 0 || dap_hit_number(d, b, tick, &h) < 0)) {
        char msg[1200];
        int n = snprintf(msg, sizeof msg, "pytt: hit condition of breakpoint %d: %s\n", b->dap_id,
                         pt_errmsg());
        dap_output(d, "console", msg, (size_t)n);
        pt_err_clear();
        return 1;
    }
    if (b->hit_op[0] && !dap_hit_passes(b, h)) {
        return 0;
    }
    if (b->log) {
        log_point(d, b->log);
        return 0;
    }
    return 1;
}

static int is_catchpoint(struct dap *d, int rep_id)
{
    return rep_id && rep_id == d->catch_id;
}

/* Report a stop at breakpoint rep_id (or a catchpoint). */
static void bp_stopped(struct dap *d, int rep_id)
{
    if (is_catchpoint(d, rep_id)) {
        char desc[300];
        snprintf(desc, sizeof desc, "%s raised",
                 rep_caught(d->rep)[0] ? rep_caught(d->rep) : "An exception was");
        stopped(d, "exception", desc, 0);
        return;
    }
    struct dap_bp *b = bp_by_rep(d, rep_id);
    if (b && b->data) {
        dap_data_stopped(d, b);
        return;
    }
    stopped(d, b && b->function ? "function breakpoint" : "breakpoint", NULL, b ? b->dap_id : 0);
}

/* The enabled breakpoint at pos (the replayer does not always say which one a reverse
 * continue stopped at), or 0. */
static int bp_at(struct dap *d, const struct pyi_pos *pos)
{
    int n;
    const struct rep_bp *all = rep_breakpoints(d->rep, &n);
    for (int i = 0; i < n; i++) {
        if (all[i].enabled && !all[i].is_catch &&
            (all[i].func[0]
                 ? strcmp(all[i].func, pos->name) == 0 || strcmp(all[i].func, pos->qualname) == 0
                 : rep_break_at(&all[i], pos->filename, pos->line))) {
            return all[i].id;
        }
    }
    return 0;
}

static int run_continue(struct dap *d, int backward, int *bp)
{
    struct pyi_pos pos;
    d->continue_from = UINT64_MAX; /* a reverse continue never extends a ledger as it goes */
    if (!backward && rep_tick(d->rep, &d->continue_from) < 0) {
        pt_err_clear();
    }
    for (;;) {
        int r = backward ? rep_reverse_continue(d->rep, &pos, bp) : rep_continue(d->rep, &pos, bp);
        if (r > 0 && !*bp) {
            *bp = bp_at(d, &pos);
        }
        if (r <= 0 || *bp == 0 || is_catchpoint(d, *bp) || bp_stops(d, *bp)) {
            return r;
        }
        dap_forget_stop(d);
    }
}

/* A motion was interrupted (pause, or the client left): forwards, stop where it got to;
 * backwards, back where it started. */
static void interrupted(struct dap *d, int backward, uint64_t start_tick)
{
    struct pyi_pos pos;
    pt_interrupted = 0;
    pt_err_clear();
    if (dap_io_gone()) {
        return;
    }
    if (!backward && rep_state(d->rep) == REP_READY && rep_stop_here(d->rep, &pos) > 0) {
        stopped(d, "pause", NULL, 0);
        return;
    }
    if (rep_goto(d->rep, start_tick, &pos) > 0) {
        stopped(d, "pause", NULL, 0);
        return;
    }
    at_end(d);
}

/* Where a motion ended: r as the replayer returns it. */
static void motion_end(struct dap *d, int r, int backward, int bp, const char *reason)
{
    if (r < 0) {
        char msg[1200];
        int n = snprintf(msg, sizeof msg, "pytt: %s\n", pt_errmsg());
        dap_output(d, "console", msg, (size_t)n);
        pt_err_clear();
    }
    if (r > 0 && rep_state(d->rep) == REP_READY) {
        if (bp) {
            bp_stopped(d, bp);
        } else {
            stopped(d, reason, NULL, 0);
        }
    } else if (backward && r == 0) {
        stopped(d, "entry", "The start of the recording", 0);
    } else {
        at_end(d);
    }
}

int dap_motion(struct dap *d, const struct pt_json *req, const char *command)
{
    struct pyi_pos pos;
    uint64_t start_tick = 0;
    pid_t tid = dap_thread_tid(d, pt_json_get(req, "arguments"));
    int backward = strcmp(command, "stepBack") == 0 || strcmp(command, "reverseContinue") == 0;
    if (rep_state(d->rep) != REP_READY && !backward) {
        dap_error(d, req,
                  "%s: the replay is at the end of the recording (step back, reverse "
                  "continue or goto go back)",
                  command);
        return -1;
    }
    if (rep_state(d->rep) == REP_READY) {
        rep_tick(d->rep, &start_tick);
    }
    if (tid) {
        rep_select_thread(d->rep, tid);
        pt_err_clear();
    }
    if (strcmp(command, "continue") == 0) {
        struct pt_jw w;
        dap_begin_response(d, &w, req);
        pt_jw_kbool(&w, "allThreadsContinued", 1);
        dap_end_response(d, &w);
    } else {
        dap_ok(d, req);
    }
    dap_forget_stop(d);
    rep_progress_restart(d->rep);
    int r, bp = 0;
    if (strcmp(command, "continue") == 0 || strcmp(command, "reverseContinue") == 0) {
        r = run_continue(d, backward, &bp);
    } else if (strcmp(command, "next") == 0) {
        r = rep_next(d->rep, &pos);
    } else if (strcmp(command, "stepIn") == 0) {
        r = rep_step(d->rep, &pos);
    } else if (strcmp(command, "stepOut") == 0) {
        r = rep_finish(d->rep, &pos);
    } else {
        r = rep_reverse_next(d->rep, &pos);
    }
    if (pt_interrupted) {
        interrupted(d, backward, start_tick);
        return 0;
    }
    if (!bp && !backward && r > 0) {
        bp = rep_stopped_at_breakpoint(d->rep);
    }
    motion_end(d, r, backward, bp, "step");
    return 0;
}

void dap_report_stop(struct dap *d)
{
    struct pyi_pos pos;
    int bp = rep_state(d->rep) == REP_READY ? rep_stopped_at_breakpoint(d->rep) : 0;
    if (!bp && rep_state(d->rep) == REP_READY && rep_here(d->rep, &pos) >= 0) {
        bp = bp_at(d, &pos); /* a continue or a step that ended on a breakpoint */
    }
    pt_err_clear();
    motion_end(d, 1, 0, bp, "step");
}

void dap_first_stop(struct dap *d)
{
    int bp = 0;
    if (d->stop_on_entry) {
        stopped(d, "entry", NULL, 0);
        return;
    }
    dap_forget_stop(d);
    int r = run_continue(d, 0, &bp);
    if (pt_interrupted) {
        interrupted(d, 0, 0);
        return;
    }
    motion_end(d, r, 0, bp, "breakpoint");
}

/* ---- goto ----------------------------------------------------------------------------------- */

/* Target ids: line * 2 + 1 for the next execution of the line, line * 2 for the previous one. */
int dap_goto_targets(struct dap *d, const struct pt_json *req)
{
    const struct pt_json *args = pt_json_get(req, "arguments");
    const char *path = pt_json_get_str(pt_json_get(args, "source"), "path", NULL);
    int line = (int)pt_json_get_num(args, "line", 0);
    if (!path || line <= 0) {
        return dap_error(d, req, "gotoTargets: needs a source with a \"path\" and a \"line\"");
    }
    snprintf(d->goto_source, sizeof d->goto_source, "%s", path);
    struct pt_jw w;
    dap_begin_response(d, &w, req);
    pt_jw_key(&w, "targets");
    pt_jw_arr(&w);
    for (int forward = 1; forward >= 0; forward--) {
        char label[64];
        snprintf(label, sizeof label, "%s execution of line %d", forward ? "Next" : "Previous",
                 line);
        pt_jw_obj(&w);
        pt_jw_kint(&w, "id", (int64_t)line * 2 + forward);
        pt_jw_kstr(&w, "label", label);
        pt_jw_kint(&w, "line", line);
        pt_jw_end_obj(&w);
    }
    pt_jw_end_arr(&w);
    dap_end_response(d, &w);
    return 0;
}

int dap_goto(struct dap *d, const struct pt_json *req)
{
    const struct pt_json *args = pt_json_get(req, "arguments");
    long id = (long)pt_json_get_num(args, "targetId", 0);
    int line = (int)(id / 2), forward = (int)(id % 2), ids[256], bp = 0;
    uint64_t start_tick = 0;
    struct pyi_pos pos;
    char spec[1100];
    const struct rep_bp *tb;
    if (line <= 0 || !d->goto_source[0]) {
        return dap_error(d, req, "goto: unknown target %ld (ask gotoTargets first)", id);
    }
    if (rep_state(d->rep) == REP_READY) {
        rep_tick(d->rep, &start_tick);
    } else if (forward) {
        return dap_error(d, req, "goto: the replay is at the end of the recording");
    } else if (rep_goto_end(d->rep, &pos) <= 0 || rep_tick(d->rep, &start_tick) < 0) {
        return dap_error(d, req, "goto: %s", pt_errmsg());
    }
    snprintf(spec, sizeof spec, "%s:%d", d->goto_source, line);
    int n = dap_breaks_off(d, ids);
    if (rep_break_add(d->rep, spec, NULL, 1, &tb) < 0) {
        dap_breaks_on(d, ids, n);
        return dap_error(d, req, "goto: %s", pt_errmsg());
    }
    int tb_id = tb->id;
    dap_ok(d, req);
    dap_forget_stop(d);
    int r = forward ? rep_continue(d->rep, &pos, &bp) : rep_reverse_continue(d->rep, &pos, &bp);
    if (r > 0 && !bp) {
        bp = bp_at(d, &pos);
    }
    rep_break_delete(d->rep, tb_id);
    dap_breaks_on(d, ids, n);
    pt_err_clear();
    if (pt_interrupted) {
        interrupted(d, !forward, start_tick);
        return 0;
    }
    if (r > 0 && bp == tb_id && rep_state(d->rep) == REP_READY) {
        stopped(d, "goto", NULL, 0);
        return 0;
    }
    char msg[1300];
    int len = snprintf(msg, sizeof msg,
                       "pytt: line %d of %s does not run %s this moment: "
                       "staying here\n",
                       line, d->goto_source, forward ? "after" : "before");
    dap_output(d, "console", msg, (size_t)len);
    if (rep_goto(d->rep, start_tick, &pos) > 0) {
        stopped(d, "goto", "The line does not run there: back where it was", 0);
    } else {
        at_end(d);
    }
    return 0;
}
