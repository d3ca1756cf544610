/*
 * cmd_events: `pytt events [DIR] [FIRST [LAST]]` prints a trace's event log, one event per line
 * (like `rr dump`): for looking into a recording, a divergence, or the trace format itself.
 */
#include "cli.h"

#include "common/pt_error.h"
#include "common/pt_syscalls.h"
#include "common/pt_sysbuf.h"
#include "common/pt_trace.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_syscall(const struct pt_event *ev)
{
    printf("syscall %s(", pt_syscall_name(ev->nr));
    for (int i = 0; i < ev->nargs; i++) {
        printf("%s0x%llx", i ? ", " : "", (unsigned long long)ev->args[i]);
    }
    printf(") = %lld  clock %llu", (long long)ev->ret, (unsigned long long)ev->tick);
    if (ev->map_kind == PT_MAP_FILE) {
        char esc[4 * sizeof ev->map_path];
        printf("  maps %s", pt_escape(ev->map_path, esc, sizeof esc));
    } else if (ev->map_kind == PT_MAP_COPY) {
        printf("  maps a copy");
    }
    for (size_t i = 0; i < ev->nregions; i++) {
        printf("  [0x%llx +%zu]", (unsigned long long)ev->regions[i].addr, ev->regions[i].len);
    }
}

static void print_switch(const struct pt_event *ev)
{
    static const char *const at[] = {"", "in syscall ", "preempted at counted dispatch ", "exited"};
    printf("switch to thread %d", (int)ev->tid);
    if (ev->switch_from) {
        printf(" (thread %d %s", (int)ev->switch_from, at[ev->switch_at < 4 ? ev->switch_at : 0]);
        if (ev->switch_at == PT_SWITCH_ENTRY) {
            printf("%s", pt_syscall_name(ev->switch_nr));
        } else if (ev->switch_at == PT_SWITCH_TICK) {
            printf("%llu", (unsigned long long)ev->tick);
        }
        printf(")");
    }
}

/* The calls a SYSBUF event holds, one per line under it. */
/* What ld.so left (recorder/rec_loader.c): the map, one mapping per line. */
static void print_loader(const struct pt_event *ev)
{
    struct pt_loader l;
    char esc[1024];
    if (pt_loader_parse(ev, &l) < 0) {
        printf("loader state (unreadable: %s)", pt_errmsg());
        pt_err_clear();
        return;
    }
    size_t bytes = 0;
    for (size_t i = 1; i < ev->nregions; i++) {
        bytes += ev->regions[i].len;
    }
    printf("loader state: %u mappings, %zu bytes of memory, break 0x%llx, resumes at 0x%llx",
           l.nmaps, bytes, (unsigned long long)l.brk, (unsigned long long)l.regs.rip);
    for (uint32_t i = 0; i < l.nmaps; i++) {
        const struct pt_loader_map *m = &l.maps[i];
        pt_escape(m->path, esc, sizeof esc);
        printf("\n    0x%llx-0x%llx %c%c%c %s %s", (unsigned long long)m->addr,
               (unsigned long long)(m->addr + m->len), m->prot & 1 ? 'r' : '-',
               m->prot & 2 ? 'w' : '-', m->prot & 4 ? 'x' : '-',
               m->kind == PT_MAP_FILE   ? "maps"
               : m->kind == PT_MAP_COPY ? "copy of"
                                        : "anonymous",
               m->kind == PT_MAP_NONE ? (m->flags & PT_LOADER_HEAP    ? "[heap]"
                                         : m->flags & PT_LOADER_STACK ? "[stack]"
                                                                      : "")
                                      : esc);
    }
    pt_loader_free(&l);
}

static void print_share(const struct pt_event *ev)
{
    static const char *at[] = {"?", "at syscall exit", "at counted dispatch", "at access fault",
                               "at syscall entry"};
    size_t bytes = 0;
    for (size_t i = 0; i < ev->nregions; i++) {
        bytes += ev->regions[i].len;
    }
    printf("shared memory %s", at[ev->share_at <= PT_SHARE_ENTRY ? ev->share_at : 0]);
    if (ev->share_at == PT_SHARE_TICK) {
        printf(" %llu", (unsigned long long)ev->tick);
    }
    printf(": %zu bytes changed by others;", bytes);
    for (uint32_t i = 0; i < ev->nranges; i++) {
        printf(" 0x%llx+0x%llx %s", (unsigned long long)ev->ranges[i].addr,
               (unsigned long long)ev->ranges[i].len, ev->ranges[i].prot ? "opened" : "protected");
    }
}

