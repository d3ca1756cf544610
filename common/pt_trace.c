/*
 * pt_trace: encoding, writing, reading and validating trace records (layout in pt_trace.h and
 * docs/trace-format.md). Every decoded value is checked before use: a trace is input, and a
 * corrupt one must produce "event N is corrupt", never a wild write into the tracee.
 */
#include "pt_trace.h"

#include "pt_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HEADER_MAGIC "PYTTRACE"

/* ---- events ------------------------------------------------------------------------------ */

void pt_event_init(struct pt_event *ev)
{
    memset(ev, 0, sizeof *ev);
    pt_buf_init(&ev->data);
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
    ev->tick = 0;
    ev->nr = -1;
    ev->nargs = 0;
    ev->ret = 0;
    ev->map_kind = PT_MAP_NONE;
    ev->map_path[0] = '\0';
    memset(&ev->map_id, 0, sizeof ev->map_id);
    ev->nregions = 0;
    pt_buf_reset(&ev->data);
    ev->signo = 0;
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
    pt_buf_u8(b, id->kind);
    pt_buf_blob(b, id->id, id->len);
}

static void get_fileid(struct pt_cur *c, struct pt_fileid *id)
{
    size_t n;
    id->size = pt_cur_uv(c);
    id->mtime_ns = pt_cur_sv(c);
    id->kind = pt_cur_u8(c);
    const uint8_t *p = pt_cur_blob(c, &n);
    if (n > sizeof id->id || id->kind > PT_FILEID_HASH) {
        c->bad = 1;
        n = 0;
    }
    id->len = (uint8_t)n;
    if (p) {
        memcpy(id->id, p, n);
    }
}

static void encode_syscall(struct pt_buf *b, const struct pt_event *ev)
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
    pt_buf_uv(b, ev->nregions);
    for (size_t i = 0; i < ev->nregions; i++) {
        pt_buf_uv(b, ev->regions[i].addr);
        pt_buf_blob(b, pt_event_region_data(ev, i), ev->regions[i].len);
    }
}

/* The clock's plan is one blob: the 256-byte redirect map, then, when the eval loop's switch
 * is routed through the clock (3.10), its site (u64), table (u64), length (u8), a zero byte and
 * its entries (u16), little-endian. A 256-byte blob is a plan without a switch, as every
 * recording made before the switch routing existed. */
#define CLOCK_PLAN_SWITCH 20

static void encode_clock_plan(struct pt_buf *b, const struct pt_clock_plan *pl)
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

