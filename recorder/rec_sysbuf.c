/*
 * rec_sysbuf: the recorder's side of the in-process syscall buffer (common/pt_sysbuf.h).
 *
 * At startup pytt installs the recording's seccomp filter, so the tracee stops only at the
 * calls pytt must see, and turns the buffer on in the control block. A thread's first
 * wrapped call asks for a buffer (HELLO, logged like a syscall so replay hands out the same
 * address). At every stop of a thread whose buffer is not busy, and when the library asks
 * (FLUSH), the buffered calls become one SYSBUF event (each call with the Python clock's counted
 * dispatches, which the library reads from the countdown and the base pt_clock publishes). pytt
 * also keeps the control block's descriptor table true: a descriptor is buffered only while it is a
 * regular file (and, for writes, not one of the streams replay shows), following the program's
 * opens, closes and dups, which all stop. A call that creates a process turns the buffer off while
 * it runs, so the child, which gets a copy of (or, after vfork, shares) the parent's memory, never
 * uses it.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_fdkinds.h"
#include "common/pt_ptrace.h"
#include "common/pt_seccomp.h"
#include "common/pt_sysbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LIBNAME "libpytt_preload.so"

/* Looked for once (rec_mmap.c asks at every file mapping). */
const char *rec_sysbuf_library(void)
{
    static char path[PATH_MAX + 32];
    static int looked, found;
    if (looked) {
        return found ? path : NULL;
    }
    looked = 1;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
    if (!slash) {
        return NULL;
    }
    *slash = '\0';
    snprintf(path, sizeof path, "%s/%s", exe, LIBNAME);
    found = access(path, R_OK) == 0;
    return found ? path : NULL;
}

static int write_mode(struct rec_session *s, uint32_t mode)
{
    if (pt_mem_write(&s->mem, PT_SYSBUF_CTL + offsetof(struct pt_sysbuf_ctl, mode), &mode,
                     sizeof mode) < 0) {
        return pt_wrap("setting the syscall buffer's mode");
    }
    return 0;
}

/* Does the program map this file shared? A write to it must refresh those pages (rec_mmap.c),
 * which only a stopped write does. */
static int mapped_shared(const struct rec_session *s, const struct stat *st)
{
    for (size_t i = 0; i < s->nshmaps; i++) {
        if (s->shmaps[i].ino && s->shmaps[i].ino == st->st_ino && s->shmaps[i].dev == st->st_dev) {
            return 1;
        }
    }
    return 0;
}

/* What the control block says of descriptor fd, from what it is now in the tracee. */
static uint8_t fd_bits(struct rec_session *s, int fd)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)s->pid, fd);
    if (stat(path, &st) < 0) {
        return 0;
    }
    if (S_ISDIR(st.st_mode)) {
        return PT_SYSBUF_FD_DIR;
    }
    if (!S_ISREG(st.st_mode)) {
        return 0;
    }
    uint8_t bits = PT_SYSBUF_FD_READ;
    if (pt_fdkinds_get(&s->fds, (uint64_t)fd) == PT_FD_OTHER && !mapped_shared(s, &st)) {
        bits |= PT_SYSBUF_FD_WRITE;
    }
    return bits;
}

/* Set the table's entry for fd, in the tracee and, as an output of the syscall event being
 * made (replay has no files to look at), for replay. */
static int set_fd(struct rec_session *s, uint64_t fd, uint8_t bits)
{
    /* written even when pytt's copy agrees: the library changes the tracee's table itself,
     * and a call of a thread returning while another runs is handled before the running
     * thread's records are drained */
    if (fd >= PT_SYSBUF_MAXFD) {
        return 0;
    }
    s->sysbuf_fd[fd] = bits;
    pt_addr at = PT_SYSBUF_CTL + offsetof(struct pt_sysbuf_ctl, fd) + fd;
    if (pt_mem_write(&s->mem, at, &bits, 1) < 0) {
        return pt_wrap("updating the syscall buffer's descriptor table");
    }
    if (s->ev.type == PT_EV_SYSCALL) {
        *pt_event_add_region(&s->ev, at, 1) = bits;
    }
    return 0;
}

