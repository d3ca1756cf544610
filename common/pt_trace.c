/*
 * pt_trace: encoding, writing, reading and validating trace records (layout in pt_trace.h and
 * docs/trace-format.md). Every decoded value is checked before use: a trace is input, and a
 * corrupt one must produce "event N is corrupt", never a wild write into the tracee.
 */
#define _GNU_SOURCE
#include "pt_trace.h"
#include "pt_dedup.h"
#include "pt_startup.h"
#include "pt_sysbuf.h"

#include "pt_error.h"
#include "pt_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define HEADER_MAGIC "PYTTRACE"

/* ---- events ------------------------------------------------------------------------------ */

void pt_event_init(struct pt_event *ev)
{
    memset(ev, 0, sizeof *ev);
    pt_buf_init(&ev->data);
    ev->copy_region = -1;
}

void pt_event_free(struct pt_event *ev)
{
    free(ev->regions);
    pt_buf_free(&ev->data);
    memset(ev, 0, sizeof *ev);
}

void pt_event_reset(struct pt_event *ev, uint8_t type)
{
    ev->type = type;
    ev->tid = 0;
    ev->switch_from = 0;
    ev->switch_at = PT_SWITCH_NONE;
    ev->switch_nr = 0;
    ev->tick = 0;
    ev->nr = -1;
    ev->nargs = 0;
    ev->ret = 0;
    ev->map_kind = PT_MAP_NONE;
    ev->map_path[0] = '\0';
    memset(&ev->map_id, 0, sizeof ev->map_id);
    ev->nregions = 0;
    pt_buf_reset(&ev->data);
    ev->copy_region = -1;
    ev->copy_frame = NULL;
    ev->copy_frame_len = 0;
    ev->signo = 0;
    ev->share_at = 0;
    ev->nranges = 0;
    ev->end_how = 0;
    ev->end_code = 0;
    ev->end_msg[0] = '\0';
}

uint8_t *pt_event_add_region(struct pt_event *ev, pt_addr addr, size_t len)
{
    if (ev->nregions == ev->regions_cap) {
        ev->regions_cap = ev->regions_cap ? ev->regions_cap * 2 : 8;
        ev->regions = realloc(ev->regions, ev->regions_cap * sizeof *ev->regions);
        if (!ev->regions) {
            abort();
        }
    }
    struct pt_region *r = &ev->regions[ev->nregions++];
    r->addr = addr;
    r->len = len;
    r->off = ev->data.len;
    pt_buf_reserve(&ev->data, len);
    ev->data.len += len;
    return ev->data.data + r->off;
}

const uint8_t *pt_event_region_data(const struct pt_event *ev, size_t i)
{
    return ev->data.data + ev->regions[i].off;
}

static void put_fileid(struct pt_buf *b, const struct pt_fileid *id)
{
    pt_buf_uv(b, id->size);
    pt_buf_sv(b, id->mtime_ns);
    pt_buf_blob(b, id->bid, id->bid_len);
    pt_buf_uv(b, id->hash);
}

static void get_fileid(struct pt_cur *c, struct pt_fileid *id)
{
    size_t n;
    memset(id, 0, sizeof *id);
    id->size = pt_cur_uv(c);
    id->mtime_ns = pt_cur_sv(c);
    const uint8_t *p = pt_cur_blob(c, &n);
    if (n > sizeof id->bid) {
        c->bad = 1;
        n = 0;
    }
    id->bid_len = (uint8_t)n;
    if (p && n) {
        memcpy(id->bid, p, n);
    }
    id->hash = pt_cur_uv(c);
}

/* ---- LOADER state: u64 brk, the registers and FP registers (blobs of their struct's size),
 * uv nmaps, then per mapping: uv addr, uv len, uv off, uv prot, uv flags, u8 kind, str path,
 * and the file's identity when kind is PT_MAP_FILE. */

void pt_loader_encode(struct pt_buf *out, const struct pt_loader *l)
{
    pt_buf_uv(out, l->brk);
    pt_buf_blob(out, &l->regs, sizeof l->regs);
    pt_buf_blob(out, &l->fpregs, sizeof l->fpregs);
    pt_buf_uv(out, l->nmaps);
    for (uint32_t i = 0; i < l->nmaps; i++) {
        const struct pt_loader_map *m = &l->maps[i];
        pt_buf_uv(out, m->addr);
        pt_buf_uv(out, m->len);
        pt_buf_uv(out, m->off);
        pt_buf_uv(out, m->prot);
        pt_buf_uv(out, m->flags);
        pt_buf_u8(out, m->kind);
        pt_buf_str(out, m->path);
        if (m->kind == PT_MAP_FILE) {
            put_fileid(out, &m->id);
        }
    }
}

static void get_loader_blob(struct pt_cur *c, void *dst, size_t want)
{
    size_t n;
    const uint8_t *p = pt_cur_blob(c, &n);
    if (c->bad || n != want) {
        c->bad = 1;
        return;
    }
    memcpy(dst, p, n);
}

static void decode_copy_str(struct pt_cur *c, char *dst, size_t cap);

/* Does [addr, addr+len) touch pytt's own pages in the tracee (its stubs, the syscall
 * buffer's area), which no trace may map, write or jump into? */
static int in_pytts_pages(uint64_t addr, uint64_t len)
{
    const uint64_t lo = PT_PAGE_ADDR, hi = PT_SYSBUF_AREA + PT_SYSBUF_AREA_LEN;
    return addr + len < addr || (addr < hi && addr + len > lo);
}

/* Mappings must be page-aligned, ordered, apart, in user space, of known kinds. */
static int loader_map_ok(const struct pt_loader_map *m, const struct pt_loader_map *prev)
{
    const uint64_t top = 1ull << 47;
    return m->addr % 4096 == 0 && m->len % 4096 == 0 && m->len && m->addr < top &&
           m->len <= top - m->addr && m->off % 4096 == 0 && m->prot <= 7 &&
           !in_pytts_pages(m->addr, m->len) && m->flags <= (PT_LOADER_HEAP | PT_LOADER_STACK) &&
           m->kind <= PT_MAP_COPY && (!prev || m->addr >= prev->addr + prev->len);
}

