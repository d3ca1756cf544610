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
/* ---- navigation by Python line (rep_nav.c) ---- */
struct pyi_session;
struct pyi_pos;
/* The pyintrospect session reading the replayed process (opened on first use; the caller
 * must not close it). NULL with pt_errmsg on failure. */
struct pyi_session *rep_pyi(struct rep_session *s);
/* Each returns 1 when stopped at the new position (*pos), 0 when the replay reached the end of
 * the recording instead, -1 on error. */
int rep_nav_start(struct rep_session *s, struct pyi_pos *pos); /* first line of the main script */
int rep_step(struct rep_session *s, struct pyi_pos *pos);      /* next 'line' event, any frame */
int rep_next(struct rep_session *s, struct pyi_pos *pos);      /* ... in this frame or a caller */
int rep_finish(struct rep_session *s, struct pyi_pos *pos);    /* back in the caller */
/* until LINE (pdb's `until lineno`, gdb's `until LOCATION`): run to the first 'line' event of
 * a line >= line in the selected frame (pyi_frame_selected: frame 0 unless `up` moved it)
 * (*reached = 1), or until that frame returns (stop in its caller) or a breakpoint is hit
 * (*reached = 0). Fails, without running, if line is not after
 * the current one or the function has no code from line on. */
int rep_until_line(struct rep_session *s, int line, struct pyi_pos *pos, int *reached);
/* After Ctrl-C interrupted a forward run: make where it got to the visible stop (on to the next
 * bytecode instruction if it stopped between two), exactly what rep_goto to that tick shows. 1
 * at a stop, 0 if the replay ended. */
int rep_stop_here(struct rep_session *s, struct pyi_pos *pos);
/* Did the last next/finish stop at a breakpoint (its number) rather than where it was going? */
int rep_stopped_at_breakpoint(const struct rep_session *s);
/* Where the replay is stopped (at a bytecode instruction). */
int rep_here(struct rep_session *s, struct pyi_pos *pos);

/* ---- breakpoints (rep_break.c) ---- */
#define REP_BP_ADDRS 16
struct rep_bp {
    int id, enabled, temporary, hits;
    int is_catch;    /* a `catch raise` catchpoint: func holds the exception name ("" any) */
    char file[1024]; /* FILE:LINE breakpoints */
    int line;
    char func[256];               /* FUNCTION breakpoints */
    char cond[512];               /* "" for none */
    uint64_t addrs[REP_BP_ADDRS]; /* bytecode addresses; none yet: pending */
    int naddrs;
    int pending_why; /* REP_PENDING_*: why it is pending, when it was set */
    char near[1024]; /* NO_LINE: the loaded file; LATER: FILE:LINE of that code; NO_FILE,
                      * NO_FUNCTION: the closest loaded name ("" if none is close) */
};
enum {
    REP_PENDING_NONE,
    REP_PENDING_NO_FILE,     /* no code of a file of that name is loaded yet */
    REP_PENDING_NO_LINE,     /* the file is loaded, but no code of that line exists yet */
    REP_PENDING_NO_FUNCTION, /* nothing of that name is loaded yet */
    REP_PENDING_LATER,       /* code of that name is loaded but not defined (bound) yet */
};
/* Add a breakpoint: spec is FILE:LINE, LINE (current file) or FUNCTION (a name, or a dotted
 * attribute path, in the current frame's scope); cond may be NULL. */
int rep_break_add(struct rep_session *s, const char *spec, const char *cond, int temporary,
                  const struct rep_bp **bp);
int rep_break_delete(struct rep_session *s, int id); /* id 0: all */
/* Breakpoints whose location is FILE:LINE (LINE in the current file) or FUNCTION: their ids in
 * ids (at most max); returns how many. */
int rep_break_find(struct rep_session *s, const char *spec, int *ids, int max);
/* ---- loaded code by name (rep_locations.c) ---- */
/* Sorted, unique names a breakpoint location can use now: loaded files (full path and base
 * name) and functions (qualified names). Free with rep_free_strings. */
int rep_break_candidates(struct rep_session *s, char ***out, size_t *n);
void rep_free_strings(char **v, size_t n);
int rep_break_enable(struct rep_session *s, int id, int on);
const struct rep_bp *rep_breakpoints(const struct rep_session *s, int *n);
/* Is breakpoint bp at line `line` of file `file` (a code object's co_filename)? */
int rep_break_at(const struct rep_bp *bp, const char *file, int line);
/* `catch raise [NAME]`: stop where an exception (of that name, or any) is raised. */
int rep_catch_add(struct rep_session *s, const char *exception, const struct rep_bp **bp);
/* The exception that made the last motion stop at a catchpoint ("" if none). */
const char *rep_caught(const struct rep_session *s);
/* Evaluate a breakpoint condition at the current stop. */
int rep_break_condition(struct rep_session *s, const char *cond, int *truth);
/* Run to the next breakpoint hit (1, *bp_id set) or the end (0). */
int rep_continue(struct rep_session *s, struct pyi_pos *pos, int *bp_id);

