/*
 * rec_start: at the exit of the interpreter's execve, write the trace header (everything
 * replay needs to rebuild this exact starting state: binary identities, argv/envp, cwd,
 * rlimits, personality, registers and the whole initial stack image) and prepare the process:
 * vDSO hidden, pytt's page mapped, rdtsc trapped.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_meta.h"
#include "common/pt_proc.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef PYTT_VERSION
#define PYTT_VERSION "0.1"
#endif

static char *read_remote_str(struct pt_mem *mem, pt_addr addr)
{
    char buf[65536];
    if (pt_mem_read_cstr(mem, addr, buf, sizeof buf) < 0) {
        return NULL;
    }
    return strdup(buf);
}

/* The NULL-terminated array of pointers at arr, read 64 at a time. */
static int read_ptrs(struct pt_mem *mem, pt_addr arr, uint64_t **out, size_t *n)
{
    size_t cap = 64, count = 0;
    uint64_t *v = malloc(cap * sizeof *v);
    for (;;) {
        if (count + 64 > cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
        }
        ssize_t got = pt_mem_read_partial(mem, arr + count * 8, v + count, 64 * 8);
        if (got < 8) {
            free(v);
            return -1;
        }
        for (size_t i = 0; i < (size_t)got / 8; i++) {
            if (v[count + i] == 0) {
                *out = v;
                *n = count + i;
                return 0;
            }
        }
        count += (size_t)got / 8;
    }
}

/* argv or envp: the strings lie together at the top of the stack, so they are read in one
 * piece (one string at a time cost ~3 syscalls each, two failing at the stack's end). */
static int read_strv(struct pt_mem *mem, pt_addr arr, size_t *n, char ***out)
{
    uint64_t *p;
    size_t count;
    if (read_ptrs(mem, arr, &p, &count) < 0) {
        return -1;
    }
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < count; i++) {
        lo = p[i] < lo ? p[i] : lo;
        hi = p[i] > hi ? p[i] : hi;
    }
    size_t span = count && hi - lo < (64u << 20) ? (size_t)(hi - lo) + 65536 : 0;
    char *block = span ? malloc(span) : NULL;
    ssize_t got = block ? pt_mem_read_partial(mem, lo, block, span) : -1;
    pt_err_clear();
    char **v = calloc(count + 1, sizeof *v);
    for (size_t i = 0; i < count; i++) {
        size_t off = (size_t)(p[i] - lo);
        const char *s = got > 0 && off < (size_t)got ? block + off : NULL;
        if (s && memchr(s, '\0', (size_t)got - off)) {
            v[i] = strdup(s);
        } else if (!(v[i] = read_remote_str(mem, p[i]))) {
            free(block);
            free(p);
            return -1;
        }
    }
    free(block);
    free(p);
    v[count] = NULL;
    *n = count;
    *out = v;
    return 0;
}

static int capture_identity(struct rec_session *s, struct pt_header *h)
{
    char path[4096], exe[4096];
    if (pt_proc_readlink(s->pid, "exe", exe, sizeof exe) < 0) {
        return -1;
    }
    h->exe_path = strdup(exe);
    snprintf(s->exe_path, sizeof s->exe_path, "%s", exe);
    if (pt_fileid_of(exe, &h->exe_id) < 0 || pt_elf_interp(exe, path, sizeof path) < 0) {
        return -1;
    }
    /* PT_INTERP is usually a symlink (/lib64/ld-linux-x86-64.so.2): record the file the kernel
     * loads, which replay checks without following links. */
    char *real = path[0] ? realpath(path, NULL) : NULL;
    h->interp_path = strdup(real ? real : path);
    free(real);
    if (h->interp_path[0] && pt_fileid_of(h->interp_path, &h->interp_id) < 0) {
        return -1;
    }
    if (pt_proc_readlink(s->pid, "cwd", path, sizeof path) < 0) {
        return -1;
    }
    h->cwd = strdup(path);
    uint64_t caught;
    if (pt_proc_sigmasks(s->pid, &caught, &h->sig_ignored) < 0 ||
        pt_proc_sigblocked(s->pid, &h->sig_blocked) < 0) {
        return -1;
    }
    return pt_proc_personality(s->pid, &h->personality);
}

static int capture_limits(struct rec_session *s, struct pt_header *h)
{
    for (int i = 0; i < PT_NRLIMITS; i++) {
        struct rlimit rl;
        if (prlimit(s->pid, (enum __rlimit_resource)i, NULL, &rl) != 0) {
            return pt_fail_errno("prlimit(%d, resource %d)", (int)s->pid, i);
        }
        h->rlim_cur[i] = rl.rlim_cur;
        h->rlim_max[i] = rl.rlim_max;
    }
    return 0;
}

/* --redact-env: the value of each matching variable is replaced, in the trace only, by as many
 * 'X' (the same length keeps the initial stack's layout, so replay still starts exactly as
 * the recording did; the recorded program itself saw the real value). */
