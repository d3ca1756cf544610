/*
 * pt_pyver: the table of CPython version facts shared by the recorder's clock and pyintrospect
 * (see pt_pyver.h). Opcode numbers are those of each version's Lib/opcode.py.
 */
#include "pt_pyver.h"

#include <stdio.h>

enum {
    V311_LOAD_CONST = 100,
    V311_LOAD_FAST = 124,
    V311_STORE_FAST = 125,
    /* 3.12 kept these three numbers */
    V312_LOAD_CONST = 100,
    V312_LOAD_FAST = 124,
    V312_STORE_FAST = 125,
};

static const struct pt_pyver pt_pyvers[] = {
    {3, 8, "3.8", false, {0}, 0, false, false},
    {3, 9, "3.9", false, {0}, 0, false, false},
    {3, 10, "3.10", true, {0}, 0, true, true},
    {3, 11, "3.11", true, {V311_LOAD_CONST, V311_LOAD_FAST, V311_STORE_FAST}, 3, false, false},
    {3, 12, "3.12", true, {V312_LOAD_CONST, V312_LOAD_FAST, V312_STORE_FAST}, 3, false, false},
    {3, 13, "3.13", true, {0}, 0, false, false},
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
