/*
 * shell_tui_draw: the full-screen layout's contents, drawn from the same calls the commands use
 * (never from their printed text): the position bar (tick and event against the recording's
 * last, a bar of the run with the snapshots on it: rep_tick, rep_last_tick,
 * rep_snapshot_ticks), the source window (pyi_source_text around the selected frame's line,
 * breakpoints from rep_breakpoints in the margin), locals (pyi_each_local + pyi_repr), the
 * Python backtrace (pyi_frames), the bytecode (pyi_dis_each, the current instruction kept in
 * view) and the program's output (what shell_tui.c kept; output from after the current moment
 * dimmed). Each window is a title row in reverse video and its lines; text is cut to the
 * window's width (UTF-8 characters counted as one column, tabs expanded).
 */
#include "shell_cmds.h"
#include "shell_tui.h"

#include "common/pt_clock.h"
#include "common/pt_error.h"
#include "pyintrospect/pyintrospect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SGR_REVERSE "\033[7m"
#define SGR_BOLD "\033[1m"
#define SGR_DIM "\033[2m"
#define SGR_OFF "\033[0m"

/* ---- one row of cells ------------------------------------------------------------------------ */

struct cells {
    char buf[8192];
    size_t len;
    int used, width;
};

static void cells_init(struct cells *c, int width)
{
    c->len = 0;
    c->used = 0;
    c->width = width;
    c->buf[0] = '\0';
}

static void cells_raw(struct cells *c, const char *s)
{
    size_t n = strlen(s);
    if (c->len + n < sizeof c->buf) {
        memcpy(c->buf + c->len, s, n + 1);
        c->len += n;
    }
}

static void cells_byte(struct cells *c, char ch)
{
    if (c->len + 1 < sizeof c->buf) {
        c->buf[c->len++] = ch;
        c->buf[c->len] = '\0';
    }
}

/* Text into the row, as many columns as fit: tabs to the next multiple of 8, control
 * characters as '?', a UTF-8 sequence as one column. */
static void cells_put(struct cells *c, const char *s, size_t n)
{
    for (size_t i = 0; i < n && c->used < c->width;) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\t') {
            do {
                cells_byte(c, ' ');
                c->used++;
            } while (c->used % 8 && c->used < c->width);
            i++;
        } else if (ch < 0x20 || ch == 0x7f) {
            cells_byte(c, '?');
            c->used++;
            i++;
        } else {
            size_t len = ch < 0x80 ? 1 : ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc0 ? 2 : 1;
            for (size_t k = 0; k < len && i + k < n; k++) {
                cells_byte(c, s[i + k]);
            }
            c->used++;
            i += len;
        }
    }
}

static void cells_str(struct cells *c, const char *s)
{
    cells_put(c, s, strlen(s));
}

static void cells_fill(struct cells *c)
{
    while (c->used < c->width) {
        cells_byte(c, ' ');
        c->used++;
    }
}

static void emit(int row, int col, struct cells *c)
{
    cells_fill(c);
    printf("\033[%d;%dH%s" SGR_OFF, row, col, c->buf);
}

/* ---- windows ------------------------------------------------------------------------------- */

struct win {
    int top, left, height, width; /* height includes the title row */
};

/* A window's title row: its name, then what it shows (a long path keeps its end). */
static void title2(const struct win *w, const char *name, const char *what)
{
    struct cells c;
    cells_init(&c, w->width);
    cells_raw(&c, SGR_REVERSE);
    cells_str(&c, " ");
    cells_str(&c, name);
    int room = w->width - c.used - 1;
    size_t n = strlen(what);
    if (room > 3 && (int)n > room) {
        cells_str(&c, "...");
        what += n - (size_t)(room - 3);
    }
    cells_str(&c, what);
    emit(w->top, w->left, &c);
}

static void title(const struct win *w, const char *text)
{
    title2(w, text, "");
}

static void line(const struct win *w, int i, const char *sgr, const char *text)
{
    struct cells c;
    cells_init(&c, w->width);
    if (sgr) {
        cells_raw(&c, sgr);
    }
    cells_str(&c, text);
    emit(w->top + 1 + i, w->left, &c);
}

