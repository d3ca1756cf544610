/*
 * shell_threads: the replay shell's threads, in gdb's words. Threads have gdb's numbers (1 is
 * the first thread, then in the order the recording created them: rep_threadnum.c). `thread`
 * says which one is selected, `thread N` selects one (its stack, locals and values then drive
 * bt, up/down, print, list and dis, and step/next/finish follow it), `info threads` lists every
 * thread with its Python name and where it is, `thread apply all|N... CMD` runs an inspection
 * command in each. A stop in another thread than the selected one says so:
 *     [Switching to thread 2 (Thread-1 (worker), tid 4242)]
 */
#include "shell_cmds.h"

#include "common/pt_error.h"
#include "pyintrospect/pyintrospect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 4096

/* pyintrospect's index of the thread with recorded id tid (-1: it has no Python state). */
static int pyi_index(struct pyi_session *p, pid_t tid)
{
    const struct pyi_thread *t;
    size_t n;
    if (pyi_threads(p, &t, &n) < 0) {
        pt_err_clear();
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (t[i].native_tid == tid) {
            return (int)i;
        }
    }
    return -1;
}

/* threading's name of the thread (malloc'd), or NULL. */
static char *thread_name(struct pyi_session *p, pid_t tid)
{
    char *name = NULL;
    int i = p ? pyi_index(p, tid) : -1;
    if (i >= 0 && pyi_thread_name(p, (size_t)i, &name) < 0) {
        pt_err_clear();
    }
    return name;
}

/* prefix, "2 (Thread-1 (worker), tid 4242)", suffix. */
static void print_thread(struct cli_shell *sh, const char *prefix, pid_t tid, const char *suffix)
{
    struct pyi_session *p = rep_pyi(sh->rep);
    char *name = thread_name(p, tid);
    fprintf(sh->out, "%s%d (%s%stid %d)%s\n", prefix, rep_thread_number(sh->rep, tid),
            name ? name : "", name ? ", " : "", (int)tid, suffix);
    free(name);
    pt_err_clear();
}

void shell_thread_label(struct cli_shell *sh, char *buf, size_t cap)
{
    pid_t tids[2], tid = rep_selected_thread(sh->rep);
    buf[0] = '\0';
    if (rep_thread_ids(sh->rep, tids, 2) < 2 || !tid) {
        return; /* one thread: nothing to tell apart */
    }
    char *name = thread_name(rep_pyi(sh->rep), tid);
    snprintf(buf, cap, "thread %d%s%s%s", rep_thread_number(sh->rep, tid), name ? " (" : "",
             name ? name : "", name ? ")" : "");
    free(name);
    pt_err_clear();
}

void shell_note_thread_switch(struct cli_shell *sh)
{
    int switched;
    pid_t tid = rep_stop_thread(sh->rep, &switched);
    if (switched && tid) {
        print_thread(sh, "[Switching to thread ", tid, "]");
    }
}

/* Select the thread with recorded id tid for motions (replayer) and views (pyintrospect). */
static int select_tid(struct cli_shell *sh, struct pyi_session *p, pid_t tid, int n)
{
    if (pyi_select_thread_tid(p, tid) < 0) {
        return pt_fail("thread %d (tid %d) has no Python state at this moment", n, (int)tid);
    }
    return rep_select_thread(sh->rep, tid);
}

/* The threads alive now, as (number, recorded id), by number. */
struct numbered {
    int n;
    pid_t tid;
};

static int by_number(const void *a, const void *b)
{
    return ((const struct numbered *)a)->n - ((const struct numbered *)b)->n;
}

static int alive_threads(struct cli_shell *sh, struct numbered *out, int max)
{
    pid_t tids[MAX_THREADS];
    int n = rep_thread_ids(sh->rep, tids, max < MAX_THREADS ? max : MAX_THREADS);
    for (int i = 0; i < n; i++) {
        out[i].n = rep_thread_number(sh->rep, tids[i]);
        out[i].tid = tids[i];
    }
    qsort(out, (size_t)n, sizeof *out, by_number);
    return n;
}

int shell_cmd_threads(struct cli_shell *sh)
{
    struct pyi_session *p = shell_pyi(sh);
    static struct numbered t[MAX_THREADS];
    char *names[MAX_THREADS];
    if (!p) {
        return -1;
    }
    int n = alive_threads(sh, t, MAX_THREADS);
    int width = 4;
    for (int i = 0; i < n; i++) {
        names[i] = thread_name(p, t[i].tid);
        int len = names[i] ? (int)strlen(names[i]) : 0;
        width = len > width ? len : width;
    }
    pid_t sel = rep_selected_thread(sh->rep);
    fprintf(sh->out, "  Id   Tid      %-*s  Where\n", width, "Name");
    for (int i = 0; i < n; i++) {
        struct pyi_frame f;
        int k = pyi_index(p, t[i].tid);
        int has = k >= 0 ? pyi_thread_top(p, (size_t)k, &f) : 0;
        fprintf(sh->out, "%c %-4d %-8d %-*s  ", t[i].tid == sel ? '*' : ' ', t[i].n, (int)t[i].tid,
                width, names[i] ? names[i] : "");
        if (has > 0) {
            fprintf(sh->out, "%s:%d in %s\n", f.filename, f.line, f.funcname);
        } else {
            fprintf(sh->out, "%s\n", k < 0 ? "(no Python thread state)" : "(no Python frame)");
        }
        free(names[i]);
        pt_err_clear();
    }
    return 0;
}

