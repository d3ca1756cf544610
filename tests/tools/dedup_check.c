/*
 * dedup_check: the trace codec's "repeated read data logged once" (common/pt_dedup.h) gives
 * back exactly what was logged. It writes a trace of SYSBUF events whose records read pages
 * of a pseudo-random "file" again and again (some pages equal to others, some rewritten
 * between reads, partial reads, small reads, opens whose bytes are a path, a record padded
 * beyond its bytes), with small chunks and a small writer store (so literals are evicted and
 * logged again), then checks:
 *   - the events file is much smaller than the bytes the records carry (the data is random,
 *     so only references can make it so: this fails without the dedup);
 *   - reading forward gives every event's records byte for byte as written;
 *   - a reader with a store of 3 pages, seeking to many places (as reverse execution does),
 *     still gives every event exactly: the literals it lacks are fetched from their chunks;
 *   - a writer that drops its unwritten records (a full disk) never refers to them after.
 */
#define _GNU_SOURCE
#include "common/pt_dedup.h"
#include "common/pt_error.h"
#include "common/pt_sysbuf.h"
#include "common/pt_trace.h"
#include "tool_rand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096
#define NPAGES 48
#define NEV 600

static uint8_t pages[NPAGES][PAGE];
static struct pt_buf logged[NEV + 1];
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    return tool_rand(&rng_state);
}

static void fill_page(int p)
{
    for (int i = 0; i < PAGE; i += 8) {
        uint64_t v = rng();
        memcpy(&pages[p][i], &v, 8);
    }
}

static int fail(const char *what)
{
    fprintf(stderr, "FAIL dedup_check: %s%s%s\n", what, pt_errmsg()[0] ? ": " : "", pt_errmsg());
    return 1;
}

/* One record: nr, bytes (len of them), extra padding bytes beyond the rounded length. */
static void add_rec(struct pt_buf *b, int nr, uint16_t flags, const void *bytes, uint32_t len,
                    uint32_t extra)
{
    struct pt_sysbuf_rec r;
    memset(&r, 0, sizeof r);
    r.size = (uint32_t)(sizeof r + PT_SYSBUF_ROUND(len) + extra);
    r.nr = (uint16_t)nr;
    r.flags = flags;
    r.outlen = len;
    r.ret = len;
    r.a[0] = 3;
    r.a[1] = len;
    r.a[2] = rng() & 0xfffff;
    r.tick = rng() & 0xffff;
    r.out = 0x7f0000400000ull;
    pt_buf_put(b, &r, sizeof r);
    pt_buf_put(b, bytes, len);
    static const uint8_t zeros[8];
    pt_buf_put(b, zeros, PT_SYSBUF_ROUND(len) - len);
    for (uint32_t i = 0; i < extra; i++) {
        pt_buf_u8(b, 0xab);
    }
}

static void make_records(struct pt_buf *b)
{
    pt_buf_reset(b);
    int n = 1 + (int)(rng() % 6);
    for (int i = 0; i < n; i++) {
        int p = (int)(rng() % NPAGES), kind = (int)(rng() % 10);
        if (kind < 5) {
            add_rec(b, SYS_pread64, 0, pages[p], PAGE, 0);
        } else if (kind == 5) {
            add_rec(b, SYS_read, 0, pages[p] + 100, 200 + 8 * (uint32_t)(rng() % 2), 0);
        } else if (kind == 6) {
            add_rec(b, SYS_read, 0, pages[p], 100, 0); /* under PT_DEDUP_MIN */
        } else if (kind == 7) {
            add_rec(b, SYS_openat, PT_SYSBUF_REC_NOCOPY, "/tmp/some/path.py", 18, 0);
        } else if (kind == 8) {
            add_rec(b, SYS_read, 0, pages[p], 300, 16); /* padded beyond: never a literal */
        } else if (rng() % 4) {
            add_rec(b, SYS_pread64, 0, pages[p], PAGE, 0);
        } else {
            fill_page(p); /* the program rewrote it: the next reads see new bytes */
            add_rec(b, SYS_pread64, 0, pages[p], PAGE, 0);
        }
    }
}

static int write_header(struct pt_trace_writer *w)
{
    static uint8_t stack[16];
    struct pt_header h;
    memset(&h, 0, sizeof h);
    h.pytt_version = "dedup_check";
    h.rsp = 0x1000;
    h.stack_end = 0x1000 + sizeof stack;
    h.stack = stack;
    h.stack_len = sizeof stack;
    h.pid = 1;
    h.sysbuf = 1;
    return pt_tracew_header(w, &h);
}

