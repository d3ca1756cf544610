/*
 * main: pytt's entry point; dispatches to the subcommands.
 */
#include "cli.h"

#include "common/pt_error.h"
#include "common/pt_trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs(
        "usage: pytt record [-o DIR] [--children] [--redact-env NAME,...] [--] PYTHON SCRIPT "
        "[ARGS...]\n"
        "       pytt replay [DIR] [-p PID | --child N] [-a] [--program-output FILE] [-ex CMD]...\n"
        "                   [-x FILE] [--batch]\n"
        "       pytt ps [DIR]\n"
        "       pytt dump PID\n"
        "       pytt events [DIR] [FIRST [LAST]]\n"
        "       pytt ls [DIR...]\n"
        "       pytt rm NAME...\n"
        "       pytt pack [DIR]\n"
        "       pytt dap [--port N]\n"
        "\n"
        "record  run a Python program and log its nondeterminism to a trace directory\n"
        "        (default: $PYTT_TRACE_DIR, else ~/.local/share/pytt/<script>-<N>)\n"
        "replay  re-execute a recording (default: the latest) in a debugger shell;\n"
        "        -a replays to the end without a shell\n"
        "ps      list a recording's processes (record --children records Python children)\n"
        "dump    print the Python stacks and locals of a running process\n"
        "events  print a trace's event log\n"
        "ls      list recordings (name, date, duration, status, size, Python, program)\n"
        "rm      delete recordings\n"
        "pack    copy into a trace every file its replay and debugging need\n"
        "dap     a Debug Adapter Protocol server (VS Code, nvim-dap, dape...)\n",
        f);
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("pytt: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    const char *e = pt_errmsg();
    if (e[0]) {
        /* messages quote paths and strings from traces: never let them drive the terminal */
        static char esc[8192];
        fprintf(stderr, ": %s", pt_escape(e, esc, sizeof esc));
    }
    fputc('\n', stderr);
    return PYTT_EXIT_ERROR;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? PYTT_EXIT_ERROR : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "record") == 0) {
        return cli_record_main(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "replay") == 0) {
        return cli_replay_main(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "events") == 0) {
        return cli_events_main(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "ls") == 0) {
        return cli_ls_main(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "rm") == 0) {
        return cli_rm_main(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "pack") == 0) {
        return cli_pack_main(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "ps") == 0) {
        return cli_ps_main(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "__record-child") == 0) {
        return cli_record_child_main(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "dap") == 0) {
        return cli_dap_main(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "dump") == 0) {
        return cli_dump_main(argc - 1, argv + 1);
    }
    fprintf(stderr, "pytt: unknown command '%s'\n", cmd);
    usage(stderr);
    return PYTT_EXIT_ERROR;
}
