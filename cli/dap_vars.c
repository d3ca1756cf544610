/*
 * dap_vars: what `pytt dap` shows at a stop, from the structured APIs below cli/: threads
 * (gdb's thread numbers are the DAP thread ids, names from threading), stackTrace (pyi_frames
 * of the thread), scopes (Locals, Globals), variables (pyi_each_local, pyi_each_global and, for
 * containers and objects, pyi_each_child with paging), evaluate (the built-in evaluator from
 * memory, else the program's interpreter in a throwaway copy, rep_eval_expr) and source (the
 * recorded text of files that are not on disk). Frame ids and variablesReferences are numbers
 * into tables that every motion empties.
 */
#define _GNU_SOURCE
#include "dap.h"

#include "common/pt_error.h"
#include "pyintrospect/pyintrospect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAP_MAX_THREADS 4096
#define DAP_FRAME_SHIFT 16 /* frameId = thread number << 16 | frame index, plus 1 */

void dap_forget_stop(struct dap *d)
{
    d->nrefs = 0;
    struct pyi_session *p = rep_state(d->rep) == REP_READY ? rep_pyi(d->rep) : NULL;
    if (p) {
        pyi_invalidate(p);
    }
    pt_err_clear();
}

void dap_vars_free(struct dap *d)
{
    free(d->refs);
    for (int i = 0; i < d->nsources; i++) {
        free(d->sources[i]);
    }
    free(d->sources);
    free(d->known_threads);
}

static int new_ref(struct dap *d, const struct dap_ref *r)
{
    if (d->nrefs == d->caprefs) {
        int cap = d->caprefs ? d->caprefs * 2 : 64;
        struct dap_ref *n = realloc(d->refs, (size_t)cap * sizeof *n);
        if (!n) {
            return 0;
        }
        d->refs = n;
        d->caprefs = cap;
    }
    d->refs[d->nrefs++] = *r;
    return d->nrefs;
}

static struct pyi_session *pyi(struct dap *d, const struct pt_json *req)
{
    if (rep_state(d->rep) != REP_READY) {
        dap_error(d, req, "the replay is at the end of the recording: nothing to show");
        return NULL;
    }
    struct pyi_session *p = rep_pyi(d->rep);
    if (!p) {
        dap_error(d, req, "cannot read Python's state: %s", pt_errmsg());
    }
    return p;
}

pid_t dap_thread_tid(struct dap *d, const struct pt_json *args)
{
    pid_t tid = 0;
    int n = (int)pt_json_get_num(args, "threadId", 0);
    if (n <= 0 || rep_thread_of_number(d->rep, n, &tid) < 0) {
        pt_err_clear();
        return 0;
    }
    return tid;
}

/* Select thread tid and frame index in pyintrospect (and the thread for evaluations). */
int dap_select_frame(struct dap *d, struct pyi_session *p, pid_t tid, int frame)
{
    if (tid && pyi_select_thread_tid(p, tid) < 0) {
        return -1;
    }
    if (tid) {
        rep_select_thread(d->rep, tid);
    }
    return pyi_frame_select(p, (size_t)frame);
}

/* ---- threads ----------------------------------------------------------------------------------
 */

static int alive(struct dap *d, pid_t *tids, int max)
{
    int n = rep_thread_ids(d->rep, tids, max);
    return n < 0 ? 0 : n;
}

void dap_thread_events(struct dap *d)
{
    static pid_t now[DAP_MAX_THREADS];
    int n = alive(d, now, DAP_MAX_THREADS);
    struct pt_jw w;
    for (int pass = 0; pass < 2; pass++) { /* exited, then started */
        const pid_t *a = pass ? now : d->known_threads, *b = pass ? d->known_threads : now;
        int na = pass ? n : d->nknown, nb = pass ? d->nknown : n;
        for (int i = 0; i < na; i++) {
            int found = 0;
            for (int j = 0; j < nb && !found; j++) {
                found = a[i] == b[j];
            }
            int num = rep_thread_number(d->rep, a[i]);
            if (found || (!pass && num <= 0) || (pass && d->nknown == 0 && num == 1)) {
                continue;
            }
            dap_begin_event(d, &w, "thread");
            pt_jw_kstr(&w, "reason", pass ? "started" : "exited");
            pt_jw_kint(&w, "threadId", num > 0 ? num : 0);
            dap_end_event(d, &w);
        }
    }
    pid_t *k = realloc(d->known_threads, (size_t)(n ? n : 1) * sizeof *k);
    if (k) {
        memcpy(k, now, (size_t)n * sizeof *k);
        d->known_threads = k;
        d->nknown = n;
    }
}

