/*
 * rep_output: the replayed program's output. Writes are emulated, so the bytes the program
 * passes to write/writev on its original stdout or stderr are copied from its memory to
 * pytt's (or to --program-output). They come from the replayed execution itself, not from the
 * trace: byte-identical output is evidence that replay really re-executed the run. Which
 * descriptors are still the original stdout/stderr is tracked through dup/dup2/dup3/fcntl
 * F_DUPFD/close/close_range, replaying the program's own descriptor operations.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

void rep_fd_init(struct rep_session *s)
{
    memset(s->fdkind, 0, sizeof s->fdkind);
    s->fdkind[1] = 1;
    s->fdkind[2] = 2;
}

static int kind_of(const struct rep_session *s, uint64_t fd)
{
    return fd < REP_MAX_FD ? s->fdkind[fd] : 0;
}

static void set_kind(struct rep_session *s, uint64_t fd, int kind)
{
    if (fd < REP_MAX_FD) {
        s->fdkind[fd] = (uint8_t)kind;
    }
}

void rep_fd_update(struct rep_session *s)
{
    const struct pt_event *ev = &s->ev;
    const uint64_t *a = ev->args;
    if (ev->ret < 0) {
        return;
    }
    switch (ev->nr) {
    case SYS_close:
        set_kind(s, a[0], 0);
        break;
    case SYS_dup:
        set_kind(s, (uint64_t)ev->ret, kind_of(s, a[0]));
        break;
    case SYS_dup2:
    case SYS_dup3:
        set_kind(s, a[1], kind_of(s, a[0]));
        break;
    case SYS_fcntl:
        if (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC) {
            set_kind(s, (uint64_t)ev->ret, kind_of(s, a[0]));
        }
        break;
    case SYS_close_range:
        for (uint64_t fd = a[0]; fd <= a[1] && fd < REP_MAX_FD; fd++) {
            if (!(a[2] & 4 /* CLOSE_RANGE_CLOEXEC */)) {
                s->fdkind[fd] = 0;
            }
        }
        break;
    default:
        /* Any other call returning a new descriptor makes that number "something else". */
        if (ev->nr == SYS_open || ev->nr == SYS_openat || ev->nr == SYS_socket ||
            ev->nr == SYS_accept || ev->nr == SYS_accept4 || ev->nr == SYS_creat ||
            ev->nr == SYS_epoll_create1 || ev->nr == SYS_eventfd2 || ev->nr == SYS_memfd_create) {
            set_kind(s, (uint64_t)ev->ret, 0);
        }
    }
}

static int sink_write(struct rep_session *s, int kind, const void *buf, size_t n)
{
    int fd = kind == 1 ? s->opt.out_fd : s->opt.err_fd;
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return pt_fail_errno("writing the program's output");
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int copy_out(struct rep_session *s, int kind, pt_addr addr, size_t n)
{
    char *buf = malloc(n ? n : 1);
    int rc = pt_mem_read(&s->mem, addr, buf, n);
    if (rc == 0) {
        rc = sink_write(s, kind, buf, n);
    }
    free(buf);
    return rc;
}

struct remote_iovec {
    uint64_t base, len;
};

int rep_output(struct rep_session *s, const struct user_regs_struct *r)
{
    int kind = kind_of(s, r->rdi);
    if (!kind || s->ev.ret <= 0) {
        return 0;
    }
    uint64_t left = (uint64_t)s->ev.ret; /* what the kernel accepted when recording */
    if (s->ev.nr == SYS_write) {
        return copy_out(s, kind, r->rsi, left < r->rdx ? left : r->rdx);
    }
    for (uint64_t i = 0; i < r->rdx && i < 1024 && left > 0; i++) { /* writev */
        struct remote_iovec iov;
        if (pt_mem_read(&s->mem, r->rsi + i * sizeof iov, &iov, sizeof iov) < 0) {
            return -1;
        }
        uint64_t n = iov.len < left ? iov.len : left;
        if (copy_out(s, kind, iov.base, n) < 0) {
            return -1;
        }
        left -= n;
    }
    return 0;
}
