/*
 * rep_files: the files a replay needs besides the trace, all checked before the program starts
 * (never mid-run, after output was shown): the interpreter binary, its loader, and every file
 * the program mapped by path (the trace reader lists them when it opens the log). Each must
 * be a regular file (pt_file.h: no FIFO, device or final symlink) whose identity matches the
 * recording (pt_fileid.h: same size and build-id, and same mtime or same content). A packed
 * trace (pytt pack) carries its own copies; replay then uses those (except the loader, which
 * the kernel opens itself by the path in the interpreter). What was checked is kept
 * (device and inode), so the file the replayed process opens later must be that very one.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_file.h"
#include "common/pt_pack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int changed(const char *what, const char *path, const struct pt_fileid *want,
                   const struct pt_fileid *now)
{
    char esc[1024], was[192];
    snprintf(was, sizeof was, "%s", pt_fileid_str(want));
    return pt_fail("%s %s changed since the recording (recorded: %s; now: %s); replay needs the "
                   "exact files the program ran with (`pytt pack` at record time keeps copies)",
                   what, pt_escape(path, esc, sizeof esc), was, pt_fileid_str(now));
}

/* Check one file; *use gets the path to open (the trace's copy when packed and allowed). */
static int check_one(struct rep_session *s, const char *what, const char *path,
                     const struct pt_fileid *want, char **use, int allow_copy)
{
    struct pt_fileid now;
    char esc[1024];
    char *copy = allow_copy ? pt_pack_copy_path(s->opt.trace_dir, want) : NULL;
    const char *p = copy ? copy : path;
    int m = pt_fileid_matches(p, want, &now);
    if (m < 0) {
        int rc = pt_fail("%s %s used by the recording cannot be used now (%s)", what,
                         pt_escape(path, esc, sizeof esc), pt_errmsg());
        free(copy);
        return rc;
    }
    if (m == 0) {
        free(copy);
        return changed(what, p, want, &now);
    }
    *use = copy ? copy : strdup(path);
    return 0;
}

static int add_checked(struct rep_session *s, const char *path, const struct pt_fileid *id,
                       char *use)
{
    struct stat st;
    if (pt_check_regular(use, &st) < 0) {
        free(use);
        return -1;
    }
    if ((s->nfiles & (s->nfiles - 1)) == 0) {
        s->files = realloc(s->files, (s->nfiles ? s->nfiles * 2 : 8) * sizeof *s->files);
    }
    s->files[s->nfiles++] = (struct rep_file){strdup(path), *id, use, st.st_dev, st.st_ino};
    return 0;
}

int rep_check_files(struct rep_session *s)
{
    const struct pt_header *h = &s->tr.hdr;
    char *use;
    if (check_one(s, "the interpreter", h->exe_path, &h->exe_id, &use, 1) < 0 ||
        add_checked(s, h->exe_path, &h->exe_id, use) < 0) {
        return -1;
    }
    /* The kernel loads the interpreter's PT_INTERP from the system, never a packed copy. */
    if (h->interp_path[0] &&
        (check_one(s, "the dynamic loader", h->interp_path, &h->interp_id, &use, 0) < 0 ||
         add_checked(s, h->interp_path, &h->interp_id, use) < 0)) {
        return -1;
    }
    for (size_t i = 0; i < s->tr.nfiles; i++) {
        const struct pt_trace_file *f = &s->tr.files[i];
        if (check_one(s, "the file", f->path, &f->id, &use, 1) < 0 ||
            add_checked(s, f->path, &f->id, use) < 0) {
            return pt_wrap("mapped by the program when recording (event %llu)",
                           (unsigned long long)f->first_event);
        }
    }
    return 0;
}

const struct rep_file *rep_file_find(const struct rep_session *s, const char *path,
                                     const struct pt_fileid *id)
{
    for (size_t i = 0; i < s->nfiles; i++) {
        if (strcmp(s->files[i].path, path) == 0 && memcmp(&s->files[i].id, id, sizeof *id) == 0) {
            return &s->files[i];
        }
    }
    return NULL;
}

void rep_files_free(struct rep_session *s)
{
    for (size_t i = 0; i < s->nfiles; i++) {
        free(s->files[i].path);
        free(s->files[i].use);
    }
    free(s->files);
    s->files = NULL;
    s->nfiles = 0;
}
