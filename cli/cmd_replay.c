/*
 * cmd_replay: `pytt replay [DIR] [-p PID | --child N] [-a] [--program-output FILE] [-ex CMD]...
 * [-x FILE] [--batch]`. Opens a trace (default: the latest recording), starts the replay, then
 * either runs it to the end (-a, autopilot: exits with the recorded program's status) or hands it
 * to the shell. The program's output goes to pytt's stdout/stderr, or all of it to FILE.
 */
#include "cli.h"
#include "shell.h"
#include "shell_cmds.h"

#include "common/pt_error.h"
#include "common/pt_procs.h"
#include "common/pt_ptrace.h"
#include "common/pt_trace.h"
#include "replayer/replayer.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct replay_args {
    const char *dir;
    int autopilot, batch, at_end;
    const char *program_output;
    const char **ex; /* the -ex commands, in order (at most argc) */
    int nex;
    const char *xfile;
    int pid, child_nr; /* -p PID, --child N: a recorded child's replay */
};

static int replay_usage(void)
{
    fputs("usage: pytt replay [DIR] [-p PID | --child N] [-a] [--end] [--program-output FILE]\n"
          "                   [-ex CMD]... [-x FILE] [--batch]\n"
          "  -p PID, --child N  replay a child recorded with `pytt record --children`\n"
          "                     (`pytt ps DIR` lists them)\n",
          stderr);
    return PYTT_EXIT_ERROR;
}

static int parse_args(int argc, char **argv, struct replay_args *a)
{
    memset(a, 0, sizeof *a);
    a->ex = calloc((size_t)argc, sizeof *a->ex);
    if (!a->ex) {
        return -1;
    }
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "-a") == 0 || strcmp(s, "--autopilot") == 0) {
            a->autopilot = 1;
        } else if (strcmp(s, "--end") == 0) {
            a->at_end = 1;
        } else if (strcmp(s, "--batch") == 0 || strcmp(s, "-batch") == 0) {
            a->batch = 1;
        } else if (strcmp(s, "--program-output") == 0 && i + 1 < argc) {
            a->program_output = argv[++i];
        } else if ((strcmp(s, "-ex") == 0 || strcmp(s, "--ex") == 0) && i + 1 < argc) {
            a->ex[a->nex++] = argv[++i];
        } else if (strcmp(s, "-p") == 0 && i + 1 < argc) {
            a->pid = atoi(argv[++i]);
            if (a->pid <= 0) {
                return -1;
            }
        } else if (strcmp(s, "--child") == 0 && i + 1 < argc) {
            a->child_nr = atoi(argv[++i]);
            if (a->child_nr <= 0) {
                return -1;
            }
        } else if (strcmp(s, "-x") == 0 && i + 1 < argc) {
            a->xfile = argv[++i];
        } else if (s[0] != '-' && !a->dir) {
            a->dir = s;
        } else {
            return -1;
        }
    }
    return 0;
}

static int recorded_status(struct rep_session *rep)
{
    int how, code;
    const char *msg;
    rep_end(rep, &how, &code, &msg);
    if (how == PT_END_EXITED) {
        return code;
    }
    if (how == PT_END_SIGNALED) {
        return 128 + code;
    }
    char esc[1024];
    fprintf(stderr, "pytt: the recording ended early, at event %llu: %s\n",
            (unsigned long long)(rep_position(rep) ? rep_position(rep) - 1 : 0),
            pt_escape(msg, esc, sizeof esc));
    return PYTT_EXIT_ERROR;
}

static void on_sigint(int sig)
{
    (void)sig;
    pt_interrupted = 1;
}

/* -a: to the end; Ctrl-C stops it (exit 130, as a shell reports SIGINT). */
static int autopilot(struct rep_session *rep, const char *dir)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    if (rep_run(rep, UINT64_MAX) == 0) {
        return recorded_status(rep);
    }
    if (pt_interrupted) {
        uint64_t tick = 0;
        rep_tick(rep, &tick);
        fprintf(stderr, "pytt: replay interrupted at event %llu (Python tick %llu)\n",
                (unsigned long long)rep_position(rep), (unsigned long long)tick);
        return 130;
    }
    return cli_fail("replay of %s failed", dir);
}

static int run_shell(struct rep_session *rep, const char *dir, const struct rep_options *opt,
                     const struct replay_args *a)
{
    struct cli_shell sh;
    cli_shell_init(&sh, rep, dir, opt->out_fd, opt->err_fd, a->batch);
    sh.out = cli_safe_stream(stdout); /* what the program named (paths, reprs) is escaped */
    shell_start(&sh, a->at_end);
    for (int i = 0; i < a->nex && !sh.quit; i++) {
        cli_shell_exec(&sh, a->ex[i]);
    }
    if (a->xfile && !sh.quit) {
        cli_shell_source(&sh, a->xfile);
    }
    int status = sh.failed ? 1 : 0; /* scripted (--batch, -x, piped): 1 if any command failed */
    if (!a->batch) {
        cli_shell_interact(&sh);
        status = isatty(0) ? 0 : sh.failed ? 1 : 0; /* a person's session: errors were said */
    }
    cli_shell_close(&sh);
    return status;
}

static int replay_main(struct replay_args *a)
{
    char dir[PATH_MAX];
    if (cli_tracedir_resolve(a->dir, dir, sizeof dir) < 0) {
        return cli_fail("cannot replay");
    }
    if ((a->pid || a->child_nr) && pt_procs_find(dir, a->pid, a->child_nr, dir, sizeof dir) < 0) {
        return cli_fail("cannot replay");
    }
    struct rep_options opt = {.trace_dir = dir, .out_fd = 1, .err_fd = 2};
    if (a->program_output) {
        int fd = open(a->program_output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            pt_fail_errno("open(%s)", a->program_output);
            return cli_fail("cannot write the program's output");
        }
        opt.out_fd = opt.err_fd = fd;
    }
    signal(SIGPIPE, SIG_IGN);
    struct rep_session *rep = NULL;
    int status;
    if (rep_open(&rep, &opt) < 0) {
        status = cli_fail("cannot replay %s", dir);
    } else if (rep_start(rep) < 0) {
        status = cli_fail("cannot start the replay of %s", dir);
    } else if (a->autopilot) {
        status = autopilot(rep, dir);
    } else {
        status = run_shell(rep, dir, &opt, a);
    }
    rep_close(rep);
    return status;
}

int cli_replay_main(int argc, char **argv)
{
    struct replay_args a;
    int status = parse_args(argc, argv, &a) < 0 ? replay_usage() : replay_main(&a);
    free(a.ex);
    return status;
}