static void redact_env(struct rec_session *s, struct pt_header *h, const struct pt_mem *m,
                       pt_addr envp)
{
    const struct rec_options *opt = s->opt;
    for (size_t i = 0; i < h->envc; i++) {
        char *eq = strchr(h->envp[i], '=');
        if (!eq) {
            continue;
        }
        *eq = '\0';
        int hit = 0;
        for (int k = 0; k < opt->nredact && !hit; k++) {
            hit = fnmatch(opt->redact_env[k], h->envp[i], 0) == 0;
        }
        *eq = '=';
        uint64_t p;
        if (!hit || pt_mem_read_u64((struct pt_mem *)m, envp + i * 8, &p) < 0) {
            continue;
        }
        size_t vlen = strlen(eq + 1);
        uint64_t off = p + (uint64_t)(eq + 1 - h->envp[i]) - h->rsp;
        memset(eq + 1, 'X', vlen);
        if (off < h->stack_len && vlen <= h->stack_len - off) {
            memset(h->stack + off, 'X', vlen);
            /* and in the stack pages a LOADER event logs (rec_loader.c) */
            s->loader.redacted =
                realloc(s->loader.redacted, (s->loader.nredacted + 1) * sizeof *s->loader.redacted);
            s->loader.redacted[s->loader.nredacted++] = (struct rec_span){h->rsp + off, vlen};
        }
    }
}

static int capture_stack(struct rec_session *s, struct pt_header *h)
{
    struct user_regs_struct r;
    struct pt_auxv_info ai;
    if (pt_getregs(s->pid, &r) < 0 || pt_startup_parse_stack(&s->mem, r.rsp, &ai) < 0 ||
        pt_startup_hide_vdso(&s->mem, &ai) < 0 || pt_proc_stack_end(s->pid, &h->stack_end) < 0) {
        return -1;
    }
    h->rip = r.rip;
    h->rsp = r.rsp;
    if (h->stack_end <= r.rsp || h->stack_end - r.rsp > (64u << 20)) {
        return pt_fail("initial stack pointer 0x%llx is outside the stack", r.rsp);
    }
    h->stack_len = h->stack_end - r.rsp;
    h->stack = malloc(h->stack_len);
    if (pt_mem_read(&s->mem, r.rsp, h->stack, h->stack_len) < 0 ||
        read_strv(&s->mem, ai.argv, &h->argc, &h->argv) < 0 ||
        read_strv(&s->mem, ai.envp, &h->envc, &h->envp) < 0) {
        return pt_wrap("reading the initial stack");
    }
    h->exec_filename = ai.execfn ? read_remote_str(&s->mem, ai.execfn) : strdup("");
    redact_env(s, h, &s->mem, ai.envp);
    return h->exec_filename ? 0 : -1;
}

static void capture_host(struct rec_session *s, struct pt_header *h)
{
    struct utsname u;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    h->hostname = strdup(host);
    h->kernel = strdup(uname(&u) == 0 ? u.release : "");
    h->pytt_version = strdup(PYTT_VERSION);
    h->record_time_ns = s->start_ns;
    h->page_addr = PT_PAGE_ADDR;
    h->page_len = PT_PAGE_LEN;
    h->cpu = s->cpu;
    h->pid = s->pid;
}

int rec_meta(struct rec_session *s, int state)
{
    struct pt_meta m;
    memset(&m, 0, sizeof m);
    snprintf(m.pytt_version, sizeof m.pytt_version, "%s", PYTT_VERSION);
    m.state = (uint8_t)state;
    m.recorder_pid = (uint64_t)getpid();
    m.start_ns = s->start_ns;
    m.end_ns = state == PT_META_RECORDING ? 0 : rec_wall_ns();
    snprintf(m.python_version, sizeof m.python_version, "%s", s->py.version);
    m.end_how = (uint8_t)s->res->how;
    m.end_code = s->res->code;
    m.nevents = s->res->nevents;
    return pt_meta_write(s->opt->trace_dir, &m);
}

int rec_start(struct rec_session *s)
{
    struct pt_header h;
    memset(&h, 0, sizeof h);
    h.version = PT_TRACE_VERSION;
    int rc = -1;
    capture_host(s, &h);
    s->loader.wanted = rec_loader_wanted(s); /* then rdtsc traps from its first stop */
    if (capture_identity(s, &h) < 0 || capture_limits(s, &h) < 0 || capture_stack(s, &h) < 0 ||
        pt_startup_inject(s->pid, &s->mem, !s->loader.wanted) < 0 || rec_sysbuf_start(s) < 0) {
        pt_wrap("preparing the recorded process");
    } else {
        h.sysbuf = (uint8_t)s->sysbuf;
        if (pt_tracew_header(&s->tw, &h) == 0 && rec_meta(s, PT_META_RECORDING) == 0) {
            s->res->header_written = 1;
            rc = 0;
        }
    }
    pt_header_free(&h);
    long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL |
                PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                PTRACE_O_TRACESECCOMP;
    if (rc == 0 && ptrace(PTRACE_SETOPTIONS, s->pid, NULL, (void *)opts) < 0) {
        rc = pt_fail_errno("ptrace(PTRACE_SETOPTIONS, %d)", (int)s->pid);
    }
    return rc;
}
