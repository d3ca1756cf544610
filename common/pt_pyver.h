/*
 * pt_pyver: what pytt knows about each CPython minor version that more than one module needs,
 * kept in one table. The recorder's Python clock (pt_clock.c) reads it at record time, where
 * pyintrospect is not linked; pyintrospect's version layer (pyi_ver.c) builds on the same row
 * and adds the struct member names, line-table formats and line-event rules only it needs.
 *
 * Everything here is a fact about how an interpreter of that version runs its bytecode, not a
 * layout: struct offsets always come from DWARF.
 */
#ifndef PT_PYVER_H
#define PT_PYVER_H

#include <stdbool.h>
#include <stdint.h>

#define PT_PYVER_MAX_FUSED 3
#define PT_PYVER_MAX_COUNTED 8

struct pt_pyver {
    int major, minor;
    const char *name; /* "3.12" */
    /* The replay shell and `pytt dump` read this version (pyintrospect has a layer for it). */
    bool debugger;
    /* The Python clock's counted opcodes (base opcodes, specializations follow through
     * _PyOpcode_Deopt): those that can begin a loop iteration or a frame. From 3.11 every
     * frame starts (and every generator resumes) with RESUME and every loop closes with a
     * backward jump; 3.8-3.10 have no RESUME and absolute jumps that may go backward, so returns
     * and yields count too. The INSTRUMENTED_ forms (3.12+: a program running sys.settrace or
     * sys.monitoring) and 3.13's ENTER_EXECUTOR stand in for the opcodes they replace. */
    uint8_t counted[PT_PYVER_MAX_COUNTED];
    int ncounted;
    /* Superinstructions (3.11, 3.12): the specializations of these base opcodes fuse two
     * adjacent instructions, whatever their lines, and run both with one dispatch; the clock
     * counts them as two and splits them at a stop. 3.13's LOAD_FAST_LOAD_FAST family is
     * emitted by the compiler within one line and dispatched as one instruction. */
    uint8_t fused_base[PT_PYVER_MAX_FUSED];
    int nfused;
    /* The eval loop's main entry (a frame starting or resuming, after the eval breaker, every
     * instruction while tracing) dispatches through a C switch instead of opcode_targets
     * (3.10): the clock routes that switch through opcode_targets too (pt_clock_switch.c). */
    bool main_loop_switch;
    /* The frame does not keep the previous instruction at a dispatch (3.10's f_lasti is
     * already the instruction being dispatched): the clock's trampolines keep the last
     * dispatch (frame and next_instr registers) for pyintrospect's line-event rule. */
    bool keep_last_dispatch;
};

/* The row of a version, or NULL if pytt knows nothing particular about it. */
const struct pt_pyver *pt_pyver_find(int major, int minor);
/* The same from "3.12" or "3.12.1". */
const struct pt_pyver *pt_pyver_lookup(const char *version);
/* "3.10, 3.11, 3.12 and 3.13": the versions the debugger reads, for messages. */
const char *pt_pyver_debugger_list(void);

#endif
