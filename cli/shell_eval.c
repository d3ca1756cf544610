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

/* set eval-timeout SECONDS (shell_cmd_set passes it on) */
int shell_set_eval(struct cli_shell *sh, const char *args)
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

/* show eval-timeout (shell_cmd_show passes it on) */
int shell_show_eval(struct cli_shell *sh, const char *args)
{
    if (strncmp(args, "eval-timeout", 12) == 0) {
        fprintf(sh->out, "The evaluation timeout is %g seconds.\n",
                (double)rep_eval_timeout_ns(sh->rep) / 1e9);
        return 0;
    }
    fprintf(sh->out, "usage: show eval-timeout\n");
    return -1;
}

/* ---- display -------------------------------------------------------------------------------- */

static void display_line(struct cli_shell *sh, const struct shell_display *d,
                         const struct rep_eval_item *it)
{
    if (it->status == REP_EVAL_VALUE) {
        fprintf(sh->out, "%d: %s = %s\n", d->id, d->expr, it->text);
    } else if (it->status == REP_EVAL_RAISED) {
        fprintf(sh->out, "%d: %s = *** %s\n", d->id, d->expr, last_line(it->text));
    } else {
        fprintf(sh->out, "%d: %s = *** not evaluated\n", d->id, d->expr);
    }
}

/* Displays [from, to): each from memory where exact, the others together in one copy. */
static void show_range(struct cli_shell *sh, int from, int to)
{
    int n = to - from, nleft = 0;
    struct rep_eval_item *items = calloc((size_t)(n ? n : 1), sizeof *items);
    struct rep_eval_item *left = calloc((size_t)(n ? n : 1), sizeof *left);
    int *where = calloc((size_t)(n ? n : 1), sizeof *where);
    struct rep_eval_report r;
    if (!items || !left || !where || rep_state(sh->rep) != REP_READY || !rep_pyi(sh->rep)) {
        pt_err_clear();
        free(items), free(left), free(where);
        return;
    }
    for (int i = 0; i < n; i++) {
        items[i] = (struct rep_eval_item){REP_EVAL_REPR, sh->displays[from + i].expr, -1, 0, NULL};
        if (rep_eval_path(sh->rep) == REP_PATH_COPY ||
            rep_eval_expr_memory(sh->rep, &items[i]) != 1) {
            where[nleft] = i;
            left[nleft++] = items[i];
        }
    }
    memset(&r, 0, sizeof r);
    if (nleft && rep_evaluate(sh->rep, left, (size_t)nleft, NULL, 0, &r) < 0) {
        fprintf(sh->out, "*** display: %s\n", pt_errmsg());
        pt_err_clear();
    }
    for (int k = 0; k < nleft; k++) {
        items[where[k]] = left[k];
    }
    print_report(sh, &r);
    for (int i = 0; i < n; i++) {
        display_line(sh, &sh->displays[from + i], &items[i]);
    }
    rep_eval_items_free(items, (size_t)n);
    rep_eval_report_free(&r);
    free(items), free(left), free(where);
}

void shell_show_displays(struct cli_shell *sh)
{
    if (sh->ndisplays && rep_state(sh->rep) == REP_READY) {
        show_range(sh, 0, sh->ndisplays);
    }
}

int shell_cmd_display(struct cli_shell *sh, const char *args)
{
    if (!*args) {
        shell_show_displays(sh);
        return 0;
    }
    struct shell_display *d = realloc(sh->displays, (size_t)(sh->ndisplays + 1) * sizeof *d);
    if (!d) {
        return shell_error(sh, "out of memory");
    }
    sh->displays = d;
    d[sh->ndisplays].id = ++sh->last_display;
    d[sh->ndisplays].expr = strdup(args);
    sh->ndisplays++;
    if (rep_state(sh->rep) == REP_READY) {
        show_range(sh, sh->ndisplays - 1, sh->ndisplays);
    }
    return 0;
}

int shell_cmd_undisplay(struct cli_shell *sh, const char *args)
{
    if (!*args) {
        for (int i = 0; i < sh->ndisplays; i++) {
            free(sh->displays[i].expr);
        }
        sh->ndisplays = 0;
        return 0;
    }
    for (const char *p = args; *p; p += strspn(p, " \t")) {
        char *end;
        long id = strtol(p, &end, 10);
        int i = 0;
        while (i < sh->ndisplays && sh->displays[i].id != id) {
            i++;
        }
        if (end == p || i == sh->ndisplays) {
            fprintf(sh->out, "*** no display number %.*s (see info display)\n",
                    (int)strcspn(p, " \t"), p);
            return -1;
        }
        free(sh->displays[i].expr);
        memmove(&sh->displays[i], &sh->displays[i + 1],
                (size_t)(sh->ndisplays - i - 1) * sizeof sh->displays[0]);
        sh->ndisplays--;
        p = end;
    }
    return 0;
}

int shell_cmd_info_display(struct cli_shell *sh)
{
    if (!sh->ndisplays) {
        fprintf(sh->out, "There are no auto-display expressions now.\n");
        return 0;
    }
    fprintf(sh->out, "Auto-display expressions now in effect:\nNum Expression\n");
    for (int i = 0; i < sh->ndisplays; i++) {
        fprintf(sh->out, "%-3d %s\n", sh->displays[i].id, sh->displays[i].expr);
    }
    return 0;
}

/* ---- args, retval --------------------------------------------------------------------------- */

int shell_cmd_args(struct cli_shell *sh, const char *args)
{
    return shell_print_args(sh);
}

