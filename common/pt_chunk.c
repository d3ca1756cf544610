/*
 * pt_chunk: writing and reading the chunked container of trace files (see pt_chunk.h).
 */
#define _GNU_SOURCE
#include "pt_chunk.h"

#include "pt_error.h"
#include "pt_file.h"
#include "pt_hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_estimateCCtxSize, ZSTD_initStaticCCtx */
#include <zstd.h>
#include <zstd_errors.h>

#define CHUNK_FLUSH_BYTES (1u << 20)

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
    return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* May a zstd chunk of comp_len bytes expand to raw_len? (the bound of pt_chunk.h) */
static int ratio_ok(uint64_t raw_len, uint64_t comp_len)
{
    return raw_len <= comp_len * PT_CHUNK_MAX_RATIO + PT_CHUNK_SLACK;
}

int pt_chunkw_open(struct pt_chunk_writer *w, const char *path)
{
    memset(w, 0, sizeof *w);
    /* zstd level 1: level 3 cost sqlite3's 390 MB of page reads 1.4 s more CPU, for 7% less */
    w->level = 1;
    w->fd = pt_create_private(path);
    if (w->fd < 0) {
        return -1;
    }
    w->path = strdup(path);
    pt_buf_init(&w->raw);
    pt_buf_init(&w->comp);
    pt_buf_init(&w->frames);
    return 0;
}

static int write_failed(struct pt_chunk_writer *w)
{
    int e = errno;
    w->write_errno = e;
    if (ftruncate(w->fd, (off_t)w->bytes_out) != 0) {
        /* nothing more to do: the reader ignores an incomplete last chunk anyway */
    }
    errno = e;
    if (e == ENOSPC || e == EDQUOT) {
        return pt_fail_errno("writing %s: the disk is full", w->path);
    }
    return pt_fail_errno("writing %s", w->path);
}

int pt_chunkw_prologue(struct pt_chunk_writer *w, const void *p, size_t n)
{
    if (pt_pwrite_all(w->fd, p, n, (long long)w->bytes_out) < 0) {
        return write_failed(w);
    }
    w->bytes_out += n;
    return 0;
}

/* The compression context, with the writer's settings. One per thread, made at its first use
 * and kept for the process's life, in a workspace allocated once for the largest parameters of
 * its level (ZSTD_estimateCCtxSize). zstd sizes a context's tables by the size of the frame it
 * compresses; a context it allocates itself is sized by its first frame and freed and allocated
 * again, its tables cleared in fresh pages, each time a later frame needs more, and each writer
 * had its own: the header's, a chunk's stretches between handed-over frames (small, then large),
 * each small file's. That cost `-c pass` ~0.2 ms at its end. The frames are the same bytes: they
 * depend on the parameters, not on the workspace. A context zstd allocates is the fallback. */
static _Thread_local ZSTD_CCtx *tl_cctx;
static _Thread_local void *tl_ws;
static _Thread_local int tl_cctx_level;

void pt_chunkw_thread_end(struct pt_chunk_writer *w)
{
    free(tl_ws);
    tl_ws = NULL;
    tl_cctx = NULL;
    ZSTD_freeCCtx(w->cctx);
    w->cctx = NULL;
}

static ZSTD_CCtx *cctx_of(struct pt_chunk_writer *w)
{
    if (!tl_cctx) {
        size_t size = ZSTD_estimateCCtxSize(w->level);
        void *ws = malloc(size);
        tl_cctx = ws ? ZSTD_initStaticCCtx(ws, size) : NULL;
        tl_cctx_level = w->level;
        if (!tl_cctx) {
            free(ws);
        } else {
            tl_ws = ws;
        }
    }
    ZSTD_CCtx *c = w->cctx; /* the writer's own, when the thread's would not do */
    if (!c && tl_cctx && w->level <= tl_cctx_level) {
        c = tl_cctx;
    } else if (!c) {
        c = w->cctx = ZSTD_createCCtx();
        if (!c) {
            return NULL;
        }
    }
    ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, w->level);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1);
    return c;
}

