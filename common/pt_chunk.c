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
#include <zstd.h>

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

/* Build the chunk for w->raw in w->comp: zstd, or stored when zstd would exceed the ratio. */
static int build_chunk(struct pt_chunk_writer *w)
{
    size_t bound = ZSTD_compressBound(w->raw.len);
    pt_buf_reset(&w->comp);
    pt_buf_reserve(&w->comp, PT_CHUNK_HDR_SIZE + (bound > w->raw.len + 8 ? bound : w->raw.len + 8));
    /* one context for the writer's life: making one per chunk cost as much as compressing a
     * small chunk (its tables are allocated and cleared each time) */
    if (!w->cctx) {
        w->cctx = ZSTD_createCCtx();
        if (!w->cctx) {
            return pt_fail("compressing trace chunk for %s: out of memory", w->path);
        }
    }
    ZSTD_CCtx *cctx = w->cctx;
    ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, w->level);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
    static const uint8_t empty[1];
    size_t n = ZSTD_compress2(cctx, w->comp.data + PT_CHUNK_HDR_SIZE, bound,
                              w->raw.len ? w->raw.data : empty, w->raw.len);
    if (ZSTD_isError(n)) {
        return pt_fail("compressing trace chunk for %s: %s", w->path, ZSTD_getErrorName(n));
    }
    uint8_t *h = w->comp.data;
    memcpy(h, "PTCK", 4);
    if (!ratio_ok(w->raw.len, n)) {
        memcpy(h, "PTCS", 4);
        if (w->raw.len) {
            memcpy(h + PT_CHUNK_HDR_SIZE, w->raw.data, w->raw.len);
        }
        put_le64(h + PT_CHUNK_HDR_SIZE + w->raw.len, pt_hash64(w->raw.data, w->raw.len));
        n = w->raw.len + 8;
    }
    put_le32(h + 4, (uint32_t)w->raw.len);
    put_le32(h + 8, (uint32_t)n);
    put_le64(h + 12, w->first_record);
    w->comp.len = PT_CHUNK_HDR_SIZE + n;
    return 0;
}

int pt_chunkw_flush(struct pt_chunk_writer *w)
{
    if (w->raw.len == 0 && w->nrecords == w->first_record) {
        return 0;
    }
    if (w->raw.len > PT_CHUNK_MAX_RAW) {
        return pt_fail("writing %s: a record of %zu bytes is too large for a trace chunk", w->path,
                       w->raw.len);
    }
    if (build_chunk(w) < 0) {
        return -1;
    }
    if (pt_pwrite_all(w->fd, w->comp.data, w->comp.len, (long long)w->bytes_out) < 0) {
        return write_failed(w);
    }
    w->bytes_out += w->comp.len;
    w->first_record = w->nrecords;
    pt_buf_reset(&w->raw);
    return 0;
}

void pt_chunkw_drop(struct pt_chunk_writer *w)
{
    w->nrecords = w->first_record;
    pt_buf_reset(&w->raw);
}

int pt_chunkw_record_done(struct pt_chunk_writer *w)
{
    w->nrecords++;
    if (w->raw.len >= CHUNK_FLUSH_BYTES) {
        return pt_chunkw_flush(w);
    }
    return 0;
}

int pt_chunkw_close(struct pt_chunk_writer *w)
{
    int rc = 0;
    if (w->path && w->fd >= 0) {
        rc = pt_chunkw_flush(w);
        if (close(w->fd) != 0 && rc == 0) {
            rc = pt_fail_errno("closing %s", w->path);
        }
        w->fd = -1;
    }
    free(w->path);
    w->path = NULL;
    pt_buf_free(&w->raw);
    pt_buf_free(&w->comp);
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
    pt_buf_reset(raw);
    pt_buf_reserve(raw, (size_t)ci->raw_len + 1);
    unsigned long long content = ZSTD_getFrameContentSize(r->comp.data, ci->comp_len);
    if (content != ci->raw_len) {
        return chunk_corrupt(r, ci, "has a bad frame header");
    }
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
