/*
 * pt_file: safe opens of trace-named files, private creation of trace files (see pt_file.h).
 */
#define _GNU_SOURCE
#include "pt_file.h"

#include "pt_error.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

const char *pt_file_kind(mode_t mode)
{
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO";
    }
    if (S_ISLNK(mode)) {
        return "a symbolic link";
    }
    if (S_ISCHR(mode)) {
        return "a character device";
    }
    if (S_ISBLK(mode)) {
        return "a block device";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    return S_ISREG(mode) ? "a regular file" : "not a regular file";
}

int pt_check_regular(const char *path, struct stat *st)
{
    if (lstat(path, st) != 0) {
        return pt_fail_errno("%s", path);
    }
    if (!S_ISREG(st->st_mode)) {
        return pt_fail("%s is %s, not a regular file (pytt opens only regular files it is "
                       "given by a trace)",
                       path, pt_file_kind(st->st_mode));
    }
    return 0;
}

int pt_open_regular(const char *path, struct stat *out)
{
    struct stat before, after;
    if (pt_check_regular(path, &before) < 0) {
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        return pt_fail_errno("open(%s)", path);
    }
    if (fstat(fd, &after) != 0 || !S_ISREG(after.st_mode) || after.st_dev != before.st_dev ||
        after.st_ino != before.st_ino) {
        close(fd);
        return pt_fail("%s changed while pytt opened it (it is not the regular file it was)", path);
    }
    if (out) {
        *out = after;
    }
    return fd;
}

FILE *pt_fopen_regular(const char *path)
{
    int fd = pt_open_regular(path, NULL);
    if (fd < 0) {
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        pt_fail_errno("fdopen(%s)", path);
        close(fd);
    }
    return f;
}

int pt_create_private(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return pt_fail_errno("creating %s", path);
    }
    return fd;
}

/* write (off < 0) or pwrite at off, all n bytes. */
static int write_fully(int fd, const void *p, size_t n, long long off)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = off < 0 ? write(fd, c, n) : pwrite(fd, c, n, (off_t)off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            if (w == 0) {
                errno = ENOSPC;
            }
            return -1;
        }
        c += w;
        n -= (size_t)w;
        off += off < 0 ? 0 : w;
    }
    return 0;
}

int pt_write_all(int fd, const void *p, size_t n)
{
    return write_fully(fd, p, n, -1);
}

int pt_pwrite_all(int fd, const void *p, size_t n, long long off)
{
    return write_fully(fd, p, n, off);
}
