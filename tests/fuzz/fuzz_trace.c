/*
 * fuzz_trace: libFuzzer target for everything pytt reads from a trace directory before and
 * while it replays: the header and meta small files, the chunked event log (salvage of a cut
 * log included), every record's decoder, seeking, and the sources file. The input is split
 * into the files of a trace directory:
 *
 *   u16 header_len, header bytes, u16 meta_len, meta bytes, u16 sources_len, sources bytes,
 *   then the events file
 *
 * written to a private directory under /dev/shm for each run. Nothing may crash, leak or read
 * out of bounds (built with ASan and UBSan), and nothing may take long.
 */
#define _GNU_SOURCE
#include "common/pt_error.h"
#include "common/pt_meta.h"
#include "common/pt_sources.h"
#include "common/pt_trace.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void put_file(const char *name, const uint8_t *p, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
        if (n && write(fd, p, n) != (ssize_t)n) {
            /* a short file is a test case too */
        }
        close(fd);
    }
}

static size_t take(const uint8_t **p, size_t *n, const char *name)
{
    size_t len = 0;
    if (*n >= 2) {
        len = (size_t)(*p)[0] | (size_t)(*p)[1] << 8;
        *p += 2;
        *n -= 2;
    }
    len = len < *n ? len : *n;
    put_file(name, *p, len);
    *p += len;
    *n -= len;
    return len;
}

static void read_all(void)
{
    struct pt_trace_reader r;
    struct pt_event ev;
    pt_event_init(&ev);
    if (pt_tracer_open(&r, dir) == 0) {
        uint64_t n = 0;
        while (pt_tracer_next(&r, &ev) == 1 && n++ < 100000) {
            if (n == 3) {
                pt_tracer_peek(&r);
            }
        }
        if (r.nevents > 2) {
            pt_tracer_seek(&r, r.nevents / 2);
            pt_tracer_next(&r, &ev);
        }
    }
    pt_tracer_close(&r);
    pt_event_free(&ev);
    struct pt_meta m;
    pt_meta_read(dir, &m);
    struct pt_sources s;
    pt_sources_read(dir, &s);
    pt_sources_free(&s);
    char esc[256];
    pt_escape(pt_errmsg(), esc, sizeof esc);
    pt_err_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/dev/shm/pytt-fuzz-%d", (int)getpid());
        mkdir(dir, 0700);
    }
    const uint8_t *p = data;
    size_t n = size;
    take(&p, &n, "header");
    take(&p, &n, "meta");
    take(&p, &n, "sources");
    put_file("events", p, n);
    read_all();
    return 0;
}
