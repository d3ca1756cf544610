/*
 * rec_syscall: one syscall of a thread of the recorded process. At entry: refuse what cannot
 * be recorded (by name, from the syscall table), neutralise rseq. At exit: log the arguments
 * (replay checks them), the result, and every byte the kernel wrote, as the table describes.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

static void regs_args(const struct user_regs_struct *r, uint64_t a[6])
{
    a[0] = r->rdi;
    a[1] = r->rsi;
    a[2] = r->rdx;
    a[3] = r->r10;
    a[4] = r->r8;
    a[5] = r->r9;
}

static int refuse(struct rec_session *s, int nr, const char *detail)
{
    const struct pt_syscall *sc = pt_syscall(nr);
    char why[768];
    snprintf(why, sizeof why, "the program made syscall %s (number %d)%s%s%s%s",
             pt_syscall_name(nr), nr, detail ? ", " : "", detail ? detail : "",
             sc && sc->why ? ": " : ", which pytt cannot record yet", sc && sc->why ? sc->why : "");
    return rec_abort(s, why);
}

/* Calls whose row is fine but whose arguments pick behaviour pytt cannot record. */
static int check_arguments(struct rec_session *s, int nr, const uint64_t a[6])
{
    char detail[128];
    switch (nr) {
    case SYS_ioctl:
        if (!pt_sc_ioctl_known(a[1])) {
            snprintf(detail, sizeof detail, "with unknown ioctl request 0x%llx on fd %d",
                     (unsigned long long)a[1], (int)a[0]);
            return refuse(s, nr, detail);
        }
        break;
    case SYS_fcntl:
        if (!pt_sc_fcntl_known(a[1])) {
            snprintf(detail, sizeof detail, "with unknown fcntl command %llu",
                     (unsigned long long)a[1]);
            return refuse(s, nr, detail);
        }
        break;
    }
    return 0;
}

/* A 32-bit or x32 syscall has numbers of another table: refuse it by name before it runs (the
 * process is killed at this entry stop, so the call never executes). */
static int refuse_foreign(struct rec_session *s, const struct pt_stop *st)
{
    char why[512];
    snprintf(why, sizeof why, "the program made a %s: pytt records only 64-bit x86-64 syscalls",
             pt_sc_foreign_str(st->abi, st->nr));
    return rec_abort(s, why);
}

int rec_syscall_entry(struct rec_session *s, struct rec_thread *t, const struct pt_stop *st)
{
    struct user_regs_struct *r = &t->entry_regs;
    if (st->abi != PT_ABI_X86_64) {
        return refuse_foreign(s, st);
    }
    if (pt_getregs(t->tid, r) < 0) {
        return -1;
    }
    int nr = (int)r->orig_rax;
    const struct pt_syscall *sc = pt_syscall(nr);
    uint64_t a[6];
    regs_args(r, a);
    /* the loader ran unstopped until now: its outcome is logged, the call made again */
    int loader = rec_loader_at_entry(s, t, nr);
    if (loader != 0) {
        return loader < 0 ? -1 : 0;
    }
    /* a closed shared mapping it uses is opened first, and the call made again (rec_share.c) */
    int again = nr == PT_SYSBUF_NR ? 0 : rec_share_at_entry(s, t, nr, a);
    if (again != 0) {
        return again < 0 ? -1 : 0;
    }
    int req = rec_sysbuf_at_entry(s, t, nr, a);
    if (req != 0) {
        return req < 0 ? -1 : 0; /* a request of the syscall buffer's library: not an event */
    }
    t->in_syscall = 1;
    /* restart_syscall continues the interrupted call with its arguments still in the
     * registers (a timed futex wait or nanosleep interrupted by a signal with no handler):
     * the scheduler and the outputs go by that call */
    t->call_nr = nr == SYS_restart_syscall && t->restart_nr >= 0 ? t->restart_nr : nr;
    if (!sc || sc->mode == PT_SC_UNSUPPORTED) {
        return refuse(s, nr, NULL);
    }
    if (check_arguments(s, nr, a) < 0) {
        return -1;
    }
    if (nr == SYS_rseq) {
        /* Restartable sequences let the kernel write the CPU number into the process at
         * preemption: nondeterministic. Fail the call as a kernel without rseq would. */
        struct user_regs_struct skip = *r;
        skip.orig_rax = (uint64_t)-1;
        return pt_setregs(t->tid, &skip);
    }
    if (nr == SYS_exit || nr == SYS_exit_group) {
        /* No exit stop follows: log it now so replay can check it. After exit_group the
         * other threads only die: nothing is scheduled any more (rec_sched_run). */
        s->dying = s->dying || nr == SYS_exit_group;
        pt_event_reset(&s->ev, PT_EV_SYSCALL);
        s->ev.nr = nr;
        s->ev.nargs = sc->nargs;
        memcpy(s->ev.args, a, sizeof a);
        if (rec_clock_tick(s, &s->ev.tick) < 0 || rec_write_event(s) < 0) {
            return -1;
        }
    }
    return rec_sched_at_entry(s, pt_syscall(t->call_nr), t->call_nr);
}

