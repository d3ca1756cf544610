/*
 * pt_clock: the Python clock. pytt names moments of a run without performance counters by
 * counting the interpreter's bytecode dispatches (design notes §4), through CPython's
 * computed-goto table `opcode_targets`, whose entries pytt points at code in its own page.
 *
 * Counting every dispatch costs a read-modify-write of one memory word per instruction (~1.25
 * ns, 10-25% of CPU-bound run time, and far more when that word 4K-aliases a hot stack slot).
 * So the clock counts only the *counted* dispatches, those that can begin a loop iteration or
 * a frame (RESUME, the backward jumps; on 3.8-3.10, which have no RESUME, every jump that can
 * go backward, returns and yields): rr's idea of counting retired branches rather than
 * instructions. Between two counted dispatches the interpreter runs straight-line code of a
 * bounded length, so a moment is named by two numbers:
 *
 *     C  counted dispatches so far (the *coarse* clock, always counted, at record and replay)
 *     k  dispatches since the last counted one (0 at a counted dispatch)
 *
 * and a tick is PT_TICK(C, k), ordered as the run. Only counted opcodes have a trampoline while
 * nothing is watched; every other table entry points straight at the interpreter's handler
 * (superinstructions run fused, uncounted):
 *
 *     counted_i:  sub  qword [C], 1 ; je trap_i ; jmp [handler_i]
 *     trap_i:     int3 ; jmp [handler_i]
 *
 * Recording needs only C: signals that interrupt computation are delivered at the next counted
 * dispatch, and each syscall's C is logged and checked at replay. Navigation needs exact
 * moments: while a motion runs, the table points at *watch trampolines* (every opcode), which
 * also keep k (reset at a counted dispatch, +1 at any other), decrement a *fine countdown* F at
 * every dispatch (stop after n dispatches), and compare frames and instructions (breakpoints,
 * next/finish). Superinstructions are split there (continue into the first half's plain
 * handler, so the second half is dispatched and counted on its own): k counts instructions as
 * sys.settrace sees them. k is known whenever the replay is at a counted trap (pytt writes 0)
 * or has watched since such a point; a plain run leaves it unknown until its next counted trap.
 *
 * C lives in a word whose page offset is chosen at install (choose_countdown) away from the
 * loads the interpreter makes right after a counted dispatch: the dispatch table's entries,
 * and the trampolines' own handler words; k and F live in the same cache line.
 *
 * Which opcodes are counted and which are superinstructions are version facts
 * (common/pt_pyver.c). CPython 3.10 dispatches through opcode_targets only from inside its
 * handlers; its main loop (a frame starting or resuming, after the eval breaker, every
 * instruction while tracing) dispatches through a C switch with a table of its own. The plan
 * then also routes that switch through opcode_targets (pt_clock_switch.c), so every 3.10
 * instruction passes a trampoline too. The plan is logged in the CLOCK event; replay installs
 * exactly what was recorded.
 */
#ifndef PT_CLOCK_H
#define PT_CLOCK_H

#include "pt_cond.h"
#include "pt_tlog.h"
#include "pt_mem.h"
#include "pt_startup.h"

#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

/* A tick: C in the high bits, k in the low PT_TICK_K_BITS. */
#define PT_TICK_K_BITS 24
#define PT_TICK(c, k) (((uint64_t)(c) << PT_TICK_K_BITS) | (uint64_t)(k))
#define PT_TICK_C(t) ((uint64_t)(t) >> PT_TICK_K_BITS)
#define PT_TICK_K(t) ((uint64_t)(t) & ((1ull << PT_TICK_K_BITS) - 1))
/* Ticks as users see and type them: "C.k" (`when`, `goto`). */
#define PT_TICK_STRLEN 32
const char *pt_tick_str(uint64_t tick, char buf[PT_TICK_STRLEN]);
int pt_tick_parse(const char *text, uint64_t *tick); /* "C.k" or "C" (= C.0) */

/* Layout of the clock in pytt's page. */
#define PT_CLOCK_ORIG (PT_PAGE_ADDR + 0x1000)  /* 256 handlers resumed after a trap */
#define PT_CLOCK_SLOTS (PT_PAGE_ADDR + 0x1800) /* watched frames, then watched instructions */
/* k (maintained by the watch trampolines) and the fine countdown F share C's 64-byte line, in
 * the words after C's (wrapping inside the line): the watch trampolines write all three at
 * every dispatch, and a fixed place could 4K-alias C's chosen one (it did on 3.13, where C's
 * offset was k's: every counted dispatch's read of C waited for the store of k). */
#define PT_CLOCK_KCOUNT(countdown) (((countdown) & ~(pt_addr)63) | (((countdown) + 8) & 63))
#define PT_CLOCK_FINE(countdown) (((countdown) & ~(pt_addr)63) | (((countdown) + 16) & 63))
/* The last dispatch seen by the watch trampolines (frame and next_instr registers), then the
 * last one of a traced frame, for a version whose frame does not keep its previous
 * instruction (pt_pyver.keep_last_dispatch). */
