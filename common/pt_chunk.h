/*
 * pt_chunk: the container both trace files use, a sequence of self-checking chunks.
 *
 *   chunk := "PTCK" u32 raw_len u32 comp_len u64 first_record  zstd-frame+ (comp_len bytes)
 *          | "PTCS" u32 raw_len u32 comp_len u64 first_record  raw bytes  u64 pt_hash64(raw)
 *
 * (little-endian). Each zstd frame carries its content size and an XXH64 content checksum, so
 * a flipped bit anywhere is caught by the codec; a stored ("PTCS") chunk carries its own hash.
 * A zstd chunk may hold several frames back to back (zstd's own concatenation, trace version
 * 9): their contents, in order, are the chunk's raw bytes, and their content sizes must add up
 * to raw_len. The writer ends a frame where a caller hands it a frame it compressed before
 * (pt_chunkw_frame: the per-user cache of mapped-file copies, pt_copycache.h), so the same
 * bytes are not compressed again in every recording.
 * Decompression is bounded by the file's own size: a zstd chunk may expand at most
 * PT_CHUNK_MAX_RATIO times (plus PT_CHUNK_SLACK), so a small crafted file cannot make a reader
 * allocate and inflate gigabytes; the writer stores the rare chunk that compresses better
 * than that (zero-filled reads) uncompressed instead. first_record numbers the first record in
 * the chunk, so a reader can seek by record number (reverse execution restores snapshots
 * mid-trace).
 *
 * A file that ends inside a chunk was cut short (the recorder was killed, the disk filled up,
 * pytt crashed): a reader opened with salvage keeps every complete chunk before the cut and
 * says how many bytes it ignored. A writer flushes when its buffer passes a size or age
 * threshold, so a killed recorder loses at most about a second of events; a write that fails
 * (a full disk) is undone (the file is cut back to its last complete chunk), so what is on disk
 * stays readable.
 */
#ifndef PT_CHUNK_H
#define PT_CHUNK_H

#include "pt_buf.h"

#include <stdint.h>
#include <stdio.h>

#define PT_CHUNK_HDR_SIZE 20
#define PT_CHUNK_MAX_RAW (1u << 30)
#define PT_CHUNK_MAX_RATIO 256u
#define PT_CHUNK_SLACK (64u << 10)

/* A frame handed to the writer: its bytes (in the writer's `frames` buffer) go into the chunk
 * where the raw stream had reached `at` when it was handed over. */
struct pt_chunk_frame {
    size_t at;        /* offset in raw where its content belongs */
    size_t off, len;  /* the frame's bytes in frames */
    uint64_t content; /* its content size */
};

struct pt_chunk_writer {
    int fd;
    char *path;
    struct pt_buf raw;     /* records not yet written */
    struct pt_buf comp;    /* scratch for the chunk being written */
    uint64_t first_record; /* number of the first record in raw */
    uint64_t nrecords;     /* records added in total */
    uint64_t bytes_out;    /* bytes of complete chunks in the file */
    int level;
    struct ZSTD_CCtx_s *cctx; /* zstd's compression context, made at the first chunk */
    int write_errno; /* the errno of the last failed write (ENOSPC: the disk is full), else 0 */
    struct pt_buf frames;      /* bytes of the frames handed over for the buffered records */
    struct pt_chunk_frame *fv; /* where each goes */
    size_t nframes, frames_cap;
    uint64_t frame_content;       /* their content sizes added up */
    struct pt_chunk_async *async; /* pt_chunkw_async: the thread writing chunks, or NULL */
};

int pt_chunkw_open(struct pt_chunk_writer *w, const char *path);
/* From now on a chunk that fills up, and pt_chunkw_flush_async, is compressed and written by
 * a thread of the writer's own (on any CPU but avoid_cpu, -1 for none), while the caller goes
 * on: a recording's tracer and tracee share one CPU, and the other would be idle. One chunk at a
 * time: the next one waits for it. A failure is reported by the next call that waits (a flush,
 * a filled chunk, pt_chunkw_drop, pt_chunkw_close), with write_errno set and that chunk's
 * records back in front of the buffered ones, exactly as if that call's own write had failed.
 * -1 if the thread cannot be made (the writer then stays synchronous). */
int pt_chunkw_async(struct pt_chunk_writer *w, int avoid_cpu);
/* Hand the buffered records to the writer's thread (pt_chunkw_flush without it). */
int pt_chunkw_flush_async(struct pt_chunk_writer *w);
/* Has the chunk with the thread failed already? (No wait; pt_chunkw_flush then says how.) Asked
 * at every record, so that a full disk is handled with as few records buffered since as a
 * synchronous write would have. */
