/*
 * pytt_preload: the in-process syscall buffer (common/pt_sysbuf.h says the whole design).
 * pytt preloads this library into the interpreter it records (LD_PRELOAD), and the recorded
 * environment makes replay load it too. It wraps the libc functions behind the frequent, cheap
 * calls: the interpreter calls them through its PLT, so the wrappers see every call CPython
 * makes itself (glibc's internal calls are not wrapped: they stop as before).
 *
 * `isatty` of a regular file needs no call at all; `close` of a writable regular file is
 * buffered too, the library clearing the descriptor's table entry itself.
 * A wrapper does nothing new unless pytt answered this thread's HELLO (outside pytt the
 * request fails with ENOSYS and the library stays out of the way) and the descriptor is one
 * pytt marked: it then
 *   RECORD: makes the call through pytt's stub, which the seccomp filter lets run without a
 *           stop, and appends the result and the bytes the call wrote to the thread's buffer;
 *   REPLAY: makes no call: checks the next record is this call (number, arguments), writes
 *           its bytes where the call would have, notes the Python clock for pytt's check, and
 *           returns its result.
 * While a wrapper works on the buffer it says so (busy); a record counts (nrec, then pos at
 * replay) only once complete. pytt drains and refills only a stopped thread's buffer that is
 * not busy, so the two never meet halfway.
 * This file is built on its own (no pytt library: it runs inside the program) and is small on
 * purpose.
 */
#define _GNU_SOURCE
#include "common/pt_sysbuf.h"
#include "recorder/preload/pytt_preload.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define TLS __attribute__((tls_model("initial-exec"))) __thread

static TLS struct pt_sysbuf_hdr *my_buf;
static TLS int my_state;   /* 0 not asked yet, 1 has a buffer, 2 refused */
static TLS int in_wrapper; /* a signal handler's call while a wrapper runs goes the plain way */

static volatile struct pt_sysbuf_ctl *const ctl = (volatile struct pt_sysbuf_ctl *)PT_SYSBUF_CTL;

/* The one `syscall` the filter lets through: pytt's stub (`syscall; ret`). */
long pytt_untraced(long nr, long a0, long a1, long a2, long a3);
__asm__(".text\n"
        ".globl pytt_untraced\n"
        ".hidden pytt_untraced\n"
        ".type pytt_untraced,@function\n"
        "pytt_untraced:\n"
        "  mov %rdi, %rax\n"
        "  mov %rsi, %rdi\n"
        "  mov %rdx, %rsi\n"
        "  mov %rcx, %rdx\n"
        "  mov %r8, %r10\n"
        "  movabs $0x7f0000000040, %r11\n"
        "  jmp *%r11\n"
        ".size pytt_untraced, .-pytt_untraced\n");

