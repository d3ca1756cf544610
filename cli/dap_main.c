/*
 * dap_main: `pytt dap [--port N]`. Reads requests (dap_io.c), answers each with a response
 * (success, or success false with a message that says what was wrong), and runs the session:
 * initialize (the capabilities pytt has), launch (record the program, then replay the
 * recording; or replay {"trace": DIR}), configurationDone (then the first stop), disconnect and
 * terminate (the replay, its snapshots and evaluation copies are killed before the adapter
 * exits). Requests other than initialize before initialize are refused, as are unknown ones.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "dap.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"
#include "pyintrospect/pyintrospect.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- messages ----------------------------------------------------------------------------- */

void dap_begin_event(struct dap *d, struct pt_jw *w, const char *event)
{
    pt_jw_init(w);
    pt_jw_obj(w);
    pt_jw_kint(w, "seq", ++d->seq);
    pt_jw_kstr(w, "type", "event");
    pt_jw_kstr(w, "event", event);
    pt_jw_key(w, "body");
    pt_jw_obj(w);
}

void dap_end_event(struct dap *d, struct pt_jw *w)
{
    pt_jw_end_obj(w);
    pt_jw_end_obj(w);
    dap_send(d, w);
    pt_jw_free(w);
}

static void response_head(struct dap *d, struct pt_jw *w, const struct pt_json *req, int ok)
{
    pt_jw_init(w);
    pt_jw_obj(w);
    pt_jw_kint(w, "seq", ++d->seq);
    pt_jw_kstr(w, "type", "response");
    pt_jw_kint(w, "request_seq", (int64_t)pt_json_get_num(req, "seq", 0));
    pt_jw_kbool(w, "success", ok);
    pt_jw_kstr(w, "command", pt_json_get_str(req, "command", ""));
}

void dap_begin_response(struct dap *d, struct pt_jw *w, const struct pt_json *req)
{
    response_head(d, w, req, 1);
    pt_jw_key(w, "body");
    pt_jw_obj(w);
}

void dap_end_response(struct dap *d, struct pt_jw *w)
{
    dap_end_event(d, w);
}

void dap_ok(struct dap *d, const struct pt_json *req)
{
    struct pt_jw w;
    dap_begin_response(d, &w, req);
    dap_end_response(d, &w);
}

int dap_error(struct dap *d, const struct pt_json *req, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct pt_jw w;
    response_head(d, &w, req, 0);
    pt_jw_kstr(&w, "message", msg);
    pt_jw_key(&w, "body");
    pt_jw_obj(&w);
    pt_jw_key(&w, "error");
    pt_jw_obj(&w);
    pt_jw_kint(&w, "id", 1);
    pt_jw_kstr(&w, "format", msg);
    pt_jw_kbool(&w, "showUser", 1);
    pt_jw_end_obj(&w);
    pt_jw_end_obj(&w);
    pt_jw_end_obj(&w);
    dap_send(d, &w);
    pt_jw_free(&w);
    pt_err_clear();
    return -1;
}

void dap_output(struct dap *d, const char *category, const char *text, size_t n)
{
    struct pt_jw w;
    dap_begin_event(d, &w, "output");
    pt_jw_kstr(&w, "category", category);
    pt_jw_key(&w, "output");
    pt_jw_strn(&w, text, n);
    dap_end_event(d, &w);
}

/* The program's output while the replay runs: output events. */
int dap_program_output(void *ctx, int kind, const void *buf, size_t n, uint64_t event)
{
    dap_output(ctx, kind == 2 ? "stderr" : "stdout", buf, n);
    return 0;
}

/* ---- initialize ----------------------------------------------------------------------------- */

static void filter(struct pt_jw *w, const char *id, const char *label, const char *desc)
{
    pt_jw_obj(w);
    pt_jw_kstr(w, "filter", id);
    pt_jw_kstr(w, "label", label);
    pt_jw_kstr(w, "description", desc);
    pt_jw_kbool(w, "default", 0);
    pt_jw_end_obj(w);
}