int pt_chunkw_async_failed(struct pt_chunk_writer *w);
/* Inside the writer (pt_chunk.c, pt_chunk_async.c): write the buffered records as one chunk at
 * bytes_out, without any bookkeeping; wait for the thread's chunk (-1: it failed, its records
 * are buffered again); is a chunk with the thread; stop the thread. */
int pt_chunkw_write_chunk(struct pt_chunk_writer *w);
int pt_chunkw_async_join(struct pt_chunk_writer *w);
int pt_chunkw_async_busy(const struct pt_chunk_writer *w);
void pt_chunkw_async_stop(struct pt_chunk_writer *w);
/* A thread that compressed chunks for w is ending: its compression context goes. */
void pt_chunkw_thread_end(struct pt_chunk_writer *w);
/* Bytes written before the first chunk (a file's magic and version). */
int pt_chunkw_prologue(struct pt_chunk_writer *w, const void *p, size_t n);
/* The caller appends one record's bytes to w->raw, then calls pt_chunkw_record_done. */
int pt_chunkw_record_done(struct pt_chunk_writer *w);
/* Inserts a complete zstd frame (content size and checksum set, as pt_chunkw_compress makes
 * them) whose content of `content` bytes belongs at the current end of w->raw: the record
 * being built continues after it. The frame is checked (a zstd frame that says it holds
 * `content` bytes, exactly n bytes long); -1 if it is not one. */
int pt_chunkw_frame(struct pt_chunk_writer *w, const uint8_t *frame, size_t n, uint64_t content);
/* Compresses p[0..n) into out as one frame of the kind pt_chunkw_frame takes. */
int pt_chunkw_compress(struct pt_chunk_writer *w, const void *p, size_t n, struct pt_buf *out);
/* Is p[0..n) exactly one zstd frame of `content` bytes with a checksum? (1 if so) */
int pt_chunk_frame_ok(const uint8_t *p, size_t n, uint64_t content);
/* Are records buffered (not yet in a complete chunk)? */
int pt_chunkw_pending(const struct pt_chunk_writer *w);
/* Write the buffered records as one chunk. On failure the file is cut back to its complete
 * chunks and the records stay buffered (a retry may succeed once space was freed). */
int pt_chunkw_flush(struct pt_chunk_writer *w);
/* Forget the buffered records (after a flush that cannot succeed). */
void pt_chunkw_drop(struct pt_chunk_writer *w);
int pt_chunkw_close(struct pt_chunk_writer *w);

struct pt_chunk_info {
    uint64_t offset; /* file offset of the chunk header */
    uint32_t raw_len;
    uint32_t comp_len;
    uint64_t first_record;
    int stored;
};

struct pt_chunk_reader {
    FILE *f;
    char *path;
    struct pt_chunk_info *chunks;
    size_t nchunks;
    size_t next;       /* index of the next chunk to load */
    struct pt_buf raw; /* the current decompressed chunk */
    struct pt_buf comp;
    uint64_t cut_offset; /* salvage: where the complete chunks end */
    uint64_t cut_bytes;  /* salvage: bytes of an incomplete chunk ignored there (0: none) */
};

/* Opens and validates the whole file (every chunk is decompressed and checksummed once), so a
 * truncated or corrupt trace is refused before replay starts. The container starts at byte
 * `start` (after a prologue). With salvage, a file that ends inside a chunk is accepted up to
 * the last complete chunk (cut_bytes says what was ignored); corruption is refused either way. */
#define PT_CHUNKR_SALVAGE 1 /* keep the complete chunks of a file cut short */
#define PT_CHUNKR_LAZY 2    /* do not decompress the chunks now: the caller reads them all next */
int pt_chunkr_open_at(struct pt_chunk_reader *r, const char *path, uint64_t start, int flags);
int pt_chunkr_open(struct pt_chunk_reader *r, const char *path);
/* Loads the next chunk into r->raw; returns 1 if loaded, 0 at the end, -1 on error. */
int pt_chunkr_next(struct pt_chunk_reader *r);
/* Loads chunk i into raw, leaving the reader's position and current chunk alone. */
int pt_chunkr_load(struct pt_chunk_reader *r, size_t i, struct pt_buf *raw);
/* Positions the reader so that the next pt_chunkr_next loads chunk i. */
void pt_chunkr_seek(struct pt_chunk_reader *r, size_t i);
void pt_chunkr_close(struct pt_chunk_reader *r);

#endif
