/*
 * safe_out: the replay shell's output stream, through which nothing from a trace can drive the
 * terminal. Everything the shell prints (paths, argv, source lines, Python values, function
 * names: all of it comes from the trace or from the replayed process's memory, which a crafted
 * trace controls) passes a filter that writes control characters (other than newline and tab),
 * DEL, C1 controls and invalid UTF-8 as \xNN; valid UTF-8 passes unchanged. The program's own
 * output is not filtered: replay reproduces it byte for byte (use --program-output to keep it
 * off the terminal).
 */
#define _GNU_SOURCE
#include "cli.h"

#include <stdio.h>
#include <string.h>

struct safe {
    FILE *under;
    unsigned char pend[4]; /* an incomplete UTF-8 sequence from the previous write */
    size_t npend;
};

/* Bytes of a complete sequence at p (n available): 0 invalid, -1 incomplete. */
static int seq_len(const unsigned char *p, size_t n)
{
    int need = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
    if (!need || p[0] > 0xf4) {
        return 0;
    }
    for (int i = 1; i < need; i++) {
        if ((size_t)i >= n) {
            return -1;
        }
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
    }
    if ((p[0] == 0xc2 && p[1] < 0xa0) || (p[0] == 0xe0 && p[1] < 0xa0) ||
        (p[0] == 0xed && p[1] >= 0xa0) || (p[0] == 0xf0 && p[1] < 0x90) ||
        (p[0] == 0xf4 && p[1] >= 0x90)) {
        return 0; /* C1 controls, overlong forms, surrogates, beyond U+10FFFF */
    }
    return need;
}

static void put_escaped(struct safe *s, const unsigned char *p, size_t n, int final)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i; /* a run of plain characters, written at once */
        while (j < n && ((p[j] >= 0x20 && p[j] < 0x7f) || p[j] == '\n' || p[j] == '\t')) {
            j++;
        }
        if (j > i) {
            fwrite(p + i, 1, j - i, s->under);
            i = j;
            continue;
        }
        unsigned char c = p[i];
        int k = c >= 0x80 ? seq_len(p + i, n - i) : 0;
        if (k < 0 && !final) {
            memcpy(s->pend, p + i, n - i);
            s->npend = n - i;
            return;
        }
        if (k > 0) {
            fwrite(p + i, 1, (size_t)k, s->under);
            i += (size_t)k;
        } else {
            fprintf(s->under, "\\x%02x", c);
            i++;
        }
    }
}

static ssize_t safe_write(void *cookie, const char *buf, size_t n)
{
    struct safe *s = cookie;
    unsigned char tmp[4096 + 4];
    size_t done = 0;
    while (done < n) {
        size_t take = n - done < 4096 ? n - done : 4096;
        memcpy(tmp, s->pend, s->npend);
        memcpy(tmp + s->npend, buf + done, take);
        size_t len = s->npend + take;
        s->npend = 0;
        put_escaped(s, tmp, len, 0);
        done += take;
    }
    fflush(s->under);
    return (ssize_t)n;
}

static int safe_close(void *cookie)
{
    struct safe *s = cookie;
    put_escaped(s, s->pend, s->npend, 1);
    fflush(s->under);
    return 0;
}

FILE *cli_safe_stream(FILE *under)
{
    static struct safe s;
    s.under = under;
    s.npend = 0;
    cookie_io_functions_t io = {NULL, safe_write, NULL, safe_close};
    FILE *f = fopencookie(&s, "w", io);
    if (f) {
        setvbuf(f, NULL, _IOLBF, 0);
    }
    return f ? f : under;
}
