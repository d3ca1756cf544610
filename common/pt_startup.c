/*
 * pt_startup: initial-stack parsing, vDSO hiding, pytt's page and rdtsc trapping, and CPU
 * pinning (see pt_startup.h). Pinning tracer and tracee to one CPU makes each ptrace stop a
 * same-CPU context switch: ~8 us instead of ~55 us measured across CPUs (design notes §2).
 */
#define _GNU_SOURCE
#include "pt_startup.h"
#include "pt_sysbuf.h"

#include "pt_error.h"
#include "pt_ptrace.h"

#include <elf.h>
#include <signal.h>
#include <x86intrin.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_STRINGS 100000

static int skip_ptr_array(struct pt_mem *mem, pt_addr *p)
{
    for (int i = 0; i < MAX_STRINGS; i++) {
        uint64_t v;
        if (pt_mem_read_u64(mem, *p, &v) < 0) {
            return -1;
        }
        *p += 8;
        if (v == 0) {
            return 0;
        }
    }
    return pt_fail("initial stack: pointer array at 0x%llx is not terminated",
                   (unsigned long long)*p);
}

int pt_startup_parse_stack(struct pt_mem *mem, pt_addr rsp, struct pt_auxv_info *ai)
{
    memset(ai, 0, sizeof *ai);
    if (pt_mem_read_u64(mem, rsp, &ai->argc) < 0) {
        return pt_wrap("reading argc of the initial stack");
    }
    ai->argv = rsp + 8;
    pt_addr p = ai->argv + (ai->argc + 1) * 8;
    ai->envp = p;
    if (skip_ptr_array(mem, &p) < 0) {
        return pt_wrap("reading envp of the initial stack");
    }
    for (int i = 0; i < 256; i++, p += 16) {
        uint64_t kv[2];
        if (pt_mem_read(mem, p, kv, sizeof kv) < 0) {
            return pt_wrap("reading the auxiliary vector");
        }
        if (kv[0] == AT_NULL) {
            return 0;
        }
        if (kv[0] == AT_SYSINFO_EHDR) {
            ai->sysinfo_ehdr_slot = p;
        } else if (kv[0] == AT_RANDOM) {
            ai->random = kv[1];
        } else if (kv[0] == AT_EXECFN) {
            ai->execfn = kv[1];
        }
    }
    return pt_fail("initial stack: auxiliary vector is not terminated");
}

int pt_startup_hide_vdso(struct pt_mem *mem, const struct pt_auxv_info *ai)
{
    if (!ai->sysinfo_ehdr_slot) {
        return 0;
    }
    uint64_t ignore = AT_IGNORE;
    return pt_mem_write(mem, ai->sysinfo_ehdr_slot, &ignore, sizeof ignore);
}

int pt_startup_inject(pid_t pid, struct pt_mem *mem, int trap_tsc)
{
    uint64_t mmap_args[6] = {PT_PAGE_ADDR,
                             PT_PAGE_LEN,
                             PROT_READ | PROT_WRITE | PROT_EXEC,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                             (uint64_t)-1,
                             0};
    int64_t ret;
    if (pt_inject_syscall(pid, 0, SYS_mmap, mmap_args, &ret) < 0) {
        return pt_wrap("mapping pytt's page in the tracee");
    }
    if ((uint64_t)ret != PT_PAGE_ADDR) {
        return pt_fail("mapping pytt's page at 0x%llx in the tracee failed (result %lld)",
                       PT_PAGE_ADDR, (long long)ret);
    }
    static const uint8_t stub[] = {0x0f, 0x05, 0xcc};    /* syscall; int3 */
    static const uint8_t bufstub[] = {0x0f, 0x05, 0xc3}; /* syscall; ret */
    if (pt_mem_write(mem, PT_PAGE_STUB_SYSCALL, stub, sizeof stub) < 0 ||
        pt_mem_write(mem, PT_SYSBUF_STUB, bufstub, sizeof bufstub) < 0) {
        return pt_wrap("writing pytt's syscall stubs");
    }
    /* the syscall buffer's control block and per-thread buffers (pt_sysbuf.h), mode off */
    uint64_t area_args[6] = {
        PT_SYSBUF_AREA,         PT_SYSBUF_AREA_LEN,
        PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE,
        (uint64_t)-1,           0};
    if (pt_inject_syscall(pid, PT_PAGE_STUB_SYSCALL, SYS_mmap, area_args, &ret) < 0) {
        return pt_wrap("mapping the syscall buffer's area in the tracee");
    }
    if ((uint64_t)ret != PT_SYSBUF_AREA) {
        return pt_fail("mapping the syscall buffer's area at 0x%llx in the tracee failed "
                       "(result %lld)",
                       PT_SYSBUF_AREA, (long long)ret);
    }
    return trap_tsc ? pt_startup_trap_tsc(pid) : 0;
}

