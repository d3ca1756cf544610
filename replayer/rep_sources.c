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

static int provide(void *ctx, const char *file, const char **text, size_t *len, const char **note)
{
    struct rep_session *s = ctx;
    const struct pt_source *src = recorded(s, file);
    struct pt_source disk;
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
        s->disk_texts = realloc(s->disk_texts, (s->ndisk_texts + 1) * sizeof *s->disk_texts);
        s->disk_texts[s->ndisk_texts++] = disk.text; /* kept for the session */
        *text = disk.text;
        *len = disk.len;
        disk.text = NULL;
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
