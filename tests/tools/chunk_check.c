/*
 * chunk_check: the trace container's chunks of several zstd frames (common/pt_chunk.h, trace
 * version 9) and the per-user copy cache that feeds them (common/pt_copycache.h).
 *   - a writer handed precompressed frames between records' bytes writes chunks of several
 *     frames, and a reader gives back exactly the byte stream that was meant;
 *   - a chunk whose frames would exceed the expansion bound (a frame of zeros) is stored
 *     uncompressed instead, and still reads back exactly;
 *   - hand-made chunks whose frames lie about sizes (the chunk's size is more or less than
 *     its frames', a frame's content size is off by one, no content size, no checksum, a
 *     skippable frame, a frame cut short) are refused with a message that says so;
 *   - the copy cache gives back what was stored only for the same key and content hash, does
 *     not key a file changed less than 2 s ago, and keeps about PT_COPYCACHE_FILES entries.
 */
#define _GNU_SOURCE
#include "common/pt_chunk.h"
#include "common/pt_copycache.h"
#include "common/pt_error.h"
#include "common/pt_hash.h"
#include "tool_rand.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

static char dir[64];
static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static int fail(const char *what)
{
    fprintf(stderr, "chunk_check: FAIL: %s%s%s\n", what, pt_errmsg()[0] ? ": " : "", pt_errmsg());
    return 1;
}

static void fill(struct pt_buf *b, size_t n, int random)
{
    pt_buf_reserve(b, n);
    for (size_t i = 0; i < n; i++) {
        b->data[b->len + i] = random ? (uint8_t)tool_rand(&rng_state) : (uint8_t)("copy"[i % 4]);
    }
    b->len += n;
}

/* One zstd frame of p[0..n) into out, with or without its content size and checksum. */
static void frame_of(const uint8_t *p, size_t n, int size_flag, int checksum, struct pt_buf *out)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, size_flag);
    size_t bound = ZSTD_compressBound(n);
    pt_buf_reserve(out, bound);
    size_t got = size_flag ? ZSTD_compress2(c, out->data + out->len, bound, p, n) : 0;
    if (!size_flag) { /* streamed: the frame header cannot say the size */
        ZSTD_outBuffer o = {out->data + out->len, bound, 0};
        ZSTD_inBuffer in = {p, n, 0};
        ZSTD_compressStream2(c, &o, &in, ZSTD_e_end);
        got = o.pos;
    }
    out->len += got;
    ZSTD_freeCCtx(c);
}

static size_t file_bytes(const char *path, struct pt_buf *out)
{
    FILE *f = fopen(path, "rb");
    pt_buf_reset(out);
    for (int ch; f && (ch = fgetc(f)) != EOF;) {
        pt_buf_u8(out, (uint8_t)ch);
    }
    if (f) {
        fclose(f);
    }
    return out->len;
}

/* The raw bytes of every chunk of path, in order, into out: 0, or -1 (error set). */
static int read_stream(const char *path, struct pt_buf *out)
{
    struct pt_chunk_reader r;
    int rc = pt_chunkr_open(&r, path);
    pt_buf_reset(out);
    for (int got; rc == 0 && (got = pt_chunkr_next(&r)) != 0;) {
        if (got < 0) {
            rc = -1;
            break;
        }
        pt_buf_put(out, r.raw.data, r.raw.len);
    }
    pt_chunkr_close(&r);
    return rc;
}

/* Zstd frames in the first chunk of path (after its header). */
static int frames_in_first_chunk(const char *path)
{
    struct pt_buf b;
    pt_buf_init(&b);
    file_bytes(path, &b);
    int n = 0;
    if (b.len > PT_CHUNK_HDR_SIZE && memcmp(b.data, "PTCK", 4) == 0) {
        size_t comp = (size_t)b.data[8] | (size_t)b.data[9] << 8 | (size_t)b.data[10] << 16 |
                      (size_t)b.data[11] << 24;
        for (size_t at = 0; at < comp; n++) {
            size_t len = ZSTD_findFrameCompressedSize(b.data + PT_CHUNK_HDR_SIZE + at, comp - at);
            if (ZSTD_isError(len)) {
                break;
            }
            at += len;
        }
    }
    pt_buf_free(&b);
    return n;
}

