/*
 * rep_sources: the replay's source provider for pyintrospect (pyi_set_source_provider): the
 * debugger shows the sources that ran, as recorded in the trace's sources file (pt_sources.h),
 * and says when the file on disk differs. A source recorded by hash only (the standard
 * library) is read from disk when it still matches, and not shown when it does not (`pytt
 * pack` stores its text). Files the trace knows nothing of are read from disk.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_pack.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_DIFFERS                                                                               \
    "the file on disk differs from the one that ran: showing the source "                          \
    "recorded with the trace"
#define NOTE_GONE "the file is not on disk any more: showing the source recorded with the trace"
#define NOTE_UNKNOWN                                                                               \
    "the file on disk changed since the recording and its source was not "                         \
    "recorded (pytt pack keeps it): not shown"

static const struct pt_source *recorded(struct rep_session *s, const char *file)
{
    if (!s->sources_loaded) {
        s->sources_loaded = 1;
        if (pt_sources_read(s->opt.trace_dir, &s->sources) < 0) {
            pt_err_clear(); /* unreadable: the debugger reads the disk, as without a trace */
        }
    }
    return pt_sources_find(&s->sources, file);
}

/* Keep a text read from disk for the rest of the session and hand it out. */
static int keep_disk_text(struct rep_session *s, struct pt_source *disk, const char **text,
                          size_t *len)
{
    s->disk_texts = realloc(s->disk_texts, (s->ndisk_texts + 1) * sizeof *s->disk_texts);
    s->disk_texts[s->ndisk_texts++] = disk->text;
    *text = disk->text;
    *len = disk->len;
    disk->text = NULL;
    return PYI_SRC_TEXT;
}

/* A file reached through a symlink (a script run through a link, a symlinked package
 * directory): Python names it by the link, the recorder by the file it resolved to, and pytt
 * never opens a path through a symlink. So the link is resolved here (realpath opens nothing)
 * and the file it names is looked up and read. Returns 0 when file is no symlink. */
static int through_link(struct rep_session *s, const char *file, char *real,
                        const struct pt_source **src)
{
    if (!realpath(file, real) || strcmp(real, file) == 0) {
        return 0;
    }
    *src = recorded(s, real);
    return 1;
}

static int provide(void *ctx, const char *file, const char **text, size_t *len, const char **note)
{
    struct rep_session *s = ctx;
    const struct pt_source *src = recorded(s, file);
    struct pt_source disk;
    char real[PATH_MAX];
    if (!src && through_link(s, file, real, &src)) {
        file = real;
        if (!src) { /* unknown to the trace: the disk's text, as for any other file */
            int rc = pt_source_capture(&disk, real, 1) == 0 ? keep_disk_text(s, &disk, text, len)
                                                            : PYI_SRC_NONE;
            pt_err_clear();
            free(disk.path);
            free(disk.text);
            return rc;
        }
    }
    if (!src) {
        return PYI_SRC_DISK;
    }
    int on_disk = pt_source_capture(&disk, file, !src->stored) == 0;
    pt_err_clear();
    int same = on_disk && disk.hash == src->hash && disk.size == src->size;
    int rc = PYI_SRC_TEXT;
    if (src->stored) {
        *text = src->text;
        *len = src->len;
        *note = same ? NULL : on_disk ? NOTE_DIFFERS : NOTE_GONE;
    } else if (same) {
        keep_disk_text(s, &disk, text, len);
    } else {
        *note = NOTE_UNKNOWN;
        rc = PYI_SRC_NONE;
    }
    free(disk.path);
    free(disk.text);
    return rc;
}

int rep_sources_attach(struct rep_session *s, struct pyi_session *pyi)
{
    pyi_set_source_provider(pyi, provide, s);
    return 0;
}

void rep_sources_free(struct rep_session *s)
{
    pt_sources_free(&s->sources);
    for (size_t i = 0; i < s->ndisk_texts; i++) {
        free(s->disk_texts[i]);
    }
    free(s->disk_texts);
}
