/*
 * pt_sources: the trace's `sources` file, the source of every Python file whose code ran, so
 * the debugger shows what ran, not what the file says today (an edited script must not show
 * new lines at old line numbers).
 *
 * The recorder notes each Python source the program imported or ran (a .py it opened, or the
 * .py behind a __pycache__ .pyc it loaded) and, when the recording ends, stores each one's
 * size, mtime and content hash, and its text, except for the interpreter's own standard
 * library (identified by hash only: it is the installed interpreter's, checked like it) and
 * files over PT_SOURCE_MAX. `pytt pack` stores the text of the others too.
 *
 *   sources := "PYTTSRCS" u32:version  chunk container of records
 *   record  := str:path uv:size sv:mtime_ns uv:hash u8:stored [blob:text if stored]
 */
#ifndef PT_SOURCES_H
#define PT_SOURCES_H

#include <stddef.h>
#include <stdint.h>

#define PT_SOURCE_MAX (4u << 20)

struct pt_source {
    char *path;
    uint64_t size;
    int64_t mtime_ns;
    uint64_t hash;
    int stored;
    char *text; /* stored: the recorded text (len bytes, NUL-terminated) */
    size_t len;
};

struct pt_sources {
    struct pt_source *v;
    size_t n;
};

/* Read the file at path now (regular files only): identity, and the text if store. */
int pt_source_capture(struct pt_source *src, const char *path, int store);
int pt_sources_write(const char *trace_dir, const struct pt_sources *s);
/* A trace without a sources file reads as an empty list. */
int pt_sources_read(const char *trace_dir, struct pt_sources *s);
const struct pt_source *pt_sources_find(const struct pt_sources *s, const char *path);
void pt_sources_free(struct pt_sources *s);

#endif