/* A window that has nothing to show: its title and why. */
static void empty(const struct win *w, const char *name, const char *why)
{
    title(w, name);
    for (int i = 0; i < w->height - 1; i++) {
        line(w, i, SGR_DIM, i == 0 ? why : "");
    }
}

/* ---- the position bar -------------------------------------------------------------------- */

static void bar_cells(struct cli_shell *sh, struct cells *c, int width, uint64_t now, uint64_t last)
{
    uint64_t snaps[64];
    int n = rep_snapshot_ticks(sh->rep, snaps, 64);
    if (width < 3 || last == 0) {
        return;
    }
    int inner = width - 2, here = (int)((double)now / (double)last * (inner - 1) + 0.5);
    cells_str(c, "[");
    for (int i = 0; i < inner; i++) {
        char ch = i < here ? '=' : '.';
        for (int k = 0; k < n; k++) {
            if ((int)((double)snaps[k] / (double)last * (inner - 1) + 0.5) == i) {
                ch = '|';
            }
        }
        if (i == here) {
            ch = '>';
        }
        char s[2] = {ch, '\0'};
        if (ch == '>') {
            cells_raw(c, SGR_BOLD);
        }
        cells_str(c, s);
        if (ch == '>') {
            cells_raw(c, SGR_OFF SGR_REVERSE);
        }
    }
    cells_str(c, "]");
}

/* The position bar; running: the tick a motion has reached (0 when stopped). */
void tui_draw_bar(struct cli_shell *sh, const struct shell_tui *t, uint64_t running)
{
    uint64_t now = 0, last = rep_last_tick(sh->rep);
    char text[256];
    struct cells c;
    int ready = rep_state(sh->rep) == REP_READY && !sh->unusable;
    if (running) {
        now = running;
    } else if (!ready) {
        now = last;
    } else if (rep_tick(sh->rep, &now) < 0) {
        pt_err_clear();
    }
    char a[PT_TICK_STRLEN], b[PT_TICK_STRLEN];
    snprintf(text, sizeof text, " tick %s of %s  event %llu of %llu  %s ", pt_tick_str(now, a),
             pt_tick_str(last, b), (unsigned long long)rep_position(sh->rep),
             (unsigned long long)rep_nevents(sh->rep),
             sh->unusable ? "(the replay could not start)"
             : running    ? "running (Ctrl-C to stop)"
             : ready      ? ""
                          : "(end of the recording)");
    cells_init(&c, t->cols);
    cells_raw(&c, SGR_REVERSE);
    cells_str(&c, text);
    bar_cells(sh, &c, t->cols - c.used - 1, now, last);
    emit(1, 1, &c);
}

/* ---- the selected frame ------------------------------------------------------------------ */

/* The session and selected frame, or NULL with why (the end, a failed start). */
static struct pyi_session *frame_of(struct cli_shell *sh, const struct pyi_frame **f, char *why,
                                    size_t cap)
{
    const struct pyi_frame *frames;
    size_t n;
    struct pyi_session *p = NULL;
    if (sh->unusable) {
        snprintf(why, cap, "the replay could not start");
    } else if (rep_failure(sh->rep)) {
        snprintf(why, cap, "the replay stopped with an error");
    } else if (rep_state(sh->rep) != REP_READY) {
        snprintf(why, cap, "the end of the recording (goto and reverse motions go back)");
    } else if (!(p = rep_pyi(sh->rep)) || pyi_frames(p, &frames, &n) < 0 ||
               pyi_frame_selected(p) >= n) {
        snprintf(why, cap, "cannot read Python's state: %s", pt_errmsg());
        p = NULL;
    } else {
        *f = &frames[pyi_frame_selected(p)];
    }
    pt_err_clear();
    return p;
}

static char bp_mark(struct cli_shell *sh, const char *file, int ln)
{
    int n;
    const struct rep_bp *bps = rep_breakpoints(sh->rep, &n);
    char mark = ' ';
    for (int i = 0; i < n; i++) {
        if (rep_break_at(&bps[i], file, ln)) {
            mark = bps[i].enabled ? 'B' : (mark == 'B' ? 'B' : 'b');
        }
    }
    return mark;
}

