/*
 * pt_seccomp: the replayed process's seccomp filter, the backstop under replay's syscall
 * emulation. A replayed program's syscalls are stopped by ptrace at their entry and either
 * emulated (their number is turned into -1, so the kernel runs nothing) or, for the rows of the
 * syscall table that shape the process (EXECUTE, and mmap/mremap), run for real. seccomp runs
 * after the ptrace entry stop and sees the number pytt left, so the filter lets through
 * exactly: the x86-64 ABI only (checked first: a 32-bit or x32 call is never looked up), number
 * -1, the table's EXECUTE rows with mmap and mremap, and any call made from pytt's own syscall
 * stub (the instruction pointer after PT_PAGE_STUB_SYSCALL's `syscall`: pytt's injected opens,
 * clones for snapshots, ...). Anything else traps (SECCOMP_RET_TRAP: a SIGSYS that pytt sees
 * first and reports as a divergence naming the call), so no trace and no bug in pytt's own
 * bookkeeping can make replay perform a call the table does not run. Installed by pytt at
 * startup (with no_new_privs), inherited by snapshots, never removable.
 */
#ifndef PT_SECCOMP_H
#define PT_SECCOMP_H

#include "pt_mem.h"

#include <sys/types.h>

struct sock_filter;
/* The filter program (at most max instructions); returns its length. */
unsigned pt_seccomp_program(struct sock_filter *out, unsigned max);
/* Does the filter let syscall nr through from the program's own code? */
int pt_seccomp_allows(int nr);
/* Install the filter in the tracee, stopped at a syscall-exit stop with pytt's page mapped. */
int pt_seccomp_install(pid_t pid, struct pt_mem *mem);
/* The recording's filter (pt_seccomp.c, build_record): every call traps to pytt
 * (PTRACE_EVENT_SECCOMP) except those from pytt's stubs. The tracer must set
 * PTRACE_O_TRACESECCOMP; a task with this filter and no such tracer gets ENOSYS. */
int pt_seccomp_install_record(pid_t pid, struct pt_mem *mem);

/* The filter a recording starts with when the syscall buffer is on (recorder/rec_loader.c): the
 * calls ld.so, glibc's start and the interpreter's first steps make before the first call the
 * buffer's library wraps run without a stop when their only effects are memory and
 * descriptors opened since (read-only opens; reads, seeks, directory reads and closes of any
 * descriptor but the ninherited in inherited[] (or at or below max_inherited_fd when there
 * are more than PT_SECCOMP_FDS); stats, readlink; private maps and read-only shared maps of
 * files; mprotect, munmap; the thread setup; ARCH_SET_FS; getrandom, ids, uname, sysinfo,
 * clocks, getcwd, sched_getaffinity; prlimit64 without a new limit; FUTEX_WAKE); so do the
 * calls pt_sc_unseen names and pytt's stubs. Anything else stops. The recording's filter is
 * added on top at the first stop (seccomp takes the strictest answer of all filters: TRACE
 * over ALLOW; every call it lets through this one does too), after which this one changes
 * nothing. */
#define PT_SECCOMP_FDS 32
struct pt_seccomp_loader {
    int ninherited; /* -1: more than PT_SECCOMP_FDS */
    int inherited[PT_SECCOMP_FDS];
    int max_inherited_fd;
};
int pt_seccomp_install_loader(pid_t pid, struct pt_mem *mem, const struct pt_seccomp_loader *ld);
/* Its program, for tests (0 when it cannot be built). */
unsigned pt_seccomp_loader_program(const struct pt_seccomp_loader *ld, struct sock_filter *out,
                                   unsigned max);

#endif
