/*
 * pyi_expr: the syntax tree of the Python expressions pyintrospect evaluates from memory
 * (pyi_eval.c) and lowers to in-tracee condition code (pyi_cond.c), and its parser
 * (pyi_expr.c). The subset: names, attributes, subscripts, int/float/str literals, None, True,
 * False, unary + - ~, binary + - * / // % **, comparisons (chained; ==, !=, <, <=, >, >=, in,
 * not in, is, is not), not, and, or, parentheses. Anything else (calls, comprehensions,
 * slices, lambdas, f-strings...) is "unsupported", which is not an error: the caller then asks
 * the interpreter itself (replayer/rep_eval.c), which also reports real syntax errors.
 */
#ifndef PYI_EXPR_H
#define PYI_EXPR_H

#include <stddef.h>
#include <stdint.h>

enum pyi_ek {
    PYI_E_NAME,
    PYI_E_INT,
    PYI_E_FLOAT,
    PYI_E_STR,
    PYI_E_NONE,
    PYI_E_TRUE,
    PYI_E_FALSE,
    PYI_E_ATTR,  /* a.name */
    PYI_E_SUB,   /* a[b] */
    PYI_E_UNARY, /* op: '-', '+', '~' */
    PYI_E_BIN,   /* op: enum pyi_bop */
    PYI_E_CMP,   /* chained: cargs[0] cops[0] cargs[1] ... */
    PYI_E_AND,
    PYI_E_OR,
    PYI_E_NOT,
};

enum pyi_bop {
    PYI_OP_ADD,
    PYI_OP_SUB,
    PYI_OP_MUL,
    PYI_OP_DIV,
    PYI_OP_FLOORDIV,
    PYI_OP_MOD,
    PYI_OP_POW
};

enum pyi_cop {
    PYI_CMP_EQ,
    PYI_CMP_NE,
    PYI_CMP_LT,
    PYI_CMP_LE,
    PYI_CMP_GT,
    PYI_CMP_GE,
    PYI_CMP_IN,
    PYI_CMP_NOT_IN,
    PYI_CMP_IS,
    PYI_CMP_IS_NOT,
};

#define PYI_E_MAXCMP 8

struct pyi_enode {
    enum pyi_ek kind;
    int op;   /* UNARY: '-', '+', '~'; BIN: enum pyi_bop */
    int a, b; /* operands (node indexes) */
    int ncmp; /* CMP: number of operators */
    int cops[PYI_E_MAXCMP];
    int cargs[PYI_E_MAXCMP + 1];
    int64_t i;  /* INT */
    double f;   /* FLOAT */
    char *s;    /* STR (UTF-8, surrogates as 3-byte sequences), NAME, ATTR's name */
    size_t len; /* STR: bytes */
};

struct pyi_expr {
    struct pyi_enode *n;
    int count, cap;
    int root;
};

enum { PYI_PARSE_OK = 0, PYI_PARSE_UNSUPPORTED = 1 };
/* Parse src: PYI_PARSE_OK, PYI_PARSE_UNSUPPORTED (outside the subset, or not valid Python), or
 * -1 (out of memory). *why says what was unsupported. */
int pyi_expr_parse(const char *src, struct pyi_expr *out, const char **why);
void pyi_expr_free(struct pyi_expr *e);

#endif
