/*
 * rec_loader: recording what ld.so and glibc's start do without stopping them.
 *
 * Before pytt's syscall buffer library exists in the process, ld.so opens, reads, stats, maps
 * and closes each library, and glibc's start sets up the thread: ~130 stops of ~25 us each,
 * most of what `python3.11 -c pass` costs to record beyond running it. None of it depends on
 * anything but the files mapped (which replay checks by identity anyway) and the kernel's
 * fixed layout, and all of its outcome is in memory and in the map. So when the buffer is on,
 * recording starts with the loader's filter (pt_seccomp_install_loader: calls whose only
 * effects are memory and descriptors opened since run unstopped, from anywhere), the library's
 * constructor is told to ask for its buffer later (PT_SYSBUF_HELLO_LATER), and at the first
 * stop of any other call (usually the HELLO of the first wrapped call, after glibc's setlocale)
 * the outcome is logged as one LOADER event: the registers (back on that call's `syscall`
 * instruction), the FP registers, the break, every mapping (files by identity, as rec_mmap.c
 * decides: re-mapped by path or copied) and every page that differs from its file or is
 * anonymous. Then the recording's filter is added, rdtsc starts trapping, and the call is made
 * again under it. Replay (replayer/rep_loader.c) builds that state at its exec stop and never
 * runs ld.so. rseq, which glibc's start registers from ld.so, fails with ENOSYS at its stop as
 * it always does under pytt, and leaves no event.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_maps.h"
#include "common/pt_proc.h"
#include "common/pt_ptrace.h"
#include "common/pt_seccomp.h"
#include "common/pt_startup.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

int rec_loader_wanted(const struct rec_session *s)
{
    return !s->opt->no_sysbuf && !s->opt->adopt_pid && rec_sysbuf_library();
}

/* The process's descriptors: up to PT_SECCOMP_FDS of them listed (ninherited -1 when there are
 * more), and the highest. */
static int list_fds(pid_t pid, struct pt_seccomp_loader *ld)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d) {
        return pt_fail_errno("opening %s", path);
    }
    struct dirent *e;
    ld->ninherited = 0;
    ld->max_inherited_fd = -1;
    while ((e = readdir(d))) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end != '\0' || e->d_name[0] == '\0' || fd < 0 || fd >= (1l << 30)) {
            continue;
        }
        ld->max_inherited_fd = fd > ld->max_inherited_fd ? (int)fd : ld->max_inherited_fd;
        if (ld->ninherited >= 0 && ld->ninherited < PT_SECCOMP_FDS) {
            ld->inherited[ld->ninherited++] = (int)fd;
        } else {
            ld->ninherited = -1;
        }
    }
    closedir(d);
    return 0;
}

int rec_loader_install(struct rec_session *s)
{
    uint64_t caught;
    struct pt_seccomp_loader *ld = &s->loader.filter;
    if (list_fds(s->pid, ld) < 0 || pt_proc_sigmasks(s->pid, &caught, &s->loader.sig_ignored) < 0 ||
        pt_proc_sigblocked(s->pid, &s->loader.sig_blocked) < 0 ||
        pt_seccomp_install_loader(s->pid, &s->mem, ld) < 0) {
        return -1;
    }
    s->loader.pending = 1;
    return 0;
}

/* ---- taking the state ------------------------------------------------------------------- */

struct capture {
    struct rec_session *s;
    struct pt_loader l;
    size_t cap;
    int pagemap;
    size_t copy_region; /* the largest copied mapping (C.utf8's LC_CTYPE, mostly), or 0 */
    struct stat copy_st;
    uint64_t copy_off;
    struct {
        int valid, same, kind;
        uint64_t dev, ino;
        struct stat st;
        struct pt_fileid id;
        char path[4096];
    } file; /* the last file mappings showed (ld.so maps each in four or five) */
};

static int is_pytts(const struct pt_vma *v)
{
    return v->lo >= PT_PAGE_ADDR && v->hi <= PT_SYSBUF_AREA + PT_SYSBUF_AREA_LEN;
}