/* The same with six arguments (mmap's): the seventh C argument is on the stack. */
long pytt_untraced6(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
__asm__(".text\n"
        ".globl pytt_untraced6\n"
        ".hidden pytt_untraced6\n"
        ".type pytt_untraced6,@function\n"
        "pytt_untraced6:\n"
        "  mov %rdi, %rax\n"
        "  mov %rsi, %rdi\n"
        "  mov %rdx, %rsi\n"
        "  mov %rcx, %rdx\n"
        "  mov %r8, %r10\n"
        "  mov %r9, %r8\n"
        "  mov 8(%rsp), %r9\n"
        "  movabs $0x7f0000000040, %r11\n"
        "  jmp *%r11\n"
        ".size pytt_untraced6, .-pytt_untraced6\n");

/* A request to pytt: a syscall from this library's own code, which the filter traps. */
static long ask(long op, long a1, long a2)
{
    long ret;
    register long r10 __asm__("r10") = 0;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"((long)PT_SYSBUF_NR), "D"(op), "S"(a1), "d"(a2), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

static long as_errno(long r)
{
    if (r < 0 && r > -4096) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* This thread's buffer when pytt records or replays this process, else NULL. */
static struct pt_sysbuf_hdr *buffer(void)
{
    if (my_state == 0) {
        long r = ask(PT_SYSBUF_HELLO, 0, 0);
        my_state = r > 0 ? 1 : 2;
        my_buf = r > 0 ? (struct pt_sysbuf_hdr *)r : NULL;
    }
    if (my_state != 1 || in_wrapper || ctl->mode == PT_SYSBUF_OFF) {
        return NULL;
    }
    return my_buf;
}

int pytt_buffering(void)
{
    return buffer() != NULL;
}

/* The buffer for a call on descriptor fd whose table entry has one of the bits `bit`.
 * Recording goes by the descriptor table (which pytt updates when it handles other threads'
 * calls, at moments replay cannot reproduce); replay never does: it goes by whether the
 * thread's next record is this call (replayed). */
static struct pt_sysbuf_hdr *buffer_for_fd(int fd, int bit)
{
    if (fd < 0 || fd >= PT_SYSBUF_MAXFD) {
        return NULL;
    }
    if (my_state == 1 && ctl->mode == PT_SYSBUF_RECORD && !(ctl->fd[fd] & bit)) {
        return NULL; /* the common refusal without a syscall */
    }
    struct pt_sysbuf_hdr *b = buffer();
    return b && (ctl->mode == PT_SYSBUF_REPLAY || (ctl->fd[fd] & bit)) ? b : NULL;
}

struct call {
    int nr;
    uint64_t a[3];  /* compared at replay */
    void *out;      /* where the call writes its bytes */
    size_t out_cap; /* at most this many */
    int known;      /* the result is known without a call: `result` */
    long result;
    uint16_t flags; /* the record's flags (pt_sysbuf.h): NOCOPY, a new descriptor's bits */
};

/* The Python clock's counted dispatches now (0 before it is installed, or when unknown). */
static uint64_t clock_now(void)
{
    uint64_t at = ctl->countdown;
    if (!at) {
        return 0;
    }
    uint64_t base = ctl->base, cd = *(volatile uint64_t *)at;
    return ctl->moved ? 0 : base - cd;
}

static volatile struct pt_sysbuf_rec *rec_at(struct pt_sysbuf_hdr *b, uint32_t off)
{
    return (volatile struct pt_sysbuf_rec *)((char *)(b + 1) + off);
}

/* RECORD: room for a record with up to out_cap bytes, pytt draining the buffer if needed. */
static int make_room(struct pt_sysbuf_hdr *b, size_t out_cap)
{
    uint64_t need = sizeof(struct pt_sysbuf_rec) + PT_SYSBUF_ROUND(out_cap);
    if (need > b->cap) {
        return 0;
    }
    if (((volatile struct pt_sysbuf_hdr *)b)->used + need > b->cap) {
        ask(PT_SYSBUF_FLUSH, 0, 0);
    }
    return ((volatile struct pt_sysbuf_hdr *)b)->used + need <= b->cap;
}

static void append(struct pt_sysbuf_hdr *b, const struct call *c, uint64_t tick, long ret)
{
    volatile struct pt_sysbuf_hdr *vb = b;
    uint32_t off = vb->used;
    size_t outlen = 0;
    if (c->out && ret >= 0) {
        int sized = c->nr == SYS_read || c->nr == SYS_pread64 || c->nr == SYS_getrandom ||
                    c->nr == SYS_getdents64 || c->nr == SYS_readlink || c->nr == SYS_readlinkat;
        outlen = sized && !(c->flags & PT_SYSBUF_REC_NOCOPY) ? (size_t)ret : c->out_cap;
    }
    volatile struct pt_sysbuf_rec *r = rec_at(b, off);
    r->size = (uint32_t)(sizeof(struct pt_sysbuf_rec) + PT_SYSBUF_ROUND(outlen));
    r->nr = (uint16_t)c->nr;
    r->flags = c->flags;
    r->outlen = (uint32_t)outlen;
    r->ret = ret;
    for (int i = 0; i < 3; i++) {
        r->a[i] = c->a[i];
    }
    r->tick = tick;
    r->seen = 0;
    r->out = (uint64_t)(uintptr_t)c->out;
    if (outlen) {
        memcpy((char *)(uintptr_t)(r + 1), c->out, outlen);
    }
    vb->used = off + r->size;
    vb->nrec = vb->nrec + 1; /* last: pytt counts only complete records */
}

/* REPLAY: the recorded result of this call, if it was made through the buffer (*done = 1);
 * else it was made the ordinary way. A recording drains the buffer at every stop, so a call
 * made with a stop finds no record of this thread waiting before it: records waiting in the
 * buffer or at the log's head (pytt says so: `more`) must be this call, or replay diverged. */
static long replayed(struct pt_sysbuf_hdr *b, const struct call *c, int *done)
{
    volatile struct pt_sysbuf_hdr *vb = b;
    *done = 0;
    if (vb->pos >= vb->nrec) {
        if (!vb->more) {
            return 0;
        }
        ask(PT_SYSBUF_FLUSH, 0, 0); /* pytt refills */
        if (vb->pos >= vb->nrec) {
            return 0;
        }
    }
    *done = 1;
    volatile struct pt_sysbuf_rec *r = rec_at(b, vb->pos_off);
    int same = r->nr == c->nr && r->outlen <= c->out_cap;
    for (int i = 0; same && i < 3; i++) {
        same = r->a[i] == c->a[i];
    }
    if (!same) {
        uint64_t what[4] = {(uint64_t)c->nr, c->a[0], c->a[1], c->a[2]};
        for (;;) {
            ask(PT_SYSBUF_DIVERGE, (long)what, 0); /* pytt ends the replay here */
        }
    }
    vb->busy = 1;
    r->seen = clock_now();
    if (r->outlen && !(r->flags & PT_SYSBUF_REC_NOCOPY)) {
        memcpy(c->out, (const char *)(uintptr_t)(r + 1), r->outlen);
    }
    long ret = (long)r->ret;
    vb->pos_off = vb->pos_off + r->size;
    vb->pos = vb->pos + 1;
    vb->busy = 0;
    return ret;
}

/* Call c through the buffer (args: its arguments as the kernel takes them); *done = 0 when
 * the plain path must be taken instead (no room, or pytt does not record or replay). */
static long buffered(struct pt_sysbuf_hdr *b, const struct call *c, const long args[4], int *done)
{
    volatile struct pt_sysbuf_hdr *vb = b;
    long ret = 0;
    *done = 0;
    if (ctl->mode == PT_SYSBUF_REPLAY) {
        return replayed(b, c, done); /* its requests to pytt come while not busy */
    }
    if (ctl->mode != PT_SYSBUF_RECORD || !make_room(b, c->out_cap)) {
        return 0;
    }
    vb->busy = 1;
    uint64_t tick = clock_now();
    ret = c->known ? c->result : pytt_untraced(c->nr, args[0], args[1], args[2], args[3]);
    if (ret == -EFAULT && !c->known) {
        /* a buffer in a shared mapping pytt keeps closed (recorder/rec_share.c): the call
         * goes the plain way, which stops, and pytt opens the mapping first. Nothing was done
         * (the kernel checks the buffer before it reads or writes anything but the file's
         * position, which EFAULT leaves alone for these calls). */
        vb->busy = 0;
        return 0;
    }
    append(b, c, tick, ret);
    vb->busy = 0;
    *done = 1;
    return ret;
}

/* ---- the real functions, for the plain path ---- */

typedef ssize_t (*read_fn)(int, void *, size_t);
typedef ssize_t (*pread_fn)(int, void *, size_t, off_t);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef off_t (*lseek_fn)(int, off_t, int);
typedef int (*fstat_fn)(int, struct stat *);
typedef int (*fstatat_fn)(int, const char *, struct stat *, int);
typedef int (*clock_fn)(clockid_t, struct timespec *);
typedef int (*tod_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);
typedef pid_t (*getpid_fn)(void);
typedef uid_t (*getuid_fn)(void);
typedef gid_t (*getgid_fn)(void);
typedef int (*fcntl_fn)(int, int, ...);
typedef ssize_t (*getrandom_fn)(void *, size_t, unsigned);
typedef int (*isatty_fn)(int);
typedef int (*close_fn)(int);
typedef ssize_t (*readlinkat_fn)(int, const char *, char *, size_t);

REAL(read, read_fn)
REAL(pread64, pread_fn)
REAL(write, write_fn)
REAL(pwrite64, pwrite_fn)
REAL(lseek64, lseek_fn)
REAL(fstat64, fstat_fn)
REAL(fstatat64, fstatat_fn)
REAL(clock_gettime, clock_fn)
REAL(gettimeofday, tod_fn)
REAL(time, time_fn)
REAL(getpid, getpid_fn)
REAL(getuid, getuid_fn)
REAL(geteuid, getuid_fn)
REAL(getgid, getgid_fn)
REAL(getegid, getgid_fn)
REAL(fcntl, fcntl_fn)
REAL(fcntl64, fcntl_fn)
REAL(getrandom, getrandom_fn)
REAL(isatty, isatty_fn)
REAL(close, close_fn)
REAL(readlinkat, readlinkat_fn)

typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*dup_fn)(int);
typedef int (*dup2_fn)(int, int);
typedef int (*dup3_fn)(int, int, int);
typedef ssize_t (*getdents_fn)(int, void *, size_t);
typedef int (*ftruncate_fn)(int, off_t);
typedef int (*ioctl_fn)(int, unsigned long, ...);

REAL(openat64, openat_fn)
REAL(dup, dup_fn)
REAL(dup2, dup2_fn)
REAL(dup3, dup3_fn)
REAL(getdents64, getdents_fn)
REAL(ftruncate64, ftruncate_fn)
REAL(ioctl, ioctl_fn)

/* One wrapper body: BUF is the buffer or NULL, CALL the struct call, ARGS the untraced
 * arguments, PLAIN the expression for the plain path. */
#define THROUGH(BUF, CALL, ARGS, PLAIN)                                                            \
    do {                                                                                           \
        struct pt_sysbuf_hdr *b_ = (BUF);                                                          \
        if (b_) {                                                                                  \
            int done_;                                                                             \
            in_wrapper = 1;                                                                        \
            long r_ = buffered(b_, &(CALL), (ARGS), &done_);                                       \
            in_wrapper = 0;                                                                        \
            if (done_) {                                                                           \
                return as_errno(r_);                                                               \
            }                                                                                      \
        }                                                                                          \
        return PLAIN;                                                                              \
    } while (0)

EXPORT ssize_t read(int fd, void *buf, size_t n)
{
    struct call c = {SYS_read, {(uint64_t)fd, (uint64_t)(uintptr_t)buf, n}, buf, n, 0, 0, 0};
    long a[4] = {fd, (long)buf, (long)n, 0};
    THROUGH(n <= PT_SYSBUF_MAX_OUT ? buffer_for_fd(fd, PT_SYSBUF_FD_READ) : NULL, c, a,
            real_read()(fd, buf, n));
}

EXPORT ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
    struct call c = {SYS_pread64, {(uint64_t)fd, n, (uint64_t)off}, buf, n, 0, 0, 0};
    long a[4] = {fd, (long)buf, (long)n, (long)off};
    THROUGH(n <= PT_SYSBUF_MAX_OUT ? buffer_for_fd(fd, PT_SYSBUF_FD_READ) : NULL, c, a,
            real_pread64()(fd, buf, n, off));
}

EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    struct call c = {SYS_write, {(uint64_t)fd, (uint64_t)(uintptr_t)buf, n}, NULL, 0, 0, 0, 0};
    long a[4] = {fd, (long)buf, (long)n, 0};
    THROUGH(buffer_for_fd(fd, PT_SYSBUF_FD_WRITE), c, a, real_write()(fd, buf, n));
}

EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    struct call c = {SYS_pwrite64, {(uint64_t)fd, n, (uint64_t)off}, NULL, 0, 0, 0, 0};
    long a[4] = {fd, (long)buf, (long)n, (long)off};
    THROUGH(buffer_for_fd(fd, PT_SYSBUF_FD_WRITE), c, a, real_pwrite64()(fd, buf, n, off));
}

EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    return pwrite64(fd, buf, n, off);
}

EXPORT off_t lseek64(int fd, off_t off, int whence)
{
    struct call c = {SYS_lseek, {(uint64_t)fd, (uint64_t)off, (uint64_t)whence}, NULL, 0, 0, 0, 0};
    long a[4] = {fd, (long)off, whence, 0};
    THROUGH(buffer_for_fd(fd, PT_SYSBUF_FD_READ | PT_SYSBUF_FD_DIR), c, a,
            real_lseek64()(fd, off, whence));
}

static int do_fstat(int fd, struct stat *st)
{
    struct call c = {SYS_fstat, {(uint64_t)fd, 0, 0}, st, sizeof *st, 0, 0, 0};
    long a[4] = {fd, (long)st, 0, 0};
    THROUGH(fd >= 0 && st ? buffer() : NULL, c, a, real_fstat64()(fd, st));
}

static int stat_at(int dirfd, const char *path, struct stat *st, int flags, int *done)
{
    *done = 0;
    struct pt_sysbuf_hdr *b = path && st ? buffer() : NULL;
    if (!b) {
        return 0;
    }
    struct call c = {SYS_newfstatat,
                     {(uint64_t)(int64_t)dirfd, pt_sysbuf_hash(path), (uint64_t)flags},
                     st,
                     sizeof *st,
                     0,
                     0,
                     0};
    long a[4] = {dirfd, (long)path, (long)st, flags};
    in_wrapper = 1;
    long r = buffered(b, &c, a, done);
    in_wrapper = 0;
    return (int)as_errno(r);
}

