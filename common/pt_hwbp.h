/*
 * pt_hwbp: x86-64 hardware data watchpoints (debug registers DR0-DR3, DR6, DR7) of a ptrace'd
 * thread, set through PTRACE_POKEUSER at offsetof(struct user, u_debugreg[i]) as gdb does.
 *
 * Each of the four slots traps *writes* to an aligned 1, 2, 4 or 8-byte word: the thread stops
 * with SIGTRAP (si_code TRAP_HWBKPT) right after the writing instruction, and DR6 says which
 * slots fired. The registers are per thread: a new thread (clone) and a forked copy start with
 * none, so the caller sets them on every thread that may write. Writes made by the kernel on
 * the thread's behalf (a syscall's output) and by another process (pytt's own memory writes
 * through /proc/PID/mem) do not trap.
 */
#ifndef PT_HWBP_H
#define PT_HWBP_H

#include <stdint.h>
#include <sys/types.h>

#define PT_HWBP_SLOTS 4
#define TRAP_HWBKPT_CODE 4 /* si_code of a debug-register trap (TRAP_HWBKPT) */

/* What the four slots watch: addr (aligned to len) and len (1, 2, 4, 8) for each slot whose
 * bit is set in `used`. */
struct pt_hwbp {
    uint64_t addr[PT_HWBP_SLOTS];
    int len[PT_HWBP_SLOTS];
    unsigned used;
};

/* Make thread tid's debug registers watch exactly `w` (used 0: nothing). */
int pt_hwbp_apply(pid_t tid, const struct pt_hwbp *w);
/* The slots that fired (DR6's B0-B3) since the last call, which clears them. */
int pt_hwbp_fired(pid_t tid, unsigned *slots);

#endif