static void decode_clock_plan(struct pt_cur *c, const uint8_t *p, size_t n,
                              struct pt_clock_plan *pl)
{
    memset(pl, 0, sizeof *pl);
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

static void encode_event(struct pt_buf *b, const struct pt_event *ev)
{
    pt_buf_u8(b, ev->type);
    switch (ev->type) {
    case PT_EV_SYSCALL:
        encode_syscall(b, ev);
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
    case PT_EV_CLOCK:
        pt_buf_uv(b, ev->clock_table);
        encode_clock_plan(b, &ev->clock_plan);
        break;
    case PT_EV_RDTSC:
        pt_buf_uv(b, ev->rax);
        pt_buf_uv(b, ev->rdx);
        pt_buf_uv(b, ev->rcx);
        pt_buf_u8(b, ev->insn_len);
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
    ev->nr = nr < 1024 ? (int32_t)nr : -1;
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
    uint64_t n = pt_cur_uv(c);
    for (uint64_t i = 0; i < n && !c->bad; i++) {
        pt_addr addr = pt_cur_uv(c);
        size_t len;
        const uint8_t *p = pt_cur_blob(c, &len);
        if (!c->bad) {
            memcpy(pt_event_add_region(ev, addr, len), p, len);
        }
    }
}

static int decode_event(struct pt_cur *c, struct pt_event *ev)
{
    pt_event_reset(ev, pt_cur_u8(c));
    size_t n;
    const uint8_t *p;
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
            memcpy(pt_event_add_region(ev, 0, n), p, n);
        }
        break;
    case PT_EV_CLOCK:
        ev->clock_table = pt_cur_uv(c);
        p = pt_cur_blob(c, &n);
        decode_clock_plan(c, p, n, &ev->clock_plan);
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
    if (count > 1u << 20) {
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
    if (p) {
        memcpy(h->stack, p, n);
    }
    h->stack_len = n;
    h->page_addr = pt_cur_uv(c);
    h->page_len = pt_cur_uv(c);
    h->cpu = (int32_t)pt_cur_sv(c);
    if (c->bad || h->stack_end - h->rsp != h->stack_len) {
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

/* ---- writer ------------------------------------------------------------------------------ */

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

int pt_tracew_open(struct pt_trace_writer *w, const char *dir)
{
    memset(w, 0, sizeof *w);
    w->dir = strdup(dir);
    pt_buf_init(&w->scratch);
    char *p = path_join(dir, "events");
    int rc = pt_chunkw_open(&w->ev, p);
    if (rc < 0) {
        free(p);
    }
    return rc;
}

int pt_tracew_header(struct pt_trace_writer *w, const struct pt_header *h)
{
    char *path = path_join(w->dir, "header");
    struct pt_chunk_writer cw;
    int rc = pt_chunkw_open(&cw, path);
    if (rc == 0) {
        uint8_t prologue[12];
        memcpy(prologue, HEADER_MAGIC, 8);
        uint32_t v = PT_TRACE_VERSION;
        memcpy(prologue + 8, &v, 4);
        if (fwrite(prologue, 1, sizeof prologue, cw.f) != sizeof prologue) {
            rc = pt_fail_errno("writing %s", path);
        }
        encode_header(&cw.raw, h);
        pt_chunkw_record_done(&cw);
        if (pt_chunkw_close(&cw) < 0) {
            rc = -1;
        }
    }
    free(path);
    return rc;
}

int pt_tracew_event(struct pt_trace_writer *w, const struct pt_event *ev)
{
    encode_event(&w->ev.raw, ev);
    return pt_chunkw_record_done(&w->ev);
}

int pt_tracew_flush(struct pt_trace_writer *w)
{
    return pt_chunkw_flush(&w->ev);
}

int pt_tracew_close(struct pt_trace_writer *w)
{
    int rc = 0;
    if (w->ev.path) {
        char *p = (char *)w->ev.path;
        rc = pt_chunkw_close(&w->ev);
        free(p);
    }
    pt_buf_free(&w->scratch);
    free(w->dir);
    memset(w, 0, sizeof *w);
    return rc;
}

/* ---- reader ------------------------------------------------------------------------------ */

/* The header file: the 12-byte prologue (magic, version), then a one-record container. */
static int read_header(struct pt_trace_reader *r)
{
    char *path = path_join(r->dir, "header");
    FILE *f = fopen(path, "rbe");
    uint8_t prologue[12];
    int rc = -1;
    if (!f) {
        pt_fail_errno("%s is not a pytt trace: cannot open %s", r->dir, path);
    } else if (fread(prologue, 1, 12, f) != 12 || memcmp(prologue, HEADER_MAGIC, 8) != 0) {
        pt_fail("%s is not a pytt trace header (bad magic)", path);
    } else {
        memcpy(&r->hdr.version, prologue + 8, 4);
        if (r->hdr.version != PT_TRACE_VERSION) {
            pt_fail("%s uses trace format version %u; this pytt reads version %d (re-record "
                    "with this pytt, or use the pytt that made it)",
                    path, r->hdr.version, PT_TRACE_VERSION);
        } else {
            rc = 0;
        }
    }
    if (f) {
        fclose(f);
    }
    struct pt_chunk_reader cr;
    if (rc == 0 && pt_chunkr_open_at(&cr, path, 12) < 0) {
        rc = pt_wrap("reading trace header");
    } else if (rc == 0 && pt_chunkr_next(&cr) != 1) {
        rc = pt_fail("trace header %s has no record", path);
    } else if (rc == 0) {
        struct pt_cur c;
        pt_cur_init(&c, cr.raw.data, cr.raw.len);
        if (decode_header(&c, &r->hdr) < 0) {
            rc = pt_fail("trace header %s is corrupt", path);
        }
    }
    if (r->hdr.version == PT_TRACE_VERSION) {
        pt_chunkr_close(&cr);
    }
    free(path);
    return rc;
}

static int count_events(struct pt_trace_reader *r)
{
    struct pt_chunk_reader *cr = &r->ev;
    if (cr->nchunks == 0) {
        return pt_fail("trace %s has an empty event log (the recording never started)", r->dir);
    }
    /* The last chunk must end with the END record: otherwise the recorder died mid-write. */
    pt_chunkr_seek(cr, cr->nchunks - 1);
    if (pt_chunkr_next(cr) != 1) {
        return -1;
    }
    struct pt_cur c;
    pt_cur_init(&c, cr->raw.data, cr->raw.len);
    struct pt_event ev;
    pt_event_init(&ev);
    uint64_t seq = cr->chunks[cr->nchunks - 1].first_record;
    int rc = 0;
    while (!pt_cur_done(&c)) {
        if (decode_event(&c, &ev) < 0) {
            rc = pt_fail("trace %s is corrupt at event %llu", r->dir, (unsigned long long)seq);
            break;
        }
        if (ev.type == PT_EV_SYSCALL && ev.tick) {
            r->last_tick = ev.tick;
        }
        seq++;
    }
    if (rc == 0 && ev.type != PT_EV_END) {
        rc = pt_fail("trace %s is incomplete: its event log stops at event %llu without an "
                     "end record (pytt record was killed, or the file was truncated)",
                     r->dir, (unsigned long long)seq);
    }
    pt_event_free(&ev);
    r->nevents = seq;
    pt_chunkr_seek(cr, 0);
    pt_cur_init(&r->cur, NULL, 0);
    return rc;
}

int pt_tracer_open(struct pt_trace_reader *r, const char *dir)
{
    memset(r, 0, sizeof *r);
    r->dir = strdup(dir);
    pt_event_init(&r->peeked);
    if (read_header(r) < 0) {
        return -1;
    }
    char *p = path_join(dir, "events");
    int rc = pt_chunkr_open(&r->ev, p);
    free(p);
    if (rc < 0) {
        return -1;
    }
    return count_events(r);
}

static int decode_next(struct pt_trace_reader *r, struct pt_event *ev)
{
    while (pt_cur_done(&r->cur)) {
        int got = pt_chunkr_next(&r->ev);
        if (got <= 0) {
            return got;
        }
        pt_cur_init(&r->cur, r->ev.raw.data, r->ev.raw.len);
    }
    if (decode_event(&r->cur, ev) < 0) {
        return pt_fail("trace %s is corrupt at event %llu", r->dir,
                       (unsigned long long)r->next_seq);
    }
    ev->seq = r->next_seq++;
    return 1;
}

static void event_copy(struct pt_event *dst, const struct pt_event *src)
{
    struct pt_region *regions = dst->regions;
    size_t cap = dst->regions_cap;
    struct pt_buf data = dst->data;
    memcpy(dst, src, sizeof *dst);
    dst->regions = regions;
    dst->regions_cap = cap;
    dst->data = data;
    dst->nregions = 0;
    pt_buf_reset(&dst->data);
    for (size_t i = 0; i < src->nregions; i++) {
        memcpy(pt_event_add_region(dst, src->regions[i].addr, src->regions[i].len),
               pt_event_region_data(src, i), src->regions[i].len);
    }
}

int pt_tracer_next(struct pt_trace_reader *r, struct pt_event *ev)
{
    if (r->have_peeked) {
        r->have_peeked = 0;
        event_copy(ev, &r->peeked);
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
    free(r->dir);
    memset(r, 0, sizeof *r);
}
