/*
 * pt_sc_irregular: decoders for the syscalls whose output buffers a table row cannot describe
 * with a fixed size or a length argument: scatter/gather I/O (iovec arrays filled up to the
 * result), socket messages (msghdr with name, iovecs and control data), select's fd sets,
 * ioctl and fcntl requests, prctl options. Each reports the regions the kernel wrote
 * through `emit`; remote structures are read through pt_mem and every count is capped.
 */
#define _GNU_SOURCE
#include "pt_syscalls.h"

#include "pt_error.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <linux/prctl.h>
#include <stdint.h>
#include <string.h>

#define MAX_IOV 1024

struct remote_iovec {
    uint64_t base;
    uint64_t len;
};

int pt_sc_iovec_regions(struct pt_mem *mem, pt_addr iov_addr, uint64_t iovcnt, uint64_t total,
                        pt_sc_region_fn emit, void *ud)
{
    struct remote_iovec iov;
    if (iovcnt > MAX_IOV) {
        iovcnt = MAX_IOV;
    }
    for (uint64_t i = 0; i < iovcnt && total > 0; i++) {
        if (pt_mem_read(mem, iov_addr + i * sizeof iov, &iov, sizeof iov) < 0) {
            return pt_wrap("reading iovec %llu", (unsigned long long)i);
        }
        uint64_t n = iov.len < total ? iov.len : total;
        if (n && emit(ud, iov.base, n) < 0) {
            return -1;
        }
        total -= n;
    }
    return 0;
}

int pt_sc_out_iovec_ret(const struct pt_sc_call *c, struct pt_mem *mem, pt_sc_region_fn emit,
                        void *ud)
{
    if (c->ret <= 0) {
        return 0;
    }
    return pt_sc_iovec_regions(mem, c->args[1], c->args[2], (uint64_t)c->ret, emit, ud);
}

struct remote_msghdr {
    uint64_t name;
    uint32_t namelen;
    uint32_t pad;
    uint64_t iov;
    uint64_t iovlen;
    uint64_t control;
    uint64_t controllen;
    int32_t flags;
    int32_t pad2;
};

/* One received message: the header (the kernel updates its lengths and flags), the sender's
 * address, the payload and the ancillary data. */
static int emit_msg(struct pt_mem *mem, pt_addr hdr_addr, uint64_t received, pt_sc_region_fn emit,
                    void *ud)
{
    struct remote_msghdr m;
    if (pt_mem_read(mem, hdr_addr, &m, sizeof m) < 0) {
        return pt_wrap("reading struct msghdr");
    }
    if (emit(ud, hdr_addr, 56) < 0) {
        return -1;
    }
    if (m.name && m.namelen && emit(ud, m.name, m.namelen < 128 ? m.namelen : 128) < 0) {
        return -1;
    }
    if (m.control && m.controllen &&
        emit(ud, m.control, m.controllen < 65536 ? m.controllen : 65536) < 0) {
        return -1;
    }
    return pt_sc_iovec_regions(mem, m.iov, m.iovlen, received, emit, ud);
}

int pt_sc_out_recvmsg(const struct pt_sc_call *c, struct pt_mem *mem, pt_sc_region_fn emit,
                      void *ud)
{
    if (c->ret < 0) {
        return 0;
    }
    return emit_msg(mem, c->args[1], (uint64_t)c->ret, emit, ud);
}

int pt_sc_out_recvmmsg(const struct pt_sc_call *c, struct pt_mem *mem, pt_sc_region_fn emit,
                       void *ud)
{
    if (c->ret <= 0) {
        return 0;
    }
    for (int64_t i = 0; i < c->ret && i < MAX_IOV; i++) {
        pt_addr h = c->args[1] + (uint64_t)i * 64;
        uint32_t msg_len;
        if (pt_mem_read(mem, h + 56, &msg_len, sizeof msg_len) < 0 || emit(ud, h + 56, 4) < 0 ||
            emit_msg(mem, h, msg_len, emit, ud) < 0) {
            return -1;
        }
    }
    if (c->args[4] && emit(ud, c->args[4], 16) < 0) {
        return -1;
    }
    return 0;
}

