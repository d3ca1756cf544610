/*
 * pyi_source: source lines for bt and `list`: from the session's source provider when it has
 * them (a replay gives the sources recorded with the trace), else from the file named by
 * co_filename on disk (as linecache does; opened only if it is a regular file, never blocking),
 * and kept for the session: files do not change when the tracee runs. `list` follows pdb's do_list:
 * 11 lines around the current one, `list N,M` (M < N meaning a count), line numbers right-aligned
 * to 3 columns, `->` on the frame's current line.
 */
#include "pyintrospect/pyi_internal.h"

#include "common/pt_file.h"

#include <stdlib.h>
#include <string.h>

#define PYI_MAX_SOURCE (64u << 20)

struct pyi_srcfile {
    char *name;
    char *text;       /* NULL: unreadable */
    const char *note; /* the provider's note, said once by `list` */
    int noted;
    size_t *starts; /* offset of each line */
    size_t nlines;
    size_t len;
    struct pyi_srcfile *next;
};

static void pyi_source_index(struct pyi_srcfile *f);

/* The provider's answer: 1 if it decided (text copied, or none), 0 to read the disk. */
static int pyi_source_provided(struct pyi_session *s, struct pyi_srcfile *f)
{
    const char *text = NULL;
    size_t len = 0;
    int got = s->src_fn ? s->src_fn(s->src_ctx, f->name, &text, &len, &f->note) : PYI_SRC_DISK;
    if (got == PYI_SRC_DISK) {
        return 0;
    }
    if (got == PYI_SRC_TEXT && text && (f->text = malloc(len + 1))) {
        memcpy(f->text, text, len);
        f->text[len] = '\0';
        f->len = len;
        pyi_source_index(f);
    }
    return 1;
}

static struct pyi_srcfile *pyi_source_load(struct pyi_session *s, const char *file)
{
    struct pyi_srcfile *f = calloc(1, sizeof *f);
    if (!f || !(f->name = strdup(file))) {
        free(f);
        return NULL;
    }
    if (pyi_source_provided(s, f)) {
        return f;
    }
    FILE *fp = pt_fopen_regular(file);
    if (!fp) {
        pt_err_clear();
        return f;
    }
    size_t cap = 0;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0 && f->len + n <= PYI_MAX_SOURCE) {
        if (f->len + n + 1 > cap) {
            cap = (f->len + n + 1) * 2;
            char *t = realloc(f->text, cap);
            if (!t) {
                break;
            }
            f->text = t;
        }
        memcpy(f->text + f->len, buf, n);
        f->len += n;
    }
    fclose(fp);
    if (!f->text) {
        f->text = strdup("");
    }
    pyi_source_index(f);
    return f;
}

/* Where each line starts. */
static void pyi_source_index(struct pyi_srcfile *f)
{
    size_t lcap = 64;
    f->starts = malloc(lcap * sizeof *f->starts);
    for (size_t i = 0; f->starts && i < f->len;) {
        if (f->nlines == lcap) {
            lcap *= 2;
            size_t *t = realloc(f->starts, lcap * sizeof *t);
            if (!t) {
                break;
            }
            f->starts = t;
        }
        f->starts[f->nlines++] = i;
        char *nl = memchr(f->text + i, '\n', f->len - i);
        i = nl ? (size_t)(nl - f->text) + 1 : f->len;
    }
}

const char *pyi_source_line(struct pyi_session *s, const char *file, int line, size_t *len)
{
    struct pyi_srcfile *f = s->sources;
    while (f && strcmp(f->name, file) != 0) {
        f = f->next;
    }
    if (!f) {
        f = pyi_source_load(s, file);
        if (!f) {
            return NULL;
        }
        f->next = s->sources;
        s->sources = f;
    }
    if (!f->text || !f->starts || line < 1 || (size_t)line > f->nlines) {
        return NULL;
    }
    size_t a = f->starts[line - 1];
    size_t b = (size_t)line < f->nlines ? f->starts[line] : f->len;
    while (b > a && (f->text[b - 1] == '\n' || f->text[b - 1] == '\r')) {
        b--;
    }
    *len = b - a;
    return f->text + a;
}

void pyi_set_source_provider(struct pyi_session *s, pyi_source_fn fn, void *ctx)
{
    pyi_source_free(s);
    s->src_fn = fn;
    s->src_ctx = ctx;
}

/* The provider's note for file, once ("" when none or already said). */
static const char *pyi_source_note(struct pyi_session *s, const char *file)
{
    for (struct pyi_srcfile *f = s->sources; f; f = f->next) {
        if (strcmp(f->name, file) == 0 && f->note && !f->noted) {
            f->noted = 1;
            return f->note;
        }
    }
    return "";
}

