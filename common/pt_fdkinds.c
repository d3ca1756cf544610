/*
 * pt_fdkinds: the stdout/stderr descriptor model (see pt_fdkinds.h).
 */
#define _GNU_SOURCE
#include "pt_fdkinds.h"
#include "pt_sysbuf.h"

#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>

void pt_fdkinds_init(struct pt_fdkinds *k)
{
    memset(k->kind, 0, sizeof k->kind);
    k->kind[1] = PT_FD_STDOUT;
    k->kind[2] = PT_FD_STDERR;
}

int pt_fdkinds_get(const struct pt_fdkinds *k, uint64_t fd)
{
    return fd < PT_MAX_FD ? k->kind[fd] : PT_FD_OTHER;
}

static void set(struct pt_fdkinds *k, uint64_t fd, int kind)
{
    if (fd < PT_MAX_FD) {
        k->kind[fd] = (uint8_t)kind;
    }
}

static int returns_new_fd(int nr)
{
    switch (nr) {
    case SYS_open:
    case SYS_openat:
    case SYS_openat2:
    case SYS_creat:
    case SYS_socket:
    case SYS_accept:
    case SYS_accept4:
    case SYS_epoll_create:
    case SYS_epoll_create1:
    case SYS_eventfd:
    case SYS_eventfd2:
    case SYS_memfd_create:
    case SYS_signalfd:
    case SYS_signalfd4:
    case SYS_timerfd_create:
    case SYS_inotify_init:
    case SYS_inotify_init1:
    case SYS_pidfd_open:
        return 1;
    }
    return 0;
}

void pt_fdkinds_update(struct pt_fdkinds *k, int nr, const uint64_t *a, int64_t ret)
{
    if (ret < 0) {
        return;
    }
    switch (nr) {
    case SYS_close:
        set(k, a[0], PT_FD_OTHER);
        break;
    case SYS_dup:
        set(k, (uint64_t)ret, pt_fdkinds_get(k, a[0]));
        break;
    case SYS_dup2:
    case SYS_dup3:
        set(k, a[1], pt_fdkinds_get(k, a[0]));
        break;
    case SYS_fcntl:
        if (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC) {
            set(k, (uint64_t)ret, pt_fdkinds_get(k, a[0]));
        }
        break;
    case SYS_close_range:
        for (uint64_t fd = a[0]; fd <= a[1] && fd < PT_MAX_FD; fd++) {
            if (!(a[2] & 4 /* CLOSE_RANGE_CLOEXEC */)) {
                k->kind[fd] = PT_FD_OTHER;
            }
        }
        break;
    default:
        if (returns_new_fd(nr)) {
            set(k, (uint64_t)ret, PT_FD_OTHER);
        }
    }
}

int pt_fdkinds_sysbuf(struct pt_fdkinds *k, const struct pt_sysbuf_rec *r)
{
    switch (r->nr) {
    case SYS_close:
    case SYS_openat:
    case SYS_dup:
    case SYS_dup2:
    case SYS_dup3:
        pt_fdkinds_update(k, r->nr, r->a, r->ret);
        return 1;
    }
    return 0;
}
