/*
 * rep_catch: `catch raise [NAME]`, stopping where an exception is raised (by Python code or
 * by C code called from it), forwards and backwards.
 *
 * ceval calls PyTraceBack_Here each time an exception passes through a frame; in the frame
 * where it is raised the thread's curexc_traceback is still NULL. pytt plants an int3 on that
 * function while catchpoints exist (removed while a snapshot is taken, so snapshots stay
 * clean, and stepped over with a single-step). At a hit no bytecode has run since the raising
 * instruction was dispatched, so the stop is shown at that dispatch's tick (landed on from a
 * snapshot): an ordinary stop, from which every motion works.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>

int rep_catch_active(struct rep_session *s)
{
    if (!s->catch_armed) {
        return 0; /* only continue and reverse-continue look for raises */
    }
    if (s->uncaught_fo) {
        return 1;
    }
    for (int i = 0; i < s->nbps; i++) {
        if (s->bps[i].is_catch && s->bps[i].enabled) {
            return 1;
        }
    }
    return 0;
}

int rep_catch_add(struct rep_session *s, const char *exception, const struct rep_bp **out)
{
    if (s->nbps == REP_MAX_BPS) {
        return pt_fail("too many breakpoints (at most %d)", REP_MAX_BPS);
    }
    if (!s->nbp_addr) {
        struct pyi_session *p = rep_pyi(s);
        if (!p || pyi_symbol_addr(p, "PyTraceBack_Here", &s->nbp_addr) < 0) {
            return pt_wrap("catch raise needs the interpreter's PyTraceBack_Here");
        }
    }
    struct rep_bp *bp = &s->bps[s->nbps++];
    memset(bp, 0, sizeof *bp);
    bp->id = ++s->last_bp_id;
    bp->enabled = 1;
    bp->is_catch = 1;
    snprintf(bp->func, sizeof bp->func, "%s", exception ? exception : "");
    *out = bp;
    return 0;
}

static int write_byte(struct rep_session *s, uint8_t b)
{
    return pt_mem_write(&s->mem, s->nbp_addr, &b, 1);
}

int rep_catch_remove(struct rep_session *s)
{
    if (s->nbp_pid == s->pid && s->pid > 0) {
        if (write_byte(s, s->nbp_orig) < 0) {
            return -1;
        }
    }
    s->nbp_pid = 0;
    return 0;
}

/* Before resuming: the int3 is in place exactly when catchpoints are enabled; step over it if
 * the tracee stopped on it. */
int rep_catch_sync(struct rep_session *s)
{
    if (s->nbp_stepover && s->nbp_pid == s->pid) {
        struct pt_stop st;
        s->nbp_stepover = 0;
        if (write_byte(s, s->nbp_orig) < 0 || ptrace(PTRACE_SINGLESTEP, s->tid, NULL, NULL) < 0 ||
            pt_wait(s->tid, &st) < 0 || write_byte(s, 0xcc) < 0) {
            return pt_fail_errno("stepping over the raise catchpoint");
        }
    }
    int want = rep_catch_active(s);
    if (want && s->nbp_pid != s->pid) {
        if (pt_mem_read(&s->mem, s->nbp_addr, &s->nbp_orig, 1) < 0 || write_byte(s, 0xcc) < 0) {
            return pt_wrap("planting the raise catchpoint");
        }
        s->nbp_pid = s->pid;
    } else if (!want) {
        return rep_catch_remove(s);
    }
    return 0;
}

int rep_catch_matches(const char *want, const char *type_name)
{
    if (!want[0]) {
        return 1;
    }
    const char *dot = strrchr(type_name, '.');
    return strcmp(want, type_name) == 0 || (dot && strcmp(want, dot + 1) == 0);
}

int rep_catch_is_trap(struct rep_session *s, uint64_t rip)
{
    return s->nbp_pid == s->pid && s->nbp_addr && rip == s->nbp_addr + 1;
}

int rep_catch_trap(struct rep_session *s, struct user_regs_struct *r)
{
    char name[256];
    bool fresh = false;
    uint64_t now;
    r->rip = s->nbp_addr; /* back onto the planted byte: stepped over before resuming */
    s->nbp_stepover = 1;
    if (pt_setregs(s->tid, r) < 0 || rep_clock_now(s, &now) < 0) {
        return -1;
    }
    struct pyi_session *p = rep_pyi(s);
    if (!p) {
        return -1;
    }
    pyi_refresh(p);
    if (rep_pyi_follow(s) < 0) {
        return -1;
    }
    if (pyi_raised_exception(p, name, sizeof name, &fresh) < 0 || !fresh ||
        now == s->catch_skip_tick) {
        pt_err_clear();
        return 0;
    }
    if (s->uncaught_fo) { /* rep_goto_uncaught: only the raise of that frame counts */
        pt_addr fo = 0;
        if (pyi_raising_frame_object(p, &fo) == 0 && fo == s->uncaught_fo) {
            s->catch_hit = -1;
            snprintf(s->catch_name, sizeof s->catch_name, "%s", name);
            s->stopped_at_tick = 1;
        }
        pt_err_clear();
        return 0;
    }
    for (int i = 0; i < s->nbps; i++) {
        if (s->bps[i].is_catch && s->bps[i].enabled && rep_catch_matches(s->bps[i].func, name)) {
            s->catch_hit = s->bps[i].id;
            snprintf(s->catch_name, sizeof s->catch_name, "%s", name);
            s->stopped_at_tick = 1;
            return 0;
        }
    }
    return 0;
}

const char *rep_caught(const struct rep_session *s)
{
    return s->caught_name;
}

/* A run stopped at a catchpoint hit at tick t: show the raising instruction's dispatch (tick
 * t, landed on from an earlier snapshot with catchpoints off). */
int rep_catch_land(struct rep_session *s, struct pyi_pos *pos, int *bp_id)
{
    uint64_t t;
    if (rep_clock_now(s, &t) < 0) {
        return -1;
    }
    *bp_id = s->catch_hit;
    s->catch_hit = 0;
    snprintf(s->caught_name, sizeof s->caught_name, "%s", s->catch_name);
    for (int i = 0; i < s->nbps; i++) {
        if (s->bps[i].id == *bp_id) {
            s->bps[i].hits++;
        }
    }
    int i = rep_snap_before(s, t);
    if (i < 0) {
        return pt_fail("the exception was raised before the first snapshot (tick %llu)",
                       (unsigned long long)t);
    }
    if (rep_restore(s, i) < 0 || (s->snaps[i].tick < t && rep_run_to_tick(s, t) < 0) ||
        rep_here(s, pos) < 0 || rep_present(s, pos) < 0) {
        return -1;
    }
    s->catch_skip_tick = t;
    return 1;
}