int pt_loader_parse(const struct pt_event *ev, struct pt_loader *l)
{
    memset(l, 0, sizeof *l);
    if (ev->type != PT_EV_LOADER || ev->nregions == 0 || ev->regions[0].addr != 0) {
        return pt_fail("a LOADER event without its state");
    }
    struct pt_cur c;
    pt_cur_init(&c, pt_event_region_data(ev, 0), ev->regions[0].len);
    l->brk = pt_cur_uv(&c);
    get_loader_blob(&c, &l->regs, sizeof l->regs);
    get_loader_blob(&c, &l->fpregs, sizeof l->fpregs);
    uint64_t n = pt_cur_uv(&c);
    if (c.bad || n > PT_LOADER_MAX || in_pytts_pages(l->regs.rip, 16)) {
        return pt_fail("a LOADER event's state is corrupt");
    }
    l->maps = calloc(n ? n : 1, sizeof *l->maps);
    for (uint64_t i = 0; i < n && !c.bad; i++) {
        struct pt_loader_map *m = &l->maps[i];
        m->addr = pt_cur_uv(&c);
        m->len = pt_cur_uv(&c);
        m->off = pt_cur_uv(&c);
        m->prot = (uint32_t)pt_cur_uv(&c);
        m->flags = (uint32_t)pt_cur_uv(&c);
        m->kind = pt_cur_u8(&c);
        decode_copy_str(&c, m->path, sizeof m->path);
        if (m->kind == PT_MAP_FILE) {
            get_fileid(&c, &m->id);
        }
        if (!c.bad && (!loader_map_ok(m, i ? m - 1 : NULL) ||
                       (m->kind == PT_MAP_FILE && m->path[0] != '/'))) {
            c.bad = 1;
        }
        l->nmaps = (uint32_t)i + 1;
    }
    if (c.bad || !pt_cur_done(&c)) {
        pt_loader_free(l);
        return pt_fail("a LOADER event's state is corrupt");
    }
    return 0;
}

void pt_loader_free(struct pt_loader *l)
{
    free(l->maps);
    l->maps = NULL;
    l->nmaps = 0;
}

/* The bytes of the copy region i of ev (pt_event's copy_region), after their length in
 * cw->raw: a zstd frame of their own, from the copy cache or compressed now and stored there.
 * They go inline with the rest when that fails (a short read: fewer bytes than the key's). */
static void encode_copy(struct pt_chunk_writer *cw, const struct pt_event *ev, size_t i,
                        struct pt_buf *scratch)
{
    size_t len = ev->regions[i].len;
    const uint8_t *p = pt_event_region_data(ev, i);
    pt_buf_uv(&cw->raw, len);
    if (ev->copy_frame && pt_chunkw_frame(cw, ev->copy_frame, ev->copy_frame_len, len) == 0) {
        return;
    }
    pt_err_clear(); /* (a cached frame is checked when read: this does not happen) */
    if (len != ev->copy_key.len || pt_chunkw_compress(cw, p, len, scratch) < 0 ||
        pt_chunkw_frame(cw, scratch->data, scratch->len, len) < 0) {
        pt_err_clear();
        pt_buf_put(&cw->raw, p, len);
        return;
    }
    pt_copycache_put(&ev->copy_key, ev->copy_hash, scratch->data, scratch->len);
}

/* An event's regions: uv:n {uv:addr blob:bytes}*. With a chunk writer (cw, b its raw buffer),
 * the copy region's bytes go into a frame of their own (encode_copy). */
static void encode_regions(struct pt_buf *b, const struct pt_event *ev, struct pt_chunk_writer *cw,
                           struct pt_buf *scratch)
{
    pt_buf_uv(b, ev->nregions);
    for (size_t i = 0; i < ev->nregions; i++) {
        pt_buf_uv(b, ev->regions[i].addr);
        if (cw && (int)i == ev->copy_region) {
            encode_copy(cw, ev, i, scratch);
        } else {
            pt_buf_blob(b, pt_event_region_data(ev, i), ev->regions[i].len);
        }
    }
}

static void decode_regions(struct pt_cur *c, struct pt_event *ev)
{
    uint64_t n = pt_cur_uv(c);
    for (uint64_t i = 0; i < n && !c->bad; i++) {
        pt_addr addr = pt_cur_uv(c);
        size_t len;
        const uint8_t *p = pt_cur_blob(c, &len);
        uint8_t *dst = c->bad ? NULL : pt_event_add_region(ev, addr, len);
        if (dst && len) {
            memcpy(dst, p, len);
        }
    }
}

static void encode_syscall(struct pt_buf *b, const struct pt_event *ev, struct pt_trace_writer *w)
{
    pt_buf_uv(b, (uint64_t)ev->nr);
    pt_buf_uv(b, ev->tick);
    pt_buf_u8(b, ev->nargs);
    for (int i = 0; i < ev->nargs; i++) {
        pt_buf_uv(b, ev->args[i]);
    }
    pt_buf_sv(b, ev->ret);
    pt_buf_u8(b, ev->map_kind);
    if (ev->map_kind == PT_MAP_FILE) {
        pt_buf_str(b, ev->map_path);
        put_fileid(b, &ev->map_id);
    }
    encode_regions(b, ev, &w->ev, &w->copy_scratch);
}

/* The clock plan's redirect blob: the 256-byte redirect map, then, when the eval loop's switch
 * is routed through the clock (3.10), its site (u64), table (u64), length (u8), a zero byte and
 * its entries (u16), little-endian. A 256-byte blob is a plan without a switch. */
#define CLOCK_PLAN_SWITCH 20

static void encode_clock_redirect(struct pt_buf *b, const struct pt_clock_plan *pl)
{
    uint8_t blob[256 + CLOCK_PLAN_SWITCH] = {0};
    size_t n = 256;
    memcpy(blob, pl->redirect, 256);
    if (pl->switch_site) {
        memcpy(blob + 256, &pl->switch_site, 8);
        memcpy(blob + 264, &pl->switch_table, 8);
        blob[272] = pl->switch_len;
        memcpy(blob + 274, &pl->switch_n, 2);
        n += CLOCK_PLAN_SWITCH;
    }
    pt_buf_blob(b, blob, n);
}

static void decode_clock_redirect(struct pt_cur *c, const uint8_t *p, size_t n,
                                  struct pt_clock_plan *pl)
{
    if (c->bad || (n != 256 && n != 256 + CLOCK_PLAN_SWITCH)) {
        c->bad = 1;
        return;
    }
    memcpy(pl->redirect, p, 256);
    if (n > 256) {
        memcpy(&pl->switch_site, p + 256, 8);
        memcpy(&pl->switch_table, p + 264, 8);
        pl->switch_len = p[272];
        memcpy(&pl->switch_n, p + 274, 2);
    }
}

