/*
 * dap_data: data breakpoints for `pytt dap` ("Break on Value Change" in VS Code), on the
 * replayer's watchpoints (rep_watch.c, the shell's `watch`). dataBreakpointInfo names a value
 * (a child of a scope or of a value in the Variables view, by variablesReference and name; or
 * an expression in a frame) and resolves it, at this stop, to a place (pyintrospect's struct
 * pyi_loc: a local of a function, in every call of it; a module's global; an attribute or item
 * reached through a global, evaluated again at each read, or through a local, of the object it
 * named): the answer is a dataId for setDataBreakpoints, or null with the reason it cannot be
 * watched. setDataBreakpoints replaces the list: a dataId already watched keeps its
 * watchpoint, the others are added or removed. continue and reverseContinue then stop at the
 * moment a watched value changes (the first moment its new value is visible, the same in both
 * directions), with reason "data breakpoint" and gdb's Old value / New value. Conditions are
 * judged at that stop, in the frame it shows; a hit condition counts the changes the motions
 * met whose condition held (gdb's hit count, in the order met).
 */
#define _GNU_SOURCE
#include "dap.h"

#include "common/pt_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dap_data_free(struct dap *d)
{
    free(d->places);
    d->places = NULL;
    d->nplaces = 0;
}

/* ---- naming a value ------------------------------------------------------------------------ */

void dap_child_path(const struct dap_ref *parent, const char *name, char *out, size_t cap,
                    const char **why)
{
    int n = -1;
    *why = NULL;
    out[0] = '\0';
    if (parent->kind != DAP_REF_OBJECT) {
        n = snprintf(out, cap, "%s", name);
    } else if (!parent->path[0]) {
        *why = "this value was not reached through a variable (an evaluated expression that is "
               "not NAME.attr or NAME[key]): watch the variable it comes from";
    } else if (parent->child_kind == PYI_CHILD_SET) {
        *why = "a set's elements have no place of their own (no index, no key): watch the whole "
               "set instead";
    } else if (parent->child_kind == PYI_CHILD_ATTRS) {
        n = snprintf(out, cap, "%s.%s", parent->path, name);
    } else {
        n = snprintf(out, cap, "%s[%s]", parent->path, name);
    }
    if (!*why && (n < 0 || (size_t)n >= cap)) {
        out[0] = '\0';
        *why = "the expression that names this value is too long";
    }
}

/* The place dataBreakpointInfo was asked about: expr (written into expr) resolved in its frame;
 * -1 with the reason in pt_errmsg. */
static int resolve(struct dap *d, const struct pt_json *args, char *expr, size_t cap,
                   struct pyi_loc *loc)
{
    const char *name = pt_json_get_str(args, "name", NULL);
    int vref = (int)pt_json_get_num(args, "variablesReference", 0);
    struct dap_ref r = {DAP_REF_LOCALS, 0, 0, 0, 0, 0, ""};
    struct pyi_session *p = rep_pyi(d->rep);
    const char *why = NULL;
    if (!name || !*name) {
        return pt_fail("needs the \"name\" of a variable or an expression");
    }
    if (pt_json_get_bool(args, "asAddress", 0)) {
        return pt_fail("pytt watches Python values, not memory addresses");
    }
    if (vref > 0 && vref > d->nrefs) {
        return pt_fail("no variablesReference %d at this stop (references last until the next "
                       "motion)",
                       vref);
    }
    if (vref > 0) {
        r = d->refs[vref - 1];
    } else if (dap_frame_of(d, (int64_t)pt_json_get_num(args, "frameId", 0), &r.tid, &r.frame) <
               0) {
        return -1;
    }
    dap_child_path(&r, name, expr, cap, &why);
    if (why) {
        return pt_fail("%s", why);
    }
    if (!p || dap_select_frame(d, p, r.tid, r.frame) < 0) {
        return -1;
    }
    int global = r.kind == DAP_REF_GLOBALS || (r.kind == DAP_REF_OBJECT && r.global);
    return global ? pyi_loc_resolve_global(p, expr, loc) : pyi_loc_resolve(p, expr, loc);
}

/* The dataId of a resolved place (the same place asked again gets the same one). */
static const struct dap_place *place_keep(struct dap *d, const char *expr,
                                          const struct pyi_loc *loc)
{
    for (int i = 0; i < d->nplaces; i++) {
        if (strcmp(d->places[i].expr, expr) == 0 &&
            memcmp(&d->places[i].loc, loc, sizeof *loc) == 0) {
            return &d->places[i];
        }
    }
    struct dap_place *np = realloc(d->places, (size_t)(d->nplaces + 1) * sizeof *np);
    if (!np) {
        return NULL;
    }
    d->places = np;
    struct dap_place *pl = &d->places[d->nplaces++];
    memset(pl, 0, sizeof *pl);
    snprintf(pl->id, sizeof pl->id, "pytt-place-%d", d->nplaces);
    snprintf(pl->expr, sizeof pl->expr, "%s", expr);
    pl->loc = *loc;
    return pl;
}

