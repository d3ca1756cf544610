/*
 * shell_tui: the full-screen layout of the replay shell (`layout python`, `layout src`, `tui
 * enable|disable`, Ctrl-X A), drawn with plain VT100/ANSI sequences, and the program's output
 * as the shell keeps it for the layout's output window.
 *
 * The terminal's alternate screen holds the layout: a position bar on the first row, the
 * windows (shell_tui_draw.c) below it, and the command region at the bottom, which is made the
 * terminal's scroll region (DECSTBM): readline and the commands' output work there unchanged,
 * scrolling inside it, while the windows above stay put. The windows are redrawn after every
 * command (the cursor saved and restored around it), and laid out again when the terminal is
 * resized (SIGWINCH). Leaving the layout resets the scroll region and returns to the normal
 * screen, which shows the plain shell as it was.
 *
 * The program's output always passes through shell_output's hook: outside the layout it goes
 * to its descriptors as before; in the layout it goes to the output window only (unless it was
 * redirected to a file with --program-output), and the recent lines are kept either way, each
 * with the event that wrote it, so the window can dim what lies after the current moment.
 */
#include "shell_cmds.h"
#include "shell_tui.h"

#include "common/pt_error.h"

#include <readline/readline.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int last_layout = TUI_PYTHON; /* what `tui enable` and Ctrl-X A bring back */

/* ---- the program's output -------------------------------------------------------------------- */

static void keep_line(struct shell_output *o, const char *text, size_t n, uint64_t event)
{
    if (o->nlines == TUI_OUTPUT_LINES) {
        free(o->lines[0].text);
        memmove(&o->lines[0], &o->lines[1], (TUI_OUTPUT_LINES - 1) * sizeof o->lines[0]);
        o->nlines--;
    }
    struct tui_line *l = &o->lines[o->nlines++];
    l->text = strndup(text, n);
    l->event = event;
}

/* Append bytes to the kept output: the last line grows until a newline ends it. */
static void keep(struct shell_output *o, const char *buf, size_t n, uint64_t event)
{
    while (n > 0) {
        const char *nl = memchr(buf, '\n', n);
        size_t len = nl ? (size_t)(nl - buf) : n;
        if (o->open && o->nlines) {
            struct tui_line *l = &o->lines[o->nlines - 1];
            size_t old = strlen(l->text);
            char *t = realloc(l->text, old + len + 1);
            if (t && old + len < 4096) {
                memcpy(t + old, buf, len);
                t[old + len] = '\0';
                l->text = t;
            } else if (t) {
                l->text = t;
            }
        } else {
            keep_line(o, buf, len, event);
        }
        o->open = nl == NULL;
        buf += nl ? len + 1 : len;
        n -= nl ? len + 1 : len;
    }
}

static int output_hook(void *ctx, int kind, const void *buf, size_t n, uint64_t event)
{
    struct cli_shell *sh = ctx;
    int fd = kind == 1 ? sh->out_fd : sh->err_fd;
    if (sh->output) {
        keep(sh->output, buf, n, event);
    }
    if (sh->tui && isatty(fd)) {
        return 0; /* the output window shows it */
    }
    shell_progress_clear(sh);
    return rep_write_output(sh->rep, kind, buf, n);
}

void shell_output_init(struct cli_shell *sh)
{
    sh->output = calloc(1, sizeof *sh->output);
    rep_set_output_hook(sh->rep, output_hook, sh);
}

void shell_output_free(struct cli_shell *sh)
{
    if (!sh->output) {
        return;
    }
    rep_set_output_hook(sh->rep, NULL, NULL);
    for (size_t i = 0; i < sh->output->nlines; i++) {
        free(sh->output->lines[i].text);
    }
    free(sh->output);
    sh->output = NULL;
}

/* ---- the screen --------------------------------------------------------------------------------
 */

static void term_size(int *rows, int *cols)
{
    struct winsize ws;
    *rows = 24;
    *cols = 80;
    if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
        *rows = ws.ws_row;
        *cols = ws.ws_col;
    }
}

/* Where everything goes for the terminal's current size. */
static void lay_out(struct shell_tui *t)
{
    term_size(&t->rows, &t->cols);
    t->cmd_rows = t->rows / 4;
    t->cmd_rows = t->cmd_rows < 4 ? 4 : t->cmd_rows > 12 ? 12 : t->cmd_rows;
    if (t->rows - t->cmd_rows < 6 || t->cols < 30) {
        t->cmd_rows = t->rows - 1; /* too small for windows: the bar and the command line */
    }
    t->cmd_top = t->rows - t->cmd_rows + 1;
}

