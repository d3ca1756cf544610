/*
 * pt_syscalls: THE syscall table. One row per x86-64 syscall says, once, everything recording,
 * replay and error messages need to know about it (rr's syscalls.py, strace's sysent):
 *   - its name and argument count (divergence messages compare and print the arguments);
 *   - how replay treats it: EMULATE (the kernel never runs it; its result and the memory it
 *     wrote come from the trace), EXECUTE (it shapes the address space or the process, so it
 *     runs for real and its result must match), SPECIAL (hand-written code in the recorder and
 *     replayer: mmap, clone, ...), or UNSUPPORTED (recording stops, naming it);
 *   - which memory the kernel writes: up to three regular output buffers (fixed size, size from
 *     the result, size from another argument, or a socklen-style in/out length), or an
 *     "irregular" decoder for iovecs, msghdrs, ioctl requests and the like (pt_sc_irregular.c).
 * A recorder that meets a syscall whose row says UNSUPPORTED stops and names it; nothing is
 * ever silently recorded wrong.
 */
#ifndef PT_SYSCALLS_H
#define PT_SYSCALLS_H

#include "pt_mem.h"

#include <stdint.h>

enum pt_sc_mode {
    PT_SC_UNSUPPORTED = 0,
    PT_SC_EMULATE,
    PT_SC_EXECUTE,
    PT_SC_SPECIAL,
};

enum pt_sc_out_kind {
    PT_OUT_NONE = 0,
    PT_OUT_FIXED,   /* `size` bytes at arg */
    PT_OUT_RET,     /* result bytes at arg (when the result is > 0) */
    PT_OUT_ARGSZ,   /* args[sizearg] * size bytes at arg */
    PT_OUT_RETSZ,   /* result * size bytes at arg */
    PT_OUT_SOCKLEN, /* min(*(u32 *)args[sizearg], size) bytes at arg, plus the u32 itself */
};

/* Flags. */
#define PT_SCF_OUT_ALWAYS 0x01 /* outputs are written even when the call fails (e.g. EINTR) */
#define PT_SCF_FD_WRITE 0x02   /* arg0 is an fd the call writes data to (write, writev...) */
#define PT_SCF_BLOCKS                                                                              \
    0x10 /* may wait for another thread or the outside world: with several                         \
          * threads, the recorder lets another run meanwhile */
/* What a throwaway copy of the replay evaluating an expression may run for real (rep_copy.c):
 * LOCAL calls have no effect outside the calling process (its memory, its own signal state,
 * clocks, ids, reading file metadata by path); FD_READ calls only read or inspect arg0, and run
 * only on descriptors the copy opened itself. Anything else is refused there with EPERM. */
#define PT_SCF_LOCAL 0x04
#define PT_SCF_FD_READ 0x08
/* The kernel reads or writes memory through pointers that are themselves in memory (iovecs,
 * msghdrs, an ioctl's structs), not only at its arguments: a recorder that must make memory
 * accessible before a call (rec_share.c) cannot tell from the arguments which. */
#define PT_SCF_INDIRECT 0x80
#define PT_SCF_CREATES                                                                             \
    0x20 /* creates a task (clone, clone3, fork, vfork): replay creates it                         \
          * when the call is replayed, so a recording must not let another                         \
          * thread run while the call is in the kernel */

struct pt_sc_out {
    int8_t arg;
    uint8_t kind;
    int8_t sizearg;
    uint32_t size;
};

struct pt_sc_call {
    int nr;
    uint64_t args[6];
    int64_t ret;
};

typedef int (*pt_sc_region_fn)(void *ud, pt_addr addr, uint64_t len);
/* An irregular decoder: reports every region the kernel wrote for this call. */
typedef int (*pt_sc_irregular_fn)(const struct pt_sc_call *c, struct pt_mem *mem,
                                  pt_sc_region_fn emit, void *ud);

struct pt_syscall {
    const char *name;
    uint8_t nargs;
    uint8_t mode;
    uint8_t flags;
    struct pt_sc_out out[3];
    pt_sc_irregular_fn irregular;
    const char *why; /* for UNSUPPORTED rows: what the user can do instead (may be NULL) */
};

#define PT_NSYSCALLS 512

/* Does a recording of trace format `version` with the syscall buffer let nr run with no stop and
 * no event (pt_seccomp.c's filter)? Replay then runs it for real where it meets it. Such a call
 * changes only the calling thread's signal state (rt_sigaction, rt_sigprocmask, since format 5)
 * or the heap's end (brk, since 8: replay rebuilds the same address space, so the same break).
 * Traces of older formats logged the call: a replay asks with the trace's version. */
