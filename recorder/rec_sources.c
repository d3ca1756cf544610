/*
 * rec_sources: which Python files' code ran, for the trace's sources file (pt_sources.h).
 *
 * At the exit of every successful open/openat the recorder looks at the path the descriptor
 * names (/proc/PID/fd/N): a *.py file is a source the program read (a script, or a module
 * compiled from source); a .../__pycache__/NAME.cpython-XY[.opt-N].pyc is the cached code of
 * .../NAME.py. When the recording ends, each source is read once: its identity always, its
 * text unless it belongs to the interpreter's standard library (<prefix>/lib/pythonX.Y, not
 * site-packages or dist-packages) or is larger than PT_SOURCE_MAX. A source that cannot be read
 * any more is left out.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_proc.h"
#include "common/pt_sources.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* .../__pycache__/NAME.cpython-311.pyc -> .../NAME.py (0 if path is not such a file). */
static int source_of_pyc(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    if (!base || !ends_with(path, ".pyc") || base - path < 12 ||
        strncmp(base - 12, "/__pycache__", 12) != 0) {
        return 0;
    }
    const char *dot = strchr(base + 1, '.');
    if (!dot || strncmp(dot, ".cpython-", 9) != 0) {
        return 0;
    }
    int n =
        snprintf(out, cap, "%.*s%.*s.py", (int)(base - 12 - path), path, (int)(dot - base), base);
    return n > 0 && (size_t)n < cap;
}

static void add_path(struct rec_session *s, const char *name, const char *file)
{
    for (size_t i = 0; i < s->nsrcpaths; i++) {
        if (strcmp(s->srcpaths[i].name, name) == 0) {
            return;
        }
    }
    if ((s->nsrcpaths & (s->nsrcpaths - 1)) == 0) {
        s->srcpaths =
            realloc(s->srcpaths, (s->nsrcpaths ? s->nsrcpaths * 2 : 16) * sizeof *s->srcpaths);
    }
    s->srcpaths[s->nsrcpaths].name = strdup(name);
    s->srcpaths[s->nsrcpaths].file = strdup(file);
    s->nsrcpaths++;
}

/* The absolute path the program gave open/openat (a relative one joined to its cwd when it is
 * relative to the cwd), or 0: the name Python gives the code it reads from that file, which
 * differs from the opened file's own path when a symlink was on the way. */
static int given_path(struct rec_session *s, int nr, const uint64_t args[6], char *out, size_t cap)
{
    char rel[4096], cwd[4096];
    int dirfd = nr == SYS_openat ? (int)args[0] : AT_FDCWD;
    if (pt_mem_read_cstr(&s->mem, nr == SYS_openat ? args[1] : args[0], rel, sizeof rel) < 0) {
        pt_err_clear();
        return 0;
    }
    if (rel[0] == '/') {
        return snprintf(out, cap, "%s", rel) < (int)cap;
    }
    if (dirfd != AT_FDCWD || pt_proc_readlink(s->pid, "cwd", cwd, sizeof cwd) < 0) {
        pt_err_clear();
        return 0;
    }
    const char *r = strncmp(rel, "./", 2) == 0 ? rel + 2 : rel;
    return snprintf(out, cap, "%s/%s", cwd, r) < (int)cap;
}

/* path: the file opened; given: the absolute name the program opened it by, or NULL. */
static void note(struct rec_session *s, const char *path, const char *given)
{
    char src[4096];
    if (path[0] == '/' && ends_with(path, ".py")) {
        add_path(s, path, path);
        if (given && ends_with(given, ".py") && strcmp(given, path) != 0 &&
            !strstr(given, "/../") && !strstr(given, "/./")) {
            add_path(s, given, path); /* reached through a symlink: Python's name for it */
        }
    } else if (source_of_pyc(path, src, sizeof src)) {
        add_path(s, src, src);
    }
}

void rec_sources_note(struct rec_session *s, int nr, const uint64_t args[6], int64_t ret)
{
    char path[4096], given[4096];
    if ((nr != SYS_openat && nr != SYS_open) || ret < 0 ||
        pt_proc_fd_path(s->pid, (int)ret, path, sizeof path) < 0) {
        pt_err_clear();
        return;
    }
    note(s, path, given_path(s, nr, args, given, sizeof given) ? given : NULL);
}

/* An open the syscall buffer made (its descriptor may be closed by now): the file is found
 * from the name the program gave, relative to its cwd or to the directory descriptor. */
void rec_sources_note_path(struct rec_session *s, int dirfd, const char *rel)
{
    char given[4096], base[4096], real[PATH_MAX];
    if (!ends_with(rel, ".py") && !ends_with(rel, ".pyc")) {
        return;
    }
    if (rel[0] == '/') {
        snprintf(given, sizeof given, "%s", rel);
    } else {
        char link[32];
        snprintf(link, sizeof link, "fd/%d", dirfd);
        if (pt_proc_readlink(s->pid, dirfd == AT_FDCWD ? "cwd" : link, base, sizeof base) < 0) {
            pt_err_clear();
            return;
        }
        const char *r = strncmp(rel, "./", 2) == 0 ? rel + 2 : rel;
        if (snprintf(given, sizeof given, "%s/%s", base, r) >= (int)sizeof given) {
            return;
        }
    }
    if (realpath(given, real)) {
        note(s, real, given);
    }
}

/* Is path in the interpreter's own standard library? */
static int in_stdlib(const struct rec_session *s, const char *path)
{
    char lib[4096];
    const char *bin = strrchr(s->exe_path, '/');
    if (!bin || bin == s->exe_path) {
        return 0;
    }
    const char *prefix_end = bin - 1;
    while (prefix_end > s->exe_path && *prefix_end != '/') {
        prefix_end--;
    }
    snprintf(lib, sizeof lib, "%.*s/lib/python%s/", (int)(prefix_end - s->exe_path), s->exe_path,
             s->py.version);
    return strncmp(path, lib, strlen(lib)) == 0 && !strstr(path, "/site-packages/") &&
           !strstr(path, "/dist-packages/");
}

int rec_sources_write(struct rec_session *s)
{
    struct pt_sources out = {calloc(s->nsrcpaths + 1, sizeof(struct pt_source)), 0};
    for (size_t i = 0; i < s->nsrcpaths; i++) {
        struct pt_source *src = &out.v[out.n];
        const struct rec_srcpath *p = &s->srcpaths[i];
        if (pt_source_capture(src, p->file, !in_stdlib(s, p->file)) == 0) {
            free(src->path);
            src->path = strdup(p->name);
            out.n++;
        } else {
            free(src->path);
            pt_err_clear();
        }
    }
    int rc = pt_sources_write(s->opt->trace_dir, &out);
    pt_sources_free(&out);
    return rc;
}

void rec_sources_free(struct rec_session *s)
{
    for (size_t i = 0; i < s->nsrcpaths; i++) {
        free(s->srcpaths[i].name);
        free(s->srcpaths[i].file);
    }
    free(s->srcpaths);
}
