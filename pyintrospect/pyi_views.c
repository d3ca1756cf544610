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