int pt_sc_unseen(int nr, unsigned version);

/* The row for nr, or NULL if nr is outside the table (any row may be UNSUPPORTED). */
const struct pt_syscall *pt_syscall(int nr);
/* "read", or "syscall_123" for numbers that have no name (static buffer). */
const char *pt_syscall_name(int nr);
/* Report every region of tracee memory the kernel wrote for call c (after it returned). */
int pt_sc_outputs(const struct pt_syscall *sc, const struct pt_sc_call *c, struct pt_mem *mem,
                  pt_sc_region_fn emit, void *ud);

/* The regions `total` bytes fill in the iovec array at iov_addr (at most 1024 entries), in
 * order: what readv-like calls wrote, or writev-like calls wrote out. */
int pt_sc_iovec_regions(struct pt_mem *mem, pt_addr iov_addr, uint64_t iovcnt, uint64_t total,
                        pt_sc_region_fn emit, void *ud);

/* Irregular decoders (pt_sc_irregular.c), named by the call they describe. */
int pt_sc_out_iovec_ret(const struct pt_sc_call *c, struct pt_mem *mem, pt_sc_region_fn emit,
                        void *ud);
int pt_sc_out_recvmsg(const struct pt_sc_call *c, struct pt_mem *mem, pt_sc_region_fn emit,
                      void *ud);
int pt_sc_out_recvmmsg(const struct pt_sc_call *c, struct pt_mem *mem, pt_sc_region_fn emit,
                       void *ud);
int pt_sc_out_ioctl(const struct pt_sc_call *c, struct pt_mem *mem, pt_sc_region_fn emit, void *ud);
int pt_sc_out_fcntl(const struct pt_sc_call *c, struct pt_mem *mem, pt_sc_region_fn emit, void *ud);
int pt_sc_out_select(const struct pt_sc_call *c, struct pt_mem *mem, pt_sc_region_fn emit,
                     void *ud);
int pt_sc_out_prctl(const struct pt_sc_call *c, struct pt_mem *mem, pt_sc_region_fn emit, void *ud);
int pt_sc_out_futex(const struct pt_sc_call *c, struct pt_mem *mem, pt_sc_region_fn emit, void *ud);

/* The kernel's own restart codes: a tracer sees them at the exit of an interrupted call, the
 * program never does (the kernel restarts the call, or turns them into EINTR for a handler). */
#define PT_ERESTARTSYS 512
#define PT_ERESTARTNOINTR 513
#define PT_ERESTARTNOHAND 514
#define PT_ERESTART_RESTARTBLOCK 516 /* restarted by restart_syscall */

/* May this call wait for another thread or the outside world (PT_SCF_BLOCKS, refined by its
 * arguments: a futex wake does not wait)? */
int pt_sc_may_block(const struct pt_syscall *sc, int nr, const uint64_t args[6]);

/* Which of the call's arguments the kernel reads (bit i: argument i), from its row and, for
 * calls whose operation decides it (futex, open with or without O_CREAT, fcntl), from its
 * arguments. The others are whatever the registers held: replay must not compare them (a
 * futex wake's fifth register differs between runs that behave the same). */
unsigned pt_sc_used_args(const struct pt_syscall *sc, int nr, const uint64_t args[6]);

/* The syscall ABIs an x86-64 process can use. pytt records and replays only the native one: a
 * 32-bit call (int 0x80, sysenter) or an x32 call has other numbers (i386 10 is unlink, x86-64
 * 10 is mprotect), so looking it up in this table would be wrong, and at replay dangerous. */
enum pt_sc_abi { PT_ABI_X86_64 = 0, PT_ABI_I386, PT_ABI_X32 };
/* The ABI of a syscall stop, from PTRACE_GET_SYSCALL_INFO's arch and the number's x32 bit. */
int pt_sc_abi_of(uint32_t audit_arch, uint64_t nr);
/* "32-bit (int 0x80) syscall unlink (i386 number 10)" (static buffer), for refusals. */
const char *pt_sc_foreign_str(int abi, uint64_t nr);

/* Is ioctl request `req` one the table knows? (recorder refuses others by name) */
int pt_sc_ioctl_known(uint64_t req);
/* Is fcntl command `cmd` one the table knows? */
int pt_sc_fcntl_known(uint64_t cmd);

#endif
