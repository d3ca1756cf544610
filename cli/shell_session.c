/*
 * shell_session: commands about the session rather than the program: `info` (the trace and the
 * position, and the dispatch to info breakpoints/display/snapshots/threads), `when`, `set`/`show`
 * (reprint, confirm; eval-timeout passed on to shell_eval.c), `maint time|stats|eval`, `quit`,
 * and pdb's `jump`, which a recording cannot do.
 */
#include "shell_cmds.h"

#include "common/pt_clock.h"
#include "common/pt_elf.h"
#include "common/pt_trace.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int shell_not_stopped(struct cli_shell *sh)
{
    if (sh->unusable) {
        fprintf(sh->out, "The replay could not start, so there is nothing to show: %s\n",
                sh->unusable_why);
        return 1;
    }
    if (rep_state(sh->rep) != REP_READY) {
        fprintf(sh->out, "The program is not being run: the replay is at the end of the "
                         "recording (goto, reverse motions and catch raise + reverse-continue "
                         "go back).\n");
        return 1;
    }
    return 0;
}

static void print_argv(FILE *out, const struct pt_header *h)
{
    for (size_t i = 0; i < h->argc; i++) {
        fprintf(out, "%s%s", i ? " " : "", h->argv[i]);
    }
    fputc('\n', out);
}

static int info_trace(struct cli_shell *sh)
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
    if (sh->unusable) {
        fprintf(sh->out, "state: the replay could not start: %s\n", sh->unusable_why);
    } else if (rep_state(sh->rep) == REP_FINISHED) {
        fprintf(sh->out, "state: at the end of the recording\n");
    } else {
        fprintf(sh->out, "state: stopped (pid %d)\n", (int)rep_pid(sh->rep));
    }
    return 0;
}

/* gdb accepts any unambiguous prefix of an info subcommand ("info b", "info br"). */
static int is_sub(const char *args, const char *name, size_t min)
{
    size_t n = strcspn(args, " ");
    return n >= min && n <= strlen(name) && strncmp(args, name, n) == 0;
}

int shell_cmd_info(struct cli_shell *sh, const char *args)
{
    if (is_sub(args, "threads", 2)) {
        return shell_cmd_threads(sh);
    }
    if (is_sub(args, "catch", 2)) {
        return shell_cmd_info_breakpoints(sh);
    }
    if (is_sub(args, "snapshots", 1)) {
        return shell_cmd_info_snapshots(sh);
    }
    if (is_sub(args, "breakpoints", 1)) {
        return shell_cmd_info_breakpoints(sh);
    }
    if (is_sub(args, "watchpoints", 1)) {
        return shell_cmd_info_watchpoints(sh);
    }
    if (is_sub(args, "display", 1)) {
        return shell_cmd_info_display(sh);
    }
    if (is_sub(args, "locals", 1)) {
        return shell_cmd_locals(sh, "");
    }
    if (!*args || is_sub(args, "trace", 2)) {
        return info_trace(sh);
    }
    fprintf(sh->out,
            "usage: info [trace|breakpoints|watchpoints|catch|display|snapshots|threads|locals]\n");
    return -1;
}

int shell_cmd_when(struct cli_shell *sh, const char *args)
{
    uint64_t tick;
    if (sh->unusable) {
        return shell_not_stopped(sh) ? -1 : 0;
    }
    if (rep_tick(sh->rep, &tick) < 0) {
        return shell_error(sh, "cannot read the Python clock");
    }
    char t[PT_TICK_STRLEN];
    fprintf(sh->out, "tick %s, event %llu%s\n", pt_tick_str(tick, t),
            (unsigned long long)rep_position(sh->rep),
            rep_state(sh->rep) == REP_FINISHED ? " (end of the recording)" : "");
    return 0;
}

