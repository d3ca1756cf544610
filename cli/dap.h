/*
 * dap: `pytt dap`, a Debug Adapter Protocol server (VS Code, nvim-dap, dape, ...) over
 * stdin/stdout or one loopback TCP connection. dap_io.c frames messages (Content-Length) and
 * reads them on a thread of their own, so that `pause` and a vanished client interrupt a long
 * motion; dap_main.c dispatches requests and runs the session (initialize, launch: record then
 * replay, disconnect); dap_run.c moves the replay (continue, steps, stepBack, reverseContinue,
 * goto) and keeps breakpoints; dap_data.c adds data breakpoints (the replayer's watchpoints);
 * dap_vars.c answers threads, stackTrace, scopes, variables, evaluate and source from the
 * replayer's and pyintrospect's structured APIs (never from the shell's text).
 */
#ifndef CLI_DAP_H
#define CLI_DAP_H

#include "common/pt_json.h"
#include "pyintrospect/pyintrospect.h"
#include "replayer/replayer.h"

#include <stdint.h>
#include <sys/types.h>

/* A variablesReference: what a scope or an expandable value refers to, valid until the next
 * motion. */
enum { DAP_REF_LOCALS = 1, DAP_REF_GLOBALS, DAP_REF_OBJECT };
struct dap_ref {
    int kind;
    pid_t tid;    /* thread of the frame */
    int frame;    /* index in that thread's stack */
    uint64_t obj; /* DAP_REF_OBJECT */
    /* DAP_REF_OBJECT: how its children are named (PYI_CHILD_*) and the expression it was
     * reached by from the frame's names ("" when none: an evaluated value), from the module's
     * globals (global) or the frame's names; what a data breakpoint on a child watches */
    int child_kind, global;
    char path[512];
};

/* What the adapter adds to a replayer breakpoint. */
struct dap_bp {
    int rep_id;   /* the replayer's breakpoint (0: could not be set) */
    int dap_id;   /* the id the client sees */
    int function; /* set by setFunctionBreakpoints (else by setBreakpoints: source holds it) */
    char source[1024];
    int line;
    char hit_op[3]; /* "==", ">=", ">", "<=", "<", "%" ("" none) */
    long hit_n;
    char *log; /* log point message, or NULL */
    /* its hits in execution order (dap_hits.c): the ticks of those from the start of the
     * main script up to hits_known (UINT64_MAX: the end of the recording) */
    uint64_t *hit_ticks;
    int nhit_ticks;
    uint64_t hits_known;
    /* a data breakpoint (setDataBreakpoints: rep_id is the replayer's watchpoint): its dataId,
     * condition (judged where the change stops) and the changes met that passed it */
    int data;
    char *data_id, *cond;
    long data_hits;
};

/* A place dataBreakpointInfo resolved: setDataBreakpoints watches it by its dataId. */
struct dap_place {
    char id[64];
    char expr[512];
    struct pyi_loc loc;
};

struct dap {
    int in_fd, out_fd;
    struct rep_session *rep;
    char trace_dir[4096];
    int initialized, launched, configured, stop_on_entry, quit;
    int lines_start_at1;
    int64_t seq;
    /* breakpoints */
    struct dap_bp *bps;
    int nbps, next_bp_id;
    int catch_id;      /* `raised` filter: the replayer's catchpoint (0: off) */
    int stop_uncaught; /* `uncaught` filter */
    int exited_sent;   /* the exited event was sent for the end of the recording */
    /* per stop */
    struct dap_ref *refs;
    int nrefs, caprefs;
    char **sources; /* sourceReference n is sources[n-1] */
    int nsources;
    pid_t *known_threads; /* for thread started/exited events */
    int nknown;
    char goto_source[1024];
    uint64_t start_tick;      /* the start of the main script: hits are counted from there */
    uint64_t continue_from;   /* where the running forward continue started */
    struct dap_place *places; /* dataBreakpointInfo's answers, for setDataBreakpoints */
    int nplaces;
};

/* dap_io.c */
int dap_io_start(struct dap *d);
/* The next request body (malloc'd, NUL-terminated); 0 at the end of the input (the client went
 * away), -1 on a framing error (said in pt_errmsg: the message was skipped, the caller goes on). */
int dap_io_next(struct dap *d, char **body);
void dap_io_stop(struct dap *d);
int dap_listen(int port, int *fd);
/* Did the client go away (or ask to) while a motion ran? */
int dap_io_gone(void);
/* Send a message (the JSON text of w) with its header. */
void dap_send(struct dap *d, struct pt_jw *w);

