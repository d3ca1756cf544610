/*
 * rep_internal: the replay session shared by the replayer's files.
 */
#ifndef REP_INTERNAL_H
#define REP_INTERNAL_H

#include "replayer.h"

#include "common/pt_clock.h"
#include "common/pt_fdkinds.h"
#include "common/pt_mem.h"
#include "common/pt_ptrace.h"
#include "common/pt_syscalls.h"
#include "common/pt_trace.h"
#include "pyintrospect/pyintrospect.h"

#include <sys/user.h>

#define REP_MAX_BPS 64
#define REP_MAX_SNAPS 64 /* hard cap; PYTT_SNAPSHOTS sets the kept number (default 24) */
#define REP_SNAP_INTERVAL (1ull << 27) /* ticks between snapshots: ~0.3 s of replay at ~450M/s */

struct rep_snap {
    pid_t pid;     /* the stopped copy */
    uint64_t made; /* creation order */
    uint64_t tick, event_pos, last_tick, presented;
    struct user_regs_struct regs;
    struct pt_fdkinds fds;
    struct pt_clock clock;
};

struct rep_session {
    struct rep_options opt;
    struct pt_trace_reader tr;
    pid_t pid;
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
    uint64_t armed_for;      /* tick the countdown is set for, 0 if idle */
    uint64_t stop_tick;      /* a requested stop (goto), 0 if none */
    int stopped_at_tick;     /* the last run ended at stop_tick */
    struct pyi_session *pyi; /* reading Python's state (rep_nav.c), opened on demand */
    pid_t pyi_pid;
    int nav_ready, instr_reg, frame_reg; /* dispatch registers (pyi_dispatch_regs) */
    int keep_last;                       /* keep the last dispatch (pyi_needs_last_dispatch) */
    int64_t keep_traced_off;             /* ... by pyi_frame_traced_offset's rule */
    struct pt_watch watch;                /* what the watch trampolines trap on while watch_on */
    int watch_on;
    uint64_t presented; /* rip of a presented stop (moved to its handler), 0 if none */
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
    int stopped_bp; /* breakpoint that ended the last next/finish, 0 if none */
    void (*progress)(void *ctx, uint64_t from, uint64_t to);
    void *progress_ctx; /* catchpoint of the best raise found scanning backwards */
    int nbps, last_bp_id;
    char checked_paths[64][256]; /* mapped files already identity-checked */
    int nchecked;
};

/* rep_spawn.c */
int rep_check_files(struct rep_session *s);
int rep_spawn(struct rep_session *s);
/* rep_syscall.c: a syscall entry stop; replays the whole call up to its exit. */
int rep_syscall(struct rep_session *s, const struct pt_stop *st);
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
void rep_clock_interruptible(struct rep_session *s);
int rep_clock_event(struct rep_session *s);
int rep_clock_check(struct rep_session *s, uint64_t recorded);
int rep_clock_prepare(struct rep_session *s);
int rep_clock_trap(struct rep_session *s);
/* rep_loop.c: run until any clock trap (a watch hit or a requested tick) or the end. */
int rep_run_until_trap(struct rep_session *s);
/* rep_nav.c */
int rep_nav_ready(struct rep_session *s);
/* Watch configurations: empty; a frame and its callers (skip_self: callers only); the
 * enabled breakpoints' addresses added (an error beyond PT_WATCH_MAX). */
void rep_watch_init(struct rep_session *s, struct pt_watch *w);
int rep_watch_frames(struct rep_session *s, pt_addr frame, struct pt_watch *w, int skip_self);
/* Also trap every frame starting (pending breakpoints, the main script's start). */
int rep_watch_frame_starts(struct rep_session *s, struct pt_watch *w);
/* Keep the last-dispatch slot right for the run about to start to tick `want` (rep_nav.c). */
int rep_last_dispatch_sync(struct rep_session *s, uint64_t want);
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
int rep_present(struct rep_session *s, const struct pyi_pos *pos);
int rep_run_watched(struct rep_session *s, const struct pt_watch *w);
int rep_here_instr(struct rep_session *s, struct pyi_pos *pos, pt_addr *next_instr);
/* rep_break.c */
struct rep_bp *rep_bp_check(struct rep_session *s, pt_addr next_instr, const struct pyi_pos *pos);
void rep_break_resolve_pending(struct rep_session *s);
/* rep_catch.c */
int rep_catch_sync(struct rep_session *s);
int rep_catch_remove(struct rep_session *s);
int rep_catch_is_trap(struct rep_session *s, uint64_t rip);
int rep_catch_trap(struct rep_session *s, struct user_regs_struct *r);
int rep_catch_land(struct rep_session *s, struct pyi_pos *pos, int *bp_id);
/* rep_snap.c */
int rep_snapshot(struct rep_session *s);
int rep_restore(struct rep_session *s, int index);
int rep_snap_before(struct rep_session *s, uint64_t t);
void rep_snap_free(struct rep_session *s);
/* rep_signal.c */
int rep_signal_stop(struct rep_session *s, int sig);
int rep_after_exit(struct rep_session *s);
/* Consume the next (SIGNAL) event and deliver it with its recorded siginfo. */
int rep_deliver_logged_signal(struct rep_session *s);

#endif