static int initialize(struct dap *d, const struct pt_json *req)
{
    const struct pt_json *args = pt_json_get(req, "arguments");
    if (d->initialized) {
        return dap_error(d, req, "initialize: the session is already initialized");
    }
    d->lines_start_at1 = pt_json_get_bool(args, "linesStartAt1", 1);
    struct pt_jw w;
    dap_begin_response(d, &w, req);
    static const char *const yes[] = {
        "supportsConfigurationDoneRequest",  "supportsStepBack",
        "supportsGotoTargetsRequest",        "supportsConditionalBreakpoints",
        "supportsHitConditionalBreakpoints", "supportsLogPoints",
        "supportsFunctionBreakpoints",       "supportsTerminateRequest",
        "supportsEvaluateForHovers",         "supportsDelayedStackTraceLoading",
        "supportTerminateDebuggee",          "supportsDataBreakpoints",
    };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        pt_jw_kbool(&w, yes[i], 1);
    }
    static const char *const no[] = {
        "supportsSetVariable",    "supportsRestartRequest",       "supportsStepInTargetsRequest",
        "supportsRestartFrame",   "supportsExceptionInfoRequest", "supportsCompletionsRequest",
        "supportsModulesRequest", "supportsReadMemoryRequest",
    };
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        pt_jw_kbool(&w, no[i], 0);
    }
    pt_jw_key(&w, "exceptionBreakpointFilters");
    pt_jw_arr(&w);
    filter(&w, "raised", "Raised Exceptions", "Stop where any exception is raised");
    filter(&w, "uncaught", "Uncaught Exceptions",
           "Stop where the exception that ended the program was raised");
    pt_jw_end_arr(&w);
    dap_end_response(d, &w);
    d->initialized = 1;
    struct pt_jw e;
    dap_begin_event(d, &e, "initialized");
    dap_end_event(d, &e);
    return 0;
}

/* ---- launch ---------------------------------------------------------------------------------- */

/* The tail of the recorder's messages, for an error response. */
static void read_tail(int fd, char *out, size_t cap)
{
    off_t end = lseek(fd, 0, SEEK_END);
    off_t from = end > (off_t)cap - 1 ? end - (off_t)cap + 1 : 0;
    ssize_t n = pread(fd, out, cap - 1, from);
    out[n > 0 ? n : 0] = 0;
    size_t l = strlen(out);
    while (l && out[l - 1] == '\n') {
        out[--l] = 0;
    }
}

/* In the child: cwd, env, then exec `pytt record -o DIR -- PYTHON PROGRAM ARGS...`. */
static void exec_record(const struct pt_json *args, const char *dir, int errfd)
{
    const char *cwd = pt_json_get_str(args, "cwd", NULL);
    const struct pt_json *env = pt_json_get(args, "env");
    const struct pt_json *pargs = pt_json_get(args, "args");
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(errfd, 2);
    if (cwd && chdir(cwd) < 0) {
        fprintf(stderr, "cannot change to the directory \"cwd\": %s: %s\n", cwd, strerror(errno));
        _exit(126);
    }
    for (const struct pt_json *e = env ? env->child : NULL; e; e = e->next) {
        if (e->type == PT_JSON_STR) {
            setenv(e->key, e->str, 1);
        } else if (e->type == PT_JSON_NULL) {
            unsetenv(e->key);
        }
    }
    size_t n = 0;
    for (const struct pt_json *a = pargs ? pargs->child : NULL; a; a = a->next) {
        n++;
    }
    char **argv = calloc(n + 8, sizeof *argv);
    size_t k = 0;
    argv[k++] = "pytt";
    argv[k++] = "record";
    argv[k++] = "-o";
    argv[k++] = (char *)dir;
    argv[k++] = "--";
    argv[k++] = (char *)pt_json_get_str(args, "python", "python3");
    argv[k++] = (char *)pt_json_get_str(args, "program", "");
    for (const struct pt_json *a = pargs ? pargs->child : NULL; a; a = a->next) {
        argv[k++] = a->type == PT_JSON_STR ? a->str : "";
    }
    execv("/proc/self/exe", argv);
    fprintf(stderr, "cannot run pytt record: %s\n", strerror(errno));
    _exit(126);
}

