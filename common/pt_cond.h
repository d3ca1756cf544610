/*
 * pt_cond: breakpoint conditions checked inside the tracee, by the watch trampolines, so that a
 * conditional breakpoint in a hot loop costs a few instructions per hit instead of a ptrace stop.
 *
 * A condition is given as a small tree (built by pyintrospect from the Python expression: see
 * pyi_cond_lower) over fast locals of the breakpoint's frame, their attributes (local.a.b, read
 * from the instance's values where its class keeps them) and constants: comparisons of ints,
 * `is` against None/True/False or another operand, truth of a local, not/and/or. Anything the tree
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
    PT_CO_ATTR,  /* local.a.b...: v as LOCAL, then steps [step, step + nsteps) of the condition,
                  * one attribute load each (struct pt_cond_step) */
};

struct pt_cond_opnd {
    uint8_t kind;
    uint8_t step, nsteps;
    int64_t v;
};

/* How an instance keeps the attributes its class shares keys for (the version's layout). */
enum pt_cond_attrs {
    PT_CA_NONE,        /* not read in the tracee: an attribute is unknown */
    PT_CA_VALUES_PTR,  /* 3.11: a pointer to the values at values_ptr_off from the object (NULL:
                        * the object has a dict instead) */
    PT_CA_TAGGED_WORD, /* 3.12: the word at values_ptr_off holds the values less 1 (odd), or
                        * the object's dict (even) */
    PT_CA_INLINE,      /* 3.13: the values at the type's basicsize (step.base) from the object,
                        * used while their byte at valid_off is not 0 */
    PT_CA_SPLIT_DICT,  /* 3.10: the dict at the type's dictoffset (step.base) shares the type's
                        * keys (step.keys) and keeps its values apart (dict_values_off) */
};

/* One attribute load obj.name, planned against the class of the object seen at a hit: in the
 * tracee the object's type must be `type` with version tag `tag` (nothing about the class or
 * its bases changed since: no descriptor of that name appeared), and the value is entry `index`
 * of its values (NULL: not set, unknown). */
struct pt_cond_step {
    uint64_t type;
    uint32_t tag, index;
    int64_t base;         /* PT_CA_INLINE: tp_basicsize; PT_CA_SPLIT_DICT: tp_dictoffset */
    uint64_t keys;        /* PT_CA_SPLIT_DICT: the shared keys object the dict must use, */
    uint64_t key_at, key; /* whose entry `index` (its key pointer at key_at) is still `key` */
};

#define PT_COND_STEPS 12

struct pt_cond_node {
    uint8_t kind, op;
    uint8_t a, b; /* children */
    struct pt_cond_opnd x, y;
};

struct pt_cond {
    int nnodes; /* 0: no condition */
    int root;
    struct pt_cond_node n[PT_COND_NODES];
    int nsteps;
    struct pt_cond_step steps[PT_COND_STEPS];
};

/* What the code needs to know about objects (from DWARF, through pyintrospect). Ints: 30-bit
 * digits at digit_off; at size_off either ob_size (sign and digit count: 3.10, 3.11) or, with
 * int_tag, long_value.lv_tag (ndigits << 3 | sign bits: 3.12+). long_type 0: no int reads. */
struct pt_cond_layout {
    int64_t type_off, size_off, digit_off;
    int int_tag;
    uint64_t long_type, none, true_obj, false_obj;
    /* attributes (attrs PT_CA_NONE: none): tp_version_tag's offset in a type; where the values
     * are (values_ptr_off from the object: PT_CA_VALUES_PTR, PT_CA_TAGGED_WORD), their `valid`
     * byte (PT_CA_INLINE), a dict's keys and values pointers (PT_CA_SPLIT_DICT), and the first
     * value's offset in them (PyDictValues.values; 0 for 3.10's plain array) */
    int attrs;
    int64_t tag_off, values_ptr_off, valid_off, dict_keys_off, dict_values_off, values_off;
};

/* Emit the code for c at address `at` (frame_reg: hardware number of the register holding the
 * frame at dispatch). Returns its length, 0 if it does not fit in cap. */
size_t pt_cond_emit(const struct pt_cond *c, const struct pt_cond_layout *l, int frame_reg,
                    uint64_t at, uint8_t *out, size_t cap);

#endif
