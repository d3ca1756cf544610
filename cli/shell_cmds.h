/*
 * shell_cmds: the replay shell's commands, grouped by file (shell_session.c: the session,
 * info, set/show; shell_nav.c: motions; shell_break.c: breakpoints; shell_inspect.c: reading
 * Python state; shell_threads.c: threads; shell_tui.c: the full-screen layout). One table
 * (shell_table.c) lists them all and drives `help` and Tab completion.
 */
#ifndef CLI_SHELL_CMDS_H
#define CLI_SHELL_CMDS_H

#include "shell.h"

#include <stddef.h>

/* flags of a command */
enum {
    SH_REPEAT = 1 << 0,    /* an empty line repeats it (motions) */
    SH_FORWARD = 1 << 1,   /* runs the replay forward: Ctrl-C stops it where it is */
    SH_BACKWARD = 1 << 2,  /* a backward search: Ctrl-C goes back to where it started */
    SH_EVAL_HELP = 1 << 3, /* help CMD also explains how expressions are evaluated */
};
/* What the argument of a command is, for Tab completion. */
enum {
    SH_ARG_NONE,
    SH_ARG_LOCATION, /* break FILE:LINE|FUNCTION */
    SH_ARG_EXPR,     /* names in scope */
    SH_ARG_COMMAND,  /* help CMD */
    SH_ARG_WORDS,    /* one of the words in `words` */
};

struct shell_cmd {
    const char *name;
    const char *aliases; /* space separated */
    int flags;           /* SH_* */
    int (*fn)(struct cli_shell *sh, const char *args);
    const char *help;  /* one line; "USAGE: what it does" when usage is NULL */
    const char *group; /* heading in `help` (NULL: "Other commands") */
    const char *usage; /* e.g. "break FILE:LINE|LINE|FUNCTION [if COND]" */
    const char *doc;   /* more for `help CMD` (may be NULL) */
    int arg;           /* SH_ARG_* */
    const char *words; /* SH_ARG_WORDS: space separated */
};

/* shell_table.c */
const struct shell_cmd *shell_commands(size_t *n);
/* The command named word[0..n) (a name or an alias), or NULL. */
const struct shell_cmd *shell_lookup(const char *word, size_t n);
int shell_cmd_help(struct cli_shell *sh, const char *args);

/* shell.c */
int shell_error(struct cli_shell *sh, const char *what);
/* Erase the progress line a long motion left on the terminal, before printing. */
void shell_progress_clear(struct cli_shell *sh);
void shell_print_end(struct cli_shell *sh);
/* Ask a yes/no question as gdb does; without a terminal, or in --batch, or with `set confirm
 * off`, the answer is yes. */
int shell_confirm(struct cli_shell *sh, const char *question);

/* shell_session.c */
int shell_cmd_info(struct cli_shell *sh, const char *args);
int shell_cmd_when(struct cli_shell *sh, const char *args);
int shell_cmd_maint(struct cli_shell *sh, const char *args);
int shell_cmd_quit(struct cli_shell *sh, const char *args);
int shell_cmd_jump(struct cli_shell *sh, const char *args);
int shell_cmd_set(struct cli_shell *sh, const char *args);
int shell_cmd_show(struct cli_shell *sh, const char *args);
/* The replay is not stopped anywhere that can be shown: say why (the end, or a failed start);
 * returns 1 then. */
int shell_not_stopped(struct cli_shell *sh);

/* shell_nav.c */
struct pyi_pos;
void shell_print_stop(struct cli_shell *sh, const struct pyi_pos *pos);
int shell_motion_done(struct cli_shell *sh, int r, const struct pyi_pos *pos, const char *what);
int shell_cmd_step(struct cli_shell *sh, const char *args);
int shell_cmd_next(struct cli_shell *sh, const char *args);
int shell_cmd_finish(struct cli_shell *sh, const char *args);
int shell_cmd_until(struct cli_shell *sh, const char *args);
int shell_cmd_reverse_step(struct cli_shell *sh, const char *args);
int shell_cmd_reverse_next(struct cli_shell *sh, const char *args);
int shell_cmd_reverse_finish(struct cli_shell *sh, const char *args);
int shell_cmd_reverse_continue(struct cli_shell *sh, const char *args);
int shell_cmd_goto(struct cli_shell *sh, const char *args);
int shell_cmd_info_snapshots(struct cli_shell *sh);
/* After Ctrl-C stopped a forward motion: show where it stopped, as `goto` to that tick does. */
int shell_interrupted_stop(struct cli_shell *sh);
/* Bring a fresh replay to the first line of the main script (or, at_end, to the last moment
 * of the recording, or to where an uncaught exception was raised) and print it. */
int shell_start(struct cli_shell *sh, int at_end);