static int do_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    int done, r = stat_at(dirfd, path, st, flags, &done);
    return done ? r : real_fstatat64()(dirfd, path, st, flags);
}

/* readlink and readlinkat: the link's text (CPython's start reads where its executable links
 * to; os.readlink, os.path.realpath). Like a stat, a path's hash is compared at replay. */
static ssize_t do_readlinkat(int dirfd, const char *path, char *buf, size_t n)
{
    struct call c = {
        SYS_readlinkat, {(uint64_t)(int64_t)dirfd, pt_sysbuf_hash(path), n}, buf, n, 0, 0, 0};
    long a[4] = {dirfd, (long)path, (long)buf, (long)n};
    THROUGH(path && buf && n <= PT_SYSBUF_MAX_OUT ? buffer() : NULL, c, a,
            real_readlinkat()(dirfd, path, buf, n));
}

EXPORT ssize_t readlink(const char *path, char *buf, size_t n)
{
    return do_readlinkat(AT_FDCWD, path, buf, n);
}

EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t n)
{
    return do_readlinkat(dirfd, path, buf, n);
}

/* struct stat and struct stat64 are one layout on x86-64; glibc exports both names. */
EXPORT int fstat(int fd, struct stat *st)
{
    return do_fstat(fd, st);
}

EXPORT int fstat64(int fd, struct stat64 *st)
{
    return do_fstat(fd, (struct stat *)st);
}

EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    return do_fstatat(dirfd, path, st, flags);
}

EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
    return do_fstatat(dirfd, path, (struct stat *)st, flags);
}

EXPORT int stat(const char *path, struct stat *st)
{
    return do_fstatat(AT_FDCWD, path, st, 0);
}

EXPORT int stat64(const char *path, struct stat64 *st)
{
    return do_fstatat(AT_FDCWD, path, (struct stat *)st, 0);
}

EXPORT int lstat(const char *path, struct stat *st)
{
    return do_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

EXPORT int lstat64(const char *path, struct stat64 *st)
{
    return do_fstatat(AT_FDCWD, path, (struct stat *)st, AT_SYMLINK_NOFOLLOW);
}

EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
    return pread64(fd, buf, n, off);
}

EXPORT off_t lseek(int fd, off_t off, int whence)
{
    return lseek64(fd, off, whence);
}

EXPORT int clock_gettime(clockid_t clk, struct timespec *ts)
{
    struct call c = {SYS_clock_gettime, {(uint64_t)(int64_t)clk, 0, 0}, ts, sizeof *ts, 0, 0, 0};
    long a[4] = {clk, (long)ts, 0, 0};
    THROUGH(buffer(), c, a, real_clock_gettime()(clk, ts));
}

EXPORT int gettimeofday(struct timeval *tv, void *tz)
{
    struct call c = {SYS_gettimeofday, {0, 0, 0}, tv, sizeof *tv, 0, 0, 0};
    long a[4] = {(long)tv, 0, 0, 0};
    THROUGH(!tz ? buffer() : NULL, c, a, real_gettimeofday()(tv, tz));
}

