/*
 * pyi_views: Python state as data for front ends that draw it themselves (the shell's
 * full-screen layout, Tab completion, later a DAP server): the selected frame's locals as
 * (name, object) pairs, the names in its scope, the source block of a frame's code. The text
 * commands (pyi_print.c, pyi_dis.c, pyi_source.c) are built on the same walks, so a window and
 * the command that prints the same thing never disagree.
 */
#include "pyintrospect/pyi_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pyi_each_local(struct pyi_session *s, int (*fn)(void *ctx, const char *name, pt_addr value),
                   void *ctx)
{
    const struct pyi_rawframe *r = pyi_selected_raw(s, NULL);
    return r ? pyi_frame_locals(s, r, fn, ctx) : -1;
}

/* ---- globals ------------------------------------------------------------------------ */

struct pyi_globals_ctx {
    struct pyi_session *s;
    int (*fn)(void *ctx, const char *name, pt_addr value);
    void *ctx;
};

static int pyi_global_cb(void *vctx, pt_addr key, pt_addr value)
{
    struct pyi_globals_ctx *c = vctx;
    char *name = NULL;
    if (pyi_str_utf8(c->s, key, &name) != 0) {
        pt_err_clear();
        return 0;
    }
    size_t n = strlen(name);
    int r = 0;
    if (!(n > 4 && strncmp(name, "__", 2) == 0 && strcmp(name + n - 2, "__") == 0)) {
        r = c->fn(c->ctx, name, value);
    }
    free(name);
    return r;
}

int pyi_each_global(struct pyi_session *s, int (*fn)(void *ctx, const char *name, pt_addr value),
                    void *ctx)
{
    const struct pyi_rawframe *r = pyi_selected_raw(s, NULL);
    struct pyi_globals_ctx c = {s, fn, ctx};
    if (!r) {
        return -1;
    }
    return r->globals && s->v->dict_iter(s, r->globals, pyi_global_cb, &c) < 0 ? -1 : 0;
}

/* ---- values with children ------------------------------------------------------------- */

struct pyi_count_ctx {
    size_t n;
};

static int pyi_count_cb(void *vctx, pt_addr key, pt_addr value)
{
    ((struct pyi_count_ctx *)vctx)->n++;
    return 0;
}

/* How a value expands: its items (list, tuple, set), its entries (dict) or its attributes (an
 * instance with a __dict__ or inline values). */
static int pyi_child_kind(const struct pyi_objinfo *oi)
{
    switch (oi->kind) {
    case PYI_K_LIST:
    case PYI_K_TUPLE:
        return PYI_CHILD_ITEMS;
    case PYI_K_SET:
    case PYI_K_FROZENSET:
        return PYI_CHILD_SET;
    case PYI_K_DICT:
        return PYI_CHILD_ENTRIES;
    case PYI_K_OBJECT:
    case PYI_K_EXCEPTION:
    case PYI_K_OTHER:
        return PYI_CHILD_ATTRS;
    default:
        return PYI_CHILD_NONE;
    }
}

int pyi_value_info(struct pyi_session *s, pt_addr obj, struct pyi_value_info *out)
{
    struct pyi_objinfo oi;
    char *tpname = NULL;
    memset(out, 0, sizeof *out);
    if (pyi_obj_classify(s, obj, &oi) != 0 || pyi_type_tpname(s, oi.type, &tpname) != 0) {
        return -1;
    }
    snprintf(out->type, sizeof out->type, "%s", tpname);
    free(tpname);
    out->kind = pyi_child_kind(&oi);
    int64_t n = 0;
    struct pyi_count_ctx c = {0};
    bool found = false;
    switch (out->kind) {
    case PYI_CHILD_ITEMS:
        if (pyi_rd(s, obj, PYI_F_OB_SIZE, &n) != 0) {
            return -1;
        }
        break;
    case PYI_CHILD_SET:
        if (pyi_rd(s, obj, PYI_F_SET_USED, &n) != 0) {
            return -1;
        }
        break;
    case PYI_CHILD_ENTRIES:
        if (pyi_rd(s, obj, PYI_F_DICT_USED, &n) != 0) {
            return -1;
        }
        break;
    case PYI_CHILD_ATTRS:
        if (s->v->instance_attrs(s, obj, oi.type, pyi_count_cb, &c, &found) != 0) {
            pt_err_clear();
            c.n = 0;
        }
        n = (int64_t)c.n;
        break;
    }
    if (n < 0 || n > PYI_MAX_ITEMS) {
        return pt_fail("implausible size %lld of the %s at 0x%llx", (long long)n, out->type,
                       (unsigned long long)obj);
    }
    out->nchildren = (size_t)n;
    if (out->nchildren == 0) {
        out->kind = PYI_CHILD_NONE;
    }
    return 0;
}

