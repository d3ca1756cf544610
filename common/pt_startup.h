/*
 * pt_startup: the first moments of a recorded or replayed process, identical in both.
 *
 * At the exit of the execve that started the interpreter, before ld.so runs a single
 * instruction, pytt:
 *   1. (record) removes the vDSO from the auxiliary vector (AT_SYSINFO_EHDR -> AT_IGNORE), so
 *      glibc makes real clock_gettime/gettimeofday syscalls that can be logged;
 *   2. (replay) makes the initial stack byte-identical to the recorded one (argv, envp, auxv,
 *      AT_RANDOM bytes, exec filename) and sets rsp to match;
 *   3. maps pytt's own page at a fixed address (code stubs now, the Python clock's trampolines
 *      later) and writes a `syscall; int3` stub into it;
 *   4. makes rdtsc/rdtscp fault (PR_SET_TSC, PR_TSC_SIGSEGV) so each one can be recorded.
 * The injected syscalls are not events: both sides perform them at the same moment.
 */
#ifndef PT_STARTUP_H
#define PT_STARTUP_H

#include "pt_mem.h"

#include <stdint.h>
#include <sys/types.h>

#define PT_PAGE_ADDR 0x7f0000000000ull
#define PT_PAGE_LEN (1ull << 20)
#define PT_PAGE_STUB_SYSCALL (PT_PAGE_ADDR + 0) /* syscall; int3 */
#define PT_PAGE_SCRATCH (PT_PAGE_ADDR + 0x100)  /* strings for injected calls */
#define PT_PAGE_SCRATCH_LEN 0xf00

struct pt_auxv_info {
    pt_addr sysinfo_ehdr_slot; /* address of the AT_SYSINFO_EHDR entry's type word, or 0 */
    pt_addr random;            /* AT_RANDOM: address of the 16 random bytes */
    pt_addr execfn;            /* AT_EXECFN: address of the exec filename */
    uint64_t argc;
    pt_addr argv, envp; /* addresses of the pointer arrays */
};

/* Walk the initial stack at rsp: argc, argv, envp, auxv. */
int pt_startup_parse_stack(struct pt_mem *mem, pt_addr rsp, struct pt_auxv_info *ai);
/* Turn AT_SYSINFO_EHDR into AT_IGNORE. */
int pt_startup_hide_vdso(struct pt_mem *mem, const struct pt_auxv_info *ai);
/* Step 3, and step 4 with trap_tsc (a recording that lets ld.so run unstopped takes step 4 at
 * its first stop instead: recorder/rec_loader.c). The tracee must be at its post-exec
 * syscall-exit stop. */
int pt_startup_inject(pid_t pid, struct pt_mem *mem, int trap_tsc);
/* Step 4 alone, at a syscall-exit stop. */
int pt_startup_trap_tsc(pid_t pid);

/* Make pytt itself trap rdtsc too, as its tracee does. The kernel rewrites CR4.TSD on every
 * context switch between tasks that differ in this mode, and in a VM that write is a VM exit:
 * measured on this machine kind, 8.8 us per ptrace stop with both alike against 22 us with
 * them different. pytt does not use rdtsc itself (it reads CLOCK_MONOTONIC_COARSE); should a
 * library in pytt execute one anyway, a SIGSEGV handler turns rdtsc back on for pytt. */
void pt_tsc_like_tracee(void);
/* Read the TSC from pytt while in that mode (for emulating the tracee's rdtsc). */
uint64_t pt_tsc_read(int rdtscp, uint32_t *aux);

/* Pick the CPU to pin tracer and tracee to (PYTT_CPU=N or "none" overrides): *cpu, -1 for
 * none. Fails on a PYTT_CPU that is neither a usable CPU number nor "none". */
int pt_pick_cpu(int *cpu);
/* Pin the calling thread to cpu (no-op for -1). */
int pt_pin_self(int cpu);

#endif
