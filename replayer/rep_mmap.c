/*
 * rep_mmap: mmap and mremap during replay. Memory mappings are real (the program runs in
 * them), so these calls execute, but always at the recorded address (MAP_FIXED_NOREPLACE for
 * calls that let the kernel choose, so a diverged layout fails instead of clobbering). A file
 * mapping is rebuilt as the recording decided (rec_mmap.c): the file checked when the replay
 * started (rep_files.c; the trace's copy when packed) opened inside the tracee without
 * following links or blocking, verified to be that very file, mapped and closed (openat + mmap
 * + close, injected from pytt's syscall stub), or an anonymous mapping filled with the
 * recorded bytes.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_elf.h"
#include "common/pt_error.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static uint64_t fixed_flags(uint64_t flags)
{
    if (flags & MAP_FIXED) {
        return flags & ~(uint64_t)MAP_FIXED_NOREPLACE;
    }
    return flags | MAP_FIXED_NOREPLACE;
}

static int check_result(struct rep_session *s, int64_t got)
{
    if (got != s->ev.ret) {
        return rep_divergence(s, "%s returned 0x%llx, but 0x%llx when recorded",
                              pt_syscall_name(s->ev.nr), (unsigned long long)got,
                              (unsigned long long)s->ev.ret);
    }
    return 0;
}

/* Run this stop's syscall as `nr(args)` instead, to its exit. */
static int run_instead(struct rep_session *s, long nr, const uint64_t a[6], int64_t *ret)
{
    struct user_regs_struct r = s->entry_regs, x;
    r.orig_rax = (uint64_t)nr;
    r.rdi = a[0];
    r.rsi = a[1];
    r.rdx = a[2];
    r.r10 = a[3];
    r.r8 = a[4];
    r.r9 = a[5];
    struct pt_stop st;
    if (pt_setregs(s->tid, &r) < 0 || pt_resume_syscall(s->tid, 0) < 0 ||
        pt_wait(s->tid, &st) < 0 || st.kind != PT_STOP_SYSCALL_EXIT || pt_getregs(s->tid, &x) < 0) {
        return pt_fail("replaying %s: the substituted call did not complete",
                       pt_syscall_name(s->ev.nr));
    }
    *ret = (int64_t)x.rax;
    return 0;
}

static int finish(struct rep_session *s, const struct user_regs_struct *r)
{
    struct user_regs_struct x = *r;
    x.rax = (uint64_t)s->ev.ret;
    return pt_setregs(s->tid, &x);
}

/* The descriptor the replayed process opened must be the file checked at rep_open. */
static int same_file(struct rep_session *s, const struct rep_file *f, int64_t fd)
{
    char fdpath[64];
    struct stat st;
    snprintf(fdpath, sizeof fdpath, "/proc/%d/fd/%lld", (int)s->pid, (long long)fd);
    if (stat(fdpath, &st) != 0 || !S_ISREG(st.st_mode) || st.st_dev != f->dev ||
        st.st_ino != f->ino) {
        return pt_fail("%s is no longer the file checked when the replay started", f->use);
    }
    return 0;
}

static int stub_call(struct rep_session *s, long nr, const uint64_t a[6], int64_t *ret)
{
    return pt_inject_syscall(s->tid, PT_PAGE_STUB_SYSCALL, nr, a, ret);
}

/* Map the file again: the program's call is skipped, then pytt opens the checked file inside
 * the process, maps it at the recorded address and closes it, all from its own syscall stub
 * (the only place the replay's seccomp filter lets open and close run from). */
