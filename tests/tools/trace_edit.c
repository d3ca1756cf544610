/*
 * trace_edit: a test tool that rewrites a pytt trace, for hostile-trace tests. It copies trace
 * IN to the new directory OUT (header unchanged, events re-encoded), replacing every
 * occurrence of the bytes OLD by NEW (same length, hex) in the data the events carry (what
 * syscalls wrote into the program's memory): a trace crafted this way is well-formed and
 * checksummed, so only pytt's replay-time checks stand between it and the machine.
 *
 *     trace_edit IN OUT OLDHEX NEWHEX      prints how many occurrences it replaced
 */
#include "common/pt_error.h"
#include "common/pt_trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; s[0] && s[1] && n < cap; s += 2) {
        unsigned v;
        if (sscanf(s, "%2x", &v) != 1) {
            break;
        }
        out[n++] = (uint8_t)v;
    }
    return n;
}

static size_t replace_all(struct pt_event *ev, const uint8_t *old, const uint8_t *new, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; n && i + n <= ev->data.len; i++) {
        if (memcmp(ev->data.data + i, old, n) == 0) {
            memcpy(ev->data.data + i, new, n);
            count++;
        }
    }
    return count;
}

int main(int argc, char **argv)
{
    uint8_t old[256], new[256];
    if (argc != 5) {
        fprintf(stderr, "usage: trace_edit IN OUT OLDHEX NEWHEX\n");
        return 2;
    }
    size_t n = unhex(argv[3], old, sizeof old);
    if (n == 0 || unhex(argv[4], new, sizeof new) != n) {
        fprintf(stderr, "trace_edit: OLD and NEW must be hex strings of the same length\n");
        return 2;
    }
    struct pt_trace_reader r;
    struct pt_trace_writer w;
    struct pt_event ev;
    pt_event_init(&ev);
    if (pt_tracer_open(&r, argv[1]) < 0 || mkdir(argv[2], 0700) < 0 ||
        pt_tracew_open(&w, argv[2]) < 0 || pt_tracew_header(&w, &r.hdr) < 0) {
        fprintf(stderr, "trace_edit: %s\n", pt_errmsg()[0] ? pt_errmsg() : "cannot create OUT");
        return 1;
    }
    size_t count = 0;
    int got;
    while ((got = pt_tracer_next(&r, &ev)) == 1) {
        count += replace_all(&ev, old, new, n);
        if (pt_tracew_event(&w, &ev) < 0) {
            break;
        }
    }
    if (got < 0 || pt_tracew_close(&w) < 0) {
        fprintf(stderr, "trace_edit: %s\n", pt_errmsg());
        return 1;
    }
    printf("%zu\n", count);
    return 0;
}
