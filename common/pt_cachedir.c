/*
 * pt_cachedir: the per-user cache directory's place (see pt_cachedir.h).
 */
#include "pt_cachedir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
