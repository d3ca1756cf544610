/*
 * pt_chunk: writing and reading the chunked zstd container of trace files (see pt_chunk.h).
 */
#include "pt_chunk.h"

#include "pt_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

int pt_chunkw_open(struct pt_chunk_writer *w, const char *path)
{
    memset(w, 0, sizeof *w);
    w->path = path;
    w->level = 3;
    w->f = fopen(path, "wbxe");
    if (!w->f) {
        return pt_fail_errno("creating %s", path);
    }
    pt_buf_init(&w->raw);
    pt_buf_init(&w->comp);
    return 0;
}

int pt_chunkw_flush(struct pt_chunk_writer *w)
{
    uint64_t nrec = w->nrecords - w->first_record;
    if (w->raw.len == 0 && nrec == 0) {
        return 0;
    }
    size_t bound = ZSTD_compressBound(w->raw.len);
    pt_buf_reset(&w->comp);
    pt_buf_reserve(&w->comp, PT_CHUNK_HDR_SIZE + bound);
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, w->level);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
    size_t n =
        ZSTD_compress2(cctx, w->comp.data + PT_CHUNK_HDR_SIZE, bound, w->raw.data, w->raw.len);
    ZSTD_freeCCtx(cctx);
    if (ZSTD_isError(n)) {
        return pt_fail("compressing trace chunk for %s: %s", w->path, ZSTD_getErrorName(n));
    }
    uint8_t *h = w->comp.data;
    memcpy(h, "PTCK", 4);
    put_le32(h + 4, (uint32_t)w->raw.len);
    put_le32(h + 8, (uint32_t)n);
    put_le64(h + 12, w->first_record);
    size_t total = PT_CHUNK_HDR_SIZE + n;
    if (fwrite(h, 1, total, w->f) != total || fflush(w->f) != 0) {
        return pt_fail_errno("writing %s", w->path);
    }
    w->bytes_out += total;
    w->first_record = w->nrecords;
    pt_buf_reset(&w->raw);
    return 0;
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
    if (w->f) {
        rc = pt_chunkw_flush(w);
        if (fclose(w->f) != 0 && rc == 0) {
            rc = pt_fail_errno("closing %s", w->path);
        }
        w->f = NULL;
    }
    pt_buf_free(&w->raw);
    pt_buf_free(&w->comp);
    return rc;
}

static int chunk_load(struct pt_chunk_reader *r, const struct pt_chunk_info *ci)
{
    pt_buf_reset(&r->comp);
    pt_buf_reserve(&r->comp, ci->comp_len);
    if (fseeko(r->f, (off_t)(ci->offset + PT_CHUNK_HDR_SIZE), SEEK_SET) != 0 ||
        fread(r->comp.data, 1, ci->comp_len, r->f) != ci->comp_len) {
        return pt_fail("trace file %s: cannot read chunk at offset %llu", r->path,
                       (unsigned long long)ci->offset);
    }
    pt_buf_reset(&r->raw);
    pt_buf_reserve(&r->raw, ci->raw_len + 1);
    unsigned long long content = ZSTD_getFrameContentSize(r->comp.data, ci->comp_len);
    if (content != ci->raw_len) {
        return pt_fail("trace file %s is corrupt: chunk at offset %llu has a bad frame header",
                       r->path, (unsigned long long)ci->offset);
    }
    size_t n = ZSTD_decompress(r->raw.data, ci->raw_len + 1, r->comp.data, ci->comp_len);
    if (ZSTD_isError(n) || n != ci->raw_len) {
        return pt_fail("trace file %s is corrupt: chunk at offset %llu fails to decompress (%s)",
                       r->path, (unsigned long long)ci->offset,
                       ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong size");
    }
    r->raw.len = n;
    return 0;
}

static int scan_chunk(struct pt_chunk_reader *r, uint64_t off, uint64_t fsize,
                      struct pt_chunk_info *ci)
{
    uint8_t h[PT_CHUNK_HDR_SIZE];
    if (fsize - off < PT_CHUNK_HDR_SIZE) {
        return pt_fail("trace file %s is truncated: %llu stray bytes at offset %llu (the "
                       "recording was cut short or the file was damaged)",
                       r->path, (unsigned long long)(fsize - off), (unsigned long long)off);
    }
    if (fseeko(r->f, (off_t)off, SEEK_SET) != 0 || fread(h, 1, sizeof h, r->f) != sizeof h) {
        return pt_fail_errno("reading %s at offset %llu", r->path, (unsigned long long)off);
    }
    if (memcmp(h, "PTCK", 4) != 0) {
        return pt_fail("trace file %s is corrupt: no chunk marker at offset %llu", r->path,
                       (unsigned long long)off);
    }
    ci->offset = off;
    ci->raw_len = get_le32(h + 4);
    ci->comp_len = get_le32(h + 8);
    ci->first_record = get_le64(h + 12);
    if (ci->raw_len > PT_CHUNK_MAX_RAW || ci->comp_len > PT_CHUNK_MAX_RAW) {
        return pt_fail("trace file %s is corrupt: impossible chunk size at offset %llu", r->path,
                       (unsigned long long)off);
    }
    if (fsize - off - PT_CHUNK_HDR_SIZE < ci->comp_len) {
        return pt_fail("trace file %s is truncated: the chunk at offset %llu needs %u bytes, "
                       "only %llu remain",
                       r->path, (unsigned long long)off, ci->comp_len,
                       (unsigned long long)(fsize - off - PT_CHUNK_HDR_SIZE));
    }
    return 0;
}

int pt_chunkr_open(struct pt_chunk_reader *r, const char *path)
{
    return pt_chunkr_open_at(r, path, 0);
}

int pt_chunkr_open_at(struct pt_chunk_reader *r, const char *path, uint64_t start)
{
    memset(r, 0, sizeof *r);
    r->path = strdup(path);
    pt_buf_init(&r->raw);
    pt_buf_init(&r->comp);
    r->f = fopen(path, "rbe");
    if (!r->f) {
        return pt_fail_errno("opening trace file %s", path);
    }
    struct stat st;
    if (fstat(fileno(r->f), &st) != 0) {
        return pt_fail_errno("fstat(%s)", path);
    }
    uint64_t fsize = (uint64_t)st.st_size, off = start;
    size_t cap = 0;
    while (off < fsize) {
        if (r->nchunks == cap) {
            cap = cap ? cap * 2 : 64;
            r->chunks = realloc(r->chunks, cap * sizeof *r->chunks);
        }
        struct pt_chunk_info *ci = &r->chunks[r->nchunks];
        if (scan_chunk(r, off, fsize, ci) < 0 || chunk_load(r, ci) < 0) {
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
