/*
 * rep_internal: the replay session shared by the replayer's files.
 */
#ifndef REP_INTERNAL_H
#define REP_INTERNAL_H

#include "replayer.h"

#include "common/pt_clock.h"
#include "common/pt_fdkinds.h"
#include "common/pt_buf.h"
#include "common/pt_mem.h"
#include "common/pt_sources.h"
#include "common/pt_ptrace.h"
#include "common/pt_syscalls.h"
#include "common/pt_trace.h"
#include "pyintrospect/pyintrospect.h"

#include <sys/types.h>
#include <sys/user.h>

#define REP_MAX_BPS 64
#define REP_MAX_SNAPS 64 /* hard cap; PYTT_SNAPSHOTS sets the kept number (default 24) */
/* Counted dispatches between automatic snapshots: ~0.02-0.2 s of replay (a counted dispatch is
 * a loop iteration or a call: 2.5-25 M/s here). Dense near where the replay is; rep_snap.c's
 * thinning keeps at most PYTT_SNAPSHOTS, spaced more widely with age (issue 12: `last` and
 * reverse motions close to now replay at most about one interval). */
#define REP_SNAP_INTERVAL (1ull << 19)

/* A thread of the replayed process (rep_thread.c). One runs at a time, as recorded: the SWITCH
 * events say when another takes over and where the previous one stopped. */
enum rep_tstate {
    REP_T_NEW = 1,  /* created by an executed clone; its first stop not seen yet */
    REP_T_STOPPED,  /* at a ptrace stop, runnable when scheduled */
    REP_T_AT_ENTRY, /* stopped at the entry of a syscall whose event comes later (at record it
                     * was let into the kernel while other threads ran) */
};

struct rep_thread {
    pid_t rec_tid; /* its id in the trace (what the program sees) */
    pid_t tid;     /* its id here */
    int state;
    int resume_sig;                     /* a signal it takes when it runs again */
    struct user_regs_struct entry_regs; /* REP_T_AT_ENTRY: at that entry */
    uint64_t ctid;                      /* its CLONE_CHILD_CLEARTID word, 0 if none */
    uint64_t altstack[3];               /* its sigaltstack (ss_sp, ss_flags, ss_size) */
    uint64_t born;                      /* the event that created it (0: the first thread) */
    int sysemu; /* last resumed with PTRACE_SYSEMU: the kernel skips the call at its next entry */
    int skip_exit;   /* at such an entry, its call emulated there: no exit stop is wanted */
    unsigned hw_gen; /* the debug registers it has (rep_hwatch.c): hw.gen's when set in tid */
    pid_t hw_tid;
    uint64_t sysbuf; /* its syscall buffer (pt_sysbuf.h), 0 if none (rep_sysbuf.c) */
    uint32_t sb_checked, sb_checked_off; /* records (and their bytes) whose ticks were checked */
};

/* A thread as a snapshot keeps it, to be created again in a restored copy. */
struct rep_thread_image {
    struct rep_thread t;
    struct user_regs_struct regs;
    uint64_t sigmask;
    uint8_t *xstate; /* its x87/SSE/AVX registers (NT_X86_XSTATE, malloc'd) */
    size_t xstate_len;
};

struct rep_snap {
    pid_t pid;     /* the stopped copy */
    uint64_t made; /* creation order */
    uint64_t tick, event_pos, last_tick, presented;
    struct user_regs_struct regs;
    struct pt_fdkinds fds;
    struct pt_clock clock;
    struct rep_thread_image *threads; /* every thread (malloc'd) */
    int nthreads, cur;
    uint64_t trap_count; /* the current thread was stopped at this counted dispatch's trap */
};

/* A file checked before the replay started: the recorded path, its identity, the path the
 * replay really opens (the trace's copy when packed), and what that was when checked. */
struct rep_file {
    char *path;
    struct pt_fileid id;
    char *use;
    dev_t dev;
    ino_t ino;
};

struct rep_thread_seen {
    pid_t rec_tid;
    uint64_t born;
};