/* --redact-env: the values the header has as X's are X's here too. */
static void redact(const struct rec_session *s, uint64_t addr, uint8_t *p, uint64_t len)
{
    for (size_t i = 0; i < s->loader.nredacted; i++) {
        uint64_t lo = s->loader.redacted[i].addr, hi = lo + s->loader.redacted[i].len;
        lo = lo > addr ? lo : addr;
        hi = hi < addr + len ? hi : addr + len;
        if (lo < hi) {
            memset(p + (lo - addr), 'X', hi - lo);
        }
    }
}

/* A region whose bytes read_regions fills. */
static int add_region(void *ud, uint64_t addr, uint64_t len)
{
    struct rec_session *s = ud;
    pt_event_add_region(&s->ev, addr, len);
    return 0;
}

/* Read region i on its own, keeping what can be read (what cannot was never written). */
static void read_one(struct rec_session *s, size_t i)
{
    struct pt_region *rg = &s->ev.regions[i];
    ssize_t got = pt_mem_read_partial(&s->mem, rg->addr, s->ev.data.data + rg->off, rg->len);
    pt_err_clear();
    size_t keep = got > 0 ? (size_t)got : 0;
    memset(s->ev.data.data + rg->off + keep, 0, rg->len - keep);
    rg->len = keep;
}

/* Fill regions 1.. with the process's bytes: one process_vm_readv for them all, or one read
 * each when that comes back short. */
static void read_regions(struct rec_session *s)
{
    size_t n = s->ev.nregions - 1, want = 0;
    struct iovec *local = calloc(n ? n : 1, sizeof *local);
    struct iovec *remote = calloc(n ? n : 1, sizeof *remote);
    for (size_t i = 0; i < n; i++) {
        const struct pt_region *rg = &s->ev.regions[i + 1];
        local[i] = (struct iovec){s->ev.data.data + rg->off, rg->len};
        remote[i] = (struct iovec){(void *)rg->addr, rg->len};
        want += rg->len;
    }
    size_t done = 0, got = 0;
    while (done < n) {
        size_t k = n - done < 1024 ? n - done : 1024, part = 0;
        for (size_t i = done; i < done + k; i++) {
            part += local[i].iov_len;
        }
        ssize_t r = process_vm_readv(s->pid, local + done, k, remote + done, k, 0);
        if (r != (ssize_t)part) {
            break;
        }
        got += part;
        done += k;
    }
    free(local);
    free(remote);
    for (size_t i = 1; got < want && i <= n; i++) {
        read_one(s, i);
    }
    for (size_t i = 1; i <= n; i++) {
        const struct pt_region *rg = &s->ev.regions[i];
        redact(s, rg->addr, s->ev.data.data + rg->off, rg->len);
    }
}

/* The file mapping v shows: still the one at its path (else its bytes are copied), and how
 * rec_mmap.c would have replay make it. Asked once for a run of mappings of one file. */
static int look_at_file(struct capture *c, const struct pt_vma *v)
{
    if (c->file.valid && c->file.dev == v->dev && c->file.ino == v->ino &&
        strcmp(c->file.path, v->path) == 0) {
        return 0;
    }
    c->file.valid = 1;
    c->file.dev = v->dev;
    c->file.ino = v->ino;
    snprintf(c->file.path, sizeof c->file.path, "%s", v->path);
    c->file.same = stat(v->path, &c->file.st) == 0 && c->file.st.st_ino == v->ino &&
                   c->file.st.st_dev == v->dev;
    c->file.kind = PT_MAP_COPY;
    if (c->file.same) {
        const struct pt_fileid *id = NULL;
        c->file.kind = rec_mmap_file_kind(c->s, v->path, v->path, &c->file.st, 0, &id);
        if (c->file.kind < 0) {
            c->file.valid = 0;
            return pt_wrap("the mapping of %s", v->path);
        }
        if (id) {
            c->file.id = *id;
        }
    }
    return 0;
}

