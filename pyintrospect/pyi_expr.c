/*
 * pyi_expr: a recursive-descent parser for the expression subset of pyi_expr.h, following the
 * grammar of Python's own (Grammar/python.gram): disjunction > conjunction > inversion >
 * comparison > sum > term > factor > power > primary > atom. Literals are read as the tokenizer
 * and parser do (underscores in numbers, 0x/0o/0b, string escapes, raw strings, adjacent string
 * concatenation); what the subset leaves out makes the whole expression "unsupported".
 */
#include "pyintrospect/pyi_expr.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct pyi_parser {
    const char *p;
    struct pyi_expr *e;
    const char *why; /* set when unsupported */
    bool oom;
};

static int unsupported(struct pyi_parser *ps, const char *why)
{
    if (!ps->why) {
        ps->why = why;
    }
    return -1;
}

static int new_node(struct pyi_parser *ps, enum pyi_ek kind)
{
    struct pyi_expr *e = ps->e;
    if (e->count == e->cap) {
        int cap = e->cap ? e->cap * 2 : 16;
        struct pyi_enode *n = realloc(e->n, (size_t)cap * sizeof *n);
        if (!n) {
            ps->oom = true;
            return unsupported(ps, "out of memory");
        }
        e->n = n;
        e->cap = cap;
    }
    memset(&e->n[e->count], 0, sizeof e->n[0]);
    e->n[e->count].kind = kind;
    return e->count++;
}

/* ---- tokens --------------------------------------------------------------------------------- */

static void ws(struct pyi_parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\f') {
        ps->p++;
    }
}

static bool ident_start(unsigned char c)
{
    return isalpha(c) || c == '_' || c >= 0x80;
}

static bool ident_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c >= 0x80;
}

/* The identifier at p (length), without consuming it. */
static size_t peek_ident(struct pyi_parser *ps, const char **start)
{
    ws(ps);
    *start = ps->p;
    if (!ident_start((unsigned char)*ps->p)) {
        return 0;
    }
    size_t n = 1;
    while (ident_char((unsigned char)ps->p[n])) {
        n++;
    }
    return n;
}

static bool is_word(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(s, w, n) == 0;
}

/* Consume keyword w if it is next. */
static bool keyword(struct pyi_parser *ps, const char *w)
{
    const char *s;
    size_t n = peek_ident(ps, &s);
    if (n && is_word(s, n, w)) {
        ps->p += n;
        return true;
    }
    return false;
}

static const char *const reserved[] = {
    "and",  "as",     "assert", "async",  "await",  "break",   "class",    "continue", "def",
    "del",  "elif",   "else",   "except", "False",  "finally", "for",      "from",     "global",
    "if",   "import", "in",     "is",     "lambda", "None",    "nonlocal", "not",      "or",
    "pass", "raise",  "return", "True",   "try",    "while",   "with",     "yield"};

static bool is_reserved(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        if (is_word(s, n, reserved[i])) {
            return true;
        }
    }
    return false;
}

/* Consume punctuation op if it is next (and not the start of a longer operator). */
static bool punct(struct pyi_parser *ps, const char *op)
{
    ws(ps);
    size_t n = strlen(op);
    if (strncmp(ps->p, op, n) != 0) {
        return false;
    }
    char next = ps->p[n];
    bool comparison = n == 2 && op[1] == '=';
    if ((next == '=' && !comparison) || (n == 1 && strchr("*/<>", op[0]) && next == op[0])) {
        return false; /* `*` of `**`, `/` of `//`, `<` of `<<`, augmented assignments */
    }
    ps->p += n;
    return true;
}

/* ---- literals ------------------------------------------------------------------------------- */

static int number(struct pyi_parser *ps)
{
    char buf[128];
    size_t n = 0;
    const char *p = ps->p;
    bool is_float = false;
    int base = 10;
    if (p[0] == '0' && strchr("xXoObB", p[1]) && p[1]) {
        base = (p[1] == 'x' || p[1] == 'X') ? 16 : (p[1] == 'o' || p[1] == 'O') ? 8 : 2;
        p += 2;
    }
    for (;
         isalnum((unsigned char)*p) || *p == '_' || *p == '.' ||
         ((*p == '+' || *p == '-') && base == 10 && n && (buf[n - 1] == 'e' || buf[n - 1] == 'E'));
         p++) {
        if (*p == '_') {
            continue;
        }
        if (n + 1 >= sizeof buf) {
            return unsupported(ps, "a number this long");
        }
        is_float |= base == 10 && (*p == '.' || *p == 'e' || *p == 'E');
        buf[n++] = *p;
    }
    buf[n] = '\0';
    if (n == 0 || strchr(buf, 'j') || strchr(buf, 'J')) {
        return unsupported(ps, "complex numbers");
    }
    char *end;
    errno = 0;
    int id = new_node(ps, is_float ? PYI_E_FLOAT : PYI_E_INT);
    if (id < 0) {
        return -1;
    }
    if (is_float) {
        ps->e->n[id].f = strtod(buf, &end);
    } else {
        if (base == 10 && buf[0] == '0' && strspn(buf, "0") != n) {
            return unsupported(ps, "leading zeros");
        }
        unsigned long long v = strtoull(buf, &end, base);
        if (errno || v > INT64_MAX) {
            return unsupported(ps, "ints beyond 64 bits");
        }
        ps->e->n[id].i = (int64_t)v;
    }
    if (*end) {
        return unsupported(ps, "this number");
    }
    ps->p = p;
    return id;
}

