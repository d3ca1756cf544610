/*
 * pyi_lineev: when CPython reports a sys.settrace 'line' event, as a function of the frame's
 * previous instruction and the one about to run (code unit indexes; prev < 0: the frame has
 * not run an instruction yet). One rule serves 3.10-3.13, the differences being data
 * (struct pyi_line_rule of the version):
 *
 * - 3.10, 3.11 (ceval.c's maybe_call_line_trace): an event when the instruction has a line and
 *   either that line differs from the previous instruction's, or the jump to it went backwards.
 *   3.11 does not count the previous instruction when it is at or before _co_firsttraceable
 *   (RESUME), never traces RESUME itself (a 'call' event instead) nor the instruction that
 *   EXTENDED_ARG dispatches, and a backward jump into SEND (the `yield from` loop) reports
 *   nothing.
 * - 3.12, 3.13 (Python/instrumentation.c and legacy_tracing.c, settrace on top of
 *   sys.monitoring): INSTRUMENTED_LINE at instructions that start a line or are jump targets,
 *   and JUMP events on backward jumps, give the same events; the `yield from`/`await` loop's
 *   JUMP_BACKWARD_NO_INTERRUPT is not instrumented, so it reports nothing. Checked against
 *   sys.settrace by tests/nav (stepping oracles) on every build.
 * An instrumented instruction is dispatched twice (INSTRUMENTED_LINE, then the instruction
 * itself, with the frame's previous instruction already set to it): the second dispatch has
 * prev == cur, which this rule never reports.
 */
#include "pyintrospect/pyi_internal.h"

bool pyi_line_event(struct pyi_session *s, const struct pyi_code *c, int prev, int cur)
{
    const struct pyi_line_rule *r = &s->v->line_rule;
    const struct pyi_opdata *o = s->v->ops;
    int n = (int)c->ncodeunits;
    if (cur < c->firsttraceable || cur >= n) {
        return false;
    }
    if (c->deopt[2 * cur] == o->resume) {
        return false; /* a 'call' event instead */
    }
    if (prev >= 0 && prev < n && cur == prev + 1 && c->deopt[2 * prev] == o->extended_arg) {
        return false; /* EXTENDED_ARG dispatches its instruction without tracing it */
    }
    bool no_prev = prev < 0 || prev >= n || (r->prev_before_traceable && prev <= c->firsttraceable);
    int lastline = no_prev ? -1 : c->lines[prev];
    int line = c->lines[cur];
    if (line == -1) {
        return false;
    }
    if (line != lastline) {
        return true;
    }
    if (no_prev || cur >= prev) {
        return false;
    }
    /* a backward jump on the same line */
    if (r->exempt_into_send && c->deopt[2 * cur] == o->send) {
        return false;
    }
    if (r->exempt_from_no_interrupt && c->deopt[2 * prev] == o->jump_back_no_interrupt) {
        return false;
    }
    return true;
}
