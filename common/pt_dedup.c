/*
 * pt_dedup: the store of recent literals and the SYSBUF record encoding that refers to them
 * (see pt_dedup.h). Both sides run the same store: a pool of entries in a least-recently-used
 * list, evicted from its old end once PT_DEDUP_BYTES would be exceeded, and chained in buckets
 * by content hash (the writer looks bytes up) or by literal number (the reader does).
 */
#include "pt_dedup.h"

#include "pt_error.h"
#include "pt_hash.h"
#include "pt_sysbuf.h"

#include <stdlib.h>
#include <string.h>

#define NBUCKETS (1u << 18)

struct pt_dedup_ent {
    uint64_t id, hash;
    uint8_t *data;
    uint32_t len;
    int32_t chain;      /* next entry in the same bucket */
    int32_t prev, next; /* towards newer / older in the LRU list */
};

void pt_dedup_init(struct pt_dedup *d, int writer)
{
    memset(d, 0, sizeof *d);
    d->writer = writer;
    d->budget = PT_DEDUP_BYTES;
    d->free_head = d->newest = d->oldest = -1;
    pt_buf_init(&d->scratch);
}

void pt_dedup_clear(struct pt_dedup *d)
{
    for (size_t i = 0; i < d->nents; i++) {
        free(d->ents[i].data);
    }
    free(d->ents);
    free(d->buckets);
    d->ents = NULL;
    d->buckets = NULL;
    d->nents = d->cap = 0;
    d->bytes = 0;
    d->free_head = d->newest = d->oldest = -1;
}

void pt_dedup_free(struct pt_dedup *d)
{
    pt_dedup_clear(d);
    pt_buf_free(&d->scratch);
}

static uint32_t bucket_of(const struct pt_dedup *d, uint64_t hash, uint64_t id)
{
    uint64_t k = d->writer ? hash : id * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(k >> 40) & (NBUCKETS - 1);
}

static void lru_unlink(struct pt_dedup *d, int32_t i)
{
    struct pt_dedup_ent *e = &d->ents[i];
    if (e->prev >= 0) {
        d->ents[e->prev].next = e->next;
    } else {
        d->newest = e->next;
    }
    if (e->next >= 0) {
        d->ents[e->next].prev = e->prev;
    } else {
        d->oldest = e->prev;
    }
}

static void lru_push(struct pt_dedup *d, int32_t i)
{
    struct pt_dedup_ent *e = &d->ents[i];
    e->prev = -1;
    e->next = d->newest;
    if (d->newest >= 0) {
        d->ents[d->newest].prev = i;
    }
    d->newest = i;
    if (d->oldest < 0) {
        d->oldest = i;
    }
}

static void touch(struct pt_dedup *d, int32_t i)
{
    lru_unlink(d, i);
    lru_push(d, i);
}

static void drop(struct pt_dedup *d, int32_t i)
{
    struct pt_dedup_ent *e = &d->ents[i];
    int32_t *head = &d->buckets[bucket_of(d, e->hash, e->id)];
    if (*head - 1 == i) {
        *head = e->chain + 1;
    } else {
        int32_t j = *head - 1;
        while (d->ents[j].chain != i) {
            j = d->ents[j].chain;
        }
        d->ents[j].chain = e->chain;
    }
    lru_unlink(d, i);
    d->bytes -= e->len;
    free(e->data);
    e->data = NULL;
    e->chain = d->free_head;
    d->free_head = i;
}

static int32_t ent_new(struct pt_dedup *d)
{
    if (d->free_head >= 0) {
        int32_t i = d->free_head;
        d->free_head = d->ents[i].chain;
        return i;
    }
    if (d->nents == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 1024;
        d->ents = realloc(d->ents, d->cap * sizeof *d->ents);
        if (!d->ents) {
            abort(); /* out of memory, as pt_buf does */
        }
    }
    return (int32_t)d->nents++;
}

static void insert(struct pt_dedup *d, uint64_t id, uint64_t hash, const uint8_t *p, uint32_t len)
{
    if (!d->buckets) {
        /* zeroed pages from the kernel: only the buckets used are ever touched (a memset of
         * the 1 MiB cost every recording ~0.3 ms of page faults) */
        d->buckets = calloc(NBUCKETS, sizeof *d->buckets);
        if (!d->buckets) {
            abort();
        }
    }
    while (d->oldest >= 0 && d->bytes + len > d->budget) {
        drop(d, d->oldest);
    }
    int32_t i = ent_new(d);
    struct pt_dedup_ent *e = &d->ents[i];
    e->id = id;
    e->hash = hash;
    e->len = len;
    e->data = malloc(len);
    if (!e->data) {
        abort();
    }
    memcpy(e->data, p, len);
    uint32_t b = bucket_of(d, hash, id);
    e->chain = d->buckets[b] - 1;
    d->buckets[b] = i + 1;
    d->bytes += len;
    lru_push(d, i);
}

