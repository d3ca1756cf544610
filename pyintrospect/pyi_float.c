/*
 * pyi_float: repr() of floats without Python: the shortest decimal that reads back as the same
 * double (what Python's float_repr gets from David Gay's dtoa mode 0), laid out by
 * format_float_short's rules (Python/pystrtod.c): positional notation when the decimal exponent
 * is in (-4, 16], else d.ddde+XX with at least two exponent digits; "inf", "nan", "-0.0".
 *
 * Shortest digits: for p = 1..17 significant digits take the correctly rounded p-digit decimal
 * (glibc's %.*e is exact) and, because the rounding interval is lopsided at powers of two, also
 * its two neighbours in the last digit; the first p with a candidate that strtod maps back to
 * the same double wins, the candidate closest to the value first.
 */
#include "pyintrospect/pyi_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Digits and decimal exponent: value = 0.d1d2d3... * 10^decpt. */
struct pyi_dec {
    char digits[40];
    int ndigits;
    int decpt;
};

static void pyi_dec_from_e(const char *e, struct pyi_dec *d)
{
    /* e is like "1.2345e+17" (no sign) */
    d->ndigits = 0;
    const char *p = e;
    for (; *p && *p != 'e'; p++) {
        if (*p >= '0' && *p <= '9') {
            d->digits[d->ndigits++] = *p;
        }
    }
    d->digits[d->ndigits] = '\0';
    d->decpt = atoi(p + 1) + 1;
}

static double pyi_dec_value(const struct pyi_dec *d)
{
    char buf[192];
    snprintf(buf, sizeof buf, "0.%se%d", d->digits, d->decpt);
    return strtod(buf, NULL);
}

/* Add delta (+1/-1) to the last digit, with carry; false if it underflows to nothing. */
static bool pyi_dec_bump(struct pyi_dec *d, int delta)
{
    int i = d->ndigits - 1;
    for (; i >= 0; i--) {
        int v = d->digits[i] - '0' + delta;
        if (v >= 0 && v <= 9) {
            d->digits[i] = (char)('0' + v);
            break;
        }
        d->digits[i] = delta > 0 ? '0' : '9';
    }
    if (i < 0) {
        if (delta < 0) {
            return false;
        }
        memmove(d->digits + 1, d->digits, (size_t)d->ndigits + 1);
        d->digits[0] = '1';
        d->ndigits++;
        d->decpt++;
    }
    if (d->digits[0] == '0') {
        return false; /* 0.0999 style: not a p-digit candidate */
    }
    return true;
}

static void pyi_dec_strip(struct pyi_dec *d)
{
    while (d->ndigits > 1 && d->digits[d->ndigits - 1] == '0') {
        d->digits[--d->ndigits] = '\0';
    }
}

static void pyi_shortest(double v, struct pyi_dec *out)
{
    for (int p = 1; p <= 17; p++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%.*e", p - 1, v);
        struct pyi_dec cand[3];
        pyi_dec_from_e(buf, &cand[0]);
        cand[1] = cand[0];
        cand[2] = cand[0];
        bool ok1 = pyi_dec_bump(&cand[1], 1), ok2 = pyi_dec_bump(&cand[2], -1);
        bool ok[3] = {true, ok1, ok2};
        int best = -1;
        double bestdist = 0;
        for (int i = 0; i < 3; i++) {
            if (!ok[i] || pyi_dec_value(&cand[i]) != v) {
                continue;
            }
            /* distance to v, measured in long double */
            char nb[192];
            snprintf(nb, sizeof nb, "0.%se%d", cand[i].digits, cand[i].decpt);
            long double dist = fabsl(strtold(nb, NULL) - (long double)v);
            if (best < 0 || dist < bestdist) {
                best = i;
                bestdist = (double)dist;
            }
        }
        if (best >= 0) {
            *out = cand[best];
            pyi_dec_strip(out);
            return;
        }
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.16e", v);
    pyi_dec_from_e(buf, out);
    pyi_dec_strip(out);
}

static void pyi_zeros(struct pyi_buf *out, int n)
{
    for (int i = 0; i < n; i++) {
        pyi_buf_putc(out, '0');
    }
}

/* format_float_short for mode 'r' (repr); v > 0. */
static void pyi_float_layout(const struct pyi_dec *d, bool add_dot_0, struct pyi_buf *out)
{
    int decpt = d->decpt, n = d->ndigits;
    if (decpt <= -4 || decpt > 16) {
        pyi_buf_putc(out, d->digits[0]);
        if (n > 1) {
            pyi_buf_putc(out, '.');
            pyi_buf_put(out, d->digits + 1, (size_t)n - 1);
        }
        int e = decpt - 1;
        pyi_buf_printf(out, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
        return;
    }
    if (decpt <= 0) {
        pyi_buf_puts(out, "0.");
        pyi_zeros(out, -decpt);
        pyi_buf_put(out, d->digits, (size_t)n);
    } else if (decpt >= n) {
        pyi_buf_put(out, d->digits, (size_t)n);
        pyi_zeros(out, decpt - n);
        if (add_dot_0) {
            pyi_buf_puts(out, ".0");
        }
    } else {
        pyi_buf_put(out, d->digits, (size_t)decpt);
        pyi_buf_putc(out, '.');
        pyi_buf_put(out, d->digits + decpt, (size_t)(n - decpt));
    }
}

void pyi_float_repr(double v, bool add_dot_0, bool sign, struct pyi_buf *out)
{
    if (isnan(v)) {
        pyi_buf_puts(out, sign ? "+nan" : "nan");
        return;
    }
    if (signbit(v)) {
        pyi_buf_putc(out, '-');
        v = -v;
    } else if (sign) {
        pyi_buf_putc(out, '+');
    }
    if (isinf(v)) {
        pyi_buf_puts(out, "inf");
        return;
    }
    if (v == 0) {
        pyi_buf_puts(out, add_dot_0 ? "0.0" : "0");
        return;
    }
    struct pyi_dec d;
    pyi_shortest(v, &d);
    pyi_float_layout(&d, add_dot_0, out);
}
