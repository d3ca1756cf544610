/*
 * tool_rand: the seeded xorshift64 generator the C test tools share (trace_edit's mutations,
 * dedup_check's generated records): the same seed gives the same sequence on every machine.
 */
#ifndef TOOL_RAND_H
#define TOOL_RAND_H

#include <stdint.h>

static inline uint64_t tool_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

#endif
