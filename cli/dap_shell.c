/*
 * dap_shell: the debug console takes pytt's shell commands too. An `evaluate` request with
 * context "repl" whose expression starts with "-exec " (as lldb-dap does) or "`" runs the rest
 * as a command of `pytt replay`'s shell (cli/shell.c: the same command table, parser and text)
 * on the adapter's replay, in the frame the client selected; the response's result is what
 * the command printed. A command that moves the replay (reverse-step, goto, until, continue...)
 * is then reported with a stopped event, as a motion request is, so the client refreshes its
 * views; the program's output on the way arrives as output events. Commands that take the
 * terminal or end the session (layout, tui, refresh, interact, quit) are refused, each with
 * what to use instead.
 */
#define _GNU_SOURCE
#include "dap.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"
#include "shell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dap_repl_is_command(const char *expr, const char **cmd)
{
    if (strncmp(expr, "-exec ", 6) == 0) {
        *cmd = expr + 6;
        return 1;
    }
    if (expr[0] == '`') {
        *cmd = expr + 1;
        return 1;
    }
    return 0;
}

/* A command the console cannot run: why, or NULL. */
static const char *refused(const char *line)
{
    static const struct {
        const char *name, *why;
    } no[] = {
        {"layout", "the editor shows the source, stack and variables"},
        {"tui", "the editor shows the source, stack and variables"},
        {"refresh", "the editor shows the source, stack and variables"},
        {"interact", "evaluate Python in the console without a prefix"},
        {"quit", "stop the debug session in the editor"},
        {"q", "stop the debug session in the editor"},
    };
    line += strspn(line, " \t");
    size_t n = strcspn(line, " \t");
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        if (n == strlen(no[i].name) && strncmp(line, no[i].name, n) == 0) {
            return no[i].why;
        }
    }
    return NULL;
}

/* Where the replay is: its tick, or all ones at the end. */
static uint64_t where(struct dap *d)
{
    uint64_t t = UINT64_MAX;
    if (rep_state(d->rep) != REP_READY || rep_tick(d->rep, &t) < 0) {
        pt_err_clear();
        t = UINT64_MAX;
    }
    return t;
}

int dap_repl_command(struct dap *d, const struct pt_json *req, const char *line)
{
    const char *why = refused(line);
    if (why) {
        return dap_error(d, req, "-exec %s: not in the debug console (%s)", line, why);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        return dap_error(d, req, "-exec: out of memory");
    }
    struct cli_shell sh;
    cli_shell_init(&sh, d->rep, d->trace_dir, -1, -1, 1);
    sh.out = out;
    sh.interruptible = 1; /* the adapter's pause interrupts it (dap_io.c) */
    rep_set_output_hook(d->rep, dap_program_output, d);
    uint64_t before = where(d);
    int rc = cli_shell_exec(&sh, line);
    cli_shell_close(&sh);
    rep_set_output_hook(d->rep, dap_program_output, d);
    fclose(out);
    pt_interrupted = 0;
    pt_err_clear();
    int moved = where(d) != before;
    if (rc < 0 && !moved) {
        while (len && text[len - 1] == '\n') {
            text[--len] = 0;
        }
        dap_error(d, req, "%s", len ? text : "the command failed");
    } else {
        struct pt_jw w;
        dap_begin_response(d, &w, req);
        pt_jw_key(&w, "result");
        pt_jw_strn(&w, text, len);
        pt_jw_kint(&w, "variablesReference", 0);
        dap_end_response(d, &w);
    }
    free(text);
    if (moved) {
        dap_forget_stop(d);
        dap_report_stop(d);
    }
    return 0;
}
