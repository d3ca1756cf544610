/*
 * pt_pack: the trace's own copies of the files replay and debugging need (see pt_pack.h).
 */
#define _GNU_SOURCE
#include "pt_pack.h"

#include "pt_error.h"
#include "pt_file.h"
#include "pt_sources.h"
#include "pt_trace.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *pt_pack_copy_path(const char *trace_dir, const struct pt_fileid *id)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/files/%s", trace_dir, pt_fileid_name(id));
    DIR *d = opendir(dir);
    char *found = NULL;
    struct dirent *e;
    while (d && !found && (e = readdir(d))) {
        if (e->d_name[0] != '.' && asprintf(&found, "%s/%s", dir, e->d_name) < 0) {
            found = NULL;
        }
    }
    if (d) {
        closedir(d);
    }
    return found;
}

char *pt_pack_debug_root(const char *trace_dir)
{
    char *p;
    struct stat st;
    if (asprintf(&p, "%s/debug", trace_dir) < 0) {
        return NULL;
    }
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(p);
        return NULL;
    }
    return p;
}

static int mkdir_private(const char *path)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        return pt_fail_errno("mkdir(%s)", path);
    }
    return 0;
}

static int copy_bytes(const char *src, const char *dst, unsigned long long *bytes)
{
    struct stat sst;
    int in = pt_open_regular(src, &sst);
    if (in < 0) {
        return -1;
    }
    int out = pt_create_private(dst);
    int rc = out < 0 ? -1 : 0;
    if (rc == 0 && (sst.st_mode & 0111)) {
        fchmod(out, 0700); /* the interpreter is executed from its copy */
    }
    char buf[65536];
    ssize_t n;
    while (rc == 0 && (n = read(in, buf, sizeof buf)) > 0) {
        if (pt_write_all(out, buf, (size_t)n) < 0) {
            rc = pt_fail_errno("writing %s", dst);
        }
        *bytes += (unsigned long long)n;
    }
    if (rc == 0 && n < 0) {
        rc = pt_fail_errno("reading %s", src);
    }
    close(in);
    if (out >= 0 && close(out) != 0 && rc == 0) {
        rc = pt_fail_errno("writing %s", dst);
    }
    if (rc < 0) {
        unlink(dst);
    }
    return rc;
}

