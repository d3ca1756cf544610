/*
 * pt_hwbp: setting and reading a thread's debug registers (see pt_hwbp.h). DR7 is written last
 * (the kernel validates each address against the length and type DR7 gives it, so a slot is
 * first disabled, its address set, then DR7 enables all at once).
 */
#define _GNU_SOURCE
#include "pt_hwbp.h"

#include "pt_error.h"

#include <errno.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#define DR_OFF(i) (offsetof(struct user, u_debugreg) + (size_t)(i) * sizeof(long))

static int poke_dr(pid_t tid, int i, uint64_t v)
{
    if (ptrace(PTRACE_POKEUSER, tid, (void *)DR_OFF(i), (void *)v) < 0) {
        return pt_fail_errno("ptrace(PTRACE_POKEUSER, %d, DR%d = 0x%llx)", (int)tid, i,
                             (unsigned long long)v);
    }
    return 0;
}

/* DR7's LEN field: 00 one byte, 01 two, 11 four, 10 eight. */
static uint64_t len_bits(int len)
{
    return len == 8 ? 2 : len == 4 ? 3 : len == 2 ? 1 : 0;
}

int pt_hwbp_apply(pid_t tid, const struct pt_hwbp *w)
{
    uint64_t dr7 = 0;
    if (poke_dr(tid, 7, 0) < 0) {
        return -1;
    }
    for (int i = 0; i < PT_HWBP_SLOTS; i++) {
        if (!(w->used & (1u << i))) {
            continue;
        }
        if (w->addr[i] % (uint64_t)w->len[i]) {
            return pt_fail("watched word 0x%llx is not aligned to its length %d",
                           (unsigned long long)w->addr[i], w->len[i]);
        }
        if (poke_dr(tid, i, w->addr[i]) < 0) {
            return -1;
        }
        /* L_i enables the slot; R/W_i = 01 traps data writes */
        dr7 |= (1ull << (2 * i)) | (1ull << (16 + 4 * i)) | (len_bits(w->len[i]) << (18 + 4 * i));
    }
    return dr7 ? poke_dr(tid, 7, dr7) : 0;
}

int pt_hwbp_fired(pid_t tid, unsigned *slots)
{
    errno = 0;
    long dr6 = ptrace(PTRACE_PEEKUSER, tid, (void *)DR_OFF(6), NULL);
    if (dr6 == -1 && errno) {
        return pt_fail_errno("ptrace(PTRACE_PEEKUSER, %d, DR6)", (int)tid);
    }
    *slots = (unsigned)dr6 & 0xf;
    return *slots ? poke_dr(tid, 6, 0) : 0;
}
