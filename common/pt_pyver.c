/*
 * pt_pyver: the table of CPython version facts shared by the Python clock and pyintrospect
 * (see pt_pyver.h). Opcode numbers are those of each version's Lib/opcode.py (3.13: its
 * _opcode_metadata), checked against each build's opcode.opname.
 */
#include "pt_pyver.h"

#include <stdio.h>

enum {
    /* 3.8-3.10 (3.8 has YIELD_FROM where 3.9 put JUMP_IF_NOT_EXC_MATCH) */
    V38_RETURN_VALUE = 83,
    V38_YIELD_VALUE = 86,
    V38_YIELD_FROM = 72,
    V38_JUMP_IF_FALSE_OR_POP = 111,
    V38_JUMP_IF_TRUE_OR_POP = 112,
    V38_JUMP_ABSOLUTE = 113,
    V38_POP_JUMP_IF_FALSE = 114,
    V38_POP_JUMP_IF_TRUE = 115,
    V39_JUMP_IF_NOT_EXC_MATCH = 121,
    /* 3.11 (3.12 kept LOAD_CONST, LOAD_FAST, STORE_FAST, RESUME and both JUMP_BACKWARDs) */
    V311_LOAD_CONST = 100,
    V311_LOAD_FAST = 124,
    V311_STORE_FAST = 125,
    V311_JUMP_BACKWARD_NO_INTERRUPT = 134,
    V311_JUMP_BACKWARD = 140,
    V311_RESUME = 151,
    V311_POP_JUMP_BACKWARD_IF_NOT_NONE = 173,
    V311_POP_JUMP_BACKWARD_IF_NONE = 174,
    V311_POP_JUMP_BACKWARD_IF_FALSE = 175,
    V311_POP_JUMP_BACKWARD_IF_TRUE = 176,
    V312_INSTRUMENTED_RESUME = 240,
    V312_INSTRUMENTED_JUMP_BACKWARD = 246,
    /* 3.13 */
    V313_ENTER_EXECUTOR = 70,
    V313_JUMP_BACKWARD = 77,
    V313_JUMP_BACKWARD_NO_INTERRUPT = 78,
    V313_RESUME = 149,
    V313_INSTRUMENTED_RESUME = 236,
    V313_INSTRUMENTED_JUMP_BACKWARD = 249,
};

#define V38_JUMPS                                                                                  \
    V38_JUMP_ABSOLUTE, V38_POP_JUMP_IF_FALSE, V38_POP_JUMP_IF_TRUE, V38_JUMP_IF_FALSE_OR_POP,      \
        V38_JUMP_IF_TRUE_OR_POP, V38_RETURN_VALUE, V38_YIELD_VALUE
#define V311_FUSED {V311_LOAD_CONST, V311_LOAD_FAST, V311_STORE_FAST}, 3

static const struct pt_pyver pt_pyvers[] = {
    {3, 8, "3.8", false, {V38_JUMPS, V38_YIELD_FROM}, 8, {0}, 0, false, false},
    {3, 9, "3.9", false, {V38_JUMPS, V39_JUMP_IF_NOT_EXC_MATCH}, 8, {0}, 0, false, false},
    {3, 10, "3.10", true, {V38_JUMPS, V39_JUMP_IF_NOT_EXC_MATCH}, 8, {0}, 0, true, true},
    {3,
     11,
     "3.11",
     true,
     {V311_RESUME, V311_JUMP_BACKWARD, V311_JUMP_BACKWARD_NO_INTERRUPT,
      V311_POP_JUMP_BACKWARD_IF_NOT_NONE, V311_POP_JUMP_BACKWARD_IF_NONE,
      V311_POP_JUMP_BACKWARD_IF_FALSE, V311_POP_JUMP_BACKWARD_IF_TRUE},
     7,
     V311_FUSED,
     false,
     false},
    {3,
     12,
     "3.12",
     true,
     {V311_RESUME, V311_JUMP_BACKWARD, V311_JUMP_BACKWARD_NO_INTERRUPT, V312_INSTRUMENTED_RESUME,
      V312_INSTRUMENTED_JUMP_BACKWARD},
     5,
     V311_FUSED,
     false,
     false},
    {3,
     13,
     "3.13",
     true,
     {V313_RESUME, V313_JUMP_BACKWARD, V313_JUMP_BACKWARD_NO_INTERRUPT, V313_INSTRUMENTED_RESUME,
      V313_INSTRUMENTED_JUMP_BACKWARD, V313_ENTER_EXECUTOR},
     6,
     {0},
     0,
     false,
     false},
};

const struct pt_pyver *pt_pyver_find(int major, int minor)
{
    for (size_t i = 0; i < sizeof pt_pyvers / sizeof pt_pyvers[0]; i++) {
        if (pt_pyvers[i].major == major && pt_pyvers[i].minor == minor) {
            return &pt_pyvers[i];
        }
    }
    return NULL;
}

const struct pt_pyver *pt_pyver_lookup(const char *version)
{
    int major, minor;
    if (!version || sscanf(version, "%d.%d", &major, &minor) != 2) {
        return NULL;
    }
    return pt_pyver_find(major, minor);
}

const char *pt_pyver_debugger_list(void)
{
    static char buf[128];
    const struct pt_pyver *v[16];
    size_t n = 0, at = 0;
    for (size_t i = 0; i < sizeof pt_pyvers / sizeof pt_pyvers[0] && n < 16; i++) {
        if (pt_pyvers[i].debugger) {
            v[n++] = &pt_pyvers[i];
        }
    }
    buf[0] = '\0';
    for (size_t i = 0; i < n && at < sizeof buf; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";
        at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s", sep, v[i]->name);
    }
    return buf;
}