char *shell_value_text(struct cli_shell *sh, uint64_t obj)
{
    struct pyi_session *p = rep_pyi(sh->rep);
    char *text = NULL, *eval = NULL;
    unsigned what = 0;
    struct rep_eval_report r;
    if (!p || pyi_repr_flags(p, obj, 0, &text, &what) < 0) {
        pt_err_clear();
        return NULL;
    }
    if (!(what & PYI_REPR_INEXACT) && rep_eval_path(sh->rep) != REP_PATH_COPY) {
        return text;
    }
    free(text);
    if (rep_repr_objects(sh->rep, &obj, 1, &eval, &r) < 0) {
        pt_err_clear();
        return NULL;
    }
    rep_eval_report_free(&r);
    return eval;
}

int shell_print_retval(struct cli_shell *sh, int complain)
{
    uint64_t obj;
    const char *func = NULL, *why;
    int r = rep_return_value(sh->rep, &obj, &func, &why);
    if (r <= 0) {
        if (complain) {
            fprintf(sh->out, "*** %s%s%s\n", func ? func : "", func ? ": " : "", why);
        }
        return complain ? -1 : 0;
    }
    char *text = shell_value_text(sh, obj);
    fprintf(sh->out, "Value returned is %s\n", text ? text : "<unreadable>");
    free(text);
    return 0;
}

int shell_cmd_retval(struct cli_shell *sh, const char *args)
{
    return shell_pyi(sh) ? shell_print_retval(sh, 1) : -1;
}

/* ---- interact ------------------------------------------------------------------------------- */

static char *read_line(const char *prompt)
{
    if (isatty(0)) {
        char *l = readline(prompt);
        if (l && *l) {
            add_history(l);
        }
        return l;
    }
    char buf[4096];
    if (!fgets(buf, sizeof buf, stdin)) {
        return NULL;
    }
    buf[strcspn(buf, "\n")] = '\0';
    return strdup(buf);
}

static int interact_line(struct cli_shell *sh, struct rep_eval_ctx *e, const char *src)
{
    struct rep_eval_item it = {REP_EVAL_INTERACT, src, -1, 0, NULL};
    struct rep_eval_report r;
    if (rep_eval_run(e, &it, 1, &r) < 0) {
        shell_error(sh, "interact");
        return -1;
    }
    print_report(sh, &r);
    int st = it.status;
    int leave = st == REP_EVAL_RAISED && strncmp(last_line(it.text), "SystemExit", 10) == 0;
    if (st == REP_EVAL_RAISED && !leave) {
        fprintf(sh->out, "%s\n", it.text); /* as the REPL prints it */
    }
    int ended = r.ended || leave;
    rep_eval_items_free(&it, 1);
    rep_eval_report_free(&r);
    return ended ? -1 : st == REP_EVAL_MORE;
}

/* pdb's interact: a Python REPL at this moment, in the selected frame's namespace, kept in one
 * throwaway copy for the whole session; nothing it does changes the replay. */
int shell_cmd_interact(struct cli_shell *sh, const char *args)
{
    struct rep_eval_ctx *e;
    if (!shell_pyi(sh)) {
        return -1;
    }
    if (rep_eval_open(sh->rep, NULL, 0, &e) < 0) {
        return shell_error(sh, "interact");
    }
    fprintf(sh->out, "*pytt interactive* (a copy of the program at this moment: nothing done here "
                     "changes the replay; Ctrl-D or exit() to leave)\n");
    fflush(sh->out);
    char *src = NULL;
    for (;;) {
        char *line = read_line(src ? "... " : ">>> ");
        if (!line) {
            break;
        }
        size_t old = src ? strlen(src) : 0;
        char *joined = malloc(old + strlen(line) + 2);
        if (!joined) {
            free(line);
            break;
        }
        snprintf(joined, old + strlen(line) + 2, "%s%s%s", src ? src : "", src ? "\n" : "", line);
        free(src);
        free(line);
        src = joined;
        int r = interact_line(sh, e, src);
        fflush(sh->out);
        if (r != 1) {
            free(src);
            src = NULL;
        }
        if (r < 0) {
            break;
        }
    }
    free(src);
    rep_eval_close(e);
    fprintf(sh->out, "now exiting the interactive copy (its changes are discarded)\n");
    return 0;
}

void shell_help_eval(struct cli_shell *sh)
{
    fprintf(sh->out,
            "\n"
            "Expressions are Python, evaluated by the recorded program's own interpreter at the\n"
            "current moment of the replay, in the selected frame (its locals, cells, globals\n"
            "and builtins): calls, comprehensions, f-strings, len(x), obj.method()... and the\n"
            "value's own repr() (namedtuple, dataclass, enum, datetime, numpy...).\n"
            "\n"
            "Side effects are discarded: the expression runs in a throwaway copy of the replayed\n"
            "process (a fork), killed afterwards, so nothing it does changes the replay, the next\n"
            "motion or what the program prints. In that copy, calls with effects outside it\n"
            "(writing or creating files, sockets, signals, exec, fork...) fail with EPERM\n"
            "(PermissionError); what it prints is shown. An expression that runs longer than the\n"
            "evaluation timeout (`set eval-timeout SECONDS`, default 5) is stopped; one that\n"
            "exits or crashes the copy is reported and the session goes on.\n"
            "Names, attributes, subscripts and arithmetic that can be read exactly from memory\n"
            "are answered without a copy (`maint eval copy` forces the interpreter).\n");
}
