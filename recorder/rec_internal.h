/*
 * rec_internal: the recording session shared by the recorder's files. One process is recorded,
 * with all its threads, which run one at a time (rec_sched.c); its descendants are traced for
 * their output only (rec_child.c).
 */
#ifndef REC_INTERNAL_H
#define REC_INTERNAL_H

#include "recorder.h"

#include "common/pt_clock.h"
#include "common/pt_elf.h"
#include "common/pt_fdkinds.h"
#include "common/pt_ptrace.h"
#include "common/pt_seccomp.h"
#include "common/pt_mem.h"
#include "common/pt_syscalls.h"
#include "common/pt_sysbuf.h"
#include "common/pt_trace.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/user.h>

#define REC_MAX_PENDING 64
#define REC_MAX_THREADS 4096

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

/* A shared mapping (of a file, or shared anonymous memory): writes to the file show through
 * it, and so do the writes of descendants that map it too (rec_mmap.c, rec_gate.c). */
struct rec_shmap {
    pt_addr addr;
    uint64_t len;
    uint64_t dev, ino; /* 0, 0 for shared anonymous memory */
    uint8_t *shadow;   /* its bytes as replay will have them (last logged), NULL if too large */
    int prot;          /* the program's PROT_* for it */
    int closed;        /* made inaccessible by pytt (rec_share.c) */
};

/* A traced task descending from the recorded process (rec_child.c). */
struct rec_fdmodel;
struct rec_child {
    pid_t pid;
    int nr; /* syscall in progress, -1 if none */
    uint64_t args[6];
    int in_syscall;          /* between its entry and exit stops: runs no user code */
    int held;                /* at a stop pytt keeps it in while the gate is closed (rec_gate.c) */
    int held_sig;            /* the signal to resume it with */
    int stop_sent;           /* a SIGSTOP pytt sent to stop it is still to come: not the task's */
    int up_counted;          /* counted in the upstream gate (rec_gate_peers.c) */
    int up_held;             /* held because the upstream gate is shut */
    struct rec_fdmodel *fds; /* shared by the tasks sharing a descriptor table */
    struct pt_mem mem;
};

/* A task's creation, from its creator's PTRACE_EVENT_FORK/VFORK/CLONE stop. */
struct rec_birth {
    pid_t pid, creator;
    int by_recorded;         /* created by the recorded process: carries the recording setup */
    uint64_t clone_flags;    /* CLONE_VM, CLONE_FILES, CLONE_THREAD... (vfork: CLONE_VM) */
    struct rec_fdmodel *fds; /* the descriptor model it starts with (one reference) */
};

/* A thread of the recorded process (rec_sched.c). Exactly one thread runs user code at a
 * time (`cur`); others are stopped at a ptrace stop, ready to be scheduled, or were let into a
 * syscall that may block and will stop at its exit. */
enum rec_tstate {
    REC_T_NEW = 0, /* created (its creator's clone event); its first stop not seen yet */
    REC_T_READY,   /* stopped, and may run: waiting in the ready queue */
    REC_T_CURRENT, /* the thread whose user code runs */
    REC_T_KERNEL,  /* let into a syscall while others run; stops at its exit */
};

struct rec_thread {
    pid_t tid;
    int state;
    int resumed;                        /* running (not at a ptrace stop) */
    struct user_regs_struct entry_regs; /* at the current syscall's entry */
    struct user_regs_struct exit_regs;  /* at the last syscall exit */
    int last_was_exit;                  /* its last stop was a syscall exit */
    int in_syscall;                     /* between its entry and exit stops */
    int resume_sig;                     /* signal to deliver when resumed */
    struct rec_thread *next_ready;      /* ready queue link */
    /* The call the thread is in, as the syscall table knows it: for restart_syscall, the
     * interrupted call it continues (a futex wait, nanosleep, poll...: whether it blocks and
     * what it writes are that call's), else orig_rax. */
    int call_nr;
    int restart_nr;        /* the call a restart_syscall would continue, or -1 */
    uint64_t sysbuf;       /* its syscall buffer in the tracee (pt_sysbuf.h), 0 if none */
    int sysbuf_slot;       /* ... its slot */
    int64_t sysbuf_answer; /* the answer to the request it is making (rec_sysbuf.c) */
    int no_exit;           /* resume past this entry with no exit stop (a buffer request) */
};