/* dst := src by hard link, else by copy. */
static int link_or_copy(const char *src, const char *dst, struct pt_pack_stats *st)
{
    if (link(src, dst) == 0) {
        st->linked++;
        return 0;
    }
    st->copied++;
    return copy_bytes(src, dst, &st->bytes_copied);
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

int pt_pack_add_file(const char *trace_dir, const char *path, const struct pt_fileid *id,
                     struct pt_pack_stats *st)
{
    char *have = pt_pack_copy_path(trace_dir, id);
    if (have) {
        free(have);
        return 0;
    }
    char dir[4096], dst[4352];
    snprintf(dir, sizeof dir, "%s/files", trace_dir);
    if (mkdir_private(dir) < 0) {
        return -1;
    }
    snprintf(dir, sizeof dir, "%s/files/%s", trace_dir, pt_fileid_name(id));
    snprintf(dst, sizeof dst, "%s/%s", dir, base_name(path));
    if (mkdir_private(dir) < 0 || link_or_copy(path, dst, st) < 0) {
        return pt_wrap("packing %s", path);
    }
    st->files++;
    return 0;
}

static int mkdirs_under(const char *root, const char *rel)
{
    char p[4096 + 256];
    if ((size_t)snprintf(p, sizeof p, "%.4095s/%.159s", root, rel) >= sizeof p ||
        strlen(root) >= sizeof p - 1) {
        return pt_fail("path too long: %s", root);
    }
    for (char *c = p + strlen(root) + 1; *c; c++) {
        if (*c == '/') {
            *c = '\0';
            if (mkdir_private(p) < 0) {
                return -1;
            }
            *c = '/';
        }
    }
    return 0;
}

int pt_pack_add_debug(const char *trace_dir, const char *debug_root, const uint8_t *bid,
                      size_t bid_len, struct pt_pack_stats *st)
{
    if (bid_len < 2) {
        return 0;
    }
    char rel[160];
    int n = snprintf(rel, sizeof rel, ".build-id/%02x/", bid[0]);
    for (size_t i = 1; i < bid_len; i++) {
        n += snprintf(rel + n, sizeof rel - (size_t)n, "%02x", bid[i]);
    }
    snprintf(rel + n, sizeof rel - (size_t)n, ".debug");
    char src[4352], root[4096], dst[4352 + 160];
    struct stat sst;
    snprintf(src, sizeof src, "%.4000s/%s", debug_root, rel);
    snprintf(root, sizeof root, "%s/debug", trace_dir);
    snprintf(dst, sizeof dst, "%.4096s/%s", root, rel);
    if (stat(dst, &sst) == 0) {
        return 1;
    }
    if (pt_check_regular(src, &sst) < 0) {
        pt_err_clear();
        return 0; /* this object has no separate debug file (its DWARF may be inside it) */
    }
    if (mkdir_private(root) < 0 || mkdirs_under(root, rel) < 0 || link_or_copy(src, dst, st) < 0) {
        return pt_wrap("packing the debug file %s", src);
    }
    st->debug_files++;
    return 1;
}

/* ---- packing a whole trace ---------------------------------------------------------------- */

static int pack_one(const char *dir, const char *debug_root, const char *path,
                    const struct pt_fileid *id, struct pt_pack_stats *st)
{
    struct pt_fileid now;
    char *have = pt_pack_copy_path(dir, id);
    if (have) {
        free(have);
    } else {
        int m = pt_fileid_matches(path, id, &now);
        if (m < 0) {
            return pt_wrap("cannot pack %s", path);
        }
        if (m == 0) {
            return pt_fail("cannot pack %s: it changed since the recording (the trace needs the "
                           "file as it was)",
                           path);
        }
        if (pt_pack_add_file(dir, path, id, st) < 0) {
            return -1;
        }
    }
    return pt_pack_add_debug(dir, debug_root, id->bid, id->bid_len, st) < 0 ? -1 : 0;
}

/* Store the text of every source recorded by hash only, when the file still matches. */
static int pack_sources(const char *dir, struct pt_pack_stats *st)
{
    struct pt_sources s;
    if (pt_sources_read(dir, &s) < 0) {
        return -1;
    }
    int changed = 0;
    for (size_t i = 0; i < s.n; i++) {
        struct pt_source now, *src = &s.v[i];
        if (src->stored) {
            continue;
        }
        if (pt_source_capture(&now, src->path, 1) == 0 && now.hash == src->hash &&
            now.size == src->size) {
            free(src->text);
            src->text = now.text;
            src->len = now.len;
            src->stored = 1;
            now.text = NULL;
            changed = 1;
            st->sources++;
        }
        free(now.path);
        free(now.text);
        pt_err_clear();
    }
    int rc = changed ? pt_sources_write(dir, &s) : 0;
    pt_sources_free(&s);
    return rc;
}

int pt_pack_trace(const char *dir, const char *debug_root, struct pt_pack_stats *st)
{
    struct pt_trace_reader r;
    memset(st, 0, sizeof *st);
    if (pt_tracer_open(&r, dir) < 0) {
        return -1;
    }
    const struct pt_header *h = &r.hdr;
    int rc = pack_one(dir, debug_root, h->exe_path, &h->exe_id, st);
    if (rc == 0 && h->interp_path[0]) {
        rc = pack_one(dir, debug_root, h->interp_path, &h->interp_id, st);
    }
    for (size_t i = 0; rc == 0 && i < r.nfiles; i++) {
        rc = pack_one(dir, debug_root, r.files[i].path, &r.files[i].id, st);
    }
    pt_tracer_close(&r);
    return rc < 0 ? -1 : pack_sources(dir, st);
}