static void encode_share(struct pt_buf *b, const struct pt_event *ev)
{
    pt_buf_u8(b, ev->share_at);
    pt_buf_uv(b, ev->tick);
    pt_buf_uv(b, ev->nranges);
    for (uint32_t i = 0; i < ev->nranges; i++) {
        pt_buf_uv(b, ev->ranges[i].addr);
        pt_buf_uv(b, ev->ranges[i].len);
        pt_buf_uv(b, ev->ranges[i].prot);
        pt_buf_uv(b, ev->ranges[i].open_prot);
    }
    encode_regions(b, ev, NULL, NULL);
}

static void decode_share(struct pt_cur *c, struct pt_event *ev)
{
    ev->share_at = pt_cur_u8(c);
    ev->tick = pt_cur_uv(c);
    uint64_t n = pt_cur_uv(c);
    if (ev->share_at < PT_SHARE_EXIT || ev->share_at > PT_SHARE_ENTRY || n > PT_SHARE_MAX) {
        c->bad = 1;
        return;
    }
    ev->nranges = (uint32_t)n;
    for (uint32_t i = 0; i < ev->nranges; i++) {
        ev->ranges[i].addr = pt_cur_uv(c);
        ev->ranges[i].len = pt_cur_uv(c);
        ev->ranges[i].prot = (uint32_t)pt_cur_uv(c);
        ev->ranges[i].open_prot = (uint32_t)pt_cur_uv(c);
    }
    decode_regions(c, ev);
}

/* Appends ev to w's buffered records (w->dd: its store of literals, repeated read data logged
 * once, pt_dedup.h). */
static void encode_event(struct pt_trace_writer *w, const struct pt_event *ev)
{
    struct pt_buf *b = &w->ev.raw;
    struct pt_dedup *dd = &w->dd;
    pt_buf_u8(b, ev->type);
    pt_buf_uv(b, (uint64_t)(uint32_t)ev->tid);
    switch (ev->type) {
    case PT_EV_SYSCALL:
        encode_syscall(b, ev, w);
        break;
    case PT_EV_SIGNAL:
    case PT_EV_FAULT:
        pt_buf_uv(b, (uint64_t)ev->signo);
        pt_buf_uv(b, ev->tick);
        pt_buf_blob(b, ev->siginfo, sizeof ev->siginfo);
        break;
    case PT_EV_OUTPUT:
        pt_buf_uv(b, (uint64_t)ev->signo);
        pt_buf_blob(b, pt_event_region_data(ev, 0), ev->regions[0].len);
        break;
    case PT_EV_SYSBUF:
        pt_dedup_encode(dd, pt_event_region_data(ev, 0), ev->regions[0].len, b);
        break;
    case PT_EV_CLOCK:
        pt_buf_uv(b, ev->clock_plan.table);
        pt_buf_uv(b, ev->clock_plan.countdown);
        encode_clock_redirect(b, &ev->clock_plan);
        pt_buf_blob(b, ev->clock_plan.counted, sizeof ev->clock_plan.counted);
        break;
    case PT_EV_RDTSC:
        pt_buf_uv(b, ev->rax);
        pt_buf_uv(b, ev->rdx);
        pt_buf_uv(b, ev->rcx);
        pt_buf_u8(b, ev->insn_len);
        break;
    case PT_EV_SWITCH:
        pt_buf_uv(b, (uint64_t)(uint32_t)ev->switch_from);
        pt_buf_u8(b, ev->switch_at);
        pt_buf_uv(b, (uint64_t)(uint32_t)ev->switch_nr);
        pt_buf_uv(b, ev->tick);
        break;
    case PT_EV_SHARE:
        encode_share(b, ev);
        break;
    case PT_EV_LOADER:
        pt_buf_reserve(b, ev->data.len + 16 * ev->nregions + 16); /* hundreds of KB: one move */
        encode_regions(b, ev, &w->ev, &w->copy_scratch);
        break;
    case PT_EV_END:
        pt_buf_u8(b, ev->end_how);
        pt_buf_sv(b, ev->end_code);
        pt_buf_str(b, ev->end_msg);
        break;
    }
}

static void decode_copy_str(struct pt_cur *c, char *dst, size_t cap)
{
    size_t n;
    const uint8_t *p = pt_cur_blob(c, &n);
    if (n >= cap) {
        c->bad = 1;
        n = 0;
    }
    if (p) {
        memcpy(dst, p, n);
    }
    dst[n] = '\0';
}

static void decode_syscall(struct pt_cur *c, struct pt_event *ev)
{
    uint64_t nr = pt_cur_uv(c);
    ev->nr = nr < 1024 || nr == PT_SYSBUF_NR ? (int32_t)nr : -1;
    ev->tick = pt_cur_uv(c);
    ev->nargs = pt_cur_u8(c);
    if (ev->nr < 0 || ev->nargs > 6) {
        c->bad = 1;
        return;
    }
    for (int i = 0; i < ev->nargs; i++) {
        ev->args[i] = pt_cur_uv(c);
    }
    ev->ret = pt_cur_sv(c);
    ev->map_kind = pt_cur_u8(c);
    if (ev->map_kind > PT_MAP_COPY) {
        c->bad = 1;
        return;
    }
    if (ev->map_kind == PT_MAP_FILE) {
        decode_copy_str(c, ev->map_path, sizeof ev->map_path);
        get_fileid(c, &ev->map_id);
    }
    decode_regions(c, ev);
}

static int32_t decode_tid(struct pt_cur *c)
{
    uint64_t v = pt_cur_uv(c);
    if (v > INT32_MAX) {
        c->bad = 1;
        return 0;
    }
    return (int32_t)v;
}

int pt_sysbuf_records_ok(const uint8_t *p, size_t n)
{
    if (n == 0 || n > PT_SYSBUF_SLOT_LEN - sizeof(struct pt_sysbuf_hdr)) {
        return -1;
    }
    for (size_t off = 0; off < n;) {
        struct pt_sysbuf_rec r;
        if (n - off < sizeof r) {
            return -1;
        }
        memcpy(&r, p + off, sizeof r);
        if (r.size < sizeof r || r.size % 8 || r.size > n - off || r.outlen > r.size - sizeof r ||
            r.nr >= 1024) {
            return -1;
        }
        off += r.size;
    }
    return 0;
}

static int fetch_literal(void *ctx, uint64_t id, struct pt_buf *out);

