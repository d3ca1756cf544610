/*
 * rep_syscall: replay one syscall. The call the program makes must be the next logged one,
 * with the same number and arguments: anything else is a divergence, reported with both calls.
 * Then, as the syscall table says, it is emulated (turned into an invalid syscall at entry so
 * the kernel does nothing, then given the logged result and memory at exit) or executed for
 * real and its result checked.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_sysbuf.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <errno.h>
#include <linux/sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
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

/* What the recording has next, for a divergence message (static buffer). */
static const char *ev_desc(const struct pt_event *ev)
{
    static char buf[160];
    switch (ev->type) {
    case PT_EV_SYSCALL:
        return "a syscall";
    case PT_EV_SIGNAL:
        return "a signal delivery";
    case PT_EV_FAULT:
        return "a fault";
    case PT_EV_RDTSC:
        return "an rdtsc";
    case PT_EV_END:
        return "the end of the run";
    case PT_EV_CLOCK:
        return "the Python clock's installation";
    case PT_EV_LOADER:
        return "the state ld.so left (which only the start of a trace has)";
    case PT_EV_OUTPUT:
        return "a child process's output";
    case PT_EV_SYSBUF:
        snprintf(buf, sizeof buf,
                 "calls of thread %d through the syscall buffer (the program made fewer of them)",
                 (int)ev->tid);
        return buf;
    case PT_EV_SHARE:
        snprintf(buf, sizeof buf, "thread %d %s shared memory (at its %s)", (int)ev->tid,
                 ev->nranges && ev->ranges[0].prot ? "opening" : "closing",
                 ev->share_at == PT_SHARE_FAULT   ? "access fault"
                 : ev->share_at == PT_SHARE_ENTRY ? "syscall entry"
                 : ev->share_at == PT_SHARE_TICK  ? "counted dispatch"
                                                  : "syscall exit");
        return buf;
    case PT_EV_SWITCH:
        if (ev->switch_at == PT_SWITCH_ENTRY) {
            snprintf(buf, sizeof buf, "thread %d entering %s, where the recording switched threads",
                     (int)ev->switch_from, pt_syscall_name(ev->switch_nr));
        } else {
            snprintf(buf, sizeof buf, "a switch from thread %d to thread %d", (int)ev->switch_from,
                     (int)ev->tid);
        }
        return buf;
    }
    snprintf(buf, sizeof buf, "an event of unknown type %d", ev->type);
    return buf;
}

void rep_fmt_call(char *buf, size_t cap, int nr, int nargs, const uint64_t *a)
{
    int n = snprintf(buf, cap, "%s(", pt_syscall_name(nr));
    for (int i = 0; i < nargs && n < (int)cap; i++) {
        n +=
            snprintf(buf + n, cap - (size_t)n, "%s0x%llx", i ? ", " : "", (unsigned long long)a[i]);
    }
    if (n < (int)cap) {
        snprintf(buf + n, cap - (size_t)n, ")");
    }
}

int rep_divergence(struct rep_session *s, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct rep_thread *t = s->nthreads > 1 ? rep_thread_cur(s) : NULL;
    if (t) { /* with several threads, say whose execution went elsewhere */
        return pt_fail("replay diverged from the recording at event %llu, in thread %d: %s",
                       (unsigned long long)pt_tracer_pos(&s->tr), (int)t->rec_tid, msg);
    }
    return pt_fail("replay diverged from the recording at event %llu: %s",
                   (unsigned long long)pt_tracer_pos(&s->tr), msg);
}

int rep_next_event(struct rep_session *s, int want, const char *what)
{
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    if (!nx) {
        return pt_errmsg()[0] ? -1 : rep_divergence(s, "%s, but the trace has ended", what);
    }
    if (nx->type != want) {
        return rep_divergence(s, "the program made %s, but the recording has %s", what,
                              ev_desc(nx));
    }
    s->dropped_signals = 0;
    return pt_tracer_next(&s->tr, &s->ev) == 1 ? 0 : -1;
}

static int check_call(struct rep_session *s, int nr, const uint64_t a[6])
{
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    char got[256], want[256];
    const struct pt_syscall *sc = pt_syscall(nr);
    rep_fmt_call(got, sizeof got, nr, sc ? sc->nargs : 6, a);
    if (!nx) {
        return pt_errmsg()[0] ? -1 : rep_divergence(s, "the program called %s past the end", got);
    }
    if (nx->type != PT_EV_SYSCALL) {
        return rep_divergence(s, "the program called %s, but the recording has %s", got,
                              ev_desc(nx));
    }
    int same = nx->nr == nr;
    unsigned used = same ? pt_sc_used_args(sc, nr, nx->args) : 0;
    for (int i = 0; same && i < nx->nargs; i++) {
        same = !(used & (1u << i)) || nx->args[i] == a[i];
    }
    if (!same) {
        rep_fmt_call(want, sizeof want, nx->nr, nx->nargs, nx->args);
        return rep_divergence(s, "the program called %s, but the recording has %s", got, want);
    }
    s->dropped_signals = 0;
    return pt_tracer_next(&s->tr, &s->ev) == 1 ? 0 : -1;
}

