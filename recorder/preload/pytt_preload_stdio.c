/*
 * pytt_preload_stdio: fopen for the syscall buffer's library (pytt_preload.c says the design).
 * glibc's fopen opens the file with its own internal call, which no wrapper sees, so every
 * fopen stopped the program at its open, and CPython's start probes several files through
 * fopen that are usually not there (getpath's pybuilddir.txt and pyvenv.cfg, then the script
 * itself). While the library records or replays this thread, a read-only fopen opens through
 * the library's open (the buffer: no stop, and a name that does not exist costs nothing more)
 * and hands the descriptor to glibc's fdopen, which builds the stream fopen would have built;
 * any other mode (writing, "+", "x", "m", ",ccs=") goes to glibc's fopen as before. Both sides
 * take the same path: replay's open answers from the record, and fdopen's own fcntl stops at
 * record and replays from its event.
 */
#define _GNU_SOURCE
#include "recorder/preload/pytt_preload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

typedef FILE *(*fopen_fn)(const char *, const char *);

REAL(fopen, fopen_fn)
REAL(fopen64, fopen_fn)

/* open(2)'s flags for a read-only fopen mode ("r", "rb", "re", "rbe", "rt"...), or -1 for any
 * other mode, which glibc's fopen takes. */
static int read_flags(const char *mode)
{
    if (!mode || mode[0] != 'r') {
        return -1;
    }
    int flags = O_RDONLY;
    for (const char *p = mode + 1; *p; p++) {
        if (*p == 'e') {
            flags |= O_CLOEXEC;
        } else if (*p != 'b' && *p != 't') {
            return -1;
        }
    }
    return flags;
}

static FILE *do_fopen(fopen_fn real, const char *path, const char *mode)
{
    int flags = read_flags(mode);
    if (flags < 0 || !path || !pytt_buffering()) {
        return real(path, mode);
    }
    int fd = open(path, flags); /* the library's open: through the buffer when it may */
    if (fd < 0) {
        return NULL; /* errno says why, as fopen's would */
    }
    FILE *f = fdopen(fd, mode);
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}

EXPORT FILE *fopen(const char *path, const char *mode)
{
    return do_fopen(real_fopen(), path, mode);
}

EXPORT FILE *fopen64(const char *path, const char *mode)
{
    return do_fopen(real_fopen64(), path, mode);
}
