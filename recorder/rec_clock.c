/*
 * rec_clock: installing the Python clock during a recording, and using it to deliver signals
 * that interrupt pure computation at an exact tick.
 *
 * When the interpreter's opcode_targets needs no relocation (a non-PIE python with libpython
 * linked in, such as Debian's), the clock is installed right at startup. When it lives in a
 * shared libpython, ld.so first relocates it and then makes it read-only (RELRO); the clock
 * is installed at the exit of that mprotect, or, when ld.so ran unstopped (rec_loader.c), right
 * after the LOADER event if ld.so is done with it by then. Either way a CLOCK event marks the
 * spot, and replay installs it at the same event.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_maps.h"
#include "common/pt_ptrace.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static int install_now(struct rec_session *s)
{
    struct pt_clock_plan plan;
    if (pt_clock_plan(&s->mem, &s->clock_site, s->py.version, &plan) < 0 ||
        pt_clock_install(&s->clock, &s->mem, &plan) < 0) {
        return -1;
    }
    pt_event_reset(&s->ev, PT_EV_CLOCK);
    s->ev.clock_plan = plan;
    s->clock_state = REC_CLOCK_ON;
    if (rec_sysbuf_clock(s) < 0) {
        return -1;
    }
    return rec_write_event(s);
}

static int try_locate(struct rec_session *s)
{
    return pt_clock_locate(s->pid, s->py.image, s->py.debug_file, &s->clock_site);
}

int rec_clock_start(struct rec_session *s)
{
    if (try_locate(s) == 0 && !s->clock_site.relocated) {
        return install_now(s);
    }
    pt_err_clear();
    s->clock_state = REC_CLOCK_WAIT_MAP;
    return 0;
}

int rec_clock_after_syscall(struct rec_session *s, int nr, const uint64_t *a, int64_t ret)
{
    if (s->clock_state == REC_CLOCK_WAIT_MAP && nr == SYS_mmap && ret >= 0) {
        if (try_locate(s) == 0) {
            s->clock_state = REC_CLOCK_WAIT_RELRO;
        }
        pt_err_clear();
    } else if (s->clock_state == REC_CLOCK_WAIT_RELRO && nr == SYS_mprotect && ret == 0 &&
               a[2] == PROT_READ && s->clock_site.table >= a[0] &&
               s->clock_site.table < a[0] + a[1]) {
        return install_now(s);
    }
    return 0;
}

/* Is the page holding the clock's table read-only (ld.so has relocated it and applied RELRO)? */
static int table_read_only(struct rec_session *s)
{
    struct pt_vma *v;
    size_t n;
    int ro = 0;
    if (pt_maps_read(s->pid, &v, &n) < 0) {
        pt_err_clear();
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (s->clock_site.table >= v[i].lo && s->clock_site.table < v[i].hi) {
            ro = !(v[i].prot & PROT_WRITE);
        }
    }
    free(v);
    return ro;
}

int rec_clock_after_loader(struct rec_session *s)
{
    if (s->clock_state != REC_CLOCK_WAIT_MAP && s->clock_state != REC_CLOCK_WAIT_RELRO) {
        return 0;
    }
    if (try_locate(s) < 0) {
        pt_err_clear(); /* libpython is not mapped yet: its mmap will say */
        return 0;
    }
    s->clock_state = REC_CLOCK_WAIT_RELRO;
    return table_read_only(s) ? install_now(s) : 0;
}

int rec_clock_tick(struct rec_session *s, uint64_t *tick)
{
    if (s->clock_state != REC_CLOCK_ON) {
        *tick = 0;
        return 0;
    }
    return pt_clock_coarse(&s->clock, &s->mem, tick); /* recording needs counted dispatches only */
}

/* Before the current thread runs: the countdown stops it at the next counted dispatch if a
 * signal waits for it, else at the end of its time slice when other threads exist, else never.
 * The countdown is shared by all threads, and only the current one runs. */
int rec_clock_rearm(struct rec_session *s)
{
    if (s->clock_state != REC_CLOCK_ON) {
        return 0;
    }
    int pending = 0;
    for (int i = 0; i < s->npending && s->cur; i++) {
        pending |= s->pending[i].tid == s->cur->tid;
    }
    uint64_t share = rec_share_want(s); /* where an open shared mapping closes */
    if (!pending && s->nthreads < 2 && !s->armed_for && !share) {
        return 0; /* one thread, nothing awaited: idle, as it already is */
    }
    uint64_t now, want;
    if (pt_clock_coarse(&s->clock, &s->mem, &now) < 0) {
        return -1;
    }
    want = rec_sched_slice_end(s, now);
    if (want && want <= now) {
        want = now + 1; /* the slice ran out at a syscall: preempt at the next dispatch */
    }
    if (share && (!want || share < want)) {
        want = share > now ? share : now + 1;
    }
    if (pending) {
        want = now + 1;
    }
    if (want == s->armed_for) {
        return 0;
    }
    s->armed_for = want;
    return want ? pt_clock_arm(&s->clock, &s->mem, want) : pt_clock_idle(&s->clock, &s->mem);
}
