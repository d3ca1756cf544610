/*
 * shell_tui: what the full-screen layout's two files share: the layout's geometry
 * (shell_tui.c sets it up) and the program's kept output, which shell_tui_draw.c draws.
 */
#ifndef CLI_SHELL_TUI_H
#define CLI_SHELL_TUI_H

#include "shell.h"

#include <stddef.h>
#include <stdint.h>

enum { TUI_PYTHON = 1, TUI_SRC };

struct shell_tui {
    int layout; /* TUI_PYTHON or TUI_SRC */
    int rows, cols;
    int cmd_rows, cmd_top; /* the command region: its height and first row (1-based) */
    int from_prompt;       /* entered with Ctrl-X A: the normal screen's cursor is after the
                            * prompt, not on a fresh line */
};

#define TUI_OUTPUT_LINES 500

struct tui_line {
    char *text;
    uint64_t event; /* the event that wrote it (rep_position then) */
};

struct shell_output {
    struct tui_line lines[TUI_OUTPUT_LINES]; /* the most recent lines, oldest first */
    size_t nlines;
    int open; /* the last line has no newline yet */
};

/* Draw the position bar and the windows (not the command region). */
void tui_draw(struct cli_shell *sh, const struct shell_tui *t);
/* Only the position bar, at the tick a motion has reached (0: where the replay is stopped). */
void tui_draw_bar(struct cli_shell *sh, const struct shell_tui *t, uint64_t running);

#endif
