/*
 * pt_elf: what pytt needs to know about files on disk, read with elfutils' libelf.
 *
 *   - file identities are in pt_fileid.h (included here);
 *   - the CPython check at exec: is this binary a CPython interpreter (it defines _PyRuntime,
 *     itself or through the libpython it needs), which version, and is its DWARF available
 *     (inside the file, or as /usr/lib/debug/.build-id/xx/rest.debug; PYTT_DEBUG_DIR overrides
 *     /usr/lib/debug). Failures say which Debian package to install.
 */
#ifndef PT_ELF_H
#define PT_ELF_H

#include "pt_fileid.h"

#include <stddef.h>

/* Is the file at path an ELF object? */
int pt_is_elf(const char *path);
/* The ELF interpreter (PT_INTERP) of an executable, or "" if none. */
int pt_elf_interp(const char *path, char *out, size_t cap);

struct pt_pyinfo {
    char image[4096];      /* the file that defines _PyRuntime: the binary or its libpython */
    char version[16];      /* "3.11" */
    char debug_file[4096]; /* where its DWARF is */
};

/* Check that `exe` (an absolute path) is a CPython interpreter with debug info. On failure the
 * message explains what is wrong and what to install. Returns 0, or -1; *is_python is set to
 * 1 when it is CPython (even if the debug info is missing). */
int pt_check_python(const char *exe, struct pt_pyinfo *info, int *is_python);

#endif
