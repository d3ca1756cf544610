/*
 * shell_table: the replay shell's one command table: names and aliases (gdb's and, where they
 * do not clash, pdb's), which group each belongs to, usage and help text, what its argument is
 * (for Tab completion) and whether an empty line repeats it. `help` lists the table by group,
 * `help CMD` shows one row, and the command loop and completion look names up here; a command
 * added to the table appears in all three.
 */
#include "shell_cmds.h"

#include <stdio.h>
#include <string.h>

#define G_FWD "Running forwards"
#define G_BACK "Running backwards"
#define G_TIME "Moments of the recording"
#define G_BREAK "Breakpoints and catchpoints"
#define G_STACK "The stack and its values"
#define G_CODE "Source and code"
#define G_SCREEN "The screen"
#define G_SESSION "The session"

#define FWD (SH_REPEAT | SH_FORWARD)
#define BACK (SH_REPEAT | SH_BACKWARD)

static const struct shell_cmd commands[] = {
    /* running forwards */
    {"step", "s", FWD, shell_cmd_step, "run to the next line, entering calls", G_FWD, "step",
     "Stops at the next 'line' event, in any frame, as sys.settrace reports it.", 0, NULL},
    {"next", "n", FWD, shell_cmd_next, "run to the next line in this function (or its caller)",
     G_FWD, "next", "Calls run to completion unless a breakpoint stops them.", 0, NULL},
    {"finish", "fin r return", FWD, shell_cmd_finish, "run until this function returns", G_FWD,
     "finish", "Stops in the caller, right after the call.", 0, NULL},
    {"until", "unt", FWD, shell_cmd_until,
     "run to a line after this one in this function, or to line N", G_FWD, "until [N]",
     "Without N: the next line greater than this one in this function (leaves loops), or the "
     "return. With N: the first line >= N in this function; if the function returns first, or a "
     "breakpoint is hit, that is said and the stop shown.",
     0, NULL},
    {"continue", "c cont", FWD, shell_cmd_continue,
     "run to the next breakpoint or catchpoint hit, or the end", G_FWD, "continue",
     "Far runs start from a snapshot ahead when there is one and print their progress; Ctrl-C "
     "stops them where they are.",
     0, NULL},
    /* running backwards */
    {"reverse-step", "rs", BACK, shell_cmd_reverse_step, "back to the previous line, any frame",
     G_BACK, "reverse-step", NULL, 0, NULL},
    {"reverse-next", "rn", BACK, shell_cmd_reverse_next,
     "back to the previous line in this function (or its caller)", G_BACK, "reverse-next", NULL, 0,
     NULL},
    {"reverse-finish", "rf", BACK, shell_cmd_reverse_finish,
     "back to where this function was called", G_BACK, "reverse-finish", NULL, 0, NULL},
    {"reverse-continue", "rc", BACK, shell_cmd_reverse_continue,
     "back to the previous breakpoint or catchpoint hit, or the start", G_BACK, "reverse-continue",
     "Prints its progress; Ctrl-C goes back to where it started.", 0, NULL},
    {"last", "", BACK, shell_cmd_last, "back to the last change of a value (-f: the next one)",
     G_BACK, "last [-f] EXPR",
     "Goes to the first moment after the last change of EXPR before now (EXPR as for watch), "
     "showing Old value / New value and the line and thread that changed it. Repeat it (an "
     "empty line does) to walk back through every earlier change; -f goes forward to the next "
     "one. Ctrl-C goes back to where it started.",
     SH_ARG_EXPR, NULL},
    /* moments */
    {"goto", "", SH_FORWARD, shell_cmd_goto, "go to a moment, forwards or backwards", G_TIME,
     "goto TICK|start|end",
     "TICK counts the bytecode instructions run since the start (see `when`). `end` is the last "
     "Python instruction of the recording.",
     SH_ARG_WORDS, "start end"},
    {"history", "", SH_BACKWARD, shell_cmd_history, "every change of a value in the recording",
     G_TIME, "history EXPR [--limit N]",
     "One pass over the recording from the main script's first line: a row per change of EXPR "
     "(as for watch) with the tick of the first moment after it (goto TICK goes there), the "
     "thread, the line and function that changed it and the new value. --limit N stops after "
     "N rows. The replay stays where it was; Ctrl-C stops the pass.",
     SH_ARG_EXPR, NULL},
    {"trace", "", SH_BACKWARD, shell_cmd_trace,
     "values at every execution of a line, or every call, in the whole recording", G_TIME,
     "trace FILE:LINE|LINE EXPR[, EXPR...] [> FILE] | trace FUNCTION [> FILE]",
     "The print statement added after the fact: one pass over the recording from the main "
     "script's first line, a row per hit (tick, thread, line, function, values, evaluated as "
     "print does), without stopping. trace FUNCTION shows every call with its arguments. > FILE "
     "writes the rows to FILE. Breakpoints and watchpoints are set aside meanwhile; the replay "
     "stays where it was; Ctrl-C stops the pass.",
     SH_ARG_LOCATION, NULL},
    {"when", "", 0, shell_cmd_when, "the current moment: Python tick and event number", G_TIME,
     "when", NULL, 0, NULL},
    {"jump", "j", 0, shell_cmd_jump, "(pdb) refused: a recording cannot change", G_TIME,
     "jump LINE", "Use goto, until LINE or a breakpoint to move to another moment.", 0, NULL},
    /* breakpoints */
    {"break", "b", 0, shell_cmd_break, "set a breakpoint", G_BREAK,
     "break [FILE:LINE|LINE|FUNCTION [thread N] [if COND]]",
     "FUNCTION may be `name`, `Class.method` or `module.func`. Code that is not loaded yet "
     "leaves the breakpoint pending (`info breakpoints` shows it) until it is. It stops in any "
     "thread (a stop in another thread than the selected one says so), or with `thread N` only "
     "in thread N (as `info threads` numbers them). Without an argument: list the breakpoints.",
     SH_ARG_LOCATION, NULL},
    {"tbreak", "", 0, shell_cmd_tbreak, "set a breakpoint deleted at its first hit", G_BREAK,
     "tbreak FILE:LINE|LINE|FUNCTION [thread N] [if COND]", NULL, SH_ARG_LOCATION, NULL},
    {"clear", "cl", 0, shell_cmd_clear, "delete breakpoints by number or by location", G_BREAK,
     "clear [N...|FILE:LINE|LINE|FUNCTION]", "Without an argument: all of them (asks first).",
     SH_ARG_LOCATION, NULL},
    {"delete", "", 0, shell_cmd_delete, "delete breakpoints", G_BREAK, "delete [N...]",
     "Without N: all of them (asks first, unless --batch or `set confirm off`).", 0, NULL},
    {"disable", "", 0, shell_cmd_disable, "switch a breakpoint off", G_BREAK, "disable N", NULL, 0,
     NULL},
    {"enable", "", 0, shell_cmd_enable, "switch a breakpoint on", G_BREAK, "enable N", NULL, 0,
     NULL},
    {"condition", "", 0, shell_cmd_condition, "set or clear a breakpoint's condition", G_BREAK,
     "condition N [COND]", NULL, 0, NULL},
    {"watch", "", 0, shell_cmd_watch, "stop where a value changes (continue, reverse-continue)",
     G_BREAK, "watch EXPR",
     "EXPR is a variable, NAME.attr... or NAME[key]..., resolved now: a local of this function "
     "(in every call of it), a global of this module, that attribute of the object NAME.attr "
     "names now, that item of the container. continue and reverse-continue stop at the "
     "next/previous moment its value changes (a change in place too: lst.append), in any "
     "thread, showing Old value / New value and the line and thread that changed it. They "
     "then check every bytecode instruction (slower than with breakpoints only); delete N "
     "removes it.",
     SH_ARG_EXPR, NULL},
    {"catch", "", 0, shell_cmd_catch, "stop where an exception is raised", G_BREAK,
     "catch raise [EXCEPTION]",
     "Forwards with continue, backwards with reverse-continue; EXCEPTION is a class name.",
     SH_ARG_WORDS, "raise"},
    /* the stack */
    {"bt", "where w backtrace py-bt", 0, shell_cmd_bt, "the Python stack", G_STACK,
     "bt [-full] [-native]", "-full adds each frame's locals; -native interleaves native frames.",
     SH_ARG_WORDS, "-full -native"},
    {"up", "u py-up", 0, shell_cmd_up, "select the frame N levels up (callers)", G_STACK, "up [N]",
     NULL, 0, NULL},
    {"down", "d py-down", 0, shell_cmd_down, "select the frame N levels down", G_STACK, "down [N]",
     NULL, 0, NULL},
    {"frame", "f", 0, shell_cmd_frame, "select or show a frame", G_STACK, "frame [N]", NULL, 0,
     NULL},
    {"locals", "py-locals", 0, shell_cmd_locals, "local variables of the selected frame", G_STACK,
     "locals", NULL, 0, NULL},
    {"globals", "", 0, shell_cmd_globals, "global variables of the selected frame", G_STACK,
     "globals", NULL, 0, NULL},
    {"print", "p py-print", SH_EVAL_HELP, shell_cmd_print,
     "repr of any Python expression, evaluated at this moment (side effects are discarded)",
     G_STACK, "print EXPR", NULL, SH_ARG_EXPR, NULL},
    {"pp", "", SH_EVAL_HELP, shell_cmd_pp, "pretty-print the value (pprint)", G_STACK, "pp EXPR",
     NULL, SH_ARG_EXPR, NULL},
    {"whatis", "", 0, shell_cmd_whatis, "the type of the value", G_STACK, "whatis EXPR", NULL,
     SH_ARG_EXPR, NULL},
    {"!", "", SH_EVAL_HELP, shell_cmd_bang, "run a Python statement at this moment", G_STACK,
     "!STATEMENT", NULL, SH_ARG_EXPR, NULL},
    {"display", "", SH_EVAL_HELP, shell_cmd_display, "show EXPR at every stop (or all now)",
     G_STACK, "display [EXPR]", NULL, SH_ARG_EXPR, NULL},
    {"undisplay", "", 0, shell_cmd_undisplay, "delete display expressions", G_STACK,
     "undisplay [N...]", NULL, 0, NULL},
    {"args", "a", 0, shell_cmd_args, "the arguments of the selected frame's function", G_STACK,
     "args", NULL, 0, NULL},
    {"retval", "rv", 0, shell_cmd_retval, "the value the function returned (after finish)", G_STACK,
     "retval", NULL, 0, NULL},
    {"interact", "", SH_EVAL_HELP, shell_cmd_interact,
     "a Python REPL at this moment (in a throwaway copy: changes are discarded)", G_STACK,
     "interact", NULL, 0, NULL},
    {"thread", "t", 0, shell_cmd_thread, "select a thread, or run a command in several", G_STACK,
     "thread [N] | thread apply all|N... COMMAND",
     "Without N: the selected thread. thread N selects thread N (numbered as `info threads` "
     "shows them: 1 is the first thread, then in the order the program created them): bt, up, "
     "down, print, locals, list and dis show its stack, and step, next and finish follow it. "
     "thread apply all bt shows every thread's stack (newest first); COMMAND must not run the "
     "replay.",
     SH_ARG_WORDS, "apply all"},
    /* code */
    {"list", "l py-list", 0, shell_cmd_list, "source around the current line", G_CODE,
     "list [FIRST[,LAST]]", NULL, 0, NULL},
    {"longlist", "ll", 0, shell_cmd_longlist, "the whole source of the selected function", G_CODE,
     "longlist", NULL, 0, NULL},
    {"dis", "py-dis", 0, shell_cmd_dis, "bytecode of the selected frame, as dis.dis", G_CODE, "dis",
     NULL, 0, NULL},
    {"x", "", 0, shell_cmd_x, "native instructions (default: at the native pc)", G_CODE,
     "x/Ni [ADDR]", NULL, 0, NULL},
    {"disas", "", 0, shell_cmd_disas, "the native function around ADDR", G_CODE, "disas [ADDR]",
     NULL, 0, NULL},
    /* screen */
    {"layout", "", 0, shell_cmd_layout, "full-screen windows: source, locals, stack, bytecode",
     G_SCREEN, "layout python|src",
     "python: source, locals, backtrace, bytecode, the program's output and the position in "
     "the recording above the command line; src: source only. Ctrl-X A switches the layout on "
     "and off; `tui disable` leaves it.",
     SH_ARG_WORDS, "python src"},
    {"tui", "", 0, shell_cmd_tui, "switch the full-screen layout on or off", G_SCREEN,
     "tui enable|disable", NULL, SH_ARG_WORDS, "enable disable"},
    {"refresh", "", 0, shell_cmd_refresh, "redraw the full-screen layout", G_SCREEN, "refresh",
     NULL, 0, NULL},
    /* session */
    {"info", "i", 0, shell_cmd_info, "the trace, breakpoints, displays, snapshots or threads",
     G_SESSION, "info [trace|breakpoints|watchpoints|catch|display|snapshots|threads|locals]",
     "info threads: every thread now, by number, `*` on the selected one, with its id, the name "
     "threading gave it and where its Python code is.",
     SH_ARG_WORDS, "trace breakpoints watchpoints catch display snapshots threads locals"},
    {"set", "", 0, shell_cmd_set, "change a setting", G_SESSION,
     "set reprint on|off | set confirm on|off | set eval-timeout SECONDS",
     "reprint: show the program's output again when a motion re-executes a part of the run "
     "already seen (off by default: output is shown once, as it first happened). confirm: ask "
     "before deleting all breakpoints. eval-timeout: the limit for each evaluation (default 5).",
     SH_ARG_WORDS, "reprint confirm eval-timeout"},
    {"show", "", 0, shell_cmd_show, "show the settings", G_SESSION,
     "show [reprint|confirm|eval-timeout]", NULL, SH_ARG_WORDS, "reprint confirm eval-timeout"},
    {"maint", "", 0, shell_cmd_maint, "timing of commands, work done by the replay", G_SESSION,
     "maint time on|off | maint stats | maint layout | maint eval auto|memory|copy",
     "time: print each command's wall-clock time. stats: the ticks replayed and the snapshots "
     "restored so far. eval: where expressions are evaluated (from memory when exact, or in a "
     "copy of the process).",
     SH_ARG_WORDS, "time stats eval"},
    {"help", "h ?", 0, shell_cmd_help, "list the commands, or say more about one", G_SESSION,
     "help [COMMAND]", NULL, SH_ARG_COMMAND, NULL},
    {"quit", "q exit", 0, shell_cmd_quit, "leave the shell", G_SESSION, "quit", NULL, 0, NULL},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

const struct shell_cmd *shell_commands(size_t *n)
{
    *n = NCOMMANDS;
    return commands;
}

static int has_alias(const char *aliases, const char *word, size_t n)
{
    const char *p = aliases ? aliases : "";
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

const struct shell_cmd *shell_lookup(const char *word, size_t n)
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

/* "name (a, b)" */
static void name_with_aliases(const struct shell_cmd *c, char *out, size_t cap)
{
    size_t len = (size_t)snprintf(out, cap, "%s", c->name);
    const char *p = c->aliases ? c->aliases : "";
    int first = 1;
    while (*p && len < cap) {
        size_t n = strcspn(p, " ");
        if (strncmp(p, "py-", 3) != 0) { /* gdb's libpython names: listed under help CMD */
            len += (size_t)snprintf(out + len, cap - len, "%s%.*s", first ? " (" : ", ", (int)n, p);
            first = 0;
        }
        p += n;
        p += strspn(p, " ");
    }
    if (!first && len < cap) {
        snprintf(out + len, cap - len, ")");
    }
}

/* The one-line description: after "USAGE: " when help starts with the command's usage. */
static const char *summary(const struct shell_cmd *c)
{
    size_t n = strlen(c->name);
    const char *colon = strstr(c->help, ": ");
    int usage_first = strncmp(c->help, c->name, n) == 0 && (c->help[n] == ' ' || c->help[n] == ':');
    return colon && usage_first ? colon + 2 : c->help;
}

static void print_group(struct cli_shell *sh, const char *group)
{
    size_t n;
    const struct shell_cmd *t = shell_commands(&n);
    fprintf(sh->out, "%s\n", group ? group : "Other commands");
    for (size_t i = 0; i < n; i++) {
        if ((group && t[i].group && strcmp(t[i].group, group) == 0) || (!group && !t[i].group)) {
            char names[128];
            name_with_aliases(&t[i], names, sizeof names);
            fprintf(sh->out, "  %-26s %s\n", names, summary(&t[i]));
        }
    }
}

static int help_all(struct cli_shell *sh)
{
    size_t n;
    const struct shell_cmd *t = shell_commands(&n);
    int others = 0;
    for (size_t i = 0; i < n; i++) {
        int first = t[i].group != NULL;
        for (size_t k = 0; k < i && first; k++) {
            first = !(t[k].group && strcmp(t[k].group, t[i].group) == 0);
        }
        if (first) {
            print_group(sh, t[i].group);
        }
        others |= t[i].group == NULL;
    }
    if (others) {
        print_group(sh, NULL);
    }
    fprintf(sh->out, "Type \"help COMMAND\" for more about a command. An empty line repeats the "
                     "last motion; Ctrl-C interrupts one; Ctrl-X A switches the full-screen "
                     "layout.\n");
    return 0;
}

static int help_one(struct cli_shell *sh, const struct shell_cmd *c)
{
    char names[128];
    name_with_aliases(c, names, sizeof names);
    fprintf(sh->out, "%s: %s\n", names, summary(c));
    if (c->usage) {
        fprintf(sh->out, "usage: %s\n", c->usage);
    } else if (summary(c) != c->help) {
        fprintf(sh->out, "usage: %.*s\n", (int)(strstr(c->help, ": ") - c->help), c->help);
    }
    if (c->doc) {
        fprintf(sh->out, "%s\n", c->doc);
    }
    if (c->aliases && strstr(c->aliases, "py-")) {
        fprintf(sh->out, "Also known as: %s\n", c->aliases);
    }
    if (c->flags & SH_REPEAT) {
        fprintf(sh->out, "An empty line repeats it.\n");
    }
    if (c->flags & SH_EVAL_HELP) {
        shell_help_eval(sh);
    }
    return 0;
}

int shell_cmd_help(struct cli_shell *sh, const char *args)
{
    if (!*args) {
        return help_all(sh);
    }
    size_t n = strcspn(args, " \t");
    const struct shell_cmd *c = shell_lookup(args, n);
    if (!c) {
        fprintf(sh->out, "Undefined command: \"%.*s\". Try \"help\".\n", (int)n, args);
        return -1;
    }
    return help_one(sh, c);
}
