/*
 * pt_sources: capturing, writing and reading the sources a trace carries (see pt_sources.h).
 */
#define _GNU_SOURCE
#include "pt_sources.h"

#include "pt_chunk.h"
#include "pt_error.h"
#include "pt_file.h"
#include "pt_hash.h"
#include "pt_trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SOURCES_MAGIC "PYTTSRCS"

int pt_source_capture(struct pt_source *src, const char *path, int store)
{
    struct stat st;
    memset(src, 0, sizeof *src);
    src->path = strdup(path);
    int fd = pt_open_regular(path, &st);
    if (fd < 0) {
        return -1;
    }
    src->size = (uint64_t)st.st_size;
    src->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    size_t cap = st.st_size > PT_SOURCE_MAX ? PT_SOURCE_MAX : (size_t)st.st_size;
    char *text = malloc(cap + 1);
    ssize_t n = 0, got;
    while (text && (size_t)n < cap && (got = read(fd, text + n, cap - (size_t)n)) > 0) {
        n += got;
    }
    close(fd);
    if (!text || (uint64_t)n != src->size) {
        free(text);
        return pt_fail("reading %s: %s", path,
                       text ? "too large or changed while read" : "out of memory");
    }
    text[n] = '\0';
    src->hash = pt_hash64(text, (size_t)n);
    if (store) {
        src->stored = 1;
        src->text = text;
        src->len = (size_t)n;
    } else {
        free(text);
    }
    return 0;
}

int pt_sources_write(const char *trace_dir, const struct pt_sources *s)
{
    char path[4096], tmp[4096];
    snprintf(path, sizeof path, "%s/sources", trace_dir);
    snprintf(tmp, sizeof tmp, "%s/.sources.new", trace_dir);
    unlink(tmp);
    struct pt_chunk_writer w;
    uint8_t prologue[12];
    uint32_t v = PT_TRACE_VERSION;
    memcpy(prologue, SOURCES_MAGIC, 8);
    memcpy(prologue + 8, &v, 4);
    if (pt_chunkw_open(&w, tmp) < 0) {
        return -1;
    }
    int rc = pt_chunkw_prologue(&w, prologue, sizeof prologue);
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        const struct pt_source *src = &s->v[i];
        pt_buf_str(&w.raw, src->path);
        pt_buf_uv(&w.raw, src->size);
        pt_buf_sv(&w.raw, src->mtime_ns);
        pt_buf_uv(&w.raw, src->hash);
        pt_buf_u8(&w.raw, (uint8_t)src->stored);
        if (src->stored) {
            pt_buf_blob(&w.raw, src->text, src->len);
        }
        rc = pt_chunkw_record_done(&w);
    }
    if (pt_chunkw_close(&w) < 0) {
        rc = -1;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = pt_fail_errno("rename(%s, %s)", tmp, path);
    }
    if (rc < 0) {
        unlink(tmp);
    }
    return rc;
}

static int decode_source(struct pt_cur *c, struct pt_source *src)
{
    memset(src, 0, sizeof *src);
    src->path = pt_cur_strdup(c);
    src->size = pt_cur_uv(c);
    src->mtime_ns = pt_cur_sv(c);
    src->hash = pt_cur_uv(c);
    src->stored = pt_cur_u8(c) != 0;
    if (src->stored) {
        size_t n;
        const uint8_t *p = pt_cur_blob(c, &n);
        src->text = malloc(n + 1);
        if (p && n) {
            memcpy(src->text, p, n);
        }
        src->text[n] = '\0';
        src->len = n;
    }
    return c->bad ? -1 : 0;
}

static int read_records(struct pt_chunk_reader *cr, struct pt_sources *s, const char *path)
{
    int got;
    while ((got = pt_chunkr_next(cr)) == 1) {
        struct pt_cur c;
        pt_cur_init(&c, cr->raw.data, cr->raw.len);
        while (!pt_cur_done(&c)) {
            struct pt_source src;
            if (decode_source(&c, &src) < 0) {
                free(src.path);
                free(src.text);
                return pt_fail("%s is corrupt", path);
            }
            if ((s->n & (s->n - 1)) == 0) {
                s->v = realloc(s->v, (s->n ? s->n * 2 : 8) * sizeof *s->v);
            }
            s->v[s->n++] = src;
        }
    }
    return got;
}

int pt_sources_read(const char *trace_dir, struct pt_sources *s)
{
    char path[4096];
    struct stat st;
    memset(s, 0, sizeof *s);
    snprintf(path, sizeof path, "%s/sources", trace_dir);
    if (lstat(path, &st) != 0 && errno == ENOENT) {
        return 0;
    }
    FILE *f = pt_fopen_regular(path);
    char prologue[12];
    uint32_t v = 0;
    size_t got = f ? fread(prologue, 1, sizeof prologue, f) : 0;
    if (f) {
        fclose(f);
    }
    if (got == sizeof prologue) {
        memcpy(&v, prologue + 8, 4);
    }
    if (got != sizeof prologue || memcmp(prologue, SOURCES_MAGIC, 8) != 0 ||
        v < PT_TRACE_MIN_VERSION || v > PT_TRACE_VERSION) {
        return pt_fail("%s is not a sources file of this trace format", path);
    }
    struct pt_chunk_reader cr;
    int rc = pt_chunkr_open_at(&cr, path, 12, 0);
    if (rc == 0) {
        rc = read_records(&cr, s, path);
    }
    pt_chunkr_close(&cr);
    return rc;
}

const struct pt_source *pt_sources_find(const struct pt_sources *s, const char *path)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->v[i].path, path) == 0) {
            return &s->v[i];
        }
    }
    return NULL;
}

void pt_sources_free(struct pt_sources *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].path);
        free(s->v[i].text);
    }
    free(s->v);
    memset(s, 0, sizeof *s);
}