static int emit_region(void *ud, pt_addr addr, uint64_t len)
{
    struct rec_session *s = ud;
    struct pt_event *ev = &s->ev;
    if (len == 0) {
        return 0;
    }
    uint8_t *dst = pt_event_add_region(ev, addr, len);
    ssize_t n = pt_mem_read_partial(&s->mem, addr, dst, len);
    if (n < (ssize_t)len) {
        /* The kernel cannot have written what we cannot read: keep what is readable. */
        size_t keep = n > 0 ? (size_t)n : 0;
        ev->data.len -= len - keep;
        ev->regions[ev->nregions - 1].len = keep;
        if (keep == 0) {
            ev->nregions--;
        }
    }
    return 0;
}

int rec_syscall_exit(struct rec_session *s, struct rec_thread *t)
{
    struct user_regs_struct r;
    if (pt_getregs(t->tid, &r) < 0) {
        return -1;
    }
    int nr = (int)t->entry_regs.orig_rax;
    const struct pt_syscall *sc = pt_syscall(nr);
    if (!t->in_syscall || !sc) {
        return pt_fail("thread %d stopped at a syscall exit pytt did not see it enter",
                       (int)t->tid);
    }
    t->in_syscall = 0;
    uint64_t ea[6];
    regs_args(&t->entry_regs, ea);
    if (rec_sysbuf_at_exit(s, t, nr, ea, &r) < 0) {
        return -1;
    }
    if (nr == SYS_rseq) {
        r.rax = (uint64_t)-ENOSYS;
        r.orig_rax = (uint64_t)SYS_rseq;
        if (pt_setregs(t->tid, &r) < 0) {
            return -1;
        }
    }
    struct pt_sc_call call = {.nr = nr, .ret = (int64_t)r.rax};
    regs_args(&t->entry_regs, call.args);
    pt_event_reset(&s->ev, PT_EV_SYSCALL);
    s->ev.nr = nr;
    s->ev.nargs = sc->nargs;
    memcpy(s->ev.args, call.args, sizeof call.args);
    s->ev.ret = call.ret;
    if (rec_clock_tick(s, &s->ev.tick) < 0) {
        return -1;
    }
    /* what the call wrote: restart_syscall's are those of the call it continued */
    const struct pt_syscall *csc = pt_syscall(t->call_nr);
    struct pt_sc_call ccall = call;
    ccall.nr = t->call_nr;
    if (csc && pt_sc_outputs(csc, &ccall, &s->mem, emit_region, s) < 0) {
        return pt_wrap("recording the outputs of %s", csc->name);
    }
    t->restart_nr = call.ret == -PT_ERESTART_RESTARTBLOCK ? t->call_nr : -1;
    /* what descendants wrote to shared memory meanwhile */
    if (rec_gate_at_exit(s, t, call.ret) < 0) {
        return -1;
    }
    if (nr == SYS_mmap && call.ret >= 0 && rec_mmap_classify(s, &call) < 0) {
        return -1;
    }
    size_t had_shmaps = s->nshmaps;
    if (rec_mmap_track(s, &call) < 0) {
        return -1;
    }
    /* its first shared mapping: from now on the process reads there only with the gate shut */
    if (!had_shmaps && s->nshmaps > 0 && rec_gate_at_exit(s, t, call.ret) < 0) {
        return -1;
    }
    if (rec_output_write(s, &s->mem, pt_fdkinds_get(&s->fds, call.args[0]), 0, nr, call.args,
                         call.ret) < 0) {
        return -1;
    }
    pt_fdkinds_update(&s->fds, nr, call.args, call.ret);
    if (rec_sysbuf_fds(s, nr, call.args, call.ret) < 0) {
        return -1;
    }
    rec_sources_note(s, nr, call.args, call.ret);
    t->exit_regs = r;
    t->last_was_exit = 1;
    s->res->nsyscalls++;
    if (rec_write_event(s) < 0 || rec_clock_after_syscall(s, nr, call.args, call.ret) < 0) {
        return -1;
    }
    /* closes the shared mappings, gives the token back */
    return rec_share_after_exit(s, t, call.ret);
}
