/*
 * pyi_linetab: a code object's line table decoded into one line per code unit (-1: no line).
 *
 * - 3.11+: the location table of PEP 657 (Objects/locations.md), decoded as
 *   _PyCode_CreateLineArray / _PyLineTable_NextAddressRange do: entries of (code, length), line
 *   deltas in short/one-line/no-column/long forms; "no location" entries give line -1 without
 *   moving the running line.
 * - 3.10: co_linetable as Objects/lnotab_notes.txt describes it: pairs (address delta in bytes,
 *   signed line delta), -128 meaning "no line", decoded as PyLineTable_NextAddressRange
 *   (advance() of codeobject.c): every range [start, end) gets its line, empty ranges only move
 *   the running line.
 */
#include "pyintrospect/pyi_internal.h"

#include <stdlib.h>

static int pyi_lines_alloc(struct pyi_code *c)
{
    c->lines = malloc((c->ncodeunits ? c->ncodeunits : 1) * sizeof *c->lines);
    if (!c->lines) {
        return pt_fail("out of memory");
    }
    for (size_t i = 0; i < c->ncodeunits; i++) {
        c->lines[i] = -1;
    }
    return 0;
}

enum {
    PYI_LOC_SHORT0 = 0,
    PYI_LOC_ONE_LINE0 = 10,
    PYI_LOC_ONE_LINE1 = 11,
    PYI_LOC_ONE_LINE2 = 12,
    PYI_LOC_NO_COLUMNS = 13,
    PYI_LOC_LONG = 14,
    PYI_LOC_NONE = 15,
};

/* scan_varint / scan_signed_varint of codeobject.c; *p advances, bounded by end. */
static unsigned pyi_lt_varint(const uint8_t **p, const uint8_t *end)
{
    unsigned val = 0;
    int shift = 0;
    while (*p < end) {
        uint8_t b = *(*p)++;
        val |= (unsigned)(b & 63) << shift;
        shift += 6;
        if (!(b & 64) || shift > 30) {
            break;
        }
    }
    return val;
}

static int pyi_lt_svarint(const uint8_t **p, const uint8_t *end)
{
    unsigned u = pyi_lt_varint(p, end);
    return (u & 1) ? -(int)(u >> 1) : (int)(u >> 1);
}

/* get_line_delta of codeobject.c: the line delta an entry starting at p carries. */
static int pyi_lt_line_delta(const uint8_t *p, const uint8_t *end)
{
    int code = (p[0] >> 3) & 15;
    const uint8_t *q = p + 1;
    switch (code) {
    case PYI_LOC_NONE:
        return 0;
    case PYI_LOC_NO_COLUMNS:
    case PYI_LOC_LONG:
        return pyi_lt_svarint(&q, end);
    case PYI_LOC_ONE_LINE0:
    case PYI_LOC_ONE_LINE1:
    case PYI_LOC_ONE_LINE2:
        return code - PYI_LOC_ONE_LINE0;
    default:
        return 0;
    }
}

/* _PyCode_CreateLineArray: walk the address ranges (advance() in codeobject.c) and give each
 * code unit its range's line. */
int pyi_lines_locations(struct pyi_code *c)
{
    if (pyi_lines_alloc(c) != 0) {
        return -1;
    }
    const uint8_t *p = c->linetable, *end = c->linetable + c->linetable_len;
    int computed = c->firstlineno;
    size_t at = 0;
    while (p < end && at < c->ncodeunits) {
        if (!(*p & 128)) {
            return pt_fail("corrupt location table of code object at 0x%llx",
                           (unsigned long long)c->addr);
        }
        computed += pyi_lt_line_delta(p, end);
        int line = ((*p >> 3) & 15) == PYI_LOC_NONE ? -1 : computed;
        size_t len = (size_t)(*p & 7) + 1;
        for (size_t i = 0; i < len && at < c->ncodeunits; i++) {
            c->lines[at++] = line;
        }
        do {
            p++;
        } while (p < end && !(*p & 128));
    }
    return 0;
}

/* 3.10 (advance() of Objects/codeobject.c). */
int pyi_lines_310(struct pyi_code *c)
{
    if (pyi_lines_alloc(c) != 0) {
        return -1;
    }
    int computed = c->firstlineno;
    size_t start = 0;
    for (size_t k = 0; k + 1 < c->linetable_len; k += 2) {
        size_t delta = c->linetable[k];
        int ldelta = (int8_t)c->linetable[k + 1];
        int line = -1;
        if (ldelta != -128) {
            computed += ldelta;
            line = computed;
        }
        for (size_t b = start; b < start + delta && b / 2 < c->ncodeunits; b += 2) {
            c->lines[b / 2] = line;
        }
        start += delta;
    }
    return 0;
}