/* A signal held back to be delivered to thread `tid` at a moment replay can find again. */
struct rec_pending {
    siginfo_t si;
    pid_t tid;
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
    pid_t ev_tid; /* the thread whose stop is being handled: the events it makes are its own */
    int64_t last_flush_ns;

    struct rec_thread **threads; /* the recorded process's threads (rec_sched.c) */
    size_t nthreads;
    struct rec_thread *cur;     /* running user code, NULL if none */
    struct rec_thread *exiting; /* ending: nothing runs until it is gone */
    int dying; /* exit_group, or a fatal signal delivered: the other threads die with it */
    struct rec_thread *ready_head, *ready_tail;
    pid_t switch_from;        /* the thread that ran before the next SWITCH, and where it */
    int switch_at, switch_nr; /* stopped (PT_SWITCH_*) */
    uint64_t switch_tick;
    uint64_t slice_end; /* counted dispatch where cur's time slice ends, 0 if unarmed */
    uint64_t slice_len; /* its length, adapted to last about a millisecond */
    int64_t slice_start_ns;
    uint64_t armed_for; /* counted dispatch the countdown is armed for, 0 if idle */
    uint64_t rng;       /* --chaos: xorshift state */
    uint64_t nswitches;

    struct rec_pending pending[REC_MAX_PENDING]; /* signals deferred to a deliverable moment */
    int npending;

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
    int gate_open;           /* descendants may run user code now (rec_gate.c) */
    int cur_waits_for_child; /* the current thread is in vfork (or clone with CLONE_VFORK) */
    int64_t gate_shut_ns;    /* when the gate last closed */
    int gate_unwatched;      /* opened with nobody to share with: no baseline taken (rec_gate.c) */

    struct rec_filecache *files;
    size_t nfiles, files_cap;
    struct {
        int valid, elf;
        uint64_t dev, ino, size;
        int64_t mtime_ns;
    } last_elf;               /* the last file rec_mmap.c checked for ELF magic */
    struct pt_buf copy_frame; /* the current event's copy from the copy cache (rec_mmap.c) */

    struct rec_srcpath *srcpaths; /* Python sources the program read or loaded the code of */
    size_t nsrcpaths;             /* (rec_sources.c) */
    char exe_path[4096];

    /* --children (rec_adopt.c): the processes seen, the pipe child recorders send output on */
    struct rec_procent *procs;
    size_t nprocs, procs_cap;
    int fwd_rd, fwd_wr;
    int nadopted;
    char procs_dir[4096];
    /* the token shared by all the recorders of the tree (rec_gate_peers.c) */
    struct rec_peer_gate *grp;
    int grp_fd;
    struct rec_peer_slot *grp_slot;
    int up_waiting;           /* a fork child waits for nobody to hold the token */
    uint64_t share_slice_end; /* counted dispatch where an open mapping is closed (rec_share.c) */

    /* the syscall buffer (rec_sysbuf.c): on, the slots given to threads */
    int sysbuf;
    uint8_t sysbuf_slots[PT_SYSBUF_SLOTS];
    uint8_t sysbuf_fd[PT_SYSBUF_MAXFD]; /* what ctl.fd holds in the tracee */
    int sysbuf_table_logged;            /* a HELLO event carried the whole table */
    uint32_t sysbuf_nshm;               /* what ctl.nshm and ctl.shm hold in the tracee */
    uint32_t sysbuf_nshared;            /* what ctl.nshared and ctl.shared_at hold */
    struct {
        uint64_t start, end;
    } sysbuf_shared_at[PT_SYSBUF_SHM];
    struct {
        uint64_t dev, ino;
    } sysbuf_shm[PT_SYSBUF_SHM];