EXPORT time_t time(time_t *t)
{
    struct pt_sysbuf_hdr *b = buffer();
    if (b) {
        struct call c = {SYS_time, {0, 0, 0}, NULL, 0, 0, 0, 0};
        long a[4] = {0, 0, 0, 0};
        int done;
        in_wrapper = 1;
        long r = buffered(b, &c, a, &done);
        in_wrapper = 0;
        if (done) {
            if (t && r >= 0) {
                *t = (time_t)r;
            }
            return (time_t)as_errno(r);
        }
    }
    return real_time()(t);
}

EXPORT pid_t getpid(void)
{
    struct call c = {SYS_getpid, {0, 0, 0}, NULL, 0, 0, 0, 0};
    long a[4] = {0, 0, 0, 0};
    THROUGH(buffer(), c, a, real_getpid()());
}

/* The ids CPython asks for at every start (site.py's ENABLE_USER_SITE check). */
#define ID_WRAPPER(type, name, nr)                                                                 \
    EXPORT type name(void)                                                                         \
    {                                                                                              \
        struct call c = {nr, {0, 0, 0}, NULL, 0, 0, 0, 0};                                         \
        long a[4] = {0, 0, 0, 0};                                                                  \
        THROUGH(buffer(), c, a, real_##name()());                                                  \
    }
ID_WRAPPER(uid_t, getuid, SYS_getuid)
ID_WRAPPER(uid_t, geteuid, SYS_geteuid)
ID_WRAPPER(gid_t, getgid, SYS_getgid)
ID_WRAPPER(gid_t, getegid, SYS_getegid)

/* fcntl(fd, F_GETFD) (CPython asks it of the standard streams at every start, and of every
 * descriptor os.get_inheritable looks at): it reads a flag and changes nothing, so any
 * descriptor's goes through the buffer. Every other command goes to libc as it came. */
static int fcntl_common(fcntl_fn real, int fd, int cmd, void *arg)
{
    if (cmd == F_GETFD) {
        struct call c = {SYS_fcntl, {(uint64_t)fd, (uint64_t)cmd, 0}, NULL, 0, 0, 0, 0};
        long a[4] = {fd, cmd, 0, 0};
        THROUGH(buffer(), c, a, real(fd, cmd));
    }
    return real(fd, cmd, arg);
}

EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *); /* as glibc reads it: an int or a pointer */
    va_end(ap);
    return fcntl_common(real_fcntl(), fd, cmd, arg);
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return fcntl_common(real_fcntl64(), fd, cmd, arg);
}

EXPORT ssize_t getrandom(void *buf, size_t n, unsigned flags)
{
    struct call c = {SYS_getrandom, {n, flags, 0}, buf, n, 0, 0, 0};
    long a[4] = {(long)buf, (long)n, flags, 0};
    THROUGH(n <= 256 && !(flags & ~1u) ? buffer() : NULL, c, a, real_getrandom()(buf, n, flags));
}

/* Closing a regular file or a directory: the table entry goes first (pytt, draining the
 * record, does the same in its own copy and in its model of which descriptors are the streams
 * replay shows; replay does that when it takes the record). */
EXPORT int close(int fd)
{
    struct call c = {SYS_close, {(uint64_t)fd, 0, 0}, NULL, 0, 0, 0, 0};
    long a[4] = {fd, 0, 0, 0};
    struct pt_sysbuf_hdr *b =
        buffer_for_fd(fd, PT_SYSBUF_FD_READ | PT_SYSBUF_FD_WRITE | PT_SYSBUF_FD_DIR);
    if (b) {
        ctl->fd[fd] = 0;
    }
    THROUGH(b, c, a, real_close()(fd));
}

/* ---- opens, duplicates, directory listings, terminal queries ---- */

/* Would opening path (as openat would, with these flags) do something replay needs or that
 * must not go unseen? Asked before a recorded open: only a regular file or a directory that
 * exists, or a name that does not (the open fails, or creates a regular file), is opened
 * without a stop. A FIFO's open blocks until its other end opens (another thread must run
 * meanwhile: only a stop lets pytt switch), a terminal's can make it the controlling terminal,
 * a device's can do anything. O_TRUNC of a file that is not empty stops too: the program may
 * map it shared, and pytt must log what the truncation did to the mapping. */
static int plain_open_target(int dirfd, const char *path, int flags)
{
    struct stat st;
    int at = flags & O_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : 0;
    long r = pytt_untraced(SYS_newfstatat, dirfd, (long)path, (long)&st, at);
    if (r == -ENOENT || r == -ENOTDIR) {
        return 1; /* the open fails the same way (or creates a regular file) */
    }
    if (r < 0) {
        return 0;
    }
    if (S_ISDIR(st.st_mode)) {
        return 1;
    }
    return S_ISREG(st.st_mode) && (!(flags & O_TRUNC) || st.st_size == 0);
}

/* The table entry of a descriptor the library just opened, from what it is now (pytt's rule,
 * rec_sysbuf.c: a new descriptor is never one of the streams replay shows, and its writes may
 * go through the buffer unless the program maps that file shared: only a stopped write
 * refreshes such a mapping). */
