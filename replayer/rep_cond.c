/*
 * rep_cond: breakpoint conditions. A condition is a Python expression judged by Python's truth
 * rules at the moment the breakpoint's instruction is about to run. The built-in evaluator
 * (pyintrospect's pyi_eval_truth, from memory) answers the common forms exactly; anything it
 * cannot answer exactly is evaluated by the interpreter in a throwaway copy (rep_eval.c). A
 * condition that raises stops there, as in pdb, with the exception in the error message.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"

#include <stdlib.h>
#include <string.h>

/* In the copy: the selected thread's innermost frame is the one at the breakpoint. */
static int cond_in_copy(struct rep_session *s, const char *cond, int *truth)
{
    struct rep_eval_item it = {REP_EVAL_TRUTH, cond, 0, 0, NULL};
    struct rep_eval_report r;
    if (rep_evaluate(s, &it, 1, NULL, 0, &r) < 0) {
        return pt_wrap("condition `%s`", cond);
    }
    int rc = 0;
    if (it.status == REP_EVAL_VALUE) {
        *truth = strcmp(it.text, "True") == 0;
    } else if (it.status == REP_EVAL_RAISED) {
        const char *last = strrchr(it.text, '\n');
        rc = pt_fail("condition `%s` raised %s", cond, last ? last + 1 : it.text);
    } else {
        rc = pt_fail("condition `%s`: %s", cond, r.why);
    }
    rep_eval_items_free(&it, 1);
    rep_eval_report_free(&r);
    return rc;
}

int rep_break_condition(struct rep_session *s, uint64_t frame, const char *cond, int *truth)
{
    struct pyi_session *p = rep_pyi(s);
    const char *why = NULL;
    if (!p) {
        return -1;
    }
    if (s->eval_path != REP_PATH_COPY) {
        int rc = pyi_eval_truth(p, frame, cond, truth, &why);
        if (rc == PYI_EVAL_OK) {
            return 0;
        }
        if (rc < 0) {
            return pt_wrap("condition `%s`", cond);
        }
        if (s->eval_path == REP_PATH_MEMORY) {
            return pt_fail("condition `%s` needs the interpreter: %s", cond, why);
        }
    }
    return cond_in_copy(s, cond, truth);
}
