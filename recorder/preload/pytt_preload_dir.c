/*
 * pytt_preload_dir: directory streams (opendir, readdir, ...) for the syscall buffer's library
 * (pytt_preload.c). glibc's readdir calls getdents64 inside libc, where no wrapper sees it, so
 * every directory listing (os.listdir, os.scandir, the import system's path cache) stopped the
 * program twice or more. While pytt records or replays the process, opendir and fdopendir here
 * return a stream of this file's own, read through the library's open, getdents64, lseek and
 * close, which go through the buffer. Every function here also accepts a stream glibc made
 * (one opened before the library answered, or while the buffer was off): it passes that one to
 * glibc's function. A stream of ours is told apart by its first eight bytes (glibc's starts with
 * its descriptor and a lock word, never this value).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recorder/preload/pytt_preload.h"

#define MAGIC 0x7079747464697221ull /* "pyttdir!" */

ssize_t getdents64(int fd, void *buf, size_t n);

struct pt_dir {
    uint64_t magic;
    int fd;
    size_t size, pos; /* bytes in buf, and the next entry's offset */
    long tell;        /* the offset of the entry last returned (telldir) */
    char buf[32768] __attribute__((aligned(8)));
};

static struct pt_dir *ours(DIR *d)
{
    struct pt_dir *p = (struct pt_dir *)d;
    return p && p->magic == MAGIC ? p : NULL;
}

typedef DIR *(*opendir_fn)(const char *);
typedef DIR *(*fdopendir_fn)(int);
typedef struct dirent64 *(*readdir64_fn)(DIR *);
typedef struct dirent *(*readdir_fn)(DIR *);
typedef int (*readdir64_r_fn)(DIR *, struct dirent64 *, struct dirent64 **);
typedef int (*readdir_r_fn)(DIR *, struct dirent *, struct dirent **);
typedef int (*closedir_fn)(DIR *);
typedef void (*rewinddir_fn)(DIR *);
typedef int (*dirfd_fn)(DIR *);
typedef long (*telldir_fn)(DIR *);
typedef void (*seekdir_fn)(DIR *, long);

REAL(opendir, opendir_fn)
REAL(fdopendir, fdopendir_fn)
REAL(readdir64, readdir64_fn)
REAL(readdir, readdir_fn)
REAL(readdir64_r, readdir64_r_fn)
REAL(readdir_r, readdir_r_fn)
REAL(closedir, closedir_fn)
REAL(rewinddir, rewinddir_fn)
REAL(dirfd, dirfd_fn)
REAL(telldir, telldir_fn)
REAL(seekdir, seekdir_fn)

/* A stream of ours reading descriptor fd, or NULL (ENOMEM). */
static DIR *new_stream(int fd)
{
    struct pt_dir *p = malloc(sizeof *p);
    if (!p) {
        errno = ENOMEM;
        return NULL;
    }
    p->magic = MAGIC;
    p->fd = fd;
    p->size = p->pos = 0;
    p->tell = 0;
    return (DIR *)p;
}

EXPORT DIR *opendir(const char *name)
{
    if (!pytt_buffering()) {
        return real_opendir()(name);
    }
    int fd = open(name, O_RDONLY | O_NONBLOCK | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : new_stream(fd);
    if (fd >= 0 && !d) {
        close(fd);
        errno = ENOMEM;
    }
    return d;
}

EXPORT DIR *fdopendir(int fd)
{
    struct stat st;
    if (!pytt_buffering()) {
        return real_fdopendir()(fd);
    }
    if (fstat(fd, &st) < 0) {
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return NULL;
    }
    return new_stream(fd);
}

/* The next entry, or NULL at the end (errno untouched) or on an error (errno set). */
static struct dirent64 *real_entry(struct pt_dir *p)
{
    if (p->pos >= p->size) {
        int saved = errno;
        ssize_t n = getdents64(p->fd, p->buf, sizeof p->buf);
        if (n <= 0) {
            if (n == 0) {
                errno = saved;
            }
            return NULL;
        }
        p->size = (size_t)n;
        p->pos = 0;
    }
    struct dirent64 *e = (struct dirent64 *)(p->buf + p->pos);
    p->pos += e->d_reclen;
    p->tell = (long)e->d_off;
    return e;
}

EXPORT struct dirent64 *readdir64(DIR *d)
{
    struct pt_dir *p = ours(d);
    return p ? real_entry(p) : real_readdir64()(d);
}

/* struct dirent and struct dirent64 are one layout on x86-64. */
EXPORT struct dirent *readdir(DIR *d)
{
    struct pt_dir *p = ours(d);
    return p ? (struct dirent *)real_entry(p) : real_readdir()(d);
}

static int entry_r(struct pt_dir *p, struct dirent64 *entry, struct dirent64 **result)
{
    int saved = errno;
    errno = 0;
    struct dirent64 *e = real_entry(p);
    int err = e ? 0 : errno;
    errno = saved;
    if (e) {
        memcpy(entry, e, e->d_reclen < sizeof *entry ? e->d_reclen : sizeof *entry);
    }
    *result = e ? entry : NULL;
    return err;
}

EXPORT int readdir64_r(DIR *d, struct dirent64 *entry, struct dirent64 **result)
{
    struct pt_dir *p = ours(d);
    return p ? entry_r(p, entry, result) : real_readdir64_r()(d, entry, result);
}

EXPORT int readdir_r(DIR *d, struct dirent *entry, struct dirent **result)
{
    struct pt_dir *p = ours(d);
    return p ? entry_r(p, (struct dirent64 *)entry, (struct dirent64 **)result)
             : real_readdir_r()(d, entry, result);
}

EXPORT int closedir(DIR *d)
{
    struct pt_dir *p = ours(d);
    if (!p) {
        return real_closedir()(d);
    }
    int fd = p->fd;
    p->magic = 0;
    free(p);
    return close(fd);
}

EXPORT void rewinddir(DIR *d)
{
    struct pt_dir *p = ours(d);
    if (!p) {
        real_rewinddir()(d);
        return;
    }
    lseek(p->fd, 0, SEEK_SET);
    p->size = p->pos = 0;
    p->tell = 0;
}

EXPORT void seekdir(DIR *d, long pos)
{
    struct pt_dir *p = ours(d);
    if (!p) {
        real_seekdir()(d, pos);
        return;
    }
    lseek(p->fd, pos, SEEK_SET);
    p->size = p->pos = 0;
    p->tell = pos;
}

EXPORT long telldir(DIR *d)
{
    struct pt_dir *p = ours(d);
    return p ? p->tell : real_telldir()(d);
}

EXPORT int dirfd(DIR *d)
{
    struct pt_dir *p = ours(d);
    return p ? p->fd : real_dirfd()(d);
}