/* ---- progress of long motions ---- */
struct rep_progress {
    int backward; /* 1: a backward search replays the snapshot interval [from, to) */
    uint64_t from, to;
    uint64_t now; /* forward: the tick reached; to = the recording's last tick */
};
/* fn is called while a backward search replays each snapshot interval (after the first), and
 * while a forward run that has lasted a second goes on (every second). */
void rep_set_progress(struct rep_session *s, void (*fn)(void *ctx, const struct rep_progress *p),
                      void *ctx);
/* A new motion starts: forward progress is reported once it has run for a second. */
void rep_progress_restart(struct rep_session *s);
/* The replay stopped with an error (a divergence, a failure to run the tracee): the message,
 * or NULL. The state is then REP_FINISHED without being the end of the recording. */
const char *rep_failure(const struct rep_session *s);
/* What the session has done so far: ticks replayed forward, snapshots restored (the work a
 * motion cost, for `maint stats` and tests). */
void rep_stats(const struct rep_session *s, uint64_t *ticks_run, uint64_t *restores);
/* The recording's last Python tick (0 if it has none). */
uint64_t rep_last_tick(const struct rep_session *s);

/* ---- reverse execution (rep_snap.c, rep_reverse.c) ---- */
/* Take snapshots automatically while running forward (the shell does; autopilot does not),
 * and one now. */
int rep_enable_snapshots(struct rep_session *s);
/* Go to tick t, forwards or backwards. */
int rep_goto_tick(struct rep_session *s, uint64_t t);
/* Each returns 1 at the new stop (*pos), 0 when there is no earlier such moment (the replay is
 * then at the start), -1 on error. */
int rep_reverse_step(struct rep_session *s, struct pyi_pos *pos);
int rep_reverse_next(struct rep_session *s, struct pyi_pos *pos);
int rep_reverse_finish(struct rep_session *s, struct pyi_pos *pos);
int rep_reverse_continue(struct rep_session *s, struct pyi_pos *pos, int *bp_id);
/* rep_goto_tick, then make that moment the visible stop (frame line = the instruction about to
 * run, as after any motion): 1 at a stop (pos filled), 0 if t is past the last moment. */
int rep_goto(struct rep_session *s, uint64_t t, struct pyi_pos *pos);
int rep_goto_start(struct rep_session *s, struct pyi_pos *pos);
int rep_goto_end(struct rep_session *s, struct pyi_pos *pos); /* the last Python moment */
/* Post mortem: the program ended with an uncaught exception: go to where it was raised, in the
 * innermost frame of its traceback (its name in name), and return 2; 1 at the end if there was
 * none (0 if the recording has no Python moment at all). `catch raise` + reverse-continue from
 * there reports that raise (the program is shown after it), then earlier ones. */
int rep_goto_uncaught(struct rep_session *s, struct pyi_pos *pos, char *name, size_t cap);
struct rep_snapinfo {
    uint64_t tick;
    pid_t pid;
    long pss_kib; /* proportional set size: what it holds that nothing else does (-1: unknown) */
};
int rep_snapshots(const struct rep_session *s, struct rep_snapinfo *out, int max);
/* Just their ticks (rep_snapshots also measures each one's memory). */
int rep_snapshot_ticks(const struct rep_session *s, uint64_t *ticks, int max);

/* ---- the program's output (rep_output.c) ---- */
/* Output is shown once: what a motion re-executes (going back, then forward again over a part
 * already run) is not written again; output beyond the furthest point reached is. on = 1 writes
 * it every time it is re-executed, as rr does. */
void rep_set_reprint(struct rep_session *s, int on);
int rep_reprint(const struct rep_session *s);
/* Send the program's output to fn instead of the descriptors of rep_options (NULL: back to
 * them). kind 1 = stdout, 2 = stderr; event = rep_position() when it was written. */
void rep_set_output_hook(struct rep_session *s,
                         int (*fn)(void *ctx, int kind, const void *buf, size_t n, uint64_t event),
                         void *ctx);
/* Write to the descriptors of rep_options (what happens without a hook; a hook may pass bytes
 * on). */
int rep_write_output(struct rep_session *s, int kind, const void *buf, size_t n);

/* How the recording ended (PT_END_*), its code, and its message (valid once FINISHED). */
void rep_end(const struct rep_session *s, int *how, int *code, const char **msg);
void rep_close(struct rep_session *s);

#endif