    /* the loader runs unstopped until the first stop (rec_loader.c) */
    struct {
        int pending;
        int wanted;
        struct pt_seccomp_loader filter; /* ld.so's code, the descriptors inherited */
        uint64_t sig_ignored, sig_blocked;
        struct rec_span {
            uint64_t addr, len;
        } * redacted; /* --redact-env: what the header's stack image has as X's */
        size_t nredacted;
    } loader;

    int storage_errno; /* the trace cannot be written any more (rec_release.c) */
    char storage_msg[768];
    uint64_t stopped_at; /* events in the trace when it stopped */
};

/* rec_sysbuf.c: the in-process syscall buffer (common/pt_sysbuf.h). */
/* The library to preload, or NULL when it is not found next to pytt. */
const char *rec_sysbuf_library(void);
/* At startup (execve exit): the filter, the control block, the inherited descriptors. */
int rec_sysbuf_start(struct rec_session *s);
/* The process's descriptors, all looked at again for the table (when the loader's phase ends:
 * files opened during it may still be open). */
int rec_sysbuf_rescan_fds(struct rec_session *s);
/* Move what thread t's buffer holds into the trace (a SYSBUF event), if it may be touched. */
int rec_sysbuf_drain(struct rec_session *s, struct rec_thread *t);
/* At a syscall entry: the library's requests (returns 1 when handled: no event, no exit
 * stop), and calls that create processes (the buffer is off in the child). */
int rec_sysbuf_at_entry(struct rec_session *s, struct rec_thread *t, int nr, const uint64_t *a);
/* At a syscall exit: the answer to a HELLO, the buffer back on after a fork. */
int rec_sysbuf_at_exit(struct rec_session *s, struct rec_thread *t, int nr, const uint64_t *a,
                       struct user_regs_struct *r);
/* After a completed call (and the stream model's update): the descriptor table. */
int rec_sysbuf_fds(struct rec_session *s, int nr, const uint64_t *a, int64_t ret);
/* A thread ended: its slot is free again. */
void rec_sysbuf_thread_gone(struct rec_session *s, struct rec_thread *t);
/* The Python clock was installed: the library reads its countdown. */
int rec_sysbuf_clock(struct rec_session *s);

/* rec_passthrough.c: hand tasks, each in a ptrace-stop of pytt's, to a tracer process that
 * lets every call through (tasks under the recording's seccomp filter cannot run without one). */
int rec_passthrough(const pid_t *tids, int n);
/* rec_child.c: at the end of a recording under the filter, hand the descendants still
 * running to that tracer. */
int rec_child_handoff(struct rec_session *s);

/* rec_spawn.c: start the command and follow it to the exit of its CPython execve. */
int rec_spawn(struct rec_session *s);
/* rec_start.c: capture the header and prepare the process (vDSO, pytt page, rdtsc). */
int rec_start(struct rec_session *s);
/* rec_sched.c: the threads of the recorded process, run one at a time. */
struct rec_thread *rec_thread_find(struct rec_session *s, pid_t tid);
struct rec_thread *rec_thread_add(struct rec_session *s, pid_t tid, int state);
/* Resume a thread stopped at an event while it was let into a syscall (not current). */
int rec_sched_resume_in_kernel(struct rec_thread *t);
/* A new thread's first stop: it becomes ready. */
int rec_thread_first_stop(struct rec_session *s, struct rec_thread *t);
/* A thread ended (it exited, or the whole process did). */
void rec_thread_gone(struct rec_session *s, struct rec_thread *t);
/* A thread let into the kernel stopped at its syscall's exit: it becomes ready (and, if the
 * current thread is waiting in a syscall that may block, runs instead). */
int rec_thread_returned(struct rec_session *s, struct rec_thread *t);
/* The current thread entered a syscall (row sc): let another run if it may block. */
int rec_sched_at_entry(struct rec_session *s, const struct pt_syscall *sc, int nr);
/* The current thread trapped at a counted dispatch: preempt it if its slice has ended. */
int rec_sched_at_tick(struct rec_session *s);
/* Make sure a thread runs user code if one can, and that it is resumed. */
int rec_sched_run(struct rec_session *s);
/* A SWITCH from the current thread (or, when none is, the last that ran and left at a
 * syscall entry) to itself at its syscall entry: marks, for replay, the moment from which the
 * events of other threads may carry what descendants wrote to shared memory (rec_gate.c);
 * replay applies them only once that thread has reached this entry. */