int pt_sc_out_select(const struct pt_sc_call *c, struct pt_mem *mem, pt_sc_region_fn emit, void *ud)
{
    uint64_t nfds = c->args[0] > 1024 ? 1024 : c->args[0];
    uint64_t setsize = (nfds + 63) / 64 * 8;
    for (int i = 1; i <= 3; i++) {
        if (c->args[i] && setsize && emit(ud, c->args[i], setsize) < 0) {
            return -1;
        }
    }
    /* select updates its struct timeval, pselect6 its struct timespec: both 16 bytes. */
    if (c->args[4] && emit(ud, c->args[4], 16) < 0) {
        return -1;
    }
    return 0;
}

/* Terminal ioctls predate the _IOC encoding, so their output sizes are listed here. */
static const struct {
    uint32_t req;
    uint32_t outsize;
} tty_ioctls[] = {
    {0x5401, 36}, /* TCGETS: the kernel's struct termios */
    {0x5402, 0},  /* TCSETS */
    {0x5403, 0},  /* TCSETSW */
    {0x5404, 0},  /* TCSETSF */
    {0x540B, 0},  /* TCFLSH */
    {0x540E, 0},  /* TIOCSCTTY */
    {0x540F, 4},  /* TIOCGPGRP */
    {0x5410, 0},  /* TIOCSPGRP */
    {0x5411, 4},  /* TIOCOUTQ */
    {0x5413, 8},  /* TIOCGWINSZ */
    {0x5414, 0},  /* TIOCSWINSZ */
    {0x541B, 4},  /* FIONREAD */
    {0x5421, 0},  /* FIONBIO */
    {0x5422, 0},  /* TIOCNOTTY */
    {0x5429, 4},  /* TIOCGSID */
    {0x5450, 0},  /* FIONCLEX */
    {0x5451, 0},  /* FIOCLEX */
    {0x5452, 0},  /* FIOASYNC */
    /* Socket ioctls on network interfaces: struct ifreq (40 bytes) in and out. */
    {0x8910, 40}, /* SIOCGIFNAME */
    {0x8913, 40}, /* SIOCGIFFLAGS */
    {0x8915, 40}, /* SIOCGIFADDR */
    {0x8917, 40}, /* SIOCGIFDSTADDR */
    {0x8919, 40}, /* SIOCGIFBRDADDR */
    {0x891b, 40}, /* SIOCGIFNETMASK */
    {0x8921, 40}, /* SIOCGIFMTU */
    {0x8927, 40}, /* SIOCGIFHWADDR */
    {0x8933, 40}, /* SIOCGIFINDEX */
    {0x8942, 40}, /* SIOCGIFTXQLEN */
    {0x8912, 16}, /* SIOCGIFCONF: struct ifconf, plus the buffer it points to */
};

static int ioctl_outsize(uint64_t req, uint32_t *size)
{
    for (size_t i = 0; i < sizeof tty_ioctls / sizeof tty_ioctls[0]; i++) {
        if (tty_ioctls[i].req == req) {
            *size = tty_ioctls[i].outsize;
            return 0;
        }
    }
    uint32_t dir = (uint32_t)(req >> 30) & 3;
    if (dir == 0 || req > 0xffffffffu) {
        return -1; /* neither a known old-style request nor an _IOC-encoded one */
    }
    *size = (dir & 2) ? (uint32_t)(req >> 16) & 0x3fff : 0; /* _IOC_READ: kernel writes */
    return 0;
}

int pt_sc_ioctl_known(uint64_t req)
{
    uint32_t size;
    return ioctl_outsize(req, &size) == 0;
}