/* close_range: the entries from lo to hi (inclusive) cleared, in one write. */
static int clear_range(struct rec_session *s, uint64_t lo, uint64_t hi)
{
    static const uint8_t zero[PT_SYSBUF_MAXFD];
    if (lo >= PT_SYSBUF_MAXFD) {
        return 0;
    }
    uint64_t n = (hi < PT_SYSBUF_MAXFD - 1 ? hi : PT_SYSBUF_MAXFD - 1) - lo + 1;
    memset(s->sysbuf_fd + lo, 0, n);
    pt_addr at = PT_SYSBUF_CTL + offsetof(struct pt_sysbuf_ctl, fd) + lo;
    if (pt_mem_write(&s->mem, at, zero, n) < 0) {
        return pt_wrap("updating the syscall buffer's descriptor table");
    }
    if (s->ev.type == PT_EV_SYSCALL) {
        memset(pt_event_add_region(&s->ev, at, n), 0, n);
    }
    return 0;
}

/* The first HELLO carries the whole table as output: what startup found inherited. */
static void log_table(struct rec_session *s)
{
    pt_addr at = PT_SYSBUF_CTL + offsetof(struct pt_sysbuf_ctl, fd);
    memcpy(pt_event_add_region(&s->ev, at, PT_SYSBUF_MAXFD), s->sysbuf_fd, PT_SYSBUF_MAXFD);
}

static int scan_fds(struct rec_session *s)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)s->pid);
    DIR *d = opendir(path);
    if (!d) {
        return pt_fail_errno("opening %s", path);
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end == '\0' && e->d_name[0] != '\0' && fd >= 0) {
            rc = set_fd(s, (uint64_t)fd, fd_bits(s, (int)fd));
        }
    }
    closedir(d);
    return rc;
}

int rec_sysbuf_rescan_fds(struct rec_session *s)
{
    return s->sysbuf ? scan_fds(s) : 0;
}

int rec_sysbuf_start(struct rec_session *s)
{
    if (s->opt->no_sysbuf || !rec_sysbuf_library()) {
        return 0;
    }
    if (s->loader.wanted ? rec_loader_install(s) < 0
                         : pt_seccomp_install_record(s->pid, &s->mem) < 0) {
        return pt_wrap("installing the recording's seccomp filter");
    }
    pt_seccomp_tracing = 1;
    s->sysbuf = 1;
    if (write_mode(s, PT_SYSBUF_RECORD) < 0) {
        return -1;
    }
    return scan_fds(s);
}

int rec_sysbuf_clock(struct rec_session *s)
{
    uint64_t at = s->clock.countdown;
    if (!s->sysbuf) {
        return 0;
    }
    if (pt_mem_write(&s->mem, PT_SYSBUF_CTL + offsetof(struct pt_sysbuf_ctl, countdown), &at,
                     sizeof at) < 0) {
        return pt_wrap("telling the syscall buffer where the Python clock is");
    }
    return 0;
}

/* What the drained records did to descriptors (the library already set their table entries
 * in the tracee): pytt's copy of the table, its model of which descriptors are the streams
 * replay shows (replay applies the same records to its own when it takes them), and the
 * Python files opened, before any call of the program that could reuse the number is handled. */
static void apply_fd_records(struct rec_session *s, const uint8_t *p, size_t n)
{
    for (size_t off = 0; off < n;) {
        struct pt_sysbuf_rec r;
        memcpy(&r, p + off, sizeof r);
        const char *path = (const char *)(p + off + sizeof r);
        int opened = r.nr == SYS_openat && r.ret >= 0 && r.outlen > 0 && path[r.outlen - 1] == '\0';
        if (pt_fdkinds_sysbuf(&s->fds, &r) && r.ret >= 0) {
            uint64_t fd = r.nr == SYS_close ? r.a[0] : (uint64_t)r.ret;
            if (fd < PT_SYSBUF_MAXFD) {
                s->sysbuf_fd[fd] = r.nr == SYS_close ? 0 : (uint8_t)(r.flags & PT_SYSBUF_REC_BITS);
            }
        }
        if (opened) {
            rec_sources_note_path(s, (int)r.a[0], path);
        }
        off += r.size;
    }
}

