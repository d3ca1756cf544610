/*
 * pt_buf: a growable byte buffer for encoding, and a bounds-checked cursor for decoding.
 *
 * The trace is a sequence of small records made of LEB128 varints, zigzag-encoded signed
 * integers, length-prefixed strings and byte blobs. Encoding appends to a pt_buf (aborting only
 * on out-of-memory, like Redis's sds); decoding goes through a pt_cur that never reads past its
 * end: any overrun sets cur->bad and returns zeros, so a corrupt trace is detected once, at the
 * end of a record, instead of being trusted field by field.
 */
#ifndef PT_BUF_H
#define PT_BUF_H

#include <stddef.h>
#include <stdint.h>

struct pt_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
};

void pt_buf_init(struct pt_buf *b);
void pt_buf_free(struct pt_buf *b);
void pt_buf_reset(struct pt_buf *b);
void pt_buf_reserve(struct pt_buf *b, size_t extra);
void pt_buf_put(struct pt_buf *b, const void *p, size_t n);
void pt_buf_u8(struct pt_buf *b, uint8_t v);
void pt_buf_uv(struct pt_buf *b, uint64_t v);     /* unsigned LEB128 */
void pt_buf_sv(struct pt_buf *b, int64_t v);      /* zigzag + LEB128 */
void pt_buf_str(struct pt_buf *b, const char *s); /* length + bytes (NULL encodes as empty) */
void pt_buf_blob(struct pt_buf *b, const void *p, size_t n);

struct pt_cur {
    const uint8_t *p;
    const uint8_t *end;
    int bad;
};

void pt_cur_init(struct pt_cur *c, const void *p, size_t n);
uint8_t pt_cur_u8(struct pt_cur *c);
uint64_t pt_cur_uv(struct pt_cur *c);
int64_t pt_cur_sv(struct pt_cur *c);
/* A blob or string points into the cursor's memory; *len receives its length. Strings are
 * returned as freshly malloc'd NUL-terminated copies (caller frees). */
const uint8_t *pt_cur_blob(struct pt_cur *c, size_t *len);
char *pt_cur_strdup(struct pt_cur *c);
void pt_cur_get(struct pt_cur *c, void *out, size_t n);
int pt_cur_done(const struct pt_cur *c);

#endif