/* dap_main.c: responses and events */
void dap_begin_event(struct dap *d, struct pt_jw *w, const char *event); /* leaves body open */
void dap_end_event(struct dap *d, struct pt_jw *w);
void dap_begin_response(struct dap *d, struct pt_jw *w, const struct pt_json *req);
void dap_end_response(struct dap *d, struct pt_jw *w);
void dap_ok(struct dap *d, const struct pt_json *req);
int dap_error(struct dap *d, const struct pt_json *req, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void dap_output(struct dap *d, const char *category, const char *text, size_t n);
/* The replay's output hook (ctx: the struct dap): the program's output as output events. */
int dap_program_output(void *ctx, int kind, const void *buf, size_t n, uint64_t event);

/* dap_run.c */
int dap_set_breakpoints(struct dap *d, const struct pt_json *req);
int dap_set_function_breakpoints(struct dap *d, const struct pt_json *req);
int dap_set_exception_breakpoints(struct dap *d, const struct pt_json *req);
int dap_motion(struct dap *d, const struct pt_json *req, const char *command);
int dap_goto_targets(struct dap *d, const struct pt_json *req);
int dap_goto(struct dap *d, const struct pt_json *req);
/* After configurationDone: stop at the entry or run to the first breakpoint. */
void dap_first_stop(struct dap *d);
/* A stopped event for where the replay is now (or the end of the recording), after a shell
 * command moved it. */
void dap_report_stop(struct dap *d);
void dap_free_breakpoints(struct dap *d);
/* Delete d->bps[i] (its replayer breakpoint or watchpoint too); the last one takes its place. */
void dap_bp_drop(struct dap *d, int i);

/* A stopped event (text: the details a client may show, NULL none; bp_dap_id 0: none). */
void dap_stopped(struct dap *d, const char *reason, const char *desc, const char *text,
                 int bp_dap_id);
/* Hit conditions: parse "5", "==5", ">=5", ">5", "<=5", "<5", "%5" into b (-1 if none of
 * these); does hit number h pass? */
int dap_parse_hit(const char *s, struct dap_bp *b);
int dap_hit_passes(const struct dap_bp *b, long h);

/* dap_data.c: data breakpoints on the replayer's watchpoints */
int dap_data_breakpoint_info(struct dap *d, const struct pt_json *req);
int dap_set_data_breakpoints(struct dap *d, const struct pt_json *req);
/* A continue stopped at data breakpoint b's change: does it stop for the client (1) or go on
 * (0: its condition or hit condition does not pass)? */
int dap_data_stops(struct dap *d, struct dap_bp *b);
/* Report the stop at b's change: a stopped event "data breakpoint" with the old and new values,
 * and gdb's Old value / New value lines in the console. */
void dap_data_stopped(struct dap *d, const struct dap_bp *b);
/* The expression of the child `name` of the value or scope parent ("" with *why when the child
 * cannot be named by one). */
void dap_child_path(const struct dap_ref *parent, const char *name, char *out, size_t cap,
                    const char **why);
void dap_data_free(struct dap *d);

/* dap_shell.c: shell commands in the debug console */
/* Is expr ("-exec CMD" or "`CMD") a shell command? *cmd: the command. */
int dap_repl_is_command(const char *expr, const char **cmd);
/* Run it and answer req with its text; a stopped event follows if it moved the replay. */
int dap_repl_command(struct dap *d, const struct pt_json *req, const char *line);

/* dap_hits.c: hit numbers in execution order */
/* The number of the hit of b at tick (1: its first execution since the start of the main
 * script), running the replay over what is not known yet and back to tick; -1 on error. */
int dap_hit_number(struct dap *d, struct dap_bp *b, uint64_t tick, long *n);
/* A new breakpoint's empty ledger, or the release of one. */
void dap_hits_init(struct dap *d, struct dap_bp *b);
void dap_hits_free(struct dap_bp *b);
/* Disable every enabled breakpoint and watchpoint (their ids in ids, at most 256; returns how many)
 * / enable them again. */
int dap_breaks_off(struct dap *d, int *ids);
void dap_breaks_on(struct dap *d, const int *ids, int n);

/* dap_vars.c */
int dap_threads(struct dap *d, const struct pt_json *req);
int dap_stack_trace(struct dap *d, const struct pt_json *req);
int dap_scopes(struct dap *d, const struct pt_json *req);
int dap_variables(struct dap *d, const struct pt_json *req);
int dap_evaluate(struct dap *d, const struct pt_json *req);
int dap_source(struct dap *d, const struct pt_json *req);
/* A motion happened: frame ids and variablesReferences of the previous stop are void. */
void dap_forget_stop(struct dap *d);
/* thread started/exited events since the last stop. */
void dap_thread_events(struct dap *d);
/* The recorded id of the thread a request names (threadId: gdb's thread number); 0 if none. */
pid_t dap_thread_tid(struct dap *d, const struct pt_json *args);
/* frameId -> (thread, frame index); select them in pyintrospect and the replayer. */
int dap_frame_of(struct dap *d, int64_t id, pid_t *tid, int *frame);
int dap_select_frame(struct dap *d, struct pyi_session *p, pid_t tid, int frame);
/* Evaluate expr in the selected frame to str() text, for log points (malloc'd). */
char *dap_eval_str(struct dap *d, const char *expr);
void dap_vars_free(struct dap *d);

#endif
