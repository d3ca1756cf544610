/*
 * rep_nav: moving through a replay by Python line, on top of the Python clock.
 *
 * Every motion runs the tracee until a clock trap at which a condition holds, reading Python's
 * state at each trap through pyintrospect:
 *   step    the next dispatch where sys.settrace would report a 'line' event, in any frame:
 *           one trap per dispatch (a line is a handful of instructions);
 *   next    the next 'line' event in the current frame or one of its callers: the watch
 *           trampolines trap only on dispatches in those frames, so calls run at full speed;
 *   finish  the first dispatch in a caller of the current frame (the caller resumes after the
 *           call), likewise watched by frame;
 *   start   the first line of the main script: the watch trampolines trap on RESUME (a frame
 *           starting), until the main module's frame starts, then step.
 * At a stop pyintrospect presents the instruction about to run (pyi_present: where invisible to
 * the program, the store the handler itself makes first), so every view of the frame (line,
 * dis, locals) shows the stop's instruction. Everything particular to a CPython version comes
 * from pyintrospect: the dispatch registers, what a frame start looks like, the frame chain.
 * For a version whose frame forgets its previous instruction before the dispatch (3.10), the
 * last dispatch is kept in the clock's page (PT_CLOCK_LAST): by the watch trampolines while
 * watching, and here for the dispatch a run resumes from; a longer unwatched run leaves it
 * unknown.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_pack.h"
#include "common/pt_ptrace.h"
#include "common/pt_pyver.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

uint64_t rep_reg_value(const struct user_regs_struct *r, int hw)
{
    switch (hw) {
    case 0:
        return r->rax;
    case 1:
        return r->rcx;
    case 2:
        return r->rdx;
    case 3:
        return r->rbx;
    case 4:
        return r->rsp;
    case 5:
        return r->rbp;
    case 6:
        return r->rsi;
    case 7:
        return r->rdi;
    case 8:
        return r->r8;
    case 9:
        return r->r9;
    case 10:
        return r->r10;
    case 11:
        return r->r11;
    case 12:
        return r->r12;
    case 13:
        return r->r13;
    case 14:
        return r->r14;
    default:
        return r->r15;
    }
}

/* A task of the replay by the id the recording gave it (pyi_set_tid_map). */
static pid_t recorded_tid(void *ctx, pid_t tid)
{
    struct rep_thread *t = rep_thread_by_tid(ctx, tid);
    return t ? t->rec_tid : tid;
}

struct pyi_session *rep_pyi(struct rep_session *s)
{
    if (s->state != REP_READY) {
        pt_fail("the replay is at the end of the recording");
        return NULL;
    }
    if (s->pyi && s->pyi_pid != s->pid && pyi_set_target(s->pyi, s->pid, &s->mem) < 0) {
        pyi_close(s->pyi);
        s->pyi = NULL;
    }
    if (!s->pyi) {
        char *debug = pt_pack_debug_root(s->opt.trace_dir); /* a packed trace's DWARF first */
        int rc = pyi_open_with_debug(&s->pyi, s->pid, &s->mem, debug);
        free(debug);
        if (rc < 0) {
            s->pyi = NULL;
            return NULL;
        }
        rep_sources_attach(s, s->pyi);
        pyi_set_tid_map(s->pyi, recorded_tid, s);
    }
    s->pyi_pid = s->pid;
    return s->pyi;
}

/* A 3.10 recording made before the clock routed the main loop's switch: its clock misses a
 * frame's first instruction, so stepping cannot be exact. */
static int check_switch(struct rep_session *s, struct pyi_session *p)
{
    const struct pt_pyver *v = pt_pyver_lookup(pyi_version(p));
    if (v && v->main_loop_switch && !s->clock.switch_routed) {
        return pt_fail("this CPython %s recording's clock does not see the eval loop's main "
                       "dispatch (recorded by an older pytt, or its switch was not found): "
                       "re-record it to debug it; `pytt replay DIR -a` still replays it",
                       v->name);
    }
    return 0;
}

int rep_pyi_follow(struct rep_session *s)
{
    struct pyi_session *p = rep_pyi(s);
    struct rep_thread *c = rep_thread_cur(s);
    if (!p) {
        return -1;
    }
    if (c && s->nthreads > 1 && pyi_select_thread_tid(p, c->rec_tid) < 0) {
        pt_err_clear(); /* a thread with no Python state yet: keep the selection */
    }
    return 0;
}