int pt_sc_out_ioctl(const struct pt_sc_call *c, struct pt_mem *mem, pt_sc_region_fn emit, void *ud)
{
    uint32_t size;
    if (c->ret < 0 || ioctl_outsize(c->args[1], &size) < 0 || size == 0 || c->args[2] == 0) {
        return 0;
    }
    if (c->args[1] == 0x8912) { /* SIOCGIFCONF: {int ifc_len; void *ifc_buf} */
        struct {
            int32_t len, pad;
            uint64_t buf;
        } ifc;
        if (pt_mem_read(mem, c->args[2], &ifc, sizeof ifc) < 0) {
            return pt_wrap("reading struct ifconf");
        }
        if (ifc.buf && ifc.len > 0 && emit(ud, ifc.buf, (uint64_t)ifc.len) < 0) {
            return -1;
        }
    }
    return emit(ud, c->args[2], size);
}

int pt_sc_fcntl_known(uint64_t cmd)
{
    switch (cmd) {
    case F_DUPFD:
    case F_GETFD:
    case F_SETFD:
    case F_GETFL:
    case F_SETFL:
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_SETOWN:
    case F_GETOWN:
    case F_SETSIG:
    case F_GETSIG:
    case F_SETOWN_EX:
    case F_GETOWN_EX:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
    case F_SETLEASE:
    case F_GETLEASE:
    case F_NOTIFY:
    case F_DUPFD_CLOEXEC:
    case F_SETPIPE_SZ:
    case F_GETPIPE_SZ:
    case F_ADD_SEALS:
    case F_GET_SEALS:
        return 1;
    }
    return 0;
}

int pt_sc_out_fcntl(const struct pt_sc_call *c, struct pt_mem *mem, pt_sc_region_fn emit, void *ud)
{
    if (c->ret < 0 || c->args[2] == 0) {
        return 0;
    }
    switch (c->args[1]) {
    case F_GETLK:
    case F_OFD_GETLK:
        return emit(ud, c->args[2], 32); /* struct flock */
    case F_GETOWN_EX:
        return emit(ud, c->args[2], 8); /* struct f_owner_ex */
    }
    return 0;
}

int pt_sc_out_prctl(const struct pt_sc_call *c, struct pt_mem *mem, pt_sc_region_fn emit, void *ud)
{
    if (c->ret < 0 || c->args[1] == 0) {
        return 0;
    }
    switch (c->args[0]) {
    case PR_GET_NAME:
        return emit(ud, c->args[1], 16);
    case PR_GET_PDEATHSIG:
    case PR_GET_CHILD_SUBREAPER:
    case PR_GET_TSC:
    case PR_GET_ENDIAN:
    case PR_GET_FPEMU:
    case PR_GET_FPEXC:
    case PR_GET_UNALIGN:
        return emit(ud, c->args[1], 4);
    case PR_GET_TID_ADDRESS:
        return emit(ud, c->args[1], 8);
    }
    return 0;
}

/* futex writes memory only for the operations that change a futex word themselves: WAKE_OP
 * (its second word, by the encoded operation) and the priority-inheritance family (owner
 * tids in the word). The waits and wakes CPython uses write nothing. */
int pt_sc_out_futex(const struct pt_sc_call *c, struct pt_mem *mem, pt_sc_region_fn emit, void *ud)
{
    int cmd = (int)(c->args[1] & FUTEX_CMD_MASK);
    switch (cmd) {
    case FUTEX_WAKE_OP:
        return emit(ud, c->args[4], 4);
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_TRYLOCK_PI:
    case FUTEX_UNLOCK_PI:
    case FUTEX_WAIT_REQUEUE_PI:
        return emit(ud, c->args[0], 4);
    case FUTEX_CMP_REQUEUE_PI:
        if (emit(ud, c->args[0], 4) < 0) {
            return -1;
        }
        return emit(ud, c->args[4], 4);
    }
    return 0;
}
