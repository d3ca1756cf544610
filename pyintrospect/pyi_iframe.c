/*
 * pyi_iframe: threads and frames of CPython 3.11-3.13, where a thread's Python stack is a chain
 * of _PyInterpreterFrame (Include/internal/pycore_frame.h), and the thread-level facts that two
 * or more versions share: who holds the GIL and which exception is being raised.
 *
 * - The innermost frame: tstate->cframe->current_frame (3.11, 3.12), tstate->current_frame
 *   (3.13: _PyCFrame is gone).
 * - The frame's instruction member is prev_instr (3.11, 3.12: the last instruction started,
 *   code - 1 in a frame that has not started) or instr_ptr (3.13: the instruction being or
 *   last executed, the first one in a frame that has not started); either way lasti =
 *   member - code, as _PyInterpreterFrame_LASTI.
 * - Incomplete frames are skipped as _PyFrame_IsIncomplete; 3.12+ also push frames owned by the
 *   C stack (shims, the entry frame of each _PyEval_EvalFrameDefault call), which are not Python
 *   frames: they are skipped, and mark where one C call of the eval loop ends (3.11 marks the
 *   first frame of a call with is_entry instead).
 * - The GIL holder: _PyRuntime.gilstate.tstate_current (3.10, 3.11), or the interpreter's
 *   _gil_runtime_state.last_holder while it is locked (3.12+, as _Py_DebugOffsets describes it).
 * - The exception being raised: tstate->curexc_type/curexc_traceback (3.10, 3.11), or
 *   tstate->current_exception, its type and __traceback__ (3.12+).
 */
#include "pyintrospect/pyi_internal.h"

#include <stdlib.h>
#include <string.h>

/* PyThreadState_GetFrame, 3.11/3.12: tstate->cframe->current_frame. */
int pyi_iframe_top_cframe(struct pyi_session *s, pt_addr tstate, pt_addr *frame)
{
    pt_addr cframe;
    *frame = 0;
    if (pyi_rd_ptr(s, tstate, PYI_F_TS_CFRAME, &cframe) != 0) {
        return -1;
    }
    if (!cframe) {
        return 0;
    }
    return pyi_rd_ptr(s, cframe, PYI_F_CF_CURRENT_FRAME, frame);
}

/* 3.13 (and 3.10's tstate->frame): one member of the thread state. */
int pyi_iframe_top_current(struct pyi_session *s, pt_addr tstate, pt_addr *frame)
{
    return pyi_rd_ptr(s, tstate, PYI_F_TS_FRAME, frame);
}

/* The members of a _PyInterpreterFrame, read from one copy of its header (everything before
 * localsplus): a dispatch trap reads the frame, so this is one read instead of ten. */
static int pyi_iframe_members(struct pyi_session *s, const uint8_t *h, size_t n,
                              struct pyi_rawframe *f, int64_t *owner, pt_addr *instr)
{
    static const struct {
        enum pyi_field f;
        size_t off;
    } ptrs[] = {
        {PYI_F_IF_CODE, offsetof(struct pyi_rawframe, code)},
        {PYI_F_IF_PREVIOUS, offsetof(struct pyi_rawframe, previous)},
        {PYI_F_IF_GLOBALS, offsetof(struct pyi_rawframe, globals)},
        {PYI_F_IF_BUILTINS, offsetof(struct pyi_rawframe, builtins)},
        {PYI_F_IF_LOCALS, offsetof(struct pyi_rawframe, locals)},
        {PYI_F_IF_FUNC, offsetof(struct pyi_rawframe, func)},
        {PYI_F_IF_FRAME_OBJ, offsetof(struct pyi_rawframe, frame_obj)},
    };
    int64_t v, entry = 0;
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++) {
        if (pyi_rd_local(s, h, n, ptrs[i].f, &v) != 0) {
            return -1;
        }
        *(pt_addr *)((char *)f + ptrs[i].off) = (pt_addr)v;
    }
    if (pyi_rd_local(s, h, n, PYI_F_IF_INSTR, &v) != 0 ||
        pyi_rd_local(s, h, n, PYI_F_IF_OWNER, owner) != 0 ||
        (pyi_has(s, PYI_F_IF_IS_ENTRY) && pyi_rd_local(s, h, n, PYI_F_IF_IS_ENTRY, &entry) != 0)) {
        return -1;
    }
    *instr = (pt_addr)v;
    f->is_entry = entry != 0;
    return 0;
}

/* A frame the C stack owns (3.12+): not a Python frame; what follows it belongs to the next
 * C call of the eval loop. */
static bool pyi_iframe_cstack(struct pyi_session *s, int64_t owner)
{
    return s->frame_owned_by_cstack >= 0 && owner == s->frame_owned_by_cstack;
}