/* Resume from a syscall entry to its exit; stray signals from outside are dropped. */
static int step_to_exit(struct rep_session *s, struct user_regs_struct *x)
{
    for (;;) {
        struct pt_stop st;
        if (pt_resume_syscall(s->tid, 0) < 0 || pt_wait(s->tid, &st) < 0) {
            return -1;
        }
        if (st.kind == PT_STOP_SYSCALL_EXIT) {
            return pt_getregs(s->tid, x);
        }
        if (st.kind != PT_STOP_SIGNAL) {
            return pt_fail("replaying %s: expected its exit, got %s", pt_syscall_name(s->ev.nr),
                           pt_stop_str(&st));
        }
    }
}

static int write_regions(struct rep_session *s)
{
    for (size_t i = 0; i < s->ev.nregions; i++) {
        const struct pt_region *rg = &s->ev.regions[i];
        if (pt_mem_write(&s->mem, rg->addr, pt_event_region_data(&s->ev, i), rg->len) < 0) {
            return pt_wrap("writing the recorded output of %s", pt_syscall_name(s->ev.nr));
        }
    }
    return 0;
}

/* What the kernel does to an interrupted call when no handler runs: restart it. */
static void restart_fixup(struct rep_session *s, struct user_regs_struct *x)
{
    int64_t ret = s->ev.ret;
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    if (nx && nx->type == PT_EV_SIGNAL) {
        return; /* the injected signal makes the kernel decide, as it did when recording */
    }
    if (ret == -PT_ERESTARTSYS || ret == -PT_ERESTARTNOINTR || ret == -PT_ERESTARTNOHAND) {
        x->rax = (uint64_t)s->ev.nr;
        x->rip -= 2;
    } else if (ret == -PT_ERESTART_RESTARTBLOCK) {
        x->rax = SYS_restart_syscall;
        x->rip -= 2;
    }
}

/* Calls replay emulates in full whatever their arguments (see rep_syscall_at_entry). */
static int fully_emulated(int nr)
{
    const struct pt_syscall *sc = pt_syscall(nr);
    switch (nr) {
    case SYS_clone:
    case SYS_clone3:
    case SYS_fork:
    case SYS_vfork:
    case SYS_mmap:
    case SYS_mremap:
    case SYS_exit:
    case SYS_exit_group:
    case SYS_execve:
    case SYS_execveat:
        return 0;
    }
    return sc && sc->mode == PT_SC_EMULATE;
}

int rep_syscall_emulable_next(struct rep_session *s)
{
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    struct rep_thread *c = rep_thread_cur(s);
    if (!nx || !c || s->foreign || nx->type != PT_EV_SYSCALL || nx->tid != c->rec_tid) {
        return 0;
    }
    return fully_emulated(nx->nr);
}

/* At an entry the thread reached under PTRACE_SYSEMU, the kernel skips the call: when the
 * thread's next call is emulated too, it is given the call's results here and resumed with
 * PTRACE_SYSEMU again, with no exit stop. */
static int emulate_at_entry(struct rep_session *s)
{
    struct user_regs_struct x = s->entry_regs;
    if (write_regions(s) < 0) {
        return -1;
    }
    x.rax = (uint64_t)s->ev.ret;
    x.orig_rax = (uint64_t)s->ev.nr;
    restart_fixup(s, &x);
    rep_fd_update(s);
    rep_thread_cur(s)->skip_exit = 1;
    return pt_setregs(s->tid, &x);
}

static int emulate(struct rep_session *s, const struct pt_syscall *sc)
{
    struct user_regs_struct skip = s->entry_regs, x;
    if ((sc->flags & PT_SCF_FD_WRITE) && rep_output(s, &s->entry_regs) < 0) {
        return -1;
    }
    struct rep_thread *c = rep_thread_cur(s);
    if (!s->foreign && c && c->sysemu && rep_syscall_emulable_next(s)) {
        return emulate_at_entry(s);
    }
    skip.orig_rax = (uint64_t)-1;
    if (pt_setregs(s->tid, &skip) < 0 || step_to_exit(s, &x) < 0 || write_regions(s) < 0) {
        return -1;
    }
    x.rax = (uint64_t)s->ev.ret;
    x.orig_rax = (uint64_t)s->ev.nr;
    restart_fixup(s, &x);
    rep_fd_update(s);
    return pt_setregs(s->tid, &x);
}