#define PT_CLOCK_LAST (PT_PAGE_ADDR + 0x1a00)
#define PT_CLOCK_TRAMPS (PT_PAGE_ADDR + 0x2000) /* 256 counted trampolines of 32 bytes */
#define PT_CLOCK_TRAMP_SIZE 32
#define PT_CLOCK_TRAP_OFFSET 16                /* the int3 inside a trampoline */
#define PT_CLOCK_TRAMP_HANDLER 24              /* the handler it continues to */
#define PT_CLOCK_CPAGE (PT_PAGE_ADDR + 0x4000) /* the page holding C, at a chosen offset */
#define PT_CLOCK_IDLE (1ull << 62) /* a countdown when nothing is awaited: never reaches 0 */
/* 256 watch trampolines, 17 cache lines apart: a power-of-two stride (1 KiB) put them all in 4
 * of the 64 sets of a 32 KiB L1 instruction cache, evicting each other as soon as more than
 * 32 opcodes were hot (3.13's watched runs were 7% slower for it). */
#define PT_CLOCK_WATCH (PT_PAGE_ADDR + 0x10000)
#define PT_CLOCK_WATCH_SIZE 1088
#define PT_CLOCK_WATCH_TRAP 960
#define PT_WATCH_MAX 16
#define PT_CLOCK_COND (PT_PAGE_ADDR + 0x5c000) /* PT_WATCH_MAX conditions' code (pt_cond.h) */
/* 3.10's main-loop switch routed through opcode_targets: a table of stubs, then the stubs. */
#define PT_CLOCK_SWITCH_TABLE (PT_PAGE_ADDR + 0x60000)
#define PT_CLOCK_SWITCH_STUBS (PT_PAGE_ADDR + 0x60800)
#define PT_CLOCK_SWITCH_STUB 32

/* What the watch trampolines trap on, besides the countdowns (navigation: step into calls,
 * next/finish by frame, breakpoints by bytecode address). */
struct pt_watch {
    int frame_reg, instr_reg;      /* hardware register numbers (pyi_dispatch_regs) */
    uint8_t trap_op[256];          /* trap at every dispatch of these opcodes */
    uint64_t frames[PT_WATCH_MAX]; /* trap when the frame register holds one of these */
    int nframes;
    uint64_t instrs[PT_WATCH_MAX]; /* trap when next_instr is one of these */
    int ninstrs;
    /* ... and, for an instruction with a condition (nnodes > 0), only when its code, run by
     * the trampoline, does not find it certainly false (breakpoint conditions, pt_cond.h) */
    struct pt_cond conds[PT_WATCH_MAX];
    struct pt_cond_layout cond_layout;
    /* ... or, for a traced instruction (nvalues > 0), only when its log program (pt_tlog.h)
     * could not log the hit */
    struct pt_tlog logs[PT_WATCH_MAX];
    struct pt_tlog_layout tlog_layout;
    /* trap when the 32-bit member at this offset of the frame is 0 (3.10: f_lasti, a frame
     * starting); -1: no such check */
    int64_t frame_zero_off;
    int keep_last; /* store every dispatch's registers at PT_CLOCK_LAST */
    /* ... and, when the frame member at this offset is not 0 (3.10: f_trace, sys.settrace
     * traces the frame), also at PT_CLOCK_LAST + 16: a trace function's own instructions
     * (untraced) then do not hide the traced frame's last one. -1: no second slot */
    int64_t keep_traced_off;
    /* Sparse: only the opcodes in sparse_op go through their watch trampoline; the others run
     * as in the plain table (superinstructions split, as watching needs). Such a run keeps C
     * but not k (a trap there names its counted dispatch only), so it suits scans for
     * instructions (rep_reverse.c) that find the exact moment afterwards; no frames, trap_op,
     * frame_zero_off, keep_last or fine countdown with it. */
    int sparse;
    uint8_t sparse_op[256];
};

/* Where the clock goes in a given interpreter. */
struct pt_clock_site {
    pt_addr table;           /* opcode_targets */
    pt_addr deopt;           /* _PyOpcode_Deopt (specialized opcode -> base opcode), 0 if absent */
    pt_addr eval, eval_size; /* _PyEval_EvalFrameDefault */
    int relocated;           /* the table is relocated by ld.so: install after its RELRO mprotect */
};

/* How a clock is laid out in one recorded process; logged in the CLOCK event, so replay
 * installs exactly the same. */
struct pt_clock_plan {
    pt_addr table;         /* opcode_targets */
    pt_addr countdown;     /* the word holding C's countdown */
    uint8_t redirect[256]; /* watch trampolines continue to this opcode's handler (the first
                            * half's, for a superinstruction) */
    uint8_t counted[256];  /* 1: counted opcode */
    /* 3.10: the main loop's switch dispatch, routed through opcode_targets (0: none) */
    pt_addr switch_site;  /* first byte of the instructions rewritten */
    uint8_t switch_len;   /* how many bytes they are */
    pt_addr switch_table; /* the switch's jump table (32-bit offsets relative to it) */
    uint16_t switch_n;    /* its entries: opcodes 0 .. switch_n - 1 */
};