int rec_sysbuf_drain(struct rec_session *s, struct rec_thread *t)
{
    struct pt_sysbuf_hdr h;
    if (!s->sysbuf || !t->sysbuf || s->storage_errno) {
        return 0;
    }
    if (pt_mem_read(&s->mem, t->sysbuf, &h, sizeof h) < 0) {
        return pt_wrap("reading thread %d's syscall buffer", (int)t->tid);
    }
    if (h.busy || h.nrec == 0) {
        return 0;
    }
    if (h.used > PT_SYSBUF_SLOT_LEN - sizeof h) {
        return pt_fail("thread %d's syscall buffer is damaged (%u bytes used)", (int)t->tid,
                       h.used);
    }
    pt_event_reset(&s->ev, PT_EV_SYSBUF);
    s->ev.tid = t->tid;
    uint8_t *dst = pt_event_add_region(&s->ev, 0, h.used);
    if (pt_mem_read(&s->mem, t->sysbuf + sizeof h, dst, h.used) < 0) {
        return pt_wrap("reading thread %d's syscall buffer", (int)t->tid);
    }
    if (pt_sysbuf_records_ok(dst, h.used) < 0) {
        return pt_fail("thread %d's syscall buffer holds damaged records", (int)t->tid);
    }
    apply_fd_records(s, dst, h.used);
    uint32_t zero[2] = {0, 0};
    if (pt_mem_write(&s->mem, t->sysbuf, zero, sizeof zero) < 0) {
        return pt_wrap("emptying thread %d's syscall buffer", (int)t->tid);
    }
    s->res->nsyscalls += h.nrec;
    return rec_write_event(s);
}

static int64_t hello(struct rec_session *s, struct rec_thread *t)
{
    if (!s->sysbuf || t->sysbuf) {
        return t->sysbuf ? (int64_t)t->sysbuf : -ENOSYS;
    }
    int slot = 0;
    while (slot < PT_SYSBUF_SLOTS && s->sysbuf_slots[slot]) {
        slot++;
    }
    if (slot == PT_SYSBUF_SLOTS) {
        return -ENOSPC; /* that thread makes its calls the ordinary way */
    }
    struct pt_sysbuf_hdr h;
    memset(&h, 0, sizeof h);
    h.cap = (uint32_t)(PT_SYSBUF_SLOT_LEN - sizeof h);
    if (pt_mem_write(&s->mem, PT_SYSBUF_SLOT(slot), &h, sizeof h) < 0) {
        pt_err_clear();
        return -EFAULT;
    }
    s->sysbuf_slots[slot] = 1;
    t->sysbuf_slot = slot;
    t->sysbuf = PT_SYSBUF_SLOT(slot);
    return (int64_t)t->sysbuf;
}

static int creates_process(int nr, const uint64_t *a, struct rec_session *s)
{
    uint64_t flags = 0;
    if (nr == SYS_fork || nr == SYS_vfork) {
        return 1;
    }
    if (nr == SYS_clone) {
        flags = a[0];
    } else if (nr == SYS_clone3) {
        if (pt_mem_read(&s->mem, a[0], &flags, sizeof flags) < 0) {
            pt_err_clear();
            return 1;
        }
    } else {
        return 0;
    }
    return !(flags & CLONE_THREAD);
}

int rec_sysbuf_at_entry(struct rec_session *s, struct rec_thread *t, int nr, const uint64_t *a)
{
    t->sysbuf_answer = 0;
    if (nr == PT_SYSBUF_NR && a[0] != PT_SYSBUF_HELLO) {
        t->no_exit = 1; /* FLUSH: drained at this stop already; anything else: ENOSYS */
        return 1;
    }
    if (nr == PT_SYSBUF_NR) {
        t->sysbuf_answer = hello(s, t);
    } else if (s->sysbuf && creates_process(nr, a, s)) {
        return write_mode(s, PT_SYSBUF_OFF); /* the child starts with the buffer off */
    }
    return 0;
}

static int fd_update(struct rec_session *s, int nr, const uint64_t *a, int64_t ret)
{
    switch (nr) {
    case SYS_close:
        return ret == 0 ? set_fd(s, a[0], 0) : 0;
    case SYS_close_range:
        return ret == 0 ? clear_range(s, a[0], a[1]) : 0;
    case SYS_open:
    case SYS_openat:
    case SYS_openat2:
    case SYS_creat:
    case SYS_dup:
    case SYS_dup2:
    case SYS_dup3:
    case SYS_fcntl:
    case SYS_memfd_create:
        return ret >= 0 ? set_fd(s, (uint64_t)ret, fd_bits(s, (int)ret)) : 0;
    }
    return 0;
}

int rec_sysbuf_at_exit(struct rec_session *s, struct rec_thread *t, int nr, const uint64_t *a,
                       struct user_regs_struct *r)
{
    if (nr == PT_SYSBUF_NR) {
        r->rax = (uint64_t)t->sysbuf_answer;
        return pt_setregs(t->tid, r);
    }
    if (s->sysbuf && creates_process(nr, a, s)) {
        return write_mode(s, PT_SYSBUF_RECORD);
    }
    return 0;
}

