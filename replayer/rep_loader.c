/*
 * rep_loader: replaying a LOADER event (recorder/rec_loader.c): the recording let ld.so and
 * glibc's start run unstopped and logged what they left, so replay builds that state at its
 * exec stop instead of running them. The break is moved with brk; each recorded mapping that
 * the kernel's exec did not already make is mapped at its address (a file by path after the
 * check every mapped file gets when the replay starts, rep_files.c; a copied file or anonymous
 * memory as anonymous memory), the mappings exec made get the recorded protections, and the
 * logged pages are written. Then the registers are set: the thread stands on the `syscall`
 * instruction of the call the recording stopped at, and replay goes on from there like from
 * any other syscall. Every injected call runs from pytt's stub, the only place the replay's
 * seccomp filter lets them through.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_maps.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static int stub(struct rep_session *s, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                uint64_t a4, uint64_t a5, int64_t *ret)
{
    uint64_t a[6] = {a0, a1, a2, a3, a4, a5};
    return pt_inject_syscall(s->pid, PT_PAGE_STUB_SYSCALL, nr, a, ret);
}

/* Does the exec's mapping v already hold what m describes (or a part of it, for a mapping
 * the recording split with mprotect)? */
static int exec_made(struct rep_session *s, const struct pt_loader_map *m, const struct pt_vma *v)
{
    if (v->lo > m->addr || v->hi < m->addr + m->len) {
        return 0;
    }
    if (m->flags & PT_LOADER_STACK) {
        return strcmp(v->path, "[stack]") == 0;
    }
    if (m->kind != PT_MAP_FILE) {
        return 0;
    }
    const struct rep_file *f = rep_file_find(s, m->path, &m->id);
    return f && v->dev == f->dev && v->ino == f->ino && v->off + (m->addr - v->lo) == m->off;
}

static int map_file(struct rep_session *s, const struct pt_loader_map *m)
{
    const struct rep_file *f = rep_file_find(s, m->path, &m->id);
    if (!f) {
        return pt_fail("the trace maps %s, which it did not list when opened", m->path);
    }
    size_t n = strlen(f->use) + 1;
    if (n > PT_PAGE_SCRATCH_LEN) {
        return pt_fail("mapped file path too long: %s", f->use);
    }
    int64_t fd, ret, ignored;
    if (pt_mem_write(&s->mem, PT_PAGE_SCRATCH, f->use, n) < 0 ||
        stub(s, SYS_openat, (uint64_t)AT_FDCWD, PT_PAGE_SCRATCH,
             O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0, 0, 0, &fd) < 0) {
        return -1;
    }
    if (fd < 0) {
        return pt_fail("replay could not open %s inside the replayed process (error %lld)", f->use,
                       (long long)-fd);
    }
    char fdpath[64];
    struct stat st;
    snprintf(fdpath, sizeof fdpath, "/proc/%d/fd/%lld", (int)s->pid, (long long)fd);
    int rc = 0;
    if (stat(fdpath, &st) != 0 || st.st_dev != f->dev || st.st_ino != f->ino) {
        rc = pt_fail("%s is no longer the file checked when the replay started", f->use);
    } else if (stub(s, SYS_mmap, m->addr, m->len, m->prot, MAP_PRIVATE | MAP_FIXED, (uint64_t)fd,
                    m->off, &ret) < 0) {
        rc = -1;
    } else if ((uint64_t)ret != m->addr) {
        rc = pt_fail("mapping %s at 0x%llx failed (error %lld)", f->use,
                     (unsigned long long)m->addr, (long long)-ret);
    }
    if (stub(s, SYS_close, (uint64_t)fd, 0, 0, 0, 0, 0, &ignored) < 0) {
        return -1;
    }
    return rc;
}

/* Is all of m anonymous memory the exec or the break made already (the kernel shows the
 * program's bss and its heap as one mapping or two), all with m's protection (*same)? */
static int anon_made(const struct pt_loader_map *m, const struct pt_vma *v, size_t nv, int *same)
{
    uint64_t at = m->addr, end = m->addr + m->len;
    *same = 1;
    for (size_t i = 0; i < nv && at < end; i++) {
        if (v[i].hi <= at || v[i].lo > at) {
            continue;
        }
        if (v[i].ino || v[i].path[0] == '/' || pt_vma_is_kernels(&v[i])) {
            return 0;
        }
        *same = *same && v[i].prot == m->prot;
        at = v[i].hi;
    }
    return at >= end;
}

