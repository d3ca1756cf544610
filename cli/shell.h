/*
 * shell: the replay debugger's command loop. Commands come from -ex arguments, -x files and
 * then (unless --batch) an interactive readline prompt with history saved across sessions and
 * Tab completion; each is looked up in one command table (name, aliases, group, help), which
 * also drives `help` and completion. An empty line repeats the last motion command, as in gdb
 * and pdb. `layout python` turns the terminal into a full-screen view (shell_tui.c) refreshed
 * at every stop.
 */
#ifndef CLI_SHELL_H
#define CLI_SHELL_H

#include "replayer/replayer.h"

#include <stdio.h>

struct pyi_session;
struct shell_tui;
struct shell_output;

struct shell_display {
    int id;
    char *expr;
};

struct cli_shell {
    struct rep_session *rep;
    const char *trace_dir;
    FILE *out;
    char last_motion[256];
    int quit;
    int timing;         /* maint time on */
    int interruptible;  /* Ctrl-C handling installed */
    int failed;         /* a command failed (the exit status of --batch reflects it) */
    int batch;          /* --batch: never ask a question (delete, clear) */
    int confirm;        /* set confirm on|off (default on, as gdb) */
    int progress_shown; /* a progress line is on the terminal (erased after the command) */
    int unusable;       /* the replay could not start: no stop to show, say why instead */
    char unusable_why[512];
    struct shell_tui *tui;       /* the full-screen layout, NULL when off (shell_tui.c) */
    int out_fd, err_fd;          /* where the program's output goes (--program-output or 1 and 2) */
    struct shell_output *output; /* the program's recent output, for the layout's window */
    struct shell_display *displays; /* `display EXPR`: shown at every stop */
    int ndisplays, last_display;
};

/* Set up a shell on a started replay: the program's output passes through the shell (kept for
 * the layout's output window). */
void cli_shell_init(struct cli_shell *sh, struct rep_session *rep, const char *trace_dir,
                    int out_fd, int err_fd, int batch);
/* Run one command line; returns 0, or -1 if the command failed (message already printed). */
int cli_shell_exec(struct cli_shell *sh, const char *line);
/* Run the commands of a file (-x). */
int cli_shell_source(struct cli_shell *sh, const char *path);
/* Interactive loop until quit or EOF. */
void cli_shell_interact(struct cli_shell *sh);
/* Release what the shell holds (the layout, the terminal state). */
void cli_shell_close(struct cli_shell *sh);

#endif
