/*
 * pyi_frames: Python threads and the frames of the selected thread, and gdb-style selection.
 *
 * Threads come from _PyRuntime.interpreters.head -> PyInterpreterState.threads.head ->
 * PyThreadState.next (every interpreter, newest thread first); the GIL holder is the version
 * layer's (gil_holder). Frames come from the version layer's top frame and its `previous` chain
 * (3.10: PyFrameObject, 3.11+: _PyInterpreterFrame), innermost first, skipping incomplete frames
 * as CPython's own walkers (PyFrame_GetBack, traceback) do. Every frame records which invocation
 * of the C eval loop runs it: from 3.11 one _PyEval_EvalFrameDefault call runs a Python frame
 * marked is_entry (3.12+: the one before a frame owned by the C stack) and all the frames it
 * calls without leaving the loop, so the group number increases after each entry frame; in 3.10
 * every frame is an entry frame. That lets `bt -native` expand each C frame into its Python
 * frames and lets up/down move between Python frames that share one C frame.
 */
#include "pyintrospect/pyi_internal.h"

#include <stdlib.h>
#include <string.h>

static int pyi_thread_read(struct pyi_session *s, pt_addr ts, pt_addr gil, struct pyi_thread *t)
{
    int64_t tid;
    memset(t, 0, sizeof *t);
    t->tstate = ts;
    if (pyi_rd(s, ts, PYI_F_TS_THREAD_ID, &tid) != 0 ||
        s->v->native_tid(s, ts, (unsigned long)tid, &t->native_tid) != 0 ||
        s->v->thread_top_frame(s, ts, &t->top_frame) != 0) {
        return pt_wrap("reading PyThreadState at 0x%llx", (unsigned long long)ts);
    }
    t->thread_id = (unsigned long)tid;
    t->holds_gil = ts == gil;
    return 0;
}

static int pyi_threads_push(struct pyi_session *s, const struct pyi_thread *t, size_t *cap)
{
    if (s->nthreads == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        struct pyi_thread *n = realloc(s->threads, ncap * sizeof *n);
        if (!n) {
            return pt_fail("out of memory");
        }
        s->threads = n;
        *cap = ncap;
    }
    s->threads[s->nthreads++] = *t;
    return 0;
}

/* The default selection: the thread selected before the last invalidate, else the GIL holder,
 * else the process's main thread, else the oldest. */
static void pyi_default_thread(struct pyi_session *s)
{
    size_t pick = s->nthreads - 1;
    bool found = false;
    for (size_t i = 0; i < s->nthreads && s->sel_tid; i++) {
        if (s->threads[i].native_tid == s->sel_tid) {
            pick = i;
            found = true;
        }
    }
    for (size_t i = 0; i < s->nthreads && !found; i++) {
        if (s->threads[i].holds_gil) {
            pick = i;
            found = true;
        }
    }
    for (size_t i = 0; i < s->nthreads && !found; i++) {
        if (s->threads[i].native_tid == s->pid) {
            pick = i;
            found = true;
        }
    }
    s->sel_thread = pick;
}

static int pyi_load_threads(struct pyi_session *s)
{
    pt_addr rt = s->sym[PYI_Y_RUNTIME], interp, gil = 0;
    size_t cap = 0;
    if (s->threads_valid) {
        return 0;
    }
    if (pyi_rd_ptr(s, rt, PYI_F_RT_INTERP_HEAD, &interp) != 0) {
        return pt_wrap("reading _PyRuntime");
    }
    for (int ni = 0; interp && ni < 64; ni++) {
        pt_addr ts;
        if (pyi_rd_ptr(s, interp, PYI_F_IS_THREADS_HEAD, &ts) != 0 ||
            s->v->gil_holder(s, interp, &gil) != 0) {
            return pt_wrap("reading the interpreter at 0x%llx", (unsigned long long)interp);
        }
        for (size_t n = 0; ts && n < PYI_MAX_THREADS; n++) {
            struct pyi_thread t;
            if (pyi_thread_read(s, ts, gil, &t) != 0 || pyi_threads_push(s, &t, &cap) != 0 ||
                pyi_rd_ptr(s, ts, PYI_F_TS_NEXT, &ts) != 0) {
                return -1;
            }
        }
        if (pyi_rd_ptr(s, interp, PYI_F_IS_NEXT, &interp) != 0) {
            return -1;
        }
    }
    if (s->nthreads == 0) {
        return pt_fail("the interpreter has no thread states (not initialized yet, or finalizing)");
    }
    s->threads_valid = true;
    pyi_default_thread(s);
    return 0;
}

