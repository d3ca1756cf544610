/*
 * shell_cmds: the replay shell's commands, grouped by file (shell.c: motion and session;
 * shell_inspect.c: reading Python state). One table in shell.c lists them all.
 */
#ifndef CLI_SHELL_CMDS_H
#define CLI_SHELL_CMDS_H

#include "shell.h"

/* shell.c */
int shell_error(struct cli_shell *sh, const char *what);

/* shell_inspect.c */
struct pyi_session *shell_pyi(struct cli_shell *sh);
void shell_moved(struct cli_shell *sh);
int shell_cmd_bt(struct cli_shell *sh, const char *args);
int shell_cmd_up(struct cli_shell *sh, const char *args);
int shell_cmd_down(struct cli_shell *sh, const char *args);
int shell_cmd_frame(struct cli_shell *sh, const char *args);
int shell_cmd_locals(struct cli_shell *sh, const char *args);
int shell_cmd_globals(struct cli_shell *sh, const char *args);
int shell_cmd_print(struct cli_shell *sh, const char *args);
int shell_cmd_list(struct cli_shell *sh, const char *args);
int shell_cmd_dis(struct cli_shell *sh, const char *args);
int shell_cmd_threads(struct cli_shell *sh);
int shell_cmd_x(struct cli_shell *sh, const char *args);
int shell_cmd_disas(struct cli_shell *sh, const char *args);

#endif
