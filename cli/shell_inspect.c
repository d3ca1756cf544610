/*
 * shell_inspect: the replay shell's inspection commands (bt, up/down/frame, locals, globals,
 * print, list, longlist, dis, x/Ni, disas), thin wrappers over pyintrospect on the
 * stopped replay. The pyintrospect session is opened on first use and invalidated after every
 * motion, since everything it caches about the process may have changed.
 */
#define _GNU_SOURCE
#include "shell_cmds.h"

#include "common/pt_error.h"
#include "pyintrospect/pyintrospect.h"

#include <stdlib.h>
#include <string.h>

struct pyi_session *shell_pyi(struct cli_shell *sh)
{
    if (shell_not_stopped(sh)) {
        return NULL;
    }
    struct pyi_session *p = rep_pyi(sh->rep);
    if (!p) {
        shell_error(sh, "cannot read Python's state");
    }
    return p;
}

void shell_moved(struct cli_shell *sh)
{
    struct pyi_session *p = rep_state(sh->rep) == REP_READY ? rep_pyi(sh->rep) : NULL;
    if (p) {
        pyi_invalidate(p);
    }
    shell_complete_forget();
    pt_err_clear();
}

static int done(struct cli_shell *sh, int rc, const char *what)
{
    return rc < 0 ? shell_error(sh, what) : 0;
}

/* A view that shows values (locals, globals, bt -full) with their real repr(): a first pass,
 * printed nowhere, notes the values pyintrospect cannot render exactly from memory (their class
 * defines __repr__, or they are cut at a cap); their repr() is evaluated in one throwaway copy;
 * the second pass prints with those texts. */
struct view {
    int (*fn)(struct pyi_session *p, FILE *out, unsigned flags);
    unsigned flags;
};

static int exact_view(struct cli_shell *sh, struct pyi_session *p, const struct view *v,
                      const char *what)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *sink = open_memstream(&buf, &len);
    const pt_addr *objs;
    if (!sink) {
        return shell_error(sh, "out of memory");
    }
    pyi_collect_inexact(p, true);
    int rc = v->fn(p, sink, v->flags);
    pyi_collect_inexact(p, false);
    fclose(sink);
    free(buf);
    size_t n = pyi_inexact_values(p, &objs);
    if (rc == 0 && n) {
        char **texts = calloc(n, sizeof *texts);
        struct rep_eval_report r;
        if (texts && rep_repr_objects(sh->rep, objs, n, texts, &r) == 0) {
            pyi_set_repr_overrides(p, objs, texts, n);
            rep_eval_report_free(&r);
        }
        pt_err_clear(); /* without a copy, the memory rendering */
        for (size_t i = 0; texts && i < n; i++) {
            free(texts[i]);
        }
        free(texts);
    }
    rc = v->fn(p, sh->out, v->flags);
    pyi_clear_repr_overrides(p);
    return done(sh, rc, what);
}

static int print_locals(struct pyi_session *p, FILE *out, unsigned flags)
{
    return pyi_print_locals(p, out);
}

static int print_args(struct pyi_session *p, FILE *out, unsigned flags)
{
    return pyi_print_args(p, out);
}

int shell_print_args(struct cli_shell *sh)
{
    struct pyi_session *p = shell_pyi(sh);
    struct view v = {print_args, 0};
    return p ? exact_view(sh, p, &v, "args") : -1;
}

static int print_globals(struct pyi_session *p, FILE *out, unsigned flags)
{
    return pyi_print_globals(p, out);
}

int shell_cmd_bt(struct cli_shell *sh, const char *args)
{
    struct pyi_session *p = shell_pyi(sh);
    unsigned flags = 0;
    if (!p) {
        return -1;
    }
    if (strstr(args, "-full") || strstr(args, "full")) {
        flags |= PYI_BT_LOCALS;
    }
    if (strstr(args, "-native")) {
        flags |= PYI_BT_NATIVE;
    }
    struct view v = {pyi_print_bt, flags};
    return flags & PYI_BT_LOCALS ? exact_view(sh, p, &v, "bt")
                                 : done(sh, pyi_print_bt(p, sh->out, flags), "bt");
}