/* Writes records with precompressed frames between their bytes; expect is the stream meant. */
static int write_with_frames(const char *path, size_t frame_bytes, int random,
                             struct pt_buf *expect)
{
    struct pt_chunk_writer w;
    struct pt_buf content, frame;
    pt_buf_init(&content);
    pt_buf_init(&frame);
    pt_buf_reset(expect);
    if (pt_chunkw_open(&w, path) < 0) {
        return -1;
    }
    int rc = 0;
    for (int rec = 0; rec < 3 && rc == 0; rec++) {
        size_t before = w.raw.len;
        fill(&w.raw, 100 + 37 * (size_t)rec, 1);
        pt_buf_put(expect, w.raw.data + before, w.raw.len - before);
        if (rec < 2) { /* records 0 and 1 carry a copy */
            pt_buf_reset(&content);
            fill(&content, frame_bytes + (size_t)rec * 4096, random);
            rc = pt_chunkw_compress(&w, content.data, content.len, &frame);
            rc = rc ? rc : pt_chunkw_frame(&w, frame.data, frame.len, content.len);
            pt_buf_put(expect, content.data, content.len);
            before = w.raw.len;
            fill(&w.raw, 50, 1);
            pt_buf_put(expect, w.raw.data + before, w.raw.len - before);
        }
        rc = rc ? rc : pt_chunkw_record_done(&w);
    }
    if (rc == 0 && pt_chunkw_frame(&w, frame.data, frame.len, content.len + 1) == 0) {
        rc = pt_fail("a frame handed over with the wrong content size was taken");
    }
    pt_err_clear();
    rc = pt_chunkw_close(&w) < 0 ? -1 : rc;
    pt_buf_free(&content);
    pt_buf_free(&frame);
    return rc;
}

static int check_roundtrip(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/multi", dir);
    struct pt_buf expect, got;
    pt_buf_init(&expect);
    pt_buf_init(&got);
    if (write_with_frames(path, 40000, 1, &expect) < 0 || read_stream(path, &got) < 0) {
        return fail("a chunk with several frames");
    }
    int frames = frames_in_first_chunk(path);
    if (got.len != expect.len || memcmp(got.data, expect.data, got.len) != 0 || frames != 5) {
        fprintf(stderr, "read %zu bytes, meant %zu; %d frames (5 meant)\n", got.len, expect.len,
                frames);
        return fail("a chunk with several frames does not read back as written");
    }
    unlink(path);
    /* 4 MiB of a repeated word: the frames expand beyond PT_CHUNK_MAX_RATIO */
    if (write_with_frames(path, 4u << 20, 0, &expect) < 0 || read_stream(path, &got) < 0) {
        return fail("a chunk with frames beyond the expansion bound");
    }
    file_bytes(path, &got);
    int stored = got.len > 4 && memcmp(got.data, "PTCS", 4) == 0;
    if (read_stream(path, &got) < 0 || got.len != expect.len ||
        memcmp(got.data, expect.data, got.len) != 0 || !stored) {
        return fail("frames beyond the expansion bound were not stored uncompressed exactly");
    }
    pt_buf_free(&expect);
    pt_buf_free(&got);
    printf("ok: several frames read back; frames beyond the ratio stored\n");
    return 0;
}

/* The Frame_Content_Size field of frame p: its offset and width (0: none). */
static void fcs_field(const uint8_t *p, size_t *off, size_t *width)
{
    uint8_t d = p[4];
    int single = (d >> 5) & 1, fcs = d >> 6, did = d & 3;
    static const size_t did_bytes[4] = {0, 1, 2, 4}, fcs_bytes[4] = {0, 2, 4, 8};
    *off = 5 + (single ? 0 : 1) + did_bytes[did];
    *width = fcs == 0 ? (single ? 1 : 0) : fcs_bytes[fcs];
}

/* frame p claims one byte more content than it holds */
static void claim_one_more(uint8_t *p)
{
    size_t off, width;
    fcs_field(p, &off, &width);
    uint64_t v = 0;
    for (size_t i = 0; i < width; i++) {
        v |= (uint64_t)p[off + i] << (8 * i);
    }
    v += 1; /* (a 2-byte field holds size - 256: adding one adds one either way) */
    for (size_t i = 0; i < width; i++) {
        p[off + i] = (uint8_t)(v >> (8 * i));
    }
}

struct crafted {
    const char *name;
    const char *want; /* in the error; NULL: must be accepted */
};

/* A chunk of two frames of 3000 and 5000 bytes, spoiled as case i says. */
static void craft(int i, struct pt_buf *file)
{
    struct pt_buf a, b, frames;
    pt_buf_init(&a);
    pt_buf_init(&b);
    pt_buf_init(&frames);
    fill(&a, 3000, 1);
    fill(&b, 5000, 1);
    uint64_t raw = a.len + b.len;
    frame_of(a.data, a.len, i != 4, i != 5, &frames);
    if (i == 6) { /* a skippable frame between */
        static const uint8_t skip[12] = {0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4};
        pt_buf_put(&frames, skip, sizeof skip);
    }
    size_t second = frames.len;
    frame_of(b.data, b.len, 1, 1, &frames);
    if (i == 3) {
        claim_one_more(frames.data + second);
        raw++;
    }
    if (i == 7) {
        frames.len -= 9; /* the second frame cut short (its checksum and more) */
    }
    raw += i == 1 ? 1 : i == 2 ? (uint64_t)-1 : 0;
    pt_buf_reset(file);
    pt_buf_put(file, "PTCK", 4);
    uint8_t h[16];
    for (int k = 0; k < 4; k++) {
        h[k] = (uint8_t)(raw >> (8 * k));
        h[4 + k] = (uint8_t)(frames.len >> (8 * k));
    }
    memset(h + 8, 0, 8);
    pt_buf_put(file, h, sizeof h);
    pt_buf_put(file, frames.data, frames.len);
    pt_buf_free(&a);
    pt_buf_free(&b);
    pt_buf_free(&frames);
}