static int map_one(struct rep_session *s, const struct pt_loader_map *m, const struct pt_vma *v,
                   size_t nv)
{
    int64_t ret;
    int same = 0;
    if (m->kind == PT_MAP_NONE && anon_made(m, v, nv, &same)) {
        if (same) {
            return 0;
        }
        if (stub(s, SYS_mprotect, m->addr, m->len, m->prot, 0, 0, 0, &ret) < 0) {
            return -1;
        }
        return ret == 0 ? 0 : pt_fail("mprotect(0x%llx) failed", (unsigned long long)m->addr);
    }
    for (size_t i = 0; i < nv; i++) {
        if (exec_made(s, m, &v[i])) {
            if (v[i].prot == m->prot) {
                return 0;
            }
            if (stub(s, SYS_mprotect, m->addr, m->len, m->prot, 0, 0, 0, &ret) < 0) {
                return -1;
            }
            return ret == 0 ? 0
                            : pt_fail("mprotect(0x%llx, %llu) failed (error %lld)",
                                      (unsigned long long)m->addr, (unsigned long long)m->len,
                                      (long long)-ret);
        }
    }
    if (m->flags & (PT_LOADER_HEAP | PT_LOADER_STACK)) {
        return 0; /* the break made the heap; the stack grows by itself */
    }
    if (m->kind == PT_MAP_FILE) {
        return map_file(s, m);
    }
    if (stub(s, SYS_mmap, m->addr, m->len, m->prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
             (uint64_t)-1, 0, &ret) < 0) {
        return -1;
    }
    return (uint64_t)ret == m->addr
               ? 0
               : pt_fail("mapping %llu bytes at 0x%llx failed (error %lld)",
                         (unsigned long long)m->len, (unsigned long long)m->addr, (long long)-ret);
}

static int set_break(struct rep_session *s, uint64_t want)
{
    int64_t now;
    if (stub(s, SYS_brk, 0, 0, 0, 0, 0, 0, &now) < 0) {
        return -1;
    }
    if ((uint64_t)now == want) {
        return 0;
    }
    if (stub(s, SYS_brk, want, 0, 0, 0, 0, 0, &now) < 0) {
        return -1;
    }
    return (uint64_t)now == want ? 0
                                 : pt_fail("the program break is 0x%llx, not 0x%llx as recorded",
                                           (unsigned long long)now, (unsigned long long)want);
}

static int build(struct rep_session *s, const struct pt_loader *l)
{
    struct pt_vma *v;
    size_t nv;
    if (set_break(s, l->brk) < 0 || pt_maps_read(s->pid, &v, &nv) < 0) {
        return -1;
    }
    int rc = 0;
    for (uint32_t i = 0; i < l->nmaps && rc == 0; i++) {
        rc = map_one(s, &l->maps[i], v, nv);
    }
    free(v);
    for (size_t i = 1; i < s->ev.nregions && rc == 0; i++) {
        const struct pt_region *rg = &s->ev.regions[i];
        if (pt_mem_write(&s->mem, rg->addr, pt_event_region_data(&s->ev, i), rg->len) < 0) {
            rc = pt_wrap("writing %zu bytes at 0x%llx", rg->len, (unsigned long long)rg->addr);
        }
    }
    if (rc == 0 && ptrace(PTRACE_SETFPREGS, s->pid, NULL, &l->fpregs) < 0) {
        rc = pt_fail_errno("ptrace(PTRACE_SETFPREGS, %d)", (int)s->pid);
    }
    return rc == 0 ? pt_setregs(s->pid, &l->regs) : -1;
}

int rep_loader_event(struct rep_session *s)
{
    const struct pt_event *nx = pt_tracer_peek(&s->tr);
    if (!nx || nx->type != PT_EV_LOADER) {
        return 0;
    }
    if (pt_tracer_next(&s->tr, &s->ev) != 1) {
        return -1;
    }
    struct pt_loader l;
    if (pt_loader_parse(&s->ev, &l) < 0) {
        return -1;
    }
    int rc = build(s, &l);
    pt_loader_free(&l);
    return rc < 0 ? pt_wrap("rebuilding what ld.so did when recorded") : 0;
}