int rec_sched_mark_entry(struct rec_session *s);
/* Is any thread other than the current one ready to run? */
int rec_sched_others_ready(const struct rec_session *s);
/* The counted dispatch where the current thread's time slice ends (0: no slice, one thread). */
uint64_t rec_sched_slice_end(struct rec_session *s, uint64_t now);
void rec_sched_free(struct rec_session *s);
/* Write the trace's meta file (pt_meta.h) in this state. */
int rec_meta(struct rec_session *s, int state);
/* rec_syscall.c */
int rec_syscall_entry(struct rec_session *s, struct rec_thread *t, const struct pt_stop *st);
int rec_syscall_exit(struct rec_session *s, struct rec_thread *t);
/* rec_signal.c */
int rec_signal_stop(struct rec_session *s, struct rec_thread *t, int sig);
int rec_deliver_pending(struct rec_session *s, struct rec_thread *t);
/* rec_mmap.c: decide how replay reproduces a file mapping; fills s->ev. */
int rec_mmap_classify(struct rec_session *s, const struct pt_sc_call *c);
/* How replay rebuilds a mapping of the file at path (open_path: where to read it now, st: its
 * stat): PT_MAP_FILE (*id: its identity) or PT_MAP_COPY; -1 on error. */
int rec_mmap_file_kind(struct rec_session *s, const char *path, const char *open_path,
                       const struct stat *st, int shared, const struct pt_fileid **id);

/* A shared mapping that exists already (the loader's phase mapped it: rec_loader.c), watched
 * from now on as rec_mmap_classify's are (st NULL: not a regular file's). */
void rec_mmap_note_shared(struct rec_session *s, pt_addr addr, uint64_t len, int prot,
                          const struct stat *st);
/* The current event's region (the bytes of the file st describes from offset off) goes into a
 * zstd frame of its own that the per-user copy cache keeps (pt_copycache.h). */
void rec_mmap_copy_cache(struct rec_session *s, const struct stat *st, uint64_t off, size_t region);

/* rec_loader.c: the loader runs unstopped; its outcome is one LOADER event at the first stop. */
/* Should this recording let the loader run unstopped? */
int rec_loader_wanted(const struct rec_session *s);
/* Install the loader's filter (instead of the recording's, added at the first stop). */
int rec_loader_install(struct rec_session *s);
/* At a syscall entry stop (t->entry_regs read): while the loader runs unstopped, the first
 * stop logs its outcome (LOADER event), adds the recording's filter and makes the call again
 * (1: the stop is handled); rseq fails with ENOSYS unseen (1). 0 otherwise. */
int rec_loader_at_entry(struct rec_session *s, struct rec_thread *t, int nr);

/* rec_clock.c: the Python clock (pt_clock.h) during recording. */
int rec_clock_start(struct rec_session *s);
int rec_clock_after_syscall(struct rec_session *s, int nr, const uint64_t *a, int64_t ret);
/* Right after the LOADER event: install the clock if ld.so has relocated and protected it. */
int rec_clock_after_loader(struct rec_session *s);
int rec_clock_tick(struct rec_session *s, uint64_t *tick);
int rec_clock_rearm(struct rec_session *s);
/* rec_signal.c: a trap of the Python clock. */
int rec_clock_trap(struct rec_session *s, struct rec_thread *t);
/* rec_mmap.c: keep shared file mappings coherent with writes to their files. */
int rec_mmap_track(struct rec_session *s, const struct pt_sc_call *c);
/* rec_child.c: a stop of a child (or further descendant) of the recorded process; a creation
 * event (fork/vfork/clone) of any traced task; freeing the table. */
