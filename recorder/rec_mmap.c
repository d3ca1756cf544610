/*
 * rec_mmap: how replay will reproduce a file mapping the program made.
 *
 * Replay never has the program's file descriptors (open() is emulated), so a file mapping is
 * rebuilt one of two ways:
 *   PT_MAP_FILE  the same file is mapped again by path. Used for private mappings of files that
 *                cannot have been written by the program during the recording: ELF objects with
 *                a build-id (the interpreter, libc, extension modules) and large files last
 *                modified before the recording began. The file's identity (pt_fileid.h) is
 *                logged; replay checks every such file before the program starts and refuses
 *                one whose content changed, naming it.
 *   PT_MAP_COPY  the mapped bytes themselves are logged (shared mappings, files the program may
 *                have written, e.g. a tempfile it then mmaps, and every non-ELF file up to
 *                REC_COPY_LIMIT: ld.so.cache, locale files, small data files, which ldconfig or
 *                a package install rewrite), and replay fills an anonymous mapping with them.
 * /dev/zero mappings are anonymous memory and need neither.
 *
 * A shared file mapping also changes when the file is written through a descriptor (write,
 * pwrite, ftruncate...): memory the program can read changed without a memory write of its own.
 * The recorder keeps a list of the program's shared file mappings and, after each call that
 * writes a file behind one of them, logs the mapping's bytes as extra output of that call;
 * replay writes them back like any syscall output.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_hash.h"
#include "common/pt_proc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <stdio.h>

#define PAGE 4096ull
#define REC_COPY_LIMIT (8ull << 20) /* non-ELF files up to this size are copied */
/* Shared mappings up to this size are compared with what replay has each time descendants
 * may have written them (rec_gate.c); a larger one (rare: multiprocessing's semaphores and
 * heaps are pages) is not, and replay may then diverge on what a descendant wrote there. */
#define REC_SHADOW_LIMIT (64ull << 20)

static const struct pt_fileid *cached_id(struct rec_session *s, const char *path,
                                         const struct stat *st)
{
    int64_t mt = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    for (size_t i = 0; i < s->nfiles; i++) {
        struct rec_filecache *f = &s->files[i];
        if (f->dev == st->st_dev && f->ino == st->st_ino && f->mtime_ns == mt &&
            strcmp(f->path, path) == 0) {
            return &f->id;
        }
    }
    if (s->nfiles == s->files_cap) {
        s->files_cap = s->files_cap ? s->files_cap * 2 : 32;
        s->files = realloc(s->files, s->files_cap * sizeof *s->files);
    }
    struct rec_filecache *f = &s->files[s->nfiles];
    if (pt_fileid_of(path, &f->id) < 0) {
        return NULL;
    }
    snprintf(f->path, sizeof f->path, "%s", path);
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    f->mtime_ns = mt;
    s->nfiles++;
    return &f->id;
}

/* Is the file st describes an ELF object? ld.so maps each library in four or five mmaps of
 * one descriptor: the answer for the last file asked about is kept (same device, inode, size
 * and mtime: the same bytes), saving an open, a read and a close per mmap. */
static int is_elf_cached(struct rec_session *s, const char *fdpath, const struct stat *st)
{
    int64_t mt = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    if (s->last_elf.ino == st->st_ino && s->last_elf.dev == st->st_dev &&
        s->last_elf.size == (uint64_t)st->st_size && s->last_elf.mtime_ns == mt &&
        s->last_elf.valid) {
        return s->last_elf.elf;
    }
    s->last_elf.elf = pt_is_elf(fdpath);
    s->last_elf.dev = st->st_dev;
    s->last_elf.ino = st->st_ino;
    s->last_elf.size = (uint64_t)st->st_size;
    s->last_elf.mtime_ns = mt;
    s->last_elf.valid = 1;
    return s->last_elf.elf;
}

/* Read a shared mapping's current bytes into its shadow. */
static void refresh_shadow(struct rec_session *s, struct rec_shmap *m)
{
    if (m->shadow) {
        ssize_t got = pt_mem_read_partial(&s->mem, m->addr, m->shadow, m->len);
        if (got < (ssize_t)m->len) {
            memset(m->shadow + (got > 0 ? got : 0), 0, m->len - (size_t)(got > 0 ? got : 0));
        }
    }
}

