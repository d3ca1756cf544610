/*
 * pyi_print: the text commands on frames: bt (plain, -full with locals, -native interleaved),
 * one frame's header, locals and globals of the selected frame, `info threads`, and the
 * all-threads dump of `pytt dump`.
 *
 * Locals follow _PyFrame_FastToLocalsWithError (what frame.f_locals shows): fast locals in
 * co_localsplusnames order (arguments and locals, then cells, then free variables), a cell's or
 * free variable's contents rather than the cell, unbound names skipped; an unoptimized frame
 * (module or class body) shows its f_locals dict instead.
 */
#include "pyintrospect/pyi_internal.h"

#include <stdlib.h>
#include <string.h>

/* The value a fast-locals slot stands for, per _PyFrame_FastToLocalsWithError. 0: unbound. */
static pt_addr pyi_local_value(struct pyi_session *s, const struct pyi_code *c,
                               const struct pyi_rawframe *r, int i)
{
    pt_addr v;
    if (pyi_read_ptr(s, r->localsplus + (pt_addr)i * 8, &v) != 0 || !v) {
        return 0;
    }
    unsigned kind = c->localspluskinds[i];
    if (kind & (s->v->fast_free | s->v->fast_cell)) {
        struct pyi_objinfo oi;
        pt_addr ref;
        if (pyi_obj_classify(s, v, &oi) == 0 && oi.kind == PYI_K_CELL &&
            pyi_rd_ptr(s, v, PYI_F_CELL_REF, &ref) == 0) {
            return ref;
        }
    }
    return v;
}

struct pyi_local_cb {
    int (*fn)(void *ctx, const char *name, pt_addr value);
    void *ctx;
    struct pyi_session *s;
};

static int pyi_locals_dict_cb(void *vctx, pt_addr key, pt_addr value)
{
    struct pyi_local_cb *c = vctx;
    char *name = NULL;
    if (pyi_str_utf8(c->s, key, &name) != 0) {
        return 0;
    }
    int r = c->fn(c->ctx, name, value);
    free(name);
    return r;
}

/* Call fn(name, value) for each local of the frame, in f_locals order. */
int pyi_find_local_cb(void *ctx, const char *name, pt_addr value)
{
    struct pyi_find_local *f = ctx;
    if (strcmp(name, f->name) == 0) {
        f->value = value;
        return 1;
    }
    return 0;
}

int pyi_frame_locals(struct pyi_session *s, const struct pyi_rawframe *r,
                     int (*fn)(void *ctx, const char *name, pt_addr value), void *ctx)
{
    struct pyi_code *c;
    if (pyi_code_get(s, r->code, &c) != 0) {
        return -1;
    }
    if (!(c->flags & PYI_CO_OPTIMIZED)) {
        struct pyi_local_cb cb = {fn, ctx, s};
        return r->locals ? s->v->dict_iter(s, r->locals, pyi_locals_dict_cb, &cb) : 0;
    }
    pt_addr slots[256];
    int n = c->nlocalsplus;
    bool bulk =
        n > 0 && n <= 256 && pyi_read(s, r->localsplus, slots, (size_t)n * sizeof slots[0]) == 0;
    pt_err_clear();
    for (int i = 0; i < n; i++) {
        pt_addr v = bulk && !slots[i] ? 0 : pyi_local_value(s, c, r, i);
        if (bulk && slots[i] && !(c->localspluskinds[i] & (s->v->fast_free | s->v->fast_cell))) {
            v = slots[i]; /* a plain local: its slot is the value */
        }
        if (v && c->localsplusnames[i] && fn(ctx, c->localsplusnames[i], v)) {
            break;
        }
    }
    return 0;
}

struct pyi_print_local {
    struct pyi_session *s;
    FILE *out;
    const char *indent;
};

static int pyi_print_local_cb(void *vctx, const char *name, pt_addr value)
{
    struct pyi_print_local *p = vctx;
    char *text = NULL;
    const char *note;
    if (pyi_render_value(p->s, value, &text, &note) != 0) {
        return 1;
    }
    fprintf(p->out, "%s%s = %s%s\n", p->indent, name, text, note);
    free(text);
    return 0;
}

static int pyi_print_locals_of(struct pyi_session *s, FILE *out, const struct pyi_rawframe *r,
                               const char *indent)
{
    struct pyi_print_local p = {s, out, indent};
    return pyi_frame_locals(s, r, pyi_print_local_cb, &p);
}

int pyi_print_locals(struct pyi_session *s, FILE *out)
{
    const struct pyi_rawframe *r = pyi_selected_raw(s, NULL);
    return r ? pyi_print_locals_of(s, out, r, "") : -1;
}

#define PYI_CO_VARARGS 0x4
#define PYI_CO_VARKEYWORDS 0x8