int dap_threads(struct dap *d, const struct pt_json *req)
{
    static pid_t tids[DAP_MAX_THREADS];
    int n = rep_state(d->rep) == REP_READY ? alive(d, tids, DAP_MAX_THREADS) : 0;
    struct pyi_session *p = n ? rep_pyi(d->rep) : NULL;
    const struct pyi_thread *pt = NULL;
    size_t npt = 0;
    if (p && pyi_threads(p, &pt, &npt) < 0) {
        npt = 0;
    }
    struct pt_jw w;
    dap_begin_response(d, &w, req);
    pt_jw_key(&w, "threads");
    pt_jw_arr(&w);
    for (int i = 0; i < n; i++) {
        int num = rep_thread_number(d->rep, tids[i]);
        char *name = NULL, label[512];
        for (size_t j = 0; j < npt; j++) {
            if (pt[j].native_tid == tids[i] && pyi_thread_name(p, j, &name) < 0) {
                name = NULL;
            }
        }
        snprintf(label, sizeof label, "Thread %d%s%s%s (tid %d)", num, name ? " (" : "",
                 name ? name : "", name ? ")" : "", (int)tids[i]);
        free(name);
        pt_jw_obj(&w);
        pt_jw_kint(&w, "id", num);
        pt_jw_kstr(&w, "name", label);
        pt_jw_end_obj(&w);
    }
    if (n == 0) { /* at the end: the main thread, so that clients have one to show */
        pt_jw_obj(&w);
        pt_jw_kint(&w, "id", 1);
        pt_jw_kstr(&w, "name", "Thread 1");
        pt_jw_end_obj(&w);
    }
    pt_jw_end_arr(&w);
    dap_end_response(d, &w);
    pt_err_clear();
    return 0;
}

/* ---- stack ------------------------------------------------------------------------------------
 */

/* A Source object: a path on disk, or a sourceReference to the recorded text. */
static void write_source(struct dap *d, struct pt_jw *w, const char *file)
{
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    pt_jw_key(w, "source");
    pt_jw_obj(w);
    pt_jw_kstr(w, "name", base);
    if (access(file, R_OK) == 0) {
        pt_jw_kstr(w, "path", file);
    } else {
        int ref = 0;
        for (int i = 0; i < d->nsources && !ref; i++) {
            ref = strcmp(d->sources[i], file) == 0 ? i + 1 : 0;
        }
        char **ns = ref ? d->sources : realloc(d->sources, (size_t)(d->nsources + 1) * sizeof *ns);
        if (!ref && ns) {
            d->sources = ns;
            ns[d->nsources++] = strdup(file);
            ref = d->nsources;
        }
        pt_jw_kstr(w, "path", file);
        pt_jw_kint(w, "sourceReference", ref);
    }
    pt_jw_end_obj(w);
}

int dap_stack_trace(struct dap *d, const struct pt_json *req)
{
    const struct pt_json *args = pt_json_get(req, "arguments");
    struct pyi_session *p = pyi(d, req);
    pid_t tid = dap_thread_tid(d, args);
    int num = (int)pt_json_get_num(args, "threadId", 1);
    size_t start = (size_t)pt_json_get_num(args, "startFrame", 0);
    size_t levels = (size_t)pt_json_get_num(args, "levels", 0);
    const struct pyi_frame *f;
    size_t n;
    if (!p) {
        return -1;
    }
    if ((tid && pyi_select_thread_tid(p, tid) < 0) || pyi_frames(p, &f, &n) < 0) {
        return dap_error(d, req, "stackTrace: thread %d: %s", num, pt_errmsg());
    }
    struct pt_jw w;
    dap_begin_response(d, &w, req);
    pt_jw_key(&w, "stackFrames");
    pt_jw_arr(&w);
    for (size_t i = start; i < n && (!levels || i < start + levels); i++) {
        pt_jw_obj(&w);
        pt_jw_kint(&w, "id", ((int64_t)num << DAP_FRAME_SHIFT | (int64_t)i) + 1);
        pt_jw_kstr(&w, "name", f[i].qualname && f[i].qualname[0] ? f[i].qualname : f[i].funcname);
        write_source(d, &w, f[i].filename);
        pt_jw_kint(&w, "line", f[i].line > 0 ? f[i].line : 0);
        pt_jw_kint(&w, "column", 1);
        pt_jw_end_obj(&w);
    }
    pt_jw_end_arr(&w);
    pt_jw_kint(&w, "totalFrames", (int64_t)n);
    dap_end_response(d, &w);
    return 0;
}

