/*
 * pyi_views: Python state as data for front ends that draw it themselves (the shell's
 * full-screen layout, Tab completion, later a DAP server): the selected frame's locals as
 * (name, object) pairs, the names in its scope, the source block of a frame's code. The text
 * commands (pyi_print.c, pyi_dis.c, pyi_source.c) are built on the same walks, so a window and
 * the command that prints the same thing never disagree.
 */
#include "pyintrospect/pyi_internal.h"

#include <stdlib.h>
#include <string.h>

int pyi_each_local(struct pyi_session *s, int (*fn)(void *ctx, const char *name, pt_addr value),
                   void *ctx)
{
    const struct pyi_rawframe *r = pyi_selected_raw(s, NULL);
    return r ? pyi_frame_locals(s, r, fn, ctx) : -1;
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