static int map_file(struct rep_session *s, const struct user_regs_struct *r)
{
    const struct rep_file *f = rep_file_find(s, s->ev.map_path, &s->ev.map_id);
    uint64_t none[6] = {0, 0, 0, 0, 0, 0};
    int64_t fd, ret, ignored;
    if (!f) {
        return rep_divergence(s, "the trace maps %s, which it did not list when opened",
                              s->ev.map_path);
    }
    size_t n = strlen(f->use) + 1;
    if (n > PT_PAGE_SCRATCH_LEN) {
        return pt_fail("mapped file path too long: %s", f->use);
    }
    if (run_instead(s, -1, none, &ignored) < 0 ||
        pt_mem_write(&s->mem, PT_PAGE_SCRATCH, f->use, n) < 0) {
        return -1;
    }
    uint64_t open_args[6] = {(uint64_t)AT_FDCWD,
                             PT_PAGE_SCRATCH,
                             O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
                             0,
                             0,
                             0};
    if (stub_call(s, SYS_openat, open_args, &fd) < 0) {
        return -1;
    }
    if (fd < 0) {
        return pt_fail("replay could not open %s inside the replayed process (error %lld)", f->use,
                       (long long)-fd);
    }
    uint64_t mmap_args[6] = {(uint64_t)s->ev.ret, r->rsi,       r->rdx,
                             fixed_flags(r->r10), (uint64_t)fd, r->r9};
    uint64_t close_args[6] = {(uint64_t)fd, 0, 0, 0, 0, 0};
    int rc = same_file(s, f, fd);
    if (rc == 0 && stub_call(s, SYS_mmap, mmap_args, &ret) < 0) {
        rc = -1;
    }
    if (stub_call(s, SYS_close, close_args, &ignored) < 0 || rc < 0) {
        return -1;
    }
    return check_result(s, ret) < 0 ? -1 : finish(s, r);
}

static int map_anonymous(struct rep_session *s, const struct user_regs_struct *r)
{
    uint64_t flags = r->r10;
    if (s->ev.map_kind == PT_MAP_COPY) {
        flags = (flags & (MAP_FIXED | MAP_NORESERVE)) | MAP_PRIVATE | MAP_ANONYMOUS;
    }
    uint64_t args[6] = {(uint64_t)s->ev.ret, r->rsi, r->rdx, fixed_flags(flags), (uint64_t)-1, 0};
    int64_t ret;
    if (run_instead(s, SYS_mmap, args, &ret) < 0 || check_result(s, ret) < 0) {
        return -1;
    }
    for (size_t i = 0; i < s->ev.nregions; i++) {
        const struct pt_region *rg = &s->ev.regions[i];
        if (pt_mem_write(&s->mem, rg->addr, pt_event_region_data(&s->ev, i), rg->len) < 0) {
            return pt_wrap("filling the mapping of %zu bytes at 0x%llx", rg->len,
                           (unsigned long long)rg->addr);
        }
    }
    return finish(s, r);
}

int rep_mmap(struct rep_session *s, struct user_regs_struct *r)
{
    if (s->ev.ret < 0) {
        /* It failed when recorded: fail it again without asking the kernel. */
        uint64_t args[6] = {0, 0, 0, 0, 0, 0};
        int64_t ignored;
        return run_instead(s, -1, args, &ignored) < 0 ? -1 : finish(s, r);
    }
    if (s->ev.map_kind == PT_MAP_FILE) {
        return map_file(s, r);
    }
    return map_anonymous(s, r);
}

int rep_mremap(struct rep_session *s, struct user_regs_struct *r)
{
    uint64_t args[6] = {r->rdi, r->rsi, r->rdx, r->r10, r->r8, 0};
    if (s->ev.ret >= 0 && (uint64_t)s->ev.ret != r->rdi) {
        args[3] |= MREMAP_MAYMOVE | MREMAP_FIXED; /* moved when recorded: move to the same place */
        args[4] = (uint64_t)s->ev.ret;
    }
    int64_t ret;
    if (run_instead(s, SYS_mremap, args, &ret) < 0 || check_result(s, ret) < 0) {
        return -1;
    }
    for (size_t i = 0; i < s->ev.nregions; i++) { /* a shared file mapping's new contents */
        const struct pt_region *rg = &s->ev.regions[i];
        if (pt_mem_write(&s->mem, rg->addr, pt_event_region_data(&s->ev, i), rg->len) < 0) {
            return pt_wrap("refilling a remapped shared mapping");
        }
    }
    return finish(s, r);
}
