/*
 * pyi_long: repr() of Python ints of any size. The version layer reads the magnitude as
 * PyLong_SHIFT-bit digits (30 on 64-bit builds); here they are converted to decimal the way
 * long_to_decimal_string does in spirit: repeated division of the digit array by 10^9, each
 * remainder giving nine decimal digits.
 */
#include "pyintrospect/pyi_internal.h"

#include <stdlib.h>
#include <string.h>

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
