/*
 * pt_clock: the Python clock. pytt names moments of a run by *ticks*: bytecode dispatches of
 * the interpreter since the clock was installed. rr uses the CPU's branch counter for this; this
 * machine kind has no performance counters, so pytt counts dispatches itself (design notes §4):
 * every entry of CPython's computed-goto table `opcode_targets` is pointed at a trampoline in
 * pytt's page,
 *
 *     tramp_i:  sub  qword [countdown], 1
 *               je   trap_i
 *               jmp  [handler_i]
 *     trap_i:   int3                      ; countdown reached 0: the tracer takes over
 *               jmp  [orig_i]             ; resumed here after the trap
 *
 * so tick = base - countdown, and "stop at tick T" is one trap: countdown = T - now. The same
 * trampolines run at record and at replay, installed at the same logged moment, so counting
 * cannot perturb determinism, and nothing is allocated inside Python.
 *
 * Every instruction is one tick, as sys.settrace sees instructions. CPython 3.11/3.12 fuse some
 * pairs into superinstructions (LOAD_FAST__LOAD_FAST & co.) regardless of line boundaries, so
 * the second half of a pair is never dispatched. Their trampolines count both at once,
 * `sub 2; jle trap_i; jmp [fused handler]`, and after a trap resume into orig_i, the *first
 * half's* plain handler, so that the second half is dispatched and counted on its own: a stop
 * can land on either half (pt_clock_settle), while runs with no stop inside a pair keep the
 * fused speed. Which versions have them is a version fact (common/pt_pyver.c).
 *
 * CPython 3.10 dispatches only from inside its handlers through opcode_targets; its main loop
 * (a frame starting or resuming, after the eval breaker, every instruction while tracing)
 * dispatches through a C switch with a table of its own. The plan then also routes that switch
 * through opcode_targets (pt_clock_switch.c), so every instruction passes a trampoline there
 * too. The plan is logged in the CLOCK event; replay installs exactly what was recorded.
 */
#ifndef PT_CLOCK_H
#define PT_CLOCK_H

#include "pt_mem.h"
#include "pt_startup.h"

#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#define PT_CLOCK_COUNTDOWN (PT_PAGE_ADDR + 0x1000)
#define PT_CLOCK_ORIG (PT_PAGE_ADDR + 0x1100)   /* 256 handlers resumed after a trap */
#define PT_CLOCK_TRAMPS (PT_PAGE_ADDR + 0x2000) /* 256 trampolines of 32 bytes */
#define PT_CLOCK_TRAMP_SIZE 32
#define PT_CLOCK_TRAP_OFFSET 16    /* the int3 inside a trampoline */
#define PT_CLOCK_TRAMP_HANDLER 24  /* the handler it continues to when not trapping */
#define PT_CLOCK_IDLE (1ull << 62) /* countdown when nothing is awaited: never reaches 0 */
#define PT_CLOCK_SLOTS (PT_PAGE_ADDR + 0x1900) /* watched frames, then watched instructions */
/* (slots: 2 * PT_WATCH_MAX words, up to 0x1a00; trampolines from 0x2000) */
#define PT_CLOCK_WATCH (PT_PAGE_ADDR + 0x10000) /* 256 watch trampolines of 1 KiB */
#define PT_CLOCK_WATCH_SIZE 1024
#define PT_CLOCK_WATCH_TRAP 928
#define PT_WATCH_MAX 16
/* The last dispatch seen by the watch trampolines (frame and next_instr registers), then the
 * last one of a traced frame, for a version whose frame does not keep its previous
 * instruction (pt_pyver.keep_last_dispatch); after the slots. */
#define PT_CLOCK_LAST (PT_PAGE_ADDR + 0x1a00)
/* 3.10's main-loop switch routed through opcode_targets: a table of stubs, then the stubs. */
#define PT_CLOCK_SWITCH_TABLE (PT_PAGE_ADDR + 0x60000)
#define PT_CLOCK_SWITCH_STUBS (PT_PAGE_ADDR + 0x60800)
#define PT_CLOCK_SWITCH_STUB 32

/* What the watch trampolines trap on, besides the countdown (navigation: step into calls,
 * next/finish by frame, breakpoints by bytecode address). They count ticks exactly as the
 * plain ones do; opcode_targets points at them only while something is watched. */
struct pt_watch {
    int frame_reg, instr_reg;      /* hardware register numbers (pyi_dispatch_regs) */
    uint8_t trap_op[256];          /* trap at every dispatch of these opcodes */
    uint64_t frames[PT_WATCH_MAX]; /* trap when the frame register holds one of these */
    int nframes;
    uint64_t instrs[PT_WATCH_MAX]; /* trap when next_instr is one of these */
    int ninstrs;
    /* trap when the 32-bit member at this offset of the frame is 0 (3.10: f_lasti, a frame
     * starting); -1: no such check */
    int64_t frame_zero_off;
    int keep_last; /* store every dispatch's registers at PT_CLOCK_LAST */
    /* ... and, when the frame member at this offset is not 0 (3.10: f_trace, sys.settrace
     * traces the frame), also at PT_CLOCK_LAST + 16: a trace function's own instructions
     * (untraced) then do not hide the traced frame's last one. -1: no second slot */
    int64_t keep_traced_off;
};

