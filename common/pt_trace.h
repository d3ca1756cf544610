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
#include "pt_copycache.h"
#include "pt_dedup.h"
#include "pt_fileid.h"
#include "pt_mem.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

#define PT_TRACE_VERSION 10
/* The oldest version this pytt still reads: version 4 only adds meanings to version 3's bytes,
 * version 5 adds SYSBUF events and the header's sysbuf field, version 6 SHARE events, version 7
 * references in SYSBUF records, version 8 leaves out brk when the buffer was on (pt_sc_unseen),
 * version 9 chunks of several zstd frames, version 10 LOADER events (docs/trace-format.md,
 * Versioning), so an older trace is a version 10 trace without them. */
#define PT_TRACE_MIN_VERSION 3
#define PT_NRLIMITS 16

enum pt_ev_type {
    PT_EV_SYSCALL = 1, /* a syscall: arguments (for divergence checks), result, memory written */
    PT_EV_SIGNAL = 2,  /* a signal delivered at the exit of the preceding syscall event */
    PT_EV_FAULT = 3,   /* a synchronous signal the program raised by executing an instruction */
    PT_EV_RDTSC = 4,   /* a trapped rdtsc/rdtscp and the values it returned */
    PT_EV_END = 5,     /* the end of the recording */
    PT_EV_CLOCK = 6,   /* the Python clock was installed here (pt_clock.h) */
    PT_EV_OUTPUT = 7,  /* a child process wrote this to the inherited stdout/stderr */
    PT_EV_SWITCH = 8,  /* the scheduler let thread `tid` run from here (threads run one at a
                        * time); the thread that ran until now (switch_from) stopped as
                        * switch_at says */
    PT_EV_SYSBUF = 9,  /* calls thread `tid` made through the syscall buffer (pt_sysbuf.h):
                        * their records, as the buffer held them, in regions[0] */
    PT_EV_SHARE = 10,  /* shared mappings protected or opened again (recorder/rec_share.c):
                        * the pages other processes changed (regions), then the protection
                        * each range gets, at the moment share_at says */
    PT_EV_LOADER = 11, /* version 10: what ld.so and glibc's start did, run unstopped
                        * (recorder/rec_loader.c): regions[0] at address 0 is the state
                        * (pt_loader_parse: registers, break, the map), the other regions
                        * the memory that differs from the mapped files */
};

/* When a SHARE event applies. */
enum pt_share_at {
    PT_SHARE_EXIT = 1,  /* at the exit of the thread's preceding SYSCALL event */
    PT_SHARE_TICK = 2,  /* at counted dispatch `tick` */
    PT_SHARE_FAULT = 3, /* at the thread's next access fault (SIGSEGV) in one of the ranges */
    PT_SHARE_ENTRY = 4, /* at the thread's next syscall entry, before the call runs */
};

#define PT_SHARE_MAX 64 /* ranges in one SHARE event */

struct pt_share_range {
    pt_addr addr;
    uint64_t len;
    uint32_t prot;      /* PROT_* the range gets */
    uint32_t open_prot; /* the program's own PROT_* for it (what opening it gives back) */
};

/* Where the thread that ran stopped when a SWITCH gave the CPU to another. */
enum pt_switch_at {
    PT_SWITCH_NONE = 0,   /* no thread was running user code (all were in syscalls) */
    PT_SWITCH_ENTRY = 1,  /* it entered syscall switch_nr and may block there; its SYSCALL
                           * event comes when the call returns */
    PT_SWITCH_TICK = 2,   /* preempted at counted dispatch `tick` (its time slice ended) */
    PT_SWITCH_EXITED = 3, /* it exited */
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
    int32_t tid;   /* the thread it belongs to (recorded thread ids; the first is the pid) */
    uint64_t tick; /* the Python clock's counted dispatches (pt_clock.h's C): SYSCALL: at the
                    * call; SIGNAL: the counted dispatch it was delivered at, or 0 for "at the
                    * exit of the preceding syscall" */
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
    /* Writer only: a PT_MAP_COPY region the per-user copy cache takes (pt_copycache.h), or -1.
     * The writer puts its bytes into a zstd frame of their own: copy_frame when the cache had
     * it (owned by the caller), else compressed now and stored in the cache under copy_key
     * (copy_hash: pt_hash64 of the region's bytes). */
    int copy_region;
    struct pt_copykey copy_key;
    uint64_t copy_hash;
    const uint8_t *copy_frame;
    size_t copy_frame_len;
    /* PT_EV_SIGNAL / PT_EV_FAULT */
    int32_t signo;
    uint8_t siginfo[128];
    /* PT_EV_RDTSC */
    uint64_t rax, rdx, rcx;
    uint8_t insn_len;
    /* PT_EV_CLOCK: the clock's plan (pt_clock.h) */
    struct pt_clock_plan clock_plan;
    /* PT_EV_SWITCH */
    int32_t switch_from;
    uint8_t switch_at;
    int32_t switch_nr;
    /* PT_EV_SHARE */
    uint8_t share_at;
    uint32_t nranges;
    struct pt_share_range ranges[PT_SHARE_MAX];
    /* PT_EV_END */
    uint8_t end_how;
    int32_t end_code; /* exit status, signal number, or 0 */
    char end_msg[512];
};

/* A LOADER event's state (regions[0]): the thread's registers at the moment the recording's
 * first stop came (at a syscall: back on its `syscall` instruction, to make it again), the
 * program break, and every mapping but pytt's own and the kernel's vDSO pages. */