static int execute(struct rep_session *s)
{
    struct user_regs_struct x;
    if (step_to_exit(s, &x) < 0) {
        return -1;
    }
    if ((int64_t)x.rax != s->ev.ret) {
        return rep_divergence(s, "%s returned %lld, but %lld when recorded",
                              pt_syscall_name(s->ev.nr), (long long)x.rax, (long long)s->ev.ret);
    }
    return 0;
}

/* A 32-bit or x32 syscall: never looked up in the x86-64 table, never executed. The recorder
 * refuses them, so a trace that leads the program to one is corrupt or crafted. The call is
 * turned into no call at this entry stop; the caller then ends the replay. */
static int refuse_foreign(struct rep_session *s, const struct pt_stop *st)
{
    struct user_regs_struct r;
    if (pt_getregs(s->tid, &r) == 0) {
        r.orig_rax = (uint64_t)-1;
        pt_setregs(s->tid, &r);
    }
    return rep_divergence(s,
                          "the program made a %s, which pytt never records and replay never "
                          "runs: the trace is corrupt or was crafted",
                          pt_sc_foreign_str(st->abi, st->nr));
}

/* The flags of a clone/clone3 at entry (0 for other calls). */
static int clone_flags(struct rep_session *s, int nr, const struct user_regs_struct *r,
                       uint64_t *flags)
{
    *flags = 0;
    if (nr == SYS_clone) {
        *flags = r->rdi;
    } else if (nr == SYS_clone3 && pt_mem_read_u64(&s->mem, r->rdi, flags) < 0) {
        return pt_wrap("reading clone3's flags");
    }
    return 0;
}

int rep_syscall_settle(struct rep_session *s)
{
    struct rep_thread *c = rep_thread_cur(s);
    struct user_regs_struct x, skip, y;
    if (!c || !c->skip_exit) {
        return 0;
    }
    if (pt_getregs(s->tid, &x) < 0) {
        return -1;
    }
    skip = x;
    skip.orig_rax = (uint64_t)-1;
    if (pt_setregs(s->tid, &skip) < 0 || step_to_exit(s, &y) < 0) {
        return -1;
    }
    c->skip_exit = 0;
    return pt_setregs(s->tid, &x);
}

int rep_syscall_skip(struct rep_session *s, const struct user_regs_struct *entry)
{
    struct user_regs_struct x = *entry;
    struct rep_thread *c = rep_thread_cur(s);
    if (!s->foreign && c && c->sysemu) {
        x.rax = 0; /* PTRACE_SYSEMU: the kernel skips it */
        c->skip_exit = 1;
        return pt_setregs(s->tid, &x);
    }
    x.orig_rax = (uint64_t)-1;
    if (pt_setregs(s->tid, &x) < 0 || step_to_exit(s, &x) < 0) {
        return -1;
    }
    x.rax = 0;
    x.orig_rax = entry->orig_rax;
    return pt_setregs(s->tid, &x);
}

/* A call the recording's filter let through with no event (pt_sc_unseen): run it for
 * real. Under PTRACE_SYSEMU the kernel skipped it at this entry: run it again from its
 * instruction once that skipped call has returned. */
static int run_unseen(struct rep_session *s)
{
    struct user_regs_struct x;
    struct rep_thread *c = rep_thread_cur(s);
    int nr = (int)s->entry_regs.orig_rax;
    if (step_to_exit(s, &x) < 0) {
        return -1;
    }
    if (!s->foreign && c && c->sysemu) {
        uint64_t a[6];
        int64_t ret;
        regs_args(&s->entry_regs, a);
        c->skip_exit = 0;
        if (pt_rerun_syscall(s->tid, &x, nr, a, &ret) < 0) {
            return pt_wrap("running %s again in the replay", pt_syscall_name(nr));
        }
    }
    return 0;
}

/* Is this call from the syscall buffer's stub one replay runs for real? The library makes a
 * buffered mmap of anonymous private memory again where it was recorded (MAP_FIXED_NOREPLACE:
 * it cannot replace anything) and a buffered munmap again (pytt_preload.c); nothing else
 * comes from the stub at replay, and neither may touch pytt's own pages (the library in a
 * crafted trace's copy is the program's code, not pytt's). */
