/*
 * seccomp_check: the replay seccomp filter (common/pt_seccomp.c), installed in a child of this
 * tool, must let through the calls replay runs for real and nr -1, and trap anything else with
 * SIGSYS, 32-bit calls included. Prints one line per case and exits 1 if any is wrong.
 */
#define _GNU_SOURCE
#include "common/pt_seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* In a child under the filter: run one call; exit 0 if it returned, die of SIGSYS if not. */
static int outcome(int which)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct sock_filter f[128];
        struct sock_fprog prog = {(unsigned short)pt_seccomp_program(f, 128), f};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
            _exit(3);
        }
        switch (which) {
        case 0:
            syscall(SYS_getpid);
            break;
        case 1:
            syscall(-1);
            break;
        case 2:
            mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            break;
        case 3:
            syscall(SYS_unlink, "/nonexistent-pytt-seccomp-check");
            break;
        case 4:
            __asm__ volatile("mov $20, %%eax; int $0x80" ::: "eax", "memory"); /* i386 getpid */
            break;
        }
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
}

int main(void)
{
    static const struct {
        const char *what;
        int want;
    } cases[] = {{"getpid (emulated at replay: never runs for real)", -SIGSYS},
                 {"syscall -1 (what emulation leaves)", 0},
                 {"mmap (replay runs it)", 0},
                 {"unlink", -SIGSYS},
                 {"int 0x80 getpid (32-bit)", -SIGSYS}};
    int bad = 0;
    for (int i = 0; i < 5; i++) {
        int got = outcome(i);
        printf("%-50s %s\n", cases[i].what,
               got == 0         ? "allowed"
               : got == -SIGSYS ? "trapped (SIGSYS)"
                                : "other");
        bad |= got != cases[i].want;
    }
    return bad;
}
