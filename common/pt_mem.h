/*
 * pt_mem: reading (and writing) the memory of another process, through one small interface.
 *
 * Everything pytt knows about a tracee it learns by reading its memory. Following libunwind's
 * accessor tables, consumers (pyintrospect above all) read through a `struct pt_mem`, a memory
 * source that may be a live ptrace-stopped process, a snapshot, or a test fixture; they never
 * call ptrace themselves. A tracee address has its own type, pt_addr, to make clear it must
 * never be dereferenced in pytt's own address space. Reads either succeed completely or fail
 * with a message naming the address and length.
 */
#ifndef PT_MEM_H
#define PT_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef uint64_t pt_addr; /* an address in the tracee's address space */

struct pt_mem;

struct pt_mem_ops {
    /* Read exactly len bytes at addr; 0 on success, -1 (with pt_fail) otherwise. */
    int (*read)(struct pt_mem *m, pt_addr addr, void *buf, size_t len);
    /* Write exactly len bytes at addr (may be NULL for read-only sources). */
    int (*write)(struct pt_mem *m, pt_addr addr, const void *buf, size_t len);
};

struct pt_mem {
    const struct pt_mem_ops *ops;
    pid_t pid; /* live sources: the process; -1 otherwise */
    int memfd; /* live sources: /proc/pid/mem, opened lazily; -1 if not open */
    void *ctx; /* other sources: their own state */
};

/* A live process (stopped under ptrace, or any process we may read): process_vm_readv with
 * a /proc/PID/mem fallback (which also writes read-only pages, as ptrace may). */
void pt_mem_init_pid(struct pt_mem *m, pid_t pid);
void pt_mem_close(struct pt_mem *m);

int pt_mem_read(struct pt_mem *m, pt_addr addr, void *buf, size_t len);
int pt_mem_write(struct pt_mem *m, pt_addr addr, const void *buf, size_t len);
/* Read up to len bytes; returns the number read (may be short at an unmapped page), -1 on
 * error before the first byte. */
ssize_t pt_mem_read_partial(struct pt_mem *m, pt_addr addr, void *buf, size_t len);

int pt_mem_read_u64(struct pt_mem *m, pt_addr addr, uint64_t *out);
int pt_mem_read_u32(struct pt_mem *m, pt_addr addr, uint32_t *out);
/* Read a NUL-terminated string of at most cap-1 bytes into buf (always terminated). */
int pt_mem_read_cstr(struct pt_mem *m, pt_addr addr, char *buf, size_t cap);

#endif
