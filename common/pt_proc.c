/*
 * pt_proc: /proc/PID readers (see pt_proc.h). Every failure names the file it read.
 */
#define _GNU_SOURCE
#include "pt_proc.h"

#include "pt_error.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pt_proc_readlink(pid_t pid, const char *what, char *out, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, what);
    ssize_t n = readlink(path, out, cap - 1);
    if (n < 0) {
        return pt_fail_errno("readlink(%s)", path);
    }
    out[n] = '\0';
    return 0;
}

int pt_proc_fd_path(pid_t pid, int fd, char *out, size_t cap)
{
    char what[32];
    snprintf(what, sizeof what, "fd/%d", fd);
    return pt_proc_readlink(pid, what, out, cap);
}

int pt_proc_stack_end(pid_t pid, uint64_t *end)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) {
        return pt_fail_errno("open(%s)", path);
    }
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        uint64_t lo, hi;
        if (strstr(line, "[stack]") && sscanf(line, "%" SCNx64 "-%" SCNx64, &lo, &hi) == 2) {
            *end = hi;
            found = 1;
            break;
        }
    }
    fclose(f);
    return found ? 0 : pt_fail("%s has no [stack] mapping", path);
}

int pt_proc_sigmasks(pid_t pid, uint64_t *caught, uint64_t *ignored)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) {
        return pt_fail_errno("open(%s)", path);
    }
    int got = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "SigCgt:", 7) == 0) {
            *caught = strtoull(line + 7, NULL, 16);
            got++;
        } else if (strncmp(line, "SigIgn:", 7) == 0) {
            *ignored = strtoull(line + 7, NULL, 16);
            got++;
        }
    }
    fclose(f);
    return got == 2 ? 0 : pt_fail("%s lacks SigCgt/SigIgn", path);
}

int pt_proc_sigblocked(pid_t pid, uint64_t *blocked)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) {
        return pt_fail_errno("open(%s)", path);
    }
    int got = 0;
    while (!got && fgets(line, sizeof line, f)) {
        if (strncmp(line, "SigBlk:", 7) == 0) {
            *blocked = strtoull(line + 7, NULL, 16);
            got = 1;
        }
    }
    fclose(f);
    return got ? 0 : pt_fail("%s lacks SigBlk", path);
}

int pt_proc_personality(pid_t pid, uint64_t *pers)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/personality", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) {
        return pt_fail_errno("open(%s)", path);
    }
    int ok = fscanf(f, "%" SCNx64, pers) == 1;
    fclose(f);
    return ok ? 0 : pt_fail("cannot parse %s", path);
}

pid_t pt_proc_tgid(pid_t tid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    FILE *f = fopen(path, "re");
    pid_t tgid = tid;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "Tgid:", 5) == 0) {
            tgid = (pid_t)atoi(line + 5);
            break;
        }
    }
    if (f) {
        fclose(f);
    }
    return tgid;
}