/* Tell the library where the program maps memory shared (its munmap of a range touching one
 * stops: pytt must see a shared mapping go), when that changed. */
static int note_shared(struct rec_session *s)
{
    struct pt_sysbuf_ctl c;
    uint32_t n = s->nshmaps > PT_SYSBUF_SHM ? PT_SYSBUF_SHM_MANY : (uint32_t)s->nshmaps;
    memset(c.shared_at, 0, sizeof c.shared_at);
    for (uint32_t i = 0; n != PT_SYSBUF_SHM_MANY && i < n; i++) {
        c.shared_at[i].start = s->shmaps[i].addr;
        c.shared_at[i].end = s->shmaps[i].addr + s->shmaps[i].len;
    }
    if (n == s->sysbuf_nshared &&
        memcmp(c.shared_at, s->sysbuf_shared_at, sizeof c.shared_at) == 0) {
        return 0;
    }
    s->sysbuf_nshared = n;
    memcpy(s->sysbuf_shared_at, c.shared_at, sizeof c.shared_at);
    if (pt_mem_write(&s->mem, PT_SYSBUF_CTL + offsetof(struct pt_sysbuf_ctl, shared_at),
                     c.shared_at, sizeof c.shared_at) < 0 ||
        pt_mem_write(&s->mem, PT_SYSBUF_CTL + offsetof(struct pt_sysbuf_ctl, nshared), &n,
                     sizeof n) < 0) {
        return pt_wrap("telling the syscall buffer where the program maps memory shared");
    }
    return 0;
}

/* Tell the library which files the program maps shared (it gives the descriptors of those it
 * opens no write bit), when that changed. */
static int note_shmaps(struct rec_session *s)
{
    if (note_shared(s) < 0) {
        return -1;
    }
    struct pt_sysbuf_ctl c;
    uint32_t n = 0;
    memset(&c, 0, sizeof c);
    for (size_t i = 0; i < s->nshmaps && n != PT_SYSBUF_SHM_MANY; i++) {
        if (!s->shmaps[i].ino) {
            continue; /* shared anonymous memory */
        }
        if (n == PT_SYSBUF_SHM) {
            n = PT_SYSBUF_SHM_MANY;
            break;
        }
        c.shm[n].dev = s->shmaps[i].dev;
        c.shm[n].ino = s->shmaps[i].ino;
        n++;
    }
    c.nshm = n;
    if (n == s->sysbuf_nshm && memcmp(c.shm, s->sysbuf_shm, sizeof c.shm) == 0) {
        return 0;
    }
    s->sysbuf_nshm = n;
    memcpy(s->sysbuf_shm, c.shm, sizeof c.shm);
    if (pt_mem_write(&s->mem, PT_SYSBUF_CTL + offsetof(struct pt_sysbuf_ctl, shm), c.shm,
                     sizeof c.shm) < 0 ||
        pt_mem_write(&s->mem, PT_SYSBUF_CTL + offsetof(struct pt_sysbuf_ctl, nshm), &n, sizeof n) <
            0) {
        return pt_wrap("telling the syscall buffer which files the program maps shared");
    }
    return 0;
}

int rec_sysbuf_fds(struct rec_session *s, int nr, const uint64_t *a, int64_t ret)
{
    if (!s->sysbuf || (nr == SYS_fcntl && a[1] != F_DUPFD && a[1] != F_DUPFD_CLOEXEC)) {
        return 0;
    }
    if (note_shmaps(s) < 0) {
        return -1;
    }
    if (nr == SYS_mmap && ret >= 0 && (a[3] & MAP_SHARED)) {
        /* a file the program now maps shared: its writes stop again (mapped_shared) */
        for (int fd = 0; fd < PT_SYSBUF_MAXFD; fd++) {
            if ((s->sysbuf_fd[fd] & PT_SYSBUF_FD_WRITE) &&
                set_fd(s, (uint64_t)fd, fd_bits(s, fd)) < 0) {
                return -1;
            }
        }
    }
    if (nr == PT_SYSBUF_NR && ret > 0 && !s->sysbuf_table_logged) {
        s->sysbuf_table_logged = 1;
        log_table(s);
        return 0;
    }
    return fd_update(s, nr, a, ret);
}

void rec_sysbuf_thread_gone(struct rec_session *s, struct rec_thread *t)
{
    if (t->sysbuf) {
        s->sysbuf_slots[t->sysbuf_slot] = 0;
        t->sysbuf = 0;
    }
}
