/*
 * rep_locations: what code is loaded in the replayed program at the current moment, by name:
 * the files and functions a breakpoint can name (Tab completion), why a breakpoint stays
 * pending (no file or function of that name is loaded yet, or one will be defined later) and
 * the loaded name closest to a mistyped one. Everything comes from the code objects that exist
 * now (pyi_find_code over the stack and the loaded modules, nested code included) and the
 * modules' __file__.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"

#include <stdlib.h>
#include <string.h>

struct code_name {
    char *file, *qualname, *name;
    int line;
};

struct code_list {
    struct rep_session *s;
    struct code_name *v;
    size_t n, cap;
};

static int collect_cb(void *ctx, pt_addr code)
{
    struct code_list *l = ctx;
    struct pyi_code_info ci;
    if (pyi_code_info(l->s->pyi, code, &ci) < 0 || !ci.filename || !ci.name) {
        pt_err_clear();
        return 0;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        struct code_name *v = realloc(l->v, l->cap * sizeof *v);
        if (!v) {
            return 1;
        }
        l->v = v;
    }
    struct code_name *c = &l->v[l->n++];
    c->file = strdup(ci.filename);
    c->name = strdup(ci.name);
    c->qualname = strdup(ci.qualname ? ci.qualname : ci.name);
    c->line = ci.firstlineno;
    return 0;
}

static void free_list(struct code_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].file);
        free(l->v[i].name);
        free(l->v[i].qualname);
    }
    free(l->v);
}

static int load_list(struct rep_session *s, struct code_list *l)
{
    memset(l, 0, sizeof *l);
    l->s = s;
    if (s->state != REP_READY || !rep_pyi(s)) {
        return -1;
    }
    pyi_find_code(s->pyi, NULL, collect_cb, l);
    return 0;
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* A generated name (<module>, <lambda>, <listcomp>...) or a frozen file. */
static int generated(const char *s)
{
    return s[0] == '<';
}

/* Levenshtein distance, capped (returns cap + 1 beyond it). */
static int distance(const char *a, const char *b, int cap)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64 || (n > m ? n - m : m - n) > (size_t)cap) {
        return cap + 1;
    }
    int row[65];
    for (size_t j = 0; j <= m; j++) {
        row[j] = (int)j;
    }
    for (size_t i = 1; i <= n; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            best = best < up + 1 ? best : up + 1;
            best = best < row[j - 1] + 1 ? best : row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[m];
}

static void closest(const char *want, const char *have, int *best, char *out, size_t cap)
{
    int d = distance(want, have, 2);
    if (d <= 2 && d < *best && strcmp(want, have) != 0) {
        *best = d;
        snprintf(out, cap, "%s", have);
    }
}

/* A FILE:LINE breakpoint that did not resolve: is any code of such a file loaded? */
static void explain_file(const struct code_list *l, struct rep_bp *bp)
{
    const char *want = base_name(bp->file);
    int best = 3;
    for (size_t i = 0; i < l->n; i++) {
        if (rep_file_matches(l->v[i].file, bp->file)) {
            bp->pending_why = REP_PENDING_NO_LINE;
            snprintf(bp->near, sizeof bp->near, "%s", l->v[i].file);
            return;
        }
        if (!generated(l->v[i].file)) {
            closest(want, base_name(l->v[i].file), &best, bp->near, sizeof bp->near);
        }
    }
    bp->pending_why = REP_PENDING_NO_FILE;
}

/* A FUNCTION breakpoint that did not resolve: is code of that name loaded (to be defined
 * later), or is there a close name? */
static void explain_function(const struct code_list *l, struct rep_bp *bp)
{
    const char *dot = strrchr(bp->func, '.');
    const char *want = dot ? dot + 1 : bp->func;
    int best = 3;
    for (size_t i = 0; i < l->n; i++) {
        const struct code_name *c = &l->v[i];
        if (strcmp(c->name, want) == 0 || strcmp(c->qualname, bp->func) == 0) {
            bp->pending_why = REP_PENDING_LATER;
            snprintf(bp->near, sizeof bp->near, "%s:%d", c->file, c->line);
            return;
        }
        if (!generated(c->name)) {
            closest(bp->func, dot ? c->qualname : c->name, &best, bp->near, sizeof bp->near);
        }
    }
    bp->pending_why = REP_PENDING_NO_FUNCTION;
}