struct rep_session {
    struct rep_options opt;
    struct pt_trace_reader tr;
    pid_t pid; /* the replayed process (its first thread) */
    pid_t tid; /* the thread pytt is operating on: the current one, mostly */
    struct rep_thread *threads;
    int nthreads, threads_cap;
    int cur;             /* index of the thread that runs user code, -1 if none */
    uint64_t trap_count; /* the current thread is stopped at this counted dispatch's trap
                          * (not run past it yet), 0 if not */
    int foreign;         /* completing a syscall of another thread than the current one */
    pid_t sel_tid;       /* the thread motions follow (its recorded id; 0: whichever runs) */
    pid_t last_stop_tid; /* the thread of the last stop shown (rep_stop_thread) */
    struct rep_thread_seen *seen; /* every thread created so far, by birth (rep_threadnum.c) */
    int nseen, seen_cap;
    struct pt_mem mem;
    int cpu;
    int state;
    struct pt_event ev;                 /* the event being replayed */
    struct user_regs_struct entry_regs; /* at the current syscall's entry */
    int resume_sig;
    struct pt_fdkinds fds; /* which descriptors are the original stdout/stderr */
    int end_how, end_code;
    uint64_t end_tick;
    uint64_t last_tick; /* tick at the last syscall checked */
    char end_msg[512];
    struct pt_clock clock;
    int sb_base_moved;       /* the clock's base moved while the program ran (rep_clock_trap_at) */
    uint64_t armed_for;      /* counted dispatch the coarse countdown is set for, 0 if idle */
    uint64_t stop_tick;      /* a requested stop (goto), 0 if none */
    uint64_t fine_left;      /* dispatches still to run (rep_run_dispatches), 0 if none */
    int fine_armed;          /* the fine countdown is counting them down */
    int stopped_at_tick;     /* the last run ended at stop_tick */
    struct pyi_session *pyi; /* reading Python's state (rep_nav.c), opened on demand */
    pid_t pyi_pid;
    int nav_ready, instr_reg, frame_reg; /* dispatch registers (pyi_dispatch_regs) */
    int stack_reg;                       /* the value stack pointer (pyi_stack_reg), -1 */
    int keep_last;                       /* keep the last dispatch (pyi_needs_last_dispatch) */
    int64_t keep_traced_off;             /* ... by pyi_frame_traced_offset's rule */
    struct pt_watch watch;               /* what the watch trampolines trap on while watch_on */
    int watch_on;
    uint64_t presented;    /* rip of a presented stop (moved to its handler), 0 if none */
    int bare_stops;        /* continue leaves a breakpoint stop unpresented (rep_trace.c) */
    struct rep_tlog *tlog; /* a `trace` pass logging in the tracee (rep_tlog.c), NULL if none */
    /* a `trace` pass's row callback, told (hit NULL) before the program's output is written */
    int (*trace_row)(void *ctx, const struct rep_trace_hit *hit);
    void *trace_ctx;
    uint64_t tlog_logged; /* hits `trace` took from that log so far (`maint stats`) */
    struct rep_snap snaps[REP_MAX_SNAPS + 1]; /* by tick, oldest first */
    int nsnaps;
    uint64_t nmade; /* snapshots made so far */
    uint64_t last_snap_tick;
    int auto_snap;     /* take snapshots while running forward (the shell, not -a) */
    int max_snaps;     /* PYTT_SNAPSHOTS */
    long budget_kib;   /* PYTT_SNAPSHOT_MB, 0: none */
    uint64_t snap_due; /* tick of the next automatic snapshot */
    struct rep_bp bps[REP_MAX_BPS];
    pt_addr nbp_addr; /* PyTraceBack_Here: catch raise (rep_catch.c) */
    uint8_t nbp_orig;
    pid_t nbp_pid;            /* the process the int3 is planted in, 0 if none */
    int nbp_stepover;         /* stopped on it: step over before resuming */
    int catch_hit;            /* catchpoint that stopped the last run, 0 if none */
    uint64_t catch_skip_tick; /* the raise the user is stopped at: not a new hit */
    char catch_name[256];
    char caught_name[256]; /* exception of the last catchpoint stop (rep_caught) */
    int catch_armed;       /* continue/reverse-continue are running: look for raises */
    int catch_best;
    pt_addr uncaught_fo;      /* looking for the raise of this frame object (rep_goto_uncaught) */
    uint64_t postmortem_tick; /* the stop rep_goto_uncaught made: its raise counts as behind */
    char postmortem_name[256];
    int stopped_bp; /* breakpoint that ended the last next/finish, 0 if none */
    void (*progress)(void *ctx, const struct rep_progress *p);
    void *progress_ctx;
    double prog_t0, prog_last; /* seconds (CLOCK_MONOTONIC): the motion's start, last report */
    uint64_t prog_due;         /* tick of the next stop for a progress check */
    uint64_t ticks_run;        /* ticks replayed forward so far (rep_stats) */
    uint64_t restores;         /* snapshots restored so far */
    uint64_t cond_checks;      /* conditions pytt evaluated at a trap (rep_cond_checks) */
    uint64_t sparse_passes;    /* sparse passes that answered a search (rep_sparse_passes) */
    int failed;                /* the replay stopped with an error (rep_failure) */
    char fail_msg[768];
    int nbps, last_bp_id;
    struct rep_watchpt wps[REP_MAX_WATCH]; /* watchpoints (rep_watch.c), ids from last_bp_id */
    int nwps;
    struct rep_change change; /* the change the last continue/reverse-continue stopped at */
    struct rep_hw {           /* hardware watchpoints (rep_hwatch.c) */
        pt_addr addr[4];      /* the words armed in every thread (DR0..DR3), n of them */
        int n;
        unsigned gen;         /* bumped when they change; threads catch up when resumed */
        int hit;              /* a write trap stopped the run */
        uint64_t traps, runs; /* counters: write traps, runs with registers armed */
        char unusable[256];   /* why the debug registers cannot be set here ("" if they can) */
    } hw;
    uint64_t last_landed; /* where the last `last` stopped, its expression and place */
    char last_expr[512];
    struct pyi_loc last_loc;
    uint64_t out_shown; /* the furthest event whose output was shown (rep_output.c) */
    int reprint;        /* show output again when re-executed (rr's behaviour) */
    int (*out_hook)(void *ctx, int kind, const void *buf, size_t n, uint64_t event);
    void *out_hook_ctx;
    uint64_t retval_obj, retval_tick; /* rep_retval.c: valid while the tick is retval_tick */
    char retval_func[256];
    const char *retval_why;
    int64_t eval_timeout_ns;           /* rep_eval.c: 0 for the default */
    int eval_path;                     /* enum rep_eval_path */
    struct pt_cond_layout cond_layout; /* for conditions checked in the tracee */
    pt_addr eval_fn[8];                /* interpreter functions it calls, found on first use */
    char checked_paths[64][256];       /* mapped files already identity-checked */
    int nchecked;
    int running;               /* the program runs (one_stop's wait): the watchdog may act */
    int dropped_signals;       /* signal stops since the last event (rep_signal.c) */
    uint64_t cpu_budget_ms;    /* CPU time a run may take without a stop (rep_watchdog.c) */
    uint64_t cpu_at_resume;    /* the tracee's CPU time (ms) when the current run began */
    pid_t cpu_pid;             /* ... of this process */
    char watchdog_msg[512];    /* why the watchdog killed the program, "" if it did not */
    struct pt_sources sources; /* the trace's recorded sources (rep_sources.c), loaded on use */
    int sources_loaded;
    char **disk_texts; /* sources read from disk for pyintrospect, kept for the session */
    size_t ndisk_texts;
    struct rep_file *files; /* every file the replay needs, checked at rep_open (rep_files.c) */
    size_t nfiles;
    struct pt_share_range *share_open; /* shared mappings SHARE events opened (rep_share.c) */
    size_t nshare_open;
};