/* How replay makes this mapping again, and the bytes it needs. */
static int take_vma(struct capture *c, const struct pt_vma *v)
{
    struct rec_session *s = c->s;
    if (v->shared && v->path[0] != '/') {
        return pt_fail("shared memory at 0x%llx appeared before pytt's library was loaded; "
                       "record with --no-syscallbuf",
                       (unsigned long long)v->lo);
    }
    if (c->l.nmaps == PT_LOADER_MAX) {
        return pt_fail("ld.so left more than %d mappings", PT_LOADER_MAX);
    }
    if (c->l.nmaps == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 32;
        c->l.maps = realloc(c->l.maps, c->cap * sizeof *c->l.maps);
    }
    struct pt_loader_map *m = &c->l.maps[c->l.nmaps++];
    memset(m, 0, sizeof *m);
    m->addr = v->lo;
    m->len = v->hi - v->lo;
    m->off = v->off;
    m->prot = v->prot;
    m->kind = PT_MAP_NONE;
    m->flags = strcmp(v->path, "[heap]") == 0    ? PT_LOADER_HEAP
               : strcmp(v->path, "[stack]") == 0 ? PT_LOADER_STACK
                                                 : 0;
    if (v->path[0] == '/') {
        if (look_at_file(c, v) < 0) {
            return -1;
        }
        snprintf(m->path, sizeof m->path, "%s", v->path);
        int same = c->file.same, kind = v->shared ? PT_MAP_COPY : c->file.kind;
        if (v->shared) { /* read-only (the loader's filter): copied, and watched as any */
            rec_mmap_note_shared(s, v->lo, v->hi - v->lo, (int)v->prot, same ? &c->file.st : NULL);
        }
        m->kind = (uint8_t)kind;
        if (kind == PT_MAP_FILE) {
            m->id = c->file.id;
        } else {
            if (same && v->hi - v->lo > (c->copy_region ? s->ev.regions[c->copy_region].len : 0)) {
                c->copy_region = s->ev.nregions;
                c->copy_st = c->file.st;
                c->copy_off = v->off;
            }
            return add_region(s, v->lo, v->hi - v->lo);
        }
    }
    return pt_maps_own_pages(c->pagemap, v->lo, v->hi, add_region, s);
}

static int take_map(struct capture *c)
{
    struct pt_vma *v;
    size_t n;
    if (pt_maps_read(c->s->pid, &v, &n) < 0) {
        return -1;
    }
    /* room for every byte the mappings could give at once: the buffer never moves (pages of it
     * that nothing is written to cost nothing) */
    uint64_t most = 0;
    for (size_t i = 0; i < n; i++) {
        most += v[i].hi - v[i].lo;
    }
    pt_buf_reserve(&c->s->ev.data, most < (256u << 20) ? (size_t)most : 0);
    c->pagemap = pt_pagemap_open(c->s->pid);
    int rc = c->pagemap < 0 ? -1 : 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!pt_vma_is_kernels(&v[i]) && !is_pytts(&v[i])) {
            rc = take_vma(c, &v[i]);
        }
    }
    if (c->pagemap >= 0) {
        close(c->pagemap);
    }
    free(v);
    if (rc == 0) {
        read_regions(c->s);
    }
    if (rc == 0 && c->copy_region) { /* the same bytes every recording */
        rec_mmap_copy_cache(c->s, &c->copy_st, c->copy_off, c->copy_region);
    }
    return rc;
}

/* What the state cannot hold must not have changed: the signal handling the process started
 * with. Descriptors opened since and still open are the buffer's table's to learn. */
static int check_unchanged(struct rec_session *s)
{
    uint64_t caught, ignored, blocked;
    if (pt_proc_sigmasks(s->pid, &caught, &ignored) < 0 ||
        pt_proc_sigblocked(s->pid, &blocked) < 0) {
        return -1;
    }
    if (caught || ignored != s->loader.sig_ignored || blocked != s->loader.sig_blocked) {
        return pt_fail("the program changed its signal handling while ld.so loaded it, before "
                       "pytt's library was loaded; record it with --no-syscallbuf");
    }
    return rec_sysbuf_rescan_fds(s); /* descriptors opened since may still be open */
}

