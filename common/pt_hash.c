/*
 * pt_hash: a 4-lane 64-bit multiply-mix hash (see pt_hash.h).
 */
#include "pt_hash.h"

#include <string.h>

#define K1 0x9e3779b97f4a7c15ull
#define K2 0xff51afd7ed558ccdull
#define K3 0xc4ceb9fe1a85ec53ull

static uint64_t load64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* 64x64 -> 128-bit multiply, folded (wyhash's mum): one multiply mixes 16 bytes. */
static uint64_t mum(uint64_t x, uint64_t y)
{
    __uint128_t r = (__uint128_t)x * y;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static uint64_t mix(uint64_t h, uint64_t w)
{
    return mum(h ^ w, K2);
}

static uint64_t fmix(uint64_t h)
{
    h ^= h >> 33;
    h *= K2;
    h ^= h >> 29;
    h *= K3;
    return h ^ (h >> 32);
}

uint64_t pt_hash64(const void *data, size_t n)
{
    const uint8_t *p = data;
    uint64_t a = K1 ^ n, b = K2 ^ n, c = K3 ^ n, d = K1 + n;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        a = mum(load64(p + i) ^ K1, load64(p + i + 8) ^ a);
        b = mum(load64(p + i + 16) ^ K2, load64(p + i + 24) ^ b);
        c = mum(load64(p + i + 32) ^ K3, load64(p + i + 40) ^ c);
        d = mum(load64(p + i + 48) ^ K1, load64(p + i + 56) ^ d);
    }
    uint64_t h = a ^ (b << 1 | b >> 63) ^ (c << 7 | c >> 57) ^ (d << 17 | d >> 47);
    for (; i + 8 <= n; i += 8) {
        h = mix(h, load64(p + i));
    }
    for (; i < n; i++) {
        h = (h ^ p[i]) * 0x100000001b3ull;
    }
    return fmix(h);
}