/* rep_sysbuf.c: the in-process syscall buffer (common/pt_sysbuf.h). */
int rep_sysbuf_start(struct rep_session *s);              /* REPLAY mode, if recorded so */
int rep_sysbuf_clock(struct rep_session *s);              /* the clock was installed */
int rep_sysbuf_off(struct pt_mem *mem);                   /* in a throwaway copy */
int rep_sysbuf_hello(struct rep_session *s, int64_t ret); /* a HELLO was replayed */
int rep_sysbuf_check(struct rep_session *s);              /* at a stop: ticks replayed */
int rep_sysbuf_prefill(struct rep_session *s); /* before the thread runs: 1 if it took some */
int rep_sysbuf_moved(struct rep_session *s, uint32_t moved); /* ctl.moved */
int rep_sysbuf_ready(struct rep_session *s);   /* just before the thread runs: `more` */
int rep_sysbuf_at_call(struct rep_session *s); /* its syscall: no records still to come */
/* rep_clock.c: arm the coarse countdown again for what the log has next (its head moved
 * while the thread is stopped inside its run: a syscall buffer refill). */
int rep_clock_rearm(struct rep_session *s);
int rep_sysbuf_request(struct rep_session *s, const struct user_regs_struct *r); /* FLUSH... */
/* rep_syscall.c: "name(0x.., 0x..)" of a call, for messages. */
void rep_fmt_call(char *buf, size_t cap, int nr, int nargs, const uint64_t *a);
/* rep_syscall.c: end the syscall at this entry stop without running it (result 0). */
int rep_syscall_skip(struct rep_session *s, const struct user_regs_struct *entry);
/* rep_thread.c: complete other threads' calls (and children's output) at the log's head. */
int rep_sched_drain_foreign(struct rep_session *s);