static void put_utf8(char *out, size_t *n, uint32_t cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xc0 | cp >> 6);
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xe0 | cp >> 12);
        out[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        out[(*n)++] = (char)(0xf0 | cp >> 18);
        out[(*n)++] = (char)(0x80 | (cp >> 12 & 0x3f));
        out[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    }
}

static int hex_escape(const char **p, int digits, uint32_t *cp)
{
    *cp = 0;
    for (int i = 0; i < digits; i++) {
        char c = (*p)[i];
        if (!isxdigit((unsigned char)c)) {
            return -1;
        }
        *cp = *cp * 16 + (uint32_t)(isdigit((unsigned char)c) ? c - '0' : (tolower(c) - 'a' + 10));
    }
    *p += digits;
    return *cp > 0x10ffff ? -1 : 0;
}

/* One escape after a backslash (p at the character after it), as the tokenizer decodes it. */
static int escape(struct pyi_parser *ps, const char **p, char *out, size_t *n)
{
    static const char simple[] = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";
    char c = **p;
    for (size_t i = 0; simple[i]; i += 2) {
        if (c == simple[i]) {
            out[(*n)++] = simple[i + 1];
            (*p)++;
            return 0;
        }
    }
    uint32_t cp;
    if (c >= '0' && c <= '7') {
        cp = 0;
        for (int i = 0; i < 3 && **p >= '0' && **p <= '7'; i++) {
            cp = cp * 8 + (uint32_t)(*(*p)++ - '0');
        }
        put_utf8(out, n, cp);
        return 0;
    }
    if (c == 'x' || c == 'u' || c == 'U') {
        (*p)++;
        if (hex_escape(p, c == 'x' ? 2 : c == 'u' ? 4 : 8, &cp) < 0) {
            return unsupported(ps, "this escape");
        }
        put_utf8(out, n, cp);
        return 0;
    }
    if (c == '\n') {
        (*p)++;
        return 0;
    }
    if (c == 'N') {
        return unsupported(ps, "\\N{...} escapes");
    }
    out[(*n)++] = '\\'; /* an unknown escape stays as written */
    return 0;
}

/* One string literal at p: [rRuU]? quote ... quote. Appends its UTF-8 to out. */
static int one_string(struct pyi_parser *ps, char *out, size_t *n, size_t cap)
{
    const char *p = ps->p;
    bool raw = false;
    while (isalpha((unsigned char)*p)) {
        char c = (char)tolower((unsigned char)*p++);
        if (c == 'r') {
            raw = true;
        } else if (c != 'u') {
            return unsupported(ps, c == 'f'   ? "f-strings"
                                   : c == 'b' ? "bytes literals"
                                              : "this string prefix");
        }
    }
    char q = *p++;
    if (p[0] == q && p[1] == q) {
        return unsupported(ps, "triple-quoted strings");
    }
    while (*p && *p != q && *p != '\n') {
        if (*n + 8 >= cap) {
            return unsupported(ps, "a string this long");
        }
        if (*p == '\\' && p[1]) {
            if (raw) {
                out[(*n)++] = *p++;
                out[(*n)++] = *p++;
            } else if (p++, escape(ps, &p, out, n) < 0) {
                return -1;
            }
        } else {
            out[(*n)++] = *p++;
        }
    }
    if (*p != q) {
        return unsupported(ps, "an unterminated string");
    }
    ps->p = p + 1;
    return 0;
}

static bool at_string(struct pyi_parser *ps)
{
    const char *p = ps->p;
    for (int i = 0; i < 2 && isalpha((unsigned char)*p); i++) {
        p++;
    }
    return *p == '\'' || *p == '"';
}