/* frameId -> (thread, frame index). */
int dap_frame_of(struct dap *d, int64_t id, pid_t *tid, int *frame)
{
    *tid = 0;
    *frame = 0;
    if (id <= 0) {
        return 0; /* no frame: the selected thread's innermost */
    }
    id--;
    *frame = (int)(id & ((1 << DAP_FRAME_SHIFT) - 1));
    int num = (int)(id >> DAP_FRAME_SHIFT);
    return rep_thread_of_number(d->rep, num, tid) < 0 ? pt_fail("no thread %d now", num) : 0;
}

int dap_scopes(struct dap *d, const struct pt_json *req)
{
    int64_t id = (int64_t)pt_json_get_num(pt_json_get(req, "arguments"), "frameId", 0);
    struct dap_ref r = {DAP_REF_LOCALS, 0, 0, 0, 0, 0, ""};
    if (!pyi(d, req)) {
        return -1;
    }
    if (dap_frame_of(d, id, &r.tid, &r.frame) < 0) {
        return dap_error(d, req, "scopes: %s", pt_errmsg());
    }
    struct pt_jw w;
    dap_begin_response(d, &w, req);
    pt_jw_key(&w, "scopes");
    pt_jw_arr(&w);
    for (int k = 0; k < 2; k++) {
        r.kind = k ? DAP_REF_GLOBALS : DAP_REF_LOCALS;
        pt_jw_obj(&w);
        pt_jw_kstr(&w, "name", k ? "Globals" : "Locals");
        pt_jw_kstr(&w, "presentationHint", k ? "globals" : "locals");
        pt_jw_kint(&w, "variablesReference", new_ref(d, &r));
        pt_jw_kbool(&w, "expensive", k);
        pt_jw_end_obj(&w);
    }
    pt_jw_end_arr(&w);
    dap_end_response(d, &w);
    return 0;
}

/* ---- values -----------------------------------------------------------------------------------
 */

/* The text a variables view shows for an object: repr() from memory, values whose repr() is
 * Python code built from their fields (exact repr() costs an evaluation: evaluate gives it),
 * big containers and strings cut. */
static char *value_text(struct pyi_session *p, uint64_t obj)
{
    struct pyi_repr_opts old, view = {100, 1000, 4};
    char *text = NULL;
    unsigned what;
    pyi_get_repr_opts(p, &old);
    pyi_set_repr_opts(p, &view);
    if (pyi_repr_flags(p, obj, PYI_REPR_STRUCTURAL, &text, &what) < 0) {
        free(text);
        text = NULL;
        pt_err_clear();
    }
    pyi_set_repr_opts(p, &old);
    return text ? text : strdup("<unreadable>");
}

/* A Variable (or an evaluate body's fields with evaluate = 1). */
static void write_value(struct dap *d, struct pyi_session *p, struct pt_jw *w, const char *name,
                        uint64_t obj, const struct dap_ref *from, int evaluate)
{
    struct pyi_value_info vi;
    char *text = value_text(p, obj);
    if (pyi_value_info(p, obj, &vi) < 0) {
        pt_err_clear();
        memset(&vi, 0, sizeof vi);
    }
    struct dap_ref r = {
        DAP_REF_OBJECT, from ? from->tid : 0, from ? from->frame : 0, obj, 0, 0, ""};
    int ref = 0;
    if (vi.kind != PYI_CHILD_NONE) {
        const char *why;
        r.child_kind = vi.kind;
        r.global = from && (from->global || from->kind == DAP_REF_GLOBALS);
        if (from) {
            dap_child_path(from, name, r.path, sizeof r.path, &why);
        }
        ref = new_ref(d, &r);
    }
    if (!evaluate) {
        pt_jw_obj(w);
        pt_jw_kstr(w, "name", name);
        pt_jw_kstr(w, "value", text);
    } else {
        pt_jw_kstr(w, "result", text);
    }
    pt_jw_kstr(w, "type", vi.type);
    pt_jw_kint(w, "variablesReference", ref);
    if (vi.kind == PYI_CHILD_ITEMS || vi.kind == PYI_CHILD_SET) {
        pt_jw_kint(w, "indexedVariables", (int64_t)vi.nchildren);
    } else if (vi.kind != PYI_CHILD_NONE) {
        pt_jw_kint(w, "namedVariables", (int64_t)vi.nchildren);
    }
    if (!evaluate) {
        pt_jw_end_obj(w);
    }
    free(text);
}

