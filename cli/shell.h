/*
 * shell: the replay debugger's command loop. Commands come from -ex arguments, -x files and
 * then (unless --batch) an interactive readline prompt with history; each is looked up in one
 * command table (name, aliases, help). An empty line repeats the last motion command, as in
 * gdb and pdb.
 */
#ifndef CLI_SHELL_H
#define CLI_SHELL_H

#include "replayer/replayer.h"

#include <stdio.h>

struct pyi_session;

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
    int timing;                     /* maint time on */
    int interruptible;              /* Ctrl-C handling installed */
    int failed;                     /* a command failed (the exit status of --batch reflects it) */
    struct shell_display *displays; /* `display EXPR`: shown at every stop */
    int ndisplays, last_display;
};

/* Run one command line; returns 0, or -1 if the command failed (message already printed). */
int cli_shell_exec(struct cli_shell *sh, const char *line);
/* Run the commands of a file (-x). */
int cli_shell_source(struct cli_shell *sh, const char *path);
/* Interactive loop until quit or EOF. */
void cli_shell_interact(struct cli_shell *sh);

#endif
