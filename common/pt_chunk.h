/*
 * pt_chunk: the container both trace files use, a sequence of self-checking compressed chunks.
 *
 *   chunk := "PTCK" u32 raw_len u32 comp_len u64 first_record  zstd-frame(comp_len bytes)
 *
 * (little-endian). Each zstd frame carries its content size and an XXH64 content checksum, so
 * a flipped bit anywhere is caught by the codec; a file that ends inside a chunk is
 * "truncated"; bad magic or sizes are "corrupt". first_record numbers the first record in the
 * chunk, so a reader can seek by record number later (reverse execution restores snapshots
 * mid-trace). A writer flushes when its buffer passes a size or age threshold, so a recorder
 * that is itself killed loses at most the last second of events.
 */
#ifndef PT_CHUNK_H
#define PT_CHUNK_H

#include "pt_buf.h"

#include <stdint.h>
#include <stdio.h>

#define PT_CHUNK_HDR_SIZE 20
#define PT_CHUNK_MAX_RAW (1u << 30)

struct pt_chunk_writer {
    FILE *f;
    const char *path;
    struct pt_buf raw;     /* records not yet compressed */
    struct pt_buf comp;    /* scratch for the compressed frame */
    uint64_t first_record; /* number of the first record in raw */
    uint64_t nrecords;     /* records written in total */
    uint64_t bytes_out;    /* compressed bytes written */
    int level;
};

int pt_chunkw_open(struct pt_chunk_writer *w, const char *path);
/* The caller appends one record's bytes to w->raw, then calls pt_chunkw_record_done. */
int pt_chunkw_record_done(struct pt_chunk_writer *w);
int pt_chunkw_flush(struct pt_chunk_writer *w);
int pt_chunkw_close(struct pt_chunk_writer *w);

struct pt_chunk_info {
    uint64_t offset; /* file offset of the chunk header */
    uint32_t raw_len;
    uint32_t comp_len;
    uint64_t first_record;
};

struct pt_chunk_reader {
    FILE *f;
    char *path;
    struct pt_chunk_info *chunks;
    size_t nchunks;
    size_t next;       /* index of the next chunk to load */
    struct pt_buf raw; /* the current decompressed chunk */
    struct pt_buf comp;
};

/* Opens and validates the whole file (every chunk is decompressed and checksummed once), so a
 * truncated or corrupt trace is refused before replay starts. */
int pt_chunkr_open(struct pt_chunk_reader *r, const char *path);
/* The same, for a container that starts at byte `start` of the file (after a prologue). */
int pt_chunkr_open_at(struct pt_chunk_reader *r, const char *path, uint64_t start);
/* Loads the next chunk into r->raw; returns 1 if loaded, 0 at the end, -1 on error. */
int pt_chunkr_next(struct pt_chunk_reader *r);
/* Positions the reader so that the next pt_chunkr_next loads chunk i. */
void pt_chunkr_seek(struct pt_chunk_reader *r, size_t i);
void pt_chunkr_close(struct pt_chunk_reader *r);

#endif