/* A SYSBUF event's records: with lits (the reader's scan of the whole log at open, and its
 * look-ups of literals), checked and left as logged, their literals counted in *lits; without,
 * expanded to what the library wrote through the reader's store (pt_dedup.h). */
static void decode_sysbuf(struct pt_cur *c, struct pt_event *ev, struct pt_trace_reader *r,
                          uint64_t *lits)
{
    size_t n;
    const uint8_t *p = pt_cur_blob(c, &n);
    if (c->bad) {
        return;
    }
    if (lits) {
        if (n == 0 || pt_dedup_scan(p, n, lits) < 0) {
            c->bad = 1;
        } else {
            memcpy(pt_event_add_region(ev, 0, n), p, n);
        }
        return;
    }
    size_t len;
    if (pt_dedup_expanded_len(p, n, &len) < 0) {
        c->bad = 1;
        return;
    }
    uint8_t *dst = pt_event_add_region(ev, 0, len);
    if (pt_dedup_expand(&r->dd, p, n, dst, len, fetch_literal, r) < 0 ||
        pt_sysbuf_records_ok(dst, len) < 0) {
        c->bad = 1;
    }
}

/* Its regions, the first of them a state that parses; none of the others at address 0. */
static void decode_loader(struct pt_cur *c, struct pt_event *ev)
{
    decode_regions(c, ev);
    struct pt_loader l;
    if (c->bad || pt_loader_parse(ev, &l) < 0) {
        pt_err_clear();
        c->bad = 1;
        return;
    }
    pt_loader_free(&l);
    for (size_t i = 1; i < ev->nregions; i++) {
        if (ev->regions[i].addr == 0 || in_pytts_pages(ev->regions[i].addr, ev->regions[i].len)) {
            c->bad = 1;
        }
    }
}

static int decode_event(struct pt_cur *c, struct pt_event *ev, struct pt_trace_reader *r,
                        uint64_t *lits)
{
    pt_event_reset(ev, pt_cur_u8(c));
    size_t n;
    const uint8_t *p;
    ev->tid = decode_tid(c);
    switch (ev->type) {
    case PT_EV_SYSCALL:
        decode_syscall(c, ev);
        break;
    case PT_EV_SIGNAL:
    case PT_EV_FAULT:
        ev->signo = (int32_t)pt_cur_uv(c);
        ev->tick = pt_cur_uv(c);
        p = pt_cur_blob(c, &n);
        if (n != sizeof ev->siginfo || ev->signo <= 0 || ev->signo > 64) {
            c->bad = 1;
        } else {
            memcpy(ev->siginfo, p, n);
        }
        break;
    case PT_EV_RDTSC:
        ev->rax = pt_cur_uv(c);
        ev->rdx = pt_cur_uv(c);
        ev->rcx = pt_cur_uv(c);
        ev->insn_len = pt_cur_u8(c);
        break;
    case PT_EV_OUTPUT:
        ev->signo = (int32_t)pt_cur_uv(c);
        p = pt_cur_blob(c, &n);
        if (ev->signo != 1 && ev->signo != 2) {
            c->bad = 1;
        } else if (!c->bad) {
            uint8_t *dst = pt_event_add_region(ev, 0, n);
            if (n) {
                memcpy(dst, p, n);
            }
        }
        break;
    case PT_EV_CLOCK:
        memset(&ev->clock_plan, 0, sizeof ev->clock_plan);
        ev->clock_plan.table = pt_cur_uv(c);
        ev->clock_plan.countdown = pt_cur_uv(c);
        p = pt_cur_blob(c, &n);
        decode_clock_redirect(c, p, n, &ev->clock_plan);
        p = pt_cur_blob(c, &n);
        if (n != sizeof ev->clock_plan.counted) {
            c->bad = 1;
        } else {
            memcpy(ev->clock_plan.counted, p, n);
        }
        break;
    case PT_EV_SWITCH:
        ev->switch_from = decode_tid(c);
        ev->switch_at = pt_cur_u8(c);
        ev->switch_nr = (int32_t)pt_cur_uv(c);
        ev->tick = pt_cur_uv(c);
        if (ev->switch_at > PT_SWITCH_EXITED ||
            (ev->switch_nr >= 1024 && ev->switch_nr != PT_SYSBUF_NR) || ev->tid <= 0) {
            c->bad = 1;
        }
        break;
    case PT_EV_SYSBUF:
        decode_sysbuf(c, ev, r, lits);
        break;
    case PT_EV_SHARE:
        decode_share(c, ev);
        break;
    case PT_EV_LOADER:
        decode_loader(c, ev);
        break;
    case PT_EV_END:
        ev->end_how = pt_cur_u8(c);
        ev->end_code = (int32_t)pt_cur_sv(c);
        decode_copy_str(c, ev->end_msg, sizeof ev->end_msg);
        break;
    default:
        c->bad = 1;
    }
    return c->bad ? -1 : 0;
}

/* ---- header ------------------------------------------------------------------------------ */

static void put_strv(struct pt_buf *b, char **v, size_t n)
{
    pt_buf_uv(b, n);
    for (size_t i = 0; i < n; i++) {
        pt_buf_str(b, v[i]);
    }
}

static char **get_strv(struct pt_cur *c, size_t *n)
{
    uint64_t count = pt_cur_uv(c);
    if (count > (uint64_t)(c->end - c->p)) { /* every string takes at least its length byte */
        c->bad = 1;
        count = 0;
    }
    char **v = calloc(count + 1, sizeof *v);
    for (uint64_t i = 0; i < count; i++) {
        v[i] = pt_cur_strdup(c);
    }
    *n = (size_t)count;
    return v;
}

static void encode_header(struct pt_buf *b, const struct pt_header *h)
{
    pt_buf_str(b, h->pytt_version);
    pt_buf_sv(b, h->record_time_ns);
    pt_buf_str(b, h->hostname);
    pt_buf_str(b, h->kernel);
    pt_buf_str(b, h->exe_path);
    put_fileid(b, &h->exe_id);
    pt_buf_str(b, h->interp_path);
    put_fileid(b, &h->interp_id);
    pt_buf_str(b, h->exec_filename);
    put_strv(b, h->argv, h->argc);
    put_strv(b, h->envp, h->envc);
    pt_buf_str(b, h->cwd);
    pt_buf_uv(b, h->personality);
    pt_buf_uv(b, h->sig_ignored);
    pt_buf_uv(b, h->sig_blocked);
    for (int i = 0; i < PT_NRLIMITS; i++) {
        pt_buf_uv(b, h->rlim_cur[i]);
        pt_buf_uv(b, h->rlim_max[i]);
    }
    pt_buf_uv(b, h->rip);
    pt_buf_uv(b, h->rsp);
    pt_buf_uv(b, h->stack_end);
    pt_buf_blob(b, h->stack, h->stack_len);
    pt_buf_uv(b, h->page_addr);
    pt_buf_uv(b, h->page_len);
    pt_buf_sv(b, h->cpu);
    pt_buf_uv(b, (uint64_t)(uint32_t)h->pid);
    pt_buf_u8(b, h->sysbuf);
}

