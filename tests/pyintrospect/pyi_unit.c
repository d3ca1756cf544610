/*
 * pyi_unit: pyintrospect's pure functions on input from stdin, for the harness to compare with
 * Python's own results:
 *   pyi_unit floats   lines of 16-hex-digit IEEE doubles -> repr(float) per line
 *   pyi_unit complex  lines "RE IM" (hex doubles)       -> repr(complex) per line
 *   pyi_unit ints     lines "SIGN D0 D1 ..." (30-bit digits, least significant first) -> repr
 */
#include "pyintrospect/pyi_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double unit_double(const char *hex)
{
    uint64_t bits = strtoull(hex, NULL, 16);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static void unit_print(struct pyi_buf *b)
{
    char *t = pyi_buf_take(b);
    puts(t ? t : "<oom>");
    free(t);
}

static void unit_float(char *line)
{
    struct pyi_buf b;
    pyi_buf_init(&b);
    pyi_float_repr(unit_double(line), true, false, &b);
    unit_print(&b);
}

/* complex_repr, as pyi_repr.c does it */
static void unit_complex(char *line)
{
    char *sp = strchr(line, ' ');
    if (!sp) {
        return;
    }
    double re = unit_double(line), im = unit_double(sp + 1);
    struct pyi_buf b;
    pyi_buf_init(&b);
    if (re == 0 && !signbit(re)) {
        pyi_float_repr(im, false, false, &b);
        pyi_buf_putc(&b, 'j');
    } else {
        pyi_buf_putc(&b, '(');
        pyi_float_repr(re, false, false, &b);
        pyi_float_repr(im, false, true, &b);
        pyi_buf_puts(&b, "j)");
    }
    unit_print(&b);
}

static void unit_int(char *line)
{
    uint32_t digits[4096];
    size_t n = 0;
    char *p = line;
    int sign = (int)strtol(p, &p, 10);
    while (*p && n < 4096) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p) {
            break;
        }
        digits[n++] = (uint32_t)v;
        p = end;
    }
    struct pyi_buf b;
    pyi_buf_init(&b);
    pyi_digits_to_decimal(digits, n, 30, sign, &b);
    unit_print(&b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: pyi_unit floats|complex|ints < input\n");
        return 2;
    }
    void (*fn)(char *) = strcmp(argv[1], "floats") == 0    ? unit_float
                         : strcmp(argv[1], "complex") == 0 ? unit_complex
                         : strcmp(argv[1], "ints") == 0    ? unit_int
                                                           : NULL;
    if (!fn) {
        fprintf(stderr, "pyi_unit: unknown mode %s\n", argv[1]);
        return 2;
    }
    static char line[1 << 16];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = '\0';
        fn(line);
    }
    return 0;
}