static uint8_t opened_bits(int fd)
{
    struct stat st;
    if (pytt_untraced(SYS_fstat, fd, (long)&st, 0, 0) < 0) {
        return 0;
    }
    if (S_ISDIR(st.st_mode)) {
        return PT_SYSBUF_FD_DIR;
    }
    if (!S_ISREG(st.st_mode)) {
        return 0;
    }
    uint32_t n = ctl->nshm;
    if (n > PT_SYSBUF_SHM) {
        return PT_SYSBUF_FD_READ;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (ctl->shm[i].ino == st.st_ino && ctl->shm[i].dev == st.st_dev) {
            return PT_SYSBUF_FD_READ;
        }
    }
    return PT_SYSBUF_FD_READ | PT_SYSBUF_FD_WRITE;
}

/* openat through the buffer; *done = 0: the plain path. The record carries the path (for the
 * trace's list of the Python files that ran; not written back at replay) and the new
 * descriptor's table entry, which the library sets here and pytt copies when it drains. */
static long open_buffered(int dirfd, const char *path, int flags, mode_t mode, int *done)
{
    *done = 0;
    struct pt_sysbuf_hdr *b = path ? buffer() : NULL;
    size_t len = path ? strlen(path) + 1 : 0;
    if (!b || len > 4096) {
        return 0;
    }
    struct call c = {SYS_openat,
                     {(uint64_t)(int64_t)dirfd, pt_sysbuf_hash(path), (uint64_t)flags},
                     (void *)path,
                     len,
                     0,
                     0,
                     PT_SYSBUF_REC_NOCOPY};
    long a[4] = {dirfd, (long)path, flags, (long)mode};
    in_wrapper = 1;
    if (ctl->mode == PT_SYSBUF_RECORD) {
        if (!plain_open_target(dirfd, path, flags)) {
            in_wrapper = 0;
            return 0;
        }
        /* opened here to learn its entry; the record (made by `buffered`) says the result */
        long fd = pytt_untraced(SYS_openat, dirfd, (long)path, flags, (long)mode);
        uint8_t bits = fd >= 0 && fd < PT_SYSBUF_MAXFD ? opened_bits((int)fd) : 0;
        c.known = 1;
        c.result = fd;
        c.flags |= bits;
        long r = buffered(b, &c, a, done);
        if (!*done) {
            /* no room for its record even after a drain (cannot happen: a record fits an
             * empty buffer): undo, and open the ordinary way */
            if (fd >= 0) {
                pytt_untraced(SYS_close, fd, 0, 0, 0);
            }
            in_wrapper = 0;
            return 0;
        }
        if (r >= 0 && r < PT_SYSBUF_MAXFD) {
            ctl->fd[r] = bits;
        }
        in_wrapper = 0;
        return r;
    }
    long r = buffered(b, &c, a, done);
    in_wrapper = 0;
    return r;
}

static int do_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    int done;
    long r = open_buffered(dirfd, path, flags, mode, &done);
    if (done) {
        return (int)as_errno(r);
    }
    return real_openat64()(dirfd, path, flags, mode);
}

/* The mode argument is there only with O_CREAT or O_TMPFILE (open(2)). */
#define OPEN_MODE(flags, mode)                                                                     \
    do {                                                                                           \
        if ((flags) & (O_CREAT | __O_TMPFILE)) {                                                   \
            va_list ap_;                                                                           \
            va_start(ap_, flags);                                                                  \
            mode = (mode_t)va_arg(ap_, int);                                                       \
            va_end(ap_);                                                                           \
        }                                                                                          \
    } while (0)

EXPORT int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, mode);
    return do_openat(AT_FDCWD, path, flags, mode);
}

EXPORT int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, mode);
    return do_openat(AT_FDCWD, path, flags, mode);
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, mode);
    return do_openat(dirfd, path, flags, mode);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    OPEN_MODE(flags, mode);
    return do_openat(dirfd, path, flags, mode);
}

/* _FORTIFY_SOURCE's checked entries (no mode: glibc aborts if O_CREAT comes without one). */
EXPORT int __open_2(const char *path, int flags)
{
    return do_openat(AT_FDCWD, path, flags, 0);
}

EXPORT int __open64_2(const char *path, int flags)
{
    return do_openat(AT_FDCWD, path, flags, 0);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
    return do_openat(dirfd, path, flags, 0);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
    return do_openat(dirfd, path, flags, 0);
}

/* dup, dup2, dup3: the new descriptor gets the old one's table entry (which descriptors
 * replay shows the output of follows the same way, on both sides, from the record). */
static int do_dup(int nr, int old, int to, int flags)
{
    int ok = old >= 0 && old < PT_SYSBUF_MAXFD && to < PT_SYSBUF_MAXFD;
    struct pt_sysbuf_hdr *b = ok ? buffer() : NULL;
    uint8_t bits = b ? ctl->fd[old] : 0;
    struct call c = {nr,  {(uint64_t)old, (uint64_t)(int64_t)to, (uint64_t)flags}, NULL, 0, 0, 0,
                     bits};
    long a[4] = {old, to, flags, 0};
    if (b) {
        int done;
        in_wrapper = 1;
        long r = buffered(b, &c, a, &done);
        if (done && ctl->mode == PT_SYSBUF_RECORD && r >= 0 && r < PT_SYSBUF_MAXFD) {
            ctl->fd[r] = bits;
        }
        in_wrapper = 0;
        if (done) {
            return (int)as_errno(r);
        }
    }
    return nr == SYS_dup    ? real_dup()(old)
           : nr == SYS_dup2 ? real_dup2()(old, to)
                            : real_dup3()(old, to, flags);
}