static int sysbuf_rerun_allowed(const struct user_regs_struct *r)
{
    uint64_t start = r->rdi, len = r->rsi, end = start + len;
    const uint64_t area_start = 0x7f0000000000ull, area_end = PT_SYSBUF_AREA + PT_SYSBUF_AREA_LEN;
    if (end < start || (end > area_start && start < area_end)) {
        return 0; /* (an unaligned address is the kernel's to refuse, as it did at record) */
    }
    if (r->orig_rax == SYS_munmap) {
        return 1;
    }
    uint64_t flags = r->r10 & ~(uint64_t)MAP_NORESERVE;
    return r->orig_rax == SYS_mmap && (int64_t)r->r8 == -1 && r->r9 == 0 &&
           flags == (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE);
}

int rep_syscall(struct rep_session *s, const struct pt_stop *st)
{
    if (st->abi != PT_ABI_X86_64) {
        return refuse_foreign(s, st);
    }
    if (pt_getregs(s->tid, &s->entry_regs) < 0) {
        return -1;
    }
    if (s->entry_regs.orig_rax == PT_SYSBUF_NR && s->entry_regs.rdi != PT_SYSBUF_HELLO) {
        return rep_sysbuf_request(s, &s->entry_regs); /* the syscall buffer's: not an event */
    }
    if (s->tr.hdr.sysbuf && s->entry_regs.rip == PT_SYSBUF_STUB + 2) {
        if (!sysbuf_rerun_allowed(&s->entry_regs)) {
            return rep_divergence(s,
                                  "the syscall buffer's library made %s from its stub, which "
                                  "replay does not run",
                                  pt_syscall_name((int)s->entry_regs.orig_rax));
        }
        return run_unseen(s); /* a buffered mmap or munmap made again (pytt_preload.c) */
    }
    if (s->tr.hdr.sysbuf && pt_sc_unseen((int)s->entry_regs.orig_rax, s->tr.hdr.version)) {
        return run_unseen(s); /* recorded without a stop: no event */
    }
    /* other threads' syscalls logged as returning first, and maybe a switch right here */
    int switched = rep_sched_drain(s, PT_SWITCH_ENTRY, (int)s->entry_regs.orig_rax, 0);
    if (switched != 0) {
        return switched < 0 ? -1 : 0; /* this thread waits at its entry for its event */
    }
    if (rep_child_output(s) < 0) {
        return -1;
    }
    if (rep_share_next(s, PT_SHARE_ENTRY, 0)) {
        /* the recording opened a shared mapping the call uses: skipped, then made again */
        if (pt_skip_call(s->tid, &s->entry_regs) < 0 || rep_share_apply(s) < 0 ||
            pt_rewind_to_call(s->tid, &s->entry_regs) < 0) {
            return -1;
        }
        return 0;
    }
    return rep_syscall_at_entry(s);
}

int rep_syscall_at_entry(struct rep_session *s)
{
    struct user_regs_struct *r = &s->entry_regs;
    uint64_t a[6], flags;
    int nr = (int)r->orig_rax;
    regs_args(r, a);
    if (rep_child_output(s) < 0 || rep_sysbuf_at_call(s) < 0 || check_call(s, nr, a) < 0 ||
        (!s->foreign && rep_clock_check(s, s->ev.tick) < 0) || clone_flags(s, nr, r, &flags) < 0) {
        return -1;
    }
    const struct pt_syscall *sc = pt_syscall(nr);
    int rc, ran = 0; /* ran for real: its recorded regions are not written yet */
    if (nr == SYS_exit || nr == SYS_exit_group) {
        return 0; /* runs for real: the next stop is the thread's or the process's end */
    } else if (flags & CLONE_THREAD) {
        rc = rep_clone_thread(s, r, flags);
        ran = 1;
    } else if (nr == SYS_mmap) {
        rc = rep_mmap(s, r);
        ran = s->ev.map_kind == PT_MAP_FILE;
    } else if (nr == SYS_mremap) {
        rc = rep_mremap(s, r);
    } else if (sc->mode == PT_SC_EXECUTE) {
        rc = execute(s);
        ran = 1;
        if (rc == 0 && nr == SYS_sigaltstack) {
            rep_thread_note_altstack(s, a, s->ev.ret);
        }
    } else {
        rc = emulate(s, sc); /* EMULATE rows, and clone/fork/vfork/rseq */
        if (rc == 0 && nr == PT_SYSBUF_NR) {
            rc = rep_sysbuf_hello(s, s->ev.ret); /* its own, or another thread's returning */
        }
    }
    /* A call that ran for real carries, as output, what descendants wrote into memory they
     * share with the program while it ran (recorder/rec_gate.c); its own outputs, which the
     * kernel has just written again, are the same bytes. */
    if (rc < 0 || (ran && write_regions(s) < 0)) {
        return -1;
    }
    return s->foreign ? rep_clock_event(s) : rep_after_exit(s);
}
