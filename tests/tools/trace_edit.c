/*
 * trace_edit: a test tool that rewrites a pytt trace, for hostile-trace tests. It copies trace
 * IN to the new directory OUT (header unchanged, events re-encoded), replacing every
 * occurrence of the bytes OLD by NEW (same length, hex) in the data the events carry (what
 * syscalls wrote into the program's memory): a trace crafted this way is well-formed and
 * checksummed, so only pytt's replay-time checks stand between it and the machine.
 *
 *     trace_edit IN OUT OLDHEX NEWHEX      prints how many occurrences it replaced
 *     trace_edit --mutate SEED N IN OUT    changes one field of N events picked at random
 *                                          (seeded): a tick, a result, an argument, a byte of
 *                                          data, a region address, a signal number, or flips
 *                                          a byte of the initial stack (N = 0: only that);
 *                                          prints what it changed, one line per change
 */
#include "common/pt_error.h"
#include "common/pt_trace.h"
#include "tool_rand.h"

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

static uint64_t rng = 88172645463325252ull;

static uint64_t next_rand(void)
{
    return tool_rand(&rng);
}

/* Change one field of ev; returns what it did. */
static const char *mutate_event(struct pt_event *ev)
{
    switch (next_rand() % 6) {
    case 0:
        ev->tick += 1 + next_rand() % 3;
        return "tick";
    case 1:
        ev->ret ^= (int64_t)1 << (next_rand() % 8);
        return "result";
    case 2:
        if (ev->nargs) {
            ev->args[next_rand() % ev->nargs] ^= 1ull << (next_rand() % 16);
            return "argument";
        }
        return "nothing";
    case 3:
        if (ev->data.len) {
            ev->data.data[next_rand() % ev->data.len] ^= (uint8_t)(1 + next_rand() % 255);
            return "data byte";
        }
        return "nothing";
    case 4:
        if (ev->nregions) {
            ev->regions[next_rand() % ev->nregions].addr ^= 1ull << (next_rand() % 20);
            return "region address";
        }
        return "nothing";
    default:
        if (ev->type == PT_EV_SIGNAL || ev->type == PT_EV_FAULT) {
            ev->signo = 1 + (int32_t)(next_rand() % 31);
            return "signal number";
        }
        ev->tick = ev->tick ? ev->tick - 1 : 0;
        return "tick down";
    }
}

static int mutate_main(int argc, char **argv)
{
    rng ^= strtoull(argv[2], NULL, 10) * 0x9e3779b97f4a7c15ull;
    long n = atol(argv[3]);
    struct pt_trace_reader r;
    struct pt_trace_writer w;
    struct pt_event ev;
    pt_event_init(&ev);
    if (pt_tracer_open(&r, argv[4]) < 0 || mkdir(argv[5], 0700) < 0) {
        fprintf(stderr, "trace_edit: %s\n", pt_errmsg()[0] ? pt_errmsg() : "cannot create OUT");
        return 1;
    }
    if (n == 0 && r.hdr.stack_len) {
        size_t at = next_rand() % r.hdr.stack_len;
        r.hdr.stack[at] ^= (uint8_t)(1 + next_rand() % 255);
        printf("stack byte %zu of %zu\n", at, r.hdr.stack_len);
    }
    uint64_t total = r.nevents - (r.cut_short ? 1 : 0);
    uint64_t *picks = calloc((size_t)n + 1, sizeof *picks);
    for (long i = 0; i < n; i++) {
        picks[i] = total > 1 ? 1 + next_rand() % (total - 1) : 0; /* never event 0 (the clock) */
    }
    if (pt_tracew_open(&w, argv[5]) < 0 || pt_tracew_header(&w, &r.hdr) < 0) {
        fprintf(stderr, "trace_edit: %s\n", pt_errmsg());
        return 1;
    }
    int got;
    while ((got = pt_tracer_next(&r, &ev)) == 1 && !(r.cut_short && ev.seq + 1 == r.nevents)) {
        for (long i = 0; i < n; i++) {
            if (picks[i] == ev.seq) {
                printf("event %llu: %s\n", (unsigned long long)ev.seq, mutate_event(&ev));
            }
        }
        if (pt_tracew_event(&w, &ev) < 0) {
            break;
        }
    }
    free(picks);
    int rc = got < 0 || pt_tracew_close(&w) < 0;
    if (rc) {
        fprintf(stderr, "trace_edit: %s\n", pt_errmsg());
    }
    pt_tracer_close(&r);
    pt_event_free(&ev);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "--mutate") == 0) {
        return mutate_main(argc, argv);
    }
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
    pt_tracer_close(&r);
    pt_event_free(&ev);
    printf("%zu\n", count);
    return 0;
}