#define PT_LOADER_MAX 512
#define PT_LOADER_HEAP 1u  /* lmap flags: the [heap] (made with brk) */
#define PT_LOADER_STACK 2u /* the [stack] (the kernel's) */
struct pt_loader_map {
    pt_addr addr;
    uint64_t len, off;
    uint32_t prot, flags;
    uint8_t kind;        /* enum pt_map_kind */
    struct pt_fileid id; /* PT_MAP_FILE */
    char path[4096];     /* PT_MAP_FILE (and COPY, for messages) */
};
struct pt_loader {
    uint64_t brk;
    struct user_regs_struct regs;
    struct user_fpregs_struct fpregs;
    uint32_t nmaps;
    struct pt_loader_map *maps; /* nmaps, malloc'd by pt_loader_parse */
};
/* Encode l into out (the bytes of a LOADER event's regions[0]). */
void pt_loader_encode(struct pt_buf *out, const struct pt_loader *l);
/* Decode and check a LOADER event's state into *l (free with pt_loader_free). 0, or -1. */
int pt_loader_parse(const struct pt_event *ev, struct pt_loader *l);
void pt_loader_free(struct pt_loader *l);

/* Are these the records of a SYSBUF event: complete, each sized and bounded, fitting a
 * thread's buffer? 0 if so. */
int pt_sysbuf_records_ok(const uint8_t *p, size_t n);

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
    int32_t pid;    /* the recorded process's pid: its first thread's id in the events */
    uint8_t sysbuf; /* version 5: recorded with the syscall buffer (pt_sysbuf.h) */
};

void pt_header_free(struct pt_header *h);
/* Read only the header of the trace in dir. */
int pt_trace_header_read(const char *dir, struct pt_header *h);
/* Does dir hold a pytt trace (a header file with pytt's magic, of any version)? */
int pt_trace_is_trace(const char *dir);

struct pt_trace_writer {
    char *dir;
    struct pt_chunk_writer ev;
    struct pt_buf scratch;
    struct pt_buf copy_scratch; /* a copy's frame being compressed (pt_copycache.h) */
    char *reserve;         /* a file of PT_TRACE_RESERVE bytes, deleted to make room for the end */
    struct pt_dedup dd;    /* recent read data, logged once (pt_dedup.h) */
    uint64_t lits_written; /* literals in the complete chunks */
};

#define PT_TRACE_RESERVE (256u << 10)

int pt_tracew_open(struct pt_trace_writer *w, const char *dir);
int pt_tracew_header(struct pt_trace_writer *w, const struct pt_header *h);
int pt_tracew_event(struct pt_trace_writer *w, const struct pt_event *ev);
int pt_tracew_flush(struct pt_trace_writer *w);
/* The same, by the event log's own thread when pt_chunkw_async was asked for (pt_chunk.h). */
int pt_tracew_flush_async(struct pt_trace_writer *w);
/* After a failed write (a full disk): free the reserve and write what is buffered if it fits
 * now (returns 1), else drop it (0); the log then ends at its last complete chunk and an END
 * record can still be written. */
int pt_tracew_salvage(struct pt_trace_writer *w);
/* Forget the records not yet written (and the literals they brought). */
void pt_tracew_drop(struct pt_trace_writer *w);
/* Once the last events are written, when the reserve serves no more: give the reserve file the
 * name path, for a file of the trace written then, which takes its inode (a file created less:
 * 0.1-0.5 ms on this host's busy ext4). The caller truncates it. -1 if there is no reserve. */
int pt_tracew_reserve_to(struct pt_trace_writer *w, const char *path);
int pt_tracew_close(struct pt_trace_writer *w);

/* A small file of the trace directory: MAGIC (8 bytes), u32 version, one record in a chunk
 * container (the header, and the files later additions keep beside it). */
int pt_trace_write_small(const char *dir, const char *name, const char *magic,
                         const struct pt_buf *record);
/* Reads it into *record (a malloc'd copy); refuses another magic or version by name. */
int pt_trace_read_small(const char *dir, const char *name, const char *magic,
                        struct pt_buf *record);
/* Escape a string from a trace for the terminal: control characters, DEL, C1 controls and
 * invalid UTF-8 as \xNN (and a backslash as \\). Returns out. */
char *pt_escape(const char *s, char *out, size_t cap);

/* A file the replay maps by path (PT_MAP_FILE), found when the trace is opened. */
struct pt_trace_file {
    char *path;
    struct pt_fileid id;
    uint64_t first_event;
};

struct pt_trace_reader {
    char *dir;
    struct pt_header hdr;
    struct pt_chunk_reader ev;
    struct pt_cur cur;      /* position in the current chunk */
    uint64_t next_seq;      /* number of the next event to decode */
    struct pt_event peeked; /* one event of look-ahead */
    int have_peeked;
    uint64_t nevents;     /* total number of events in the trace */
    uint64_t last_tick;   /* Python tick of the last syscall (the run's last moment) */
    uint64_t duration_ns; /* how long the recording took (from the log's modification time) */
    int cut_short;        /* no END record: one is made up, saying where and why it ends */
    char cut_reason[512];
    struct pt_trace_file *files; /* every file mapped by path, once per (path, identity) */
    size_t nfiles;
    struct pt_dedup dd;    /* the literals SYSBUF references name (pt_dedup.h) */
    uint64_t *chunk_lit;   /* number of each chunk's first literal; [nchunks]: all of them */
    struct pt_buf fetched; /* a chunk loaded to fetch a literal the store lacks */
};

/* Opens DIR, reads the header and validates every record of the event log (so a damaged trace
 * is refused before replay starts). A log cut short (no END record: the recorder was killed,
 * the disk filled up, pytt crashed; or the file ends inside a chunk) is kept up to its last
 * complete chunk and ends with a made-up END record (PT_END_ABORTED) saying so. */
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
