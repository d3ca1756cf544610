/*
 * rep_retval: the value a function returned, as gdb's `finish` prints it ("Value returned is
 * ...") and pdb's `retval` shows it. When `finish` lands in the caller, right after the call,
 * before the caller's next instruction runs, the returned value is on top of the caller's value
 * stack; pyintrospect's version layer knows where (pyi_returned_value). That holds when the
 * finished frame ran inside its caller's eval loop (not an entry frame: a Python-to-Python call);
 * a function called from C code returned its value to C, where pytt does not look.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <stdio.h>
#include <string.h>

int rep_retval_inlined(struct rep_session *s, pt_addr frame)
{
    const struct pyi_frame *frames;
    size_t n;
    s->retval_tick = 0;
    if (!s->pyi || pyi_frames(s->pyi, &frames, &n) < 0) {
        pt_err_clear();
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (frames[i].iframe == frame) {
            return !frames[i].is_entry;
        }
    }
    return 0;
}

void rep_retval_note(struct rep_session *s, const struct pyi_pos *callee, int inlined,
                     const struct pyi_pos *pos, pt_addr next_instr)
{
    pt_addr value = 0;
    struct user_regs_struct r;
    const char *why = "the function was called from C code, which got its value";
    s->retval_obj = 0;
    s->retval_why = NULL;
    if (rep_clock_now(s, &s->retval_tick) < 0) {
        s->retval_tick = 0;
        pt_err_clear();
        return;
    }
    snprintf(s->retval_func, sizeof s->retval_func, "%.255s", callee->qualname);
    if (!pyi_knows_returned_values(s->pyi)) {
        s->retval_why = "pytt does not know where this CPython version leaves a returned value "
                        "(it reads them on 3.11)";
    } else if (pos->frame != callee->previous) {
        s->retval_why = "the function returned to C code";
    } else if (!inlined) {
        s->retval_why = why;
    } else if (s->stack_reg < 0) {
        s->retval_why = "pytt cannot tell where this interpreter build keeps its value stack "
                        "pointer (an unoptimized build?)";
    } else if (pt_getregs(s->tid, &r) < 0 ||
               pyi_returned_value(s->pyi, pos->frame, next_instr, rep_reg_value(&r, s->stack_reg),
                                  &value, &why) <= 0) {
        s->retval_why = why ? why : "the return value could not be read";
        pt_err_clear();
    } else {
        s->retval_obj = value;
    }
}

int rep_return_value(struct rep_session *s, uint64_t *obj, const char **func, const char **why)
{
    uint64_t now;
    *why = "no function returned here: the return value is known right after `finish`";
    if (s->state != REP_READY || !s->retval_tick || rep_clock_now(s, &now) < 0 ||
        now != s->retval_tick) {
        pt_err_clear();
        return 0;
    }
    *func = s->retval_func;
    if (!s->retval_obj) {
        *why = s->retval_why;
        return 0;
    }
    *obj = s->retval_obj;
    return 1;
}
