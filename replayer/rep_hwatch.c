/*
 * rep_hwatch: x86 debug registers for data over time (rep_watch.c). Up to four 8-byte words
 * (the memory slots a watched value lives in, pyintrospect's pyi_loc_slots) are armed as write
 * watchpoints in every thread of the replay: DR0-DR3 hold the addresses and DR7 enables them
 * (local enable, break on write, length 8), set with PTRACE_POKEUSER. Threads get them lazily,
 * just before they are resumed (rep_hw_sync, from the run loop): new threads and the copies a
 * snapshot restore makes start without them, and a generation number says who is up to date.
 * A write to an armed word traps after the writing instruction: a SIGTRAP whose DR6 names the
 * register; rep_hw_trap clears DR6, counts it and ends the run there (hw.hit). While armed, the
 * clock's watch trampolines run (exact moments) and keep every dispatch's frame and instruction
 * registers (pt_watch.keep_last): at a trap, the last one is the instruction that wrote.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#define DR_OFF(i) offsetof(struct user, u_debugreg[i])
#define DR7_WRITE8 0xdUL /* RW = 01 (data writes), LEN = 11 (8 bytes) */

void rep_hw_set(struct rep_session *s, const pt_addr *addr, int n)
{
    if (n == s->hw.n && (n == 0 || memcmp(addr, s->hw.addr, (size_t)n * sizeof *addr) == 0)) {
        return;
    }
    for (int i = 0; i < n && i < 4; i++) {
        s->hw.addr[i] = addr[i];
    }
    s->hw.n = n < 4 ? n : 4;
    s->hw.gen++;
}

static int poke_dr(pid_t tid, int i, unsigned long v)
{
    if (ptrace(PTRACE_POKEUSER, tid, (void *)DR_OFF(i), (void *)v) < 0) {
        return pt_fail_errno("setting debug register %d of thread %d (PYTT_WATCH_EXACT=1 watches "
                             "without them)",
                             i, (int)tid);
    }
    return 0;
}

int rep_hw_arm_now(struct rep_session *s, const pt_addr *addr, int n)
{
    if (s->hw.unusable[0]) {
        return pt_fail("%s", s->hw.unusable);
    }
    rep_hw_set(s, addr, n);
    if (rep_hw_sync(s) == 0) {
        return 0;
    }
    snprintf(s->hw.unusable, sizeof s->hw.unusable, "%s", pt_errmsg());
    pt_err_clear();
    rep_hw_set(s, NULL, 0);
    struct rep_thread *t = rep_thread_cur(s);
    if (t) {
        t->hw_tid = 0; /* cleared at its next resume */
    }
    return pt_fail("%s", s->hw.unusable);
}

int rep_hw_sync(struct rep_session *s)
{
    struct rep_thread *t = rep_thread_cur(s);
    if (!t || (t->hw_tid == t->tid && t->hw_gen == s->hw.gen)) {
        return 0;
    }
    if (t->hw_tid != t->tid && s->hw.n == 0) {
        t->hw_tid = t->tid; /* a thread never armed has nothing to clear */
        t->hw_gen = s->hw.gen;
        return 0;
    }
    unsigned long dr7 = 0;
    if (poke_dr(t->tid, 7, 0) < 0) {
        return errno == ESRCH ? (pt_err_clear(), 0) : -1;
    }
    for (int i = 0; i < s->hw.n; i++) {
        if (poke_dr(t->tid, i, s->hw.addr[i] & ~7ULL) < 0) {
            return -1;
        }
        dr7 |= (1UL << (2 * i)) | (DR7_WRITE8 << (16 + 4 * i));
    }
    if (dr7 && poke_dr(t->tid, 7, dr7) < 0) {
        return -1;
    }
    t->hw_tid = t->tid;
    t->hw_gen = s->hw.gen;
    return 0;
}

int rep_hw_trap(struct rep_session *s)
{
    errno = 0;
    long dr6 = ptrace(PTRACE_PEEKUSER, s->tid, (void *)DR_OFF(6), NULL);
    if (errno || !(dr6 & 0xf)) {
        return 0;
    }
    if (poke_dr(s->tid, 6, 0) < 0) {
        pt_err_clear();
    }
    s->hw.hit = 1;
    s->hw.traps++;
    s->stopped_at_tick = 1; /* ends the run (rep_loop.c) */
    return 1;
}

int rep_here_running(struct rep_session *s, struct pyi_pos *pos)
{
    uint64_t last[2];
    struct pyi_session *p = rep_pyi(s);
    if (!p || pt_mem_read(&s->mem, PT_CLOCK_LAST, last, sizeof last) < 0) {
        return -1;
    }
    if (!last[0]) {
        return pt_fail("no dispatch was seen since the run started");
    }
    pyi_refresh(p);
    struct pyi_dispatch d = {.frame = last[0], .next_instr = last[1], .opcode = -1};
    return pyi_position(p, &d, pos);
}