/* Appends p[0..n) to out as one zstd frame. */
static int compress_append(struct pt_chunk_writer *w, const void *p, size_t n, struct pt_buf *out)
{
    ZSTD_CCtx *cctx = cctx_of(w);
    if (!cctx) {
        return pt_fail("compressing trace chunk for %s: out of memory", w->path);
    }
    size_t bound = ZSTD_compressBound(n);
    pt_buf_reserve(out, bound);
    static const uint8_t empty[1];
    size_t got = ZSTD_compress2(cctx, out->data + out->len, bound, n ? p : empty, n);
    if (ZSTD_isError(got) && ZSTD_getErrorCode(got) == ZSTD_error_memory_allocation &&
        cctx == tl_cctx && (w->cctx = ZSTD_createCCtx()) != NULL) {
        return compress_append(w, p, n, out); /* the workspace was too small after all */
    }
    if (ZSTD_isError(got)) {
        return pt_fail("compressing trace chunk for %s: %s", w->path, ZSTD_getErrorName(got));
    }
    out->len += got;
    return 0;
}

int pt_chunkw_compress(struct pt_chunk_writer *w, const void *p, size_t n, struct pt_buf *out)
{
    pt_buf_reset(out);
    return compress_append(w, p, n, out);
}

int pt_chunkw_frame(struct pt_chunk_writer *w, const uint8_t *frame, size_t n, uint64_t content)
{
    if (!pt_chunk_frame_ok(frame, n, content)) {
        return pt_fail("writing %s: a precompressed frame of %zu bytes is not one zstd frame "
                       "of %llu bytes with a checksum",
                       w->path, n, (unsigned long long)content);
    }
    if (w->nframes == w->frames_cap) {
        size_t cap = w->frames_cap ? w->frames_cap * 2 : 8;
        struct pt_chunk_frame *fv = realloc(w->fv, cap * sizeof *fv);
        if (!fv) {
            return pt_fail("writing %s: out of memory", w->path);
        }
        w->fv = fv;
        w->frames_cap = cap;
    }
    w->fv[w->nframes++] = (struct pt_chunk_frame){w->raw.len, w->frames.len, n, content};
    pt_buf_put(&w->frames, frame, n);
    w->frame_content += content;
    return 0;
}

int pt_chunkw_pending(const struct pt_chunk_writer *w)
{
    return w->raw.len > 0 || w->nframes > 0 || pt_chunkw_async_busy(w);
}

static void forget_frames(struct pt_chunk_writer *w)
{
    pt_buf_reset(&w->frames);
    w->nframes = 0;
    w->frame_content = 0;
}

/* Puts the handed-over frames' contents into w->raw where they belong: for the rare chunk
 * that must be stored uncompressed (pt_chunk.h's bound on the expansion ratio). */
static int inline_frames(struct pt_chunk_writer *w)
{
    struct pt_buf all;
    pt_buf_init(&all);
    pt_buf_reserve(&all, w->raw.len + w->frame_content + 1);
    size_t at = 0;
    for (size_t i = 0; i < w->nframes; i++) {
        const struct pt_chunk_frame *f = &w->fv[i];
        pt_buf_put(&all, w->raw.data + at, f->at - at);
        size_t got =
            ZSTD_decompress(all.data + all.len, f->content + 1, w->frames.data + f->off, f->len);
        if (ZSTD_isError(got) || got != f->content) {
            pt_buf_free(&all);
            return pt_fail("writing %s: a precompressed frame does not decompress", w->path);
        }
        all.len += got;
        at = f->at;
    }
    pt_buf_put(&all, w->raw.data + at, w->raw.len - at);
    pt_buf_free(&w->raw);
    w->raw = all;
    forget_frames(w);
    return 0;
}

/* Compresses w->raw into w->comp after the header, one frame per stretch between the
 * handed-over frames, which are copied in between. */
static int compress_frames(struct pt_chunk_writer *w)
{
    size_t at = 0;
    for (size_t i = 0; i < w->nframes; i++) {
        const struct pt_chunk_frame *f = &w->fv[i];
        if (f->at > at && compress_append(w, w->raw.data + at, f->at - at, &w->comp) < 0) {
            return -1;
        }
        pt_buf_put(&w->comp, w->frames.data + f->off, f->len);
        at = f->at;
    }
    if (at < w->raw.len || w->nframes == 0) {
        return compress_append(w, w->raw.data + at, w->raw.len - at, &w->comp);
    }
    return 0;
}

/* Build the chunk for w->raw (and the frames handed over) in w->comp: zstd, or stored when
 * zstd would exceed the ratio. */