static int decode_header(struct pt_cur *c, struct pt_header *h)
{
    h->pytt_version = pt_cur_strdup(c);
    h->record_time_ns = pt_cur_sv(c);
    h->hostname = pt_cur_strdup(c);
    h->kernel = pt_cur_strdup(c);
    h->exe_path = pt_cur_strdup(c);
    get_fileid(c, &h->exe_id);
    h->interp_path = pt_cur_strdup(c);
    get_fileid(c, &h->interp_id);
    h->exec_filename = pt_cur_strdup(c);
    h->argv = get_strv(c, &h->argc);
    h->envp = get_strv(c, &h->envc);
    h->cwd = pt_cur_strdup(c);
    h->personality = pt_cur_uv(c);
    h->sig_ignored = pt_cur_uv(c);
    h->sig_blocked = pt_cur_uv(c);
    for (int i = 0; i < PT_NRLIMITS; i++) {
        h->rlim_cur[i] = pt_cur_uv(c);
        h->rlim_max[i] = pt_cur_uv(c);
    }
    h->rip = pt_cur_uv(c);
    h->rsp = pt_cur_uv(c);
    h->stack_end = pt_cur_uv(c);
    size_t n;
    const uint8_t *p = pt_cur_blob(c, &n);
    h->stack = malloc(n ? n : 1);
    if (p && n) {
        memcpy(h->stack, p, n);
    }
    h->stack_len = n;
    h->page_addr = pt_cur_uv(c);
    h->page_len = pt_cur_uv(c);
    h->cpu = (int32_t)pt_cur_sv(c);
    h->pid = decode_tid(c);
    h->sysbuf = c->p < c->end ? pt_cur_u8(c) : 0; /* version 5 */
    if (c->bad || h->sysbuf > 1 || h->stack_end - h->rsp != h->stack_len || h->pid <= 0) {
        return -1;
    }
    return 0;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i]);
    }
    free(v);
}

void pt_header_free(struct pt_header *h)
{
    free(h->pytt_version);
    free(h->hostname);
    free(h->kernel);
    free(h->exe_path);
    free(h->interp_path);
    free(h->exec_filename);
    free_strv(h->argv, h->argc);
    free_strv(h->envp, h->envc);
    free(h->cwd);
    free(h->stack);
    memset(h, 0, sizeof *h);
}

/* ---- small files: magic, version, one record ---------------------------------------------- */

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

int pt_trace_write_small(const char *dir, const char *name, const char *magic,
                         const struct pt_buf *record)
{
    char *path = path_join(dir, name);
    struct pt_chunk_writer cw;
    uint8_t prologue[12];
    uint32_t v = PT_TRACE_VERSION;
    memcpy(prologue, magic, 8);
    memcpy(prologue + 8, &v, 4);
    int rc = pt_chunkw_open(&cw, path);
    if (rc == 0) {
        rc = pt_chunkw_prologue(&cw, prologue, sizeof prologue);
        pt_buf_put(&cw.raw, record->data, record->len);
        pt_chunkw_record_done(&cw);
        if (pt_chunkw_close(&cw) < 0) {
            rc = -1;
        }
    }
    free(path);
    return rc;
}

/* The pytt version that wrote a small file of another format version (its first field). */
static void maker_of(const char *path, char *out, size_t cap)
{
    struct pt_chunk_reader cr;
    snprintf(out, cap, "an unknown pytt");
    if (pt_chunkr_open_at(&cr, path, 12, 0) == 0 && pt_chunkr_next(&cr) == 1) {
        struct pt_cur c;
        pt_cur_init(&c, cr.raw.data, cr.raw.len);
        char *v = pt_cur_strdup(&c);
        char esc[64];
        if (!c.bad && v[0] && strlen(v) < 32) {
            snprintf(out, cap, "pytt %s", pt_escape(v, esc, sizeof esc));
        }
        free(v);
    }
    pt_chunkr_close(&cr);
    pt_err_clear();
}

static int check_prologue(const char *path, const char *magic, uint32_t *version_out)
{
    FILE *f = pt_fopen_regular(path);
    uint8_t prologue[12];
    if (!f) {
        return -1;
    }
    size_t got = fread(prologue, 1, sizeof prologue, f);
    fclose(f);
    if (got != sizeof prologue || memcmp(prologue, magic, 8) != 0) {
        return pt_fail("%s is not a pytt trace file (bad magic)", path);
    }
    uint32_t version;
    memcpy(&version, prologue + 8, 4);
    if (version < PT_TRACE_MIN_VERSION || version > PT_TRACE_VERSION) {
        char maker[64];
        maker_of(path, maker, sizeof maker);
        return pt_fail("%s was made by %s in trace format version %u; this pytt reads versions "
                       "%d to %d only: record the program again with this pytt, or replay the "
                       "trace with the pytt that made it",
                       path, maker, version, PT_TRACE_MIN_VERSION, PT_TRACE_VERSION);
    }
    *version_out = version;
    return 0;
}

/* The record of a small file, and the format version it was written in. */
static int read_small(const char *dir, const char *name, const char *magic, struct pt_buf *record,
                      uint32_t *version)
{
    char *path = path_join(dir, name);
    struct pt_chunk_reader cr;
    int rc = check_prologue(path, magic, version);
    memset(&cr, 0, sizeof cr);
    if (rc == 0 && pt_chunkr_open_at(&cr, path, 12, 0) < 0) {
        rc = -1;
    } else if (rc == 0 && pt_chunkr_next(&cr) != 1) {
        rc = pt_fail("%s has no record", path);
    } else if (rc == 0) {
        pt_buf_reset(record);
        pt_buf_put(record, cr.raw.data, cr.raw.len);
    }
    pt_chunkr_close(&cr);
    free(path);
    return rc;
}

