/*
 * shell_break: breakpoint commands of the replay shell, in pdb's and gdb's vocabulary:
 * break/b and tbreak (FILE:LINE, LINE or FUNCTION, optionally `thread N` and `if COND`), delete
 * (asks before deleting them all), clear/cl (by number, as pdb, or by location, as gdb), disable,
 * enable, condition, info breakpoints; and continue, which runs to the next hit. A breakpoint that
 * stays pending says why: no file or function of that name is loaded yet (with the closest
 * loaded name when there is one), or the code is loaded but not defined yet.
 */
#include "shell_cmds.h"

#include "common/pt_error.h"
#include "pyintrospect/pyintrospect.h"

#include <stdlib.h>
#include <string.h>

static void print_where(struct cli_shell *sh, const struct rep_bp *bp)
{
    if (bp->is_catch) {
        fprintf(sh->out, "raise of %s", bp->func[0] ? bp->func : "any exception");
    } else if (bp->func[0]) {
        fprintf(sh->out, "%s", bp->func);
    } else {
        fprintf(sh->out, "%s:%d", bp->file, bp->line);
    }
}

/* Why a new breakpoint is pending, loudly when the name matches nothing loaded. */
static void print_pending(struct cli_shell *sh, const struct rep_bp *bp)
{
    const char *file = strrchr(bp->file, '/') ? strrchr(bp->file, '/') + 1 : bp->file;
    switch (bp->pending_why) {
    case REP_PENDING_LATER:
        fprintf(sh->out, " (pending: defined later, at %s)\n", bp->near);
        return;
    case REP_PENDING_NO_LINE:
        fprintf(sh->out, " (pending: %s is loaded, but no code of line %d exists yet)\n", bp->near,
                bp->line);
        return;
    case REP_PENDING_NO_FILE:
        fprintf(sh->out, " (pending)\nNo file named %s is loaded yet", file);
        break;
    case REP_PENDING_NO_FUNCTION:
        fprintf(sh->out, " (pending)\nNothing named %s is loaded yet", bp->func);
        break;
    default:
        fprintf(sh->out, " (pending: that code is not loaded yet)\n");
        return;
    }
    if (bp->near[0]) {
        fprintf(sh->out, " (did you mean %s?)", bp->near);
    }
    fprintf(sh->out, ": the breakpoint stays pending until %s.\n",
            bp->func[0] ? "a function of that name is defined" : "one is loaded");
}

static int add(struct cli_shell *sh, const char *args, int temporary)
{
    char spec[1024];
    const char *cond = strstr(args, " if ");
    if (!*args) {
        fprintf(sh->out, "usage: %s FILE:LINE|LINE|FUNCTION [if COND]\n",
                temporary ? "tbreak" : "break");
        return -1;
    }
    if (sh->unusable) {
        return shell_not_stopped(sh) ? -1 : 0;
    }
    snprintf(spec, sizeof spec, "%.*s", cond ? (int)(cond - args) : (int)strlen(args), args);
    int thread;
    if (shell_break_thread_arg(sh, spec, &thread) < 0) {
        return shell_error(sh, "break");
    }
    int same[8], nsame = rep_break_find(sh->rep, spec, same, 8);
    pt_err_clear();
    for (int i = 0; i < nsame; i++) { /* as gdb: "Note: breakpoint 2 also set at ..." */
        fprintf(sh->out, "Note: breakpoint %d is also at %s.\n", same[i], spec);
    }
    const struct rep_bp *bp;
    if (rep_break_add(sh->rep, spec, cond ? cond + 4 : NULL, temporary, &bp) < 0 ||
        rep_break_thread(sh->rep, bp->id, thread) < 0) {
        return shell_error(sh, "break");
    }
    fprintf(sh->out, "%s %d at ", temporary ? "Temporary breakpoint" : "Breakpoint", bp->id);
    print_where(sh, bp);
    if (thread) {
        fprintf(sh->out, " (thread %d only)", thread);
    }
    if (bp->naddrs) {
        fputc('\n', sh->out);
        return 0;
    }
    print_pending(sh, bp);
    return 0;
}

int shell_cmd_break(struct cli_shell *sh, const char *args)
{
    if (!*args) {
        return shell_cmd_info_breakpoints(sh);
    }
    return add(sh, args, 0);
}

int shell_cmd_tbreak(struct cli_shell *sh, const char *args)
{
    return add(sh, args, 1);
}

/* Delete every breakpoint, once the user agrees (as gdb and pdb ask). */
static int delete_all(struct cli_shell *sh, int verbose)
{
    int n;
    const struct rep_bp *bps = rep_breakpoints(sh->rep, &n);
    if (n == 0 || !shell_confirm(sh, "Delete all breakpoints?")) {
        return 0;
    }
    while (verbose && (bps = rep_breakpoints(sh->rep, &n), n > 0)) {
        fprintf(sh->out, "Deleted breakpoint %d at ", bps[0].id);
        print_where(sh, &bps[0]);
        fputc('\n', sh->out);
        rep_break_delete(sh->rep, bps[0].id);
    }
    return rep_break_delete(sh->rep, 0) < 0 ? shell_error(sh, "delete") : 0;
}

int shell_cmd_delete(struct cli_shell *sh, const char *args)
{
    const char *p = args;
    if (!*p) {
        return delete_all(sh, 0);
    }
    while (*p) {
        char *end;
        long id = strtol(p, &end, 10);
        if (end == p || rep_break_delete(sh->rep, (int)id) < 0) {
            return shell_error(sh, "delete");
        }
        p = end + strspn(end, " ");
    }
    return 0;
}