static int log_state(struct rec_session *s, struct rec_thread *t)
{
    struct capture c = {.s = s, .pagemap = -1};
    int64_t brk_now;
    uint64_t none[6] = {0, 0, 0, 0, 0, 0};
    pt_event_reset(&s->ev, PT_EV_LOADER);
    c.l.regs = t->entry_regs;
    c.l.regs.rax = c.l.regs.orig_rax;
    c.l.regs.rip -= 2; /* on the `syscall` instruction: replay makes the call again */
    if (ptrace(PTRACE_GETFPREGS, t->tid, NULL, &c.l.fpregs) < 0) {
        return pt_fail_errno("ptrace(PTRACE_GETFPREGS, %d)", (int)t->tid);
    }
    if (pt_inject_syscall(t->tid, PT_PAGE_STUB_SYSCALL, SYS_brk, none, &brk_now) < 0) {
        return -1;
    }
    c.l.brk = (uint64_t)brk_now;
    pt_event_add_region(&s->ev, 0, 0); /* the state goes first; its bytes are set below */
    int rc = check_unchanged(s) < 0 || take_map(&c) < 0 ? -1 : 0;
    if (rc == 0) {
        struct pt_buf b;
        pt_buf_init(&b);
        pt_loader_encode(&b, &c.l);
        /* put the state in front of the pages: move them up by its length */
        size_t pages = s->ev.data.len;
        pt_buf_reserve(&s->ev.data, b.len);
        memmove(s->ev.data.data + b.len, s->ev.data.data, pages);
        memcpy(s->ev.data.data, b.data, b.len);
        s->ev.data.len = pages + b.len;
        s->ev.regions[0].len = b.len;
        for (size_t i = 1; i < s->ev.nregions; i++) {
            s->ev.regions[i].off += b.len;
        }
        pt_buf_free(&b);
        s->ev.tid = t->tid;
        rc = rec_write_event(s);
    }
    pt_loader_free(&c.l);
    return rc;
}

/* The loader's phase ends: its state logged, the recording's filter added, rdtsc trapped, and
 * the Python clock installed if it waited for libpython's relocation. */
static int end_phase(struct rec_session *s, struct rec_thread *t)
{
    s->loader.pending = 0;
    int logged = pt_skip_call(t->tid, &t->entry_regs) == 0 && log_state(s, t) == 0;
    free(s->loader.redacted);
    s->loader.redacted = NULL;
    s->loader.nredacted = 0;
    if (!logged || pt_seccomp_install_record(t->tid, &s->mem) < 0 ||
        pt_startup_trap_tsc(t->tid) < 0 || pt_rewind_to_call(t->tid, &t->entry_regs) < 0) {
        return pt_wrap("logging what ld.so did");
    }
    if (rec_clock_after_loader(s) < 0) {
        return -1;
    }
    /* the state is most of what -c pass logs: compressed on another CPU while it runs */
    return rec_flush_soon(s) < 0 ? -1 : 1;
}

int rec_loader_at_entry(struct rec_session *s, struct rec_thread *t, int nr)
{
    if (!s->loader.pending) {
        return 0;
    }
    const struct user_regs_struct *e = &t->entry_regs;
    if (nr == SYS_rseq ||
        (nr == PT_SYSBUF_NR && e->rdi == PT_SYSBUF_HELLO && e->rsi == PT_SYSBUF_HELLO_LATER)) {
        /* rseq fails as always under pytt; the library's constructor asks again later */
        struct user_regs_struct r = *e;
        r.orig_rax = (uint64_t)-1;
        r.rax = (uint64_t)(nr == SYS_rseq ? -ENOSYS : -EAGAIN);
        t->no_exit = 1;
        return pt_setregs(t->tid, &r) < 0 ? -1 : 1;
    }
    return end_phase(s, t);
}