/* pdb's do_args */
int pyi_print_args(struct pyi_session *s, FILE *out)
{
    struct pyi_code *c;
    const struct pyi_rawframe *r = pyi_selected_raw(s, NULL);
    if (!r || pyi_code_get(s, r->code, &c) != 0) {
        return -1;
    }
    int n = c->argcount + c->kwonlyargcount + !!(c->flags & PYI_CO_VARARGS) +
            !!(c->flags & PYI_CO_VARKEYWORDS);
    struct pyi_print_local p = {s, out, ""};
    for (int i = 0; i < n && i < c->nlocalsplus; i++) {
        pt_addr v = pyi_local_value(s, c, r, i);
        const char *name = c->localsplusnames[i] ? c->localsplusnames[i] : "?";
        if (!v) {
            fprintf(out, "%s = *** undefined ***\n", name);
        } else if (pyi_print_local_cb(&p, name, v)) {
            return -1;
        }
    }
    return 0;
}

int pyi_print_globals(struct pyi_session *s, FILE *out)
{
    struct pyi_print_local p = {s, out, ""};
    return pyi_each_global(s, pyi_print_local_cb, &p);
}

/* ---- bt
 * ------------------------------------------------------------------------------------------ */

static void pyi_print_source(struct pyi_session *s, FILE *out, const struct pyi_frame *f)
{
    size_t len;
    const char *t = pyi_source_line(s, f->filename, f->line, &len);
    if (!t) {
        return;
    }
    while (len && (*t == ' ' || *t == '\t' || *t == '\f')) {
        t++;
        len--;
    }
    while (len && (t[len - 1] == ' ' || t[len - 1] == '\t')) {
        len--;
    }
    if (len) {
        fprintf(out, "    %.*s\n", (int)len, t);
    }
}

static void pyi_print_frame_at(struct pyi_session *s, FILE *out, size_t i, unsigned flags)
{
    const struct pyi_frame *f = &s->frames[i];
    fprintf(out, "#%zu %s:%d in %s\n", i, f->filename, f->line, f->funcname);
    if (!(flags & PYI_BT_NOSOURCE)) {
        pyi_print_source(s, out, f);
    }
    if (flags & PYI_BT_LOCALS) {
        pyi_print_locals_of(s, out, &s->rawframes[i], "        ");
    }
}

int pyi_print_frame(struct pyi_session *s, FILE *out, size_t index)
{
    if (pyi_load_frames(s) != 0) {
        return -1;
    }
    if (index >= s->nframes) {
        return pt_fail("no frame %zu", index);
    }
    pyi_print_frame_at(s, out, index, PYI_BT_NOSOURCE);
    return 0;
}

int pyi_print_native_bt(struct pyi_session *s, FILE *out, unsigned flags,
                        void (*python_group)(struct pyi_session *, FILE *, int, unsigned));

/* Print the Python frames run by eval-loop invocation `group` (0 = innermost). */
static void pyi_print_group(struct pyi_session *s, FILE *out, int group, unsigned flags)
{
    for (size_t i = 0; i < s->nframes; i++) {
        if (s->frames[i].native_index == group) {
            pyi_print_frame_at(s, out, i, flags);
        }
    }
}

int pyi_print_bt(struct pyi_session *s, FILE *out, unsigned flags)
{
    if (pyi_load_frames(s) != 0) {
        return -1;
    }
    if (flags & PYI_BT_NATIVE) {
        return pyi_print_native_bt(s, out, flags, pyi_print_group);
    }
    for (size_t i = 0; i < s->nframes; i++) {
        pyi_print_frame_at(s, out, i, flags);
    }
    return 0;
}

/* ---- threads
 * --------------------------------------------------------------------------------------- */

static void pyi_print_thread_line(struct pyi_session *s, FILE *out, size_t i)
{
    const struct pyi_thread *t = &s->threads[i];
    char *name = NULL;
    if (pyi_thread_name(s, i, &name) < 0) {
        pt_err_clear();
    }
    fprintf(out, "Thread %d (ident 0x%lx%s)%s%s%s\n", (int)t->native_tid, t->thread_id,
            t->holds_gil ? ", holds the GIL" : "", name ? ": \"" : "", name ? name : "",
            name ? "\"" : "");
    free(name);
}

int pyi_print_threads(struct pyi_session *s, FILE *out)
{
    const struct pyi_thread *t;
    size_t n;
    if (pyi_threads(s, &t, &n) != 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%c %zu ", i == s->sel_thread ? '*' : ' ', i);
        pyi_print_thread_line(s, out, i);
    }
    return 0;
}

int pyi_print_dump(struct pyi_session *s, FILE *out, unsigned flags)
{
    const struct pyi_thread *t;
    size_t n, keep;
    if (pyi_threads(s, &t, &n) != 0 || pyi_selected_thread(s, &keep) != 0) {
        return -1;
    }
    fprintf(out, "Process %d: %s (CPython %s)\n", (int)s->pid, s->pymod_path, s->version);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        fputc('\n', out);
        pyi_print_thread_line(s, out, i);
        if (pyi_select_thread(s, i) != 0 || pyi_print_bt(s, out, flags) != 0) {
            fprintf(out, "<unreadable stack: %s>\n", pt_errmsg());
            rc = -1;
        }
    }
    pyi_select_thread(s, keep);
    return rc;
}