/* A new shared mapping; its bytes are compared later unless it is a device's memory (st not
 * a regular file: reading it could have effects) or too large. */
static void add_shmap(struct rec_session *s, pt_addr addr, uint64_t len, int prot,
                      const struct stat *st)
{
    if (s->nshmaps == s->shmaps_cap) {
        s->shmaps_cap = s->shmaps_cap ? s->shmaps_cap * 2 : 8;
        s->shmaps = realloc(s->shmaps, s->shmaps_cap * sizeof *s->shmaps);
    }
    struct rec_shmap *m = &s->shmaps[s->nshmaps++];
    *m = (struct rec_shmap){addr, len, st ? st->st_dev : 0, st ? st->st_ino : 0, NULL, prot, 0};
    if (len <= REC_SHADOW_LIMIT && (!st || S_ISREG(st->st_mode))) {
        m->shadow = malloc(len);
        refresh_shadow(s, m);
    }
}

void rec_mmap_note_shared(struct rec_session *s, pt_addr addr, uint64_t len, int prot,
                          const struct stat *st)
{
    add_shmap(s, addr, len, prot, st);
}

/* Log the current bytes of a shared mapping as output of the current event. */
static int snapshot_shmap(struct rec_session *s, struct rec_shmap *m)
{
    uint8_t *dst = pt_event_add_region(&s->ev, m->addr, m->len);
    ssize_t got = pt_mem_read_partial(&s->mem, m->addr, dst, m->len);
    size_t keep = got > 0 ? (size_t)got : 0;
    s->ev.data.len -= m->len - keep;
    s->ev.regions[s->ev.nregions - 1].len = keep;
    if (keep == 0) {
        s->ev.nregions--;
    }
    refresh_shadow(s, m);
    return 0;
}

/* Log the pages of m that differ from its shadow (runs of them), and remember them. */
static int log_changed_pages(struct rec_session *s, struct rec_shmap *m, uint8_t *now)
{
    ssize_t got = pt_mem_read_partial(&s->mem, m->addr, now, m->len);
    if (got <= 0) {
        return 0; /* unmapped meanwhile: its munmap says so */
    }
    uint64_t len = (uint64_t)got;
    for (uint64_t off = 0; off < len;) {
        uint64_t n = len - off < PAGE ? len - off : PAGE;
        if (memcmp(now + off, m->shadow + off, n) == 0) {
            off += n;
            continue;
        }
        uint64_t end = off + n; /* extend over the following changed pages */
        while (end < len) {
            uint64_t k = len - end < PAGE ? len - end : PAGE;
            if (memcmp(now + end, m->shadow + end, k) == 0) {
                break;
            }
            end += k;
        }
        memcpy(pt_event_add_region(&s->ev, m->addr + off, end - off), now + off, end - off);
        memcpy(m->shadow + off, now + off, end - off);
        off = end;
    }
    return 0;
}

int rec_mmap_shared_changes(struct rec_session *s)
{
    for (size_t i = 0; i < s->nshmaps; i++) {
        /* too large to compare (no shadow: see REC_SHADOW_LIMIT), or closed: logged when the
         * program opens it (rec_share.c) */
        if (!s->shmaps[i].closed && rec_mmap_log_changes(s, &s->shmaps[i]) < 0) {
            return -1;
        }
    }
    return 0;
}

void rec_mmap_shared_baseline(struct rec_session *s)
{
    for (size_t i = 0; i < s->nshmaps; i++) {
        if (!s->shmaps[i].closed) { /* a closed one keeps the bytes replay has (rec_share.c) */
            refresh_shadow(s, &s->shmaps[i]);
        }
    }
}

void rec_mmap_shadow_refresh(struct rec_session *s, struct rec_shmap *m)
{
    refresh_shadow(s, m);
}

int rec_mmap_log_changes(struct rec_session *s, struct rec_shmap *m)
{
    uint8_t *now = m->shadow ? malloc(m->len) : NULL;
    if (!now) {
        return m->shadow ? pt_fail("out of memory comparing a shared mapping of %llu bytes",
                                   (unsigned long long)m->len)
                         : 0;
    }
    log_changed_pages(s, m, now);
    free(now);
    return 0;
}