int rec_child_stop(struct rec_session *s, const struct pt_stop *st);
int rec_child_birth(struct rec_session *s, const struct pt_stop *st);
void rec_child_free(struct rec_session *s);
/* Stop every descendant task that may be running user code (SIGSTOP, waiting for its stop);
 * tasks inside a syscall are kept at their exit stop instead. */
int rec_child_hold_all(struct rec_session *s);
/* Resume the descendant tasks held at a stop. */
int rec_child_release_all(struct rec_session *s);
/* Resume the tasks held only because the upstream gate was shut (rec_gate_peers.c). */
int rec_child_release_upstream(struct rec_session *s);
/* Handle the stops descendant tasks have reached, without waiting. */
int rec_child_poll(struct rec_session *s);
/* Wait for the SIGSTOPs pytt sent that are still to come, and swallow them. */
int rec_child_drain_stops(struct rec_session *s);
/* The recording is over (or released): descendants run freely from now on. */
/* rec_gate.c: descendants that share memory with the recorded process run only while it
 * waits in a syscall, and what they wrote there is logged when it returns. */
int rec_gate_active(const struct rec_session *s);
/* The current thread entered a syscall and stays current: open the gate if it may block, waits
 * for a child (vfork), or the gate has been shut long. */
int rec_gate_at_entry(struct rec_session *s, int may_block, int waits_for_child);
/* Every thread of the process waits in the kernel: open the gate. */
int rec_gate_idle(struct rec_session *s);
/* Thread t stopped at a syscall exit, before its event is written: shut the gate, logging the
 * shared pages that changed into that event. */
int rec_gate_at_exit(struct rec_session *s, struct rec_thread *t, int64_t ret);
int rec_gate_end(struct rec_session *s);
/* A descendant task is about to run for the first time: take the baseline gate_open skipped. */
void rec_gate_new_child(struct rec_session *s);
/* rec_gate_peers.c: the token the recorders of a tree (--children) share, so that their
 * processes with shared mappings run user code one at a time. A slot (and the memfd) for a new
 * child recorder; a child recorder's attach to it; give the token back (the gate opens); take
 * it and wait for the others' fork children to stop (the gate shuts); the end (top: nobody
 * waits any more); may a fork child of a child recorder (its flag `counted`) run user code
 * now (1, counted; 0: keep it stopped until rec_peers_wait returns 1); at each stop of a
 * counted task; wait for the next stop (0) or the token being free (1); free. */
struct rec_peer_gate;
struct rec_peer_slot;
int rec_peers_new_slot(struct rec_session *s, int *fd, int *slot);
int rec_peers_attach(struct rec_session *s, int fd, int slot);
void rec_peers_open(struct rec_session *s);
int rec_peers_shut(struct rec_session *s);
void rec_peers_end(struct rec_session *s);
int rec_peers_may_run(struct rec_session *s, int *counted);
void rec_peers_stopped(struct rec_session *s, int *counted);
int rec_peers_wait(struct rec_session *s, struct pt_stop *st);
void rec_peers_free(struct rec_session *s);
/* Is the token ours? Is the top recording over (nobody waits for the token any more)? */
int rec_peers_holding(const struct rec_session *s);
int rec_peers_ended(const struct rec_session *s);
/* rec_share.c: shared mappings closed (PROT_NONE) while the process does not hold the token,
 * opened (and synced) at its first access. */
int rec_share_usable(const struct rec_session *s);
/* After a syscall's events: close the open mappings, give the token back. */
int rec_share_after_exit(struct rec_session *s, struct rec_thread *t, int64_t ret);
/* Does it (then the gate leaves the token and the page log to it)? */
int rec_share_closes_at_exit(const struct rec_session *s, const struct rec_thread *t, int64_t ret);
/* At a clock trap at counted dispatch now: close them if the slice ended. */
int rec_share_at_tick(struct rec_session *s, uint64_t now);
/* The counted dispatch where the clock should stop for that (0: none). */
uint64_t rec_share_want(const struct rec_session *s);
/* A signal stop: 1 if it was an access to a closed mapping, now open (no signal delivered). */
int rec_share_fault(struct rec_session *s, struct rec_thread *t, const siginfo_t *si);
/* A syscall entry: 1 if the call was put back to be made again with the mappings it uses
 * open (no event: it enters again). */