/* Record the program into a new trace directory (d->trace_dir). */
static int record(struct dap *d, const struct pt_json *req, const struct pt_json *args)
{
    const char *program = pt_json_get_str(args, "program", NULL);
    char tmpl[] = "/tmp/pytt-dap-record-XXXXXX", tail[1024];
    if (cli_tracedir_new(program, d->trace_dir, sizeof d->trace_dir) < 0) {
        return dap_error(d, req, "launch: cannot make a trace directory: %s", pt_errmsg());
    }
    int errfd = mkstemp(tmpl);
    if (errfd < 0) {
        return dap_error(d, req, "launch: cannot make a temporary file: %s", strerror(errno));
    }
    unlink(tmpl);
    dap_output(d, "console", "pytt: recording ", 16);
    dap_output(d, "console", program, strlen(program));
    dap_output(d, "console", "\n", 1);
    pid_t pid = fork();
    if (pid == 0) {
        exec_record(args, d->trace_dir, errfd);
    }
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            break;
        }
        if (dap_io_gone()) {
            kill(pid, SIGKILL); /* the client went away: leave nothing behind */
        }
    }
    pt_interrupted = 0;
    read_tail(errfd, tail, sizeof tail);
    close(errfd);
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) == PYTT_EXIT_ERROR ||
        WEXITSTATUS(status) == 126) {
        return dap_error(d, req, "launch: recording %s failed: %s", program,
                         tail[0] ? tail : "pytt record ended abnormally");
    }
    cli_tracedir_link_latest(d->trace_dir);
    pt_err_clear();
    return 0;
}

/* The program must exist (relative to cwd): say so before recording nothing. */
static int program_missing(struct dap *d, const struct pt_json *req, const struct pt_json *args)
{
    const char *program = pt_json_get_str(args, "program", "");
    const char *cwd = pt_json_get_str(args, "cwd", NULL);
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s%s%s", program[0] != '/' && cwd ? cwd : "",
             program[0] != '/' && cwd ? "/" : "", program);
    if (access(path, R_OK) == 0) {
        return 0;
    }
    dap_error(d, req,
              "launch: cannot read the program %s: %s (\"program\" is a Python script, "
              "relative to \"cwd\")",
              path, strerror(errno));
    return 1;
}

/* The replay could not start: no session is left half open. */
static int launch_failed(struct dap *d, const struct pt_json *req, const char *doing,
                         const char *why)
{
    dap_error(d, req, "launch: %s %s: %s", doing, d->trace_dir, why);
    rep_close(d->rep);
    d->rep = NULL;
    return -1;
}