static int build_chunk(struct pt_chunk_writer *w)
{
    uint64_t total = w->raw.len + w->frame_content;
    pt_buf_reset(&w->comp);
    pt_buf_reserve(&w->comp, PT_CHUNK_HDR_SIZE);
    w->comp.len = PT_CHUNK_HDR_SIZE;
    if (compress_frames(w) < 0) {
        return -1;
    }
    size_t n = w->comp.len - PT_CHUNK_HDR_SIZE;
    uint8_t *h = w->comp.data;
    memcpy(h, "PTCK", 4);
    if (!ratio_ok(total, n)) {
        if (w->nframes) {
            return inline_frames(w) < 0 ? -1 : build_chunk(w);
        }
        pt_buf_reserve(&w->comp, w->raw.len + 8);
        h = w->comp.data;
        memcpy(h, "PTCS", 4);
        if (w->raw.len) {
            memcpy(h + PT_CHUNK_HDR_SIZE, w->raw.data, w->raw.len);
        }
        put_le64(h + PT_CHUNK_HDR_SIZE + w->raw.len, pt_hash64(w->raw.data, w->raw.len));
        n = w->raw.len + 8;
    }
    put_le32(h + 4, (uint32_t)total);
    put_le32(h + 8, (uint32_t)n);
    put_le64(h + 12, w->first_record);
    w->comp.len = PT_CHUNK_HDR_SIZE + n;
    return 0;
}

int pt_chunkw_write_chunk(struct pt_chunk_writer *w)
{
    if (w->raw.len + w->frame_content > PT_CHUNK_MAX_RAW) {
        return pt_fail("writing %s: a record of %llu bytes is too large for a trace chunk", w->path,
                       (unsigned long long)(w->raw.len + w->frame_content));
    }
    if (build_chunk(w) < 0) {
        return -1;
    }
    if (pt_pwrite_all(w->fd, w->comp.data, w->comp.len, (long long)w->bytes_out) < 0) {
        return write_failed(w);
    }
    return 0;
}

int pt_chunkw_flush(struct pt_chunk_writer *w)
{
    if (pt_chunkw_async_join(w) < 0) {
        return -1;
    }
    if (!pt_chunkw_pending(w) && w->nrecords == w->first_record) {
        return 0;
    }
    if (pt_chunkw_write_chunk(w) < 0) {
        return -1;
    }
    w->bytes_out += w->comp.len;
    w->first_record = w->nrecords;
    pt_buf_reset(&w->raw);
    forget_frames(w);
    return 0;
}

void pt_chunkw_drop(struct pt_chunk_writer *w)
{
    if (pt_chunkw_async_join(w) < 0) { /* its records are buffered again: dropped with them */
        pt_err_clear();
    }
    w->nrecords = w->first_record;
    pt_buf_reset(&w->raw);
    forget_frames(w);
}

int pt_chunkw_record_done(struct pt_chunk_writer *w)
{
    w->nrecords++;
    if (w->raw.len + w->frame_content >= CHUNK_FLUSH_BYTES) {
        return w->async ? pt_chunkw_flush_async(w) : pt_chunkw_flush(w);
    }
    return 0;
}

int pt_chunkw_close(struct pt_chunk_writer *w)
{
    int rc = 0;
    if (w->path && w->fd >= 0) {
        rc = pt_chunkw_flush(w);
        pt_chunkw_async_stop(w);
        if (close(w->fd) != 0 && rc == 0) {
            rc = pt_fail_errno("closing %s", w->path);
        }
        w->fd = -1;
    }
    free(w->path);
    w->path = NULL;
    pt_buf_free(&w->raw);
    pt_buf_free(&w->comp);
    pt_buf_free(&w->frames);
    free(w->fv);
    w->fv = NULL;
    w->nframes = w->frames_cap = 0;
    ZSTD_freeCCtx(w->cctx);
    w->cctx = NULL;
    return rc;
}

/* ---- reader ------------------------------------------------------------------------------ */

static int chunk_corrupt(struct pt_chunk_reader *r, const struct pt_chunk_info *ci,
                         const char *what)
{
    return pt_fail("trace file %s is corrupt: the chunk at offset %llu %s", r->path,
                   (unsigned long long)ci->offset, what);
}