static int32_t find_bytes(const struct pt_dedup *d, uint64_t hash, const uint8_t *p, uint32_t len)
{
    if (!d->buckets) {
        return -1;
    }
    for (int32_t i = d->buckets[bucket_of(d, hash, 0)] - 1; i >= 0; i = d->ents[i].chain) {
        const struct pt_dedup_ent *e = &d->ents[i];
        if (e->hash == hash && e->len == len && memcmp(e->data, p, len) == 0) {
            return i;
        }
    }
    return -1;
}

static int32_t find_id(const struct pt_dedup *d, uint64_t id)
{
    if (!d->buckets) {
        return -1;
    }
    for (int32_t i = d->buckets[bucket_of(d, 0, id)] - 1; i >= 0; i = d->ents[i].chain) {
        if (d->ents[i].id == id) {
            return i;
        }
    }
    return -1;
}

/* Is this record's output a literal (worth a number in the store)? Only when its size is what
 * its length makes it, so that a reference gives the record back exactly. */
static int literal(const struct pt_sysbuf_rec *r)
{
    return !(r->flags & (PT_SYSBUF_REC_NOCOPY | PT_SYSBUF_REC_REF)) && r->outlen >= PT_DEDUP_MIN &&
           r->size == sizeof *r + PT_SYSBUF_ROUND(r->outlen);
}

/* The literal number record r (bytes at `bytes`) refers to, or NONE: it is logged as it is
 * (and, a literal, kept in the store). */
#define NONE UINT64_MAX
static uint64_t encode_one(struct pt_dedup *d, const struct pt_sysbuf_rec *r, const uint8_t *bytes)
{
    if (!literal(r)) {
        return NONE;
    }
    uint64_t hash = pt_hash64(bytes, r->outlen);
    int32_t i = find_bytes(d, hash, bytes, r->outlen);
    if (i < 0) {
        insert(d, d->next_id++, hash, bytes, r->outlen);
        return NONE;
    }
    touch(d, i);
    return d->ents[i].id;
}

void pt_dedup_encode(struct pt_dedup *d, const uint8_t *p, size_t n, struct pt_buf *out)
{
    /* first which records are references (and the blob's length), then the blob: the bytes
     * are copied once, straight into out */
    struct pt_buf *refs = &d->scratch;
    size_t len = 0;
    pt_buf_reset(refs);
    for (size_t off = 0; off < n;) {
        struct pt_sysbuf_rec r;
        memcpy(&r, p + off, sizeof r);
        uint64_t ref = encode_one(d, &r, p + off + sizeof r);
        pt_buf_put(refs, &ref, sizeof ref);
        len += ref == NONE ? r.size : sizeof r + 8;
        off += r.size;
    }
    pt_buf_uv(out, len);
    const uint64_t *ref = (const uint64_t *)refs->data;
    for (size_t off = 0; off < n; ref++) {
        struct pt_sysbuf_rec r;
        memcpy(&r, p + off, sizeof r);
        size_t size = r.size;
        if (*ref == NONE) {
            pt_buf_put(out, p + off, size);
        } else {
            r.flags |= PT_SYSBUF_REC_REF;
            r.size = (uint32_t)(sizeof r + 8);
            pt_buf_put(out, &r, sizeof r);
            pt_buf_put(out, ref, 8);
        }
        off += size;
    }
}

#define MAX_OUT (PT_SYSBUF_SLOT_LEN - sizeof(struct pt_sysbuf_hdr) - sizeof(struct pt_sysbuf_rec))

/* One encoded record at p (n bytes left) checked; its literal number, if a reference, in *ref. */
static int rec_ok(const uint8_t *p, size_t n, struct pt_sysbuf_rec *r, uint64_t *ref)
{
    if (n < sizeof *r) {
        return 0;
    }
    memcpy(r, p, sizeof *r);
    if (r->size < sizeof *r || r->size % 8 || r->size > n || r->nr >= 1024) {
        return 0;
    }
    if (!(r->flags & PT_SYSBUF_REC_REF)) {
        return r->outlen <= r->size - sizeof *r;
    }
    memcpy(ref, p + sizeof *r, 8);
    return r->size == sizeof *r + 8 && r->outlen >= PT_DEDUP_MIN && r->outlen <= MAX_OUT &&
           !(r->flags & PT_SYSBUF_REC_NOCOPY);
}

/* Encoded records checked; with next_id, references name earlier literals and the literals
 * are counted; *expanded: the bytes the records take as the library wrote them. */