void rep_break_explain(struct rep_session *s, struct rep_bp *bp)
{
    struct code_list l;
    bp->pending_why = REP_PENDING_NONE;
    bp->near[0] = '\0';
    if (bp->naddrs || bp->is_catch || load_list(s, &l) < 0) {
        pt_err_clear();
        return;
    }
    if (bp->func[0]) {
        explain_function(&l, bp);
    } else {
        explain_file(&l, bp);
    }
    free_list(&l);
    pt_err_clear();
}

struct file_pick {
    struct rep_session *s;
    const char *want;
    char *out;
    size_t cap;
};

static int any_code_cb(void *ctx, pt_addr code)
{
    (void)ctx;
    (void)code;
    return 1;
}

/* A module's __file__ that want names, if code of that file exists (co_filename may differ
 * from __file__: a .pyc compiled elsewhere; then the whole walk decides). */
static int module_file_cb(void *ctx, const char *file)
{
    struct file_pick *p = ctx;
    if (!rep_file_matches(file, p->want) ||
        pyi_find_code(p->s->pyi, file, any_code_cb, NULL) != 1) {
        return 0;
    }
    snprintf(p->out, p->cap, "%s", file);
    return 1;
}

/* The stack's files first, then the modules' __file__ (a few reads per module), and only then
 * every code object (pyi_find_code over everything: seconds in a program with thousands of
 * modules, where `break mod.py:N` is typed often). */
int rep_loaded_file(struct rep_session *s, const char *want, char *out, size_t cap)
{
    const struct pyi_frame *frames;
    size_t nf = 0;
    if (s->state != REP_READY || !rep_pyi(s)) {
        return 0;
    }
    if (pyi_frames(s->pyi, &frames, &nf) == 0) {
        for (size_t i = 0; i < nf; i++) {
            if (frames[i].filename && rep_file_matches(frames[i].filename, want)) {
                snprintf(out, cap, "%s", frames[i].filename);
                return 1;
            }
        }
    }
    pt_err_clear();
    struct file_pick pick = {s, want, out, cap};
    if (pyi_module_files(s->pyi, module_file_cb, &pick) == 1) {
        return 1;
    }
    struct code_list l;
    int found = 0;
    if (load_list(s, &l) < 0) {
        pt_err_clear();
        return 0;
    }
    for (size_t i = 0; i < l.n && !found; i++) {
        if (rep_file_matches(l.v[i].file, want)) {
            snprintf(out, cap, "%s", l.v[i].file);
            found = 1;
        }
    }
    free_list(&l);
    return found;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int push(char ***v, size_t *n, size_t *cap, const char *text)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        char **t = realloc(*v, *cap * sizeof *t);
        if (!t) {
            return -1;
        }
        *v = t;
    }
    (*v)[(*n)++] = strdup(text);
    return 0;
}

int rep_break_candidates(struct rep_session *s, char ***out, size_t *n)
{
    struct code_list l;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (load_list(s, &l) < 0) {
        return -1;
    }
    for (size_t i = 0; i < l.n; i++) {
        const struct code_name *c = &l.v[i];
        if (generated(c->file)) {
            continue;
        }
        push(out, n, &cap, c->file);
        push(out, n, &cap, base_name(c->file));
        if (!generated(c->name) && !strstr(c->qualname, "<")) {
            push(out, n, &cap, c->qualname);
        }
    }
    free_list(&l);
    qsort(*out, *n, sizeof **out, cmp_str);
    size_t k = 0; /* unique */
    for (size_t i = 0; i < *n; i++) {
        if (k && strcmp((*out)[k - 1], (*out)[i]) == 0) {
            free((*out)[i]);
        } else {
            (*out)[k++] = (*out)[i];
        }
    }
    *n = k;
    pt_err_clear();
    return 0;
}

void rep_free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
}