static void print_sysbuf(const struct pt_event *ev)
{
    const uint8_t *p = pt_event_region_data(ev, 0);
    size_t n = ev->nregions ? ev->regions[0].len : 0, count = 0;
    for (size_t off = 0; off < n; count++) {
        struct pt_sysbuf_rec r;
        memcpy(&r, p + off, sizeof r);
        off += r.size;
    }
    printf("%zu calls through the syscall buffer:", count);
    for (size_t off = 0; off < n;) {
        struct pt_sysbuf_rec r;
        memcpy(&r, p + off, sizeof r);
        printf("\n    %s(0x%llx, 0x%llx, 0x%llx) = %lld  clock %llu", pt_syscall_name(r.nr),
               (unsigned long long)r.a[0], (unsigned long long)r.a[1], (unsigned long long)r.a[2],
               (long long)r.ret, (unsigned long long)r.tick);
        if (r.outlen) {
            printf("  [0x%llx +%u]", (unsigned long long)r.out, r.outlen);
        }
        off += r.size;
    }
}

static void print_event(const struct pt_event *ev, int pid)
{
    char esc[4 * sizeof ev->end_msg];
    printf("%llu ", (unsigned long long)ev->seq);
    if (ev->tid && ev->tid != pid && ev->type != PT_EV_SWITCH) {
        printf("[thread %d] ", (int)ev->tid);
    }
    switch (ev->type) {
    case PT_EV_SWITCH:
        print_switch(ev);
        break;
    case PT_EV_SYSCALL:
        print_syscall(ev);
        break;
    case PT_EV_SIGNAL:
        if (ev->tick) {
            printf("signal %s at counted dispatch %llu", strsignal(ev->signo),
                   (unsigned long long)ev->tick);
        } else {
            printf("signal %s at syscall exit", strsignal(ev->signo));
        }
        break;
    case PT_EV_FAULT:
        printf("fault %s", strsignal(ev->signo));
        break;
    case PT_EV_RDTSC:
        printf("rdtsc%s = 0x%llx", ev->insn_len == 3 ? "p" : "",
               (unsigned long long)(ev->rdx << 32 | (ev->rax & 0xffffffffu)));
        break;
    case PT_EV_CLOCK:
        printf("clock installed (opcode_targets at 0x%llx",
               (unsigned long long)ev->clock_plan.table);
        if (ev->clock_plan.switch_site) {
            printf("; main-loop switch at 0x%llx routed through it",
                   (unsigned long long)ev->clock_plan.switch_site);
        }
        printf(")");
        break;
    case PT_EV_SYSBUF:
        print_sysbuf(ev);
        break;
    case PT_EV_OUTPUT:
        printf("child output to %s, %zu bytes", ev->signo == 1 ? "stdout" : "stderr",
               ev->nregions ? ev->regions[0].len : 0);
        break;
    case PT_EV_SHARE:
        print_share(ev);
        break;
    case PT_EV_LOADER:
        print_loader(ev);
        break;
    case PT_EV_END:
        pt_escape(ev->end_msg, esc, sizeof esc);
        printf("end: %s %d %s",
               ev->end_how == PT_END_EXITED     ? "exited with status"
               : ev->end_how == PT_END_SIGNALED ? "killed by signal"
                                                : "recording stopped",
               ev->end_code, esc);
        break;
    }
    putchar('\n');
}

int cli_events_main(int argc, char **argv)
{
    const char *dirarg = NULL;
    unsigned long long lo = 0, hi = ULLONG_MAX;
    int nums = 0;
    for (int i = 1; i < argc; i++) {
        char *end;
        unsigned long long v = strtoull(argv[i], &end, 10);
        if (*end == '\0' && nums < 2) {
            *(nums++ == 0 ? &lo : &hi) = v;
        } else if (!dirarg) {
            dirarg = argv[i];
        } else {
            fputs("usage: pytt events [DIR] [FIRST [LAST]]\n", stderr);
            return PYTT_EXIT_ERROR;
        }
    }
    char dir[PATH_MAX];
    struct pt_trace_reader r;
    struct pt_event ev;
    if (cli_tracedir_resolve(dirarg, dir, sizeof dir) < 0 || pt_tracer_open(&r, dir) < 0) {
        return cli_fail("cannot read the trace");
    }
    pt_event_init(&ev);
    int rc;
    while ((rc = pt_tracer_next(&r, &ev)) == 1) {
        if (ev.seq >= lo && ev.seq <= hi) {
            print_event(&ev, r.hdr.pid);
        }
    }
    pt_event_free(&ev);
    pt_tracer_close(&r);
    return rc < 0 ? cli_fail("reading %s", dir) : 0;
}
