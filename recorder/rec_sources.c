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

static void add_path(struct rec_session *s, const char *path)
{
    for (size_t i = 0; i < s->nsrcpaths; i++) {
        if (strcmp(s->srcpaths[i], path) == 0) {
            return;
        }
    }
    if ((s->nsrcpaths & (s->nsrcpaths - 1)) == 0) {
        s->srcpaths = realloc(s->srcpaths, (s->nsrcpaths ? s->nsrcpaths * 2 : 16) * sizeof(char *));
    }
    s->srcpaths[s->nsrcpaths++] = strdup(path);
}

void rec_sources_note(struct rec_session *s, int nr, int64_t ret)
{
    char path[4096], src[4096];
    if ((nr != SYS_openat && nr != SYS_open) || ret < 0 ||
        pt_proc_fd_path(s->pid, (int)ret, path, sizeof path) < 0) {
        pt_err_clear();
        return;
    }
    if (path[0] == '/' && ends_with(path, ".py")) {
        add_path(s, path);
    } else if (source_of_pyc(path, src, sizeof src)) {
        add_path(s, src);
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
        if (pt_source_capture(src, s->srcpaths[i], !in_stdlib(s, s->srcpaths[i])) == 0) {
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
        free(s->srcpaths[i]);
    }
    free(s->srcpaths);
}