struct pyi_child_ctx {
    struct pyi_session *s;
    size_t i, start, end;
    int attrs; /* names are attribute names (str keys), else repr() of the keys */
    int (*fn)(void *ctx, const char *name, pt_addr key, pt_addr value);
    void *ctx;
};

static int pyi_child_cb(void *vctx, pt_addr key, pt_addr value)
{
    struct pyi_child_ctx *c = vctx;
    size_t i = c->i++;
    if (i < c->start) {
        return 0;
    }
    if (i >= c->end) {
        return 1;
    }
    char *name = NULL;
    int rc = c->attrs ? pyi_str_utf8(c->s, key, &name) : pyi_repr(c->s, key, &name);
    if (rc != 0) {
        pt_err_clear();
        free(name);
        name = strdup("<unreadable key>");
    }
    int r = name ? c->fn(c->ctx, name, key, value) : -1;
    free(name);
    return r;
}

static int pyi_each_item(struct pyi_session *s, const struct pyi_objinfo *oi, size_t start,
                         size_t end, int (*fn)(void *, const char *, pt_addr, pt_addr), void *ctx)
{
    pt_addr *items = NULL;
    size_t n = 0;
    bool cut = false;
    int rc = oi->kind == PYI_K_SET || oi->kind == PYI_K_FROZENSET
                 ? pyi_set_keys(s, oi->addr, end, &items, &n, &cut)
                 : pyi_seq_items(s, oi->addr, oi->kind, &items, &n, end, NULL);
    for (size_t i = start; rc == 0 && i < n && i < end; i++) {
        char name[32];
        snprintf(name, sizeof name, "%zu", i);
        if (fn(ctx, name, 0, items[i])) {
            break;
        }
    }
    free(items);
    return rc;
}

int pyi_each_child(struct pyi_session *s, pt_addr obj, size_t start, size_t count,
                   int (*fn)(void *ctx, const char *name, pt_addr key, pt_addr value), void *ctx)
{
    struct pyi_objinfo oi;
    bool found = false;
    if (pyi_obj_classify(s, obj, &oi) != 0) {
        return -1;
    }
    size_t end = count && start + count > start ? start + count : (size_t)PYI_MAX_ITEMS;
    struct pyi_child_ctx c = {s, 0, start, end, 0, fn, ctx};
    switch (pyi_child_kind(&oi)) {
    case PYI_CHILD_ITEMS:
    case PYI_CHILD_SET:
        return pyi_each_item(s, &oi, start, end, fn, ctx);
    case PYI_CHILD_ENTRIES:
        return s->v->dict_iter(s, obj, pyi_child_cb, &c) < 0 ? -1 : 0;
    case PYI_CHILD_ATTRS:
        c.attrs = 1;
        return s->v->instance_attrs(s, obj, oi.type, pyi_child_cb, &c, &found) < 0 ? -1 : 0;
    default:
        return 0;
    }
}

struct pyi_names_ctx {
    struct pyi_session *s;
    int (*fn)(void *ctx, const char *name);
    void *ctx;
};

