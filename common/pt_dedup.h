/*
 * pt_dedup: repeated output bytes of buffered calls logged once (issue 15, trace version 7).
 *
 * A program that reads the same file data again and again (sqlite3 re-reading its pages
 * through a small page cache) would put the same bytes into the trace each time: sqlite3's
 * benchmark logged ~387 MB of page reads for a 5 MB database, and compressing them was most
 * of its recording time. The trace writer therefore keeps a store of recent output bytes of
 * SYSBUF records (each record's bytes of at least PT_DEDUP_MIN, its "literal", numbered in log
 * order from 0) and writes a record whose bytes equal a stored literal's as a reference to it:
 * the record with flag PT_SYSBUF_REC_REF and, instead of its bytes, the literal's u64 number.
 * Equality is checked byte for byte (the hash only finds candidates), so a hash collision
 * cannot make replay wrong; the record's own arguments are logged and checked as before.
 *
 * The reader keeps a store with the same budget and the same least-recently-used order, fed
 * by the same records in the same order, so reading the log forward from its start finds
 * every reference in memory. After a seek (reverse execution restores snapshots mid-log) the
 * store may lack a literal: the reader then fetches it from the chunk that holds it (the
 * reader knows each chunk's first literal number). Memory: at most PT_DEDUP_BYTES of literal
 * bytes plus ~56 bytes per literal (its entry and allocation) and a 1 MiB table on each side.
 */
#ifndef PT_DEDUP_H
#define PT_DEDUP_H

#include "pt_buf.h"

#include <stddef.h>
#include <stdint.h>

#define PT_DEDUP_MIN 128u          /* a record with fewer output bytes is never a literal */
#define PT_DEDUP_BYTES (64u << 20) /* each side's store of literal bytes */

struct pt_dedup_ent;

struct pt_dedup {
    struct pt_dedup_ent *ents;
    size_t nents, cap;
    int32_t free_head;
    int32_t *buckets;       /* chain heads + 1 (0: empty) by content hash (writer) or number */
    int32_t newest, oldest; /* the least-recently-used list */
    uint64_t bytes;         /* literal bytes held */
    uint64_t budget;        /* at most this many (PT_DEDUP_BYTES; tests make it small) */
    uint64_t next_id;       /* number of the next literal in the log */
    int writer;             /* indexed by content (writer) or by number (reader) */
    struct pt_buf scratch;
};

void pt_dedup_init(struct pt_dedup *d, int writer);
void pt_dedup_free(struct pt_dedup *d);
/* Forget every literal; numbering goes on from next_id (the writer after dropping records
 * it could not write sets next_id back first). */
void pt_dedup_clear(struct pt_dedup *d);

/* Writer: append SYSBUF records p[0..n) to out as a blob, repeated bytes as references. */
void pt_dedup_encode(struct pt_dedup *d, const uint8_t *p, size_t n, struct pt_buf *out);

/* Checks encoded records (references name earlier literals: below *next_id) and counts their
 * literals into *next_id. -1 when they are damaged. */
int pt_dedup_scan(const uint8_t *p, size_t n, uint64_t *next_id);

/* Finds literal `id` in encoded records whose first literal is number first_id; returns its
 * bytes (pointing into p) and *len, or NULL. */
const uint8_t *pt_dedup_find(const uint8_t *p, size_t n, uint64_t first_id, uint64_t id,
                             uint32_t *len);

/* Where a reader finds a literal its store lacks: its bytes into out, 0; or -1. */
typedef int (*pt_dedup_fetch_fn)(void *ctx, uint64_t id, struct pt_buf *out);

/* How many bytes encoded records p[0..n) take as the library wrote them; -1 when damaged. */
int pt_dedup_expanded_len(const uint8_t *p, size_t n, size_t *len);
/* Reader: the records of encoded p[0..n) as the library wrote them, into dst (len bytes, from
 * pt_dedup_expanded_len). -1 (with pt_fail) when a reference cannot be resolved. */
int pt_dedup_expand(struct pt_dedup *d, const uint8_t *p, size_t n, uint8_t *dst, size_t len,
                    pt_dedup_fetch_fn fetch, void *ctx);

#endif
