/*
 * cli: pytt's command line. Only this module prints to the terminal and exits; it turns the
 * libraries' errors (pt_errmsg) into messages that say what went wrong and what to do.
 * Exit status: a subcommand's own result, or PYTT_EXIT_ERROR (125) when pytt itself failed, so
 * it is never confused with the recorded program's status.
 */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>

#define PYTT_EXIT_ERROR 125

int cli_record_main(int argc, char **argv);
int cli_replay_main(int argc, char **argv);
int cli_dump_main(int argc, char **argv);
int cli_events_main(int argc, char **argv);
int cli_ls_main(int argc, char **argv);
int cli_rm_main(int argc, char **argv);
int cli_pack_main(int argc, char **argv);
int cli_ps_main(int argc, char **argv);
int cli_record_child_main(int argc, char **argv);
int cli_dap_main(int argc, char **argv);

/* Print "pytt: <msg>: <pt_errmsg()>" to stderr and return PYTT_EXIT_ERROR. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A stream that writes to under with control characters escaped (cli/safe_out.c). */
#include <stdio.h>
FILE *cli_safe_stream(FILE *under);

/* Trace directories (cli/tracedir.c). */
int cli_tracedir_new(const char *script, char *out, size_t cap);
int cli_tracedir_link_latest(const char *dir);
int cli_tracedir_resolve(const char *arg, char *out, size_t cap);
/* The trace root: $PYTT_TRACE_DIR, else ~/.local/share/pytt (created 0700). */
int cli_trace_root(char *out, size_t cap);
/* A trace named on the command line: a path (with a '/'), or a name under the trace root. */
int cli_trace_by_name(const char *name, char *out, size_t cap);

#endif
