/*
 * pt_cond: breakpoint conditions checked inside the tracee, by the watch trampolines, so that a
 * conditional breakpoint in a hot loop costs a few instructions per hit instead of a ptrace stop.
 *
 * A condition is given as a small tree (built by pyintrospect from the Python expression: see
 * pyi_cond_lower) over fast locals of the breakpoint's frame and constants: comparisons of ints,
 * `is` against None/True/False or another local, truth of a local, not/and/or. Anything the tree
 * cannot decide is an UNKNOWN leaf. The generated code answers only "certainly false" (the
 * dispatch continues) or "true or unknown" (the trampoline traps, and pytt evaluates the whole
 * condition exactly, from memory or in the interpreter). So it needs only to be right when it
 * says false, and it is: it reads an int only when it is an exact int of at most one digit.
 *
 * The code runs on the interpreter's stack below the red zone (the trampoline moves rsp by 128
 * before calling it), saves every register it uses and returns ZF = 1 for "trap".
 */
#ifndef PT_COND_H
#define PT_COND_H

#include <stddef.h>
#include <stdint.h>

#define PT_COND_NODES 16
#define PT_COND_CODE_MAX 1024 /* bytes of code per condition */

enum pt_cond_kind {
    PT_CN_UNKNOWN, /* cannot be decided here: trap */
    PT_CN_AND,     /* a and b */
    PT_CN_OR,      /* a or b */
    PT_CN_NOT,     /* not a */
    PT_CN_CMP,     /* x OP y, ints (signed 64-bit) */
    PT_CN_IS,      /* x is y (op PT_CC_EQ) / is not (PT_CC_NE), object addresses */
    PT_CN_TRUTH,   /* bool(x): None, True, False, or an exact int */
};

enum pt_cond_cc { PT_CC_EQ, PT_CC_NE, PT_CC_LT, PT_CC_LE, PT_CC_GT, PT_CC_GE };

enum pt_cond_opnd_kind {
    PT_CO_LOCAL, /* v: byte offset of a fast local's slot from the frame register's value */
    PT_CO_CONST, /* v: an int (CMP) or an object address (IS) */
    PT_CO_ATTR,  /* local.attr: v as LOCAL; the object's type must be `type` with version tag
                  * `tag` (nothing about the class changed), and the attribute is entry `index`
                  * of its inline values (3.11's instance layout) */
};

struct pt_cond_opnd {
    uint8_t kind;
    uint32_t tag, index;
    int64_t v;
    uint64_t type;
};

struct pt_cond_node {
    uint8_t kind, op;
    uint8_t a, b; /* children */
    struct pt_cond_opnd x, y;
};

struct pt_cond {
    int nnodes; /* 0: no condition */
    int root;
    struct pt_cond_node n[PT_COND_NODES];
};

/* What the code needs to know about objects (from DWARF, through pyintrospect). Ints: 30-bit
 * digits at digit_off; at size_off either ob_size (sign and digit count: 3.10, 3.11) or, with
 * int_tag, long_value.lv_tag (ndigits << 3 | sign bits: 3.12+). long_type 0: no int reads. */
struct pt_cond_layout {
    int64_t type_off, size_off, digit_off;
    int int_tag;
    uint64_t long_type, none, true_obj, false_obj;
    /* attributes (tag_off 0: none): tp_version_tag, the inline values pointer's offset from
     * the object, PyDictValues.values */
    int64_t tag_off, values_ptr_off, values_off;
};

/* Emit the code for c at address `at` (frame_reg: hardware number of the register holding the
 * frame at dispatch). Returns its length, 0 if it does not fit in cap. */
size_t pt_cond_emit(const struct pt_cond *c, const struct pt_cond_layout *l, int frame_reg,
                    uint64_t at, uint8_t *out, size_t cap);

#endif