int pyi_threads(struct pyi_session *s, const struct pyi_thread **out, size_t *n)
{
    if (pyi_load_threads(s) != 0) {
        return -1;
    }
    *out = s->threads;
    *n = s->nthreads;
    return 0;
}

static void pyi_drop_frames(struct pyi_session *s)
{
    free(s->frames);
    free(s->rawframes);
    s->frames = NULL;
    s->rawframes = NULL;
    s->nframes = 0;
    s->frames_valid = false;
    s->sel_frame = 0;
}

int pyi_select_thread(struct pyi_session *s, size_t index)
{
    if (pyi_load_threads(s) != 0) {
        return -1;
    }
    if (index >= s->nthreads) {
        return pt_fail("no thread %zu (there are %zu)", index, s->nthreads);
    }
    if (index != s->sel_thread) {
        s->sel_thread = index;
        pyi_drop_frames(s);
    }
    s->sel_tid = s->threads[index].native_tid;
    return 0;
}

int pyi_select_thread_tid(struct pyi_session *s, pid_t tid)
{
    if (pyi_load_threads(s) != 0) {
        return -1;
    }
    for (size_t i = 0; i < s->nthreads; i++) {
        if (s->threads[i].native_tid == tid) {
            return pyi_select_thread(s, i);
        }
    }
    return pt_fail("thread %d has no Python thread state", (int)tid);
}

int pyi_selected_thread(struct pyi_session *s, size_t *index)
{
    if (pyi_load_threads(s) != 0) {
        return -1;
    }
    *index = s->sel_thread;
    return 0;
}

/* ---- frames
 * -------------------------------------------------------------------------------------- */

static void pyi_frame_fill(struct pyi_session *s, const struct pyi_rawframe *r, int group,
                           struct pyi_frame *f)
{
    struct pyi_code *c;
    memset(f, 0, sizeof *f);
    f->iframe = r->addr;
    f->code = r->code;
    f->is_entry = r->is_entry;
    f->native_index = group;
    int lasti = r->lasti;
    if (r->addr == s->stop_frame && s->stop_frame) {
        lasti = s->stop_lasti; /* the stop presented by pyi_present */
    }
    f->lasti = lasti < 0 ? -1 : lasti * 2;
    if (pyi_code_get(s, r->code, &c) != 0) {
        f->filename = f->funcname = f->qualname = "<unreadable code object>";
        f->line = -1;
        return;
    }
    f->filename = c->filename;
    f->funcname = c->name;
    f->qualname = c->qualname;
    /* PyFrame_GetLineNumber: f_lineno while tracing, else _PyInterpreterFrame_GetLine */
    f->line = r->fo_lineno ? r->fo_lineno : pyi_code_addr2line_idx(c, lasti < 0 ? -1 : lasti);
}

static int pyi_frames_push(struct pyi_session *s, const struct pyi_rawframe *r, int group,
                           size_t *cap)
{
    if (s->nframes == *cap) {
        size_t ncap = *cap ? *cap * 2 : 32;
        struct pyi_frame *f = realloc(s->frames, ncap * sizeof *f);
        if (f) {
            s->frames = f;
        }
        struct pyi_rawframe *rf = realloc(s->rawframes, ncap * sizeof *rf);
        if (rf) {
            s->rawframes = rf;
        }
        if (!f || !rf) {
            return pt_fail("out of memory");
        }
        *cap = ncap;
    }
    s->rawframes[s->nframes] = *r;
    pyi_frame_fill(s, r, group, &s->frames[s->nframes]);
    s->nframes++;
    return 0;
}

