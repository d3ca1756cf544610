/*
 * pt_copycache: the per-user cache of compressed copies of mapped files (see pt_copycache.h):
 * one checked file per copied range, written atomically, pruned by age.
 */
#define _GNU_SOURCE
#include "pt_copycache.h"

#include "pt_cachedir.h"
#include "pt_chunk.h"
#include "pt_file.h"
#include "pt_hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define COPY_MAGIC "PTCC"
#define COPY_VERSION 1u
/* a hit on an entry older than this marks it used (the pruning removes the oldest) */
#define COPY_TOUCH_NS (24ll * 3600 * 1000000000)

struct copy_head {
    char magic[4];
    uint32_t version;
    struct pt_copykey key;
    uint64_t content_hash; /* pt_hash64 of the copied bytes (the frame's content) */
    uint64_t frame_len;
    uint64_t frame_hash; /* pt_hash64 of the frame's bytes */
};

static long long ns_of(const struct timespec *t)
{
    return (long long)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* The entry's path for k: 0, or -1 when the cache is off. */
static int entry_path(const struct pt_copykey *k, char *out, size_t cap)
{
    char name[64];
    snprintf(name, sizeof name, "copies/%016llx", (unsigned long long)pt_hash64(k, sizeof *k));
    return pt_cache_path(name, out, cap);
}

int pt_copycache_key(const struct stat *st, uint64_t off, uint64_t len, struct pt_copykey *k)
{
    char path[4096];
    if (!S_ISREG(st->st_mode) || len < PT_COPYCACHE_MIN || !pt_cache_settled(st)) {
        return 0;
    }
    memset(k, 0, sizeof *k);
    k->dev = (uint64_t)st->st_dev;
    k->ino = (uint64_t)st->st_ino;
    k->size = (uint64_t)st->st_size;
    k->mtime_ns = ns_of(&st->st_mtim);
    k->ctime_ns = ns_of(&st->st_ctim);
    k->off = off;
    k->len = len;
    return entry_path(k, path, sizeof path) == 0;
}

static int read_all_at(int fd, void *p, size_t n, off_t off)
{
    for (size_t done = 0; done < n;) {
        ssize_t got = pread(fd, (char *)p + done, n - done, off + (off_t)done);
        if (got <= 0) {
            return -1;
        }
        done += (size_t)got;
    }
    return 0;
}

/* Does the entry open on fd hold k's frame of bytes hashing to content_hash? Its frame goes
 * into frame either way. */
static int entry_ok(int fd, const struct pt_copykey *k, uint64_t content_hash, struct pt_buf *frame)
{
    struct stat st;
    struct copy_head h;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < sizeof h ||
        read_all_at(fd, &h, sizeof h, 0) < 0 || memcmp(h.magic, COPY_MAGIC, 4) != 0 ||
        h.version != COPY_VERSION || memcmp(&h.key, k, sizeof *k) != 0 ||
        h.content_hash != content_hash || h.frame_len != (uint64_t)st.st_size - sizeof h ||
        h.frame_len > PT_CHUNK_MAX_RAW) {
        return 0;
    }
    pt_buf_reset(frame);
    pt_buf_reserve(frame, h.frame_len);
    if (read_all_at(fd, frame->data, h.frame_len, sizeof h) < 0) {
        return 0;
    }
    frame->len = h.frame_len;
    if (pt_hash64(frame->data, frame->len) != h.frame_hash ||
        !pt_chunk_frame_ok(frame->data, frame->len, k->len)) {
        return 0;
    }
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) == 0 &&
        ns_of(&st.st_mtim) < ns_of(&now) - COPY_TOUCH_NS) {
        futimens(fd, NULL);
    }
    return 1;
}

int pt_copycache_get(const struct pt_copykey *k, uint64_t content_hash, struct pt_buf *frame)
{
    char path[4096];
    if (entry_path(k, path, sizeof path) < 0) {
        return 0;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return 0;
    }
    int ok = entry_ok(fd, k, content_hash, frame);
    close(fd);
    if (!ok) {
        pt_buf_reset(frame);
    }
    return ok;
}

/* A new temporary file beside path, for writing an entry: its fd, or -1. */
static int make_temp(const char *path, char *tmp, size_t cap)
{
    snprintf(tmp, cap, "%s.XXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && pt_mkdir_parents(path) == 0) {
        snprintf(tmp, cap, "%s.XXXXXX", path);
        fd = mkostemp(tmp, O_CLOEXEC);
    }
    return fd;
}

void pt_copycache_put(const struct pt_copykey *k, uint64_t content_hash, const uint8_t *frame,
                      size_t n)
{
    static unsigned puts; /* this process's: it prunes at its first and every 16th */
    char path[4096], tmp[4200];
    if (entry_path(k, path, sizeof path) < 0) {
        return;
    }
    int fd = make_temp(path, tmp, sizeof tmp);
    if (fd < 0) {
        return; /* a read-only or full home: the next recording compresses again */
    }
    struct copy_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, COPY_MAGIC, 4);
    h.version = COPY_VERSION;
    h.key = *k;
    h.content_hash = content_hash;
    h.frame_len = n;
    h.frame_hash = pt_hash64(frame, n);
    int ok = pt_write_all(fd, &h, sizeof h) == 0 && pt_write_all(fd, frame, n) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return;
    }
    if (puts++ % 16 == 0) { /* a scan of the directory: ~0.4 ms at 256 entries */
        pt_cache_prune(path, PT_COPYCACHE_FILES, PT_COPYCACHE_BYTES);
    }
}
