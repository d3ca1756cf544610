/*
 * cmd_record_child: `pytt __record-child PID DIR FD CPU STREAMS PROCS_DIR`, internal. Started
 * by a recorder running with --children (recorder/rec_adopt.c) when a descendant exec'd a
 * CPython interpreter: records that process, which waits stopped after its execve, into DIR,
 * sends what it writes to the top process's stdout/stderr (STREAMS) on FD, runs on CPU. Not
 * for people: it prints nothing but errors, which name the child.
 */
#include "cli.h"

#include "common/pt_error.h"
#include "recorder/recorder.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_record_child_main(int argc, char **argv)
{
    if (argc != 7) {
        fputs("pytt: __record-child is started by `pytt record --children`, not by hand\n", stderr);
        return PYTT_EXIT_ERROR;
    }
    signal(SIGPIPE, SIG_IGN); /* the parent's recorder may end first */
    signal(SIGINT, SIG_IGN);  /* Ctrl-C is the program's; the top recorder survives it too */
    signal(SIGQUIT, SIG_IGN);
    char *none[] = {NULL};
    struct rec_options opt = {.argv = none,
                              .trace_dir = argv[2],
                              .children = 1,
                              .procs_dir = argv[6],
                              .adopt_pid = atoi(argv[1]),
                              .out_fd = atoi(argv[3]),
                              .cpu = atoi(argv[4]),
                              .streams = argv[5]};
    struct rec_result res;
    if (rec_record(&opt, &res) < 0) {
        return cli_fail("recording child %s into %s", argv[1], argv[2]);
    }
    return 0;
}