/* Where the clock goes in a given interpreter. */
struct pt_clock_site {
    pt_addr table; /* opcode_targets */
    pt_addr deopt; /* _PyOpcode_Deopt (specialized opcode -> base opcode), 0 if absent */
    pt_addr eval, eval_size; /* _PyEval_EvalFrameDefault */
    int relocated; /* the table is relocated by ld.so: install after its RELRO mprotect */
};

/* What the clock installs, decided once at record time and logged in the CLOCK event. */
struct pt_clock_plan {
    uint8_t redirect[256]; /* handler each opcode's trampoline continues to after a trap */
    /* 3.10: the main loop's switch dispatch, routed through opcode_targets (0: none) */
    pt_addr switch_site;  /* first byte of the instructions rewritten */
    uint8_t switch_len;   /* how many bytes they are */
    pt_addr switch_table; /* the switch's jump table (32-bit offsets relative to it) */
    uint16_t switch_n;    /* its entries: opcodes 0 .. switch_n - 1 */
};

struct pt_clock {
    pt_addr table;         /* opcode_targets in the tracee, 0 while not installed */
    uint64_t base;         /* tick = base - countdown */
    int watching;          /* the table points at the watch trampolines */
    struct pt_watch watch; /* their configuration (slots included) */
    int code_valid;        /* the watch trampolines in memory were generated for `watch` */
    int switch_routed;     /* the plan routed 3.10's main-loop switch through the table */
    uint8_t fused[256];    /* superinstructions: their plain trampolines count 2 */
};

/* Where opcode_targets (and _PyOpcode_Deopt, _PyEval_EvalFrameDefault) are in the tracee:
 * symbols from the interpreter image's symbol table (image = the file defining _PyRuntime; symfile = the file whose .symtab
 * has the symbols, its debug file for stripped binaries), relocated by the image's load address
 * in /proc/PID/maps. */
int pt_clock_locate(pid_t pid, const char *image, const char *symfile, struct pt_clock_site *site);
/* The plan for interpreter `version` ("3.11"): which handler each opcode continues to after a
 * trap (and in the watch trampolines, which count one per dispatch): identity, except for
 * superinstructions (their first half's plain handler, so the second half is dispatched and
 * counted on its own); and for 3.10 where the main loop's switch is. */
int pt_clock_plan(struct pt_mem *mem, const struct pt_clock_site *site, const char *version,
                  struct pt_clock_plan *plan);
/* Install the trampolines, redirect the table and route the switch as the plan says. The
 * counter starts at tick 0, idle. */
int pt_clock_install(struct pt_clock *c, struct pt_mem *mem, pt_addr table,
                     const struct pt_clock_plan *plan);
/* The current tick. */
int pt_clock_now(const struct pt_clock *c, struct pt_mem *mem, uint64_t *tick);
/* Trap when tick `target` (> now) is reached; pt_clock_idle disarms. */
int pt_clock_arm(struct pt_clock *c, struct pt_mem *mem, uint64_t target);
int pt_clock_idle(struct pt_clock *c, struct pt_mem *mem);
/* Point the table at trampolines that also trap as `w` says; NULL: back to plain counting. */
int pt_clock_watch(struct pt_clock *c, struct pt_mem *mem, const struct pt_watch *w);
/* At a clock trap (rip after its int3): a superinstruction's trampoline counted both halves,
 * so the countdown reads 0 (the target is the second half) or -1 (the first). Count the
 * second half back: *early is then 1 when the target is the second half, still one dispatch
 * ahead (resume: it traps when dispatched), 0 when this is the target. Record and replay call
 * it before anything reads the clock at a trap. */
int pt_clock_settle(struct pt_clock *c, struct pt_mem *mem, uint64_t rip, int *early);
/* At a watch trampoline's trap, make the registers those of the plain trampoline's trap for
 * the same dispatch (rip, and the register holding the dispatch's jump target), which is where
 * the recording was: a signal delivered there then saves the same frame, and rt_sigreturn
 * restores (and returns) the recorded values. Returns 1 if r was changed. */
int pt_clock_as_plain(const struct pt_clock *c, struct user_regs_struct *r);
/* Is rip (at a SIGTRAP stop) right after a clock trap? Then *opcode is the opcode dispatched. */
int pt_clock_is_trap(const struct pt_clock *c, uint64_t rip, int *opcode);

#endif
