/*
 * shell_nav: the replay shell's motion commands by Python line (step, next, finish/return,
 * until) and the stop report, printed as pdb prints it so that editors following pdb follow
 * pytt too:
 *     > /abs/path/app.py(12)compute()
 *     -> total += price
 */
#include "shell_cmds.h"

#include "common/pt_clock.h"
#include "common/pt_error.h"
#include "common/pt_ptrace.h"
#include "pyintrospect/pyintrospect.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void shell_print_stop(struct cli_shell *sh, const struct pyi_pos *pos)
{
    size_t len = 0;
    if (sh->tui) {
        return; /* the source window shows it, as gdb's TUI does */
    }
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
    shell_progress_clear(sh);
    if (r < 0) {
        return shell_error(sh, what);
    }
    if (r == 0 || rep_state(sh->rep) != REP_READY) {
        shell_print_end(sh);
        return 0;
    }
    shell_note_thread_switch(sh);
    shell_print_stop(sh, pos);
    if (strcmp(what, "finish") == 0) {
        shell_print_retval(sh, 0);
    }
    shell_show_displays(sh);
    return 0;
}

/* The replay cannot move from here: at the end (where only going back makes sense), or it
 * never started, or it stopped with an error. Says so and returns 1. */
static int cannot_move(struct cli_shell *sh, int reverse)
{
    struct pyi_pos pos;
    if (sh->unusable || rep_failure(sh->rep)) {
        return shell_not_stopped(sh);
    }
    if (rep_state(sh->rep) == REP_READY || (reverse && rep_goto_end(sh->rep, &pos) > 0)) {
        return 0;
    }
    fprintf(sh->out, "The replay is at the end of the recording.\n");
    return 1;
}

static int motion(struct cli_shell *sh, int (*fn)(struct rep_session *, struct pyi_pos *),
                  const char *what)
{
    struct pyi_pos pos;
    int reverse = strncmp(what, "reverse", 7) == 0;
    if (cannot_move(sh, reverse)) {
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
    if (rep_here_selected(rep, &start) < 0) {
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

/* until N: the first line >= N in this frame, or say why it stopped elsewhere. */
static int until_line(struct cli_shell *sh, int line)
{
    struct pyi_pos pos, start;
    int reached;
    if (cannot_move(sh, 0)) {
        return -1;
    }
    struct pyi_session *p = rep_pyi(sh->rep);
    const struct pyi_frame *f;
    size_t n;
    if (!p || pyi_frames(p, &f, &n) < 0 || pyi_frame_selected(p) >= n) {
        return shell_error(sh, "until");
    }
    snprintf(start.name, sizeof start.name, "%s", f[pyi_frame_selected(p)].funcname);
    int r = rep_until_line(sh->rep, line, &pos, &reached); /* from the selected frame */
    shell_complete_forget();
    if (r > 0 && !reached) {
        int bp = rep_stopped_at_breakpoint(sh->rep);
        if (bp) {
            fprintf(sh->out, "Breakpoint %d hit before line %d was reached.\n", bp, line);
        } else {
            fprintf(sh->out, "%s() returned before reaching line %d.\n", start.name, line);
        }
    } else if (r == 0) {
        fprintf(sh->out, "The recording ended before line %d was reached.\n", line);
    }
    return shell_motion_done(sh, r, &pos, "until");
}

int shell_cmd_until(struct cli_shell *sh, const char *args)
{
    char *end;
    if (!*args) {
        return motion(sh, until_fn, "until");
    }
    long line = strtol(args, &end, 10);
    if (line <= 0 || *end) {
        fprintf(sh->out, "usage: until [LINE] (a line number in the current function)\n");
        return -1;
    }
    return until_line(sh, (int)line);
}

int shell_interrupted_stop(struct cli_shell *sh)
{
    struct pyi_pos pos;
    shell_moved(sh);
    int r = rep_stop_here(sh->rep, &pos);
    return shell_motion_done(sh, r, &pos, "stopping there");
}

/* --end: run the whole recording first, so that what the program printed at its very end (an
 * uncaught exception's traceback is printed after its last bytecode) is shown, then stop where
 * the uncaught exception was raised, or at the last Python moment. */
static int start_at_end(struct cli_shell *sh, struct pyi_pos *pos)
{
    char name[256];
    if (rep_run(sh->rep, UINT64_MAX) < 0) {
        return -1;
    }
    shell_print_end(sh);
    int r = rep_goto_uncaught(sh->rep, pos, name, sizeof name);
    if (r == 2) {
        fprintf(sh->out,
                "Post mortem: the uncaught %s was raised here, in the innermost frame of "
                "its traceback:\n",
                name[0] ? name : "exception");
    }
    return r;
}

int shell_start(struct cli_shell *sh, int at_end)
{
    struct pyi_pos pos;
    int r = rep_nav_start(sh->rep, &pos);
    if (r > 0 && rep_enable_snapshots(sh->rep) < 0) {
        r = -1;
    }
    if (r > 0 && at_end) {
        r = start_at_end(sh, &pos);
    }
    if (r < 0 && !pt_interrupted) {
        sh->unusable = 1; /* never to be taken for the end of the recording */
        snprintf(sh->unusable_why, sizeof sh->unusable_why, "%s", pt_errmsg());
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
    if (cannot_move(sh, 1)) {
        return -1;
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
    int r;
    if (sh->unusable) {
        return shell_not_stopped(sh) ? -1 : 0;
    }
    shell_moved(sh);
    if (strcmp(args, "start") == 0) {
        r = rep_goto_start(sh->rep, &pos);
    } else if (strcmp(args, "end") == 0) {
        r = rep_goto_end(sh->rep, &pos);
    } else {
        uint64_t tick;
        if (!*args || pt_tick_parse(args, &tick) < 0) {
            pt_err_clear();
            fprintf(sh->out, "usage: goto TICK|start|end (TICK as `when` shows it: C.k)\n");
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
        char t[PT_TICK_STRLEN];
        fprintf(sh->out, "  tick %-16s pid %-7d %ld KiB (proportional set size)\n",
                pt_tick_str(snaps[i].tick, t), (int)snaps[i].pid, snaps[i].pss_kib);
    }
    return 0;
}