struct vars_ctx {
    struct dap *d;
    struct pyi_session *p;
    struct pt_jw *w;
    const struct dap_ref *from;
};

static int var_cb(void *vctx, const char *name, pt_addr value)
{
    struct vars_ctx *c = vctx;
    write_value(c->d, c->p, c->w, name, value, c->from, 0);
    return 0;
}

static int child_cb(void *vctx, const char *name, pt_addr key, pt_addr value)
{
    return var_cb(vctx, name, value);
}

int dap_variables(struct dap *d, const struct pt_json *req)
{
    const struct pt_json *args = pt_json_get(req, "arguments");
    int ref = (int)pt_json_get_num(args, "variablesReference", 0);
    size_t start = (size_t)pt_json_get_num(args, "start", 0);
    size_t count = (size_t)pt_json_get_num(args, "count", 0);
    struct pyi_session *p = pyi(d, req);
    if (!p) {
        return -1;
    }
    if (ref <= 0 || ref > d->nrefs) {
        return dap_error(d, req,
                         "variables: no variablesReference %d at this stop (references "
                         "last until the next motion)",
                         ref);
    }
    struct dap_ref r = d->refs[ref - 1];
    if (r.kind != DAP_REF_OBJECT && dap_select_frame(d, p, r.tid, r.frame) < 0) {
        return dap_error(d, req, "variables: %s", pt_errmsg());
    }
    struct pt_jw w;
    struct vars_ctx c = {d, p, &w, &r};
    dap_begin_response(d, &w, req);
    pt_jw_key(&w, "variables");
    pt_jw_arr(&w);
    int rc = r.kind == DAP_REF_LOCALS    ? pyi_each_local(p, var_cb, &c)
             : r.kind == DAP_REF_GLOBALS ? pyi_each_global(p, var_cb, &c)
                                         : pyi_each_child(p, r.obj, start, count, child_cb, &c);
    pt_jw_end_arr(&w);
    if (rc < 0) {
        pt_jw_free(&w);
        return dap_error(d, req, "variables: %s", pt_errmsg());
    }
    dap_end_response(d, &w);
    return 0;
}

/* ---- evaluate ---------------------------------------------------------------------------------
 */

/* One expression in the selected frame: the interpreter's text (*text, malloc'd), the status. */
static int eval_text(struct dap *d, const char *expr, int mode, char **text, int *status,
                     struct rep_eval_report *rep)
{
    struct rep_eval_item it = {mode, expr, -1, 0, NULL};
    memset(rep, 0, sizeof *rep);
    if (rep_eval_expr(d->rep, &it, rep) < 0) {
        return -1;
    }
    *status = it.status;
    *text = it.text;
    if (!*text) {
        *text = strdup(rep->ended ? rep->why : "<not evaluated>");
    }
    return 0;
}

char *dap_eval_str(struct dap *d, const char *expr)
{
    struct pyi_session *p = rep_pyi(d->rep);
    char *text = NULL;
    pt_addr addr = 0;
    struct rep_eval_report rep;
    int status;
    if (p && pyi_eval(p, expr, &text, &addr) == PYI_EVAL_OK && text && text[0] != '\'' &&
        text[0] != '"') {
        return text; /* str() is repr() for what the built-in evaluator computes, but strs */
    }
    free(text);
    pt_err_clear();
    if (eval_text(d, expr, REP_EVAL_STR, &text, &status, &rep) < 0) {
        pt_err_clear();
        return NULL;
    }
    rep_eval_report_free(&rep);
    return text;
}