/* Clear the screen, make the command region the scroll region, cursor at its last row. */
static void set_up_screen(struct shell_tui *t)
{
    printf("\033[r\033[2J\033[%d;%dr\033[%d;1H", t->cmd_top, t->rows, t->rows);
    fflush(stdout);
}

void shell_tui_refresh(struct cli_shell *sh)
{
    struct shell_tui *t = sh->tui;
    if (!t) {
        return;
    }
    if (shell_resized()) {
        lay_out(t);
        set_up_screen(t);
    }
    fputs("\0337\033[?25l", stdout); /* save the cursor (in the command region), hide it */
    tui_draw(sh, t);
    fputs("\0338\033[?25h", stdout);
    fflush(stdout);
}

void shell_tui_progress(struct cli_shell *sh, uint64_t tick)
{
    if (!sh->tui) {
        return;
    }
    fputs("\0337\033[?25l", stdout); /* the replay is mid-motion: nothing is read from it */
    tui_draw_bar(sh, sh->tui, tick);
    fputs("\0338\033[?25h", stdout);
    fflush(stdout);
}

/* Readline is waiting for input (Ctrl-X A, a resize): show its prompt and line again. */
static void redisplay_prompt(void)
{
    rl_on_new_line();
    rl_forced_update_display();
}

static int enter(struct cli_shell *sh, int layout)
{
    if (!isatty(0) || !isatty(1)) {
        fprintf(sh->out, "The full-screen layout needs a terminal (stdin and stdout are not "
                         "one).\n");
        return -1;
    }
    last_layout = layout;
    if (!sh->tui) {
        sh->tui = calloc(1, sizeof *sh->tui);
        fputs("\033[?1049h", stdout); /* the alternate screen */
    }
    sh->tui->layout = layout;
    lay_out(sh->tui);
    set_up_screen(sh->tui);
    shell_tui_refresh(sh);
    return 0;
}

static void leave(struct cli_shell *sh, int to_prompt)
{
    int after_prompt = sh->tui->from_prompt;
    free(sh->tui);
    sh->tui = NULL;
    fputs("\033[r\033[?1049l", stdout); /* whole-screen scrolling, the normal screen back */
    if (after_prompt && !to_prompt) {
        fputc('\n', stdout); /* what a command prints starts on a line of its own */
    }
    fflush(stdout);
}

void shell_tui_leave(struct cli_shell *sh)
{
    if (sh->tui) {
        leave(sh, 0);
    }
}

void shell_tui_toggle(struct cli_shell *sh)
{
    if (sh->tui) {
        leave(sh, 1);
    } else if (enter(sh, last_layout) == 0) {
        sh->tui->from_prompt = 1;
    }
    redisplay_prompt();
}

void shell_tui_resize(struct cli_shell *sh)
{
    if (!sh->tui) {
        return;
    }
    lay_out(sh->tui);
    set_up_screen(sh->tui);
    shell_tui_refresh(sh);
    redisplay_prompt();
}

/* ---- commands -------------------------------------------------------------------------------- */

int shell_cmd_layout(struct cli_shell *sh, const char *args)
{
    if (strcmp(args, "python") == 0 || strcmp(args, "py") == 0) {
        return enter(sh, TUI_PYTHON);
    }
    if (strcmp(args, "src") == 0) {
        return enter(sh, TUI_SRC);
    }
    fprintf(sh->out, "usage: layout python|src (tui disable leaves the layout)\n");
    return -1;
}

int shell_cmd_tui(struct cli_shell *sh, const char *args)
{
    if (strcmp(args, "enable") == 0) {
        return enter(sh, last_layout);
    }
    if (strcmp(args, "disable") == 0) {
        int was_on = sh->tui != NULL;
        shell_tui_leave(sh);
        if (was_on && rep_state(sh->rep) == REP_READY && !sh->unusable) {
            shell_cmd_frame(sh, ""); /* where the plain shell is */
        }
        return 0;
    }
    fprintf(sh->out, "usage: tui enable|disable\n");
    return -1;
}

int shell_cmd_refresh(struct cli_shell *sh, const char *args)
{
    if (!sh->tui) {
        fprintf(sh->out, "The full-screen layout is off (layout python turns it on).\n");
        return -1;
    }
    set_up_screen(sh->tui);
    return 0; /* the windows are redrawn after every command */
}