static int move_frame(struct cli_shell *sh, const char *args, int dir)
{
    struct pyi_session *p = shell_pyi(sh);
    if (!p) {
        return -1;
    }
    size_t n = *args ? strtoul(args, NULL, 10) : 1;
    int rc = dir > 0 ? pyi_frame_up(p, n) : pyi_frame_down(p, n);
    if (rc < 0) {
        return shell_error(sh, dir > 0 ? "up" : "down");
    }
    return done(sh, pyi_print_frame(p, sh->out, pyi_frame_selected(p)), "frame");
}

int shell_cmd_up(struct cli_shell *sh, const char *args)
{
    return move_frame(sh, args, 1);
}

int shell_cmd_down(struct cli_shell *sh, const char *args)
{
    return move_frame(sh, args, -1);
}

int shell_cmd_frame(struct cli_shell *sh, const char *args)
{
    struct pyi_session *p = shell_pyi(sh);
    if (!p) {
        return -1;
    }
    if (*args && pyi_frame_select(p, strtoul(args, NULL, 10)) < 0) {
        return shell_error(sh, "frame");
    }
    return done(sh, pyi_print_frame(p, sh->out, pyi_frame_selected(p)), "frame");
}

int shell_cmd_locals(struct cli_shell *sh, const char *args)
{
    struct pyi_session *p = shell_pyi(sh);
    struct view v = {print_locals, 0};
    return p ? exact_view(sh, p, &v, "locals") : -1;
}

int shell_cmd_globals(struct cli_shell *sh, const char *args)
{
    struct pyi_session *p = shell_pyi(sh);
    struct view v = {print_globals, 0};
    return p ? exact_view(sh, p, &v, "globals") : -1;
}

int shell_cmd_list(struct cli_shell *sh, const char *args)
{
    struct pyi_session *p = shell_pyi(sh);
    int first = 0, last = 0;
    if (!p) {
        return -1;
    }
    if (*args && sscanf(args, "%d,%d", &first, &last) < 1) {
        fprintf(sh->out, "usage: list [FIRST[,LAST]]\n");
        return -1;
    }
    return done(sh, pyi_print_list(p, sh->out, first, last), "list");
}

/* pdb's longlist: the whole function (or module) of the selected frame. */
int shell_cmd_longlist(struct cli_shell *sh, const char *args)
{
    struct pyi_session *p = shell_pyi(sh);
    const struct pyi_frame *f;
    size_t n;
    int first, last;
    if (!p) {
        return -1;
    }
    if (pyi_frames(p, &f, &n) < 0 || pyi_frame_selected(p) >= n ||
        pyi_code_source_block(p, f[pyi_frame_selected(p)].code, &first, &last) < 0) {
        return shell_error(sh, "longlist");
    }
    return done(sh, pyi_print_list(p, sh->out, first, last), "longlist");
}

int shell_cmd_dis(struct cli_shell *sh, const char *args)
{
    struct pyi_session *p = shell_pyi(sh);
    return p ? done(sh, pyi_print_dis(p, sh->out), "dis") : -1;
}

/* x/Ni ADDR (ADDR defaults to the native pc) */
int shell_cmd_x(struct cli_shell *sh, const char *args)
{
    struct pyi_session *p = shell_pyi(sh);
    int count = 1;
    pt_addr pc = 0, addr = 0;
    if (!p || pyi_native_pc(p, &pc) < 0) {
        return p ? shell_error(sh, "x") : -1;
    }
    if (args[0] == '/') {
        count = atoi(args + 1) > 0 ? atoi(args + 1) : 1;
        args += strcspn(args, " \t");
        args += strspn(args, " \t");
    }
    addr = *args ? strtoull(args, NULL, 0) : pc;
    return done(sh, pyi_print_native_disas(p, sh->out, addr, count, pc), "x");
}

int shell_cmd_disas(struct cli_shell *sh, const char *args)
{
    struct pyi_session *p = shell_pyi(sh);
    pt_addr pc = 0;
    if (!p || pyi_native_pc(p, &pc) < 0) {
        return p ? shell_error(sh, "disas") : -1;
    }
    return done(sh, pyi_print_native_function(p, sh->out, *args ? strtoull(args, NULL, 0) : pc),
                "disas");
}
