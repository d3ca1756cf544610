/*
 * pyi_damage: a library the errors test preloads (LD_PRELOAD) into a CPython 3.13+ it records,
 * to damage the interpreter's _Py_DebugOffsets table before any Python code runs. pytt opens
 * its pyintrospect session at the first instruction the interpreter dispatches, so a table
 * the program damaged itself (ctypes) would be read intact; a constructor runs earlier.
 * CPython never reads the table itself, so the program runs as usual.
 *
 * PYI_DAMAGE_OFFSET (decimal) is the offset in _PyRuntime of an 8-byte entry to add
 * PYI_DAMAGE_ADD to (default 8); PYI_DAMAGE_COOKIE=1 overwrites the "xdebugpy" cookie instead.
 * Without either variable the library does nothing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

__attribute__((constructor)) static void pyi_damage(void)
{
    const char *off = getenv("PYI_DAMAGE_OFFSET");
    const char *add = getenv("PYI_DAMAGE_ADD");
    const char *cookie = getenv("PYI_DAMAGE_COOKIE");
    char *runtime = dlsym(RTLD_DEFAULT, "_PyRuntime");
    if (!runtime) {
        return;
    }
    if (cookie && strcmp(cookie, "1") == 0) {
        memcpy(runtime, "ydebugpy", 8);
    }
    if (off) {
        uint64_t v;
        memcpy(&v, runtime + strtol(off, NULL, 10), sizeof v);
        v += (uint64_t)(add ? strtoll(add, NULL, 10) : 8);
        memcpy(runtime + strtol(off, NULL, 10), &v, sizeof v);
    }
}
