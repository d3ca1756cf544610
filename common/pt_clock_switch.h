/*
 * pt_clock_switch: routing CPython 3.10's main-loop switch through opcode_targets, so that the
 * Python clock sees every instruction (see pt_clock.h). Internal to pt_clock.c.
 */
#ifndef PT_CLOCK_SWITCH_H
#define PT_CLOCK_SWITCH_H

#include "pt_clock.h"

/* Find the switch dispatch in _PyEval_EvalFrameDefault [eval, eval + size) whose table agrees
 * with handlers[] (opcode_targets before the clock), and fill plan->switch_*. */
int pt_clock_switch_find(struct pt_mem *mem, pt_addr eval, pt_addr size,
                         const uint64_t handlers[256], struct pt_clock_plan *plan);
/* Write the stubs (PT_CLOCK_SWITCH_TABLE/STUBS) and rewrite the switch site so that it jumps
 * through opcode_targets[opcode] (table): the same targets, through the trampolines. */
int pt_clock_switch_install(struct pt_mem *mem, pt_addr table, const uint64_t handlers[256],
                            const struct pt_clock_plan *plan);

#endif
