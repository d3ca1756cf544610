/*
 * pt_elf: what pytt needs to know about files on disk, read with elfutils' libelf.
 *
 *   - file identity (pt_fileid): size, mtime, and the GNU build-id for ELF files or a 64-bit
 *     content hash for anything else. The recorder stores it for every file it lets replay map
 *     again; the replayer refuses a file whose identity changed, naming it. All three must
 *     match: a rebuild changes the build-id, an in-place edit the modification time.
 *   - the CPython check at exec: is this binary a CPython interpreter (it defines _PyRuntime,
 *     itself or through the libpython it needs), which version, and is its DWARF available
 *     (inside the file, or as /usr/lib/debug/.build-id/xx/rest.debug; PYTT_DEBUG_DIR overrides
 *     /usr/lib/debug). Failures say which Debian package to install.
 */
#ifndef PT_ELF_H
#define PT_ELF_H

#include "pt_trace.h"

#include <stddef.h>

/* Fill *id for the file at path (opened by pytt itself). */
int pt_fileid_of(const char *path, struct pt_fileid *id);
/* Compare identities; returns 1 if equal. */
int pt_fileid_equal(const struct pt_fileid *a, const struct pt_fileid *b);
/* "build-id c561f3..." or "size 123, hash 89ab..." (static buffer). */
const char *pt_fileid_str(const struct pt_fileid *id);
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