static int string(struct pyi_parser *ps)
{
    size_t cap = strlen(ps->p) * 4 + 16, n = 0;
    char *out = malloc(cap);
    if (!out) {
        ps->oom = true;
        return unsupported(ps, "out of memory");
    }
    do {
        if (one_string(ps, out, &n, cap) < 0) {
            free(out);
            return -1;
        }
        ws(ps);
    } while (at_string(ps));
    int id = new_node(ps, PYI_E_STR);
    if (id < 0) {
        free(out);
        return -1;
    }
    out[n] = '\0';
    ps->e->n[id].s = out;
    ps->e->n[id].len = n;
    return id;
}

/* ---- the grammar ---------------------------------------------------------------------------- */

static int disjunction(struct pyi_parser *ps);

static int name_node(struct pyi_parser *ps, enum pyi_ek kind, const char *s, size_t n, int a)
{
    int id = new_node(ps, kind);
    char *copy = id >= 0 ? strndup(s, n) : NULL;
    if (id < 0 || !copy) {
        ps->oom = true;
        return unsupported(ps, "out of memory");
    }
    ps->e->n[id].s = copy;
    ps->e->n[id].a = a;
    return id;
}

static int atom(struct pyi_parser *ps)
{
    const char *s;
    size_t n;
    ws(ps);
    if (isdigit((unsigned char)*ps->p) || (*ps->p == '.' && isdigit((unsigned char)ps->p[1]))) {
        return number(ps);
    }
    if (at_string(ps)) {
        return string(ps);
    }
    if (punct(ps, "(")) {
        int id = disjunction(ps);
        if (id < 0 || !punct(ps, ")")) {
            return id < 0 ? -1 : unsupported(ps, "tuples");
        }
        return id;
    }
    if ((n = peek_ident(ps, &s)) == 0) {
        return unsupported(ps, *ps->p ? "this syntax" : "an incomplete expression");
    }
    ps->p += n;
    if (is_word(s, n, "None") || is_word(s, n, "True") || is_word(s, n, "False")) {
        return new_node(ps, s[0] == 'N' ? PYI_E_NONE : s[0] == 'T' ? PYI_E_TRUE : PYI_E_FALSE);
    }
    if (is_reserved(s, n)) {
        return unsupported(ps, "this keyword");
    }
    return name_node(ps, PYI_E_NAME, s, n, 0);
}

static int primary(struct pyi_parser *ps)
{
    int id = atom(ps);
    while (id >= 0) {
        const char *s;
        size_t n;
        if (punct(ps, ".")) {
            if ((n = peek_ident(ps, &s)) == 0 || is_reserved(s, n)) {
                return unsupported(ps, "this attribute");
            }
            ps->p += n;
            id = name_node(ps, PYI_E_ATTR, s, n, id);
        } else if (punct(ps, "[")) {
            int index = disjunction(ps);
            if (index < 0 || !punct(ps, "]")) {
                return index < 0 ? -1 : unsupported(ps, "slices and tuple subscripts");
            }
            int sub = new_node(ps, PYI_E_SUB);
            if (sub >= 0) {
                ps->e->n[sub].a = id;
                ps->e->n[sub].b = index;
            }
            id = sub;
        } else if (ws(ps), *ps->p == '(') {
            return unsupported(ps, "calls");
        } else {
            break;
        }
    }
    return id;
}

static int binary(struct pyi_parser *ps, int op, int a, int b)
{
    if (a < 0 || b < 0) {
        return -1;
    }
    int id = new_node(ps, PYI_E_BIN);
    if (id >= 0) {
        ps->e->n[id].op = op;
        ps->e->n[id].a = a;
        ps->e->n[id].b = b;
    }
    return id;
}

static int factor(struct pyi_parser *ps);

static int power(struct pyi_parser *ps)
{
    int id = primary(ps);
    if (id >= 0 && punct(ps, "**")) {
        return binary(ps, PYI_OP_POW, id, factor(ps));
    }
    return id;
}

static int factor(struct pyi_parser *ps)
{
    ws(ps);
    char c = *ps->p;
    if ((c == '-' || c == '+' || c == '~') && ps->p[1] != '=') {
        ps->p++;
        int a = factor(ps);
        int id = a < 0 ? -1 : new_node(ps, PYI_E_UNARY);
        if (id >= 0) {
            ps->e->n[id].op = c;
            ps->e->n[id].a = a;
        }
        return id;
    }
    return power(ps);
}

static int term(struct pyi_parser *ps)
{
    int id = factor(ps);
    while (id >= 0) {
        int op = punct(ps, "//")  ? PYI_OP_FLOORDIV
                 : punct(ps, "*") ? PYI_OP_MUL
                 : punct(ps, "/") ? PYI_OP_DIV
                 : punct(ps, "%") ? PYI_OP_MOD
                                  : -1;
        if (op < 0) {
            ws(ps);
            if (*ps->p == '@') {
                return unsupported(ps, "the @ operator");
            }
            break;
        }
        id = binary(ps, op, id, factor(ps));
    }
    return id;
}

