/*
 * shell_watch: data over time in the replay shell. `watch EXPR` (continue and reverse-continue
 * then stop where its value changes, with gdb's "Old value = / New value =" and the line and
 * thread that changed it), `info watchpoints`, `last EXPR` (back to the previous change, `last
 * -f` forward to the next one; an empty line repeats it, walking through every earlier change)
 * and `history EXPR [--limit N]` (every change as a table; `goto TICK` goes to a row), and
 * `trace FILE:LINE EXPR, ...` / `trace FUNCTION` (every hit with values, `> FILE`). The
 * engine is replayer/rep_watch.c; this file only parses and prints.
 */
#include "shell_cmds.h"

#include "common/pt_clock.h"
#include "common/pt_error.h"
#include "pyintrospect/pyintrospect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* "prog.py:12 in Counter.bump (thread 2)": the instruction that made a change. */
static void print_by(struct cli_shell *sh, const struct rep_place *by)
{
    fprintf(sh->out, "%s:%d in %s", base_name(by->file), by->line, by->func);
    if (by->thread) {
        fprintf(sh->out, " (thread %d)", by->thread);
    }
}

static void print_change(struct cli_shell *sh, const char *title, const struct rep_change *ch)
{
    fprintf(sh->out, "\n%s\n\nOld value = %s\nNew value = %s\nChanged at ", title, ch->old_value,
            ch->new_value);
    print_by(sh, &ch->by);
    fputc('\n', sh->out);
}

/* After continue/reverse-continue stopped at a watchpoint's change. */
void shell_print_change(struct cli_shell *sh)
{
    const struct rep_change *ch = rep_last_change(sh->rep);
    int n;
    const struct rep_watchpt *w = rep_watchpoints(sh->rep, &n);
    for (int i = 0; ch && i < n; i++) {
        if (w[i].id == ch->which) {
            char title[600];
            snprintf(title, sizeof title, "Watchpoint %d: %s", w[i].id, w[i].expr);
            print_change(sh, title, ch);
        }
    }
}

static void print_place(struct cli_shell *sh, const struct pyi_loc *loc)
{
    char text[1200];
    pyi_loc_describe(loc, text, sizeof text);
    fputs(text, sh->out);
}

int shell_cmd_watch(struct cli_shell *sh, const char *args)
{
    const struct rep_watchpt *w;
    if (!*args) {
        fprintf(sh->out, "usage: watch EXPR (a variable, NAME.attr or NAME[key])\n");
        return -1;
    }
    if (sh->unusable || rep_state(sh->rep) != REP_READY) {
        return shell_not_stopped(sh) ? -1 : 0;
    }
    if (rep_watch_add(sh->rep, args, &w) < 0) {
        return shell_error(sh, "watch");
    }
    fprintf(sh->out, "Watchpoint %d: %s (", w->id, w->expr);
    print_place(sh, &w->loc);
    fprintf(sh->out, ")\n");
    return 0;
}

/* How the watchpoint is checked from here: by debug registers, or at every instruction. */
static void print_how(struct cli_shell *sh, int id)
{
    char why[160];
    int words;
    int r = rep_watch_how(sh->rep, id, &words, why, sizeof why);
    if (r > 0) {
        fprintf(sh->out, "\tchecked by hardware: %d debug register%s\n", words,
                words == 1 ? "" : "s");
    } else if (r == 0) {
        fprintf(sh->out, "\tchecked at every instruction (slow): %s\n", why);
    }
}

/* The session's use of debug registers (watch, last, history), when there was any. */
static void print_hw_stats(struct cli_shell *sh)
{
    uint64_t runs, traps;
    rep_hw_stats(sh->rep, &runs, &traps);
    if (runs) {
        fprintf(sh->out, "Hardware watch so far: %llu run%s, %llu write trap%s.\n",
                (unsigned long long)runs, runs == 1 ? "" : "s", (unsigned long long)traps,
                traps == 1 ? "" : "s");
    }
}

