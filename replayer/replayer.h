/*
 * replayer: `pytt replay`. Re-executes a recorded run deterministically: the same binary is
 * started in the same initial state (byte-identical stack, same layout, AT_RANDOM), every
 * syscall is matched against the log and either emulated from it (the kernel never runs it)
 * or, if it shapes the address space or the process, executed for real at the recorded
 * addresses; signals are injected where they were delivered. Anything the program does
 * differently from the recording stops the replay with a divergence error naming the event.
 *
 * The session is driven by the CLI (autopilot) and by the debugger shell; later layers (the
 * Python clock, snapshots) stop it at finer moments than events.
 */
#ifndef REPLAYER_H
#define REPLAYER_H

#include "common/pt_trace.h"

#include <stdint.h>
#include <sys/types.h>

struct rep_options {
    const char *trace_dir;
    int out_fd; /* where the program's stdout goes */
    int err_fd; /* where the program's stderr goes */
};

struct rep_session;

enum rep_state {
    REP_READY = 1, /* stopped at a point between events */
    REP_FINISHED,  /* the recording's end was reached */
};

/* Open and validate a trace and check every file it depends on (binary, loader). */
int rep_open(struct rep_session **out, const struct rep_options *opt);
/* Start the tracee and bring it to the recorded initial state (the first instruction). */
int rep_start(struct rep_session *s);
/* Run until the end of the recording, or until `until_event` events have been replayed. */
int rep_run(struct rep_session *s, uint64_t until_event);
/* Run forward until Python tick `tick` (or the end). */
int rep_run_to_tick(struct rep_session *s, uint64_t tick);
/* The current Python tick (bytecode dispatches since the clock started); at the end, the last. */
int rep_tick(struct rep_session *s, uint64_t *tick);
int rep_state(const struct rep_session *s);
const struct pt_header *rep_header(const struct rep_session *s);
uint64_t rep_position(const struct rep_session *s); /* events replayed so far */
uint64_t rep_nevents(const struct rep_session *s);  /* events in the trace */
pid_t rep_pid(const struct rep_session *s);
/* The replayed process's memory (valid while READY). */
struct pt_mem *rep_mem(struct rep_session *s);
/* How the recording ended (PT_END_*), its code, and its message (valid once FINISHED). */
void rep_end(const struct rep_session *s, int *how, int *code, const char **msg);
void rep_close(struct rep_session *s);

#endif