/* Which registers carry next_instr and the frame at dispatch (once per session). */
int rep_nav_ready(struct rep_session *s)
{
    if (s->nav_ready) {
        return 0;
    }
    uint64_t handlers[256];
    if (!s->clock.table) {
        return pt_fail("the Python clock is not running yet at this point of the replay");
    }
    struct pyi_session *p = rep_pyi(s);
    if (!p) {
        return pt_wrap("cannot read Python's state");
    }
    if (check_switch(s, p) < 0 || pt_mem_read(&s->mem, PT_CLOCK_ORIG, handlers, sizeof handlers) ||
        pyi_dispatch_regs(p, handlers, &s->instr_reg, &s->frame_reg) < 0) {
        return -1;
    }
    s->keep_last = pyi_needs_last_dispatch(p);
    s->keep_traced_off = pyi_frame_traced_offset(p);
    if (pyi_stack_reg(p, handlers, &s->stack_reg) < 0) {
        s->stack_reg = -1; /* return values unknown (rep_retval.c); navigation is unaffected */
        pt_err_clear();
    }
    /* what `catch raise` plants on, found now: it can be set at the end of the recording too,
     * where there is no process to look in */
    if (!s->nbp_addr && pyi_symbol_addr(p, "PyTraceBack_Here", &s->nbp_addr) < 0) {
        s->nbp_addr = 0;
        pt_err_clear();
    }
    s->nav_ready = 1;
    return 0;
}

int rep_here(struct rep_session *s, struct pyi_pos *pos)
{
    pt_addr next_instr;
    return rep_here_instr(s, pos, &next_instr);
}

/* The opcode of the dispatch the replay is stopped at: its trampoline's, or for a presented
 * stop (moved to the handler) the first opcode with that handler. -1 if not at a dispatch. */
static int stopped_opcode(struct rep_session *s, const struct user_regs_struct *r)
{
    int opcode;
    uint64_t orig[256];
    if (pt_clock_is_trap(&s->clock, r->rip, &opcode)) {
        return opcode;
    }
    if (!s->presented || r->rip != s->presented ||
        pt_mem_read(&s->mem, PT_CLOCK_ORIG, orig, sizeof orig) < 0) {
        return -1;
    }
    for (int i = 0; i < 256; i++) {
        if (orig[i] == s->presented) {
            return i;
        }
    }
    return -1;
}

/* The dispatch the replay is stopped at, for pyintrospect. */
static int here_dispatch(struct rep_session *s, struct pyi_dispatch *d)
{
    struct user_regs_struct r;
    uint64_t last[4] = {0, 0, 0, 0};
    memset(d, 0, sizeof *d);
    if (pt_getregs(s->tid, &r) < 0) {
        return -1;
    }
    d->opcode = stopped_opcode(s, &r);
    if (d->opcode < 0) {
        return pt_fail("the replay is not stopped at a bytecode instruction");
    }
    d->frame = rep_reg_value(&r, s->frame_reg);
    d->next_instr = rep_reg_value(&r, s->instr_reg);
    if (s->keep_last && pt_mem_read(&s->mem, PT_CLOCK_LAST, last, sizeof last) < 0) {
        return -1;
    }
    d->last_frame = last[0];
    d->last_instr = last[1];
    d->traced_frame = last[2];
    d->traced_instr = last[3];
    return 0;
}

int rep_here_instr(struct rep_session *s, struct pyi_pos *pos, pt_addr *next_instr)
{
    struct pyi_dispatch d;
    struct pyi_session *p = rep_pyi(s);
    if (!p || rep_nav_ready(s) < 0 || here_dispatch(s, &d) < 0) {
        return -1;
    }
    if (!s->presented) {
        pyi_refresh(p); /* hot: scans trap dispatch after dispatch; rep_present invalidates */
    }
    *next_instr = d.next_instr;
    return pyi_position(p, &d, pos);
}

int rep_here_selected(struct rep_session *s, struct pyi_pos *pos)
{
    const struct pyi_frame *f;
    size_t n;
    pt_addr instr;
    if (rep_in_selected_thread(s)) {
        return rep_here(s, pos);
    }
    /* another thread is selected: it waits (for the GIL, a lock, a syscall) where its
     * innermost frame's current instruction is */
    struct pyi_session *p = rep_pyi(s);
    if (!p || pyi_select_thread_tid(p, s->sel_tid) < 0 || pyi_frames(p, &f, &n) < 0) {
        return -1;
    }
    if (n == 0) {
        return pt_fail("the selected thread (tid %d) runs no Python code at this moment",
                       (int)s->sel_tid);
    }
    if (pyi_frame_instr(p, f[0].iframe, &instr) < 0) {
        return -1;
    }
    struct pyi_dispatch d = {.frame = f[0].iframe, .next_instr = instr, .opcode = -1};
    return pyi_position(p, &d, pos);
}