int shell_cmd_info_watchpoints(struct cli_shell *sh)
{
    int n;
    const struct rep_watchpt *w = rep_watchpoints(sh->rep, &n);
    if (n == 0) {
        fprintf(sh->out, "No watchpoints.\n");
        print_hw_stats(sh);
        return 0;
    }
    fprintf(sh->out, "Num Type         Disp Enb   What\n");
    for (int i = 0; i < n; i++) {
        fprintf(sh->out, "%-3d %-12s %-4s %-5s %s\n", w[i].id, "watchpoint", "keep",
                w[i].enabled ? "yes" : "no", w[i].expr);
        fprintf(sh->out, "\t");
        print_place(sh, &w[i].loc);
        fputc('\n', sh->out);
        if (w[i].hits) {
            fprintf(sh->out, "\twatchpoint already hit %d time%s\n", w[i].hits,
                    w[i].hits == 1 ? "" : "s");
        }
        print_how(sh, w[i].id);
    }
    print_hw_stats(sh);
    return 0;
}

int shell_cmd_last(struct cli_shell *sh, const char *args)
{
    struct rep_change ch;
    struct pyi_pos pos;
    int forward = 0;
    if (strncmp(args, "-f", 2) == 0 && (args[2] == ' ' || !args[2])) {
        forward = 1;
        args += 2 + strspn(args + 2, " ");
    }
    if (!*args) {
        fprintf(sh->out, "usage: last [-f] EXPR (a variable, NAME.attr or NAME[key])\n");
        return -1;
    }
    if (sh->unusable || rep_state(sh->rep) != REP_READY) {
        return shell_not_stopped(sh) ? -1 : 0;
    }
    shell_moved(sh);
    int r = rep_last(sh->rep, args, forward, &ch, &pos);
    shell_progress_clear(sh);
    if (r > 0) {
        char title[600];
        snprintf(title, sizeof title, "%s change of %s:", forward ? "Next" : "Last", args);
        print_change(sh, title, &ch);
    } else if (r == 0) {
        fprintf(sh->out, "No change of %s %s this point: at the %s of the recording.\n", args,
                forward ? "after" : "before", forward ? "end" : "start");
    }
    rep_change_free(&ch);
    return shell_motion_done(sh, r < 0 ? -1 : 1, &pos, "last");
}

struct history_ctx {
    struct cli_shell *sh;
    size_t rows;
};

static int history_row(void *vctx, const struct rep_change *ch)
{
    struct history_ctx *h = vctx;
    char t[PT_TICK_STRLEN], where[1200];
    if (h->rows++ == 0) {
        shell_progress_clear(h->sh);
        fprintf(h->sh->out, "%-5s %-14s %-6s %-24s %-20s %s\n", "#", "tick", "thread", "where",
                "function", "new value");
    }
    snprintf(where, sizeof where, "%s:%d", base_name(ch->by.file), ch->by.line);
    fprintf(h->sh->out, "%-5zu %-14s %-6d %-24s %-20s %s\n", h->rows, pt_tick_str(ch->tick, t),
            ch->by.thread, where, ch->by.func, ch->new_value);
    return 0;
}