/* on|off|1|0 -> 1/0, -1 if neither */
static int parse_bool(const char *v)
{
    if (strcmp(v, "on") == 0 || strcmp(v, "1") == 0 || strcmp(v, "yes") == 0) {
        return 1;
    }
    if (strcmp(v, "off") == 0 || strcmp(v, "0") == 0 || strcmp(v, "no") == 0) {
        return 0;
    }
    return -1;
}

int shell_cmd_maint(struct cli_shell *sh, const char *args)
{
    if (strcmp(args, "stats") == 0) {
        uint64_t ticks, restores;
        rep_stats(sh->rep, &ticks, &restores);
        fprintf(sh->out,
                "ticks replayed: %llu, snapshots restored: %llu, conditions checked "
                "by pytt: %llu, trace hits logged in the program: %llu, sparse passes: %llu\n",
                (unsigned long long)ticks, (unsigned long long)restores,
                (unsigned long long)rep_cond_checks(sh->rep),
                (unsigned long long)rep_tlog_count(sh->rep),
                (unsigned long long)rep_sparse_passes(sh->rep));
        return 0;
    }
    if (strcmp(args, "layout") == 0) {
        struct pyi_session *p = rep_pyi(sh->rep);
        if (!p) {
            return shell_error(sh, "maint layout");
        }
        fprintf(sh->out, "CPython %s (%s): layout %s\n", pyi_version(p), pyi_python_module(p),
                pyi_layout_source(p));
        return 0;
    }
    if (strncmp(args, "eval ", 5) == 0) {
        return shell_maint_eval(sh, args + 5);
    }
    int on = strncmp(args, "time ", 5) == 0 ? parse_bool(args + 5) : -1;
    if (on < 0) {
        fprintf(sh->out, "usage: maint time on|off, maint stats, maint layout, maint eval "
                         "auto|memory|copy\n");
        return -1;
    }
    sh->timing = on;
    return 0;
}

int shell_cmd_set(struct cli_shell *sh, const char *args)
{
    size_t n = strcspn(args, " ");
    const char *value = args + n + strspn(args + n, " ");
    int on = parse_bool(value);
    if (on >= 0 && n == 7 && strncmp(args, "reprint", 7) == 0) {
        rep_set_reprint(sh->rep, on);
        return 0;
    }
    if (on >= 0 && n == 7 && strncmp(args, "confirm", 7) == 0) {
        sh->confirm = on;
        return 0;
    }
    if (n == 12 && strncmp(args, "eval-timeout", 12) == 0) {
        return shell_set_eval(sh, args);
    }
    fprintf(sh->out, "usage: set reprint on|off, set confirm on|off, set eval-timeout SECONDS\n");
    return -1;
}

int shell_cmd_show(struct cli_shell *sh, const char *args)
{
    int all = !*args;
    if (all || strcmp(args, "eval-timeout") == 0) {
        shell_show_eval(sh, "eval-timeout");
    }
    if (all || strcmp(args, "reprint") == 0) {
        fprintf(sh->out, "reprint: %s (%s)\n", rep_reprint(sh->rep) ? "on" : "off",
                rep_reprint(sh->rep) ? "output is shown again each time it is re-executed"
                                     : "the program's output is shown once, as it first "
                                       "happened");
    }
    if (all || strcmp(args, "confirm") == 0) {
        fprintf(sh->out, "confirm: %s\n", sh->confirm ? "on" : "off");
    }
    if (!all && strcmp(args, "reprint") != 0 && strcmp(args, "confirm") != 0 &&
        strcmp(args, "eval-timeout") != 0) {
        fprintf(sh->out, "usage: show [reprint|confirm|eval-timeout]\n");
        return -1;
    }
    return 0;
}

int shell_cmd_quit(struct cli_shell *sh, const char *args)
{
    sh->quit = 1;
    return 0;
}

int shell_cmd_jump(struct cli_shell *sh, const char *args)
{
    fprintf(sh->out, "jump: cannot change the past: use goto (goto TICK|start|end), until LINE or "
                     "a breakpoint to move to another moment of the recording.\n");
    return -1;
}
