/*
 * cmd_ps: `pytt ps [DIR]`: the processes of a recording: pid, parent, how it ended, how long it
 * ran, whether it was recorded (and how to replay it), command line. Without --children at
 * record time only the recorded process is listed. The data comes from common/pt_procs.
 */
#define _GNU_SOURCE
#include "cli.h"

#include "common/pt_error.h"
#include "common/pt_procs.h"
#include "common/pt_trace.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void status_str(const struct pt_procinfo *p, char *out, size_t cap)
{
    if (p->how == PT_END_EXITED) {
        snprintf(out, cap, "exit %d", p->code);
    } else if (p->how == PT_END_SIGNALED) {
        const char *name = sigabbrev_np(p->code);
        snprintf(out, cap, "SIG%s", name ? name : "?");
    } else if (p->how == PT_END_ABORTED) {
        snprintf(out, cap, "stopped");
    } else {
        snprintf(out, cap, "running");
    }
}

static void record_str(const struct pt_procinfo *p, char *out, size_t cap)
{
    switch (p->kind) {
    case PT_PROC_TOP:
        snprintf(out, cap, "recorded (replay DIR)");
        break;
    case PT_PROC_RECORDED:
        snprintf(out, cap, "recorded (-p %d, --child %d)", p->pid, p->child_nr);
        break;
    case PT_PROC_FORK:
        snprintf(out, cap, "not recorded: fork child");
        break;
    case PT_PROC_UNUSABLE:
        snprintf(out, cap, "not recorded: Python without debug info");
        break;
    case PT_PROC_UNCHECKED:
        snprintf(out, cap, "not recorded: no --children");
        break;
    default:
        snprintf(out, cap, "not recorded: not Python");
    }
}

static void print_proc(const struct pt_procinfo *p)
{
    char ppid[16] = "-", status[32], dur[32] = "-", rec[64], esc[2048];
    if (p->ppid) {
        snprintf(ppid, sizeof ppid, "%d", p->ppid);
    }
    status_str(p, status, sizeof status);
    if (p->end_ns && p->start_ns && p->end_ns >= p->start_ns) {
        snprintf(dur, sizeof dur, "%.2fs", (double)(p->end_ns - p->start_ns) / 1e9);
    }
    record_str(p, rec, sizeof rec);
    printf("%-7d %-7s %-9s %-8s %-32s %s\n", p->pid, ppid, status, dur, rec,
           pt_escape(p->cmd, esc, sizeof esc));
}

int cli_ps_main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fputs("usage: pytt ps [DIR]\n", stderr);
        return PYTT_EXIT_ERROR;
    }
    char dir[PATH_MAX];
    if (cli_tracedir_resolve(argc == 2 ? argv[1] : NULL, dir, sizeof dir) < 0) {
        return cli_fail("cannot list the processes");
    }
    struct pt_procinfo *v;
    size_t n;
    if (pt_procs_list(dir, &v, &n) < 0) {
        return cli_fail("cannot list the processes of %s", dir);
    }
    printf("%-7s %-7s %-9s %-8s %-32s %s\n", "PID", "PPID", "STATUS", "TIME", "RECORDED",
           "COMMAND");
    int forks = 0, unchecked = 0;
    for (size_t i = 0; i < n; i++) {
        print_proc(&v[i]);
        forks += v[i].kind == PT_PROC_FORK;
        unchecked += v[i].kind == PT_PROC_UNCHECKED;
    }
    if (unchecked) {
        printf("recorded without --children: `pytt record --children` records the children "
               "that run a Python interpreter\n");
    }
    if (n == 1) {
        printf("(no other process recorded: `pytt record --children` records Python children)\n");
    }
    if (forks) {
        printf("fork children (multiprocessing's default 'fork' start method, os.fork) are not "
               "recorded yet:\nuse multiprocessing.set_start_method('spawn') or a subprocess "
               "of sys.executable to record them\n");
    }
    free(v);
    return 0;
}