static int check_crafted(void)
{
    static const struct crafted cases[] = {
        {"two honest frames", NULL},
        {"a chunk size one more than its frames'", "hold fewer bytes than the chunk says"},
        {"a chunk size one less than its frames'", "hold more bytes than the chunk says"},
        {"a frame claiming one byte more than it holds", "fails to decompress"},
        {"a frame without its content size", "bad frame header"},
        {"a frame without a checksum", "without a checksum"},
        {"a skippable frame", "something other than a zstd frame"},
        {"a frame cut short", "damaged or incomplete zstd frame"},
    };
    char path[128];
    snprintf(path, sizeof path, "%s/crafted", dir);
    struct pt_buf file, got;
    pt_buf_init(&file);
    pt_buf_init(&got);
    for (int i = 0; i < (int)(sizeof cases / sizeof *cases); i++) {
        craft(i, &file);
        unlink(path);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(file.data, 1, file.len, f) != file.len || fclose(f) != 0) {
            return fail("writing a crafted chunk");
        }
        pt_err_clear();
        int rc = read_stream(path, &got);
        const char *msg = pt_errmsg();
        if (!cases[i].want ? rc != 0 || got.len != 8000
                           : rc == 0 || !strstr(msg, cases[i].want) || !strstr(msg, "corrupt")) {
            fprintf(stderr, "%s: read %s (%s)\n", cases[i].name, rc ? "refused" : "accepted", msg);
            return fail("a crafted chunk was not judged right");
        }
        printf("ok: %s: %s\n", cases[i].name, rc ? msg : "accepted");
    }
    pt_buf_free(&file);
    pt_buf_free(&got);
    return 0;
}

static size_t entries_in(const char *path)
{
    DIR *d = opendir(path);
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        n += e->d_name[0] != '.';
    }
    if (d) {
        closedir(d);
    }
    return n;
}

static int check_copycache(void)
{
    char cache[128], copies[160], fresh[160];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(copies, sizeof copies, "%s/copies", cache);
    setenv("PYTT_CACHE_DIR", cache, 1);
    struct pt_buf content, frame, got;
    pt_buf_init(&content);
    pt_buf_init(&frame);
    pt_buf_init(&got);
    fill(&content, 50000, 1);
    frame_of(content.data, content.len, 1, 1, &frame);
    struct pt_copykey k = {1, 2, 50000, 3, 4, 0, 50000};
    uint64_t h = pt_hash64(content.data, content.len);
    pt_copycache_put(&k, h, frame.data, frame.len);
    if (!pt_copycache_get(&k, h, &got) || got.len != frame.len ||
        memcmp(got.data, frame.data, got.len) != 0) {
        return fail("the copy cache did not give back the frame it stored");
    }
    struct pt_copykey other = k;
    other.ctime_ns++;
    if (pt_copycache_get(&k, h + 1, &got) || pt_copycache_get(&other, h, &got)) {
        return fail("the copy cache gave a frame for another content hash or key");
    }
    pt_err_clear();
    struct stat st;
    snprintf(fresh, sizeof fresh, "%s/fresh", dir);
    FILE *f = fopen(fresh, "wb");
    if (!f || fwrite(content.data, 1, content.len, f) != content.len || fclose(f) != 0 ||
        stat(fresh, &st) != 0 || pt_copycache_key(&st, 0, content.len, &k)) {
        return fail("the copy cache keyed a file written just now");
    }
    for (int i = 0; i < PT_COPYCACHE_FILES + 20; i++) {
        k.ino = 100 + (uint64_t)i;
        pt_copycache_put(&k, h, frame.data, frame.len);
    }
    size_t n = entries_in(copies); /* pruned at a process's first store and every 16th */
    if (n < PT_COPYCACHE_FILES || n > PT_COPYCACHE_FILES + 15) {
        fprintf(stderr, "%zu entries after %d stores\n", n, PT_COPYCACHE_FILES + 21);
        return fail("the copy cache was not pruned to PT_COPYCACHE_FILES (+15) entries");
    }
    k.ino = 100 + PT_COPYCACHE_FILES + 19; /* the newest stays */
    if (!pt_copycache_get(&k, h, &got)) {
        return fail("pruning removed the newest entry");
    }
    setenv("PYTT_CACHE_DIR", "off", 1);
    if (pt_copycache_get(&k, h, &got)) {
        return fail("PYTT_CACHE_DIR=off still reads the copy cache");
    }
    pt_buf_free(&content);
    pt_buf_free(&frame);
    pt_buf_free(&got);
    printf("ok: the copy cache keys, checks and prunes\n");
    return 0;
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/pytt_chunk_check.XXXXXX");
    if (!mkdtemp(dir)) {
        return fail("mkdtemp");
    }
    int rc = check_roundtrip() || check_crafted() || check_copycache();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) {
        return fail("removing the work directory");
    }
    return rc;
}