static const struct dap_place *place_by_id(struct dap *d, const char *id)
{
    for (int i = 0; id && i < d->nplaces; i++) {
        if (strcmp(d->places[i].id, id) == 0) {
            return &d->places[i];
        }
    }
    return NULL;
}

/* "total: local total of main (every call; also after this frame returns)". */
static void describe(const struct dap_place *pl, char *out, size_t cap)
{
    char where[1200];
    pyi_loc_describe(&pl->loc, where, sizeof where);
    snprintf(out, cap, "%s: %s%s", pl->expr, where,
             pl->loc.kind == PYI_LOC_LOCAL
                 ? " - every call of the function, also after this frame returns"
                 : "");
}

int dap_data_breakpoint_info(struct dap *d, const struct pt_json *req)
{
    const struct pt_json *args = pt_json_get(req, "arguments");
    char expr[512], desc[2048];
    struct pyi_loc loc;
    const struct dap_place *pl = NULL;
    if (rep_state(d->rep) != REP_READY) {
        pt_fail("the replay is at the end of the recording: step back or reverse-continue to a "
                "moment where the value exists");
    } else if (resolve(d, args, expr, sizeof expr, &loc) == 0 &&
               !(pl = place_keep(d, expr, &loc))) {
        pt_fail("out of memory");
    }
    struct pt_jw w;
    dap_begin_response(d, &w, req);
    if (pl) {
        describe(pl, desc, sizeof desc);
        pt_jw_kstr(&w, "dataId", pl->id);
        pt_jw_kstr(&w, "description", desc);
        pt_jw_key(&w, "accessTypes");
        pt_jw_arr(&w);
        pt_jw_str(&w, "write");
        pt_jw_end_arr(&w);
        pt_jw_kbool(&w, "canPersist", 0);
    } else {
        const char *name = pt_json_get_str(args, "name", "");
        const char *why = pt_errmsg();
        if (strncmp(why, "cannot watch", 12) == 0) {
            snprintf(desc, sizeof desc, "%s", why);
        } else {
            snprintf(desc, sizeof desc, "cannot watch %s: %s", name, why);
        }
        pt_jw_key(&w, "dataId");
        pt_jw_null(&w);
        pt_jw_kstr(&w, "description", desc);
    }
    dap_end_response(d, &w);
    pt_err_clear();
    return 0;
}

/* ---- setDataBreakpoints ------------------------------------------------------------------- */

static struct dap_bp *data_bp(struct dap *d, const char *id)
{
    for (int i = 0; id && i < d->nbps; i++) {
        if (d->bps[i].data && strcmp(d->bps[i].data_id, id) == 0) {
            return &d->bps[i];
        }
    }
    return NULL;
}

