/*
 * dap: `pytt dap`, a Debug Adapter Protocol server (VS Code, nvim-dap, dape, ...) over
 * stdin/stdout or one loopback TCP connection. dap_io.c frames messages (Content-Length) and
 * reads them on a thread of their own, so that `pause` and a vanished client interrupt a long
 * motion; dap_main.c dispatches requests and runs the session (initialize, launch: record then
 * replay, disconnect); dap_run.c moves the replay (continue, steps, stepBack, reverseContinue,
 * goto) and keeps breakpoints; dap_vars.c answers threads, stackTrace, scopes, variables,
 * evaluate and source from the replayer's and pyintrospect's structured APIs (never from the
 * shell's text).
 */
#ifndef CLI_DAP_H
#define CLI_DAP_H

#include "common/pt_json.h"
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
    int hits;  /* hits seen by forward motions since it was set */
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

/* dap_run.c */
int dap_set_breakpoints(struct dap *d, const struct pt_json *req);
int dap_set_function_breakpoints(struct dap *d, const struct pt_json *req);
int dap_set_exception_breakpoints(struct dap *d, const struct pt_json *req);
int dap_motion(struct dap *d, const struct pt_json *req, const char *command);
int dap_goto_targets(struct dap *d, const struct pt_json *req);
int dap_goto(struct dap *d, const struct pt_json *req);
/* After configurationDone: stop at the entry or run to the first breakpoint. */
void dap_first_stop(struct dap *d);
void dap_free_breakpoints(struct dap *d);

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
/* Evaluate expr in the selected frame to str() text, for log points (malloc'd). */
char *dap_eval_str(struct dap *d, const char *expr);
void dap_vars_free(struct dap *d);

#endif
