/*
 * pyi_watch: data locations for `watch`, `last` and `history`. An expression is resolved once,
 * when the user sets it, to the place its value lives (a function's local, a module's global,
 * an attribute of one object, an item of one container: struct pyi_loc), and that place is read
 * from memory at any later moment, in any thread, without running code. The value read is its
 * text (repr(), or built from fields where repr() needs code), so a change in place (an
 * append, an attribute of an instance the place refers to) is a change too; a place that holds
 * nothing (an unbound local, a missing attribute or key) reads as a note in <...>.
 */
#define _GNU_SOURCE
#include "pyintrospect/pyi_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The end of the identifier at p (p itself if there is none). */
static const char *ident_end(const char *p)
{
    if (!(isalpha((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80)) {
        return p;
    }
    while (isalnum((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80) {
        p++;
    }
    return p;
}

/* The end of the [...] starting at p (past the ']'), or NULL when it is not closed. */
static const char *bracket_end(const char *p)
{
    int depth = 0;
    char quote = 0;
    for (; *p; p++) {
        if (quote) {
            if (*p == '\\' && p[1]) {
                p++;
            } else if (*p == quote) {
                quote = 0;
            }
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (*p == '[' || *p == '(' || *p == '{') {
            depth++;
        } else if (*p == ']' || *p == ')' || *p == '}') {
            if (--depth == 0) {
                return *p == ']' ? p + 1 : NULL;
            }
        }
    }
    return NULL;
}

/* Split expr into a prefix and its last accessor (".name" or "[key]"); *last = NULL for a bare
 * name. Fails when expr is not NAME followed by accessors. */
static int split(const char *expr, const char **last, const char **end)
{
    const char *p = ident_end(expr);
    if (p == expr) {
        return pt_fail("`%s` does not start with a name: watch a variable, NAME.attr or "
                       "NAME[key]",
                       expr);
    }
    *last = NULL;
    while (*p) {
        const char *q;
        if (*p == '.' && (q = ident_end(p + 1)) != p + 1) {
            *last = p;
            p = q;
        } else if (*p == '[' && (q = bracket_end(p)) && q - p > 2) {
            *last = p;
            p = q;
        } else {
            return pt_fail("cannot watch `%s`: only a variable followed by .attr and [key] "
                           "(`%s` is not one of those)",
                           expr, p);
        }
    }
    *end = p;
    return 0;
}

/* What a read that found nothing says (the place exists, but holds nothing now). */
static const char *absent_note(const char *why)
{
    static const struct {
        const char *why, *note;
    } notes[] = {
        {"an unset slot", "<not set>"},
        {"a missing attribute", "<no such attribute>"},
        {"a missing key", "<no such key>"},
        {"an index out of range", "<index out of range>"},
        {"a name that is not defined", "<not defined>"},
    };
    for (size_t i = 0; why && i < sizeof notes / sizeof notes[0]; i++) {
        if (strcmp(why, notes[i].why) == 0) {
            return notes[i].note;
        }
    }
    return NULL;
}

static int is_local_name(struct pyi_code *c, const char *name)
{
    for (int i = 0; (c->flags & PYI_CO_OPTIMIZED) && i < c->nlocalsplus; i++) {
        if (c->localsplusnames[i] && strcmp(c->localsplusnames[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Does name (the first of a path) mean the frame's local? Not when the path is resolved from
 * the module's globals (a Globals view's entry, which a local of the same name hides). */
static int root_is_local(struct pyi_code *c, const char *name, int global)
{
    return !global && is_local_name(c, name);
}

static int resolve_name(struct pyi_session *s, const char *name, int global, struct pyi_loc *out)
{
    const struct pyi_rawframe *r = pyi_selected_raw(s, NULL);
    struct pyi_code *c;
    if (!r || pyi_code_get(s, r->code, &c) != 0) {
        return -1;
    }
    snprintf(out->name, sizeof out->name, "%s", name);
    if (root_is_local(c, name, global)) {
        out->kind = PYI_LOC_LOCAL;
        out->code = r->code;
        snprintf(out->func, sizeof out->func, "%s", c->qualname ? c->qualname : c->name);
        return 0;
    }
    if (!r->globals) {
        return pt_fail("the selected frame has no globals to find `%s` in", name);
    }
    out->kind = PYI_LOC_GLOBAL;
    out->obj = r->globals;
    return pyi_obj_type(s, out->obj, &out->type);
}

/* The key of [key]: an object of the program (bound), or a literal pytt computed. */
static int resolve_key(struct pyi_session *s, const char *src, size_t len, struct pyi_loc *out)
{
    char expr[256];
    char *text = NULL;
    pt_addr obj;
    if (len >= sizeof expr) {
        return pt_fail("the key `%.*s` is too long", (int)len, src);
    }
    snprintf(expr, sizeof expr, "%.*s", (int)len, src);
    int rc = pyi_eval_bound(s, 0, expr, NULL, 0, &obj, &text);
    if (rc == PYI_EVAL_OK && obj) {
        out->key = obj;
    } else if (rc == PYI_EVAL_OK) {
        snprintf(out->keytext, sizeof out->keytext, "%s", text);
    } else if (rc > 0) {
        pt_fail("cannot read the key `%s` from memory (%s)", expr, text);
    }
    free(text);
    return rc == PYI_EVAL_OK ? 0 : -1;
}

/* A path whose first name is not a local of the selected frame: read from its module's dict
 * at every read (struct pyi_loc). */
static int global_root(struct pyi_session *s, const char *expr, const char *prefix, int global,
                       struct pyi_loc *out)
{
    const struct pyi_rawframe *r = pyi_selected_raw(s, NULL);
    struct pyi_code *c;
    if (!r || pyi_code_get(s, r->code, &c) != 0) {
        return -1;
    }
    snprintf(out->root, sizeof out->root, "%.*s", (int)(ident_end(expr) - expr), expr);
    if (root_is_local(c, out->root, global) || !r->globals) {
        out->root[0] = '\0';
        return 0;
    }
    out->rootdict = r->globals;
    snprintf(out->prefix, sizeof out->prefix, "%s", prefix);
    return 0;
}

/* The object the prefix names now: evaluated in the selected frame, its root bound to the
 * module's global when the path is a global one (a local of the same name does not hide it). */
static int prefix_object(struct pyi_session *s, const char *prefix, int global,
                         const struct pyi_loc *out, pt_addr *obj, char **text)
{
    struct pyi_bind b = {out->root, 0};
    if (!global || !out->rootdict) {
        return pyi_eval_bound(s, 0, prefix, NULL, 0, obj, text);
    }
    if (pyi_dict_get_str(s, out->rootdict, out->root, &b.obj) != 0) {
        return -1;
    }
    if (!b.obj) {
        *text = strdup("a name that is not defined");
        return PYI_EVAL_NEEDS_CODE;
    }
    return pyi_eval_bound(s, 0, prefix, &b, 1, obj, text);
}

static int loc_resolve(struct pyi_session *s, const char *expr, int global, struct pyi_loc *out)
{
    const char *last = NULL, *end = NULL;
    memset(out, 0, sizeof *out);
    while (isspace((unsigned char)*expr)) {
        expr++;
    }
    if (split(expr, &last, &end) < 0) {
        return -1;
    }
    if (!last) {
        return resolve_name(s, expr, global, out);
    }
    char prefix[512];
    char *text = NULL;
    snprintf(prefix, sizeof prefix, "%.*s", (int)(last - expr), expr);
    if (global_root(s, expr, prefix, global, out) < 0) {
        return -1;
    }
    int rc = prefix_object(s, prefix, global, out, &out->obj, &text);
    if (rc != PYI_EVAL_OK && out->rootdict && absent_note(text)) {
        rc = PYI_EVAL_OK; /* a global path whose root is not bound yet: <not defined> for now */
        out->obj = 0;
    } else if (rc != PYI_EVAL_OK || !out->obj) {
        if (rc >= 0) {
            pt_fail("cannot watch `%s`: `%s` %s%s%s", expr, prefix,
                    rc == PYI_EVAL_OK ? "is a value pytt computed, not an object of the program"
                                      : "cannot be read from memory here (",
                    rc == PYI_EVAL_OK ? "" : text, rc == PYI_EVAL_OK ? "" : ")");
        }
        free(text);
        return -1;
    }
    free(text);
    if (out->obj && pyi_obj_type(s, out->obj, &out->type) != 0) {
        return -1;
    }
    if (*last == '.') {
        out->kind = PYI_LOC_ATTR;
        snprintf(out->name, sizeof out->name, "%.*s", (int)(end - last - 1), last + 1);
    } else {
        out->kind = PYI_LOC_ITEM;
        if (resolve_key(s, last + 1, (size_t)(end - last - 2), out) < 0) {
            return -1;
        }
    }
    rc = pyi_loc_read(s, out, 0, &text);
    if (rc == 0 && strncmp(text, "<needs the interpreter", 22) == 0) {
        pt_fail("cannot watch `%s`: reading it needs the interpreter (%s); watch what it is "
                "computed from instead",
                expr, text);
        rc = -1;
    }
    free(text);
    return rc < 0 ? -1 : 0;
}

int pyi_loc_resolve(struct pyi_session *s, const char *expr, struct pyi_loc *out)
{
    return loc_resolve(s, expr, 0, out);
}

int pyi_loc_resolve_global(struct pyi_session *s, const char *expr, struct pyi_loc *out)
{
    return loc_resolve(s, expr, 1, out);
}

static const char *kind_name(int kind)
{
    switch (kind) {
    case PYI_LOC_LOCAL:
        return "local";
    case PYI_LOC_GLOBAL:
        return "global";
    case PYI_LOC_ATTR:
        return "attribute";
    default:
        return "item";
    }
}

void pyi_loc_describe(const struct pyi_loc *loc, char *buf, size_t cap)
{
    if (loc->kind == PYI_LOC_LOCAL) {
        snprintf(buf, cap, "local %s of %s (every call)", loc->name, loc->func);
    } else if (loc->kind == PYI_LOC_GLOBAL) {
        snprintf(buf, cap, "global %s", loc->name);
    } else if (loc->rootdict) {
        snprintf(buf, cap, "%s of %s, through the global %s%s", kind_name(loc->kind), loc->prefix,
                 loc->root, loc->obj ? "" : ", not defined now");
    } else {
        snprintf(buf, cap, "%s of the object at 0x%llx", kind_name(loc->kind),
                 (unsigned long long)loc->obj);
    }
}

/* A local of the frame at address frame (0: unbound); pyi_frame_locals skips unbound ones. */
static int read_local(struct pyi_session *s, const struct pyi_loc *loc, pt_addr frame,
                      pt_addr *value)
{
    struct pyi_rawframe r;
    struct pyi_find_local f = {loc->name, 0};
    if (s->v->frame_read(s, frame, &r) != 0 ||
        pyi_frame_locals(s, &r, pyi_find_local_cb, &f) != 0) {
        return -1;
    }
    *value = f.value;
    return 0;
}

/* The object a global path's prefix names now (0 and 2 with a note in *why when none). */
static int path_object(struct pyi_session *s, const struct pyi_loc *loc, pt_addr *obj, char **why)
{
    pt_addr root = 0;
    char *text = NULL;
    if (pyi_dict_get_str(s, loc->rootdict, loc->root, &root) != 0) {
        return -1;
    }
    if (!root) {
        *why = strdup("<not defined>");
        return 2;
    }
    struct pyi_bind b = {loc->root, root};
    int rc = pyi_eval_bound(s, PYI_NO_FRAME, loc->prefix, &b, 1, obj, &text);
    if (rc < 0) {
        free(text);
        return -1;
    }
    if (rc != PYI_EVAL_OK || !*obj) {
        const char *note = rc == PYI_EVAL_OK ? NULL : absent_note(text);
        *why = strdup(note ? note : "<no object>");
        free(text);
        return 2;
    }
    free(text);
    return 0;
}

/* The object the place holds (0 with *note when none; *note "" when reading needs code and
 * *why says why). */
static int read_place(struct pyi_session *s, const struct pyi_loc *loc, pt_addr frame,
                      pt_addr *value, char **why)
{
    pt_addr type = 0, obj = loc->obj;
    *why = NULL;
    *value = 0;
    if (loc->rootdict && (loc->kind == PYI_LOC_ATTR || loc->kind == PYI_LOC_ITEM)) {
        int rc = path_object(s, loc, &obj, why);
        if (rc != 0) {
            return rc;
        }
    } else if (obj && (pyi_obj_type(s, obj, &type) != 0 || type != loc->type)) {
        pt_err_clear(); /* before the object exists, or after it is freed */
        *why = strdup("<no object>");
        return 2;
    }
    switch (loc->kind) {
    case PYI_LOC_LOCAL:
        return read_local(s, loc, frame, value);
    case PYI_LOC_GLOBAL:
        *value = 0;
        return pyi_dict_get_str(s, loc->obj, loc->name, value) != 0 ? -1 : 0;
    default:
        break;
    }
    char expr[600];
    struct pyi_bind b[2] = {{"__pytt_obj", obj}, {"__pytt_key", loc->key}};
    if (loc->kind == PYI_LOC_ATTR) {
        snprintf(expr, sizeof expr, "__pytt_obj.%s", loc->name);
    } else {
        snprintf(expr, sizeof expr, "__pytt_obj[%s]", loc->key ? "__pytt_key" : loc->keytext);
    }
    int rc = pyi_eval_bound(s, PYI_NO_FRAME, expr, b, 2, value, why);
    if (rc == PYI_EVAL_OK) {
        if (!*value) { /* a computed value (a str's character): its repr is the text */
            return 1;
        }
        free(*why);
        *why = NULL;
    } else {
        *value = 0;
    }
    return rc < 0 ? -1 : 0;
}

int pyi_loc_read(struct pyi_session *s, const struct pyi_loc *loc, pt_addr frame, char **text)
{
    pt_addr value;
    char *why;
    *text = NULL;
    int rc = read_place(s, loc, frame, &value, &why);
    if (rc < 0) {
        free(why);
        return -1;
    }
    if (rc == 1 || rc == 2) {
        *text = why;
        return rc == 1 ? 1 : 0;
    }
    if (!value) {
        const char *note = loc->kind == PYI_LOC_LOCAL    ? "<unbound>"
                           : loc->kind == PYI_LOC_GLOBAL ? "<not defined>"
                                                         : absent_note(why);
        if (note || asprintf(text, "<needs the interpreter: %s>", why ? why : "?") < 0) {
            *text = strdup(note ? note : "<needs the interpreter>");
        }
        free(why);
        return *text ? 0 : pt_fail("out of memory");
    }
    free(why);
    unsigned what = 0;
    if (pyi_repr_flags(s, value, PYI_REPR_STRUCTURAL, text, &what) != 0) {
        return -1;
    }
    return 1;
}