void pyi_source_free(struct pyi_session *s)
{
    while (s->sources) {
        struct pyi_srcfile *n = s->sources->next;
        free(s->sources->name);
        free(s->sources->text);
        free(s->sources->starts);
        free(s->sources);
        s->sources = n;
    }
}

/* pdb's Pdb._print_lines */
int pyi_print_list(struct pyi_session *s, FILE *out, int first, int last)
{
    const struct pyi_frame *f;
    if (!pyi_selected_raw(s, &f)) {
        return -1;
    }
    if (first <= 0 && last <= 0) {
        first = f->line - 5 < 1 ? 1 : f->line - 5;
        last = first + 10;
    } else if (last <= 0) {
        first = first - 5 < 1 ? 1 : first - 5;
        last = first + 10;
    } else if (last < first) {
        last = first + last;
    }
    size_t len;
    const char *text0 = pyi_source_line(s, f->filename, first, &len);
    const char *note = pyi_source_note(s, f->filename);
    if (note[0]) {
        fprintf(out, "[%s]\n", note);
    }
    if (!text0) {
        return pt_fail("cannot read line %d of %s", first, f->filename);
    }
    for (int ln = first; ln <= last; ln++) {
        const char *text = pyi_source_line(s, f->filename, ln, &len);
        if (!text) {
            break;
        }
        /* s = str(lineno).rjust(3); if len(s) < 4: s += ' '; s += ' '; then '->' */
        char num[32];
        snprintf(num, sizeof num, "%3d", ln);
        fprintf(out, "%s%s %s\t", num, strlen(num) < 4 ? " " : "", ln == f->line ? "->" : "");
        while (len > 0 && text[len - 1] && strchr(" \t\f\v\r", text[len - 1])) {
            len--;
        }
        fwrite(text, 1, len, out);
        fputc('\n', out);
    }
    return 0;
}

/* Indentation of a line (tabs to 8, as the tokenizer), or -1 for a blank or comment line. */
static int pyi_indent(const char *t, size_t len)
{
    int col = 0;
    for (size_t i = 0; i < len; i++) {
        if (t[i] == ' ') {
            col++;
        } else if (t[i] == '\t') {
            col = (col / 8 + 1) * 8;
        } else if (t[i] == '\f' || t[i] == '\r') {
            continue;
        } else {
            return t[i] == '#' ? -1 : col;
        }
    }
    return -1;
}

static int pyi_starts_block(const char *t, size_t len)
{
    while (len && (*t == ' ' || *t == '\t')) {
        t++;
        len--;
    }
    static const char *const kw[] = {"def ", "async def ", "class "};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++) {
        if (len >= strlen(kw[i]) && strncmp(t, kw[i], strlen(kw[i])) == 0) {
            return 1;
        }
    }
    return 0;
}

/* What inspect.getsourcelines gives pdb's longlist: a module's whole file; a function's or
 * class's block (decorators, the def line, then every line indented deeper, trailing blank and
 * comment lines left out, as inspect.getblock ends at the last statement); any other code (a
 * lambda, a comprehension) its first line. */
int pyi_code_source_block(struct pyi_session *s, pt_addr code, int *first, int *last)
{
    struct pyi_code *c;
    size_t len;
    if (pyi_code_get(s, code, &c) != 0) {
        return -1;
    }
    const char *file = c->filename ? c->filename : "?";
    int start = c->firstlineno > 0 ? c->firstlineno : 1;
    if (!pyi_source_line(s, file, start, &len)) {
        return pt_fail("cannot read line %d of %s", start, file);
    }
    *first = start;
    *last = start;
    if (c->name && strcmp(c->name, "<module>") == 0) {
        *first = 1;
        while (pyi_source_line(s, file, *last + 1, &len)) {
            (*last)++;
        }
        return 0;
    }
    int def = start; /* past the decorators */
    const char *t;
    while ((t = pyi_source_line(s, file, def, &len)) && !pyi_starts_block(t, len) &&
           def < start + 50) {
        if (pyi_indent(t, len) >= 0 && t[strspn(t, " \t")] != '@') {
            return 0; /* neither a decorator nor a def: a one-line lambda or comprehension */
        }
        def++;
    }
    if (!t || !pyi_starts_block(t, len)) {
        return 0;
    }
    int base = pyi_indent(t, len);
    *last = def;
    for (int ln = def + 1; (t = pyi_source_line(s, file, ln, &len)); ln++) {
        int ind = pyi_indent(t, len);
        if (ind >= 0 && ind <= base) {
            break;
        }
        if (ind > base) {
            *last = ln;
        }
    }
    return 0;
}