int pt_trace_read_small(const char *dir, const char *name, const char *magic, struct pt_buf *record)
{
    uint32_t version;
    return read_small(dir, name, magic, record, &version);
}

/* ---- escaping ------------------------------------------------------------------------------ */

/* Length of a valid, printable UTF-8 sequence at p (0 if invalid or a C1 control). */
static size_t utf8_len(const unsigned char *p)
{
    if (p[0] >= 0xc2 && p[0] <= 0xdf && (p[1] & 0xc0) == 0x80) {
        return p[0] == 0xc2 && p[1] < 0xa0 ? 0 : 2; /* U+0080..U+009F: C1 controls */
    }
    if (p[0] >= 0xe0 && p[0] <= 0xef && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
        return (p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ? 0 : 3;
    }
    if (p[0] >= 0xf0 && p[0] <= 0xf4 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80 &&
        (p[3] & 0xc0) == 0x80) {
        return (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90) ? 0 : 4;
    }
    return 0;
}

char *pt_escape(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p && n + 5 < cap) {
        size_t k = *p >= 0x20 && *p < 0x7f ? 1 : (*p >= 0x80 ? utf8_len(p) : 0);
        if (*p == '\\') {
            out[n++] = '\\';
            out[n++] = '\\';
            p++;
        } else if (k == 0) {
            n += (size_t)snprintf(out + n, cap - n, "\\x%02x", *p++);
        } else if (n + k < cap) {
            memcpy(out + n, p, k);
            n += k;
            p += k;
        } else {
            break;
        }
    }
    out[n] = '\0';
    return out;
}

/* ---- writer ------------------------------------------------------------------------------ */

/* The reserve is written (one pwritev of zeros), not fallocate'd: the blocks a write dirties are
 * only reserved (delayed allocation: ext4, xfs, btrfs), and deleting them before writeback, at
 * the end of a short recording, is cheap, while the blocks fallocate allocates must be freed
 * (and discarded, on a filesystem mounted -o discard): `-c pass` ~0.1-0.2 ms less. */
static void make_reserve(struct pt_trace_writer *w)
{
    w->reserve = path_join(w->dir, "reserve");
    int fd = pt_create_private(w->reserve);
    static const char zeros[16384];
    struct iovec iov[PT_TRACE_RESERVE / sizeof zeros];
    for (size_t i = 0; i < sizeof iov / sizeof iov[0]; i++) {
        iov[i] = (struct iovec){(void *)zeros, sizeof zeros};
    }
    int ok = fd >= 0;
    ssize_t got = ok ? pwritev(fd, iov, (int)(sizeof iov / sizeof iov[0]), 0) : -1;
    for (size_t at = got > 0 ? (size_t)got : 0; ok && at < PT_TRACE_RESERVE;) {
        size_t n = PT_TRACE_RESERVE - at < sizeof zeros ? PT_TRACE_RESERVE - at : sizeof zeros;
        ok = pt_pwrite_all(fd, zeros, n, (long long)at) == 0; /* after a short pwritev */
        at += n;
    }
    if (fd >= 0) {
        close(fd);
    }
    if (!ok) {
        unlink(w->reserve); /* no room even for that: the first flush will say so */
    }
    pt_err_clear();
}

int pt_tracew_open(struct pt_trace_writer *w, const char *dir)
{
    memset(w, 0, sizeof *w);
    w->dir = strdup(dir);
    pt_buf_init(&w->scratch);
    pt_buf_init(&w->copy_scratch);
    pt_dedup_init(&w->dd, 1);
    char *p = path_join(dir, "events");
    int rc = pt_chunkw_open(&w->ev, p);
    free(p);
    if (rc == 0) {
        make_reserve(w);
    }
    return rc;
}

int pt_tracew_header(struct pt_trace_writer *w, const struct pt_header *h)
{
    pt_buf_reset(&w->scratch);
    encode_header(&w->scratch, h);
    return pt_trace_write_small(w->dir, "header", HEADER_MAGIC, &w->scratch);
}

/* The literals in complete chunks: what the writer's store may go back to after a drop. */
static void note_written(struct pt_trace_writer *w)
{
    if (!pt_chunkw_pending(&w->ev)) {
        w->lits_written = w->dd.next_id;
    }
}

int pt_tracew_event(struct pt_trace_writer *w, const struct pt_event *ev)
{
    encode_event(w, ev);
    int rc = pt_chunkw_record_done(&w->ev);
    note_written(w);
    return rc;
}

int pt_tracew_flush(struct pt_trace_writer *w)
{
    int rc = pt_chunkw_flush(&w->ev);
    note_written(w);
    return rc;
}

int pt_tracew_flush_async(struct pt_trace_writer *w)
{
    int rc = pt_chunkw_flush_async(&w->ev);
    note_written(w);
    return rc;
}

void pt_tracew_drop(struct pt_trace_writer *w)
{
    pt_chunkw_drop(&w->ev);
    /* the dropped records' literals are not in the log: no reference may name them */
    pt_dedup_clear(&w->dd);
    w->dd.next_id = w->lits_written;
}

int pt_tracew_salvage(struct pt_trace_writer *w)
{
    if (w->reserve) {
        unlink(w->reserve);
        free(w->reserve);
        w->reserve = NULL;
    }
    int written = pt_chunkw_flush(&w->ev) == 0;
    if (!written) {
        pt_tracew_drop(w);
    }
    note_written(w);
    pt_err_clear();
    return written;
}

int pt_tracew_reserve_to(struct pt_trace_writer *w, const char *path)
{
    if (!w->reserve || rename(w->reserve, path) != 0) {
        return -1;
    }
    free(w->reserve);
    w->reserve = NULL;
    return 0;
}

int pt_tracew_close(struct pt_trace_writer *w)
{
    int rc = 0;
    if (w->ev.path) {
        rc = pt_chunkw_close(&w->ev);
    }
    if (w->reserve) {
        unlink(w->reserve);
        free(w->reserve);
    }
    pt_buf_free(&w->scratch);
    pt_buf_free(&w->copy_scratch);
    pt_dedup_free(&w->dd);
    free(w->dir);
    memset(w, 0, sizeof *w);
    return rc;
}

/* ---- reader ------------------------------------------------------------------------------ */

