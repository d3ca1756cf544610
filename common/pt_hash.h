/*
 * pt_hash: pytt's 64-bit content hash, for file identities (pt_elf.h) and the checksum of
 * stored (uncompressed) trace chunks (pt_chunk.h). Not cryptographic: it tells an edited or
 * damaged file from the recorded one, as a build-id does; a trace is protected from tampering
 * by replay's own checks, never by this hash. wyhash's folded 128-bit multiply in four lanes:
 * the ~12 MB a Debian python3.11 maps hash in about 2 ms here (memory-bound).
 */
#ifndef PT_HASH_H
#define PT_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t pt_hash64(const void *p, size_t n);

#endif