EXPORT int dup(int old)
{
    return do_dup(SYS_dup, old, 0, 0);
}

EXPORT int dup2(int old, int to)
{
    if (to < 0) {
        errno = EBADF;
        return -1;
    }
    return do_dup(SYS_dup2, old, to, 0);
}

EXPORT int dup3(int old, int to, int flags)
{
    if (to < 0) {
        errno = EBADF;
        return -1;
    }
    return do_dup(SYS_dup3, old, to, flags);
}

/* getdents64 of a directory (the library's own readdir, pytt_preload_dir.c, calls it). */
EXPORT ssize_t getdents64(int fd, void *buf, size_t n)
{
    struct call c = {SYS_getdents64, {(uint64_t)fd, n, 0}, buf, n, 0, 0, 0};
    long a[4] = {fd, (long)buf, (long)n, 0};
    THROUGH(n <= PT_SYSBUF_MAX_OUT ? buffer_for_fd(fd, PT_SYSBUF_FD_DIR) : NULL, c, a,
            real_getdents64()(fd, buf, n));
}

EXPORT int ftruncate64(int fd, off_t len)
{
    struct call c = {SYS_ftruncate, {(uint64_t)fd, (uint64_t)len, 0}, NULL, 0, 0, 0, 0};
    long a[4] = {fd, (long)len, 0, 0};
    THROUGH(buffer_for_fd(fd, PT_SYSBUF_FD_WRITE), c, a, real_ftruncate64()(fd, len));
}

EXPORT int ftruncate(int fd, off_t len)
{
    return ftruncate64(fd, len);
}

/* The kernel's struct termios (TCGETS writes 36 bytes) and struct winsize. */
#define KTERMIOS_LEN 36

/* ioctl: the two read-only terminal queries with a fixed-size result go through the buffer
 * on any descriptor (a terminal, a pipe: ENOTTY); every other request goes the plain way. */
/* known: recording knows the answer (-ENOTTY: a regular file) and makes no call. */
static long tty_query(int fd, unsigned long req, void *out, int known, int *done)
{
    size_t len = req == TCGETS ? KTERMIOS_LEN : sizeof(struct winsize);
    struct call c = {SYS_ioctl, {(uint64_t)fd, req, 0}, out, len, known, -ENOTTY, 0};
    long a[4] = {fd, (long)req, (long)out, 0};
    struct pt_sysbuf_hdr *b = fd >= 0 && out ? buffer() : NULL;
    *done = 0;
    if (!b) {
        return 0;
    }
    in_wrapper = 1;
    long r = buffered(b, &c, a, done);
    in_wrapper = 0;
    return r;
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (req == TCGETS || req == TIOCGWINSZ) {
        int done;
        long r = tty_query(fd, req, arg, 0, &done);
        if (done) {
            return (int)as_errno(r);
        }
    }
    return real_ioctl()(fd, req, arg);
}

/* isatty: a regular file is never a terminal (answered without a call: CPython asks for every
 * file it opens, logged as the ioctl isatty makes); anything else asks the kernel with
 * TCGETS through the buffer (glibc's isatty makes that call inside libc, where no wrapper
 * sees it). */
EXPORT int isatty(int fd)
{
    char tio[64];
    int done, regular = my_state == 1 && fd >= 0 && fd < PT_SYSBUF_MAXFD &&
                        ctl->mode == PT_SYSBUF_RECORD && (ctl->fd[fd] & PT_SYSBUF_FD_READ);
    long r = tty_query(fd, TCGETS, tio, regular, &done);
    if (done) {
        return as_errno(r) == 0;
    }
    return real_isatty()(fd);
}

/* In a process pytt records (or replays), the program does not see pytt's entry in
 * LD_PRELOAD: it is taken out of the environment before the program reads it. */
/* Is this process recorded or replayed by pytt? Asked by the constructor, which pytt may tell
 * to ask again later (while it lets the loader and libc's start run unstopped: then the first
 * wrapped call asks for the buffer). */
static int under_pytt(void)
{
    long r = ask(PT_SYSBUF_HELLO, PT_SYSBUF_HELLO_LATER, 0);
    if (r == -EAGAIN) {
        return 1;
    }
    my_state = r > 0 ? 1 : 2;
    my_buf = r > 0 ? (struct pt_sysbuf_hdr *)r : NULL;
    return my_state == 1;
}

__attribute__((constructor)) static void hide_preload(void)
{
    if (!under_pytt()) {
        return;
    }
    const char *v = getenv("LD_PRELOAD");
    const char *me = v ? strstr(v, "libpytt_preload.so") : NULL;
    if (!me || (me != v && me[-1] != '/')) {
        return;
    }
    const char *start = me;
    while (start > v && start[-1] != ':' && start[-1] != ' ') {
        start--;
    }
    const char *end = me + strlen("libpytt_preload.so");
    while (*end == ':' || *end == ' ') {
        end++;
    }
    char rest[4096];
    snprintf(rest, sizeof rest, "%.*s%s", (int)(start - v), v, end);
    size_t n = strlen(rest);
    while (n && (rest[n - 1] == ':' || rest[n - 1] == ' ')) {
        rest[--n] = '\0';
    }
    if (n) {
        setenv("LD_PRELOAD", rest, 1);
    } else {
        unsetenv("LD_PRELOAD");
    }
}