static int load_stored(struct pt_chunk_reader *r, const struct pt_chunk_info *ci,
                       struct pt_buf *raw)
{
    uint64_t h = get_le64(r->comp.data + ci->raw_len);
    if (h != pt_hash64(r->comp.data, ci->raw_len)) {
        return chunk_corrupt(r, ci, "fails its checksum");
    }
    pt_buf_reset(raw);
    pt_buf_put(raw, r->comp.data, ci->raw_len);
    pt_buf_reserve(raw, 1);
    return 0;
}

/* The zstd frame at p (left bytes remain): NULL and its length and content size, or what is
 * wrong with it. It must be a zstd frame (not a skippable one) that declares its content size
 * and ends in a checksum. */
static const char *frame_at(const uint8_t *p, size_t left, size_t *len, unsigned long long *content)
{
    if (left < 5 || get_le32(p) != ZSTD_MAGICNUMBER) {
        return "holds something other than a zstd frame";
    }
    if (!(p[4] & 4)) { /* the frame header descriptor's checksum flag */
        return "has a zstd frame without a checksum";
    }
    *len = ZSTD_findFrameCompressedSize(p, left);
    if (ZSTD_isError(*len)) {
        return "has a damaged or incomplete zstd frame";
    }
    *content = ZSTD_getFrameContentSize(p, *len);
    if (*content == ZSTD_CONTENTSIZE_UNKNOWN || *content == ZSTD_CONTENTSIZE_ERROR) {
        return "has a bad frame header";
    }
    return NULL;
}

int pt_chunk_frame_ok(const uint8_t *p, size_t n, uint64_t content)
{
    size_t len;
    unsigned long long got;
    return frame_at(p, n, &len, &got) == NULL && len == n && got == content;
}

/* Do the zstd frames of chunk ci (in r->comp) fill it exactly? Their content sizes must add
 * up to the chunk's raw_len: decompression then cannot write past the buffer made for it, and
 * a frame that lies about its size fails there. */
static int check_frames(struct pt_chunk_reader *r, const struct pt_chunk_info *ci)
{
    uint64_t at = 0, total = 0;
    do {
        size_t len;
        unsigned long long content;
        const char *bad = frame_at(r->comp.data + at, ci->comp_len - at, &len, &content);
        if (bad) {
            return chunk_corrupt(r, ci, bad);
        }
        if (content > ci->raw_len - total) {
            return chunk_corrupt(r, ci, "has frames that hold more bytes than the chunk says");
        }
        total += content;
        at += len;
    } while (at < ci->comp_len);
    if (total != ci->raw_len) {
        return chunk_corrupt(r, ci, "has frames that hold fewer bytes than the chunk says");
    }
    return 0;
}

