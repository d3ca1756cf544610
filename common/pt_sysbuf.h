/*
 * pt_sysbuf: the layout shared by pytt and its in-process syscall buffer (issue 15; rr's
 * "syscallbuf"). Recording stops a thread at a syscall only when pytt must see it: a seccomp
 * filter (pt_seccomp.c) traps every call except those made from one `syscall` instruction in
 * pytt's page (PT_SYSBUF_STUB). A small library preloaded into the recorded interpreter
 * (recorder/preload/pytt_preload.c) wraps the frequent, cheap calls (clock reads, reads, seeks
 * and stats of regular files, getpid, getrandom, writes to regular files): it makes them
 * through that stub, with no stop, and appends each call's result and output bytes to its
 * thread's buffer here. pytt drains a thread's buffer into the trace (a SYSBUF event) at every
 * stop where the thread is not inside the library (syscall entries, clock traps) and when the
 * library asks because its buffer is full. Replay runs the same library in REPLAY mode: it
 * makes no call at all and takes each result from the buffer, which the replayer fills from
 * the SYSBUF events before the thread runs; a call that differs from the recorded one, in
 * number, arguments or Python tick, is a divergence like any other. pytt touches a buffer
 * only while its thread is stopped and not inside a wrapper (the header's busy flag), and a
 * record counts only once complete, so the two sides never meet halfway.
 *
 * Everything here lives at fixed addresses mapped identically at record and replay by
 * pt_startup_inject: the control block (mode, the Python clock's countdown, which descriptors
 * may be buffered), then one buffer per thread that asked for one.
 */
#ifndef PT_SYSBUF_H
#define PT_SYSBUF_H

#include <stdint.h>

/* A syscall number the kernel does not have (it answers ENOSYS without pytt): the library's
 * requests to pytt, first argument one of the ops below. */
#define PT_SYSBUF_NR 0x7079
enum {
    PT_SYSBUF_HELLO = 1,   /* this thread wants a buffer: returns its address, or -errno.
                            * Logged as a syscall event, so replay returns the same. With
                            * PT_SYSBUF_HELLO_LATER as second argument (the library's
                            * constructor), -EAGAIN while the loader runs unstopped
                            * (recorder/rec_loader.c): ask again at the first wrapped call,
                            * which ends that phase. Not an event then. */
    PT_SYSBUF_FLUSH = 2,   /* record: the buffer is full, drain it; replay: it is used up,
                            * refill it. Not an event. */
    PT_SYSBUF_DIVERGE = 3, /* replay: the call just made (nr, a0-a2 in the next arguments'
                            * record at arg 1) is not the recorded one. Not an event. */
};

#define PT_SYSBUF_HELLO_LATER 1

#define PT_SYSBUF_AREA 0x7f0000100000ull /* right after pytt's page */
#define PT_SYSBUF_CTL PT_SYSBUF_AREA
#define PT_SYSBUF_CTL_LEN 0x10000ull
#define PT_SYSBUF_SLOT_LEN 0x40000ull /* one thread's buffer: header and records */
#define PT_SYSBUF_SLOTS 64
#define PT_SYSBUF_AREA_LEN (PT_SYSBUF_CTL_LEN + PT_SYSBUF_SLOTS * PT_SYSBUF_SLOT_LEN)
#define PT_SYSBUF_SLOT(i) (PT_SYSBUF_AREA + PT_SYSBUF_CTL_LEN + (uint64_t)(i)*PT_SYSBUF_SLOT_LEN)
/* The `syscall; ret` the library's unstopped calls go through (in pytt's page). */
#define PT_SYSBUF_STUB 0x7f0000000040ull
#define PT_SYSBUF_MAXFD 4096
#define PT_SYSBUF_MAX_OUT 0x20000 /* larger reads are made the ordinary, stopped way */

enum { PT_SYSBUF_OFF = 0, PT_SYSBUF_RECORD = 1, PT_SYSBUF_REPLAY = 2 };
/* ctl.fd[] bits, kept by pytt from the program's descriptor operations */
#define PT_SYSBUF_FD_READ 1  /* a regular file: read, pread, lseek, fstat without a stop */
#define PT_SYSBUF_FD_WRITE 2 /* ... and write, pwrite (not the stdout/stderr replay shows) */
#define PT_SYSBUF_FD_DIR 4   /* a directory: getdents64, lseek, fstat, close without a stop */

/* pt_sysbuf_rec.flags: the low byte of an openat's record is the table entry the library gave
 * the new descriptor; NOCOPY says the record's bytes are for pytt (the opened path, for the
 * trace's sources), not bytes the call wrote: replay writes nothing. */
#define PT_SYSBUF_REC_BITS 0xff
#define PT_SYSBUF_REC_NOCOPY 0x100
/* In the trace only (version 7, pt_dedup.h): the record's bytes are an earlier record's, named
 * by the u64 literal number that stands in their place. */
#define PT_SYSBUF_REC_REF 0x200

#define PT_SYSBUF_SHM 16
#define PT_SYSBUF_SHM_MANY 0xffffffffu

struct pt_sysbuf_ctl {
    uint32_t mode;      /* PT_SYSBUF_OFF in a process pytt does not record (a fork child) */
    uint32_t nshm;      /* record: the files the program maps shared (shm below), or
                         * PT_SYSBUF_SHM_MANY; the library's opens give such a file's descriptor no
                         * PT_SYSBUF_FD_WRITE: a write to it must refresh the mappings (rec_mmap.c),
                         * which only a stopped write does */
    uint64_t countdown; /* address of the Python clock's countdown, 0 until it is installed */
    uint64_t base;      /* the clock's base: C = base - countdown (pt_clock.h), kept by pytt */
    uint32_t moved;     /* replay: pytt moved the base while the thread ran (not checked) */
    uint32_t nshared;   /* record: the memory the program maps shared (shared_at below), or
                         * PT_SYSBUF_SHM_MANY: rec_mmap.c must see it unmapped, so the
                         * library's munmap of a range that touches it goes the plain way */
    uint8_t fd[PT_SYSBUF_MAXFD];
    struct {
        uint64_t dev, ino;
    } shm[PT_SYSBUF_SHM];
    struct {
        uint64_t start, end;
    } shared_at[PT_SYSBUF_SHM];
};

struct pt_sysbuf_hdr {
    uint32_t nrec, used;   /* records and their bytes after this header */
    uint32_t pos, pos_off; /* replay: records and bytes consumed */
    uint32_t cap;          /* bytes available after this header */
    uint32_t busy;         /* the library is inside a wrapper: pytt leaves the buffer alone */
    uint32_t more;         /* replay: a batch of this thread's records waits at the log's head */
    uint32_t pad;
};

/* One buffered call, followed by outlen bytes padded to 8. */
struct pt_sysbuf_rec {
    uint32_t size; /* of the record with its bytes */
    uint16_t nr;
    uint16_t flags;
    uint32_t outlen; /* bytes the call wrote at `out` */
    uint32_t pad;
    int64_t ret;
    uint64_t a[3]; /* the arguments replay compares (a path as its hash) */
    uint64_t tick; /* the Python clock's counted dispatches (C) at the call, 0 before it runs */
    uint64_t seen; /* replay: C at the call as replayed, 0 when not known */
    uint64_t out;  /* where the bytes went */
};

#define PT_SYSBUF_ROUND(n) (((uint64_t)(n) + 7) & ~7ull)

/* FNV-1a of a path, as the library compares paths. */
static inline uint64_t pt_sysbuf_hash(const char *p)
{
    uint64_t h = 1469598103934665603ull;
    for (; p && *p; p++) {
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    }
    return h;
}

#endif