int dap_evaluate(struct dap *d, const struct pt_json *req)
{
    const struct pt_json *args = pt_json_get(req, "arguments");
    const char *expr = pt_json_get_str(args, "expression", NULL);
    const char *context = pt_json_get_str(args, "context", "repl");
    int64_t fid = (int64_t)pt_json_get_num(args, "frameId", 0);
    /* the frame's names: the children of the value are named from the expression */
    struct dap_ref r = {DAP_REF_LOCALS, 0, 0, 0, 0, 0, ""};
    const char *cmd;
    if (expr && strcmp(context, "repl") == 0 && dap_repl_is_command(expr, &cmd)) {
        struct pyi_session *sp = rep_state(d->rep) == REP_READY ? rep_pyi(d->rep) : NULL;
        if (sp && (dap_frame_of(d, fid, &r.tid, &r.frame) < 0 ||
                   dap_select_frame(d, sp, r.tid, r.frame) < 0)) {
            pt_err_clear(); /* the command runs in the frame the replay has selected */
        }
        return dap_repl_command(d, req, cmd);
    }
    struct pyi_session *p = pyi(d, req);
    if (!p) {
        return -1;
    }
    if (!expr) {
        return dap_error(d, req, "evaluate: needs an \"expression\"");
    }
    if (dap_frame_of(d, fid, &r.tid, &r.frame) < 0 || dap_select_frame(d, p, r.tid, r.frame) < 0) {
        return dap_error(d, req, "evaluate: %s", pt_errmsg());
    }
    char *text = NULL;
    pt_addr addr = 0;
    struct pt_jw w;
    if (pyi_eval(p, expr, &text, &addr) == PYI_EVAL_OK && addr) {
        free(text);
        dap_begin_response(d, &w, req);
        write_value(d, p, &w, expr, addr, &r, 1);
        dap_end_response(d, &w);
        return 0;
    }
    free(text);
    pt_err_clear();
    int status = 0;
    struct rep_eval_report rep;
    int repl = strcmp(context, "repl") == 0;
    if (eval_text(d, expr, REP_EVAL_REPR, &text, &status, &rep) < 0) {
        return dap_error(d, req, "%s", pt_errmsg());
    }
    if (repl && status == REP_EVAL_RAISED && strncmp(text, "SyntaxError", 11) == 0) {
        free(text); /* a statement, in the REPL: run it as pdb's `!` does */
        rep_eval_report_free(&rep);
        if (eval_text(d, expr, REP_EVAL_EXEC, &text, &status, &rep) < 0) {
            return dap_error(d, req, "%s", pt_errmsg());
        }
    }
    if (rep.output_len) {
        dap_output(d, "stdout", rep.output, rep.output_len);
    }
    rep_eval_report_free(&rep);
    if (status != REP_EVAL_VALUE) {
        dap_error(d, req, "%s", text);
        free(text);
        return -1;
    }
    dap_begin_response(d, &w, req);
    pt_jw_kstr(&w, "result", text);
    pt_jw_kint(&w, "variablesReference", 0);
    dap_end_response(d, &w);
    free(text);
    return 0;
}

/* ---- source -----------------------------------------------------------------------------------
 */

int dap_source(struct dap *d, const struct pt_json *req)
{
    const struct pt_json *args = pt_json_get(req, "arguments");
    int ref = (int)pt_json_get_num(args, "sourceReference", 0);
    const char *path = pt_json_get_str(pt_json_get(args, "source"), "path", NULL);
    struct pyi_session *p = pyi(d, req);
    if (!p) {
        return -1;
    }
    if (ref > 0 && ref <= d->nsources) {
        path = d->sources[ref - 1];
    }
    if (!path) {
        return dap_error(d, req, "source: unknown sourceReference %d", ref);
    }
    char *buf = NULL;
    size_t blen = 0, len;
    FILE *f = open_memstream(&buf, &blen);
    const char *line;
    for (int i = 1; f && (line = pyi_source_text(p, path, i, &len)) != NULL; i++) {
        fprintf(f, "%.*s\n", (int)len, line);
    }
    if (f) {
        fclose(f);
    }
    pt_err_clear();
    if (!buf || !blen) {
        free(buf);
        return dap_error(d, req, "source: the text of %s is neither on disk nor in the recording",
                         path);
    }
    struct pt_jw w;
    dap_begin_response(d, &w, req);
    pt_jw_key(&w, "content");
    pt_jw_strn(&w, buf, blen);
    pt_jw_kstr(&w, "mimeType", "text/x-python");
    dap_end_response(d, &w);
    free(buf);
    return 0;
}
