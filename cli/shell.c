/*
 * shell: the replay shell's command loop (see shell.h): runs a line through the command table
 * (shell_table.c), repeats the last motion on an empty line, handles Ctrl-C (a forward motion
 * stops where it is, as `goto` to that tick would show; a backward search goes back to where it
 * started), reports progress of long motions, and reads commands from files, pipes or readline.
 */
#include "shell.h"
#include "shell_cmds.h"

#include "cli.h"
#include "common/pt_clock.h"
#include "common/pt_error.h"
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

void shell_progress_clear(struct cli_shell *sh)
{
    if (sh->progress_shown) {
        fputs("\r\033[K", stderr); /* the rewritten progress line goes before anything else */
        sh->progress_shown = 0;
    }
}

int shell_error(struct cli_shell *sh, const char *what)
{
    shell_progress_clear(sh);
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
    } else if (rep_failure(sh->rep)) {
        fprintf(sh->out,
                "The replay stopped with an error (it is not the end of the recording): "
                "%s\n",
                rep_failure(sh->rep));
    } else {
        fprintf(sh->out, "The recording ends here: %s\n", msg);
    }
}

int shell_confirm(struct cli_shell *sh, const char *question)
{
    if (sh->batch || !sh->confirm || !isatty(0)) {
        return 1;
    }
    for (;;) {
        char prompt[256];
        snprintf(prompt, sizeof prompt, "%s (y or n) ", question);
        fflush(sh->out);
        char *a = readline(prompt);
        if (!a) {
            fprintf(sh->out, "EOF [answered Y; input not from terminal]\n");
            return 1;
        }
        int yes = a[0] == 'y' || a[0] == 'Y', no = a[0] == 'n' || a[0] == 'N';
        free(a);
        if (yes || no) {
            return yes;
        }
        fprintf(sh->out, "Please answer y or n.\n");
    }
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

/* Long motions say how far they are, on stderr (a terminal gets one line rewritten in place;
 * the full-screen layout moves its position bar instead). */
static void progress(void *ctx, const struct rep_progress *p)
{
    struct cli_shell *sh = ctx;
    if (p->backward) {
        char a[PT_TICK_STRLEN], b[PT_TICK_STRLEN];
        fprintf(stderr, "searching back: ticks %s to %s (Ctrl-C to stop)\n",
                pt_tick_str(p->from, a), pt_tick_str(p->to, b));
        return;
    }
    if (sh->tui) {
        shell_tui_progress(sh, p->now);
        return;
    }
    int tty = isatty(2);
    char a[PT_TICK_STRLEN], b[PT_TICK_STRLEN];
    fprintf(stderr, "%srunning forward: tick %s of %s (%d%%) (Ctrl-C to stop)%s", tty ? "\r" : "",
            pt_tick_str(p->now, a), pt_tick_str(p->to, b),
            p->to ? (int)(100.0 * (double)p->now / (double)p->to) : 0, tty ? "\033[K" : "\n");
    sh->progress_shown = tty;
}

/* Ctrl-C interrupts a motion (see cli_shell_exec). */
static void shell_interruptible(struct cli_shell *sh)
{
    struct sigaction sa = {.sa_handler = on_sigint}; /* no SA_RESTART: waits return EINTR */
    sigaction(SIGINT, &sa, NULL);
    rep_set_progress(sh->rep, progress, sh);
}

/* After Ctrl-C: a forward motion stops where it got to; anything else goes back to the tick
 * where the command started. */
static void after_interrupt(struct cli_shell *sh, const struct shell_cmd *c, int had_tick,
                            uint64_t start_tick)
{
    pt_interrupted = 0;
    pt_err_clear();
    fprintf(sh->out, "Interrupted.\n");
    if ((c->flags & SH_FORWARD) && rep_state(sh->rep) == REP_READY) {
        shell_interrupted_stop(sh);
    } else if (had_tick && rep_goto_tick(sh->rep, start_tick) == 0) {
        char t[PT_TICK_STRLEN];
        fprintf(sh->out, "Back at tick %s.\n", pt_tick_str(start_tick, t));
    }
}

/* Run one command of the table. */
static int run_command(struct cli_shell *sh, const struct shell_cmd *c, const char *args)
{
    struct timespec t0, t1;
    uint64_t start_tick = 0;
    int had_tick = rep_state(sh->rep) == REP_READY && rep_tick(sh->rep, &start_tick) == 0;
    clock_gettime(CLOCK_MONOTONIC_RAW, &t0);
    pt_interrupted = 0;
    rep_progress_restart(sh->rep);
    fflush(sh->out); /* what the command printed before moving comes before the program's output */
    int rc = c->fn(sh, args);
    shell_progress_clear(sh);
    if (pt_interrupted) {
        after_interrupt(sh, c, had_tick, start_tick);
    }
    if (sh->timing) {
        clock_gettime(CLOCK_MONOTONIC_RAW, &t1);
        fprintf(sh->out, "Command execution time: %.6f (wall)\n",
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
    }
    fflush(sh->out);
    if (sh->tui) {
        shell_tui_refresh(sh);
    }
    return rc;
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
    size_t n = *line == '!' ? 1 : strcspn(line, " \t("); /* pdb's !STATEMENT; p(x) */
    const struct shell_cmd *c = shell_lookup(line, n);
    if (!c) {
        fprintf(sh->out, "Undefined command: \"%.*s\". Try \"help\".\n", (int)n, line);
        fflush(sh->out);
        sh->failed = 1;
        return -1;
    }
    char trimmed[4096]; /* Tab completion leaves a blank after the last word */
    snprintf(trimmed, sizeof trimmed, "%s", line);
    for (size_t k = strlen(trimmed); k > 0 && strchr(" \t\r", trimmed[k - 1]); k--) {
        trimmed[k - 1] = '\0';
    }
    line = trimmed;
    const char *args = c->fn == shell_cmd_x ? line + 1 : line + n; /* x/Ni keeps its /Ni */
    args += strspn(args, " \t");
    if (c->flags & SH_REPEAT) {
        snprintf(sh->last_motion, sizeof sh->last_motion, "%s", line);
    }
    int rc = run_command(sh, c, args);
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

/* One line from readline. Ctrl-C at the prompt drops the line being typed and shows a fresh
 * prompt, as gdb does: the SIGINT handler jumps out of readline (which handles no signals
 * itself) and the loop restores the terminal. During a command it only sets pt_interrupted. */
static char *read_tty_line(struct cli_shell *sh, int *again)
{
    *again = 0;
    if (sigsetjmp(prompt_env, 1)) {
        rl_free_line_state();
        rl_cleanup_after_signal();
        fputc('\n', stdout);
        *again = 1;
        return NULL;
    }
    at_prompt = 1;
    char *line = readline("(pytt) ");
    at_prompt = 0;
    return line;
}

static char *read_pipe_line(int *again)
{
    char buf[4096];
    *again = 0;
    if (fgets(buf, sizeof buf, stdin)) {
        buf[strcspn(buf, "\n")] = '\0';
        return strdup(buf);
    }
    if (ferror(stdin) && errno == EINTR) {
        clearerr(stdin); /* Ctrl-C at the prompt: read the next command */
        pt_interrupted = 0;
        *again = 1;
    }
    return NULL;
}

void cli_shell_interact(struct cli_shell *sh)
{
    int tty = isatty(0);
    if (!sh->interruptible) { /* from the first prompt on, Ctrl-C never ends the shell */
        shell_interruptible(sh);
        sh->interruptible = 1;
    }
    if (tty) {
        shell_readline_init(sh);
    }
    while (!sh->quit) {
        int again;
        char *line = tty ? read_tty_line(sh, &again) : read_pipe_line(&again);
        if (again) {
            continue;
        }
        if (!line) {
            break;
        }
        if (tty) {
            shell_history_add(line);
        }
        cli_shell_exec(sh, line);
        free(line);
    }
    if (tty) {
        shell_readline_done(sh);
    }
}

void cli_shell_init(struct cli_shell *sh, struct rep_session *rep, const char *trace_dir,
                    int out_fd, int err_fd, int batch)
{
    memset(sh, 0, sizeof *sh);
    sh->rep = rep;
    sh->trace_dir = trace_dir;
    sh->out = stdout;
    sh->out_fd = out_fd;
    sh->err_fd = err_fd;
    sh->batch = batch;
    sh->confirm = 1;
    shell_output_init(sh);
}

void cli_shell_close(struct cli_shell *sh)
{
    shell_tui_leave(sh);
    shell_output_free(sh);
}