int pyi_load_frames(struct pyi_session *s)
{
    if (s->frames_valid) {
        return 0;
    }
    if (pyi_load_threads(s) != 0) {
        return -1;
    }
    pyi_drop_frames(s);
    size_t cap = 0;
    int group = 0;
    pt_addr f = s->threads[s->sel_thread].top_frame;
    for (size_t n = 0; f && n < PYI_MAX_FRAMES; n++) {
        struct pyi_rawframe r;
        if (s->v->frame_read(s, f, &r) != 0) {
            /* keep what was read: a frame being torn down may be garbage */
            break;
        }
        if (r.cstack) {
            /* the C stack's frame of the eval loop call that ran the frames before it */
            if (s->nframes && s->frames[s->nframes - 1].native_index == group) {
                s->frames[s->nframes - 1].is_entry = true;
                s->rawframes[s->nframes - 1].is_entry = true;
                group++;
            }
            f = r.previous;
            continue;
        }
        if (r.complete && pyi_frames_push(s, &r, group, &cap) != 0) {
            return -1;
        }
        if (r.is_entry) {
            group++;
        }
        f = r.previous;
    }
    s->frames_valid = true;
    return 0;
}

int pyi_thread_top(struct pyi_session *s, size_t index, struct pyi_frame *out)
{
    if (pyi_load_threads(s) != 0) {
        return -1;
    }
    if (index >= s->nthreads) {
        return pt_fail("no thread %zu (there are %zu)", index, s->nthreads);
    }
    pt_addr f = s->threads[index].top_frame;
    for (size_t n = 0; f && n < PYI_MAX_FRAMES; n++) {
        struct pyi_rawframe r;
        if (s->v->frame_read(s, f, &r) != 0) {
            return -1;
        }
        if (r.complete) {
            pyi_frame_fill(s, &r, 0, out);
            return 1;
        }
        f = r.previous;
    }
    return 0;
}

int pyi_frames(struct pyi_session *s, const struct pyi_frame **out, size_t *n)
{
    if (pyi_load_frames(s) != 0) {
        return -1;
    }
    *out = s->frames;
    *n = s->nframes;
    return 0;
}

const struct pyi_rawframe *pyi_selected_raw(struct pyi_session *s, const struct pyi_frame **f)
{
    if (pyi_load_frames(s) != 0) {
        return NULL;
    }
    if (s->nframes == 0) {
        pt_fail("the selected thread has no Python frames");
        return NULL;
    }
    if (f) {
        *f = &s->frames[s->sel_frame];
    }
    return &s->rawframes[s->sel_frame];
}

int pyi_frame_select(struct pyi_session *s, size_t index)
{
    if (pyi_load_frames(s) != 0) {
        return -1;
    }
    if (index >= s->nframes) {
        return pt_fail("no frame %zu (the stack has %zu Python frames)", index, s->nframes);
    }
    s->sel_frame = index;
    return 0;
}

int pyi_frame_up(struct pyi_session *s, size_t n)
{
    if (pyi_load_frames(s) != 0) {
        return -1;
    }
    if (s->nframes == 0 || s->sel_frame + 1 >= s->nframes) {
        return pt_fail("Initial frame selected; you cannot go up.");
    }
    size_t to = s->sel_frame + n;
    s->sel_frame = to >= s->nframes ? s->nframes - 1 : to;
    return 0;
}

int pyi_frame_down(struct pyi_session *s, size_t n)
{
    if (pyi_load_frames(s) != 0) {
        return -1;
    }
    if (s->sel_frame == 0) {
        return pt_fail("Bottom (innermost) frame selected; you cannot go down.");
    }
    s->sel_frame = n > s->sel_frame ? 0 : s->sel_frame - n;
    return 0;
}

size_t pyi_frame_selected(struct pyi_session *s)
{
    return s->sel_frame;
}

void pyi_set_tid_map(struct pyi_session *s, pyi_tid_fn fn, void *ctx)
{
    s->tid_fn = fn;
    s->tid_ctx = ctx;
}