int pyi_iframe_read(struct pyi_session *s, pt_addr addr, struct pyi_rawframe *f)
{
    int64_t owner;
    pt_addr instr;
    struct pyi_code *c;
    uint8_t head[256];
    size_t n = (size_t)s->m[PYI_F_IF_LOCALSPLUS].off;
    memset(f, 0, sizeof *f);
    f->addr = addr;
    if (n > sizeof head) {
        return pt_fail("_PyInterpreterFrame's header is %zu bytes", n);
    }
    if (!addr || pyi_read(s, addr, head, n) != 0 ||
        pyi_iframe_members(s, head, n, f, &owner, &instr) != 0) {
        return pt_wrap("reading _PyInterpreterFrame at 0x%llx", (unsigned long long)addr);
    }
    if (pyi_iframe_cstack(s, owner)) {
        f->cstack = true; /* its code member need not be a code object (3.13: None) */
        return 0;
    }
    if (pyi_code_get(s, f->code, &c) != 0) {
        return pt_wrap("reading _PyInterpreterFrame at 0x%llx", (unsigned long long)addr);
    }
    int64_t unit = s->size[PYI_S_CODEUNIT];
    /* _PyInterpreterFrame_LASTI */
    f->lasti = (int)(((int64_t)instr - (int64_t)c->code0) / unit);
    /* _PyFrame_IsIncomplete */
    f->complete = owner == s->frame_owned_by_generator || f->lasti >= c->firsttraceable;
    f->localsplus = addr + (pt_addr)s->m[PYI_F_IF_LOCALSPLUS].off;
    int64_t lineno = 0;
    if (f->frame_obj && pyi_rd(s, f->frame_obj, PYI_F_FO_LINENO, &lineno) == 0) {
        f->fo_lineno = (int)lineno; /* PyFrame_GetLineNumber uses it when non-zero */
    }
    return 0;
}

/* 3.11: an inlined return (RETURN_VALUE in a frame that is not an entry frame) pushes the value
 * on the caller's stack (_PyFrame_StackPush) and resumes it (resume_frame: stack_pointer
 * reloaded) after its CALL, whose last inline cache prev_instr still points at: at that dispatch
 * the value is stack_pointer[-1]. */
int pyi_iframe_returned_value(struct pyi_session *s, pt_addr caller, pt_addr next_instr,
                              pt_addr stack_pointer, pt_addr *value, const char **why)
{
    struct pyi_rawframe r;
    struct pyi_code *c;
    *why = NULL;
    if (s->v->frame_read(s, caller, &r) != 0 || r.cstack || pyi_code_get(s, r.code, &c) != 0) {
        return r.cstack ? (*why = "the caller is not Python code", 0) : -1;
    }
    int64_t depth = ((int64_t)stack_pointer - (int64_t)r.localsplus) / 8 - c->nlocalsplus;
    int64_t unit = s->size[PYI_S_CODEUNIT], cur = ((int64_t)next_instr - (int64_t)c->code0) / unit;
    int owner = -1;
    for (int i = 0; i <= r.lasti && i < (int)c->ncodeunits; i++) {
        if (c->deopt[2 * i] != 0 || i == 0) { /* CACHE entries are opcode 0 */
            owner = i;
        }
    }
    const char *name = owner >= 0 ? pyi_opname(s, c->deopt[2 * owner]) : NULL;
    if (!name || (strcmp(name, "CALL") != 0 && strcmp(name, "CALL_FUNCTION_EX") != 0) ||
        cur != r.lasti + 1) {
        *why = "the caller did not resume right after a call";
        return 0;
    }
    if (depth < 1 || depth > 65536) {
        *why = "the caller's value stack does not hold it";
        return 0;
    }
    return pyi_read_ptr(s, stack_pointer - 8, value) == 0 ? 1 : -1;
}

/* 3.11+: PyThreadState.native_thread_id. */
int pyi_native_tid_member(struct pyi_session *s, pt_addr tstate, unsigned long ident, pid_t *tid)
{
    int64_t v;
    if (pyi_rd(s, tstate, PYI_F_TS_NATIVE_TID, &v) != 0) {
        return -1;
    }
    *tid = (pid_t)v;
    return 0;
}

/* ---- the GIL -------------------------------------------------------------------------------- */

/* 3.10, 3.11: _PyRuntime.gilstate.tstate_current. */
int pyi_gil_runtime(struct pyi_session *s, pt_addr interp, pt_addr *tstate)
{
    return pyi_rd_ptr(s, s->sym[PYI_Y_RUNTIME], PYI_F_RT_GIL_TSTATE, tstate);
}

/* 3.12+: interp->ceval.gil->last_holder, if the GIL is locked. */
int pyi_gil_interp(struct pyi_session *s, pt_addr interp, pt_addr *tstate)
{
    pt_addr gil;
    int64_t locked;
    *tstate = 0;
    if (pyi_rd_ptr(s, interp, PYI_F_IS_CEVAL_GIL, &gil) != 0 || !gil ||
        pyi_rd(s, gil, PYI_F_GIL_LOCKED, &locked) != 0) {
        return gil ? -1 : 0;
    }
    return locked ? pyi_rd_ptr(s, gil, PYI_F_GIL_LAST_HOLDER, tstate) : 0;
}

/* ---- the exception being raised ------------------------------------------------------------- */

/* 3.10, 3.11: tstate->curexc_type, tstate->curexc_traceback. */
int pyi_raised_curexc(struct pyi_session *s, pt_addr tstate, pt_addr *type, pt_addr *tb)
{
    if (pyi_rd_ptr(s, tstate, PYI_F_TS_CUREXC_TYPE, type) != 0 ||
        pyi_rd_ptr(s, tstate, PYI_F_TS_CUREXC_TRACEBACK, tb) != 0) {
        return -1;
    }
    return 0;
}

/* 3.12+: tstate->current_exception, its type and __traceback__. */
int pyi_raised_current(struct pyi_session *s, pt_addr tstate, pt_addr *type, pt_addr *tb)
{
    pt_addr exc;
    *type = *tb = 0;
    if (pyi_rd_ptr(s, tstate, PYI_F_TS_CURRENT_EXC, &exc) != 0) {
        return -1;
    }
    if (!exc) {
        return 0;
    }
    if (pyi_obj_type(s, exc, type) != 0 || pyi_rd_ptr(s, exc, PYI_F_EXC_TRACEBACK, tb) != 0) {
        return pt_wrap("reading the exception being raised at 0x%llx", (unsigned long long)exc);
    }
    return 0;
}