static int in_list(const struct pt_json *list, const char *id)
{
    for (const struct pt_json *b = list ? list->child : NULL; b; b = b->next) {
        const char *x = pt_json_get_str(b, "dataId", NULL);
        if (x && strcmp(x, id) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Condition and hit condition of a DataBreakpoint onto b ("" in msg, or what was wrong). */
static void set_conditions(struct dap_bp *b, const struct pt_json *db, char *msg, size_t cap)
{
    const char *cond = pt_json_get_str(db, "condition", NULL);
    const char *hit = pt_json_get_str(db, "hitCondition", NULL);
    free(b->cond);
    b->cond = cond && *cond ? strdup(cond) : NULL;
    b->hit_op[0] = '\0';
    b->data_hits = 0; /* counted again from the moment the conditions are set */
    if (hit && *hit && dap_parse_hit(hit, b) < 0) {
        b->hit_op[0] = '\0';
        snprintf(msg, cap, "hit condition '%s': expected a count N, or ==N, >N, >=N, <N, <=N, %%N",
                 hit);
    }
}

/* A new data breakpoint on the place named id: 0 (b filled), or -1 with msg. */
static int data_add(struct dap *d, const char *id, struct dap_bp *b, char *msg, size_t cap)
{
    const struct dap_place *pl = place_by_id(d, id);
    const struct rep_watchpt *w;
    if (!pl) {
        snprintf(msg, cap, "unknown dataId '%s': ask dataBreakpointInfo at a stop first",
                 id ? id : "");
        return -1;
    }
    if (rep_watch_add_loc(d->rep, pl->expr, &pl->loc, &w) < 0) {
        snprintf(msg, cap, "%s", pt_errmsg());
        pt_err_clear();
        return -1;
    }
    memset(b, 0, sizeof *b);
    b->data = 1;
    b->rep_id = w->id;
    b->dap_id = d->next_bp_id++;
    b->data_id = strdup(id);
    snprintf(b->source, sizeof b->source, "%s", pl->expr);
    return 0;
}

/* One DataBreakpoint of the list: kept, added or refused; its Breakpoint into w. */
static void data_one(struct dap *d, struct pt_jw *w, const struct pt_json *db)
{
    const char *id = pt_json_get_str(db, "dataId", NULL);
    const char *access = pt_json_get_str(db, "accessType", "write");
    char msg[1200] = "";
    struct dap_bp nb, *b = data_bp(d, id);
    if (strcmp(access, "write") != 0) {
        snprintf(msg, sizeof msg,
                 "pytt stops where a value changes (accessType \"write\"), not "
                 "where it is read");
        b = NULL;
    } else if (!b && data_add(d, id, &nb, msg, sizeof msg) == 0) {
        struct dap_bp *v = realloc(d->bps, (size_t)(d->nbps + 1) * sizeof *v);
        if (v) {
            d->bps = v;
            d->bps[d->nbps] = nb;
            b = &d->bps[d->nbps++];
        } else {
            rep_break_delete(d->rep, nb.rep_id);
            free(nb.data_id);
            snprintf(msg, sizeof msg, "out of memory");
        }
    }
    if (b) {
        set_conditions(b, db, msg, sizeof msg);
    }
    pt_jw_obj(w);
    if (b) {
        pt_jw_kint(w, "id", b->dap_id);
    }
    pt_jw_kbool(w, "verified", b != NULL);
    if (msg[0]) {
        pt_jw_kstr(w, "message", msg);
    }
    pt_jw_end_obj(w);
}

int dap_set_data_breakpoints(struct dap *d, const struct pt_json *req)
{
    const struct pt_json *list = pt_json_get(pt_json_get(req, "arguments"), "breakpoints");
    for (int i = d->nbps - 1; i >= 0; i--) {
        if (d->bps[i].data && !in_list(list, d->bps[i].data_id)) {
            dap_bp_drop(d, i);
            pt_err_clear();
        }
    }
    struct pt_jw w;
    dap_begin_response(d, &w, req);
    pt_jw_key(&w, "breakpoints");
    pt_jw_arr(&w);
    for (const struct pt_json *db = list ? list->child : NULL; db; db = db->next) {
        data_one(d, &w, db);
    }
    pt_jw_end_arr(&w);
    dap_end_response(d, &w);
    return 0;
}

/* ---- stops ---------------------------------------------------------------------------------- */

int dap_data_stops(struct dap *d, struct dap_bp *b)
{
    int truth = 1;
    if (b->cond && rep_break_condition(d->rep, 0, b->cond, &truth) < 0) {
        char msg[1400];
        int n = snprintf(msg, sizeof msg, "pytt: condition of data breakpoint %d (%s): %s\n",
                         b->dap_id, b->source, pt_errmsg());
        dap_output(d, "console", msg, (size_t)n);
        pt_err_clear();
        return 1; /* a condition that cannot be judged stops, as pdb's do */
    }
    if (!truth) {
        return 0;
    }
    b->data_hits++;
    return !b->hit_op[0] || dap_hit_passes(b, b->data_hits);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

void dap_data_stopped(struct dap *d, const struct dap_bp *b)
{
    const struct rep_change *ch = rep_last_change(d->rep);
    char desc[700], thread[32] = "", *text = NULL;
    if (!ch) {
        dap_stopped(d, "data breakpoint", NULL, NULL, b->dap_id);
        return;
    }
    if (ch->by.thread) {
        snprintf(thread, sizeof thread, " (thread %d)", ch->by.thread);
    }
    snprintf(desc, sizeof desc, "%.200s changed: %.200s -> %.200s", b->source, ch->old_value,
             ch->new_value);
    if (asprintf(&text,
                 "Data breakpoint %d: %s\n\nOld value = %s\nNew value = %s\nChanged at "
                 "%s:%d in %s%s\n",
                 b->dap_id, b->source, ch->old_value, ch->new_value, base_name(ch->by.file),
                 ch->by.line, ch->by.func, thread) < 0) {
        text = NULL;
    }
    if (text) {
        dap_output(d, "console", text, strlen(text));
    }
    dap_stopped(d, "data breakpoint", desc, text, b->dap_id);
    free(text);
}