/* rep_hwatch.c: debug registers. rep_hw_set arms words (n = 0: none) for the runs that follow
 * (every thread gets them before it is resumed: rep_hw_sync); a write to one stops the run
 * (rep_hw_trap, from the SIGTRAP, sets hw.hit). While armed, the clock keeps exact moments. */
void rep_hw_set(struct rep_session *s, const pt_addr *addr, int n);
/* rep_hw_set, and set them in the current (stopped) thread now: -1 when the system refuses
 * (then never again in the session: hw.unusable says why; the caller scans exactly). */
int rep_hw_arm_now(struct rep_session *s, const pt_addr *addr, int n);
int rep_hw_sync(struct rep_session *s);
int rep_hw_trap(struct rep_session *s);
/* The place of the instruction a write trap stopped in: the last dispatch the watch
 * trampolines kept (PT_CLOCK_LAST), in whichever thread and frame (one being cleared too). */
int rep_here_running(struct rep_session *s, struct pyi_pos *pos);

/* rep_loop.c: kill the replayed process and reap all its threads. */
void rep_kill_process(struct rep_session *s);

/* rep_sources.c: the recorded sources, as pyintrospect's source provider. */
int rep_sources_attach(struct rep_session *s, struct pyi_session *pyi);
void rep_sources_free(struct rep_session *s);
/* rep_files.c */
int rep_check_files(struct rep_session *s);
const struct rep_file *rep_file_find(const struct rep_session *s, const char *path,
                                     const struct pt_fileid *id);
void rep_files_free(struct rep_session *s);
/* rep_spawn.c */
int rep_spawn(struct rep_session *s);
/* rep_syscall.c: a syscall entry stop; replays the whole call up to its exit. */
int rep_syscall(struct rep_session *s, const struct pt_stop *st);
/* Is the next event a syscall of the current thread that replay emulates in full (no call
 * runs for real)? Then the thread is resumed with PTRACE_SYSEMU: one stop for that call, not
 * an entry and an exit stop. */
int rep_syscall_emulable_next(struct rep_session *s);

/* The syscall whose entry regs are s->entry_regs, for thread s->tid (s->foreign: it returned
 * while another thread ran: its recorded clock is not checked, no signal follows). */
