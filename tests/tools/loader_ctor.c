/*
 * loader_ctor: a library LD_PRELOADed by replay.special.loader_signal and loader_fault, whose
 * constructor runs while the recording lets the loader run unstopped (recorder/rec_loader.c),
 * without making a syscall: PYTT_TEST_CTOR=spin spins ~0.5 s (by the TSC, which is not trapped
 * yet), so that a signal the test sends meanwhile arrives in that phase; =segv faults there.
 * Only in a python (program_invocation_short_name, set by libc before any constructor): pytt
 * itself is started with the same environment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

__attribute__((constructor)) static void loader_ctor(void)
{
    const char *mode = getenv("PYTT_TEST_CTOR");
    if (strncmp(program_invocation_short_name, "python", 6) != 0) {
        return;
    }
    if (mode && strcmp(mode, "segv") == 0) {
        volatile int *volatile nowhere = (volatile int *)16;
        *nowhere = 1;
    }
    if (mode && strcmp(mode, "spin") == 0) {
        uint64_t end = __rdtsc() + 1500000000ull;
        while (__rdtsc() < end) {
        }
    }
}