/* Is the dispatch's frame traced (the watch trampolines' rule, pt_watch.keep_traced_off)? */
static int frame_traced(struct rep_session *s, pt_addr frame)
{
    uint64_t v = 0;
    return s->keep_traced_off >= 0 &&
           pt_mem_read(&s->mem, frame + (pt_addr)s->keep_traced_off, &v, sizeof v) == 0 && v;
}

/* Before resuming (rep_clock_prepare), for a version whose frame forgets its previous
 * instruction: the slots the watch trampolines keep must hold the dispatch the run starts from
 * when the next trap can be the very next dispatch (a one-dispatch run) or when watching (the
 * trampolines keep them up to date from there), as the trampolines keep them (the last one,
 * and the last one of a traced frame); after any other run they are unknown. */
int rep_last_dispatch_sync(struct rep_session *s, bool one_dispatch)
{
    uint64_t slot[4] = {0, 0, 0, 0};
    struct pyi_dispatch d;
    if (!s->keep_last || pt_mem_read(&s->mem, PT_CLOCK_LAST, slot, sizeof slot) < 0) {
        return s->keep_last ? -1 : 0;
    }
    if ((s->watch_on || one_dispatch) && here_dispatch(s, &d) == 0) {
        slot[0] = d.frame;
        slot[1] = d.next_instr;
        if (frame_traced(s, d.frame)) {
            slot[2] = d.frame;
            slot[3] = d.next_instr;
        }
    } else {
        memset(slot, 0, sizeof slot);
    }
    pt_err_clear();
    return pt_mem_write(&s->mem, PT_CLOCK_LAST, slot, sizeof slot);
}

/* Make the stop visible (pyi_present), and the pc the handler the trampoline is about to jump
 * to (its next instruction is that jump), so native views (x/i, bt -native) show the
 * interpreter, not pytt's page. */
int rep_present(struct rep_session *s, const struct pyi_pos *pos)
{
    struct user_regs_struct r;
    struct pyi_dispatch d;
    int opcode;
    uint64_t handler;
    if (here_dispatch(s, &d) < 0 || pyi_present(s->pyi, &d, pos) < 0 ||
        pt_getregs(s->tid, &r) < 0) {
        return -1;
    }
    if (pt_clock_is_trap(&s->clock, r.rip, &opcode)) {
        if (pt_clock_handler_after_trap(&s->mem, opcode, &handler) < 0) {
            return -1;
        }
        r.rip = handler;
        if (pt_setregs(s->tid, &r) < 0) {
            return -1;
        }
        s->presented = handler;
    }
    struct rep_thread *c = rep_thread_cur(s);
    if (c) {
        s->sel_tid = c->rec_tid; /* a stop selects its thread, as in gdb */
    }
    return rep_pyi_follow(s);
}

/* One more dispatch; returns 1 at a trap, 0 if the replay ended. */
static int dispatch_once(struct rep_session *s)
{
    if (rep_run_dispatches(s, 1) < 0) {
        return -1;
    }
    return s->state == REP_READY;
}

/* Run with the watch until a trap; returns 1 at a trap, 0 at the end. */
int rep_run_watched(struct rep_session *s, const struct pt_watch *w)
{
    s->watch = *w;
    s->watch_on = 1;
    int rc = rep_run_until_trap(s);
    s->watch_on = 0; /* the plain table comes back at the next resume that does not watch */
    return rc < 0 ? -1 : s->state == REP_READY;
}

void rep_watch_init(struct rep_session *s, struct pt_watch *w)
{
    memset(w, 0, sizeof *w);
    w->frame_reg = s->frame_reg;
    w->instr_reg = s->instr_reg;
    w->frame_zero_off = -1;
    w->keep_last = s->keep_last;
    w->keep_traced_off = s->keep_traced_off;
}

int rep_watch_frames(struct rep_session *s, pt_addr frame, struct pt_watch *w, int skip_self)
{
    pt_addr frames[PT_WATCH_MAX + 1];
    size_t n;
    rep_watch_init(s, w);
    if (pyi_frame_callers(s->pyi, frame, frames, PT_WATCH_MAX + 1, &n) < 0) {
        return -1;
    }
    for (size_t i = skip_self ? 1 : 0; i < n && w->nframes < PT_WATCH_MAX; i++) {
        w->frames[w->nframes++] = frames[i];
    }
    return 0;
}