/* Chunk ci decompressed and checked into raw (r->comp is the scratch). */
static int chunk_load_into(struct pt_chunk_reader *r, const struct pt_chunk_info *ci,
                           struct pt_buf *raw)
{
    pt_buf_reset(&r->comp);
    pt_buf_reserve(&r->comp, ci->comp_len);
    if (fseeko(r->f, (off_t)(ci->offset + PT_CHUNK_HDR_SIZE), SEEK_SET) != 0 ||
        fread(r->comp.data, 1, ci->comp_len, r->f) != ci->comp_len) {
        return pt_fail("trace file %s: cannot read chunk at offset %llu", r->path,
                       (unsigned long long)ci->offset);
    }
    if (ci->stored) {
        return load_stored(r, ci, raw);
    }
    if (check_frames(r, ci) < 0) {
        return -1;
    }
    pt_buf_reset(raw);
    pt_buf_reserve(raw, (size_t)ci->raw_len + 1);
    size_t n = ZSTD_decompress(raw->data, ci->raw_len + 1, r->comp.data, ci->comp_len);
    if (ZSTD_isError(n) || n != ci->raw_len) {
        return pt_fail("trace file %s is corrupt: chunk at offset %llu fails to decompress (%s)",
                       r->path, (unsigned long long)ci->offset,
                       ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong size");
    }
    raw->len = n;
    return 0;
}

static int chunk_load(struct pt_chunk_reader *r, const struct pt_chunk_info *ci)
{
    return chunk_load_into(r, ci, &r->raw);
}

int pt_chunkr_load(struct pt_chunk_reader *r, size_t i, struct pt_buf *raw)
{
    if (i >= r->nchunks) {
        return pt_fail("trace file %s has no chunk %zu", r->path, i);
    }
    return chunk_load_into(r, &r->chunks[i], raw);
}

/* 0: a complete chunk described in *ci; 1: the file ends inside this chunk; -1: corrupt. */
static int scan_chunk(struct pt_chunk_reader *r, uint64_t off, uint64_t fsize,
                      struct pt_chunk_info *ci)
{
    uint8_t h[PT_CHUNK_HDR_SIZE];
    ci->offset = off;
    if (fsize - off < PT_CHUNK_HDR_SIZE) {
        return 1;
    }
    if (fseeko(r->f, (off_t)off, SEEK_SET) != 0 || fread(h, 1, sizeof h, r->f) != sizeof h) {
        return pt_fail_errno("reading %s at offset %llu", r->path, (unsigned long long)off);
    }
    ci->stored = memcmp(h, "PTCS", 4) == 0;
    if (memcmp(h, "PTCK", 4) != 0 && !ci->stored) {
        return chunk_corrupt(r, ci, "has no chunk marker");
    }
    ci->raw_len = get_le32(h + 4);
    ci->comp_len = get_le32(h + 8);
    ci->first_record = get_le64(h + 12);
    if (ci->raw_len > PT_CHUNK_MAX_RAW || ci->comp_len > PT_CHUNK_MAX_RAW ||
        (ci->stored ? ci->comp_len != (uint64_t)ci->raw_len + 8
                    : !ratio_ok(ci->raw_len, ci->comp_len))) {
        return chunk_corrupt(r, ci, "declares impossible sizes");
    }
    return fsize - off - PT_CHUNK_HDR_SIZE < ci->comp_len ? 1 : 0;
}

static int cut_here(struct pt_chunk_reader *r, uint64_t off, uint64_t fsize, int salvage)
{
    if (!salvage) {
        return pt_fail("trace file %s is truncated: it ends inside the chunk at offset %llu "
                       "(%llu bytes of it are there)",
                       r->path, (unsigned long long)off, (unsigned long long)(fsize - off));
    }
    r->cut_offset = off;
    r->cut_bytes = fsize - off;
    return 0;
}

int pt_chunkr_open(struct pt_chunk_reader *r, const char *path)
{
    return pt_chunkr_open_at(r, path, 0, 0);
}

int pt_chunkr_open_at(struct pt_chunk_reader *r, const char *path, uint64_t start, int flags)
{
    memset(r, 0, sizeof *r);
    r->path = strdup(path);
    pt_buf_init(&r->raw);
    pt_buf_init(&r->comp);
    r->f = pt_fopen_regular(path);
    if (!r->f) {
        return pt_wrap("opening trace file");
    }
    struct stat st;
    if (fstat(fileno(r->f), &st) != 0) {
        return pt_fail_errno("fstat(%s)", path);
    }
    uint64_t fsize = (uint64_t)st.st_size, off = start;
    size_t cap = 0;
    r->cut_offset = fsize;
    while (off < fsize) {
        if (r->nchunks == cap) {
            cap = cap ? cap * 2 : 64;
            r->chunks = realloc(r->chunks, cap * sizeof *r->chunks);
        }
        struct pt_chunk_info *ci = &r->chunks[r->nchunks];
        int got = scan_chunk(r, off, fsize, ci);
        if (got < 0) {
            return -1;
        }
        if (got == 1) {
            return cut_here(r, off, fsize, flags & PT_CHUNKR_SALVAGE);
        }
        if (!(flags & PT_CHUNKR_LAZY) && chunk_load(r, ci) < 0) {
            return -1;
        }
        r->nchunks++;
        off += PT_CHUNK_HDR_SIZE + ci->comp_len;
    }
    r->next = 0;
    return 0;
}

int pt_chunkr_next(struct pt_chunk_reader *r)
{
    if (r->next >= r->nchunks) {
        return 0;
    }
    if (chunk_load(r, &r->chunks[r->next]) < 0) {
        return -1;
    }
    r->next++;
    return 1;
}

void pt_chunkr_seek(struct pt_chunk_reader *r, size_t i)
{
    r->next = i;
}

void pt_chunkr_close(struct pt_chunk_reader *r)
{
    if (r->f) {
        fclose(r->f);
    }
    free(r->chunks);
    free(r->path);
    pt_buf_free(&r->raw);
    pt_buf_free(&r->comp);
    memset(r, 0, sizeof *r);
}