/* shell_break.c */
int shell_cmd_break(struct cli_shell *sh, const char *args);
int shell_cmd_tbreak(struct cli_shell *sh, const char *args);
int shell_cmd_delete(struct cli_shell *sh, const char *args);
int shell_cmd_clear(struct cli_shell *sh, const char *args);
int shell_cmd_disable(struct cli_shell *sh, const char *args);
int shell_cmd_enable(struct cli_shell *sh, const char *args);
int shell_cmd_condition(struct cli_shell *sh, const char *args);
int shell_cmd_info_breakpoints(struct cli_shell *sh);
int shell_cmd_continue(struct cli_shell *sh, const char *args);
int shell_cmd_catch(struct cli_shell *sh, const char *args);
void shell_print_caught(struct cli_shell *sh);
/* shell_watch.c */
int shell_cmd_watch(struct cli_shell *sh, const char *args);
int shell_cmd_last(struct cli_shell *sh, const char *args);
int shell_cmd_history(struct cli_shell *sh, const char *args);
int shell_cmd_trace(struct cli_shell *sh, const char *args);
int shell_cmd_info_watchpoints(struct cli_shell *sh);
void shell_print_change(struct cli_shell *sh);

/* shell_inspect.c */
struct pyi_session *shell_pyi(struct cli_shell *sh);
void shell_moved(struct cli_shell *sh);
int shell_cmd_bt(struct cli_shell *sh, const char *args);
int shell_cmd_up(struct cli_shell *sh, const char *args);
int shell_cmd_down(struct cli_shell *sh, const char *args);
int shell_cmd_frame(struct cli_shell *sh, const char *args);
int shell_cmd_locals(struct cli_shell *sh, const char *args);
int shell_print_args(struct cli_shell *sh);
int shell_cmd_globals(struct cli_shell *sh, const char *args);
int shell_cmd_list(struct cli_shell *sh, const char *args);
int shell_cmd_longlist(struct cli_shell *sh, const char *args);
int shell_cmd_dis(struct cli_shell *sh, const char *args);
int shell_cmd_x(struct cli_shell *sh, const char *args);
int shell_cmd_disas(struct cli_shell *sh, const char *args);

/* shell_threads.c */
int shell_cmd_thread(struct cli_shell *sh, const char *args);
int shell_cmd_threads(struct cli_shell *sh); /* info threads */
/* After a stop: "[Switching to thread N (...)]" when it is in another thread than the one
 * selected before. */
void shell_note_thread_switch(struct cli_shell *sh);
/* "thread 2 (Thread-1 (worker))" for the selected thread, "" when the process has one thread. */
void shell_thread_label(struct cli_shell *sh, char *buf, size_t cap);
/* `break LOC thread N [if COND]`: takes " thread N" off the end of spec (*thread = N, 0 if
 * none); -1 with the message in pt_errmsg when N is not a thread. */
int shell_break_thread_arg(struct cli_shell *sh, char *spec, int *thread);

/* shell_eval.c */
int shell_cmd_print(struct cli_shell *sh, const char *args);
int shell_cmd_pp(struct cli_shell *sh, const char *args);
int shell_cmd_bang(struct cli_shell *sh, const char *args);
int shell_cmd_whatis(struct cli_shell *sh, const char *args);
int shell_set_eval(struct cli_shell *sh, const char *args);
int shell_show_eval(struct cli_shell *sh, const char *args);
int shell_maint_eval(struct cli_shell *sh, const char *args);
/* `help print` and its kin: how expressions are evaluated. */
void shell_help_eval(struct cli_shell *sh);
int shell_cmd_display(struct cli_shell *sh, const char *args);
int shell_cmd_undisplay(struct cli_shell *sh, const char *args);
int shell_cmd_info_display(struct cli_shell *sh);
int shell_cmd_args(struct cli_shell *sh, const char *args);
int shell_cmd_retval(struct cli_shell *sh, const char *args);
int shell_cmd_interact(struct cli_shell *sh, const char *args);
/* After a stop: the display expressions; after finish: the value returned (quiet: nothing when
 * there is none). */
void shell_show_displays(struct cli_shell *sh);
int shell_print_retval(struct cli_shell *sh, int complain);
/* repr() of an object at this moment: from memory when exact, else evaluated (malloc'd). */
char *shell_value_text(struct cli_shell *sh, uint64_t obj);

/* shell_tui.c: the full-screen layout, and the program's output (kept for its window) */
void shell_output_init(struct cli_shell *sh);
void shell_output_free(struct cli_shell *sh);
int shell_cmd_layout(struct cli_shell *sh, const char *args);
int shell_cmd_tui(struct cli_shell *sh, const char *args);
int shell_cmd_refresh(struct cli_shell *sh, const char *args);
/* Redraw the windows (after every command while the layout is on). */
void shell_tui_refresh(struct cli_shell *sh);
/* A motion is running: move the position bar to the tick it reached. */
void shell_tui_progress(struct cli_shell *sh, uint64_t tick);
/* Ctrl-X A: switch the layout on or off. */
void shell_tui_toggle(struct cli_shell *sh);
/* A resize of the terminal was signalled: lay the windows out again. */
void shell_tui_resize(struct cli_shell *sh);
void shell_tui_leave(struct cli_shell *sh);

/* shell_readline.c: history, key bindings, completion */
void shell_readline_init(struct cli_shell *sh);
void shell_readline_done(struct cli_shell *sh);
/* Forget what completion learnt from the program (after every motion). */
void shell_complete_forget(void);
/* Add an entered line to the history (and to the history file). */
void shell_history_add(const char *line);
/* Was the terminal resized since the last call? */
int shell_resized(void);

#endif