int rep_watch_frame_starts(struct rep_session *s, struct pt_watch *w)
{
    return pyi_frame_start_watch(s->pyi, w->trap_op, &w->frame_zero_off);
}

/* A trap at a breakpoint hit: count it and stop there. */
static int at_breakpoint(struct rep_session *s, const struct pyi_pos *pos, pt_addr next_instr)
{
    struct rep_bp *bp = rep_bp_check(s, next_instr, pos);
    if (!bp) {
        return 0;
    }
    bp->hits++;
    s->stopped_bp = bp->id;
    if (bp->temporary) {
        rep_break_delete(s, bp->id);
    }
    return 1;
}

/* Whether a watched motion stops at this trap: 1 stop, 0 go on, -1 error; it may change the
 * watch (next follows the frame into its caller). */
typedef int (*watch_stop)(struct rep_session *s, struct pt_watch *w, const struct pyi_pos *pos,
                          pt_addr next_instr, void *ctx);

/* Run with the watch w until stop says so at a trap (1, that stop presented) or the end (0). */
static int run_watched_until(struct rep_session *s, struct pt_watch *w, watch_stop stop, void *ctx,
                             struct pyi_pos *pos)
{
    for (;;) {
        pt_addr next_instr;
        int r = rep_run_watched(s, w);
        if (r <= 0) {
            return r;
        }
        if (rep_here_instr(s, pos, &next_instr) < 0) {
            return -1;
        }
        int st = stop(s, w, pos, next_instr, ctx);
        if (st != 0) {
            return st < 0 || rep_present(s, pos) < 0 ? -1 : 1;
        }
    }
}

int rep_stopped_at_breakpoint(const struct rep_session *s)
{
    return s->stopped_bp;
}

int rep_step(struct rep_session *s, struct pyi_pos *pos)
{
    if (rep_nav_ready(s) < 0) {
        return -1;
    }
    for (;;) {
        int r = dispatch_once(s);
        if (r <= 0) {
            return r;
        }
        if (!rep_in_selected_thread(s)) {
            continue; /* another thread's instruction: step follows the selected one */
        }
        if (rep_here(s, pos) < 0) {
            return -1;
        }
        if (pos->line_event) {
            return rep_present(s, pos) < 0 ? -1 : 1;
        }
    }
}

/* next: a line event in the watched frames; returning into a caller follows it there. */
static int next_stop(struct rep_session *s, struct pt_watch *w, const struct pyi_pos *pos,
                     pt_addr next_instr, void *ctx)
{
    struct pyi_pos *here = ctx;
    int watched = rep_watch_has_frame(w, w->nframes, pos->frame);
    if (at_breakpoint(s, pos, next_instr) || (watched && pos->line_event)) {
        return 1;
    }
    if (watched && pos->frame != here->frame) {
        /* returned into a caller: from now on that frame and its callers */
        if (rep_watch_frames(s, pos->frame, w, 0) < 0 || rep_watch_breakpoints(s, w) < 0) {
            return -1;
        }
        *here = *pos;
    }
    return 0;
}

int rep_next(struct rep_session *s, struct pyi_pos *pos)
{
    struct pyi_pos here;
    struct pt_watch w;
    s->stopped_bp = 0;
    if (rep_nav_ready(s) < 0 || rep_here_selected(s, &here) < 0) {
        return -1;
    }
    if (rep_watch_frames(s, here.frame, &w, 0) < 0 || rep_watch_breakpoints(s, &w) < 0) {
        return -1;
    }
    return run_watched_until(s, &w, next_stop, &here, pos);
}

struct finish_ctx {
    int ncallers, inlined;
    struct pyi_pos here;
};

/* finish: a dispatch in one of the first ncallers watched frames (the callers: the value the
 * function returned is noted there), or a hit. */
static int finish_stop(struct rep_session *s, struct pt_watch *w, const struct pyi_pos *pos,
                       pt_addr next_instr, void *ctx)
{
    struct finish_ctx *f = ctx;
    if (!rep_watch_has_frame(w, f->ncallers, pos->frame) && !at_breakpoint(s, pos, next_instr)) {
        return 0;
    }
    if (!s->stopped_bp) {
        rep_retval_note(s, &f->here, f->inlined, pos, next_instr);
    }
    return 1;
}