int rec_share_at_entry(struct rec_session *s, struct rec_thread *t, int nr, const uint64_t a[6]);
/* Give every closed mapping its protection back (the program is let go). */
int rec_share_open_all(struct rec_session *s);
/* rec_mmap.c: log the bytes of shared mappings that changed since they were last logged. */
int rec_mmap_shared_changes(struct rec_session *s);
/* rec_mmap.c: take the shared mappings' current bytes as what replay has there now (the
 * program's own writes included), before descendants may run. */
void rec_mmap_shared_baseline(struct rec_session *s);
/* One mapping: its shadow from its bytes now; its pages that differ from the shadow logged
 * into s->ev (rec_share.c). */
void rec_mmap_shadow_refresh(struct rec_session *s, struct rec_shmap *m);
int rec_mmap_log_changes(struct rec_session *s, struct rec_shmap *m);
void rec_mmap_free(struct rec_session *s);
/* rec_sources.c */
/* A source by the name Python knows it by (the path it opened, maybe through a symlink) and
 * the file that name resolved to (which is what pytt reads). */
struct rec_srcpath {
    char *name;
    char *file;
};
void rec_sources_note(struct rec_session *s, int nr, const uint64_t args[6], int64_t ret);
void rec_sources_note_path(struct rec_session *s, int dirfd, const char *rel);
int rec_sources_write(struct rec_session *s);
void rec_sources_free(struct rec_session *s);
/* rec_release.c: the trace cannot be written (a full disk): end it, then let the program go
 * at its next syscall exit (rec_release: 0 released, 1 it had to be killed). */
int rec_storage_failed(struct rec_session *s);
int rec_release(struct rec_session *s);
/* rec_adopt.c: --children. The index of processes (born, exec'd with a REC_PROC_* state,
 * ended) written to TRACE/processes; a descendant's exec of CPython hands it to a recorder of
 * its own (1 handed over: forget it, 0 not); the child recorder's attach in place of
 * rec_spawn; output sent upstream and logged from child recorders. */
enum {
    REC_PROC_OTHER = 0,
    REC_PROC_FORK,
    REC_PROC_RECORDED,
    REC_PROC_PYTHON_UNUSABLE,
    REC_PROC_UNCHECKED /* exec'd, recorded without --children: not looked at */
};
struct rec_procent;
void rec_proc_born(struct rec_session *s, pid_t pid, pid_t creator);
void rec_proc_exec(struct rec_session *s, pid_t pid, int state);
void rec_proc_ended(struct rec_session *s, const struct pt_stop *st);
int rec_procs_write(struct rec_session *s);
int rec_adopt_at_exec(struct rec_session *s, pid_t pid, const struct pt_fdkinds *fds);
int rec_adopt_attach(struct rec_session *s);
int rec_adopt_forward(struct rec_session *s, int kind, const uint8_t *buf, size_t n);
/* Output to the top process's stream `kind` (1 stdout, 2 stderr): logged as an OUTPUT event
 * and sent upstream; what a write or writev of a task (mem) wrote there, logged (a
 * descendant's) or only sent upstream (the recorded process's own: its syscall is logged). */
int rec_log_output(struct rec_session *s, int kind, const uint8_t *buf, size_t n);
int rec_output_write(struct rec_session *s, struct pt_mem *mem, int kind, int log, int nr,
                     const uint64_t *args, int64_t ret);
int rec_adopt_drain(struct rec_session *s);
int rec_adopt_finish(struct rec_session *s);
void rec_adopt_free(struct rec_session *s);
/* rec_loop.c */
int rec_write_event(struct rec_session *s);
/* Have the trace writer's thread compress and write what is buffered, while the program runs
 * (pt_chunkw_async); a full disk is handled as at any write. */
int rec_flush_soon(struct rec_session *s);
int rec_abort(struct rec_session *s, const char *why);
int64_t rec_now_ns(void);
int64_t rec_wall_ns(void);

#endif
