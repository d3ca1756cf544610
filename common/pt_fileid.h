/*
 * pt_fileid: the identity of a file a replay depends on (the interpreter, its loader, every
 * library and data file the program mapped, the sources `list` shows), recorded once and
 * checked before a replay starts.
 *
 * An identity is the size, the modification time, the GNU build-id of an ELF object, and a
 * 64-bit hash of the content (pt_hash.h). Two identities match when the sizes and build-ids
 * match and either the modification times or the content hashes do: a file whose content is
 * unchanged is accepted whatever its mtime (a package reinstall, `touch`, ldconfig rewriting
 * the same cache), and the hash is only computed when the mtime differs. An edit that keeps
 * the size and restores the old mtime is not detected.
 */
#ifndef PT_FILEID_H
#define PT_FILEID_H

#include <stddef.h>
#include <stdint.h>

struct pt_fileid {
    uint64_t size;
    int64_t mtime_ns;
    uint8_t bid_len; /* 0: not an ELF object with a build-id */
    uint8_t bid[32];
    uint64_t hash; /* pt_hash64 of the content */
};

/* Fill *id for the regular file at path (pt_file.h rules: no FIFO, device or final symlink). */
int pt_fileid_of(const char *path, struct pt_fileid *id);
/* Is the file at path (now) the recorded one? 1 yes, 0 no (*now filled for the message), -1
 * when it cannot be read (missing, not a regular file: the message says). */
int pt_fileid_matches(const char *path, const struct pt_fileid *want, struct pt_fileid *now);
/* Do two identities match (see above)? */
int pt_fileid_equal(const struct pt_fileid *a, const struct pt_fileid *b);
/* "build-id c561f3..., hash 89ab..., 123 bytes, modified 1700000000.123456789" (static). */
const char *pt_fileid_str(const struct pt_fileid *id);
/* The identity as a file name: the build-id in hex, else "h" and the hash (static buffer). */
const char *pt_fileid_name(const struct pt_fileid *id);
/* The GNU build-id of the ELF file open as fd (0 if none). */
int pt_elf_build_id_fd(int fd, uint8_t *out, size_t cap);

#endif
