/*
 * pt_copycache: a per-user cache of the compressed copies of mapped files, so that recording
 * does not compress the same bytes again in every run.
 *
 * Every Python program maps the same small data files, which the recorder copies into the
 * trace (PT_MAP_COPY, recorder/rec_mmap.c): the C.utf8 LC_CTYPE (345 KiB), /etc/ld.so.cache,
 * gconv-modules.cache, pytt's own preload library. Compressing them was ~1.8 ms of the ~31 ms
 * `pytt record python3.11 -c pass`. The trace writer therefore puts such a copy into its own
 * zstd frame of the chunk (pt_chunk.h: a chunk may hold several frames) and keeps that frame
 * here; the next recording that maps the same range of the same unchanged file takes the frame
 * from here instead of compressing the bytes again.
 *
 * Key: the file's device, inode, size, mtime and ctime (the argument of pt_fidcache.h: any
 * write to the file changes its ctime, replacing it gives a new inode), plus the offset and
 * length of the copied range. A file changed less than 2 s before is neither stored nor looked
 * up (a write in the same clock tick would leave the times as they were). The key only finds
 * the entry: the recorder still reads the copy from the tracee, as it did before, hashes it
 * and reads the entry (under 0.1 ms for the five copies of `-c pass`, against ~1.3 ms to
 * compress them), and takes the entry only if the hash of those bytes equals the one the
 * entry was made from. The file identity alone is not enough: a process
 * writing the file through a shared mapping changes its mtime only at the first write to a
 * clean page, so bytes can change under an unchanged identity until the next writeback.
 *
 * An entry is one file, copies/<16 hex digits of the key's hash>:
 *   "PTCC" u32 version  u64 dev ino size mtime_ns ctime_ns offset length
 *   u64 pt_hash64(content)  u64 frame_len  u64 pt_hash64(frame)  frame
 * written to a temporary file and renamed into place (a concurrent reader sees the old entry
 * or the new one, never half of one). An entry is taken only if all of it checks: its key
 * equals the wanted one, its content hash the copy's, its length is exactly the header plus
 * frame_len, the hash of the frame bytes matches (a flipped or lost byte anywhere in the
 * frame: a damaged entry is ignored and replaced), and the frame is one zstd frame with a
 * checksum that declares `length` bytes of content. So a damaged entry cannot put wrong
 * bytes into a trace; the frame's own checksum is checked again whenever the trace is read.
 * The directory is pruned to PT_COPYCACHE_FILES entries and PT_COPYCACHE_BYTES bytes (the
 * oldest go) by each recording at its first store and every 16th after (a scan of 256 entries
 * took 0.4 ms, as long as compressing 150 KB: a program mapping many different files must not
 * pay it for each), so a recording may leave up to 15 entries beyond. Measured here: the hash
 * of LC_CTYPE's 345 KiB 19 us, taking its entry 14 us, compressing it 0.9 ms. PYTT_CACHE_DIR=off
 * turns the cache off; it is only an optimization, so any failure to read or write it means
 * compressing as before.
 */
#ifndef PT_COPYCACHE_H
#define PT_COPYCACHE_H

#include "pt_buf.h"

#include <stdint.h>
#include <sys/stat.h>

#define PT_COPYCACHE_MIN (16u << 10)     /* smaller copies are compressed with their chunk */
#define PT_COPYCACHE_FILES 256           /* entries kept */
#define PT_COPYCACHE_BYTES (64ull << 20) /* bytes kept */

struct pt_copykey {
    uint64_t dev, ino, size;
    int64_t mtime_ns, ctime_ns;
    uint64_t off, len;
};

/* The key of bytes [off, off+len) of the file st describes: 1, or 0 when the cache does not
 * take them (off, not a regular file, fewer than PT_COPYCACHE_MIN bytes, changed < 2 s ago). */
int pt_copycache_key(const struct stat *st, uint64_t off, uint64_t len, struct pt_copykey *k);
/* The cached frame for k whose content hashes (pt_hash64) to content_hash, checked, into
 * frame: 1; 0 when there is none (or a damaged or different one). */
int pt_copycache_get(const struct pt_copykey *k, uint64_t content_hash, struct pt_buf *frame);
/* Stores the frame holding k's bytes, which hash to content_hash (a failure to write is
 * ignored). */
void pt_copycache_put(const struct pt_copykey *k, uint64_t content_hash, const uint8_t *frame,
                      size_t n);

#endif
