/*
 * pyi_attach: stopping a live process for inspection and letting it go again. Every thread in
 * /proc/PID/task is seized (PTRACE_SEIZE, which unlike PTRACE_ATTACH sends no SIGSTOP that could
 * leak to the program) and interrupted (PTRACE_INTERRUPT), then waited for; the task list is
 * re-read until no new thread appears, so a thread created meanwhile is caught too. Detaching
 * resumes them all. Only thread control goes through ptrace here; memory is read through
 * pt_mem.
 */
#define _GNU_SOURCE
#include "pyintrospect/pyi_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#define PYI_MAX_TASKS 4096

struct pyi_attach {
    pid_t pid;
    pid_t *tids;
    size_t n;
};

static bool pyi_attached(const struct pyi_attach *a, pid_t tid)
{
    for (size_t i = 0; i < a->n; i++) {
        if (a->tids[i] == tid) {
            return true;
        }
    }
    return false;
}

static int pyi_attach_one(struct pyi_attach *a, pid_t tid)
{
    if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0) {
        if (errno == ESRCH && a->n > 0) {
            return 0; /* a thread that just exited */
        }
        return pt_fail_errno("PTRACE_SEIZE of %s %d", tid == a->pid ? "pid" : "thread", (int)tid);
    }
    a->tids[a->n++] = tid;
    if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) != 0) {
        return pt_fail_errno("PTRACE_INTERRUPT of thread %d", (int)tid);
    }
    int status;
    if (waitpid(tid, &status, __WALL) < 0) {
        return pt_fail_errno("waitpid(%d)", (int)tid);
    }
    return 0;
}

/* One pass over /proc/PID/task: attach to threads not yet attached; *added counts them. */
static int pyi_attach_pass(struct pyi_attach *a, int *added)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)a->pid);
    DIR *d = opendir(path);
    if (!d) {
        return pt_fail_errno("no such process %d (reading %s)", (int)a->pid, path);
    }
    struct dirent *e;
    int rc = 0;
    *added = 0;
    while ((e = readdir(d)) && rc == 0) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0 || pyi_attached(a, tid)) {
            continue;
        }
        if (a->n >= PYI_MAX_TASKS) {
            rc = pt_fail("more than %d threads", PYI_MAX_TASKS);
            break;
        }
        rc = pyi_attach_one(a, tid);
        (*added)++;
    }
    closedir(d);
    return rc;
}

int pyi_attach(pid_t pid, struct pyi_attach **out)
{
    struct pyi_attach *a = calloc(1, sizeof *a);
    if (!a || !(a->tids = calloc(PYI_MAX_TASKS, sizeof *a->tids))) {
        free(a);
        return pt_fail("out of memory");
    }
    a->pid = pid;
    int added = 1;
    for (int pass = 0; added && pass < 100; pass++) {
        if (pyi_attach_pass(a, &added) != 0) {
            pyi_detach(a);
            return -1;
        }
    }
    *out = a;
    return 0;
}

void pyi_detach(struct pyi_attach *a)
{
    if (!a) {
        return;
    }
    for (size_t i = 0; i < a->n; i++) {
        ptrace(PTRACE_DETACH, a->tids[i], NULL, NULL);
    }
    free(a->tids);
    free(a);
}
