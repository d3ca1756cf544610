/*
 * pt_procs: the processes of a recording made with `pytt record --children`, for `pytt ps`
 * and `pytt replay -p PID / --child N`: the recorded process itself (from its header and meta),
 * every descendant each recorder saw (its TRACE/processes index, and those of the recorded
 * children under TRACE/procs/PID), with where each recorded one's trace is.
 */
#ifndef PT_PROCS_H
#define PT_PROCS_H

#include <stddef.h>
#include <stdint.h>

enum {
    PT_PROC_TOP = 1,
    PT_PROC_RECORDED,
    PT_PROC_FORK,
    PT_PROC_OTHER,
    PT_PROC_UNUSABLE,
    PT_PROC_UNCHECKED /* exec'd in a recording made without --children */
};

struct pt_procinfo {
    int pid, ppid;            /* ppid 0: not known */
    int64_t start_ns, end_ns; /* end 0: not seen to end (it outlived its recorder) */
    int how, code;            /* PT_END_*, 0 if unknown */
    int kind;                 /* PT_PROC_* */
    int child_nr;             /* the N of --child N for a recorded child, else 0 */
    char cmd[512];
    char dir[4096]; /* its trace, for the top process and recorded children */
};

/* Every process, sorted by start time (the top one first). */
int pt_procs_list(const char *trace_dir, struct pt_procinfo **out, size_t *n);
/* The trace directory of recorded process pid (or, pid 0, of the child_nr-th recorded child). */
int pt_procs_find(const char *trace_dir, int pid, int child_nr, char *out, size_t cap);

#endif