int pt_startup_trap_tsc(pid_t pid)
{
    uint64_t tsc_args[6] = {PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0, 0};
    int64_t ret;
    if (pt_inject_syscall(pid, PT_PAGE_STUB_SYSCALL, SYS_prctl, tsc_args, &ret) < 0 || ret != 0) {
        return pt_fail("prctl(PR_SET_TSC, PR_TSC_SIGSEGV) in the tracee failed (%lld)",
                       (long long)ret);
    }
    return 0;
}

static void tsc_fault(int sig, siginfo_t *si, void *uc)
{
    /* Only an rdtsc in pytt can fault here; allow it from now on and retry the instruction. */
    prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
    signal(SIGSEGV, SIG_DFL);
}

void pt_tsc_like_tracee(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = tsc_fault;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigaction(SIGSEGV, &sa, NULL);
    prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
}

uint64_t pt_tsc_read(int rdtscp, uint32_t *aux)
{
    int mode = 0;
    prctl(PR_GET_TSC, &mode, 0, 0, 0);
    prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
    unsigned int a = 0;
    uint64_t v = rdtscp ? __rdtscp(&a) : __rdtsc();
    if (mode == PR_TSC_SIGSEGV) {
        prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
    }
    *aux = a;
    return v;
}

/* PYTT_CPU: a CPU number this process may run on, or "none". */
static int cpu_from_env(const char *env, const cpu_set_t *allowed, int *cpu)
{
    char *end;
    long n = strtol(env, &end, 10);
    if (strcmp(env, "none") == 0) {
        *cpu = -1;
        return 0;
    }
    if (end == env || *end != '\0' || n < 0 || n >= CPU_SETSIZE) {
        return pt_fail("PYTT_CPU=%s is not a CPU number or 'none'", env);
    }
    if (allowed && !CPU_ISSET((int)n, allowed)) {
        return pt_fail("PYTT_CPU=%ld is not a CPU this process may run on", n);
    }
    *cpu = (int)n;
    return 0;
}

int pt_pick_cpu(int *cpu)
{
    const char *env = getenv("PYTT_CPU");
    cpu_set_t set;
    int have_set = sched_getaffinity(0, sizeof set, &set) == 0;
    *cpu = -1;
    if (env && *env) {
        return cpu_from_env(env, have_set ? &set : NULL, cpu);
    }
    if (!have_set) {
        return 0;
    }
    int cur = sched_getcpu();
    if (cur >= 0 && CPU_ISSET(cur, &set)) {
        *cpu = cur;
        return 0;
    }
    for (int i = 0; i < CPU_SETSIZE; i++) {
        if (CPU_ISSET(i, &set)) {
            *cpu = i;
            return 0;
        }
    }
    return 0;
}

int pt_pin_self(int cpu)
{
    if (cpu < 0) {
        return 0;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        return pt_fail_errno("sched_setaffinity(cpu %d)", cpu);
    }
    return 0;
}