static int sum(struct pyi_parser *ps)
{
    int id = term(ps);
    while (id >= 0) {
        int op = punct(ps, "+") ? PYI_OP_ADD : punct(ps, "-") ? PYI_OP_SUB : -1;
        if (op < 0) {
            ws(ps);
            if (strchr("&|^", *ps->p) && *ps->p) {
                return unsupported(ps, "bitwise operators");
            }
            if ((ps->p[0] == '<' && ps->p[1] == '<') || (ps->p[0] == '>' && ps->p[1] == '>')) {
                return unsupported(ps, "shifts");
            }
            break;
        }
        id = binary(ps, op, id, term(ps));
    }
    return id;
}

static int comp_op(struct pyi_parser *ps)
{
    if (punct(ps, "==")) {
        return PYI_CMP_EQ;
    }
    if (punct(ps, "!=")) {
        return PYI_CMP_NE;
    }
    if (punct(ps, "<=")) {
        return PYI_CMP_LE;
    }
    if (punct(ps, ">=")) {
        return PYI_CMP_GE;
    }
    if (punct(ps, "<")) {
        return PYI_CMP_LT;
    }
    if (punct(ps, ">")) {
        return PYI_CMP_GT;
    }
    if (keyword(ps, "in")) {
        return PYI_CMP_IN;
    }
    const char *save = ps->p;
    if (keyword(ps, "not")) {
        if (keyword(ps, "in")) {
            return PYI_CMP_NOT_IN;
        }
        ps->p = save;
        return -1;
    }
    if (keyword(ps, "is")) {
        return keyword(ps, "not") ? PYI_CMP_IS_NOT : PYI_CMP_IS;
    }
    return -1;
}

static int comparison(struct pyi_parser *ps)
{
    int first = sum(ps);
    int op = first >= 0 ? comp_op(ps) : -1;
    if (op < 0) {
        return first;
    }
    int id = new_node(ps, PYI_E_CMP);
    if (id < 0) {
        return -1;
    }
    ps->e->n[id].cargs[0] = first;
    for (int k = 0; op >= 0; k++) {
        if (k == PYI_E_MAXCMP) {
            return unsupported(ps, "more chained comparisons");
        }
        int next = sum(ps);
        if (next < 0) {
            return -1;
        }
        struct pyi_enode *n = &ps->e->n[id];
        n->cops[k] = op;
        n->cargs[k + 1] = next;
        n->ncmp = k + 1;
        op = comp_op(ps);
    }
    return id;
}

static int inversion(struct pyi_parser *ps)
{
    if (keyword(ps, "not")) {
        int a = inversion(ps);
        int id = a < 0 ? -1 : new_node(ps, PYI_E_NOT);
        if (id >= 0) {
            ps->e->n[id].a = a;
        }
        return id;
    }
    return comparison(ps);
}

static int logical(struct pyi_parser *ps, enum pyi_ek kind, const char *word,
                   int (*operand)(struct pyi_parser *))
{
    int id = operand(ps);
    while (id >= 0 && keyword(ps, word)) {
        int b = operand(ps);
        int n = b < 0 ? -1 : new_node(ps, kind);
        if (n >= 0) {
            ps->e->n[n].a = id;
            ps->e->n[n].b = b;
        }
        id = n;
    }
    return id;
}

static int conjunction(struct pyi_parser *ps)
{
    return logical(ps, PYI_E_AND, "and", inversion);
}

static int disjunction(struct pyi_parser *ps)
{
    int id = logical(ps, PYI_E_OR, "or", conjunction);
    if (id >= 0 && (keyword(ps, "if") || keyword(ps, "for"))) {
        return unsupported(ps, "conditional expressions and comprehensions");
    }
    return id;
}

int pyi_expr_parse(const char *src, struct pyi_expr *out, const char **why)
{
    struct pyi_parser ps = {src, out, NULL, false};
    memset(out, 0, sizeof *out);
    out->root = disjunction(&ps);
    ws(&ps);
    if (out->root >= 0 && *ps.p) {
        unsupported(&ps, *ps.p == ',' ? "tuples" : *ps.p == ':' ? "this syntax" : "this syntax");
        out->root = -1;
    }
    *why = ps.why;
    if (ps.oom) {
        return -1;
    }
    return out->root >= 0 ? PYI_PARSE_OK : PYI_PARSE_UNSUPPORTED;
}

void pyi_expr_free(struct pyi_expr *e)
{
    for (int i = 0; i < e->count; i++) {
        free(e->n[i].s);
    }
    free(e->n);
    memset(e, 0, sizeof *e);
}
