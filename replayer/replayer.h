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

#include "common/pt_cond.h"
#include "common/pt_trace.h"
#include "pyintrospect/pyintrospect.h"

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
/* Right after `finish` (while the replay is still at that stop): the value the function returned
 * (gdb's "Value returned"). 1 with *obj and the function's name, 0 when there is none here (*why
 * says why), -1 on error. Evaluations then also see it as __return__, as in pdb. */
int rep_return_value(struct rep_session *s, uint64_t *obj, const char **func, const char **why);
/* Did the last next/finish stop at a breakpoint (its number) rather than where it was going? */
int rep_stopped_at_breakpoint(const struct rep_session *s);
/* Where the replay is stopped (at a bytecode instruction). */
int rep_here(struct rep_session *s, struct pyi_pos *pos);
/* Where the selected thread is (`thread N`): rep_here when it is the one that runs, else where
 * its innermost frame waits. Motions that follow a thread start from here. */
int rep_here_selected(struct rep_session *s, struct pyi_pos *pos);

/* ---- threads (rep_thread.c) ---- */
/* The thread motions follow (step, next, finish and their reverse twins stop in it): its
 * recorded id (what threading and gettid report). Breakpoints and catchpoints stop in any
 * thread, and a stop selects the thread it is in. */
int rep_select_thread(struct rep_session *s, pid_t rec_tid);
pid_t rep_selected_thread(const struct rep_session *s);
/* The thread of the current stop, and whether it differs from the previous stop's (the shell
 * then says "[Switching to thread N]"). */
pid_t rep_stop_thread(struct rep_session *s, int *switched);
/* Recorded ids of the process's threads now (at most max); their number. */
int rep_thread_ids(const struct rep_session *s, pid_t *out, int max);
/* gdb's thread numbers (rep_threadnum.c): 1 is the first thread, then 2, 3, ... in the order
 * the recording created them, never reused. The number of the thread alive now with that
 * recorded id (0: none); and the recorded id of thread n if it is alive now (else -1, saying
 * whether it does not exist yet or has ended). */
int rep_thread_number(const struct rep_session *s, pid_t rec_tid);
int rep_thread_of_number(const struct rep_session *s, int n, pid_t *rec_tid);
/* How many threads the replay has created so far, the first one included. */
int rep_thread_count(const struct rep_session *s);