static int thread_select(struct cli_shell *sh, struct pyi_session *p, const char *args)
{
    char *end;
    long n = strtol(args, &end, 10);
    pid_t tid;
    if (end == args || *end) {
        fprintf(sh->out, "usage: thread [N] | thread apply all|N... COMMAND\n");
        return -1;
    }
    if (rep_thread_of_number(sh->rep, (int)n, &tid) < 0 || select_tid(sh, p, tid, (int)n) < 0) {
        return shell_error(sh, "thread");
    }
    print_thread(sh, "[Switching to thread ", tid, "]");
    return pyi_print_frame(p, sh->out, 0) < 0 ? shell_error(sh, "thread") : 0;
}

/* thread apply all|N... CMD: CMD in each thread (all: newest first, as gdb), then the
 * selection comes back. Commands that run the replay are refused. */
static int thread_apply(struct cli_shell *sh, struct pyi_session *p, const char *args)
{
    static struct numbered t[MAX_THREADS];
    int n = alive_threads(sh, t, MAX_THREADS), all = strncmp(args, "all", 3) == 0;
    const char *cmd = all ? args + 3 : args + strspn(args, "0123456789 ");
    cmd += strspn(cmd, " ");
    const struct shell_cmd *c = shell_lookup(cmd, strcspn(cmd, " "));
    if (!*cmd || (!all && cmd == args)) {
        fprintf(sh->out, "usage: thread apply all|N... COMMAND\n");
        return -1;
    }
    if (c && (c->flags & (SH_FORWARD | SH_BACKWARD))) {
        fprintf(sh->out,
                "thread apply: `%s` runs the replay; use it with one thread selected "
                "(thread N)\n",
                c->name);
        return -1;
    }
    pid_t keep = rep_selected_thread(sh->rep);
    size_t frame = pyi_frame_selected(p);
    int rc = 0;
    for (int i = all ? n - 1 : 0; all ? i >= 0 : i < n; i += all ? -1 : 1) {
        int wanted = all;
        for (const char *q = args; !all && q < cmd && !wanted; q += strspn(q, " ")) {
            char *end;
            wanted = strtol(q, &end, 10) == t[i].n;
            q = end;
        }
        if (!wanted) {
            continue;
        }
        fputc('\n', sh->out);
        print_thread(sh, "Thread ", t[i].tid, ":");
        if (select_tid(sh, p, t[i].tid, t[i].n) < 0) {
            fprintf(sh->out, "%s\n", pt_errmsg());
            pt_err_clear();
            continue;
        }
        rc |= cli_shell_exec(sh, cmd);
    }
    if (keep && select_tid(sh, p, keep, 0) == 0) {
        pyi_frame_select(p, frame);
    }
    pt_err_clear();
    return rc;
}

int shell_cmd_thread(struct cli_shell *sh, const char *args)
{
    struct pyi_session *p = shell_pyi(sh);
    if (!p) {
        return -1;
    }
    if (strncmp(args, "apply", 5) == 0 && (args[5] == ' ' || !args[5])) {
        return thread_apply(sh, p, args + 5 + strspn(args + 5, " "));
    }
    if (*args) {
        return thread_select(sh, p, args);
    }
    pid_t tid = rep_selected_thread(sh->rep);
    if (!tid) {
        fprintf(sh->out, "No thread selected.\n");
        return 0;
    }
    print_thread(sh, "[Current thread is ", tid, "]");
    return 0;
}

int shell_break_thread_arg(struct cli_shell *sh, char *spec, int *thread)
{
    char *at = strstr(spec, " thread ");
    *thread = 0;
    if (!at) {
        return 0;
    }
    char *end;
    long n = strtol(at + 8, &end, 10);
    if (end == at + 8 || end[strspn(end, " ")] || n < 1) {
        pt_fail("`thread` takes a thread number, as `info threads` shows: break LOCATION "
                "thread N [if COND]");
        return -1;
    }
    pid_t tid;
    if (n > rep_thread_count(sh->rep) && rep_thread_of_number(sh->rep, (int)n, &tid) < 0) {
        return -1; /* says how many threads there are */
    }
    *at = '\0';
    *thread = (int)n;
    return 0;
}