int pt_trace_header_read(const char *dir, struct pt_header *h)
{
    struct pt_buf rec;
    pt_buf_init(&rec);
    memset(h, 0, sizeof *h);
    uint32_t version = 0;
    int rc = read_small(dir, "header", HEADER_MAGIC, &rec, &version);
    if (rc < 0) {
        pt_wrap("%s is not a readable pytt trace", dir);
    } else {
        struct pt_cur c;
        pt_cur_init(&c, rec.data, rec.len);
        h->version = version; /* the format it was written in: replay reads by its rules */
        if (decode_header(&c, h) < 0) {
            rc = pt_fail("the header of trace %s is corrupt", dir);
        }
    }
    pt_buf_free(&rec);
    return rc;
}

int pt_trace_is_trace(const char *dir)
{
    char *path = path_join(dir, "header");
    FILE *f = pt_fopen_regular(path);
    char magic[8];
    int yes = f && fread(magic, 1, 8, f) == 8 && memcmp(magic, HEADER_MAGIC, 8) == 0;
    if (f) {
        fclose(f);
    }
    free(path);
    pt_err_clear();
    return yes;
}

static int read_header(struct pt_trace_reader *r)
{
    return pt_trace_header_read(r->dir, &r->hdr);
}

static void note_file(struct pt_trace_reader *r, const char *path, const struct pt_fileid *id,
                      uint64_t seq)
{
    for (size_t i = 0; i < r->nfiles; i++) {
        if (strcmp(r->files[i].path, path) == 0 && memcmp(&r->files[i].id, id, sizeof *id) == 0) {
            return;
        }
    }
    if ((r->nfiles & (r->nfiles - 1)) == 0) {
        r->files = realloc(r->files, (r->nfiles ? r->nfiles * 2 : 8) * sizeof *r->files);
    }
    r->files[r->nfiles++] = (struct pt_trace_file){strdup(path), *id, seq};
}

/* The files a LOADER event maps by path. */
static int note_loader_files(struct pt_trace_reader *r, const struct pt_event *ev)
{
    struct pt_loader l;
    if (pt_loader_parse(ev, &l) < 0) {
        return -1;
    }
    for (uint32_t i = 0; i < l.nmaps; i++) {
        if (l.maps[i].kind == PT_MAP_FILE) {
            note_file(r, l.maps[i].path, &l.maps[i].id, ev->seq);
        }
    }
    pt_loader_free(&l);
    return 0;
}

/* Decode every record of chunk i (already numbered from *seq). 1: an END record was seen. */
static int scan_chunk_events(struct pt_trace_reader *r, size_t i, uint64_t *seq, uint64_t *lits,
                             struct pt_event *ev)
{
    struct pt_chunk_reader *cr = &r->ev;
    if (cr->chunks[i].first_record != *seq) {
        return pt_fail("trace %s is corrupt: its chunk %zu says it starts at event %llu, but "
                       "%llu events come before it",
                       r->dir, i, (unsigned long long)cr->chunks[i].first_record,
                       (unsigned long long)*seq);
    }
    pt_chunkr_seek(cr, i);
    if (pt_chunkr_next(cr) != 1) {
        return -1;
    }
    struct pt_cur c;
    pt_cur_init(&c, cr->raw.data, cr->raw.len);
    int ended = 0;
    r->chunk_lit[i] = *lits;
    int prev = 0;
    while (!pt_cur_done(&c)) {
        if (ended || decode_event(&c, ev, r, lits) < 0) {
            return pt_fail("trace %s is corrupt at event %llu%s", r->dir, (unsigned long long)*seq,
                           ended ? " (an event after the end)" : "");
        }
        ev->seq = (*seq)++;
        if (ev->type == PT_EV_LOADER && (ev->seq > 1 || (ev->seq == 1 && prev != PT_EV_CLOCK))) {
            return pt_fail("trace %s is corrupt at event %llu (the loader's state, which only "
                           "the start of a trace has)",
                           r->dir, (unsigned long long)ev->seq);
        }
        prev = ev->type;
        if (ev->type == PT_EV_SYSCALL && ev->tick) {
            r->last_tick = ev->tick;
        } else if (ev->type == PT_EV_END) {
            ended = 1;
        }
        if (ev->type == PT_EV_SYSCALL && ev->map_kind == PT_MAP_FILE) {
            note_file(r, ev->map_path, &ev->map_id, ev->seq);
        } else if (ev->type == PT_EV_LOADER && note_loader_files(r, ev) < 0) {
            return -1;
        }
    }
    return ended;
}

static void explain_cut(struct pt_trace_reader *r, uint64_t seq)
{
    char extra[160] = "";
    if (r->ev.cut_bytes) {
        snprintf(extra, sizeof extra,
                 "; %llu bytes of an incomplete chunk at its end were "
                 "ignored",
                 (unsigned long long)r->ev.cut_bytes);
    }
    r->cut_short = 1;
    snprintf(r->cut_reason, sizeof r->cut_reason,
             "the trace was cut short after event %llu%s: its event log has no end record "
             "(pytt record was killed or crashed, or the disk filled up)%s",
             (unsigned long long)(seq ? seq - 1 : 0), seq ? "" : " (it has no events)", extra);
}

static int scan_events(struct pt_trace_reader *r)
{
    struct pt_event ev;
    pt_event_init(&ev);
    uint64_t seq = 0, lits = 0;
    int ended = 0;
    r->chunk_lit = calloc(r->ev.nchunks + 1, sizeof *r->chunk_lit);
    if (!r->chunk_lit) {
        return pt_fail("out of memory");
    }
    for (size_t i = 0; i < r->ev.nchunks && !ended; i++) {
        ended = scan_chunk_events(r, i, &seq, &lits, &ev);
        if (ended < 0) {
            pt_event_free(&ev);
            return -1;
        }
        if (ended && i + 1 < r->ev.nchunks) {
            pt_event_free(&ev);
            return pt_fail("trace %s is corrupt: chunks follow its end record", r->dir);
        }
    }
    pt_event_free(&ev);
    if (!ended) {
        explain_cut(r, seq);
        seq++; /* the made-up END */
    }
    r->nevents = seq;
    r->chunk_lit[r->ev.nchunks] = lits;
    pt_chunkr_seek(&r->ev, 0);
    pt_cur_init(&r->cur, NULL, 0);
    return 0;
}

