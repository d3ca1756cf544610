/*
 * rep_watchdog: a replay must end, whatever the trace says. While rep_run waits for the
 * program, a timer wakes pytt every half second (and Ctrl-C wakes it at once):
 *   - Ctrl-C: the program is made to trap at its next bytecode dispatch, and rep_run returns
 *     "interrupted" (the shell goes back to where the command started; `replay -a` exits);
 *   - the program is past the Python tick at which the recording made its next syscall: it is
 *     made to trap at once, and the trap reports the divergence (rep_clock.c); otherwise it is
 *     armed to trap one tick past it, so a replay spinning in Python code is caught there;
 *   - the program has used more CPU time during one rep_run than the budget (three
 *     times the recording's duration, at least 30 s, or PYTT_REPLAY_CPU_LIMIT seconds): it is
 *     spinning in native code, where no tick counts; it is killed and the replay says so.
 * The tracee is pinned to pytt's CPU, so it never runs while the watchdog writes its clock.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static void on_alarm(int sig)
{
    (void)sig; /* only interrupts waitpid (no SA_RESTART) */
}

/* utime + stime of pid in milliseconds, 0 if unknown. */
static uint64_t cpu_ms(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) {
        fclose(f);
    }
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    if (!p ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) {
        return 0;
    }
    return (ut + st) * 1000 / (uint64_t)sysconf(_SC_CLK_TCK);
}

static void check_ticks(struct rep_session *s)
{
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    struct rep_thread *c = rep_thread_cur(s);
    if (nx && nx->type == PT_EV_SYSCALL && nx->tick && c && nx->tid == c->rec_tid) {
        rep_clock_trap_at(s, nx->tick + 1);
    }
    pt_err_clear();
}

static void check_cpu(struct rep_session *s)
{
    uint64_t now = cpu_ms(s->pid);
    if (s->cpu_pid != s->pid || now < s->cpu_at_resume) { /* a restored copy runs now */
        s->cpu_pid = s->pid;
        s->cpu_at_resume = now;
    }
    uint64_t used = now - s->cpu_at_resume;
    if (used > s->cpu_budget_ms && !s->watchdog_msg[0]) {
        snprintf(s->watchdog_msg, sizeof s->watchdog_msg,
                 "the program ran for %.1f s of CPU time without reaching event %llu (the whole "
                 "recording took %.1f s): it is spinning where the recording did not",
                 (double)used / 1000, (unsigned long long)pt_tracer_pos(&s->tr),
                 (double)s->tr.duration_ns / 1e9);
        kill(s->pid, SIGKILL);
    }
}

static void hook(void *ctx)
{
    struct rep_session *s = ctx;
    if (s->pid <= 0 || !s->running) {
        return;
    }
    if (pt_interrupted) {
        rep_clock_trap_at(s, 0);
        return;
    }
    check_ticks(s);
    check_cpu(s);
}

static uint64_t budget_ms(const struct rep_session *s)
{
    const char *env = getenv("PYTT_REPLAY_CPU_LIMIT");
    if (env && atoi(env) > 0) {
        return (uint64_t)atoi(env) * 1000;
    }
    uint64_t rec = s->tr.duration_ns / 1000000 * 3;
    return rec > 30000 ? rec : 30000;
}

void rep_watchdog_install(struct rep_session *s)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    pt_wait_interrupt_hook = hook;
    pt_wait_interrupt_ctx = s;
    s->cpu_budget_ms = budget_ms(s);
}

void rep_watchdog_begin(struct rep_session *s)
{
    struct itimerval it = {{0, 500000}, {0, 500000}};
    /* the CPU time at the start is read at the first alarm (check_cpu: another pid), not here:
     * a run that stops within 0.5 s (a breakpoint hit of `trace`, a write trap) costs no
     * /proc read, and the budget starts at most 0.5 s late */
    s->cpu_pid = 0;
    setitimer(ITIMER_REAL, &it, NULL);
}

void rep_watchdog_end(struct rep_session *s)
{
    struct itimerval off;
    memset(&off, 0, sizeof off);
    setitimer(ITIMER_REAL, &off, NULL);
}
