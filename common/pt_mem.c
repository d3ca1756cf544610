/*
 * pt_mem: the live-process memory source. process_vm_readv/writev are the fast path (one
 * syscall, no page-table walk through procfs); /proc/PID/mem is the fallback, because it works
 * where process_vm_* does not: pages mapped without PROT_READ/PROT_WRITE, which ptrace-level
 * access may still read and write (it forces copy-on-write, as debuggers rely on).
 */
#define _GNU_SOURCE
#include "pt_mem.h"

#include "pt_error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static int pid_memfd(struct pt_mem *m)
{
    if (m->memfd < 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/mem", (int)m->pid);
        m->memfd = open(path, O_RDWR | O_CLOEXEC);
        if (m->memfd < 0) {
            m->memfd = open(path, O_RDONLY | O_CLOEXEC);
        }
        if (m->memfd < 0) {
            return pt_fail_errno("open(%s)", path);
        }
    }
    return m->memfd;
}

static ssize_t pid_read_some(struct pt_mem *m, pt_addr addr, void *buf, size_t len)
{
    struct iovec local = {buf, len};
    struct iovec remote = {(void *)(uintptr_t)addr, len};
    ssize_t n = process_vm_readv(m->pid, &local, 1, &remote, 1, 0);
    if (n > 0) {
        return n;
    }
    int fd = pid_memfd(m);
    if (fd < 0) {
        return -1;
    }
    return pread(fd, buf, len, (off_t)addr);
}

static int pid_read(struct pt_mem *m, pt_addr addr, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pid_read_some(m, addr + done, (char *)buf + done, len - done);
        if (n <= 0) {
            if (n == 0) {
                errno = EIO;
            }
            return pt_fail_errno("reading %zu bytes at 0x%llx in pid %d", len,
                                 (unsigned long long)addr, (int)m->pid);
        }
        done += (size_t)n;
    }
    return 0;
}

static int pid_write(struct pt_mem *m, pt_addr addr, const void *buf, size_t len)
{
    struct iovec local = {(void *)buf, len};
    struct iovec remote = {(void *)(uintptr_t)addr, len};
    if (process_vm_writev(m->pid, &local, 1, &remote, 1, 0) == (ssize_t)len) {
        return 0;
    }
    int fd = pid_memfd(m);
    if (fd < 0) {
        return -1;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(addr + done));
        if (n <= 0) {
            if (n == 0) {
                errno = EIO;
            }
            return pt_fail_errno("writing %zu bytes at 0x%llx in pid %d", len,
                                 (unsigned long long)addr, (int)m->pid);
        }
        done += (size_t)n;
    }
    return 0;
}

static const struct pt_mem_ops pid_ops = {pid_read, pid_write};

void pt_mem_init_pid(struct pt_mem *m, pid_t pid)
{
    m->ops = &pid_ops;
    m->pid = pid;
    m->memfd = -1;
    m->ctx = NULL;
}

void pt_mem_close(struct pt_mem *m)
{
    if (m->ops && m->memfd >= 0) {
        close(m->memfd);
        m->memfd = -1;
    }
}

int pt_mem_read(struct pt_mem *m, pt_addr addr, void *buf, size_t len)
{
    if (len == 0) {
        return 0;
    }
    return m->ops->read(m, addr, buf, len);
}

int pt_mem_write(struct pt_mem *m, pt_addr addr, const void *buf, size_t len)
{
    if (len == 0) {
        return 0;
    }
    if (!m->ops->write) {
        return pt_fail("memory source is read-only (writing 0x%llx)", (unsigned long long)addr);
    }
    return m->ops->write(m, addr, buf, len);
}

ssize_t pt_mem_read_partial(struct pt_mem *m, pt_addr addr, void *buf, size_t len)
{
    if (m->ops != &pid_ops) {
        return pt_mem_read(m, addr, buf, len) == 0 ? (ssize_t)len : -1;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = pid_read_some(m, addr + done, (char *)buf + done, len - done);
        if (n <= 0) {
            break;
        }
        done += (size_t)n;
    }
    if (done == 0 && len > 0) {
        return pt_fail_errno("reading at 0x%llx in pid %d", (unsigned long long)addr, (int)m->pid);
    }
    return (ssize_t)done;
}

int pt_mem_read_u64(struct pt_mem *m, pt_addr addr, uint64_t *out)
{
    return pt_mem_read(m, addr, out, sizeof *out);
}

int pt_mem_read_u32(struct pt_mem *m, pt_addr addr, uint32_t *out)
{
    return pt_mem_read(m, addr, out, sizeof *out);
}

int pt_mem_read_cstr(struct pt_mem *m, pt_addr addr, char *buf, size_t cap)
{
    if (cap == 0) {
        return pt_fail("pt_mem_read_cstr: empty buffer");
    }
    ssize_t n = pt_mem_read_partial(m, addr, buf, cap - 1);
    if (n < 0) {
        return -1;
    }
    buf[n] = '\0';
    if (strlen(buf) == (size_t)n && (size_t)n < cap - 1) {
        return pt_fail("unterminated string at 0x%llx", (unsigned long long)addr);
    }
    return 0;
}