/* ---- anonymous memory ---- */

/* mmap of anonymous private memory and munmap: CPython's arenas and its frames' data-stack
 * chunks (a recursion that goes back and forth over a 16 KiB chunk's end maps and unmaps one
 * each time: `pip list` did so 400 times). Recording makes the call through the stub and logs
 * its result; replay, whose program needs that memory where it was, makes the call again
 * (MAP_FIXED_NOREPLACE at the recorded address, or the same munmap) and reports a divergence if
 * the kernel answers otherwise; pytt's replayer runs only these two kinds of call from the stub
 * (rep_syscall.c). A munmap stops when its range touches memory the program maps shared (pytt
 * must see those go) or pytt's own pages. */
typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*munmap_fn)(void *, size_t);
REAL(mmap, mmap_fn)
REAL(mmap64, mmap_fn)
REAL(munmap, munmap_fn)

#define PYTT_AREA_START 0x7f0000000000ull
#define PYTT_AREA_END (PT_SYSBUF_AREA + PT_SYSBUF_AREA_LEN)

static int anon_private(void *addr, int flags, int fd, off_t off)
{
    return !addr && fd == -1 && off == 0 &&
           (flags & ~MAP_NORESERVE) == (MAP_PRIVATE | MAP_ANONYMOUS);
}

/* RECORD: does [start, end) touch memory the program maps shared (pytt's list)? */
static int touches_shared(uint64_t start, uint64_t end)
{
    uint32_t n = ctl->nshared;
    if (n > PT_SYSBUF_SHM) {
        return 1;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (end > ctl->shared_at[i].start && start < ctl->shared_at[i].end) {
            return 1;
        }
    }
    return 0;
}

static void replay_diverged(int nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    uint64_t what[4] = {(uint64_t)nr, a0, a1, a2};
    for (;;) {
        ask(PT_SYSBUF_DIVERGE, (long)what, 0); /* pytt ends the replay here */
    }
}

static void *as_ptr(long r)
{
    return (void *)(as_errno(r) == -1 ? (long)MAP_FAILED : r);
}

static void *do_mmap(mmap_fn real, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    struct pt_sysbuf_hdr *b = anon_private(addr, flags, fd, off) ? buffer() : NULL;
    if (!b) {
        return real(addr, len, prot, flags, fd, off);
    }
    struct call c = {SYS_mmap, {len, (uint64_t)prot, (uint64_t)flags}, NULL, 0, 0, 0, 0};
    long a[4] = {0, (long)len, prot, flags};
    int done;
    in_wrapper = 1;
    if (ctl->mode == PT_SYSBUF_RECORD) {
        c.known = 1;
        c.result = pytt_untraced6(SYS_mmap, 0, (long)len, prot, flags, -1, 0);
        long r = buffered(b, &c, a, &done);
        if (!done && c.result >= 0) {
            pytt_untraced(SYS_munmap, c.result, (long)len, 0, 0); /* no room: the plain way */
        }
        in_wrapper = 0;
        return done ? as_ptr(r) : real(addr, len, prot, flags, fd, off);
    }
    long r = buffered(b, &c, a, &done);
    if (done && r >= 0 &&
        pytt_untraced6(SYS_mmap, r, (long)len, prot, flags | MAP_FIXED_NOREPLACE, -1, 0) != r) {
        replay_diverged(SYS_mmap, len, (uint64_t)prot, (uint64_t)flags);
    }
    in_wrapper = 0;
    return done ? as_ptr(r) : real(addr, len, prot, flags, fd, off);
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return do_mmap(real_mmap(), addr, len, prot, flags, fd, off);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return do_mmap(real_mmap64(), addr, len, prot, flags, fd, off);
}

EXPORT int munmap(void *addr, size_t len)
{
    uint64_t start = (uint64_t)(uintptr_t)addr, end = start + len;
    int ours = end > PYTT_AREA_START && start < PYTT_AREA_END;
    struct pt_sysbuf_hdr *b = !ours && end >= start ? buffer() : NULL;
    if (!b || (ctl->mode == PT_SYSBUF_RECORD && touches_shared(start, end))) {
        return real_munmap()(addr, len);
    }
    struct call c = {SYS_munmap, {start, len, 0}, NULL, 0, 0, 0, 0};
    long a[4] = {(long)start, (long)len, 0, 0};
    int done;
    in_wrapper = 1;
    long r = buffered(b, &c, a, &done); /* recording: makes the call */
    if (done && ctl->mode == PT_SYSBUF_REPLAY &&
        pytt_untraced(SYS_munmap, (long)start, (long)len, 0, 0) != r) {
        replay_diverged(SYS_munmap, start, len, 0);
    }
    in_wrapper = 0;
    return done ? (int)as_errno(r) : real_munmap()(addr, len);
}
