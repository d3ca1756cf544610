/*
 * cmd_record_child: `pytt __record-child PID DIR FD CPU STREAMS PROCS_DIR GATE [OPTION...]`,
 * internal. Started by a recorder running with --children (recorder/rec_adopt.c) when a
 * descendant exec'd a CPython interpreter: records that process, which waits stopped after
 * its execve, into DIR, sends what it writes to the top process's stdout/stderr (STREAMS) on
 * FD, runs on CPU, runs user code only while the gate GATE ("MEMFD:SLOT") of the recorder that
 * started it is open; OPTIONs are the top recording's (--redact-env NAME, --chaos[=SEED]).
 * Not for people: it prints nothing but errors, which name the child.
 */
#include "cli.h"

#include "common/pt_error.h"
#include "recorder/recorder.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REDACT 64

/* The trailing options; 0, or -1 on an unknown one. */
static int child_options(int argc, char **argv, struct rec_options *opt, const char **redact)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--redact-env") == 0 && i + 1 < argc && opt->nredact < MAX_REDACT) {
            redact[opt->nredact++] = argv[++i];
        } else if (strcmp(argv[i], "--no-syscallbuf") == 0) {
            opt->no_sysbuf = 1;
        } else if (strcmp(argv[i], "--chaos") == 0) {
            opt->chaos = 1;
        } else if (strncmp(argv[i], "--chaos=", 8) == 0) {
            opt->chaos = 1;
            opt->chaos_seed = strtoull(argv[i] + 8, NULL, 10);
        } else {
            fprintf(stderr, "pytt: __record-child: unknown option '%s'\n", argv[i]);
            return -1;
        }
    }
    opt->redact_env = redact;
    return 0;
}

int cli_record_child_main(int argc, char **argv)
{
    if (argc < 8) {
        fputs("pytt: __record-child is started by `pytt record --children`, not by hand\n", stderr);
        return PYTT_EXIT_ERROR;
    }
    signal(SIGPIPE, SIG_IGN); /* the parent's recorder may end first */
    signal(SIGINT, SIG_IGN);  /* Ctrl-C is the program's; the top recorder survives it too */
    signal(SIGQUIT, SIG_IGN);
    char *none[] = {NULL};
    const char *redact[MAX_REDACT];
    struct rec_options opt = {.argv = none,
                              .trace_dir = argv[2],
                              .children = 1,
                              .procs_dir = argv[6],
                              .adopt_pid = atoi(argv[1]),
                              .out_fd = atoi(argv[3]),
                              .cpu = atoi(argv[4]),
                              .streams = argv[5]};
    if (sscanf(argv[7], "%d:%d", &opt.gate_fd, &opt.gate_slot) != 2 ||
        child_options(argc - 8, argv + 8, &opt, redact) < 0) {
        fputs("pytt: __record-child: bad arguments\n", stderr);
        return PYTT_EXIT_ERROR;
    }
    struct rec_result res;
    if (rec_record(&opt, &res) < 0) {
        return cli_fail("recording child %s into %s", argv[1], argv[2]);
    }
    return 0;
}
