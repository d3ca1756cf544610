/*
 * rec_start: at the exit of the interpreter's execve, write the trace header (everything
 * replay needs to rebuild this exact starting state: binary identities, argv/envp, cwd,
 * rlimits, personality, registers and the whole initial stack image) and prepare the process:
 * vDSO hidden, pytt's page mapped, rdtsc trapped.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_proc.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

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

static int read_strv(struct pt_mem *mem, pt_addr arr, size_t *n, char ***out)
{
    size_t cap = 16, count = 0;
    char **v = calloc(cap, sizeof *v);
    for (;; count++) {
        uint64_t p;
        if (pt_mem_read_u64(mem, arr + count * 8, &p) < 0) {
            return -1;
        }
        if (p == 0) {
            break;
        }
        if (count + 2 > cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
        }
        if (!(v[count] = read_remote_str(mem, p))) {
            return -1;
        }
    }
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
    if (pt_fileid_of(exe, &h->exe_id) < 0 || pt_elf_interp(exe, path, sizeof path) < 0) {
        return -1;
    }
    h->interp_path = strdup(path);
    if (path[0] && pt_fileid_of(path, &h->interp_id) < 0) {
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

int rec_start(struct rec_session *s)
{
    struct pt_header h;
    memset(&h, 0, sizeof h);
    h.version = PT_TRACE_VERSION;
    int rc = -1;
    capture_host(s, &h);
    if (capture_identity(s, &h) < 0 || capture_limits(s, &h) < 0 || capture_stack(s, &h) < 0 ||
        pt_startup_inject(s->pid, &s->mem) < 0) {
        pt_wrap("preparing the recorded process");
    } else if (pt_tracew_header(&s->tw, &h) == 0) {
        s->res->header_written = 1;
        rc = 0;
    }
    pt_header_free(&h);
    long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL |
                PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE;
    if (rc == 0 && ptrace(PTRACE_SETOPTIONS, s->pid, NULL, (void *)opts) < 0) {
        rc = pt_fail_errno("ptrace(PTRACE_SETOPTIONS, %d)", (int)s->pid);
    }
    return rc;
}