void rec_mmap_free(struct rec_session *s)
{
    for (size_t i = 0; i < s->nshmaps; i++) {
        free(s->shmaps[i].shadow);
    }
    free(s->shmaps);
    pt_buf_free(&s->copy_frame);
}

/* The file descriptor a write-like call writes to, or -1. */
static int written_fd(const struct pt_sc_call *c)
{
    switch (c->nr) {
    case SYS_write:
    case SYS_pwrite64:
    case SYS_writev:
    case SYS_pwritev:
    case SYS_pwritev2:
    case SYS_ftruncate:
    case SYS_fallocate:
    case SYS_sendfile:
        return (int)c->args[0];
    case SYS_copy_file_range:
    case SYS_splice:
        return (int)c->args[2];
    }
    return -1;
}

static int after_file_write(struct rec_session *s, int fd)
{
    char fdpath[64];
    struct stat st;
    snprintf(fdpath, sizeof fdpath, "/proc/%d/fd/%d", (int)s->pid, fd);
    if (stat(fdpath, &st) < 0) {
        return 0;
    }
    for (size_t i = 0; i < s->nshmaps; i++) {
        if (s->shmaps[i].dev == st.st_dev && s->shmaps[i].ino == st.st_ino) {
            snapshot_shmap(s, &s->shmaps[i]);
        }
    }
    return 0;
}

static void forget_shmaps(struct rec_session *s, pt_addr lo, uint64_t len)
{
    for (size_t i = 0; i < s->nshmaps;) {
        if (s->shmaps[i].addr >= lo && s->shmaps[i].addr < lo + len) {
            free(s->shmaps[i].shadow);
            s->shmaps[i] = s->shmaps[--s->nshmaps];
        } else {
            i++;
        }
    }
}

int rec_mmap_track(struct rec_session *s, const struct pt_sc_call *c)
{
    if (s->nshmaps == 0 || c->ret < 0) {
        return 0;
    }
    int fd = written_fd(c);
    if (fd >= 0) {
        return after_file_write(s, fd);
    }
    if (c->nr == SYS_munmap) {
        forget_shmaps(s, c->args[0], c->args[1]);
    } else if (c->nr == SYS_mprotect) {
        for (size_t i = 0; i < s->nshmaps; i++) { /* what rec_share.c gives back when it opens */
            if (s->shmaps[i].addr >= c->args[0] && s->shmaps[i].addr < c->args[0] + c->args[1]) {
                s->shmaps[i].prot = (int)c->args[2];
            }
        }
    } else if (c->nr == SYS_mremap) {
        for (size_t i = 0; i < s->nshmaps; i++) {
            if (s->shmaps[i].addr == c->args[0]) {
                struct rec_shmap *m = &s->shmaps[i];
                m->addr = (pt_addr)c->ret;
                m->len = c->args[2];
                if (m->shadow) {
                    free(m->shadow);
                    m->shadow = m->len <= REC_SHADOW_LIMIT ? malloc(m->len) : NULL;
                }
                snapshot_shmap(s, m);
            }
        }
    }
    return 0;
}

/* The copy just read (the event's last region, bytes p[0..n) from offset off of the file st
 * describes) goes into a zstd frame of its own that the per-user copy cache keeps
 * (pt_copycache.h): the frame there when it was made from the same bytes, else one the trace
 * writer compresses and stores. */
void rec_mmap_copy_cache(struct rec_session *s, const struct stat *st, uint64_t off, size_t region)
{
    struct pt_copykey key;
    const uint8_t *p = pt_event_region_data(&s->ev, region);
    uint64_t n = s->ev.regions[region].len;
    if (!pt_copycache_key(st, off, n, &key)) {
        return;
    }
    s->ev.copy_region = (int)region;
    s->ev.copy_key = key;
    s->ev.copy_hash = pt_hash64(p, n);
    if (pt_copycache_get(&key, s->ev.copy_hash, &s->copy_frame)) {
        s->ev.copy_frame = s->copy_frame.data;
        s->ev.copy_frame_len = s->copy_frame.len;
    }
}

