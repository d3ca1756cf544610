/*
 * rep_share: SHARE events (recorder/rec_share.c). A recorded process of a --children tree
 * gave the recorders' token back with its shared mappings made inaccessible, and took it again
 * at its first access to one of them (a fault, or a syscall entry that uses it), where the
 * pages other processes had changed were logged. Replay applies each event at the same moment:
 * at the exit of the thread's syscall, at a counted dispatch, at the access fault (the pages
 * written, the mapping opened; the instruction then runs again), or at a syscall entry (the
 * call is skipped to its exit, the mapping opened there, and the call made again:
 * rep_syscall.c). Execution between events is deterministic, so the faults come at the same
 * instructions as when recorded; one that does not is a divergence.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>

int rep_share_next(struct rep_session *s, int at, uint64_t tick)
{
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    struct rep_thread *c = rep_thread_cur(s);
    return nx && c && nx->type == PT_EV_SHARE && nx->share_at == at && nx->tid == c->rec_tid &&
           (at != PT_SHARE_TICK || nx->tick == tick);
}

uint64_t rep_share_tick(struct rep_session *s)
{
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    struct rep_thread *c = rep_thread_cur(s);
    if (nx && c && nx->type == PT_EV_SHARE && nx->share_at == PT_SHARE_TICK &&
        nx->tid == c->rec_tid) {
        return nx->tick;
    }
    return 0;
}

/* Remember the protection a range gets when opened, for throwaway copies (rep_copy.c). */
static void note_open(struct rep_session *s, const struct pt_share_range *r)
{
    for (size_t i = 0; i < s->nshare_open; i++) {
        if (s->share_open[i].addr == r->addr) {
            s->share_open[i] = *r;
            return;
        }
    }
    if (s->nshare_open % 16 == 0) {
        s->share_open = realloc(s->share_open, (s->nshare_open + 16) * sizeof *s->share_open);
    }
    s->share_open[s->nshare_open++] = *r;
}

int rep_share_apply(struct rep_session *s)
{
    if (pt_tracer_next(&s->tr, &s->ev) != 1) {
        return -1;
    }
    for (size_t i = 0; i < s->ev.nregions; i++) {
        const struct pt_region *rg = &s->ev.regions[i];
        if (pt_mem_write(&s->mem, rg->addr, pt_event_region_data(&s->ev, i), rg->len) < 0) {
            return pt_wrap("writing what other processes wrote to shared memory (event %llu)",
                           (unsigned long long)s->ev.seq);
        }
    }
    for (uint32_t i = 0; i < s->ev.nranges; i++) {
        const struct pt_share_range *r = &s->ev.ranges[i];
        uint64_t args[6] = {r->addr, r->len, r->prot, 0, 0, 0};
        int64_t ret;
        if (pt_inject_syscall(s->tid, PT_PAGE_STUB_SYSCALL, SYS_mprotect, args, &ret) < 0) {
            return pt_wrap("protecting shared memory as recorded (event %llu)",
                           (unsigned long long)s->ev.seq);
        }
        if (ret < 0) {
            return rep_divergence(s, "mprotect of the shared mapping at 0x%llx failed in replay",
                                  (unsigned long long)r->addr);
        }
        note_open(s, r);
    }
    return 0;
}

int rep_share_fault(struct rep_session *s, uint64_t addr, uint64_t rip)
{
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    int in = 0;
    for (uint32_t i = 0; nx && i < nx->nranges; i++) {
        in |= addr >= nx->ranges[i].addr && addr < nx->ranges[i].addr + nx->ranges[i].len;
    }
    if (!in) {
        return rep_divergence(s,
                              "the program touched shared memory at 0x%llx (instruction 0x%llx), "
                              "outside the mappings it touched at this point when recorded",
                              (unsigned long long)addr, (unsigned long long)rip);
    }
    return rep_share_apply(s);
}

int rep_share_open_copy(const struct rep_session *s, pid_t pid)
{
    for (size_t i = 0; i < s->nshare_open; i++) {
        const struct pt_share_range *r = &s->share_open[i];
        uint64_t args[6] = {r->addr, r->len, r->open_prot, 0, 0, 0};
        int64_t ret; /* failing (unmapped since) is fine: nothing to open there */
        if (pt_inject_syscall(pid, PT_PAGE_STUB_SYSCALL, SYS_mprotect, args, &ret) < 0) {
            return pt_wrap("opening the shared mappings in the copy");
        }
    }
    return 0;
}

void rep_share_free(struct rep_session *s)
{
    free(s->share_open);
    s->share_open = NULL;
    s->nshare_open = 0;
}
