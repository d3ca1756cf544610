/*
 * rep_output: the replayed program's output. Writes are emulated, so the bytes the program
 * passes to write/writev on its original stdout or stderr are copied from its memory to
 * pytt's (or to --program-output). They come from the replayed execution itself, not from the
 * trace: byte-identical output is evidence that replay really re-executed the run. Which
 * descriptors are still the original stdout/stderr is tracked through dup/dup2/dup3/fcntl
 * F_DUPFD/close/close_range, replaying the program's own descriptor operations (pt_fdkinds).
 * What the program's children wrote to those streams when recording is in the log (OUTPUT
 * events, children are not replayed) and is printed where it falls between the program's events.
 *
 * Output is shown once: going back re-executes part of the run from a snapshot, and the
 * writes of that part are emulated again, but their bytes were already shown. The sink keeps
 * the furthest event whose output it has shown (out_shown) and passes on only the output of
 * later events, so a reverse motion prints nothing and a forward one prints exactly what lies
 * beyond the furthest point ever reached. rep_set_reprint(s, 1) restores rr's behaviour
 * (everything re-executed is printed again). An output hook (the TUI's output window) can take
 * the bytes instead of the descriptors.
 */
#define _GNU_SOURCE
#include "rep_internal.h"

#include "common/pt_error.h"
#include "common/pt_fdkinds.h"
#include "common/pt_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

void rep_fd_init(struct rep_session *s)
{
    pt_fdkinds_init(&s->fds);
}

void rep_fd_update(struct rep_session *s)
{
    pt_fdkinds_update(&s->fds, s->ev.nr, s->ev.args, s->ev.ret);
}

int rep_write_output(struct rep_session *s, int kind, const void *buf, size_t n)
{
    int fd = kind == 1 ? s->opt.out_fd : s->opt.err_fd;
    if (pt_write_all(fd, buf, n) < 0) {
        return pt_fail_errno("writing the program's output");
    }
    return 0;
}

/* Is the output of the event being replayed (pt_tracer_pos counts it once taken) new, i.e.
 * beyond the furthest event whose output was shown? Asked once per event. */
static int output_is_new(struct rep_session *s)
{
    uint64_t ev = pt_tracer_pos(&s->tr);
    if (ev > s->out_shown) {
        s->out_shown = ev;
        return 1;
    }
    return s->reprint;
}

int rep_sink_write(struct rep_session *s, int kind, const void *buf, size_t n)
{
    if (s->trace_row) {
        s->trace_row(s->trace_ctx, NULL); /* rows held so far come before this output */
    }
    if (s->out_hook) {
        return s->out_hook(s->out_hook_ctx, kind, buf, n, pt_tracer_pos(&s->tr));
    }
    return rep_write_output(s, kind, buf, n);
}

static int copy_out(struct rep_session *s, int kind, pt_addr addr, size_t n)
{
    char *buf = malloc(n ? n : 1);
    int rc = pt_mem_read(&s->mem, addr, buf, n);
    if (rc == 0) {
        rc = rep_sink_write(s, kind, buf, n);
    }
    free(buf);
    return rc;
}

struct out_ctx {
    struct rep_session *s;
    int kind;
};

static int copy_region(void *ud, pt_addr addr, uint64_t len)
{
    struct out_ctx *o = ud;
    return copy_out(o->s, o->kind, addr, len);
}

int rep_output(struct rep_session *s, const struct user_regs_struct *r)
{
    int kind = pt_fdkinds_get(&s->fds, r->rdi);
    if (!kind || s->ev.ret <= 0 || !output_is_new(s)) {
        return 0;
    }
    uint64_t done = (uint64_t)s->ev.ret; /* what the kernel accepted when recording */
    if (s->ev.nr == SYS_write) {
        return copy_out(s, kind, r->rsi, done < r->rdx ? done : r->rdx);
    }
    struct out_ctx o = {s, kind};
    return pt_sc_iovec_regions(&s->mem, r->rsi, r->rdx, done, copy_region, &o); /* writev */
}

void rep_set_reprint(struct rep_session *s, int on)
{
    s->reprint = on;
}

int rep_reprint(const struct rep_session *s)
{
    return s->reprint;
}

void rep_set_output_hook(struct rep_session *s,
                         int (*fn)(void *ctx, int kind, const void *buf, size_t n, uint64_t event),
                         void *ctx)
{
    s->out_hook = fn;
    s->out_hook_ctx = ctx;
}

int rep_child_output(struct rep_session *s)
{
    for (;;) {
        const struct pt_event *nx = pt_tracer_peek(&s->tr);
        if (!nx || nx->type != PT_EV_OUTPUT) {
            return 0;
        }
        if (pt_tracer_next(&s->tr, &s->ev) != 1) {
            return -1;
        }
        if (s->ev.nregions == 1 && output_is_new(s) &&
            rep_sink_write(s, s->ev.signo, pt_event_region_data(&s->ev, 0), s->ev.regions[0].len) <
                0) {
            return -1;
        }
    }
}