static int copy_mapping(struct rec_session *s, const struct pt_sc_call *c, const struct stat *st)
{
    uint64_t len = c->args[1], off = c->args[5];
    uint64_t avail = (uint64_t)st->st_size > off ? (uint64_t)st->st_size - off : 0;
    avail = (avail + PAGE - 1) & ~(PAGE - 1); /* pages past EOF would SIGBUS */
    if (!S_ISREG(st->st_mode)) {
        avail = len;
    }
    s->ev.map_kind = PT_MAP_COPY;
    uint64_t n = len < avail ? len : avail;
    if (n == 0) {
        return 0;
    }
    uint8_t *dst = pt_event_add_region(&s->ev, (pt_addr)c->ret, n);
    ssize_t got = pt_mem_read_partial(&s->mem, (pt_addr)c->ret, dst, n);
    if (got < 0) {
        return pt_wrap("copying the mapping of a file at 0x%llx", (unsigned long long)c->ret);
    }
    s->ev.regions[s->ev.nregions - 1].len = (size_t)got;
    s->ev.data.len -= n - (uint64_t)got;
    if ((uint64_t)got == n) {
        rec_mmap_copy_cache(s, st, off, s->ev.nregions - 1);
    }
    return 0;
}

int rec_mmap_classify(struct rec_session *s, const struct pt_sc_call *c)
{
    uint64_t flags = c->args[3];
    int fd = (int)c->args[4];
    if ((flags & MAP_ANONYMOUS) || fd < 0) {
        if ((flags & MAP_TYPE) == MAP_SHARED) {
            add_shmap(s, (pt_addr)c->ret, c->args[1], (int)c->args[2],
                      NULL); /* a fork child shares it */
        }
        return 0;
    }
    char path[4096];
    struct stat st;
    char fdpath[64];
    snprintf(fdpath, sizeof fdpath, "/proc/%d/fd/%d", (int)s->pid, fd);
    if (pt_proc_fd_path(s->pid, fd, path, sizeof path) < 0 || stat(fdpath, &st) < 0) {
        return pt_fail_errno("mmap: identifying fd %d of the recorded process", fd);
    }
    if (strcmp(path, "/dev/zero") == 0) {
        return 0;
    }
    int shared = (flags & MAP_TYPE) != MAP_PRIVATE;
    if (shared) {
        add_shmap(s, (pt_addr)c->ret, c->args[1], (int)c->args[2], &st);
    }
    const struct pt_fileid *id = NULL;
    int kind = rec_mmap_file_kind(s, path, fdpath, &st, shared, &id);
    if (kind < 0) {
        return pt_wrap("mmap of %s", path);
    }
    if (kind == PT_MAP_COPY) {
        return copy_mapping(s, c, &st);
    }
    s->ev.map_kind = PT_MAP_FILE;
    snprintf(s->ev.map_path, sizeof s->ev.map_path, "%s", path);
    s->ev.map_id = *id;
    return 0;
}

int rec_mmap_file_kind(struct rec_session *s, const char *path, const char *open_path,
                       const struct stat *st, int shared, const struct pt_fileid **id)
{
    int64_t mt = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    int elf = S_ISREG(st->st_mode) && is_elf_cached(s, open_path, st);
    int stable = S_ISREG(st->st_mode) && path[0] == '/' && strstr(path, " (deleted)") == NULL &&
                 (mt < s->start_ns || elf);
    /* Small data files (ld.so.cache, locale files, ...) are copied into the trace: ldconfig or
     * a package install after the recording cannot make it unreplayable. */
    /* ... and so is pytt's own syscall buffer library: a rebuilt pytt replays old traces. */
    const char *lib = rec_sysbuf_library();
    if (shared || !stable || (!elf && (uint64_t)st->st_size <= REC_COPY_LIMIT) ||
        (lib && strcmp(path, lib) == 0)) {
        return PT_MAP_COPY;
    }
    *id = cached_id(s, path, st);
    if (!*id) {
        return -1;
    }
    if ((*id)->bid_len == 0 && mt >= s->start_ns) {
        return PT_MAP_COPY; /* an ELF without build-id written during the run */
    }
    return PT_MAP_FILE;
}
