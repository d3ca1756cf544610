/*
 * pyi_long: Python ints of any size. Reading: the sign and number of digits are in ob_size
 * (3.10, 3.11: its sign is the int's, its magnitude the digit count) or in long_value.lv_tag
 * (3.12+: tag >> 3 digits, sign 1 - (tag & 3), as _PyLong_NonCompactSign / _PyLong_DigitCount);
 * the digits are PyLong_SHIFT bits each (30 on 64-bit builds, told by sizeof(digit)). repr():
 * converted to decimal the way long_to_decimal_string does in spirit: repeated division of the
 * digit array by 10^9, each remainder giving nine decimal digits.
 */
#include "pyintrospect/pyi_internal.h"

#include <stdlib.h>
#include <string.h>

/* The digits after the header, n of them. */
static int pyi_long_digits(struct pyi_session *s, pt_addr obj, int64_t n, uint32_t **digits,
                           int *digit_bits)
{
    if (n > PYI_MAX_INT_DIGITS) {
        return pt_fail("implausible int size %lld at 0x%llx", (long long)n,
                       (unsigned long long)obj);
    }
    int dsz = (int)s->size[PYI_S_DIGIT];
    *digit_bits = dsz == 4 ? 30 : 15;
    *digits = calloc((size_t)n + 1, sizeof **digits);
    uint8_t *raw = malloc((size_t)n * (size_t)dsz + 1);
    if (!*digits || !raw) {
        free(raw);
        free(*digits);
        *digits = NULL;
        return pt_fail("out of memory");
    }
    pt_addr base = obj + (pt_addr)s->m[PYI_F_LONG_DIGIT].off;
    if (pyi_read(s, base, raw, (size_t)n * (size_t)dsz) != 0) {
        free(raw);
        free(*digits);
        *digits = NULL;
        return pt_wrap("reading the digits of the int at 0x%llx", (unsigned long long)obj);
    }
    for (int64_t i = 0; i < n; i++) {
        uint32_t d = 0;
        memcpy(&d, raw + i * dsz, (size_t)dsz);
        (*digits)[i] = d;
    }
    free(raw);
    return 0;
}

/* 3.10, 3.11: ob_size's sign is the sign, |ob_size| digits. */
int pyi_long_read_size(struct pyi_session *s, pt_addr obj, int *sign, uint32_t **digits,
                       size_t *ndigits, int *digit_bits)
{
    int64_t size;
    if (pyi_rd(s, obj, PYI_F_OB_SIZE, &size) != 0) {
        return -1;
    }
    int64_t n = size < 0 ? -size : size;
    *sign = size < 0 ? -1 : size > 0 ? 1 : 0;
    *ndigits = (size_t)n;
    return pyi_long_digits(s, obj, n, digits, digit_bits);
}

/* 3.12+: lv_tag = ndigits << 3 | sign bits (0 positive, 1 zero, 2 negative). */
int pyi_long_read_tag(struct pyi_session *s, pt_addr obj, int *sign, uint32_t **digits,
                      size_t *ndigits, int *digit_bits)
{
    int64_t tag;
    if (pyi_rd(s, obj, PYI_F_LONG_TAG, &tag) != 0) {
        return -1;
    }
    int64_t n = (int64_t)((uint64_t)tag >> 3);
    *sign = 1 - (int)(tag & 3);
    if (*sign < -1) {
        return pt_fail("implausible int tag 0x%llx at 0x%llx", (unsigned long long)tag,
                       (unsigned long long)obj);
    }
    *ndigits = (size_t)n;
    return pyi_long_digits(s, obj, n, digits, digit_bits);
}

void pyi_digits_to_decimal(const uint32_t *digits, size_t n, int bits, int sign,
                           struct pyi_buf *out)
{
    while (n > 0 && digits[n - 1] == 0) {
        n--;
    }
    if (n == 0) {
        pyi_buf_putc(out, '0');
        return;
    }
    uint32_t *work = malloc(n * sizeof *work);
    /* each 10^9 chunk is ~29.9 bits: at most n*bits/29 + 1 chunks */
    size_t cap = n * (size_t)bits / 29 + 2;
    uint32_t *chunks = malloc(cap * sizeof *chunks);
    if (!work || !chunks) {
        free(work);
        free(chunks);
        pyi_buf_puts(out, "<int too large to format>");
        return;
    }
    memcpy(work, digits, n * sizeof *work);
    size_t nchunks = 0;
    while (n > 0 && nchunks < cap) {
        uint64_t rem = 0;
        for (size_t i = n; i-- > 0;) {
            uint64_t cur = (rem << bits) | work[i];
            work[i] = (uint32_t)(cur / 1000000000u);
            rem = cur % 1000000000u;
        }
        chunks[nchunks++] = (uint32_t)rem;
        while (n > 0 && work[n - 1] == 0) {
            n--;
        }
    }
    if (sign < 0) {
        pyi_buf_putc(out, '-');
    }
    pyi_buf_printf(out, "%u", chunks[nchunks - 1]);
    for (size_t i = nchunks - 1; i-- > 0;) {
        pyi_buf_printf(out, "%09u", chunks[i]);
    }
    free(work);
    free(chunks);
}

int pyi_long_repr(struct pyi_session *s, pt_addr obj, size_t max_digits, struct pyi_buf *out)
{
    int sign, bits;
    uint32_t *d;
    size_t n;
    if (s->v->long_read(s, obj, &sign, &d, &n, &bits) != 0) {
        return -1;
    }
    struct pyi_buf tmp;
    pyi_buf_init(&tmp);
    pyi_digits_to_decimal(d, n, bits, sign, &tmp);
    free(d);
    if (max_digits && tmp.len > max_digits) {
        pyi_buf_put(out, tmp.data, max_digits);
        pyi_buf_puts(out, "...(truncated)");
    } else if (tmp.data) {
        pyi_buf_put(out, tmp.data, tmp.len);
    }
    pyi_buf_free(&tmp);
    return 0;
}
