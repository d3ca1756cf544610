/*
 * recorder: `pytt record`. Runs a command under ptrace until it execs a CPython interpreter,
 * then logs every source of nondeterminism of that interpreter process (syscall results and
 * the memory they write, signals, rdtsc) into a trace directory that the replayer re-executes.
 * See docs/architecture.md for the design and docs/trace-format.md for the output.
 */
#ifndef RECORDER_H
#define RECORDER_H

#include <stdint.h>

struct rec_options {
    char **argv;                   /* the command (argv[0] searched in PATH) */
    const char *trace_dir;         /* an existing, empty directory */
    const char *const *redact_env; /* variable names (fnmatch patterns) kept out of the trace */
    int nredact;
    int chaos;           /* --chaos: random thread schedules (rr's chaos mode) */
    int no_sysbuf;       /* --no-syscallbuf: every syscall stops (no in-process buffer) */
    uint64_t chaos_seed; /* 0: from the clock */
    /* --children: Python descendants that exec an interpreter are recorded too, each into
     * procs_dir/PID by a recorder of its own (rec_adopt.c) */
    int children;
    const char *procs_dir; /* NULL: <trace_dir>/procs */
    /* A child recorder (`pytt __record-child`): the task to take over, stopped after its
     * execve; the fd to send its writes to the top process's stdout/stderr to; its CPU;
     * which of its fds those streams are ("FD:KIND,...", KIND 1 stdout 2 stderr) */
    int adopt_pid;
    int out_fd; /* -1 (or 0 in a zeroed struct): none */
    int cpu;
    const char *streams;
    /* the gate of the recorder that handed the task over (rec_gate_peers.c): a memfd (> 0)
     * and this recorder's slot in it */
    int gate_fd, gate_slot;
};

struct rec_result {
    int header_written; /* 0 if recording never started (nothing worth keeping) */
    int how;            /* PT_END_EXITED, PT_END_SIGNALED, PT_END_ABORTED */
    int code;           /* exit status or signal number */
    uint64_t nevents;
    uint64_t nsyscalls;
    uint64_t trace_bytes;
    char python_version[16];
    int released;        /* the trace could not be written: 1 the program ran on untraced,
                          * -1 it had to be killed (how/code: how it ended) */
    char stop_msg[768];  /* with released: why the recording stopped */
    uint64_t stopped_at; /* with released: events the trace holds */
};

/* Before anything runs: can this command start a CPython interpreter? 0 if it can (or may: a
 * script), -1 with the reason in pt_errmsg() (rec_precheck.c). */
int rec_check_command(char **argv);
/* Record. Returns 0 when the program ran to its end (whatever its status), -1 when recording
 * failed or stopped early (res->how == PT_END_ABORTED; the trace, if started, replays up to
 * that point). The error is in pt_errmsg(). When the trace could not be written any more (a
 * full disk) the program was released (res->released) and 0 is returned with its status. */
int rec_record(const struct rec_options *opt, struct rec_result *res);

#endif
