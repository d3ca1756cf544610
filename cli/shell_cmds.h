/*
 * shell_cmds: the replay shell's commands, grouped by file (shell.c: motion and session;
 * shell_inspect.c: reading Python state). One table in shell.c lists them all.
 */
#ifndef CLI_SHELL_CMDS_H
#define CLI_SHELL_CMDS_H

#include "shell.h"

/* shell.c */
int shell_error(struct cli_shell *sh, const char *what);

void shell_print_end(struct cli_shell *sh);

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
/* Bring a fresh replay to the first line of the main script (or, at_end, to the last moment
 * of the recording) and print it. */
int shell_start(struct cli_shell *sh, int at_end);

/* shell_break.c */
int shell_cmd_break(struct cli_shell *sh, const char *args);
int shell_cmd_tbreak(struct cli_shell *sh, const char *args);
int shell_cmd_delete(struct cli_shell *sh, const char *args);
int shell_cmd_disable(struct cli_shell *sh, const char *args);
int shell_cmd_enable(struct cli_shell *sh, const char *args);
int shell_cmd_condition(struct cli_shell *sh, const char *args);
int shell_cmd_info_breakpoints(struct cli_shell *sh);
int shell_cmd_continue(struct cli_shell *sh, const char *args);
int shell_cmd_catch(struct cli_shell *sh, const char *args);
void shell_print_caught(struct cli_shell *sh);

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
int shell_cmd_dis(struct cli_shell *sh, const char *args);
int shell_cmd_threads(struct cli_shell *sh);
int shell_cmd_x(struct cli_shell *sh, const char *args);
int shell_cmd_disas(struct cli_shell *sh, const char *args);

/* shell_eval.c */
int shell_cmd_print(struct cli_shell *sh, const char *args);
int shell_cmd_pp(struct cli_shell *sh, const char *args);
int shell_cmd_bang(struct cli_shell *sh, const char *args);
int shell_cmd_whatis(struct cli_shell *sh, const char *args);
int shell_cmd_set(struct cli_shell *sh, const char *args);
int shell_cmd_show(struct cli_shell *sh, const char *args);
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

#endif
