/*
 * loader_filter_check: the loader's seccomp filter (common/pt_seccomp.c, build_loader), installed
 * in a child of this tool with no tracer, lets through exactly what the loader's phase may run
 * unstopped (recorder/rec_loader.c) and stops anything else: a call the filter would stop
 * (SECCOMP_RET_TRACE) fails with ENOSYS when no tracer is attached. One line per case; exits 1
 * if any is wrong.
 */
#define _GNU_SOURCE
#include "common/pt_seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { PASSES, STOPS };

/* Runs case `which` in a child under the filter: PASSES if the call reached the kernel, STOPS
 * if the filter answered (ENOSYS without a tracer), -1 if the child failed otherwise. The child
 * cannot exit (exit_group stops too) nor write: it leaves its answer in memory it shares with
 * this process and ends by an illegal instruction (SIGILL: ASan, in the sanitized build, takes
 * SIGSEGV and would try to write a report). */
static int g_inherited[PT_SECCOMP_FDS], g_ninherited, g_own_fd = -1;

static long run_case(int which, long (*call)(int))
{
    volatile int *answer =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (answer == MAP_FAILED) {
        return -1;
    }
    *answer = -1;
    pid_t pid = fork();
    if (pid == 0) {
        struct pt_seccomp_loader ld;
        memset(&ld, 0, sizeof ld);
        for (int i = 0; i < g_ninherited; i++) {
            ld.inherited[ld.ninherited++] = g_inherited[i];
            ld.max_inherited_fd =
                g_inherited[i] > ld.max_inherited_fd ? g_inherited[i] : ld.max_inherited_fd;
        }
        struct sock_filter f[256];
        unsigned n = pt_seccomp_loader_program(&ld, f, 256);
        struct sock_fprog prog = {(unsigned short)n, f};
        if (n == 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
            _exit(3);
        }
        errno = 0;
        long r = call(which);
        *answer = r == -1 && errno == ENOSYS ? STOPS : PASSES;
        __builtin_trap();
    }
    int status;
    waitpid(pid, &status, 0);
    long got = *answer;
    munmap((void *)answer, 4096);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGILL ? got : -1;
}

static int own_fd(void) /* opened before the filter but not listed as inherited */
{
    return g_own_fd;
}

static long the_call(int which)
{
    char buf[256]; /* (a struct stat fits) */
    struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
    int fwd = 0;
    switch (which) {
    case 0:
        return syscall(SYS_openat, AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC);
    case 1:
        return syscall(SYS_openat, AT_FDCWD, "/dev/null", O_WRONLY);
    case 2:
        return syscall(SYS_openat, AT_FDCWD, "/proc/self/status", O_RDONLY | O_CREAT, 0600);
    case 3:
        return syscall(SYS_read, own_fd(), buf, sizeof buf);
    case 4:
        return syscall(SYS_read, g_inherited[0], buf, 0);
    case 5:
        return syscall(SYS_write, 1, "", 0);
    case 6:
        return (long)syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                             -1, 0);
    case 7:
        return (long)syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                             -1, 0);
    case 8:
        return (long)syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_SHARED, own_fd(), 0);
    case 9:
        return syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, &rl);
    case 10:
        return syscall(SYS_prlimit64, 0, RLIMIT_CORE, &rl, NULL);
    case 11:
        return syscall(SYS_futex, &fwd, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    case 12:
        return syscall(SYS_futex, &fwd, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0);
    case 13:
        return syscall(SYS_getpid);
    case 14:
        return syscall(SYS_kill, getppid(), 0);
    case 15:
        return syscall(SYS_newfstatat, AT_FDCWD, "/", buf, 0);
    case 16:
        return syscall(SYS_brk, 0);
    case 17:
        return syscall(SYS_clone, 0, 0, 0, 0, 0); /* stopped before it forks */
    case 18:
        return syscall(SYS_close, g_inherited[0]);
    case 19:
        return syscall(SYS_lseek, own_fd(), 0, SEEK_SET);
    }
    return 0;
}

int main(void)
{
    static const struct {
        const char *what;
        int want;
    } cases[] = {
        {"openat read-only", PASSES},
        {"openat for writing", STOPS},
        {"openat with O_CREAT", STOPS},
        {"read of a descriptor opened since", PASSES},
        {"read of an inherited descriptor", STOPS},
        {"write", STOPS},
        {"private anonymous mmap", PASSES},
        {"shared anonymous mmap", STOPS},
        {"read-only shared mmap of a file", PASSES},
        {"prlimit64 reading a limit", PASSES},
        {"prlimit64 setting a limit", STOPS},
        {"FUTEX_WAKE", PASSES},
        {"FUTEX_WAIT", STOPS},
        {"getpid", PASSES},
        {"kill", STOPS},
        {"newfstatat", PASSES},
        {"brk", PASSES},
        {"clone", STOPS},
        {"close of an inherited descriptor", STOPS},
        {"lseek of a descriptor opened since", PASSES},
    };
    /* the descriptors this process got (what ctest or a shell left open), then a file it
     * opens itself, which the filter must not count as inherited */
    for (int fd = 0; fd < 1024 && g_ninherited < PT_SECCOMP_FDS; fd++) {
        if (fcntl(fd, F_GETFD) >= 0) {
            g_inherited[g_ninherited++] = fd;
        }
    }
    g_own_fd = open("/proc/self/exe", O_RDONLY);
    if (g_own_fd < 0 || g_ninherited == 0 || g_ninherited == PT_SECCOMP_FDS) {
        fprintf(stderr, "loader_filter_check: cannot set up (fd %d, %d inherited)\n", g_own_fd,
                g_ninherited);
        return 1;
    }
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long got = run_case((int)i, the_call);
        int ok = got == cases[i].want;
        printf("%-40s %s%s\n", cases[i].what,
               got == PASSES  ? "passes"
               : got == STOPS ? "stops"
                              : "?",
               ok ? "" : "   <-- wrong");
        bad += !ok;
    }
    return bad ? 1 : 0;
}