static void draw_source(struct cli_shell *sh, const struct win *w)
{
    const struct pyi_frame *f;
    char why[256], head[1200];
    struct pyi_session *p = frame_of(sh, &f, why, sizeof why);
    if (!p) {
        empty(w, "Source", why);
        return;
    }
    snprintf(head, sizeof head, "%s:%d", f->filename, f->line);
    title2(w, "Source: ", head);
    int rows = w->height - 1, first = f->line - (rows - 1) / 2;
    first = first < 1 ? 1 : first;
    for (int i = 0; i < rows; i++) {
        size_t len = 0;
        int ln = first + i;
        const char *text = pyi_source_text(p, f->filename, ln, &len);
        struct cells c;
        char margin[32];
        cells_init(&c, w->width);
        if (text) {
            snprintf(margin, sizeof margin, "%c%c%4d ", bp_mark(sh, f->filename, ln),
                     ln == f->line ? '>' : ' ', ln);
            if (ln == f->line) {
                cells_raw(&c, SGR_REVERSE);
            }
            cells_str(&c, margin);
            cells_put(&c, text, len);
        } else if (i == 0) {
            cells_raw(&c, SGR_DIM);
            cells_str(&c, "(no source for this file)");
        }
        emit(w->top + 1 + i, w->left, &c);
    }
    pt_err_clear();
}

struct local_rows {
    struct pyi_session *p;
    const struct win *w;
    int i;
};

static int local_row(void *ctx, const char *name, pt_addr value)
{
    struct local_rows *r = ctx;
    char *text = NULL;
    if (r->i >= r->w->height - 1) {
        return 1;
    }
    if (pyi_repr(r->p, value, &text) < 0) {
        pt_err_clear();
    }
    struct cells c;
    cells_init(&c, r->w->width);
    cells_str(&c, name);
    cells_str(&c, " = ");
    cells_str(&c, text ? text : "<unreadable>");
    emit(r->w->top + 1 + r->i++, r->w->left, &c);
    free(text);
    return 0;
}

static void draw_locals(struct cli_shell *sh, const struct win *w)
{
    const struct pyi_frame *f;
    char why[256], head[600];
    struct pyi_session *p = frame_of(sh, &f, why, sizeof why);
    if (!p) {
        empty(w, "Locals", why);
        return;
    }
    snprintf(head, sizeof head, "Locals: %s", f->qualname ? f->qualname : f->funcname);
    title(w, head);
    struct pyi_repr_opts saved, brief = {50, 300, 4}; /* a window shows one line of each */
    pyi_get_repr_opts(p, &saved);
    pyi_set_repr_opts(p, &brief);
    struct local_rows r = {p, w, 0};
    if (pyi_each_local(p, local_row, &r) < 0) {
        line(w, r.i++, SGR_DIM, pt_errmsg());
    }
    pyi_set_repr_opts(p, &saved);
    pt_err_clear();
    for (; r.i < w->height - 1; r.i++) {
        line(w, r.i, NULL, "");
    }
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static void draw_stack(struct cli_shell *sh, const struct win *w)
{
    const struct pyi_frame *f, *frames;
    char why[256], row[1200];
    size_t n = 0;
    struct pyi_session *p = frame_of(sh, &f, why, sizeof why);
    if (!p || pyi_frames(p, &frames, &n) < 0) {
        empty(w, "Stack", p ? pt_errmsg() : why);
        pt_err_clear();
        return;
    }
    char label[320];
    shell_thread_label(sh, label, sizeof label);
    title2(w, label[0] ? "Stack: " : "Stack", label);
    size_t sel = pyi_frame_selected(p), first = 0;
    int rows = w->height - 1;
    if (sel >= (size_t)rows) {
        first = sel - (size_t)rows + 1;
    }
    for (int i = 0; i < rows; i++) {
        size_t k = first + (size_t)i;
        if (k >= n) {
            line(w, i, NULL, "");
            continue;
        }
        snprintf(row, sizeof row, "%c#%zu %s  %s:%d", k == sel ? '>' : ' ', k, frames[k].funcname,
                 base_name(frames[k].filename), frames[k].line);
        line(w, i, k == sel ? SGR_REVERSE : NULL, row);
    }
}

struct dis_rows {
    char **v;
    size_t n, cap;
    long current;
};

static int dis_row(void *ctx, const char *text, bool current)
{
    struct dis_rows *d = ctx;
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 128;
        char **t = realloc(d->v, d->cap * sizeof *t);
        if (!t) {
            return 1;
        }
        d->v = t;
    }
    if (current && d->current < 0) {
        d->current = (long)d->n;
    }
    d->v[d->n++] = strdup(text);
    return 0;
}

