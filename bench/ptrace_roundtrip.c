/*
 * ptrace_roundtrip: the cost of one ptrace syscall stop on this machine, the unit every
 * recorded or replayed syscall pays twice. A child makes N getppid() calls under PTRACE_SYSCALL;
 * the tracer reads registers at each stop as pytt does. Variants: tracer and child pinned to
 * one CPU or not, and the child trapping rdtsc (PR_SET_TSC) alone or with the tracer.
 *
 *   cc -O2 -o /tmp/ptrace_roundtrip bench/ptrace_roundtrip.c && /tmp/ptrace_roundtrip
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N 20000

static double now(void)
{
    struct timespec t; /* a real syscall: the vDSO's clock_gettime executes rdtsc */
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double run(int pin, int child_tsc, int tracer_tsc)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < CPU_SETSIZE; i++) {
        CPU_SET(i, &set);
    }
    if (pin) {
        CPU_ZERO(&set);
        CPU_SET(0, &set);
    }
    sched_setaffinity(0, sizeof set, &set);
    pid_t p = fork();
    if (p == 0) {
        if (child_tsc) {
            prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
        }
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        for (int i = 0; i < N; i++) {
            syscall(SYS_getppid);
        }
        _exit(0);
    }
    int st, stops = 0;
    waitpid(p, &st, 0);
    ptrace(PTRACE_SETOPTIONS, p, 0, PTRACE_O_TRACESYSGOOD);
    if (tracer_tsc) {
        prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
    }
    double t0 = now();
    for (;;) {
        ptrace(PTRACE_SYSCALL, p, 0, 0);
        waitpid(p, &st, 0);
        if (WIFEXITED(st)) {
            break;
        }
        struct user_regs_struct r;
        ptrace(PTRACE_GETREGS, p, 0, &r);
        stops++;
    }
    double t = now() - t0;
    prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
    return t / stops * 1e6;
}

int main(void)
{
    printf("us per ptrace syscall stop (one run of %d syscalls each):\n", N);
    printf("  unpinned                                %6.1f\n", run(0, 0, 0));
    printf("  pinned to one CPU                       %6.1f\n", run(1, 0, 0));
    printf("  pinned, tracee traps rdtsc               %6.1f\n", run(1, 1, 0));
    printf("  pinned, tracee and tracer trap rdtsc     %6.1f\n", run(1, 1, 1));
    return 0;
}