/* ---- breakpoints (rep_break.c) ---- */
#define REP_BP_ADDRS 16
struct rep_bp {
    int id, enabled, temporary, hits;
    int is_catch;    /* a `catch raise` catchpoint: func holds the exception name ("" any) */
    char file[1024]; /* FILE:LINE breakpoints */
    int line;
    char func[256];               /* FUNCTION breakpoints */
    char cond[512];               /* "" for none */
    int thread;                   /* stop only in this thread (its number), 0: any */
    uint64_t addrs[REP_BP_ADDRS]; /* bytecode addresses; none yet: pending */
    uint64_t codes[REP_BP_ADDRS]; /* the code object of each */
    int naddrs;
    /* the condition lowered for checking inside the tracee at each address (rep_break.c) */
    struct pt_cond conds[REP_BP_ADDRS];
    char lowered_for[512];
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
/* `break LOC thread N`: breakpoint id stops only in thread number n (0: any thread). */
int rep_break_thread(struct rep_session *s, int id, int n);
const struct rep_bp *rep_breakpoints(const struct rep_session *s, int *n);
/* Is breakpoint bp at line `line` of file `file` (a code object's co_filename)? */
int rep_break_at(const struct rep_bp *bp, const char *file, int line);
/* `catch raise [NAME]`: stop where an exception (of that name, or any) is raised. */
int rep_catch_add(struct rep_session *s, const char *exception, const struct rep_bp **bp);
/* The exception that made the last motion stop at a catchpoint ("" if none). */
const char *rep_caught(const struct rep_session *s);
/* Evaluate a breakpoint condition (a Python expression, Python's truth rules) in the frame at
 * address frame (0: the selected frame) at the current stop: from memory where the built-in
 * evaluator is exact, else in a throwaway copy. -1 with the error (the condition raised, or
 * could not be evaluated) in pt_errmsg. */
int rep_break_condition(struct rep_session *s, uint64_t frame, const char *cond, int *truth);
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
/* How many times a conditional breakpoint's hit trapped and pytt evaluated its condition (the
 * hits the in-tracee check ruled out are not counted: `maint stats` and tests). */
uint64_t rep_cond_checks(const struct rep_session *s);
/* How many backward searches made a sparse pass that found its answer (rep_reverse.c:
 * `maint stats` and tests, which check the fast path was taken). */
uint64_t rep_sparse_passes(const struct rep_session *s);
/* How many `trace` hits were logged inside the tracee instead of stopping there (rep_tlog.c:
 * `maint stats` and tests). */
uint64_t rep_tlog_count(const struct rep_session *s);
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

/* ---- evaluating Python at the current moment (rep_eval.c) ------------------------------------
 * Expressions and statements run with the replayed program's own interpreter, in a throwaway
 * copy of the replayed process at this moment (a fork, killed afterwards): nothing they do
 * changes the replay. Calls with effects outside the process are refused there (EPERM: writing
 * files, sockets, signals, exec, fork...), writes to the program's stdout/stderr are captured
 * into the report, and a copy that exits, crashes or runs past the timeout is reported. */
enum rep_eval_mode {
    REP_EVAL_REPR,     /* repr(EXPR) */
    REP_EVAL_PPRINT,   /* pprint.pformat(EXPR) */
    REP_EVAL_EXEC,     /* run a statement, as pdb's `!` (expression values print as in the REPL) */
    REP_EVAL_WHATIS,   /* pdb's whatis: "Function f", "Class m.C", "<class 'int'>" */
    REP_EVAL_TRUTH,    /* "True"/"False": bool(EXPR) */
    REP_EVAL_STR,      /* str(EXPR) */
    REP_EVAL_INTERACT, /* a REPL line (may be incomplete: status REP_EVAL_MORE) */
};
enum rep_eval_status {
    REP_EVAL_VALUE = 0, /* text: the value's text */
    REP_EVAL_RAISED,    /* text: the exception as Python formats it ("NameError: name ...") */
    REP_EVAL_MORE,      /* interact: the statement continues on the next line */
    REP_EVAL_NOT_RUN,   /* the copy ended before this item (see the report) */
};
struct rep_eval_item {
    int mode;         /* enum rep_eval_mode */
    const char *expr; /* Python source */
    int frame;        /* index in the selected thread's stack (0 innermost); -1: the selected one */
    int status;       /* out: enum rep_eval_status */
    char *text;       /* out: malloc'd */
};
/* Objects (by address at this moment) given names visible to the expressions. */
struct rep_eval_bind {
    const char *name;
    uint64_t object;
};
struct rep_eval_report {
    char *output; /* what the evaluation wrote to the program's stdout and stderr */
    size_t output_len;
    int output_cut;         /* more was written than kept (1 MiB) */
    int refused;            /* calls refused because they would act outside the copy */
    char refused_first[64]; /* the first one */
    int ended;              /* the copy exited, crashed, timed out or was interrupted: */
    char why[256];          /* what happened, in words */
    int from_memory;        /* rep_eval_expr answered without a copy */
};
/* Evaluate n items at once (one copy); 0 when the copy answered or ended (see the report), -1
 * when it could not be used at all. */
int rep_evaluate(struct rep_session *s, struct rep_eval_item *items, size_t n,
                 const struct rep_eval_bind *binds, size_t nbinds, struct rep_eval_report *report);
/* A copy kept for several requests (a REPL at this moment): open, run requests, close. */
struct rep_eval_ctx;
int rep_eval_open(struct rep_session *s, const struct rep_eval_bind *binds, size_t nbinds,
                  struct rep_eval_ctx **out);
int rep_eval_run(struct rep_eval_ctx *e, struct rep_eval_item *items, size_t n,
                 struct rep_eval_report *report);
void rep_eval_close(struct rep_eval_ctx *e);
void rep_eval_items_free(struct rep_eval_item *items, size_t n);
void rep_eval_report_free(struct rep_eval_report *r);
/* repr() of objects by address, in one copy: texts[i] malloc'd (an exception or a failed copy
 * shows as `<repr() raised ...>` / `<repr() not evaluated: ...>`). */
int rep_repr_objects(struct rep_session *s, const uint64_t *objs, size_t n, char **texts,
                     struct rep_eval_report *report);
/* Where expressions are evaluated: AUTO (from memory when exact, else a copy), MEMORY (the
 * built-in evaluator only: what needs code is an error), COPY (always the interpreter). For
 * tests comparing the two, and for users who want to be sure. */
enum rep_eval_path { REP_PATH_AUTO, REP_PATH_MEMORY, REP_PATH_COPY };
void rep_set_eval_path(struct rep_session *s, int path);
int rep_eval_path(const struct rep_session *s);
/* One item in the selected frame: from memory when the built-in evaluator is exact (REPR and
 * TRUTH, report->from_memory set), else in a copy. Returns like rep_evaluate. */
int rep_eval_expr(struct rep_session *s, struct rep_eval_item *item,
                  struct rep_eval_report *report);
/* The memory part alone: 1 answered (item filled), 0 needs a copy, -1 error. */
int rep_eval_expr_memory(struct rep_session *s, struct rep_eval_item *item);
/* Per call into the copy; default 5 s. */
int rep_set_eval_timeout(struct rep_session *s, double seconds);
int64_t rep_eval_timeout_ns(const struct rep_session *s);

/* ---- data over time (rep_watch.c): watch, last, history ----------------------------------
 * EXPR (a variable, NAME.attr..., NAME[key]...) is resolved where it is set, in the selected
 * frame, to a place (pyintrospect's struct pyi_loc): a local of that function (in every call of
 * it), a global of that module, an attribute of that object, an item of that container. Its
 * value is compared at every bytecode dispatch in every thread; a change is reported at the
 * dispatch after the instruction that made it, with that instruction's line and thread. */
#define REP_MAX_WATCH 16
struct rep_place { /* a dispatch: where and in which thread */
    pid_t tid;     /* recorded id */
    int thread;    /* its number (as `info threads`) */
    int line;
    char file[1024];
    char func[512]; /* co_qualname */
};
struct rep_change {
    int which;                   /* the watchpoint's id (rep_watch_*); 0 for last/history */
    uint64_t tick;               /* the first moment the new value is seen */
    struct rep_place by;         /* the instruction that changed it */
    char *old_value, *new_value; /* texts (malloc'd; notes such as <unbound> in <...>) */
};
struct rep_watchpt {
    int id, enabled, hits; /* ids are shared with breakpoints: `delete N` deletes either */
    char expr[512];
    struct pyi_loc loc;
};
/* `watch EXPR`: resolve it now and add a watchpoint; continue and reverse-continue (rep_continue,
 * rep_reverse_continue) then also stop at its changes (*bp_id = its id, rep_last_change). */
int rep_watch_add(struct rep_session *s, const char *expr, const struct rep_watchpt **out);
/* The same for a place resolved by the caller (pyi_loc_resolve*), named expr in messages. */
int rep_watch_add_loc(struct rep_session *s, const char *expr, const struct pyi_loc *loc,
                      const struct rep_watchpt **out);
int rep_watch_remove(struct rep_session *s, int id); /* 0: all (rep_break_delete calls it) */
int rep_watch_enable(struct rep_session *s, int id, int on);
const struct rep_watchpt *rep_watchpoints(const struct rep_session *s, int *n);
/* The change the last continue/reverse-continue stopped at (NULL: it stopped for another
 * reason). */
const struct rep_change *rep_last_change(const struct rep_session *s);
/* How watchpoint id would be checked from here: 1 by debug registers (*words of them), 0 at
 * every bytecode instruction (why[] says why: a local, a value that can change in place, more
 * than 4 words with the other enabled watchpoints, which are armed together or not at all...),
 * -1 no such watchpoint. The scans decide again as they go (rep_hwatch.c). */
int rep_watch_how(struct rep_session *s, int id, int *words, char *why, size_t len);
/* Debug-register use so far in the session: runs with words armed, write traps taken. */
void rep_hw_stats(const struct rep_session *s, uint64_t *runs, uint64_t *traps);
/* `last EXPR`: go to the last change before now (forward = 0) or the next one after now: 1 at
 * it (ch filled: free its texts with rep_change_free), 0 when there is none (the replay is then
 * at the start, or at the end going forward). Ctrl-C (pt_interrupted) goes back to where it
 * started and fails. */
int rep_last(struct rep_session *s, const char *expr, int forward, struct rep_change *ch,
             struct pyi_pos *pos);
/* `history EXPR`: every change from the first snapshot (the main script's first line) to the
 * end, in one forward pass, row() called for each in order (non-zero stops); at most limit rows
 * (0: all). *first (malloc'd) is the value at the start. The replay then goes back to where it
 * was. 1 if there were changes, 0 none, -1 error (interrupted: back where it was). */
int rep_history(struct rep_session *s, const char *expr, size_t limit,
                int (*row)(void *ctx, const struct rep_change *ch), void *ctx, char **first);
void rep_change_free(struct rep_change *ch);
/* `trace SPEC [EXPR, ...]` (rep_trace.c): every execution of the breakpoint location SPEC
 * (FILE:LINE, LINE, FUNCTION, as for rep_break_add) in the recording, from the first snapshot
 * on, in one pass: row() gets each hit with the values of exprs there (as `print` evaluates
 * them; "<...>" when one raised), or with n = 0 the frame's arguments as one value. The user's
 * breakpoints and watchpoints are set aside meanwhile, and the replay goes back to where it was.
 * *hits counts them. row() is also called with hit NULL before the program's output is written
 * during the pass: a caller that holds rows back writes them then (the output stays in order). */
struct rep_trace_hit {
    uint64_t tick;
    int thread, line;
    char func[512];
    char **values;
    size_t nvalues;
};
int rep_trace(struct rep_session *s, const char *spec, const char *const *exprs, size_t n,
              int (*row)(void *ctx, const struct rep_trace_hit *hit), void *ctx, size_t *hits);

/* How the recording ended (PT_END_*), its code, and its message (valid once FINISHED). */
void rep_end(const struct rep_session *s, int *how, int *code, const char **msg);
void rep_close(struct rep_session *s);

#endif
