/*
 * shell: the replay shell's command table and loop (see shell.h). Commands of later layers
 * (inspection, stepping, reverse execution) join the same table.
 */
#include "shell.h"
#include "shell_cmds.h"

#include "cli.h"
#include "common/pt_clock.h"
#include "common/pt_error.h"
#include "common/pt_elf.h"
#include "common/pt_trace.h"
#include "pyintrospect/pyintrospect.h"

#include <readline/history.h>
#include <readline/readline.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <time.h>

#include "common/pt_ptrace.h"
#include <unistd.h>

struct shell_cmd {
    const char *name;
    const char *aliases; /* space separated */
    int motion;          /* an empty line repeats it */
    int (*fn)(struct cli_shell *sh, const char *args);
    const char *help;
};

int shell_error(struct cli_shell *sh, const char *what)
{
    if (pt_interrupted) {
        return -1; /* reported as "Interrupted." by the command loop */
    }
    fprintf(sh->out, "error: %s", what);
    if (pt_errmsg()[0]) {
        fprintf(sh->out, ": %s", pt_errmsg());
    }
    fputc('\n', sh->out);
    pt_err_clear();
    return -1;
}

void shell_print_end(struct cli_shell *sh)
{
    int how, code;
    const char *msg;
    rep_end(sh->rep, &how, &code, &msg);
    if (how == PT_END_EXITED) {
        fprintf(sh->out, "The program exited with status %d.\n", code);
    } else if (how == PT_END_SIGNALED) {
        fprintf(sh->out, "The program was killed by signal %d (%s).\n", code, strsignal(code));
    } else {
        fprintf(sh->out, "The recording ends here: %s\n", msg);
    }
}

static void print_argv(FILE *out, const struct pt_header *h)
{
    for (size_t i = 0; i < h->argc; i++) {
        fprintf(out, "%s%s", i ? " " : "", h->argv[i]);
    }
    fputc('\n', out);
}

static int cmd_info_trace(struct cli_shell *sh);

static int cmd_info(struct cli_shell *sh, const char *args)
{
    if (strncmp(args, "threads", 7) == 0) {
        return shell_cmd_threads(sh);
    }
    if (strcmp(args, "catch") == 0) {
        return shell_cmd_info_breakpoints(sh);
    }
    if (strncmp(args, "snapshots", 4) == 0) {
        return shell_cmd_info_snapshots(sh);
    }
    if (strncmp(args, "breakpoints", strlen(args) > 1 ? strlen(args) : 2) == 0 ||
        strcmp(args, "b") == 0) {
        return shell_cmd_info_breakpoints(sh);
    }
    if (!*args || strncmp(args, "trace", 5) == 0) {
        return cmd_info_trace(sh);
    }
    fprintf(sh->out, "usage: info [trace|threads|breakpoints]\n");
    return -1;
}

static int cmd_info_trace(struct cli_shell *sh)
{
    const struct pt_header *h = rep_header(sh->rep);
    time_t t = (time_t)(h->record_time_ns / 1000000000);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&t));
    fprintf(sh->out, "trace: %s (format version %u, recorded %s on %s, kernel %s)\n", sh->trace_dir,
            h->version, when, h->hostname, h->kernel);
    fprintf(sh->out, "program: ");
    print_argv(sh->out, h);
    fprintf(sh->out, "cwd: %s\n", h->cwd);
    fprintf(sh->out, "interpreter: %s (%s)\n", h->exe_path, pt_fileid_str(&h->exe_id));
    fprintf(sh->out, "events: %llu\n", (unsigned long long)rep_nevents(sh->rep));
    fprintf(sh->out, "position: event %llu\n", (unsigned long long)rep_position(sh->rep));
    if (rep_state(sh->rep) == REP_FINISHED) {
        fprintf(sh->out, "state: at the end of the recording\n");
    } else {
        fprintf(sh->out, "state: stopped (pid %d)\n", (int)rep_pid(sh->rep));
    }
    return 0;
}

static int cmd_when(struct cli_shell *sh, const char *args)
{
    uint64_t tick;
    char t[PT_TICK_STRLEN];
    if (rep_tick(sh->rep, &tick) < 0) {
        return shell_error(sh, "cannot read the Python clock");
    }
    fprintf(sh->out, "tick %s, event %llu%s\n", pt_tick_str(tick, t),
            (unsigned long long)rep_position(sh->rep),
            rep_state(sh->rep) == REP_FINISHED ? " (end of the recording)" : "");
    return 0;
}

static int cmd_maint(struct cli_shell *sh, const char *args)
{
    if (strcmp(args, "time on") == 0 || strcmp(args, "time 1") == 0) {
        sh->timing = 1;
    } else if (strcmp(args, "time off") == 0 || strcmp(args, "time 0") == 0) {
        sh->timing = 0;
    } else {
        fprintf(sh->out, "usage: maint time on|off\n");
        return -1;
    }
    return 0;
}