int rep_finish(struct rep_session *s, struct pyi_pos *pos)
{
    struct pyi_pos here;
    struct pt_watch w;
    s->stopped_bp = 0;
    if (rep_nav_ready(s) < 0 || rep_here_selected(s, &here) < 0) {
        return -1;
    }
    int inlined = rep_retval_inlined(s, here.frame);
    if (rep_watch_frames(s, here.frame, &w, 1) < 0) {
        return -1;
    }
    if (w.nframes == 0) {
        return pt_fail("\"finish\" not meaningful in the outermost frame");
    }
    struct finish_ctx f = {w.nframes, inlined, here};
    if (rep_watch_breakpoints(s, &w) < 0) {
        return -1;
    }
    return run_watched_until(s, &w, finish_stop, &f, pos);
}

/* Is this the main script's module code starting? Run from C (`python app.py`, `-c`) it has
 * no calling frame; with `python -m mod` runpy's _run_code runs it. Frozen importlib modules
 * and imports are not it. */
static int is_main_module(struct rep_session *s, const struct pyi_pos *pos)
{
    char name[64], file[1024];
    if (strcmp(pos->name, "<module>") != 0 || strncmp(pos->filename, "<frozen ", 8) == 0) {
        return 0;
    }
    if (pos->previous == 0) {
        return 1;
    }
    if (pyi_frame_code_name(s->pyi, pos->previous, name, sizeof name, file, sizeof file) < 0) {
        pt_err_clear();
        return 0;
    }
    size_t n = strlen(file);
    return strcmp(name, "_run_code") == 0 && (strcmp(file, "<frozen runpy>") == 0 ||
                                              (n >= 8 && strcmp(file + n - 8, "runpy.py") == 0));
}

/* At a dispatch: could the frame be a module's code starting? (co_name only) */
static int maybe_main_module(struct rep_session *s)
{
    struct user_regs_struct r;
    bool eq;
    if (pt_getregs(s->tid, &r) < 0 ||
        pyi_frame_name_is(s->pyi, rep_reg_value(&r, s->frame_reg), "<module>", &eq) < 0) {
        pt_err_clear();
        return 1; /* let the full check decide */
    }
    return eq;
}

int rep_nav_start(struct rep_session *s, struct pyi_pos *pos)
{
    struct pt_watch w;
    while (!s->clock.table && s->state == REP_READY) {
        /* a clock in a shared libpython is installed once ld.so has relocated it */
        if (rep_run(s, pt_tracer_pos(&s->tr) + 1) < 0) {
            return -1;
        }
    }
    if (!s->clock.table) {
        return s->state == REP_READY ? pt_fail("the recording has no Python clock") : 0;
    }
    /* Run to the first dispatch (Python is initialised by then), learn the registers. */
    int r = dispatch_once(s);
    if (r <= 0) {
        return r;
    }
    if (rep_nav_ready(s) < 0) {
        return -1; /* e.g. a CPython version pyintrospect does not read */
    }
    rep_watch_init(s, &w);
    if (rep_watch_frame_starts(s, &w) < 0) {
        return -1;
    }
    for (;;) {
        if (!maybe_main_module(s)) { /* cheap: most frames starting are not <module> */
            r = rep_run_watched(s, &w);
            if (r <= 0) {
                return r;
            }
            continue;
        }
        if (rep_here(s, pos) < 0) {
            return -1;
        }
        if (is_main_module(s, pos)) {
            return pos->line_event ? (rep_present(s, pos) < 0 ? -1 : 1) : rep_step(s, pos);
        }
        r = rep_run_watched(s, &w);
        if (r <= 0) {
            return r;
        }
    }
}

/* ---- until LINE ------------------------------------------------------------------------------ */

/* The instructions of code where a 'line' event for a line >= line can fire; *n = how many
 * there are (more than max: only the first max are stored); *last = the code's last line. */
static int lines_from(struct rep_session *s, pt_addr code, int line, uint64_t *addrs, int max,
                      int *n, int *last)
{
    size_t it = 0;
    struct pyi_instr in;
    struct pyi_code_info ci;
    int rc;
    if (pyi_code_info(s->pyi, code, &ci) < 0) {
        return -1;
    }
    pt_addr code0 = 0;
    *n = 0;
    *last = -1;
    while ((rc = pyi_code_next_instr(s->pyi, code, &it, &in)) == 1) {
        if (in.line > *last) {
            *last = in.line;
        }
        if (in.line >= line && in.traced && (in.seq_event || in.jump_target)) {
            if (*n < max && pyi_code_instr_addr(s->pyi, code, in.offset, &code0) == 0) {
                addrs[*n] = code0;
            }
            (*n)++;
        }
    }
    return rc;
}