int rep_syscall_at_entry(struct rep_session *s);
int rep_divergence(struct rep_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Take the next event, which must be of type `want` (else divergence, naming `what`). */
int rep_next_event(struct rep_session *s, int want, const char *what);
/* rep_mmap.c */
int rep_mmap(struct rep_session *s, struct user_regs_struct *r);
int rep_mremap(struct rep_session *s, struct user_regs_struct *r);
/* rep_output.c */
void rep_fd_init(struct rep_session *s);
int rep_output(struct rep_session *s, const struct user_regs_struct *r);
void rep_fd_update(struct rep_session *s);
int rep_sink_write(struct rep_session *s, int kind, const void *buf, size_t n);
/* Print the output of the recorded program's children logged next. */
int rep_child_output(struct rep_session *s);
/* rep_clock.c */
int rep_clock_now(struct rep_session *s, uint64_t *tick);
int rep_clock_coarse(struct rep_session *s, uint64_t *count);
void rep_clock_trap_at(struct rep_session *s, uint64_t at);
/* rep_watchdog.c: while rep_run waits for the program, Ctrl-C and a periodic check that it is
 * not spinning past its next event (counted dispatches) or running far longer than the
 * recording did. */
void rep_watchdog_install(struct rep_session *s);
void rep_watchdog_begin(struct rep_session *s);
void rep_watchdog_end(struct rep_session *s);
int rep_clock_event(struct rep_session *s);
/* rep_loader.c: at the start, build the state a LOADER event logged (if the next event is one). */
int rep_loader_event(struct rep_session *s);
int rep_clock_check(struct rep_session *s, uint64_t recorded);
int rep_clock_prepare(struct rep_session *s);
int rep_clock_trap(struct rep_session *s, int opcode);
/* rep_loop.c: run until any clock trap (a watch hit or a requested tick) or the end; run n
 * more bytecode dispatches (a trap after the n-th) or to the end. */
int rep_run_until_trap(struct rep_session *s);
int rep_run_dispatches(struct rep_session *s, uint64_t n);
/* rep_nav.c */
int rep_nav_ready(struct rep_session *s);
/* Select, in pyintrospect, the Python thread of the thread that runs now. */
int rep_pyi_follow(struct rep_session *s);
/* A register by hardware number (0 rax ... 15 r15). */
uint64_t rep_reg_value(const struct user_regs_struct *r, int hw);
/* Watch configurations: empty; a frame and its callers (skip_self: callers only); the
 * enabled breakpoints' addresses added (an error beyond PT_WATCH_MAX). */
/* ---- tracepoints logged in the tracee (rep_tlog.c) ---- */
/* PYTT_WATCH_EXACT=1: no debug registers for watchpoints, no log for `trace` (rep_watch.c). */
int rep_watch_exact_only(void);
/* A `trace` pass of breakpoint bp_id with these expressions (kept by the caller meanwhile)
 * logs its hits in the tracee where it can; the log starts empty now. Each logged hit goes to
 * row() when the replay next stops (*hits counts them). */
int rep_tlog_begin(struct rep_session *s, int bp_id, const char *const *exprs, size_t n,
                   int (*row)(void *ctx, const struct rep_trace_hit *hit), void *ctx, size_t *hits);
void rep_tlog_end(struct rep_session *s);
/* Address k of bp watched at w's instruction slot `slot`: its log program, when it has one. */
void rep_tlog_watch(struct rep_session *s, const struct rep_bp *bp, int k, struct pt_watch *w,
                    int slot);
/* A hit of the pass trapped in frame at instr (it could not be logged): plan its program again
 * with this frame's objects, for the hits after it. */
void rep_tlog_trapped(struct rep_session *s, pt_addr instr, pt_addr frame);
/* At every stop of the replay: the hits the log holds, to the pass's row(), emptied. */
int rep_tlog_drain(struct rep_session *s);
/* row() asked to stop. */
int rep_tlog_stopped(const struct rep_session *s);

void rep_watch_init(struct rep_session *s, struct pt_watch *w);
int rep_watch_frames(struct rep_session *s, pt_addr frame, struct pt_watch *w, int skip_self);
/* Also trap every frame starting (pending breakpoints, the main script's start). */
int rep_watch_frame_starts(struct rep_session *s, struct pt_watch *w);
/* Keep the last-dispatch slot right for the run about to start (one_dispatch: a run of one
 * dispatch) (rep_nav.c). */
int rep_last_dispatch_sync(struct rep_session *s, bool one_dispatch);
/* Is frame among the first n frames w watches? */
static inline int rep_watch_has_frame(const struct pt_watch *w, int n, pt_addr frame)
{
    for (int i = 0; i < n && i < w->nframes; i++) {
        if (w->frames[i] == frame) {
            return 1;
        }
    }
    return 0;
}
int rep_watch_breakpoints(struct rep_session *s, struct pt_watch *w);
/* rep_watch.c: continue and reverse-continue while watchpoints are enabled (dispatch by
 * dispatch, breakpoints checked too); rep_watch_active: are any? */
int rep_watch_active(const struct rep_session *s);
int rep_watch_continue(struct rep_session *s, struct pyi_pos *pos, int *id);
int rep_watch_reverse_continue(struct rep_session *s, struct pyi_pos *pos, int *id);
int rep_present(struct rep_session *s, const struct pyi_pos *pos);
int rep_run_watched(struct rep_session *s, const struct pt_watch *w);
int rep_here_instr(struct rep_session *s, struct pyi_pos *pos, pt_addr *next_instr);
/* rep_locations.c: set bp->pending_why and bp->near for a breakpoint left pending */
void rep_break_explain(struct rep_session *s, struct rep_bp *bp);
/* The co_filename of loaded code matching `want` (a path or a path suffix): the stack's, a
 * module's __file__ with code of it, else any code object's. */
int rep_loaded_file(struct rep_session *s, const char *want, char *out, size_t cap);
/* rep_break.c */
int rep_file_matches(const char *co_filename, const char *want);
struct rep_bp *rep_bp_check(struct rep_session *s, pt_addr next_instr, const struct pyi_pos *pos);
void rep_break_resolve_pending(struct rep_session *s);
/* rep_catch.c */
int rep_catch_sync(struct rep_session *s);
int rep_catch_remove(struct rep_session *s);
int rep_catch_active(struct rep_session *s); /* a raise can stop this run (catchpoints armed) */
int rep_catch_is_trap(struct rep_session *s, uint64_t rip);
int rep_catch_trap(struct rep_session *s, struct user_regs_struct *r);
int rep_catch_land(struct rep_session *s, struct pyi_pos *pos, int *bp_id);
/* Does a catchpoint for `want` ("" any) catch an exception of type type_name? */
int rep_catch_matches(const char *want, const char *type_name);
/* rep_progress.c */
void rep_progress_forward(struct rep_session *s);
/* The counted dispatch at which the clock should stop to let progress be reported (0: none). */
uint64_t rep_progress_due(const struct rep_session *s);
void rep_progress_passed(struct rep_session *s, uint64_t now_c);
/* rep_reverse.c: restore the latest snapshot before tick t if it is well ahead of now */
int rep_skip_ahead(struct rep_session *s, uint64_t t);
/* rep_retval.c: the value `finish` saw returned */
/* Is the frame at addr running inside its caller's eval loop (returns push onto its stack)? */
int rep_retval_inlined(struct rep_session *s, pt_addr frame);
/* At finish's landing (before it is presented): note what the callee returned. */
void rep_retval_note(struct rep_session *s, const struct pyi_pos *callee, int inlined,
                     const struct pyi_pos *pos, pt_addr next_instr);

/* rep_snap.c */
/* Clone the stopped process pid by injecting clone(CLONE_PTRACE | SIGCHLD | flags) at a clock
 * trap, and wait for the traced copy's first stop. */
int rep_clone_stopped(pid_t pid, uint64_t flags, pid_t *child);
int rep_snapshot(struct rep_session *s);
int rep_restore(struct rep_session *s, int index);
int rep_snap_before(struct rep_session *s, uint64_t t);
void rep_snap_free(struct rep_session *s);
/* rep_thread.c: threads, the recorded schedule, and thread creation. */
struct rep_thread *rep_thread_by_rec(struct rep_session *s, pid_t rec_tid);
struct rep_thread *rep_thread_by_tid(struct rep_session *s, pid_t tid);
struct rep_thread *rep_thread_cur(struct rep_session *s);
/* The first thread, at startup. */
void rep_threads_init(struct rep_session *s);
/* Make thread index i the one pytt operates on (s->tid) and, if current, the running one. */
void rep_thread_act(struct rep_session *s, int i);
/* Take the events that apply before the current thread runs on: other threads' syscall
 * completions and switches whose moment has come (at: the current thread's state now: 0
 * stopped anywhere, PT_SWITCH_ENTRY at a syscall entry, PT_SWITCH_TICK at counted dispatch
 * `tick`, PT_SWITCH_EXITED gone). Returns 1 if the current thread changed. */
int rep_sched_drain(struct rep_session *s, int at, int nr, uint64_t tick);
/* A stop of a thread that is not the current one (a new thread's first stop, a thread's
 * end). */
int rep_thread_other_stop(struct rep_session *s, const struct pt_stop *st);
/* Replay a clone that creates a thread: execute it, fix the thread ids the program sees. */
int rep_clone_thread(struct rep_session *s, struct user_regs_struct *r, uint64_t flags);
/* A snapshot: keep every thread's state (cur_regs: the current thread's registers). */
int rep_threads_save(struct rep_session *s, struct rep_snap *snap,
                     const struct user_regs_struct *cur_regs);
/* In a fresh copy of a snapshot (one thread, a copy of the one that made it), make its first
 * thread the recorded process's first (or the first alive) and create the others again. */
int rep_threads_restore(struct rep_session *s, const struct rep_snap *snap, pid_t copy);
/* Free a snapshot's thread images. */
void rep_threads_free(struct rep_snap *snap);
/* A thread was created (rep_clone_thread): it gets the next user number (rep_threadnum.c). */
void rep_thread_seen(struct rep_session *s, const struct rep_thread *t);
void rep_threads_seen_free(struct rep_session *s);
/* Is the thread that runs the one motions follow (or is any thread fine)? */
int rep_in_selected_thread(struct rep_session *s);
/* After a thread ran sigaltstack: remember its alternate stack (snapshots recreate it). */
void rep_thread_note_altstack(struct rep_session *s, const uint64_t args[6], int64_t ret);
/* The counted dispatch at which the recording switched away from the current thread next
 * (0: none soon). */
uint64_t rep_sched_switch_tick(struct rep_session *s);
/* rep_copy.c: a throwaway copy of the stopped replay that runs injected calls */
enum rep_copy_end {
    REP_COPY_RUNNING = 0,
    REP_COPY_EXITED,      /* exit/exit_group (end_code: status) */
    REP_COPY_CRASHED,     /* a synchronous signal or death by signal (end_code: signal) */
    REP_COPY_TIMEOUT,     /* a call ran longer than timeout_ns */
    REP_COPY_INTERRUPTED, /* Ctrl-C */
};
struct rep_copy {
    pid_t pid;
    int pid_gone; /* reaped already */
    struct pt_mem mem;
    struct user_regs_struct base; /* the replay's registers at the stop */
    pt_addr scratch;              /* memory mapped in the copy for call arguments */
    size_t scratch_len, scratch_used;
    struct pt_fdkinds fds;         /* which descriptors are the program's stdout/stderr */
    uint8_t own_fd[PT_MAX_FD / 8]; /* descriptors the copy opened itself */
    int opening;                   /* the syscall in progress is an allowed open */
    int via_stub;                  /* ... is run from pytt's stub at its exit (see rep_copy.c) */
    uint64_t call_nr, call_args[6];
    struct pt_buf out;  /* what it wrote to stdout/stderr */
    int out_cut;        /* more than that was written */
    int discard_output; /* swallow such writes instead (still reported done) */
    int64_t timeout_ns; /* per call */
    int end, end_code;  /* enum rep_copy_end and its detail */
    uint64_t crash_pc, ret;
    int refused;            /* syscalls refused (EPERM) so far */
    char refused_first[64]; /* the first one's name */
};
/* Fork the replay at its current stop (a bytecode instruction) into c. */
int rep_copy_open(struct rep_session *s, struct rep_copy *c, int64_t timeout_ns);
/* Copy bytes into the copy's scratch memory (kept until rep_copy_reset_scratch). */
int rep_copy_put(struct rep_copy *c, const void *data, size_t n, pt_addr *at);
void rep_copy_reset_scratch(struct rep_copy *c, size_t keep);
/* Call fn(args...) in the copy: 0 when it returned (*ret = rax), 1 when the copy ended or
 * timed out instead (c->end says how; the copy accepts no more calls), -1 on error. */
int rep_copy_call(struct rep_copy *c, pt_addr fn, const uint64_t *args, int nargs, uint64_t *ret);
/* Why the copy ended, in words. */
const char *rep_copy_end_str(const struct rep_copy *c, char *buf, size_t cap);
void rep_copy_close(struct rep_copy *c);

/* rep_signal.c */
int rep_signal_stop(struct rep_session *s, int sig);
int rep_after_exit(struct rep_session *s);
/* Consume the next (SIGNAL) event and deliver it with its recorded siginfo. */
int rep_deliver_logged_signal(struct rep_session *s);

/* rep_share.c: SHARE events (recorder/rec_share.c). Is the next event the current thread's
 * SHARE at `at` (and at counted dispatch tick, for PT_SHARE_TICK)? */
int rep_share_next(struct rep_session *s, int at, uint64_t tick);
/* The counted dispatch of the current thread's SHARE at a tick next in the log, 0 if none. */
uint64_t rep_share_tick(struct rep_session *s);
/* Apply the next event (a SHARE): write its pages, protect its ranges as it says. */
int rep_share_apply(struct rep_session *s);
/* A SIGSEGV access fault at addr where the log has a SHARE at a fault next. */
int rep_share_fault(struct rep_session *s, uint64_t addr, uint64_t rip);
/* In a throwaway copy of the replay (rep_copy.c): every shared mapping opened, with the bytes
 * the program last synced (what it would read there is known only at its next access). */
int rep_share_open_copy(const struct rep_session *s, pid_t pid);
void rep_share_free(struct rep_session *s);
/* rep_syscall.c: a thread stopped at an entry whose call was emulated there (PTRACE_SYSEMU)
 * is taken to that call's exit stop, where syscalls can be injected. */
int rep_syscall_settle(struct rep_session *s);

#endif
