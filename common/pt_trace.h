/*
 * pt_trace: the on-disk trace (format described in docs/trace-format.md, versioned by
 * PT_TRACE_VERSION) and its in-memory records.
 *
 * A trace directory holds two files, each a pt_chunk container:
 *   header  "PYTTRACE" u32-version, then one record: how the process was started (binary and
 *           its identity, argv, envp, cwd, rlimits, personality, the initial stack image, the
 *           address of pytt's own page in the tracee).
 *   events  the nondeterminism log: one record per syscall, signal, trapped rdtsc, and a final
 *           END record saying how the run ended.
 * Both the recorder and the replayer use these structs; only this file knows the byte layout.
 */
#ifndef PT_TRACE_H
#define PT_TRACE_H

#include "pt_buf.h"
#include "pt_chunk.h"
#include "pt_clock.h"
#include "pt_mem.h"

#include <stddef.h>
#include <stdint.h>

#define PT_TRACE_VERSION 1
#define PT_NRLIMITS 16

/* How a file the program mapped is identified across record and replay. */
enum pt_fileid_kind { PT_FILEID_NONE = 0, PT_FILEID_BUILDID = 1, PT_FILEID_HASH = 2 };

struct pt_fileid {
    uint64_t size;
    int64_t mtime_ns;
    uint8_t kind;
    uint8_t len;
    uint8_t id[32];
};

enum pt_ev_type {
    PT_EV_SYSCALL = 1, /* a syscall: arguments (for divergence checks), result, memory written */
    PT_EV_SIGNAL = 2,  /* a signal delivered at the exit of the preceding syscall event */
    PT_EV_FAULT = 3,   /* a synchronous signal the program raised by executing an instruction */
    PT_EV_RDTSC = 4,   /* a trapped rdtsc/rdtscp and the values it returned */
    PT_EV_END = 5,     /* the end of the recording */
    PT_EV_CLOCK = 6,   /* the Python clock was installed here (pt_clock.h) */
    PT_EV_OUTPUT = 7,  /* a child process wrote this to the inherited stdout/stderr */
};

/* How a mmap'd file is reproduced at replay. */
enum pt_map_kind {
    PT_MAP_NONE = 0, /* anonymous mapping, or not an mmap */
    PT_MAP_FILE = 1, /* map the same file again, after checking its identity */
    PT_MAP_COPY = 2, /* anonymous mapping filled with the recorded bytes (the regions) */
};

enum pt_end_how { PT_END_EXITED = 1, PT_END_SIGNALED = 2, PT_END_ABORTED = 3 };

struct pt_region {
    pt_addr addr;
    size_t len;
    size_t off; /* offset of the bytes in the event's data buffer */
};

struct pt_event {
    uint64_t seq; /* event number, from 0 */
    uint8_t type;
    uint64_t tick; /* SYSCALL: Python clock at the call; SIGNAL: tick it was delivered at, or 0
                    * for "at the exit of the preceding syscall" */
    /* PT_EV_SYSCALL */
    int32_t nr;
    uint8_t nargs;
    uint64_t args[6];
    int64_t ret;
    uint8_t map_kind;
    char map_path[4096];
    struct pt_fileid map_id;
    size_t nregions, regions_cap;
    struct pt_region *regions;
    struct pt_buf data;
    /* PT_EV_SIGNAL / PT_EV_FAULT */
    int32_t signo;
    uint8_t siginfo[128];
    /* PT_EV_RDTSC */
    uint64_t rax, rdx, rcx;
    uint8_t insn_len;
    /* PT_EV_CLOCK */
    uint64_t clock_table;          /* address of opcode_targets */
    struct pt_clock_plan clock_plan; /* what was installed (pt_clock.h) */
    /* PT_EV_END */
    uint8_t end_how;
    int32_t end_code; /* exit status, signal number, or 0 */
    char end_msg[512];
};

void pt_event_init(struct pt_event *ev);
void pt_event_free(struct pt_event *ev);
/* Prepare ev for a new record of the given type (keeps its buffers). */
void pt_event_reset(struct pt_event *ev, uint8_t type);
/* Append a region and return where its len bytes go (valid until the next add). */
uint8_t *pt_event_add_region(struct pt_event *ev, pt_addr addr, size_t len);
const uint8_t *pt_event_region_data(const struct pt_event *ev, size_t i);

struct pt_header {
    uint32_t version;
    char *pytt_version;
    int64_t record_time_ns;
    char *hostname;
    char *kernel;
    char *exe_path; /* the interpreter binary the run ended up in (/proc/PID/exe) */
    struct pt_fileid exe_id;
    char *interp_path; /* its ELF interpreter (ld.so) */
    struct pt_fileid interp_id;
    char *exec_filename; /* the execve() pathname as the program was started */
    size_t argc, envc;
    char **argv, **envp;
    char *cwd;
    uint64_t personality;
    uint64_t sig_ignored, sig_blocked; /* dispositions inherited at exec (bit N-1: signal N) */
    uint64_t rlim_cur[PT_NRLIMITS], rlim_max[PT_NRLIMITS];
    uint64_t rip, rsp, stack_end; /* registers/stack at the first instruction */
    uint8_t *stack;               /* the initial stack image [rsp, stack_end) */
    size_t stack_len;
    uint64_t page_addr, page_len; /* pytt's page in the tracee */
    int32_t cpu;
};

void pt_header_free(struct pt_header *h);

struct pt_trace_writer {
    char *dir;
    struct pt_chunk_writer ev;
    struct pt_buf scratch;
};

int pt_tracew_open(struct pt_trace_writer *w, const char *dir);
int pt_tracew_header(struct pt_trace_writer *w, const struct pt_header *h);
int pt_tracew_event(struct pt_trace_writer *w, const struct pt_event *ev);
int pt_tracew_flush(struct pt_trace_writer *w);
int pt_tracew_close(struct pt_trace_writer *w);

struct pt_trace_reader {
    char *dir;
    struct pt_header hdr;
    struct pt_chunk_reader ev;
    struct pt_cur cur;      /* position in the current chunk */
    uint64_t next_seq;      /* number of the next event to decode */
    struct pt_event peeked; /* one event of look-ahead */
    int have_peeked;
    uint64_t nevents;   /* total number of events in the trace */
    uint64_t last_tick; /* Python tick of the last syscall (the run's last moment) */
};

/* Opens DIR, reads the header and validates every chunk of the event log. */
int pt_tracer_open(struct pt_trace_reader *r, const char *dir);
/* Returns 1 with *ev filled, 0 at the end of the log, -1 on a corrupt record. */
int pt_tracer_next(struct pt_trace_reader *r, struct pt_event *ev);
/* The next event without consuming it (NULL at the end or on error; check pt_errmsg). */
const struct pt_event *pt_tracer_peek(struct pt_trace_reader *r);
/* Position the reader so that the next event returned is number `seq`. */
int pt_tracer_seek(struct pt_trace_reader *r, uint64_t seq);
/* Number of events consumed so far (the number of the next event to replay). */
uint64_t pt_tracer_pos(const struct pt_trace_reader *r);
void pt_tracer_close(struct pt_trace_reader *r);

#endif
