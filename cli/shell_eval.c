/*
 * shell_eval: the replay shell's commands that evaluate Python at the current moment, in pdb's
 * vocabulary: print/p and pp (repr / pprint of an expression), !STMT (run a statement), whatis,
 * display/undisplay/info display (expressions shown at every stop), args/a, retval/rv,
 * interact (a REPL at this moment), and `set eval-timeout`. The evaluation itself is
 * replayer/rep_eval.c (a throwaway copy of the replayed process); this file only prints.
 */
#define _GNU_SOURCE
#include "shell_cmds.h"

#include "common/pt_error.h"
#include "pyintrospect/pyintrospect.h"

#include <readline/history.h>
#include <readline/readline.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The last line of a formatted exception, as pdb prints it after `*** `. */
static const char *last_line(const char *text)
{
    const char *end = text + strlen(text);
    while (end > text && end[-1] == '\n') {
        end--;
    }
    const char *p = end;
    while (p > text && p[-1] != '\n') {
        p--;
    }
    return p;
}

/* What the evaluation printed, then what it could not do. */
static void print_report(struct cli_shell *sh, const struct rep_eval_report *r)
{
    if (r->output_len) {
        fwrite(r->output, 1, r->output_len, sh->out);
        if (r->output[r->output_len - 1] != '\n') {
            fputc('\n', sh->out);
        }
        if (r->output_cut) {
            fprintf(sh->out, "(output cut at 1 MiB)\n");
        }
    }
    if (r->refused) {
        fprintf(sh->out,
                "(refused %d call%s with effects outside the evaluation, first %s: side effects "
                "are discarded)\n",
                r->refused, r->refused == 1 ? "" : "s", r->refused_first);
    }
    if (r->ended) {
        fprintf(sh->out, "*** %s; the replay is unchanged\n", r->why);
    }
}

static void print_item(struct cli_shell *sh, const struct rep_eval_item *it)
{
    if (it->status == REP_EVAL_VALUE) {
        if (it->text[0] || it->mode != REP_EVAL_EXEC) {
            fprintf(sh->out, "%s\n", it->text);
        }
    } else if (it->status == REP_EVAL_RAISED) {
        fprintf(sh->out, "*** %s\n", last_line(it->text));
    }
}

/* Evaluate one item in the selected frame and print it; -1 if it could not run or raised. */
static int eval_one(struct cli_shell *sh, int mode, const char *expr)
{
    struct rep_eval_item it = {mode, expr, -1, 0, NULL};
    struct rep_eval_report r;
    if (!shell_pyi(sh)) {
        return -1;
    }
    if (rep_eval_expr(sh->rep, &it, &r) < 0) {
        return shell_error(sh, "cannot evaluate");
    }
    print_report(sh, &r);
    print_item(sh, &it);
    int rc = it.status == REP_EVAL_VALUE ? 0 : -1;
    rep_eval_items_free(&it, 1);
    rep_eval_report_free(&r);
    return rc;
}

static int need_expr(struct cli_shell *sh, const char *args, const char *usage)
{
    if (!*args) {
        fprintf(sh->out, "usage: %s\n", usage);
        return 0;
    }
    return 1;
}

int shell_cmd_print(struct cli_shell *sh, const char *args)
{
    if (!need_expr(sh, args, "print EXPR")) {
        return -1;
    }
    return eval_one(sh, REP_EVAL_REPR, args);
}

int shell_cmd_pp(struct cli_shell *sh, const char *args)
{
    if (!need_expr(sh, args, "pp EXPR")) {
        return -1;
    }
    return eval_one(sh, REP_EVAL_PPRINT, args);
}

int shell_cmd_bang(struct cli_shell *sh, const char *args)
{
    if (!need_expr(sh, args, "!STATEMENT")) {
        return -1;
    }
    return eval_one(sh, REP_EVAL_EXEC, args);
}

int shell_cmd_whatis(struct cli_shell *sh, const char *args)
{
    if (!need_expr(sh, args, "whatis EXPR")) {
        return -1;
    }
    return eval_one(sh, REP_EVAL_WHATIS, args);
}

int shell_cmd_set(struct cli_shell *sh, const char *args)
{
    char *end;
    if (strncmp(args, "eval-timeout", 12) == 0) {
        const char *v = args + 12 + strspn(args + 12, " \t");
        double secs = strtod(v, &end);
        if (!*v || *end || rep_set_eval_timeout(sh->rep, secs) < 0) {
            if (!*v || *end) {
                fprintf(sh->out, "usage: set eval-timeout SECONDS\n");
                return -1;
            }
            return shell_error(sh, "set eval-timeout");
        }
        return 0;
    }
    fprintf(sh->out, "usage: set eval-timeout SECONDS\n");
    return -1;
}

/* maint eval auto|memory|copy: where expressions and conditions are evaluated */
int shell_maint_eval(struct cli_shell *sh, const char *args)
{
    static const char *const names[] = {"auto", "memory", "copy"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(args, names[i]) == 0) {
            rep_set_eval_path(sh->rep, i);
            return 0;
        }
    }
    fprintf(sh->out, "usage: maint eval auto|memory|copy\n");
    return -1;
}

int shell_cmd_show(struct cli_shell *sh, const char *args)
{
    if (strncmp(args, "eval-timeout", 12) == 0) {
        fprintf(sh->out, "The evaluation timeout is %g seconds.\n",
                (double)rep_eval_timeout_ns(sh->rep) / 1e9);
        return 0;
    }
    fprintf(sh->out, "usage: show eval-timeout\n");
    return -1;
}
