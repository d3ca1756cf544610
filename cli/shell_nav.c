/*
 * shell_nav: the replay shell's motion commands by Python line (step, next, finish/return,
 * until) and the stop report, printed as pdb prints it so that editors following pdb follow
 * pytt too:
 *     > /abs/path/app.py(12)compute()
 *     -> total += price
 */
#include "shell_cmds.h"

#include "common/pt_error.h"
#include "pyintrospect/pyintrospect.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void shell_print_stop(struct cli_shell *sh, const struct pyi_pos *pos)
{
    size_t len = 0;
    struct pyi_pos shown = *pos;
    if (shown.line < 0) { /* an instruction without a line: the frame is still on the call's */
        shown.line = shown.line_of_prev;
    }
    pos = &shown;
    struct pyi_session *p = rep_pyi(sh->rep);
    const char *src = p ? pyi_source_text(p, pos->filename, pos->line, &len) : NULL;
    fprintf(sh->out, "> %s(%d)%s()\n", pos->filename, pos->line, pos->name);
    if (src) {
        while (len && isspace((unsigned char)*src)) {
            src++;
            len--;
        }
        while (len && isspace((unsigned char)src[len - 1])) {
            len--;
        }
        fprintf(sh->out, "-> %.*s\n", (int)len, src);
    }
    pt_err_clear();
}

/* Report the outcome of a motion: the new stop, the end, or an error. */
int shell_motion_done(struct cli_shell *sh, int r, const struct pyi_pos *pos, const char *what)
{
    if (r < 0) {
        return shell_error(sh, what);
    }
    if (r == 0 || rep_state(sh->rep) != REP_READY) {
        shell_print_end(sh);
        return 0;
    }
    shell_print_stop(sh, pos);
    return 0;
}

static int motion(struct cli_shell *sh, int (*fn)(struct rep_session *, struct pyi_pos *),
                  const char *what)
{
    struct pyi_pos pos;
    int reverse = strncmp(what, "reverse", 7) == 0;
    if (rep_state(sh->rep) != REP_READY && !(reverse && rep_goto_end(sh->rep, &pos) > 0)) {
        fprintf(sh->out, "The replay is at the end of the recording.\n");
        return -1;
    }
    shell_moved(sh);
    int r = fn(sh->rep, &pos);
    if (r == 0 && reverse) {
        fprintf(sh->out, "At the start of the recording.\n");
        r = 1;
    }
    return shell_motion_done(sh, r, &pos, what);
}

int shell_cmd_step(struct cli_shell *sh, const char *args)
{
    return motion(sh, rep_step, "step");
}

int shell_cmd_next(struct cli_shell *sh, const char *args)
{
    return motion(sh, rep_next, "next");
}

int shell_cmd_finish(struct cli_shell *sh, const char *args)
{
    return motion(sh, rep_finish, "finish");
}

/* pdb's until: the next line greater than this one in this frame, or a return. */
static int until_fn(struct rep_session *rep, struct pyi_pos *pos)
{
    struct pyi_pos start;
    if (rep_here(rep, &start) < 0) {
        return -1;
    }
    for (;;) {
        int r = rep_next(rep, pos);
        if (r <= 0 || rep_stopped_at_breakpoint(rep) || pos->frame != start.frame ||
            pos->line > start.line) {
            return r;
        }
    }
}

int shell_cmd_until(struct cli_shell *sh, const char *args)
{
    return motion(sh, until_fn, "until");
}

int shell_start(struct cli_shell *sh, int at_end)
{
    struct pyi_pos pos;
    int r = rep_nav_start(sh->rep, &pos);
    if (r > 0 && rep_enable_snapshots(sh->rep) < 0) {
        r = -1;
    }
    if (r > 0 && at_end) {
        /* Run the whole recording first, so that what the program printed at its very end
         * (an uncaught exception's traceback is printed after its last bytecode) is shown,
         * then go back to its last Python moment. */
        if (rep_run(sh->rep, UINT64_MAX) < 0) {
            r = -1;
        } else {
            shell_print_end(sh);
            r = rep_goto_end(sh->rep, &pos);
        }
    }
    int unsupported = r < 0 && strstr(pt_errmsg(), "unsupported version") != NULL;
    struct pyi_session *p = r > 0 ? rep_pyi(sh->rep) : NULL;
    int differ = 0;
    const char *notes = p ? pyi_layout_check(p, NULL, &differ) : "";
    if (differ) {
        fprintf(sh->out, "warning: %s\n", notes);
    }
    pt_err_clear();
    int rc = shell_motion_done(sh, r, &pos, "cannot reach the main script");
    if (unsupported) {
        fprintf(sh->out, "The recording still replays: pytt replay %s -a\n", sh->trace_dir);
    }
    return rc;
}

int shell_cmd_reverse_step(struct cli_shell *sh, const char *args)
{
    return motion(sh, rep_reverse_step, "reverse-step");
}

int shell_cmd_reverse_next(struct cli_shell *sh, const char *args)
{
    return motion(sh, rep_reverse_next, "reverse-next");
}

int shell_cmd_reverse_finish(struct cli_shell *sh, const char *args)
{
    return motion(sh, rep_reverse_finish, "reverse-finish");
}

int shell_cmd_reverse_continue(struct cli_shell *sh, const char *args)
{
    struct pyi_pos pos;
    int bp = 0;
    if (rep_state(sh->rep) != REP_READY) {
        if (rep_goto_end(sh->rep, &pos) < 0) {
            return shell_error(sh, "reverse-continue");
        }
    }
    shell_moved(sh);
    int r = rep_reverse_continue(sh->rep, &pos, &bp);
    if (r > 0) {
        shell_print_caught(sh);
    }
    if (r == 0) {
        fprintf(sh->out, "No breakpoint hit before this point: at the start of the recording.\n");
    }
    return shell_motion_done(sh, r < 0 ? -1 : 1, &pos, "reverse-continue");
}

int shell_cmd_goto(struct cli_shell *sh, const char *args)
{
    struct pyi_pos pos;
    char *end;
    int r;
    shell_moved(sh);
    if (strcmp(args, "start") == 0) {
        r = rep_goto_start(sh->rep, &pos);
    } else if (strcmp(args, "end") == 0) {
        r = rep_goto_end(sh->rep, &pos);
    } else {
        unsigned long long tick = strtoull(args, &end, 10);
        if (!*args || *end) {
            fprintf(sh->out, "usage: goto TICK|start|end\n");
            return -1;
        }
        r = rep_goto(sh->rep, tick, &pos);
    }
    return shell_motion_done(sh, r, &pos, "goto");
}

int shell_cmd_info_snapshots(struct cli_shell *sh)
{
    struct rep_snapinfo snaps[64];
    int n = rep_snapshots(sh->rep, snaps, 64);
    fprintf(sh->out, "%d snapshot%s (forks of the replayed process, sharing memory with it)\n", n,
            n == 1 ? "" : "s");
    for (int i = 0; i < n; i++) {
        fprintf(sh->out, "  tick %-12llu pid %-7d %ld KiB (proportional set size)\n",
                (unsigned long long)snaps[i].tick, (int)snaps[i].pid, snaps[i].pss_kib);
    }
    return 0;
}
