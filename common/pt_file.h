/*
 * pt_file: how pytt opens the files a trace names (mapped libraries, sources, the interpreter)
 * and its own trace files, so that no trace can make it (or the replayed process) block on a
 * FIFO, open a device, or follow a symlink planted where a file was: a path is looked at with
 * lstat first and opened only if it is a regular file, then opened with O_NOFOLLOW |
 * O_NONBLOCK and checked again (same inode, still regular). Files pytt creates in a trace are
 * 0600, exclusive, never through a symlink.
 */
#ifndef PT_FILE_H
#define PT_FILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

/* Is path a regular file (not following a final symlink)? 0 yes (st filled), -1 with a
 * message naming what it is instead. */
int pt_check_regular(const char *path, struct stat *st);
/* Open a regular file read-only (see above); returns the fd, or -1. st may be NULL. */
int pt_open_regular(const char *path, struct stat *st);
FILE *pt_fopen_regular(const char *path);
/* Create path for writing: 0600, O_EXCL, O_NOFOLLOW. Returns the fd or -1. */
int pt_create_private(const char *path);
/* write()/pwrite() all n bytes (-1 with errno on failure). */
int pt_write_all(int fd, const void *p, size_t n);
int pt_pwrite_all(int fd, const void *p, size_t n, long long off);
/* What a stat mode is, for messages: "a FIFO", "a directory", ... */
const char *pt_file_kind(mode_t mode);

#endif
