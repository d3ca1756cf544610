/*
 * pt_clock: the Python clock. pytt names moments of a run by *ticks*: bytecode dispatches of
 * the interpreter since the clock was installed. rr uses the CPU's branch counter for this; this
 * machine kind has no performance counters, so pytt counts dispatches itself (design notes §4):
 * every entry of CPython's computed-goto table `opcode_targets` is pointed at a trampoline in
 * pytt's page,
 *
 *     tramp_i:  sub  qword [countdown], 1
 *               je   trap_i
 *               jmp  [orig_i]
 *     trap_i:   int3                      ; countdown reached 0: the tracer takes over
 *               jmp  [orig_i]             ; resumed here after the trap
 *
 * so tick = base - countdown, and "stop at tick T" is one trap: countdown = T - now. The same
 * trampolines run at record and at replay, installed at the same logged moment, so counting
 * cannot perturb determinism, and nothing is allocated inside Python.
 */
#ifndef PT_CLOCK_H
#define PT_CLOCK_H

#include "pt_mem.h"
#include "pt_startup.h"

#include <stdint.h>
#include <sys/types.h>

#define PT_CLOCK_COUNTDOWN (PT_PAGE_ADDR + 0x1000)
#define PT_CLOCK_ORIG (PT_PAGE_ADDR + 0x1100)   /* 256 original handler addresses */
#define PT_CLOCK_TRAMPS (PT_PAGE_ADDR + 0x2000) /* 256 trampolines of 32 bytes */
#define PT_CLOCK_TRAMP_SIZE 32
#define PT_CLOCK_TRAP_OFFSET 16 /* the int3 inside a trampoline */
#define PT_CLOCK_IDLE (1ull << 62) /* countdown when nothing is awaited: never reaches 0 */

struct pt_clock {
    pt_addr table;  /* opcode_targets in the tracee, 0 while not installed */
    uint64_t base;  /* tick = base - countdown */
};

/* Where opcode_targets is in the tracee: the symbol from the interpreter image's symbol table
 * (image = the file defining _PyRuntime, symfile = the file whose .symtab has the symbol, its
 * debug file for stripped binaries), relocated by the image's load address in /proc/PID/maps.
 * *relocated is set when the table needs relocation by ld.so (then it must be installed only
 * after ld.so has made it read-only, at the RELRO mprotect). */
int pt_clock_locate(pid_t pid, const char *image, const char *symfile, pt_addr *table,
                    int *relocated);
/* Install the trampolines and redirect the table. The counter starts at tick 0, idle. */
int pt_clock_install(struct pt_clock *c, struct pt_mem *mem, pt_addr table);
/* The current tick. */
int pt_clock_now(const struct pt_clock *c, struct pt_mem *mem, uint64_t *tick);
/* Trap when tick `target` (> now) is reached; pt_clock_idle disarms. */
int pt_clock_arm(struct pt_clock *c, struct pt_mem *mem, uint64_t target);
int pt_clock_idle(struct pt_clock *c, struct pt_mem *mem);
/* Is rip (at a SIGTRAP stop) right after a clock trap? Then *opcode is the opcode dispatched. */
int pt_clock_is_trap(const struct pt_clock *c, uint64_t rip, int *opcode);

#endif