int shell_cmd_history(struct cli_shell *sh, const char *args)
{
    char expr[1024];
    size_t limit = 0;
    const char *opt = strstr(args, "--limit");
    snprintf(expr, sizeof expr, "%.*s", opt ? (int)(opt - args) : (int)strlen(args), args);
    for (size_t k = strlen(expr); k > 0 && expr[k - 1] == ' '; k--) {
        expr[k - 1] = '\0';
    }
    if (opt) {
        char *end;
        long v = strtol(opt + 7, &end, 10);
        if (v <= 0 || *(end + strspn(end, " "))) {
            fprintf(sh->out, "usage: history EXPR [--limit N] (N: rows, at least 1)\n");
            return -1;
        }
        limit = (size_t)v;
    }
    if (!expr[0]) {
        fprintf(sh->out, "usage: history EXPR [--limit N]\n");
        return -1;
    }
    if (sh->unusable || rep_state(sh->rep) != REP_READY) {
        return shell_not_stopped(sh) ? -1 : 0;
    }
    struct history_ctx h = {sh, 0};
    char *first = NULL;
    int r = rep_history(sh->rep, expr, limit, history_row, &h, &first);
    shell_progress_clear(sh);
    if (r < 0) {
        free(first);
        return shell_error(sh, "history");
    }
    if (h.rows == 0) {
        fprintf(sh->out, "No change of %s in the recording (its value from the start: %s).\n", expr,
                first ? first : "?");
    } else {
        fprintf(sh->out, "%zu change%s%s (at the start: %s); `goto TICK` goes to one.\n", h.rows,
                h.rows == 1 ? "" : "s", limit && h.rows == limit ? ", the limit" : "",
                first ? first : "?");
    }
    free(first);
    return 0;
}

/* Rows are built in a buffer of their own and written in blocks: one write per row (a
 * line-buffered stream) would cost more than taking the row, and so would a stdio call per
 * field (10^5 rows). Written when 64 KiB are held, before the program's output (row() with hit
 * NULL), and at the end. A row that cannot be held (out of memory) goes straight out. */
#define TRACE_BLOCK (1 << 16)
struct trace_ctx {
    FILE *out;
    char *buf;
    size_t len, cap, n;
};

static void trace_flush(struct trace_ctx *t)
{
    if (t->len) {
        fwrite(t->buf, 1, t->len, t->out);
        t->len = 0;
    }
    fflush(t->out);
}

/* Room for need more bytes at the end of the buffer: 0, or -1 (out of memory). */
static int trace_room(struct trace_ctx *t, size_t need)
{
    if (t->len + need <= t->cap) {
        return 0;
    }
    size_t cap = t->cap ? t->cap : TRACE_BLOCK + 4096;
    while (cap < t->len + need) {
        cap *= 2;
    }
    char *b = realloc(t->buf, cap);
    if (!b) {
        return -1;
    }
    t->buf = b;
    t->cap = cap;
    return 0;
}

static void put_text(struct trace_ctx *t, const char *s, size_t n)
{
    memcpy(t->buf + t->len, s, n);
    t->len += n;
}

/* A number, left-justified in width ("%-*d"). */
static void put_num(struct trace_ctx *t, long long v, int width)
{
    char d[24], *p = d + sizeof d;
    unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) {
        *--p = '-';
    }
    int n = (int)(d + sizeof d - p);
    put_text(t, p, (size_t)n);
    for (; n < width; n++) {
        t->buf[t->len++] = ' ';
    }
}

/* One row: "TICK thread N line L FUNC: V1, V2" ("%-14s thread %-3d line %-5d %s:" and " %s"
 * per value). */
