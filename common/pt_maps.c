/*
 * pt_maps: reading /proc/PID/maps and /proc/PID/pagemap (see pt_maps.h).
 */
#define _GNU_SOURCE
#include "pt_maps.h"

#include "pt_error.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define PAGE 4096ull
#define PM_PRESENT (1ull << 63)
#define PM_SWAP (1ull << 62)
#define PM_FILE (1ull << 61)

/* "lo-hi perms off maj:min ino   path" (strtoull: sscanf took most of a snapshot's time) */
static int parse_line(const char *line, struct pt_vma *v)
{
    char *p;
    memset(v, 0, sizeof *v);
    v->lo = strtoull(line, &p, 16);
    if (*p++ != '-') {
        return -1;
    }
    v->hi = strtoull(p, &p, 16);
    if (*p++ != ' ' || strlen(p) < 5) {
        return -1;
    }
    v->prot = (p[0] == 'r' ? PROT_READ : 0) | (p[1] == 'w' ? PROT_WRITE : 0) |
              (p[2] == 'x' ? PROT_EXEC : 0);
    v->shared = p[3] == 's';
    v->off = strtoull(p + 4, &p, 16);
    unsigned long maj = strtoul(p, &p, 16);
    if (*p++ != ':') {
        return -1;
    }
    unsigned long min = strtoul(p, &p, 16);
    v->ino = strtoull(p, &p, 10);
    v->dev = makedev(maj, min);
    while (*p == ' ') {
        p++;
    }
    snprintf(v->path, sizeof v->path, "%s", p);
    v->path[strcspn(v->path, "\n")] = '\0';
    return 0;
}

int pt_maps_read(pid_t pid, struct pt_vma **out, size_t *n)
{
    char path[64], line[4096 + 256];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) {
        return pt_fail_errno("open(%s)", path);
    }
    size_t cap = 64, k = 0;
    struct pt_vma *v = malloc(cap * sizeof *v);
    while (fgets(line, sizeof line, f)) {
        if (k == cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
        }
        if (parse_line(line, &v[k]) == 0) {
            k++;
        }
    }
    fclose(f);
    *out = v;
    *n = k;
    return 0;
}

int pt_vma_is_kernels(const struct pt_vma *v)
{
    return strcmp(v->path, "[vdso]") == 0 || strncmp(v->path, "[vvar", 5) == 0 ||
           strcmp(v->path, "[vsyscall]") == 0;
}

int pt_pagemap_open(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return pt_fail_errno("open(%s)", path);
    }
    return fd;
}

int pt_maps_own_pages(int fd, uint64_t lo, uint64_t hi,
                      int (*fn)(void *ud, uint64_t addr, uint64_t len), void *ud)
{
    uint64_t ent[512];
    uint64_t run = 0, run_len = 0;
    int rc = 0;
    for (uint64_t at = lo; at < hi && rc == 0;) {
        size_t want = (size_t)((hi - at) / PAGE);
        want = want > 512 ? 512 : want;
        ssize_t got = pread(fd, ent, want * 8, (off_t)(at / PAGE * 8));
        if (got <= 0 || got % 8) {
            rc = pt_fail_errno("reading the page map at 0x%" PRIx64, at);
            break;
        }
        for (size_t i = 0; i < (size_t)got / 8 && rc == 0; i++, at += PAGE) {
            int own = (ent[i] & (PM_PRESENT | PM_SWAP)) && !(ent[i] & PM_FILE);
            if (own && run_len && run + run_len == at) {
                run_len += PAGE;
            } else if (own) {
                rc = run_len ? fn(ud, run, run_len) : 0;
                run = at;
                run_len = PAGE;
            }
        }
    }
    if (rc == 0 && run_len) {
        rc = fn(ud, run, run_len);
    }
    return rc;
}