struct pt_clock {
    pt_addr table;         /* opcode_targets in the tracee, 0 while not installed */
    pt_addr countdown;     /* address of C's countdown */
    uint64_t base;         /* C = base - countdown */
    int watching;          /* the table points at the watch trampolines */
    struct pt_watch watch; /* their configuration (slots included) */
    int code_valid;        /* the watch trampolines in memory were generated for `watch` */
    int k_valid;           /* KCOUNT holds k (see the top comment) */
    int k_pending;         /* resumed watching with k unknown: known once C moves */
    uint64_t resume_count; /* C at that resume */
    int switch_routed;     /* the plan routed 3.10's main-loop switch through the table */
    uint8_t counted[256];
    uint64_t handlers[256]; /* the interpreter's own handlers */
    uint64_t orig[256];     /* what a watch trampoline continues to (PT_CLOCK_ORIG) */
};

/* Where opcode_targets (and _PyOpcode_Deopt, _PyEval_EvalFrameDefault) are in the tracee: symbols
 * from the interpreter image's symbol table (image = the file defining _PyRuntime; symfile = the
 * file whose .symtab has the symbols, its debug file for stripped binaries), relocated by the
 * image's load address in /proc/PID/maps. */
int pt_clock_locate(pid_t pid, const char *image, const char *symfile, struct pt_clock_site *site);
/* The plan for an interpreter of `version` ("3.11.2"): which opcodes are counted (per version,
 * specializations included through _PyOpcode_Deopt), the superinstructions' first halves,
 * where C goes (away from the table's entries: pt_clock.c says why), and for 3.10 where the
 * main loop's switch is. */
int pt_clock_plan(struct pt_mem *mem, const struct pt_clock_site *site, const char *version,
                  struct pt_clock_plan *plan);
/* Install the trampolines, redirect the table and route the switch as the plan says. C starts
 * at 0, idle. */
/* Write the base where the syscall buffer's library reads it (pt_sysbuf.h): done at every
 * change pt_clock makes; a caller that changes c->base itself calls it too. */
int pt_clock_publish_base(const struct pt_clock *c, struct pt_mem *mem);
int pt_clock_install(struct pt_clock *c, struct pt_mem *mem, const struct pt_clock_plan *plan);

/* C, the coarse clock. */
int pt_clock_coarse(const struct pt_clock *c, struct pt_mem *mem, uint64_t *count);
/* The tick, when k is known (else an error: see the top comment). */
int pt_clock_now(struct pt_clock *c, struct pt_mem *mem, uint64_t *tick);
/* Trap at the counted dispatch that makes C == target (> C now). */
int pt_clock_arm(struct pt_clock *c, struct pt_mem *mem, uint64_t target);
/* Trap after n more dispatches (n >= 1); needs the watch trampolines (pt_clock_watch). */
int pt_clock_arm_fine(struct pt_clock *c, struct pt_mem *mem, uint64_t n);
/* Disarm both countdowns. */
int pt_clock_idle(struct pt_clock *c, struct pt_mem *mem);
/* Point the table at trampolines that also trap as `w` says (an all-zero watch still keeps k
 * and F); NULL: back to plain counting. */
int pt_clock_watch(struct pt_clock *c, struct pt_mem *mem, const struct pt_watch *w);
/* The tracee stopped at a trap of opcode `opcode` (pt_clock_is_trap): a counted opcode's trap
 * makes k known and 0. Record and replay call it before reading the clock at a trap. */
int pt_clock_at_trap(struct pt_clock *c, struct pt_mem *mem, int opcode);
/* The tracee is about to be resumed: a plain run makes k unknown. */
int pt_clock_resuming(struct pt_clock *c, struct pt_mem *mem);
/* At a watch trampoline's trap of a counted opcode, make the registers those of the plain
 * trampoline's trap for the same dispatch (rip, the register holding the dispatch's jump
 * target, the flags), which is where the recording was when it delivered a signal there: the
 * signal frame is then the recorded one. Returns 1 if r was changed. */
int pt_clock_as_plain(const struct pt_clock *c, struct user_regs_struct *r);
/* Is rip (at a SIGTRAP stop) right after a clock trap? Then *opcode is the opcode dispatched. */
int pt_clock_is_trap(const struct pt_clock *c, uint64_t rip, int *opcode);
/* The handler a trap of `opcode` continues to (what the dispatch was about to run). */
int pt_clock_handler_after_trap(struct pt_mem *mem, int opcode, uint64_t *handler);
/* Make a forked copy's clock never trap (its countdown idle). */
int pt_clock_idle_copy(const struct pt_clock *c, struct pt_mem *copy_mem);

#endif
