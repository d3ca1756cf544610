/*
 * pt_fidcache: the per-user cache of file identities keyed by device, inode, size, mtime and
 * ctime (see pt_fidcache.h): loaded once per process, appended one line per new file.
 */
#define _GNU_SOURCE
#include "pt_fidcache.h"

#include "pt_cachedir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FIDCACHE_MAX_BYTES (512u << 10) /* a larger file is dropped and built again */

struct fid_entry {
    char kind; /* 'F' a file identity, 'S' a CPython's clock symbols */
    unsigned long long dev, ino, size;
    long long mtime_ns, ctime_ns;
    char payload[96]; /* the rest of the line */
};

static struct {
    int loaded;
    char path[4096];
    struct fid_entry *v;
    size_t n, cap;
} cache;

static long long ns_of(const struct timespec *t)
{
    return (long long)t->tv_sec * 1000000000 + t->tv_nsec;
}

const char *pt_fidcache_path(void)
{
    if (!cache.loaded) {
        pt_cache_path("fileids", cache.path, sizeof cache.path);
    }
    return cache.path;
}

static void add(const struct fid_entry *e)
{
    if (cache.n == cache.cap) {
        size_t cap = cache.cap ? cache.cap * 2 : 64;
        struct fid_entry *v = realloc(cache.v, cap * sizeof *v);
        if (!v) {
            return;
        }
        cache.v = v;
        cache.cap = cap;
    }
    cache.v[cache.n++] = *e;
}

static int parse_bid(const char *hex, struct pt_fileid *id)
{
    id->bid_len = 0;
    if (strcmp(hex, "-") == 0) {
        return 0;
    }
    size_t len = strlen(hex);
    if (len % 2 || len / 2 > sizeof id->bid) {
        return -1;
    }
    for (size_t i = 0; i < len / 2; i++) {
        unsigned b;
        if (sscanf(hex + 2 * i, "%2x", &b) != 1) {
            return -1;
        }
        id->bid[i] = (uint8_t)b;
    }
    id->bid_len = (uint8_t)(len / 2);
    return 0;
}

static const char *next_field(const char *p, unsigned long long *v, int base)
{
    char *end;
    errno = 0;
    *v = strtoull(p, &end, base);
    return end == p || errno || (*end != ' ' && *end != '\0') ? NULL : end;
}

/* "K dev ino size mtime ctime payload" (hex but the times); a torn or foreign line is skipped */
static void parse_line(const char *line)
{
    struct fid_entry e;
    unsigned long long mt, ct;
    memset(&e, 0, sizeof e);
    if ((line[0] != 'F' && line[0] != 'S') || line[1] != ' ') {
        return;
    }
    e.kind = line[0];
    const char *p = line + 2;
    if (!(p = next_field(p, &e.dev, 16)) || !(p = next_field(p, &e.ino, 16)) ||
        !(p = next_field(p, &e.size, 16)) || !(p = next_field(p, &mt, 10)) ||
        !(p = next_field(p, &ct, 10)) || *p != ' ' || strlen(p + 1) >= sizeof e.payload) {
        return;
    }
    e.mtime_ns = (long long)mt;
    e.ctime_ns = (long long)ct;
    strcpy(e.payload, p + 1);
    add(&e);
}

static void load(void)
{
    pt_fidcache_path();
    cache.loaded = 1;
    if (!cache.path[0]) {
        return;
    }
    int fd = open(cache.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) {
            close(fd);
        }
        return;
    }
    if ((size_t)st.st_size > FIDCACHE_MAX_BYTES) {
        close(fd);
        unlink(cache.path);
        return;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    if (got > 0) {
        buf[got] = '\0';
        for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
            nl = strchr(line, '\n');
            if (!nl) {
                break; /* the last line is incomplete: another recorder is writing it */
            }
            *nl = '\0';
            parse_line(line);
        }
    }
    free(buf);
}

static int key_matches(const struct fid_entry *e, const struct stat *st)
{
    return e->dev == (unsigned long long)st->st_dev && e->ino == (unsigned long long)st->st_ino &&
           e->size == (unsigned long long)st->st_size && e->mtime_ns == ns_of(&st->st_mtim) &&
           e->ctime_ns == ns_of(&st->st_ctim);
}

static const char *lookup(char kind, const struct stat *st)
{
    if (!cache.loaded) {
        load();
    }
    for (size_t i = cache.n; i-- > 0;) {
        if (cache.v[i].kind == kind && key_matches(&cache.v[i], st)) {
            return cache.v[i].payload;
        }
    }
    return NULL;
}

static void store(char kind, const struct stat *st, const char *payload)
{
    if (!cache.loaded) {
        load();
    }
    if (!cache.path[0] || !pt_cache_settled(st)) {
        return; /* changed less than 2 s ago: racy */
    }
    struct fid_entry e;
    memset(&e, 0, sizeof e);
    e.kind = kind;
    e.dev = (unsigned long long)st->st_dev;
    e.ino = (unsigned long long)st->st_ino;
    e.size = (unsigned long long)st->st_size;
    e.mtime_ns = ns_of(&st->st_mtim);
    e.ctime_ns = ns_of(&st->st_ctim);
    snprintf(e.payload, sizeof e.payload, "%s", payload);
    add(&e);
    char line[256];
    int n = snprintf(line, sizeof line, "%c %llx %llx %llx %lld %lld %s\n", kind, e.dev, e.ino,
                     e.size, e.mtime_ns, e.ctime_ns, e.payload);
    int fd = open(cache.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == ENOENT && pt_mkdir_parents(cache.path) == 0) {
        fd = open(cache.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    }
    if (fd >= 0) {
        ssize_t w = write(fd, line, (size_t)n); /* one write: O_APPEND keeps lines whole */
        (void)w;
        close(fd);
    }
}

int pt_fidcache_lookup(const struct stat *st, struct pt_fileid *id)
{
    const char *p = lookup('F', st);
    unsigned long long hash;
    char bid[80];
    memset(id, 0, sizeof *id);
    if (!p || sscanf(p, "%llx %79s", &hash, bid) != 2 || parse_bid(bid, id) < 0) {
        return 0;
    }
    id->size = (uint64_t)st->st_size;
    id->mtime_ns = ns_of(&st->st_mtim);
    id->hash = hash;
    return 1;
}

void pt_fidcache_store(const struct stat *st, const struct pt_fileid *id)
{
    char payload[96] = "";
    int n = snprintf(payload, sizeof payload, "%llx ", (unsigned long long)id->hash);
    for (int i = 0; i < id->bid_len; i++) {
        n += snprintf(payload + n, sizeof payload - (size_t)n, "%02x", id->bid[i]);
    }
    if (id->bid_len == 0) {
        snprintf(payload + n, sizeof payload - (size_t)n, "-");
    }
    store('F', st, payload);
}

int pt_fidcache_get_words(const struct stat *st, uint64_t *v, int n)
{
    const char *p = lookup('S', st);
    for (int i = 0; p && i < n; i++) {
        unsigned long long x;
        while (*p == ' ') {
            p++;
        }
        if (!(p = next_field(p, &x, 16))) {
            return 0;
        }
        v[i] = x;
    }
    return p && *p == '\0';
}

void pt_fidcache_put_words(const struct stat *st, const uint64_t *v, int n)
{
    char payload[96] = "";
    int len = 0;
    for (int i = 0; i < n && len < (int)sizeof payload; i++) {
        len += snprintf(payload + len, sizeof payload - (size_t)len, "%s%llx", i ? " " : "",
                        (unsigned long long)v[i]);
    }
    if (len < (int)sizeof payload) {
        store('S', st, payload);
    }
}