static int cmd_quit(struct cli_shell *sh, const char *args)
{
    sh->quit = 1;
    return 0;
}

static int cmd_help(struct cli_shell *sh, const char *args);

static const struct shell_cmd commands[] = {
    {"continue", "c cont", 1, shell_cmd_continue, "run to the next breakpoint or the end"},
    {"break", "b", 0, shell_cmd_break, "break FILE:LINE|LINE|FUNCTION [if COND]"},
    {"tbreak", "", 0, shell_cmd_tbreak, "a breakpoint deleted at its first hit"},
    {"delete", "d", 0, shell_cmd_delete, "delete [N...]: breakpoints (all without N)"},
    {"disable", "", 0, shell_cmd_disable, "disable N: a breakpoint"},
    {"enable", "", 0, shell_cmd_enable, "enable N: a breakpoint"},
    {"catch", "", 0, shell_cmd_catch, "catch raise [EXCEPTION]: stop where it is raised"},
    {"condition", "", 0, shell_cmd_condition, "condition N [COND]: set or clear a condition"},
    {"step", "s", 1, shell_cmd_step, "run to the next line, entering calls"},
    {"next", "n", 1, shell_cmd_next, "run to the next line in this frame (or a caller)"},
    {"finish", "fin r return", 1, shell_cmd_finish, "run until the current frame returns"},
    {"until", "unt", 1, shell_cmd_until, "run to a line after this one, or to a return"},
    {"when", "", 0, cmd_when, "show the current moment: Python tick and event number"},
    {"goto", "", 0, shell_cmd_goto, "goto TICK|start|end: go to that moment, either way"},
    {"reverse-step", "rs", 1, shell_cmd_reverse_step, "back to the previous line, any frame"},
    {"reverse-next", "rn", 1, shell_cmd_reverse_next, "back to the previous line in this frame"},
    {"reverse-finish", "rf", 1, shell_cmd_reverse_finish, "back to the call of this frame"},
    {"reverse-continue", "rc", 1, shell_cmd_reverse_continue,
     "back to the previous breakpoint hit, or the start"},
    {"info", "i", 0, cmd_info, "info [trace|threads]: the trace and position, or the threads"},
    {"bt", "where w backtrace py-bt", 0, shell_cmd_bt,
     "Python stack (bt -full: with locals; "
     "bt -native: with native frames)"},
    {"up", "py-up", 0, shell_cmd_up, "up [N]: select the frame N levels up (callers)"},
    {"down", "py-down", 0, shell_cmd_down, "down [N]: select the frame N levels down"},
    {"frame", "f", 0, shell_cmd_frame, "frame [N]: select or show a frame"},
    {"locals", "py-locals", 0, shell_cmd_locals, "local variables of the selected frame"},
    {"globals", "", 0, shell_cmd_globals, "global variables of the selected frame"},
    {"print", "p py-print", 0, shell_cmd_print, "print EXPR: names, a.b.c, d['k'][0]"},
    {"list", "l py-list", 0, shell_cmd_list, "list [FIRST[,LAST]]: source around the line"},
    {"dis", "py-dis", 0, shell_cmd_dis, "bytecode of the selected frame, as dis.dis"},
    {"x", "", 0, shell_cmd_x, "x/Ni [ADDR]: native instructions (default: the native pc)"},
    {"disas", "", 0, shell_cmd_disas, "disas [ADDR]: the native function around ADDR"},
    {"maint", "", 0, cmd_maint, "maint time on|off: print each command's wall-clock time"},
    {"help", "h ?", 0, cmd_help, "list commands"},
    {"quit", "q exit", 0, cmd_quit, "leave the shell"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static int cmd_help(struct cli_shell *sh, const char *args)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        fprintf(sh->out, "  %-10s %-10s %s\n", commands[i].name, commands[i].aliases,
                commands[i].help);
    }
    fprintf(sh->out, "An empty line repeats the last motion command.\n");
    return 0;
}

static int has_alias(const char *aliases, const char *word, size_t n)
{
    const char *p = aliases;
    while (*p) {
        size_t len = strcspn(p, " ");
        if (len == n && strncmp(p, word, n) == 0) {
            return 1;
        }
        p += len;
        p += strspn(p, " ");
    }
    return 0;
}

static const struct shell_cmd *lookup(const char *word, size_t n)
{
    if (n > 1 && word[0] == 'x' && word[1] == '/') {
        n = 1; /* x/Ni */
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if ((strlen(commands[i].name) == n && strncmp(commands[i].name, word, n) == 0) ||
            has_alias(commands[i].aliases, word, n)) {
            return &commands[i];
        }
    }
    return NULL;
}

static sigjmp_buf prompt_env;
static volatile sig_atomic_t at_prompt;