static void draw_dis(struct cli_shell *sh, const struct win *w)
{
    const struct pyi_frame *f;
    char why[256], head[600];
    struct pyi_session *p = frame_of(sh, &f, why, sizeof why);
    struct dis_rows d = {NULL, 0, 0, -1};
    if (!p || pyi_dis_each(p, f->code, f->lasti, dis_row, &d) < 0) {
        empty(w, "Bytecode", p ? pt_errmsg() : why);
        pt_err_clear();
        return;
    }
    snprintf(head, sizeof head, "Bytecode: %s (offset %d)", f->funcname, f->lasti);
    title(w, head);
    int rows = w->height - 1;
    long first = d.current < 0 ? 0 : d.current - rows / 3;
    first = first + rows > (long)d.n ? (long)d.n - rows : first;
    first = first < 0 ? 0 : first;
    for (int i = 0; i < rows; i++) {
        size_t k = (size_t)first + (size_t)i;
        line(w, i, (long)k == d.current ? SGR_REVERSE : NULL, k < d.n ? d.v[k] : "");
    }
    for (size_t k = 0; k < d.n; k++) {
        free(d.v[k]);
    }
    free(d.v);
}

static void draw_output(struct cli_shell *sh, const struct win *w)
{
    const struct shell_output *o = sh->output;
    uint64_t now = rep_position(sh->rep);
    int finished = rep_state(sh->rep) != REP_READY;
    title(w, "Program output");
    int rows = w->height - 1;
    size_t n = o ? o->nlines : 0;
    size_t first = n > (size_t)rows ? n - (size_t)rows : 0;
    for (int i = 0; i < rows; i++) {
        size_t k = first + (size_t)i;
        if (k >= n) {
            line(w, i, NULL, "");
            continue;
        }
        /* written after the current moment (seen before going back): dimmed */
        int later = !finished && o->lines[k].event > now;
        line(w, i, later ? SGR_DIM : NULL, o->lines[k].text);
    }
}

/* The column between the left and the right windows. */
static void draw_separator(const struct shell_tui *t, int col, int top, int bottom)
{
    for (int r = top; r <= bottom; r++) {
        printf("\033[%d;%dH| ", r, col);
    }
}

void tui_draw(struct cli_shell *sh, const struct shell_tui *t)
{
    tui_draw_bar(sh, t, 0);
    int top = 2, height = t->cmd_top - top; /* rows between the bar and the command region */
    if (height < 4) {
        return;
    }
    if (t->layout == TUI_SRC) {
        struct win src = {top, 1, height, t->cols};
        draw_source(sh, &src);
        return;
    }
    int lw = t->cols * 3 / 5, rw = t->cols - lw - 2; /* a separator and a space between */
    int src_h = height * 3 / 5, dis_h = height - src_h;
    int loc_h = height * 2 / 5, stk_h = (height - loc_h) / 2, out_h = height - loc_h - stk_h;
    struct win src = {top, 1, src_h, lw}, dis = {top + src_h, 1, dis_h, lw};
    struct win loc = {top, lw + 3, loc_h, rw}, stk = {top + loc_h, lw + 3, stk_h, rw};
    struct win out = {top + loc_h + stk_h, lw + 3, out_h, rw};
    draw_source(sh, &src);
    draw_dis(sh, &dis);
    draw_locals(sh, &loc);
    draw_stack(sh, &stk);
    draw_output(sh, &out);
    draw_separator(t, lw + 1, top, top + height - 1);
}
