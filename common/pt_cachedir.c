/*
 * pt_cachedir: the per-user cache directory's place (see pt_cachedir.h).
 */
#include "pt_cachedir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int pt_cache_path(const char *name, char *out, size_t cap)
{
    const char *dir = getenv("PYTT_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n = -1;
    out[0] = '\0';
    if (dir && strcmp(dir, "off") == 0) {
        return -1;
    }
    if (dir && dir[0]) {
        n = snprintf(out, cap, "%s/%s", dir, name);
    } else if (xdg && xdg[0] == '/') {
        n = snprintf(out, cap, "%s/pytt/%s", xdg, name);
    } else if (home && home[0] == '/') {
        n = snprintf(out, cap, "%s/.cache/pytt/%s", home, name);
    }
    if (n < 0 || (size_t)n >= cap) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

#define CACHE_SETTLED_NS (2ll * 1000000000)

static long long ns_of(const struct timespec *t)
{
    return (long long)t->tv_sec * 1000000000 + t->tv_nsec;
}

int pt_cache_settled(const struct stat *st)
{
    struct timespec now;
    return clock_gettime(CLOCK_REALTIME, &now) == 0 &&
           ns_of(&st->st_ctim) <= ns_of(&now) - CACHE_SETTLED_NS &&
           ns_of(&st->st_mtim) <= ns_of(&now) - CACHE_SETTLED_NS;
}

int pt_mkdir_parents(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        return -1;
    }
    for (char *p = strchr(buf + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        int rc = mkdir(buf, 0700);
        *p = '/';
        if (rc != 0 && errno != EEXIST) {
            return -1;
        }
    }
    return 0;
}

struct aged {
    char name[32];
    long long mtime;
    uint64_t bytes;
};

static int by_age(const void *a, const void *b)
{
    const struct aged *x = a, *y = b;
    return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

static int cache_name(const char *name)
{
    if (strlen(name) != 16) {
        return 0;
    }
    for (int i = 0; i < 16; i++) {
        if (!strchr("0123456789abcdef", name[i])) {
            return 0;
        }
    }
    return 1;
}

/* The cache's entries in d, with their ages and sizes; *n of them. */
static struct aged *list_entries(DIR *d, size_t *n, uint64_t *bytes)
{
    struct aged *v = NULL;
    size_t cap = 0;
    *n = 0;
    *bytes = 0;
    for (struct dirent *e; (e = readdir(d));) {
        struct stat st;
        if (!cache_name(e->d_name) || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            continue;
        }
        if (*n == cap) {
            struct aged *w = realloc(v, (cap = cap ? 2 * cap : 128) * sizeof *v);
            if (!w) {
                break;
            }
            v = w;
        }
        snprintf(v[*n].name, sizeof v[*n].name, "%s", e->d_name);
        v[*n].mtime = (long long)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        v[*n].bytes = (uint64_t)st.st_size;
        *bytes += v[(*n)++].bytes;
    }
    return v;
}

void pt_cache_prune(const char *written, size_t max_files, uint64_t max_bytes)
{
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s", written) >= (int)sizeof dir || !strrchr(dir, '/')) {
        return;
    }
    *strrchr(dir, '/') = '\0';
    DIR *d = opendir(dir);
    if (!d) {
        return;
    }
    size_t n;
    uint64_t bytes;
    struct aged *v = list_entries(d, &n, &bytes);
    if (v && (n > max_files || bytes > max_bytes)) {
        qsort(v, n, sizeof *v, by_age);
        for (size_t i = 0; i < n && (n - i > max_files || bytes > max_bytes); i++) {
            unlinkat(dirfd(d), v[i].name, 0);
            bytes -= v[i].bytes;
        }
    }
    closedir(d);
    free(v);
}