int pt_tracer_open(struct pt_trace_reader *r, const char *dir)
{
    memset(r, 0, sizeof *r);
    r->dir = strdup(dir);
    pt_event_init(&r->peeked);
    pt_dedup_init(&r->dd, 0);
    pt_buf_init(&r->fetched);
    if (read_header(r) < 0) {
        return -1;
    }
    char *p = path_join(dir, "events");
    /* lazily: scan_events decompresses and checks every chunk right after */
    int rc = pt_chunkr_open_at(&r->ev, p, 0, PT_CHUNKR_SALVAGE | PT_CHUNKR_LAZY);
    free(p);
    struct stat st;
    if (rc == 0 && fstat(fileno(r->ev.f), &st) == 0) {
        int64_t end = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        r->duration_ns = end > r->hdr.record_time_ns ? (uint64_t)(end - r->hdr.record_time_ns) : 0;
    }
    return rc < 0 ? -1 : scan_events(r);
}

/* The END record a cut-short log did not get. */
static int made_up_end(struct pt_trace_reader *r, struct pt_event *ev)
{
    if (!r->cut_short || r->next_seq + 1 != r->nevents) {
        return 0;
    }
    pt_event_reset(ev, PT_EV_END);
    ev->end_how = PT_END_ABORTED;
    snprintf(ev->end_msg, sizeof ev->end_msg, "%s", r->cut_reason);
    ev->seq = r->next_seq++;
    return 1;
}

static int decode_next(struct pt_trace_reader *r, struct pt_event *ev)
{
    while (pt_cur_done(&r->cur)) {
        int got = pt_chunkr_next(&r->ev);
        if (got <= 0) {
            return got < 0 ? -1 : made_up_end(r, ev);
        }
        pt_cur_init(&r->cur, r->ev.raw.data, r->ev.raw.len);
    }
    if (decode_event(&r->cur, ev, r, NULL) < 0) {
        return pt_fail("trace %s is corrupt at event %llu", r->dir,
                       (unsigned long long)r->next_seq);
    }
    ev->seq = r->next_seq++;
    return 1;
}

/* The peeked event handed over without copying its data (a SYSBUF event carries up to 256 KiB):
 * ev takes the peeked event's buffers, the peeked event ev's old (empty) ones. */
static void event_move(struct pt_event *dst, struct pt_event *src)
{
    struct pt_region *regions = dst->regions;
    size_t cap = dst->regions_cap;
    struct pt_buf data = dst->data;
    memcpy(dst, src, sizeof *dst);
    src->regions = regions;
    src->regions_cap = cap;
    src->data = data;
    src->nregions = 0;
    pt_buf_reset(&src->data);
}

int pt_tracer_next(struct pt_trace_reader *r, struct pt_event *ev)
{
    if (r->have_peeked) {
        r->have_peeked = 0;
        if (ev == &r->peeked) {
            return 1;
        }
        event_move(ev, &r->peeked);
        return 1;
    }
    return decode_next(r, ev);
}

const struct pt_event *pt_tracer_peek(struct pt_trace_reader *r)
{
    if (!r->have_peeked) {
        if (decode_next(r, &r->peeked) != 1) {
            return NULL;
        }
        r->have_peeked = 1;
    }
    return &r->peeked;
}

int pt_tracer_seek(struct pt_trace_reader *r, uint64_t seq)
{
    struct pt_chunk_reader *cr = &r->ev;
    size_t chunk = 0;
    for (size_t i = 0; i < cr->nchunks; i++) {
        if (cr->chunks[i].first_record <= seq) {
            chunk = i;
        }
    }
    pt_chunkr_seek(cr, chunk);
    pt_cur_init(&r->cur, NULL, 0);
    r->have_peeked = 0;
    r->next_seq = cr->nchunks ? cr->chunks[chunk].first_record : 0;
    r->dd.next_id = cr->nchunks ? r->chunk_lit[chunk] : 0;
    struct pt_event ev;
    pt_event_init(&ev);
    int rc = 0;
    while (rc == 0 && r->next_seq < seq) {
        int got = decode_next(r, &ev);
        if (got != 1) {
            rc = got < 0 ? -1
                         : pt_fail("trace %s has no event %llu", r->dir, (unsigned long long)seq);
        }
    }
    pt_event_free(&ev);
    return rc;
}

uint64_t pt_tracer_pos(const struct pt_trace_reader *r)
{
    return r->next_seq - (r->have_peeked ? 1 : 0);
}

void pt_tracer_close(struct pt_trace_reader *r)
{
    pt_header_free(&r->hdr);
    pt_chunkr_close(&r->ev);
    pt_event_free(&r->peeked);
    pt_dedup_free(&r->dd);
    pt_buf_free(&r->fetched);
    free(r->chunk_lit);
    for (size_t i = 0; i < r->nfiles; i++) {
        free(r->files[i].path);
    }
    free(r->files);
    free(r->dir);
    memset(r, 0, sizeof *r);
}

/* ---- literals a seek left out of the reader's store ---------------------------------------- */

/* The chunk whose records hold literal id (chunk_lit is ascending). */
static size_t chunk_of_literal(const struct pt_trace_reader *r, uint64_t id)
{
    size_t lo = 0, hi = r->ev.nchunks;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->chunk_lit[mid] <= id) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Literal id's bytes from the chunk that holds them (the store lacks it after a seek). */
static int fetch_literal(void *ctx, uint64_t id, struct pt_buf *out)
{
    struct pt_trace_reader *r = ctx;
    if (!r->chunk_lit || r->ev.nchunks == 0 || id >= r->chunk_lit[r->ev.nchunks]) {
        return pt_fail("trace %s is corrupt: a repeated read names literal %llu, which it does "
                       "not hold",
                       r->dir, (unsigned long long)id);
    }
    size_t i = chunk_of_literal(r, id);
    if (pt_chunkr_load(&r->ev, i, &r->fetched) < 0) {
        return -1;
    }
    struct pt_event ev;
    pt_event_init(&ev);
    struct pt_cur c;
    pt_cur_init(&c, r->fetched.data, r->fetched.len);
    uint64_t lits = r->chunk_lit[i];
    const uint8_t *p = NULL;
    uint32_t len = 0;
    while (!p && !pt_cur_done(&c) && lits <= id) {
        uint64_t first = lits;
        if (decode_event(&c, &ev, r, &lits) < 0) {
            break;
        }
        if (ev.type == PT_EV_SYSBUF && id < lits) {
            p = pt_dedup_find(pt_event_region_data(&ev, 0), ev.regions[0].len, first, id, &len);
        }
    }
    if (p) {
        pt_buf_put(out, p, len);
    }
    pt_event_free(&ev);
    return p ? 0
             : pt_fail("trace %s is corrupt: literal %llu is not in its chunk", r->dir,
                       (unsigned long long)id);
}
