/*
 * rec_internal: the recording session shared by the recorder's files. One process is recorded
 * (threads come later: rec_task will become a table of tasks scheduled one at a time, rr-style).
 */
#ifndef REC_INTERNAL_H
#define REC_INTERNAL_H

#include "recorder.h"

#include "common/pt_clock.h"
#include "common/pt_elf.h"
#include "common/pt_fdkinds.h"
#include "common/pt_ptrace.h"
#include "common/pt_mem.h"
#include "common/pt_syscalls.h"
#include "common/pt_trace.h"

#include <signal.h>
#include <sys/types.h>
#include <sys/user.h>

#define REC_MAX_PENDING 64

struct rec_filecache {
    char path[4096];
    uint64_t dev, ino;
    int64_t mtime_ns;
    struct pt_fileid id;
};

enum rec_clock_state {
    REC_CLOCK_WAIT_MAP = 1, /* opcode_targets lives in a library not mapped yet */
    REC_CLOCK_WAIT_RELRO,   /* mapped; waiting for ld.so to relocate and protect it */
    REC_CLOCK_ON,
};

/* A shared mapping of a file: writes to the file show through it (rec_mmap.c). */
struct rec_shmap {
    pt_addr addr;
    uint64_t len;
    uint64_t dev, ino;
};

/* A traced task descending from the recorded process (rec_child.c). */
struct rec_fdmodel;
struct rec_child {
    pid_t pid;
    int nr; /* syscall in progress, -1 if none */
    uint64_t args[6];
    struct rec_fdmodel *fds; /* shared by the tasks sharing a descriptor table */
    struct pt_mem mem;
};

/* A task's creation, from its creator's PTRACE_EVENT_FORK/VFORK/CLONE stop. */
struct rec_birth {
    pid_t pid, creator;
    int by_recorded;      /* created by the recorded process: carries the recording setup */
    uint64_t clone_flags; /* CLONE_VM, CLONE_FILES, CLONE_THREAD... (vfork: CLONE_VM) */
    struct rec_fdmodel *fds; /* the descriptor model it starts with (one reference) */
};

struct rec_session {
    const struct rec_options *opt;
    struct rec_result *res;
    struct pt_trace_writer tw;
    int tw_open;
    pid_t pid;
    struct pt_mem mem;
    int cpu;
    int64_t start_ns;
    struct pt_pyinfo py;

    struct pt_event ev;
    struct user_regs_struct entry_regs; /* at the current syscall's entry */
    struct user_regs_struct exit_regs;  /* at the last syscall exit */
    int last_was_exit;                  /* the last stop was a syscall exit */
    int in_syscall;
    int64_t last_flush_ns;

    siginfo_t pending[REC_MAX_PENDING]; /* signals deferred to the next syscall exit */
    int npending;
    int resume_sig; /* signal to deliver when resuming */

    struct pt_clock clock;
    struct pt_clock_site clock_site;
    int clock_state;

    struct pt_fdkinds fds; /* the recorded process's original stdout/stderr descriptors */
    struct rec_child *children;
    size_t nchildren, children_cap;
    struct rec_birth *births; /* creations whose task has not stopped yet */
    size_t nbirths, births_cap;
    pid_t waiting[256]; /* tasks stopped before their creator's event named them */
    size_t nwaiting;

    struct rec_shmap *shmaps;
    size_t nshmaps, shmaps_cap;

    struct rec_filecache *files;
    size_t nfiles, files_cap;

    char **srcpaths; /* Python sources the program read or loaded the code of (rec_sources.c) */
    size_t nsrcpaths;
    char exe_path[4096];

    int storage_errno;  /* the trace cannot be written any more (rec_release.c) */
    char storage_msg[768];
    uint64_t stopped_at; /* events in the trace when it stopped */
};

/* rec_spawn.c: start the command and follow it to the exit of its CPython execve. */
int rec_spawn(struct rec_session *s);
/* rec_start.c: capture the header and prepare the process (vDSO, pytt page, rdtsc). */
int rec_start(struct rec_session *s);
/* Write the trace's meta file (pt_meta.h) in this state. */
int rec_meta(struct rec_session *s, int state);
/* rec_syscall.c */
int rec_syscall_entry(struct rec_session *s, const struct pt_stop *st);
int rec_syscall_exit(struct rec_session *s);
/* rec_signal.c */
int rec_signal_stop(struct rec_session *s, int sig);
int rec_deliver_pending(struct rec_session *s);
/* rec_mmap.c: decide how replay reproduces a file mapping; fills s->ev. */
int rec_mmap_classify(struct rec_session *s, const struct pt_sc_call *c);
/* rec_clock.c: the Python clock (pt_clock.h) during recording. */
int rec_clock_start(struct rec_session *s);
int rec_clock_after_syscall(struct rec_session *s, int nr, const uint64_t *a, int64_t ret);
int rec_clock_tick(struct rec_session *s, uint64_t *tick);
int rec_clock_rearm(struct rec_session *s);
/* rec_signal.c: a trap of the Python clock. */
int rec_clock_trap(struct rec_session *s);
/* rec_mmap.c: keep shared file mappings coherent with writes to their files. */
int rec_mmap_track(struct rec_session *s, const struct pt_sc_call *c);
/* rec_child.c: a stop of a child (or further descendant) of the recorded process; a creation
 * event (fork/vfork/clone) of any traced task; freeing the table. */
int rec_child_stop(struct rec_session *s, const struct pt_stop *st);
int rec_child_birth(struct rec_session *s, const struct pt_stop *st);
void rec_child_free(struct rec_session *s);
/* rec_sources.c */
void rec_sources_note(struct rec_session *s, int nr, int64_t ret);
int rec_sources_write(struct rec_session *s);
void rec_sources_free(struct rec_session *s);
/* rec_release.c: the trace cannot be written (a full disk): end it, then let the program go
 * at its next syscall exit (rec_release: 0 released, 1 it had to be killed). */
int rec_storage_failed(struct rec_session *s);
int rec_release(struct rec_session *s);
/* rec_loop.c */
int rec_write_event(struct rec_session *s);
int rec_abort(struct rec_session *s, const char *why);
int64_t rec_now_ns(void);
int64_t rec_wall_ns(void);

#endif