static int trace_row(void *vctx, const struct rep_trace_hit *hit)
{
    struct trace_ctx *t = vctx;
    if (!hit) {
        trace_flush(t);
        return 0;
    }
    size_t need = PT_TICK_STRLEN + 64 + strlen(hit->func) + 2;
    for (size_t i = 0; i < hit->nvalues; i++) {
        need += 2 + strlen(hit->values[i] ? hit->values[i] : "?");
    }
    if (trace_room(t, need) < 0) {
        char tick[PT_TICK_STRLEN];
        trace_flush(t); /* out of memory: the row by stdio, unbuffered here */
        fprintf(t->out, "%-14s thread %-3d line %-5d %s:", pt_tick_str(hit->tick, tick),
                hit->thread, hit->line, hit->func);
        for (size_t i = 0; i < hit->nvalues; i++) {
            fprintf(t->out, "%s%s", i ? ", " : " ", hit->values[i] ? hit->values[i] : "?");
        }
        fputc('\n', t->out);
        t->n++;
        return 0;
    }
    size_t at = t->len;
    put_num(t, (long long)PT_TICK_C(hit->tick), 0);
    t->buf[t->len++] = '.';
    put_num(t, (long long)PT_TICK_K(hit->tick), 0);
    while (t->len - at < 14) {
        t->buf[t->len++] = ' ';
    }
    put_text(t, " thread ", 8);
    put_num(t, hit->thread, 3);
    put_text(t, " line ", 6);
    put_num(t, hit->line, 5);
    t->buf[t->len++] = ' ';
    put_text(t, hit->func, strlen(hit->func));
    t->buf[t->len++] = ':';
    for (size_t i = 0; i < hit->nvalues; i++) {
        const char *v = hit->values[i] ? hit->values[i] : "?";
        put_text(t, i ? ", " : " ", i ? 2 : 1);
        put_text(t, v, strlen(v));
    }
    t->buf[t->len++] = '\n';
    t->n++;
    if (t->len >= TRACE_BLOCK) {
        trace_flush(t);
    }
    return 0;
}

/* Split "A, B, C" at the top-level commas (not inside brackets or strings). */
static size_t split_exprs(char *s, const char **out, size_t max)
{
    size_t n = 0;
    int depth = 0;
    char quote = 0;
    char *start = s;
    for (char *p = s;; p++) {
        if (quote) {
            if (*p == '\\' && p[1]) {
                p++;
            } else if (*p == quote) {
                quote = 0;
            }
            continue;
        }
        if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (strchr("([{", *p) && *p) {
            depth++;
        } else if (strchr(")]}", *p) && *p) {
            depth--;
        } else if ((*p == ',' && depth == 0) || !*p) {
            int end = !*p;
            *p = '\0';
            start += strspn(start, " ");
            if (*start && n < max) {
                out[n++] = start;
            }
            start = p + 1;
            if (end) {
                return n;
            }
        }
    }
}

int shell_cmd_trace(struct cli_shell *sh, const char *args)
{
    char line[4096], *redirect, *exprs_text;
    const char *exprs[32];
    snprintf(line, sizeof line, "%s", args);
    redirect = strrchr(line, '>');
    if (redirect && redirect > line && redirect[-1] == ' ') {
        *redirect++ = '\0';
        redirect += strspn(redirect, " ");
    } else {
        redirect = NULL;
    }
    size_t len = strcspn(line, " ");
    exprs_text = line[len] ? line + len + 1 : line + len;
    line[len] = '\0';
    if (!line[0] || (redirect && !*redirect)) {
        fprintf(sh->out, "usage: trace FILE:LINE|LINE EXPR[, EXPR...] [> FILE] | trace FUNCTION "
                         "[> FILE]\n");
        return -1;
    }
    if (sh->unusable || rep_state(sh->rep) != REP_READY) {
        return shell_not_stopped(sh) ? -1 : 0;
    }
    size_t n = split_exprs(exprs_text, exprs, 32);
    struct trace_ctx t = {sh->out, NULL, 0, 0, 0};
    if (redirect && !(t.out = fopen(redirect, "w"))) {
        fprintf(sh->out, "trace: cannot write %s: %s\n", redirect, strerror(errno));
        return -1;
    }
    size_t hits = 0;
    int r = rep_trace(sh->rep, line, exprs, n, trace_row, &t, &hits);
    trace_flush(&t);
    free(t.buf);
    shell_progress_clear(sh);
    if (redirect && fclose(t.out) != 0 && r == 0) {
        fprintf(sh->out, "trace: writing %s failed: %s\n", redirect, strerror(errno));
        r = -1;
    }
    if (r < 0) {
        return shell_error(sh, "trace");
    }
    fprintf(sh->out, "%zu hit%s of %s%s%s.\n", hits, hits == 1 ? "" : "s", line,
            redirect ? ", written to " : "", redirect ? redirect : "");
    return 0;
}