struct until_ctx {
    pt_addr frame;
    int line, *reached;
};

/* until LINE: a line event of a line >= line in the frame (reached), the frame returned (a
 * dispatch in a watched caller), or a breakpoint hit. */
static int until_stop(struct rep_session *s, struct pt_watch *w, const struct pyi_pos *pos,
                      pt_addr next_instr, void *ctx)
{
    struct until_ctx *u = ctx;
    *u->reached = pos->frame == u->frame && pos->line_event && pos->line >= u->line;
    int returned = pos->frame != u->frame && rep_watch_has_frame(w, w->nframes, pos->frame);
    return *u->reached || returned || at_breakpoint(s, pos, next_instr);
}

/* Where the selected frame is (pyi_frame_selected: `up` moves it): its frame, code and line. */
static int selected_frame(struct rep_session *s, struct pyi_pos *here)
{
    const struct pyi_frame *f;
    size_t n, sel = pyi_frame_selected(s->pyi);
    struct pyi_pos caller;
    if (sel > 0) { /* read before rep_here, which forgets the frames and the selection */
        if (pyi_frames(s->pyi, &f, &n) < 0 || sel >= n) {
            return -1;
        }
        caller.frame = f[sel].iframe;
        caller.code = f[sel].code;
        caller.line = f[sel].line;
        snprintf(caller.name, sizeof caller.name, "%s", f[sel].funcname);
        snprintf(caller.filename, sizeof caller.filename, "%s", f[sel].filename);
    }
    if (rep_here_selected(s, here) < 0) {
        return -1;
    }
    if (sel > 0) {
        here->frame = caller.frame;
        here->code = caller.code;
        here->line = caller.line;
        memcpy(here->name, caller.name, sizeof here->name);
        memcpy(here->filename, caller.filename, sizeof here->filename);
    }
    return 0;
}

int rep_until_line(struct rep_session *s, int line, struct pyi_pos *pos, int *reached)
{
    struct pyi_pos here;
    struct pt_watch w;
    uint64_t addrs[PT_WATCH_MAX];
    int n, last;
    *reached = 0;
    s->stopped_bp = 0;
    if (rep_nav_ready(s) < 0 || selected_frame(s, &here) < 0 ||
        lines_from(s, here.code, line, addrs, PT_WATCH_MAX, &n, &last) < 0) {
        return -1;
    }
    if (line <= here.line) {
        return pt_fail("line %d is not after the current line %d: until only runs forwards (to "
                       "go back: reverse-next, reverse-continue or goto)",
                       line, here.line);
    }
    if (n == 0) {
        return pt_fail("%s() has no code at line %d or after (its last line is %d): use finish, "
                       "or break %s:%d and continue",
                       here.name, line, last, here.filename, line);
    }
    /* callers: the frame returned first; the lines' instructions, unless there are too many
     * for the watch, then every dispatch of the frame itself */
    if (rep_watch_frames(s, here.frame, &w, n <= PT_WATCH_MAX / 2) < 0) {
        return -1;
    }
    for (int i = 0; i < n && n <= PT_WATCH_MAX / 2; i++) {
        w.instrs[w.ninstrs++] = addrs[i];
    }
    if (rep_watch_breakpoints(s, &w) < 0) {
        return -1;
    }
    struct until_ctx u = {here.frame, line, reached};
    return run_watched_until(s, &w, until_stop, &u, pos);
}

/* ---- where an interrupted run stopped ---------------------------------------------------- */

int rep_stop_here(struct rep_session *s, struct pyi_pos *pos)
{
    struct pyi_pos p;
    pt_addr next_instr;
    if (s->state != REP_READY) {
        return 0;
    }
    if (s->nbp_stepover || rep_here_instr(s, &p, &next_instr) < 0) {
        /* between two instructions (a syscall, a catchpoint): on to the next dispatch */
        pt_err_clear();
        if (dispatch_once(s) < 0) {
            return -1;
        }
        if (s->state != REP_READY) {
            return 0;
        }
    }
    return rep_here(s, pos) < 0 || rep_present(s, pos) < 0 ? -1 : 1;
}