static int launch(struct dap *d, const struct pt_json *req)
{
    const struct pt_json *args = pt_json_get(req, "arguments");
    const char *trace = pt_json_get_str(args, "trace", NULL);
    const char *program = pt_json_get_str(args, "program", NULL);
    if (d->launched) {
        return dap_error(d, req, "launch: a session is already running");
    }
    if (!trace && !program) {
        return dap_error(d, req,
                         "launch: give \"program\" (a Python script to record and debug) "
                         "or \"trace\" (a recording's directory) in the launch "
                         "configuration");
    }
    if (trace && cli_tracedir_resolve(trace, d->trace_dir, sizeof d->trace_dir) < 0) {
        return dap_error(d, req, "launch: %s", pt_errmsg());
    }
    if (!trace && program_missing(d, req, args)) {
        return -1;
    }
    if (!trace && record(d, req, args) < 0) {
        return -1;
    }
    d->stop_on_entry = pt_json_get_bool(args, "stopOnEntry", 0);
    struct rep_options opt = {.trace_dir = d->trace_dir, .out_fd = -1, .err_fd = -1};
    if (rep_open(&d->rep, &opt) < 0 || rep_start(d->rep) < 0) {
        return launch_failed(d, req, "cannot replay", pt_errmsg());
    }
    rep_set_output_hook(d->rep, dap_program_output, d);
    struct pyi_pos pos;
    int r = rep_nav_start(d->rep, &pos);
    if (r > 0 && rep_enable_snapshots(d->rep) < 0) {
        r = -1;
    }
    if (r <= 0) {
        return launch_failed(d, req, "cannot reach the main script of",
                             r < 0 ? pt_errmsg() : "the recording has no Python moment");
    }
    if (rep_tick(d->rep, &d->start_tick) < 0) {
        pt_err_clear();
    }
    d->launched = 1;
    dap_ok(d, req);
    return 0;
}

/* ---- the loop -------------------------------------------------------------------------------- */

static int configuration_done(struct dap *d, const struct pt_json *req)
{
    if (!d->launched) {
        return dap_error(d, req, "configurationDone: launch first");
    }
    dap_ok(d, req);
    if (!d->configured) {
        d->configured = 1;
        dap_first_stop(d);
    }
    return 0;
}

/* terminate: end the debuggee (the replay, its snapshots and copies) and say so; the adapter
 * stays for the client's disconnect. disconnect: the same, then the adapter exits. */
static int disconnect(struct dap *d, const struct pt_json *req)
{
    int terminate = strcmp(pt_json_get_str(req, "command", ""), "terminate") == 0;
    if (d->rep) {
        rep_close(d->rep);
        d->rep = NULL;
    }
    d->launched = 0;
    dap_ok(d, req);
    if (terminate) {
        struct pt_jw w;
        dap_begin_event(d, &w, "terminated");
        dap_end_event(d, &w);
    } else {
        d->quit = 1;
    }
    return 0;
}

static int pause_req(struct dap *d, const struct pt_json *req)
{
    dap_ok(d, req); /* no motion runs (a running one was interrupted): already stopped */
    return 0;
}

struct dap_handler {
    const char *command;
    int (*fn)(struct dap *d, const struct pt_json *req);
    int needs_launch; /* the replay must be running */
};

static int motion(struct dap *d, const struct pt_json *req)
{
    return dap_motion(d, req, pt_json_get_str(req, "command", ""));
}

static const struct dap_handler handlers[] = {
    {"initialize", initialize, 0},
    {"launch", launch, 0},
    {"attach", NULL, 0},
    {"configurationDone", configuration_done, 0},
    {"setBreakpoints", dap_set_breakpoints, 1},
    {"setFunctionBreakpoints", dap_set_function_breakpoints, 1},
    {"setExceptionBreakpoints", dap_set_exception_breakpoints, 1},
    {"dataBreakpointInfo", dap_data_breakpoint_info, 1},
    {"setDataBreakpoints", dap_set_data_breakpoints, 1},
    {"threads", dap_threads, 1},
    {"stackTrace", dap_stack_trace, 1},
    {"scopes", dap_scopes, 1},
    {"variables", dap_variables, 1},
    {"evaluate", dap_evaluate, 1},
    {"source", dap_source, 1},
    {"continue", motion, 1},
    {"next", motion, 1},
    {"stepIn", motion, 1},
    {"stepOut", motion, 1},
    {"stepBack", motion, 1},
    {"reverseContinue", motion, 1},
    {"gotoTargets", dap_goto_targets, 1},
    {"goto", dap_goto, 1},
    {"pause", pause_req, 0},
    {"disconnect", disconnect, 0},
    {"terminate", disconnect, 0},
};

