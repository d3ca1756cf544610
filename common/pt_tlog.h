/*
 * pt_tlog: retroactive tracepoints logged inside the tracee. At a traced instruction the watch
 * trampoline calls a small program (instead of trapping) that reads each traced expression's
 * object (a fast local of the frame, or an attribute chain from one: the operands of pt_cond.h)
 * and, when every one is an object whose repr pytt can make from a copy of its memory (None,
 * True, False, an exact float, an exact int of a bounded size, an exact compact ASCII str or an
 * exact bytes of a bounded length), appends an entry to a log in pytt's page:
 *
 *     u64 tick (PT_TICK(C, k), from the published base, the countdown and k)
 *     u64 the instruction (the traced address; it names the code and line)
 *     u32 the entry's size in bytes (a multiple of 8), u32 the number of values
 *     per value: u64 the object's address, u64 the bytes copied (0 for a singleton), then the
 *                copy of the object from its start, padded to 8 bytes
 *
 * The watch trampolines must keep the last dispatch (pt_watch.keep_last): a dispatch of the
 * same frame and instruction as the one before it (an instruction dispatched twice while the
 * program traces itself) traps, for pytt to tell which one sys.settrace reports.
 * Anything else (an unbound local, another type, a str that is not compact ASCII, a value
 * longer than PT_TLOG_COPY_MAX, a full log) makes the program return "trap": pytt then stops
 * at that hit and evaluates it as it always did, so the output is exactly the same. pytt reads
 * and empties the log at every stop of the replay (the log's entries since the last stop all
 * come from the one thread that ran: replay runs one thread at a time), and formats the values
 * from the copies afterwards with the same repr code as for a live object.
 */
#ifndef PT_TLOG_H
#define PT_TLOG_H

#include "pt_cond.h"
#include "pt_startup.h"

#include <stddef.h>
#include <stdint.h>

#define PT_TLOG_VALUES 8     /* expressions per tracepoint logged in the tracee */
#define PT_TLOG_COPY_MAX 256 /* bytes of one object copied at most */
#define PT_TLOG_ENTRY_MAX (24 + PT_TLOG_VALUES * (16 + PT_TLOG_COPY_MAX + 8))
/* The log's header: the write cursor, the end of the buffer, and the count of entries ever
 * written (kept by the tracee: `maint stats`). */
#define PT_TLOG_HDR (PT_PAGE_ADDR + 0x80000)
#define PT_TLOG_BUF (PT_PAGE_ADDR + 0x81000)
#define PT_TLOG_BUF_END (PT_PAGE_ADDR + PT_PAGE_LEN)
/* The shared copy routine the per-instruction programs call. */
#define PT_TLOG_COPY_CODE (PT_PAGE_ADDR + 0x58000)
#define PT_TLOG_COPY_CODE_MAX 1024

struct pt_tlog_hdr {
    uint64_t cursor, end, logged;
};

/* What one traced instruction logs: nvalues operands (0: no program, every hit traps); the
 * attribute steps live in `steps.steps` (its nodes are unused). */
struct pt_tlog {
    int nvalues;
    struct pt_cond_opnd v[PT_TLOG_VALUES];
    struct pt_cond steps;
};

/* Where objects keep what a copy must hold (from DWARF through pyintrospect), and where the
 * clock is (for the tick). */
struct pt_tlog_layout {
    struct pt_cond_layout obj; /* ob_type, ints (size word, digits), None/True/False */
    int64_t digit_size;        /* bytes of one int digit */
    uint64_t float_type, str_type, bytes_type;
    int64_t float_size;          /* bytes of a float object */
    int64_t str_len_off;         /* PyASCIIObject.length */
    int64_t str_state_off;       /* the 32-bit word holding compact and ascii */
    uint32_t str_state_mask;     /* both bits, within that word */
    int64_t str_ascii_size;      /* sizeof(PyASCIIObject): the characters follow */
    int64_t var_size_off;        /* PyVarObject.ob_size (bytes' length) */
    int64_t bytes_data_off;      /* PyBytesObject.ob_sval */
    uint64_t countdown, base_at; /* the clock's countdown word, its published base */
};

/* The shared routine: rax an object (not NULL), rdi where its value goes; advances rdi past it;
 * ZF = 1 when the object cannot be logged. Returns the code's length, 0 if it does not fit. */
size_t pt_tlog_emit_copy(const struct pt_tlog_layout *l, uint8_t *out, size_t cap);
/* The program for one traced instruction, whose address is in the word at instr_at (frame_reg
 * as for pt_cond_emit): returns ZF = 1 (trap) when the hit could not be logged. Its length, 0
 * if it does not fit. */
size_t pt_tlog_emit(const struct pt_tlog *g, const struct pt_tlog_layout *l, int frame_reg,
                    uint64_t instr_at, uint8_t *out, size_t cap);

#endif