static int pyi_local_name_cb(void *vctx, const char *name, pt_addr value)
{
    struct pyi_names_ctx *c = vctx;
    return c->fn(c->ctx, name);
}

static int pyi_dict_name_cb(void *vctx, pt_addr key, pt_addr value)
{
    struct pyi_names_ctx *c = vctx;
    char *name = NULL;
    if (pyi_str_utf8(c->s, key, &name) != 0) {
        pt_err_clear();
        return 0;
    }
    int r = c->fn(c->ctx, name);
    free(name);
    return r;
}

int pyi_scope_names(struct pyi_session *s, int (*fn)(void *ctx, const char *name), void *ctx)
{
    const struct pyi_rawframe *r = pyi_selected_raw(s, NULL);
    struct pyi_names_ctx c = {s, fn, ctx};
    struct pyi_objinfo oi;
    if (!r || pyi_frame_locals(s, r, pyi_local_name_cb, &c) != 0) {
        return -1;
    }
    if (r->globals && s->v->dict_iter(s, r->globals, pyi_dict_name_cb, &c) < 0) {
        return -1;
    }
    pt_addr b = r->builtins;
    if (b && pyi_obj_classify(s, b, &oi) == 0 && oi.kind == PYI_K_MODULE &&
        pyi_rd_ptr(s, b, PYI_F_MOD_DICT, &b) != 0) {
        return -1;
    }
    if (b && s->v->dict_iter(s, b, pyi_dict_name_cb, &c) < 0) {
        return -1;
    }
    pt_err_clear();
    return 0;
}

/* ---- threads: names and where each one is ---------------------------------------------- */

struct pyi_tname_ctx {
    struct pyi_session *s;
    unsigned long id;
    pt_addr thread;
};

static int pyi_tname_cb(void *vctx, pt_addr key, pt_addr value)
{
    struct pyi_tname_ctx *c = vctx;
    int64_t v;
    bool ovf;
    struct pyi_objinfo oi;
    if (pyi_obj_classify(c->s, key, &oi) == 0 && oi.kind == PYI_K_INT &&
        pyi_long_value(c->s, key, &v, &ovf) == 0 && (unsigned long)v == c->id) {
        c->thread = value;
        return 1;
    }
    return 0;
}

int pyi_thread_name(struct pyi_session *s, size_t index, char **name)
{
    const struct pyi_thread *threads;
    size_t n;
    *name = NULL;
    if (pyi_threads(s, &threads, &n) != 0) {
        return -1;
    }
    if (index >= n) {
        return pt_fail("no thread %zu (there are %zu)", index, n);
    }
    const struct pyi_thread *t = &threads[index];
    pt_addr interp, modules, threading = 0, dict, active = 0, type;
    if (pyi_rd_ptr(s, s->sym[PYI_Y_RUNTIME], PYI_F_RT_INTERP_HEAD, &interp) != 0 ||
        pyi_rd_ptr(s, interp, PYI_F_IS_MODULES, &modules) != 0 || !modules ||
        pyi_dict_get_str(s, modules, "threading", &threading) != 0 || !threading ||
        pyi_rd_ptr(s, threading, PYI_F_MOD_DICT, &dict) != 0 ||
        pyi_dict_get_str(s, dict, "_active", &active) != 0 || !active) {
        pt_err_clear();
        return 0; /* threading is not imported */
    }
    struct pyi_tname_ctx c = {s, t->thread_id, 0};
    if (s->v->dict_iter(s, active, pyi_tname_cb, &c) != 0 || !c.thread ||
        pyi_obj_type(s, c.thread, &type) != 0) {
        pt_err_clear();
        return 0; /* a thread threading does not know */
    }
    pt_addr v = 0;
    if (pyi_instance_attr(s, c.thread, type, "_name", &v) == 0 && v &&
        pyi_str_utf8(s, v, name) != 0) {
        *name = NULL;
    }
    pt_err_clear();
    return 0;
}