static void on_sigint(int sig)
{
    if (at_prompt) {
        at_prompt = 0;
        siglongjmp(prompt_env, 1);
    }
    pt_interrupted = 1;
}

static void progress(void *ctx, uint64_t from, uint64_t to)
{
    struct cli_shell *sh = ctx;
    char a[PT_TICK_STRLEN], b[PT_TICK_STRLEN];
    fprintf(stderr, "searching back: ticks %s to %s (Ctrl-C to stop)\n", pt_tick_str(from, a),
            pt_tick_str(to, b));
    (void)sh;
}

/* Ctrl-C interrupts a motion; the shell then goes back to where the command started. */
static void shell_interruptible(struct cli_shell *sh)
{
    struct sigaction sa = {.sa_handler = on_sigint}; /* no SA_RESTART: waits return EINTR */
    sigaction(SIGINT, &sa, NULL);
    rep_set_progress(sh->rep, progress, sh);
}

int cli_shell_exec(struct cli_shell *sh, const char *line)
{
    if (!sh->interruptible) {
        shell_interruptible(sh);
        sh->interruptible = 1;
    }
    line += strspn(line, " \t");
    if (!*line || *line == '#') {
        if (!*line && sh->last_motion[0]) {
            char again[sizeof sh->last_motion]; /* exec rewrites last_motion */
            snprintf(again, sizeof again, "%s", sh->last_motion);
            return cli_shell_exec(sh, again);
        }
        return 0;
    }
    size_t n = strcspn(line, " \t");
    const struct shell_cmd *c = lookup(line, n);
    if (!c) {
        fprintf(sh->out, "Undefined command: \"%.*s\". Try \"help\".\n", (int)n, line);
        sh->failed = 1;
        return -1;
    }
    const char *args = c->fn == shell_cmd_x ? line + 1 : line + n; /* x/Ni keeps its /Ni */
    args += strspn(args, " \t");
    if (c->motion) {
        snprintf(sh->last_motion, sizeof sh->last_motion, "%s", line);
    }
    struct timespec t0, t1;
    uint64_t start_tick = 0;
    int had_tick = rep_state(sh->rep) == REP_READY && rep_tick(sh->rep, &start_tick) == 0;
    clock_gettime(CLOCK_MONOTONIC_RAW, &t0);
    pt_interrupted = 0;
    int rc = c->fn(sh, args);
    if (pt_interrupted) {
        pt_interrupted = 0;
        pt_err_clear();
        fprintf(sh->out, "Interrupted.\n");
        if (had_tick && rep_goto_tick(sh->rep, start_tick) == 0) {
            char t[PT_TICK_STRLEN];
            fprintf(sh->out, "Back at tick %s.\n", pt_tick_str(start_tick, t));
        }
    }
    if (sh->timing) {
        clock_gettime(CLOCK_MONOTONIC_RAW, &t1);
        fprintf(sh->out, "Command execution time: %.6f (wall)\n",
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
    }
    fflush(sh->out);
    if (rc < 0) {
        sh->failed = 1;
    }
    return rc;
}

int cli_shell_source(struct cli_shell *sh, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(sh->out, "error: cannot open command file %s\n", path);
        sh->failed = 1;
        return -1;
    }
    char line[4096];
    while (!sh->quit && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        cli_shell_exec(sh, line); /* an empty line repeats the last motion here too */
    }
    fclose(f);
    return 0;
}

/* Ctrl-C at the prompt drops the line being typed and shows a fresh prompt, as gdb does: the
 * SIGINT handler jumps out of readline (which handles no signals itself) and the loop restores
 * the terminal. During a command it only sets pt_interrupted. */
void cli_shell_interact(struct cli_shell *sh)
{
    int tty = isatty(0);
    char buf[4096];
    if (!sh->interruptible) { /* from the first prompt on, Ctrl-C never ends the shell */
        shell_interruptible(sh);
        sh->interruptible = 1;
    }
    rl_catch_signals = 0;
    while (!sh->quit) {
        char *line;
        if (tty) {
            if (sigsetjmp(prompt_env, 1)) {
                rl_free_line_state();
                rl_cleanup_after_signal();
                fputc('\n', stdout);
                continue;
            }
            at_prompt = 1;
            line = readline("(pytt) ");
            at_prompt = 0;
        } else {
            line = fgets(buf, sizeof buf, stdin) ? strdup(buf) : NULL;
            if (line) {
                line[strcspn(line, "\n")] = '\0';
            } else if (ferror(stdin) && errno == EINTR) {
                clearerr(stdin); /* Ctrl-C at the prompt: read the next command */
                pt_interrupted = 0;
                continue;
            }
        }
        if (!line) {
            break;
        }
        if (tty && line[0]) {
            add_history(line);
        }
        cli_shell_exec(sh, line);
        free(line);
    }
}