static int delete_verbose(struct cli_shell *sh, int id)
{
    int n;
    const struct rep_bp *bps = rep_breakpoints(sh->rep, &n);
    for (int i = 0; i < n; i++) {
        if (bps[i].id == id) {
            fprintf(sh->out, "Deleted breakpoint %d at ", id);
            print_where(sh, &bps[i]);
            fputc('\n', sh->out);
            return rep_break_delete(sh->rep, id);
        }
    }
    pt_fail("no breakpoint number %d", id);
    return shell_error(sh, "clear");
}

/* pdb's clear N... and gdb's clear LOCATION; without arguments, all (asks first). */
int shell_cmd_clear(struct cli_shell *sh, const char *args)
{
    int ids[64];
    if (!*args) {
        return delete_all(sh, 1);
    }
    if (strspn(args, "0123456789 ") == strlen(args)) {
        for (const char *p = args; *p; p += strspn(p, " ")) {
            char *end;
            if (delete_verbose(sh, (int)strtol(p, &end, 10)) < 0) {
                return -1;
            }
            p = end;
        }
        return 0;
    }
    int n = rep_break_find(sh->rep, args, ids, 64);
    if (n < 0) {
        return shell_error(sh, "clear");
    }
    if (n == 0) {
        fprintf(sh->out, "No breakpoint at %s.\n", args);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        delete_verbose(sh, ids[i]);
    }
    return 0;
}

static int set_enabled(struct cli_shell *sh, const char *args, int on)
{
    char *end;
    long id = strtol(args, &end, 10);
    if (end == args || rep_break_enable(sh->rep, (int)id, on) < 0) {
        return shell_error(sh, on ? "enable" : "disable");
    }
    return 0;
}

int shell_cmd_disable(struct cli_shell *sh, const char *args)
{
    return set_enabled(sh, args, 0);
}

int shell_cmd_enable(struct cli_shell *sh, const char *args)
{
    return set_enabled(sh, args, 1);
}

int shell_cmd_condition(struct cli_shell *sh, const char *args)
{
    char *end;
    long id = strtol(args, &end, 10);
    int n;
    const struct rep_bp *bps = rep_breakpoints(sh->rep, &n);
    for (int i = 0; i < n && end != args; i++) {
        if (bps[i].id == id) {
            struct rep_bp *bp = (struct rep_bp *)&bps[i];
            snprintf(bp->cond, sizeof bp->cond, "%s", end + strspn(end, " "));
            return 0;
        }
    }
    fprintf(sh->out, "usage: condition N [COND] (N: an existing breakpoint)\n");
    return -1;
}

int shell_cmd_info_breakpoints(struct cli_shell *sh)
{
    int n;
    const struct rep_bp *bps = rep_breakpoints(sh->rep, &n);
    if (n == 0) {
        fprintf(sh->out, "No breakpoints.\n");
        return 0;
    }
    fprintf(sh->out, "Num Type         Disp Enb   Where\n");
    for (int i = 0; i < n; i++) {
        const struct rep_bp *bp = &bps[i];
        fprintf(sh->out, "%-3d %-12s %-4s %-5s %s", bp->id,
                bp->is_catch ? "catchpoint" : "breakpoint", bp->temporary ? "del" : "keep",
                bp->enabled ? "yes" : "no", bp->is_catch ? "" : "at ");
        print_where(sh, bp);
        fprintf(sh->out, "%s\n", bp->naddrs || bp->is_catch ? "" : " (pending)");
        if (bp->cond[0]) {
            fprintf(sh->out, "\tstop only if %s\n", bp->cond);
        }
        if (bp->thread) {
            fprintf(sh->out, "\tstop only in thread %d\n", bp->thread);
        }
        if (bp->hits) {
            fprintf(sh->out, "\tbreakpoint already hit %d time%s\n", bp->hits,
                    bp->hits == 1 ? "" : "s");
        }
    }
    return 0;
}

int shell_cmd_continue(struct cli_shell *sh, const char *args)
{
    struct pyi_pos pos;
    int bp = 0;
    if (sh->unusable || rep_failure(sh->rep)) {
        return shell_not_stopped(sh) ? -1 : 0;
    }
    if (rep_state(sh->rep) == REP_FINISHED) {
        fprintf(sh->out, "The replay is at the end of the recording.\n");
        return 0;
    }
    shell_moved(sh);
    int r = rep_continue(sh->rep, &pos, &bp);
    if (r > 0 && pt_errmsg()[0]) {
        fprintf(sh->out, "error in the condition of breakpoint %d: %s\n", bp, pt_errmsg());
        pt_err_clear();
    }
    if (r > 0) {
        shell_print_caught(sh);
    }
    return shell_motion_done(sh, r, &pos, "continue");
}

int shell_cmd_catch(struct cli_shell *sh, const char *args)
{
    const struct rep_bp *bp;
    if (strncmp(args, "raise", 5) != 0 || (args[5] && args[5] != ' ')) {
        fprintf(sh->out, "usage: catch raise [EXCEPTION]\n");
        return -1;
    }
    const char *name = args + 5;
    name += strspn(name, " ");
    if (rep_catch_add(sh->rep, name, &bp) < 0) {
        return shell_error(sh, "catch");
    }
    fprintf(sh->out, "Catchpoint %d (raise of %s)\n", bp->id, *name ? name : "any exception");
    return 0;
}

/* After continue/reverse-continue: say which exception stopped it. */
void shell_print_caught(struct cli_shell *sh)
{
    shell_progress_clear(sh);
    const char *name = rep_caught(sh->rep);
    if (rep_state(sh->rep) == REP_READY) {
        shell_note_thread_switch(sh); /* first, as gdb says it */
    }
    if (name && name[0] && rep_state(sh->rep) == REP_READY) {
        fprintf(sh->out, "Exception raised: %s\n", name);
    }
    if (rep_state(sh->rep) == REP_READY) {
        shell_print_change(sh);
    }
}
