/*
 * kill_wait_check: pt_kill_wait_threads (common/pt_ptrace.c) must reap a killed multi-threaded
 * tracee completely, whatever interrupts its waits. A child with four threads, all traced and
 * left in ptrace stops (as a stopped replay is), is killed while a helper thread of this tool
 * sends signals without SA_RESTART to the waiting thread in a tight loop (as `pytt dap`'s
 * pause/disconnect, Ctrl-C and the watchdog's alarm do); once with the caller naming the
 * threads, once with the caller knowing none of them (a clone not seen yet). The child must be
 * gone afterwards (no zombie left, which would also have made the wait for it block for
 * good). An alarm ends the tool if a wait hangs. Prints one line per case, exits 1 on failure.
 */
#define _GNU_SOURCE
#include "common/pt_ptrace.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 4

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;) {
        pause();
    }
    return NULL;
}

/* The tracee: stop for the tracer, start the threads, wait. */
static void child(void)
{
    ptrace(PTRACE_TRACEME, 0, NULL, NULL);
    raise(SIGSTOP);
    for (int i = 0; i < NTHREADS; i++) {
        pthread_t t;
        pthread_create(&t, NULL, sleeper, NULL);
    }
    for (;;) {
        pause();
    }
}

/* Run the child until its threads exist and are all in ptrace stops; their ids in tids. */
static pid_t start_child(pid_t *tids)
{
    pid_t pid = fork();
    if (pid == 0) {
        child();
    }
    int status, n = 0;
    waitpid(pid, &status, __WALL);
    ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)PTRACE_O_TRACECLONE);
    ptrace(PTRACE_CONT, pid, NULL, NULL);
    while (n < NTHREADS) {
        pid_t got = waitpid(-1, &status, __WALL);
        if (got < 0) {
            perror("waitpid");
            exit(1);
        }
        if (got != pid && WIFSTOPPED(status)) {
            tids[n++] = got; /* a new thread's first stop: it stays stopped */
        } else if (got == pid && WIFSTOPPED(status)) {
            ptrace(PTRACE_CONT, pid, NULL, NULL); /* past its clone events */
        }
    }
    return pid;
}

static volatile int storming;
static pthread_t waiter;

static void on_signal(int sig)
{
    (void)sig;
}

static void *storm(void *arg)
{
    (void)arg;
    while (storming) {
        pthread_kill(waiter, SIGUSR1);
        struct timespec ts = {0, 20000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static int one_case(const char *name, int tell_threads)
{
    pid_t tids[NTHREADS];
    pid_t pid = start_child(tids);
    pthread_t st;
    storming = 1;
    pthread_create(&st, NULL, storm, NULL);
    pt_kill_wait_threads(pid, tids, tell_threads ? NTHREADS : 0);
    storming = 0;
    pthread_join(st, NULL);
    char path[64];
    struct stat sb;
    snprintf(path, sizeof path, "/proc/%d", (int)pid);
    int left = stat(path, &sb) == 0;
    printf("%s: %s\n", name, left ? "FAILED (the child is left as a zombie)" : "ok");
    return left;
}

int main(void)
{
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: waits see EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    alarm(60); /* a wait that hangs ends the tool (and the test fails) */
    waiter = pthread_self();
    int bad = 0;
    for (int round = 0; round < 10; round++) {
        bad |= one_case("threads named, waits interrupted", 1);
        bad |= one_case("threads not named, waits interrupted", 0);
    }
    return bad;
}