static int write_trace(const char *dir, uint64_t *carried)
{
    struct pt_trace_writer w;
    struct pt_event ev;
    if (pt_tracew_open(&w, dir) < 0 || write_header(&w) < 0) {
        return -1;
    }
    w.dd.budget = 40 * PAGE;
    pt_event_init(&ev);
    for (int i = 0; i < NPAGES; i++) {
        fill_page(i);
    }
    memcpy(pages[40], pages[3], PAGE); /* equal content elsewhere in the file */
    for (int e = 0; e < NEV; e++) {
        make_records(&logged[e]);
        pt_event_reset(&ev, PT_EV_SYSBUF);
        ev.tid = 1;
        memcpy(pt_event_add_region(&ev, 0, logged[e].len), logged[e].data, logged[e].len);
        *carried += logged[e].len;
        if (pt_tracew_event(&w, &ev) < 0 || (e % 7 == 6 && pt_tracew_flush(&w) < 0)) {
            return -1;
        }
        if (e == NEV / 2 + 2) {
            /* a full disk: what is buffered is dropped; the store must forget it */
            pt_tracew_drop(&w);
            for (int d = e - e % 7; d <= e; d++) { /* since the last flush (e % 7 == 6) */
                pt_buf_reset(&logged[d]);          /* not in the log */
            }
        }
    }
    pt_event_reset(&ev, PT_EV_END);
    ev.tid = 1;
    ev.end_how = PT_END_EXITED;
    int rc = pt_tracew_event(&w, &ev) < 0 || pt_tracew_close(&w) < 0 ? -1 : 0;
    pt_event_free(&ev);
    return rc;
}

/* The e-th event of the log is which written one (the dropped ones are not in it)? */
static int written_index(uint64_t seq)
{
    for (int e = 0; e < NEV; e++) {
        if (logged[e].len && seq-- == 0) {
            return e;
        }
    }
    return NEV; /* the END */
}

static int same_event(const struct pt_event *ev, uint64_t seq)
{
    int e = written_index(seq);
    if (e == NEV) {
        return ev->type == PT_EV_END;
    }
    return ev->type == PT_EV_SYSBUF && ev->nregions == 1 && ev->regions[0].len == logged[e].len &&
           memcmp(pt_event_region_data(ev, 0), logged[e].data, logged[e].len) == 0;
}

static int read_forward(const char *dir)
{
    struct pt_trace_reader r;
    struct pt_event ev;
    if (pt_tracer_open(&r, dir) < 0) {
        return fail("opening the trace");
    }
    pt_event_init(&ev);
    int rc = 0;
    for (uint64_t seq = 0; rc == 0 && pt_tracer_next(&r, &ev) == 1; seq++) {
        if (!same_event(&ev, seq)) {
            fprintf(stderr, "event %llu differs from what was written\n", (unsigned long long)seq);
            rc = fail("reading forward");
        }
    }
    pt_event_free(&ev);
    pt_tracer_close(&r);
    return rc;
}

static int read_seeking(const char *dir)
{
    struct pt_trace_reader r;
    struct pt_event ev;
    if (pt_tracer_open(&r, dir) < 0) {
        return fail("opening the trace");
    }
    r.dd.budget = 3 * PAGE;
    pt_event_init(&ev);
    int rc = 0;
    for (int round = 0; rc == 0 && round < 60; round++) {
        uint64_t seq = rng() % (r.nevents - 1);
        if (round % 3 == 0) {
            pt_dedup_clear(&r.dd); /* nothing at all in the store */
        }
        if (pt_tracer_seek(&r, seq) < 0) {
            rc = fail("seeking");
        }
        for (int k = 0; rc == 0 && k < 25 && pt_tracer_next(&r, &ev) == 1; k++, seq++) {
            if (!same_event(&ev, seq)) {
                fprintf(stderr, "event %llu differs after a seek\n", (unsigned long long)seq);
                rc = fail("reading after seeks with a 3-page store");
            }
        }
    }
    pt_event_free(&ev);
    pt_tracer_close(&r);
    return rc;
}

int main(void)
{
    char dir[] = "/tmp/pytt_dedup_check.XXXXXX";
    if (!mkdtemp(dir)) {
        return fail("mkdtemp");
    }
    char trace[sizeof dir + 8];
    snprintf(trace, sizeof trace, "%s/t", dir);
    uint64_t carried = 0;
    if (mkdir(trace, 0700) < 0 || write_trace(trace, &carried) < 0) {
        return fail("writing the trace");
    }
    char events[sizeof trace + 8];
    snprintf(events, sizeof events, "%s/events", trace);
    struct stat st;
    if (stat(events, &st) < 0) {
        return fail("stat of the events file");
    }
    printf("records carry %llu bytes; the events file has %lld\n", (unsigned long long)carried,
           (long long)st.st_size);
    if ((uint64_t)st.st_size * 3 > carried) {
        return fail("the repeated pages were not logged once (events file over a third of the "
                    "bytes the records carry)");
    }
    if (read_forward(trace) || read_seeking(trace)) {
        return 1;
    }
    char cmd[sizeof dir + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) {
        return fail("removing the work directory");
    }
    printf("PASS dedup_check\n");
    return 0;
}
