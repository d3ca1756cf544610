/*
 * tracedir: where traces live. `pytt record` without -o writes to $PYTT_TRACE_DIR/<script>-<N>,
 * else ~/.local/share/pytt/<script>-<N> (N the first free number: the names taken are read in
 * one pass, where probing each with mkdir cost ~3 us per trace of the script already there), and
 * points the
 * `latest-trace` symlink there, as rr does; `pytt replay` without a directory opens it.
 * Trace directories are created 0700: a trace holds everything the program read.
 */
#include "cli.h"

#include "common/pt_error.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int mkdir_p(const char *path, mode_t mode)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, mode) < 0 && errno != EEXIST) {
                return pt_fail_errno("mkdir(%s)", tmp);
            }
            *p = '/';
        }
    }
    if (mkdir(tmp, mode) < 0 && errno != EEXIST) {
        return pt_fail_errno("mkdir(%s)", tmp);
    }
    return 0;
}

int cli_trace_root(char *out, size_t cap)
{
    const char *env = getenv("PYTT_TRACE_DIR");
    const char *home = getenv("HOME");
    if (env && *env) {
        snprintf(out, cap, "%s", env);
    } else if (home && *home) {
        snprintf(out, cap, "%s/.local/share/pytt", home);
    } else {
        return pt_fail("neither PYTT_TRACE_DIR nor HOME is set: use -o DIR");
    }
    return mkdir_p(out, 0700);
}

#define MAX_TRACE_N 100000

/* The first N for which root has no entry named <base>-<N> (N in decimal, as made below). */
static int first_free_number(const char *root, const char *base)
{
    DIR *d = opendir(root);
    uint8_t *used = d ? calloc(MAX_TRACE_N / 8 + 1, 1) : NULL;
    size_t bl = strlen(base);
    struct dirent *e;
    while (used && (e = readdir(d))) {
        const char *num = e->d_name + bl + 1;
        if (strncmp(e->d_name, base, bl) != 0 || num[-1] != '-' || num[0] < '0' || num[0] > '9' ||
            (num[0] == '0' && num[1])) {
            continue;
        }
        char *end;
        long n = strtol(num, &end, 10);
        if (*end == '\0' && n < MAX_TRACE_N) {
            used[n / 8] |= (uint8_t)(1u << (n % 8));
        }
    }
    if (d) {
        closedir(d);
    }
    int n = 0;
    while (used && n < MAX_TRACE_N && (used[n / 8] >> (n % 8) & 1)) {
        n++;
    }
    free(used);
    return n;
}

int cli_tracedir_new(const char *script, char *out, size_t cap)
{
    char root[PATH_MAX];
    if (cli_trace_root(root, sizeof root) < 0) {
        return -1;
    }
    const char *base = strrchr(script, '/') ? strrchr(script, '/') + 1 : script;
    for (int n = first_free_number(root, base); n < MAX_TRACE_N; n++) {
        snprintf(out, cap, "%s/%s-%d", root, base, n);
        if (mkdir(out, 0700) == 0) {
            return 0;
        }
        if (errno != EEXIST) {
            return pt_fail_errno("mkdir(%s)", out);
        }
    }
    return pt_fail("no free trace directory name under %s", root);
}

int cli_tracedir_link_latest(const char *dir)
{
    char root[PATH_MAX], link[PATH_MAX + 32], tmp[PATH_MAX + 48];
    if (cli_trace_root(root, sizeof root) < 0) {
        return -1;
    }
    snprintf(link, sizeof link, "%s/latest-trace", root);
    snprintf(tmp, sizeof tmp, "%s/.latest-trace.%d", root, (int)getpid());
    char *abs = realpath(dir, NULL);
    if (!abs) {
        return pt_fail_errno("realpath(%s)", dir);
    }
    unlink(tmp);
    int rc = 0;
    if (symlink(abs, tmp) < 0 || rename(tmp, link) < 0) {
        rc = pt_fail_errno("updating %s", link);
    }
    free(abs);
    return rc;
}

int cli_tracedir_resolve(const char *arg, char *out, size_t cap)
{
    if (arg) {
        snprintf(out, cap, "%s", arg);
        return 0;
    }
    char root[PATH_MAX];
    if (cli_trace_root(root, sizeof root) < 0) {
        return -1;
    }
    snprintf(out, cap, "%s/latest-trace", root);
    if (access(out, F_OK) != 0) {
        return pt_fail("no trace given and no latest recording at %s (record one with `pytt "
                       "record python3.11 script.py`)",
                       out);
    }
    return 0;
}

int cli_trace_by_name(const char *name, char *out, size_t cap)
{
    if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        snprintf(out, cap, "%s", name);
        return 0;
    }
    char root[PATH_MAX];
    if (cli_trace_root(root, sizeof root) < 0) {
        return -1;
    }
    snprintf(out, cap, "%s/%s", root, name);
    if (access(out, F_OK) != 0 && access(name, F_OK) == 0) {
        snprintf(out, cap, "%s", name); /* a trace in the current directory */
    }
    return 0;
}