static int walk(const uint8_t *p, size_t n, uint64_t *next_id, uint64_t *expanded)
{
    *expanded = 0;
    for (size_t off = 0; off < n;) {
        struct pt_sysbuf_rec r;
        uint64_t ref = 0;
        if (!rec_ok(p + off, n - off, &r, &ref) ||
            (next_id && (r.flags & PT_SYSBUF_REC_REF) && ref >= *next_id)) {
            return -1;
        }
        if (next_id) {
            *next_id += literal(&r);
        }
        *expanded += r.flags & PT_SYSBUF_REC_REF ? sizeof r + PT_SYSBUF_ROUND(r.outlen) : r.size;
        off += r.size;
    }
    return *expanded <= PT_SYSBUF_SLOT_LEN - sizeof(struct pt_sysbuf_hdr) ? 0 : -1;
}

int pt_dedup_scan(const uint8_t *p, size_t n, uint64_t *next_id)
{
    uint64_t expanded;
    return walk(p, n, next_id, &expanded);
}

int pt_dedup_expanded_len(const uint8_t *p, size_t n, size_t *len)
{
    uint64_t expanded;
    int rc = walk(p, n, NULL, &expanded);
    *len = (size_t)expanded;
    return rc;
}

const uint8_t *pt_dedup_find(const uint8_t *p, size_t n, uint64_t first_id, uint64_t id,
                             uint32_t *len)
{
    for (size_t off = 0; off < n;) {
        struct pt_sysbuf_rec r;
        uint64_t ref;
        if (!rec_ok(p + off, n - off, &r, &ref)) {
            return NULL;
        }
        if (literal(&r) && first_id++ == id) {
            *len = r.outlen;
            return p + off + sizeof r;
        }
        off += r.size;
    }
    return NULL;
}

/* The literal a reference names: from the store, or fetched (and stored again). */
static int32_t resolve(struct pt_dedup *d, uint64_t id, uint32_t len, pt_dedup_fetch_fn fetch,
                       void *ctx)
{
    int32_t i = find_id(d, id);
    if (i < 0) {
        pt_buf_reset(&d->scratch);
        if (!fetch || fetch(ctx, id, &d->scratch) < 0) {
            return -1;
        }
        if (d->scratch.len != len) {
            pt_fail("literal %llu has %zu bytes, its reference says %u", (unsigned long long)id,
                    d->scratch.len, len);
            return -1;
        }
        insert(d, id, 0, d->scratch.data, len);
        return d->newest;
    }
    if (d->ents[i].len != len) {
        pt_fail("literal %llu has %u bytes, its reference says %u", (unsigned long long)id,
                d->ents[i].len, len);
        return -1;
    }
    touch(d, i);
    return i;
}

static void put_literal(struct pt_dedup *d, const struct pt_sysbuf_rec *r, const uint8_t *bytes)
{
    uint64_t id = d->next_id++;
    int32_t i = find_id(d, id);
    if (i >= 0) {
        touch(d, i); /* read again after a seek back */
    } else {
        insert(d, id, 0, bytes, r->outlen);
    }
}

int pt_dedup_expand(struct pt_dedup *d, const uint8_t *p, size_t n, uint8_t *dst, size_t len,
                    pt_dedup_fetch_fn fetch, void *ctx)
{
    size_t at = 0;
    for (size_t off = 0; off < n;) {
        struct pt_sysbuf_rec r;
        uint64_t ref = 0;
        if (!rec_ok(p + off, n - off, &r, &ref)) {
            return pt_fail("a buffered call's record is damaged");
        }
        size_t size = r.size;
        if (r.flags & PT_SYSBUF_REC_REF) {
            int32_t i = resolve(d, ref, r.outlen, fetch, ctx);
            if (i < 0) {
                return pt_wrap("resolving a repeated read's reference to literal %llu",
                               (unsigned long long)ref);
            }
            r.flags &= (uint16_t)~PT_SYSBUF_REC_REF;
            r.size = (uint32_t)(sizeof r + PT_SYSBUF_ROUND(r.outlen));
            if (len - at < r.size) {
                break;
            }
            memcpy(dst + at, &r, sizeof r);
            memcpy(dst + at + sizeof r, d->ents[i].data, r.outlen);
            memset(dst + at + sizeof r + r.outlen, 0, r.size - sizeof r - r.outlen);
            at += r.size;
        } else {
            if (len - at < size) {
                break;
            }
            memcpy(dst + at, p + off, size);
            at += size;
            if (literal(&r)) {
                put_literal(d, &r, p + off + sizeof r);
            }
        }
        off += size;
    }
    return at == len ? 0 : pt_fail("buffered calls' records do not add up");
}