static void dispatch(struct dap *d, const struct pt_json *req)
{
    const char *type = pt_json_get_str(req, "type", "");
    const char *cmd = pt_json_get_str(req, "command", NULL);
    if (strcmp(type, "request") != 0 || !cmd) {
        if (strcmp(type, "response") != 0) { /* replies to reverse requests are ignored */
            dap_error(d, req,
                      "not a request: a message needs \"type\": \"request\" and a "
                      "\"command\"");
        }
        return;
    }
    if (!d->initialized && strcmp(cmd, "initialize") != 0 && strcmp(cmd, "disconnect") != 0) {
        dap_error(d, req, "%s: send initialize first", cmd);
        return;
    }
    for (size_t i = 0; i < sizeof handlers / sizeof *handlers; i++) {
        const struct dap_handler *h = &handlers[i];
        if (strcmp(h->command, cmd) != 0) {
            continue;
        }
        if (!h->fn) {
            dap_error(d, req,
                      "%s: pytt debugs recordings: use launch with \"program\" (record "
                      "and debug) or \"trace\"",
                      cmd);
        } else if (h->needs_launch && !d->launched) {
            dap_error(d, req, "%s: no program is being debugged yet: launch first", cmd);
        } else {
            h->fn(d, req);
        }
        return;
    }
    dap_error(d, req, "unknown request '%s'", cmd);
}

/* A message that is not valid JSON cannot be answered (no seq): say so in an output event. */
static void bad_message(struct dap *d, const char *what)
{
    char msg[1024];
    int n = snprintf(msg, sizeof msg, "pytt dap: ignored a message: %s\n", what);
    dap_output(d, "console", msg, (size_t)n);
    pt_err_clear();
}

static int dap_loop(struct dap *d)
{
    if (dap_io_start(d) < 0) {
        return cli_fail("dap");
    }
    while (!d->quit) {
        char *body = NULL;
        int r = dap_io_next(d, &body);
        if (r == 0) {
            break; /* the client went away */
        }
        if (r < 0) {
            bad_message(d, pt_errmsg());
            continue;
        }
        struct pt_json *req = NULL;
        if (pt_json_parse(body, strlen(body), &req) < 0) {
            bad_message(d, pt_errmsg());
        } else if (req->type != PT_JSON_OBJ) {
            bad_message(d, "a message must be a JSON object");
        } else {
            pt_interrupted = 0;
            dispatch(d, req);
        }
        pt_json_free(req);
        free(body);
    }
    return 0;
}

static int dap_usage(void)
{
    fputs("usage: pytt dap [--port N]\n"
          "  a Debug Adapter Protocol server on stdin/stdout (or, with --port, one connection\n"
          "  on 127.0.0.1:N; 0 picks a free port, printed on stderr)\n",
          stderr);
    return PYTT_EXIT_ERROR;
}

int cli_dap_main(int argc, char **argv)
{
    struct dap d;
    memset(&d, 0, sizeof d);
    d.in_fd = 0;
    d.out_fd = 1;
    d.next_bp_id = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            char *end;
            long port = strtol(argv[++i], &end, 10);
            if (*end || port < 0 || port > 65535) {
                fprintf(stderr, "pytt dap: --port needs a port number (0-65535), not '%s'\n",
                        argv[i]);
                return PYTT_EXIT_ERROR;
            }
            if (dap_listen((int)port, &d.in_fd) < 0) {
                return cli_fail("dap");
            }
            d.out_fd = d.in_fd;
        } else {
            return dap_usage();
        }
    }
    /* the program's output and pytt's messages must never reach the protocol stream */
    int rc = dap_loop(&d);
    if (d.rep) {
        rep_close(d.rep); /* kills the replay, its snapshots and copies */
    }
    dap_free_breakpoints(&d);
    dap_vars_free(&d);
    dap_data_free(&d);
    return rc;
}
