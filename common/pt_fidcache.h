/*
 * pt_fidcache: a per-user cache of file identities (pt_fileid.h), so that recording does not
 * hash the same unchanged interpreter and libraries again on every run (hashing Debian's
 * python3.11 and its libraries took ~2 ms of the ~20 ms `pytt record python3.11 -c pass` cost).
 *
 * An entry is keyed by what the kernel says about the file: device, inode, size, mtime and
 * ctime (nanoseconds). Any write to the file changes its mtime and ctime; `touch -d` or
 * utimensat can put the mtime back but always sets the ctime to now, and replacing the file
 * (a package upgrade, `cp` over a rename) gives a new inode. So an entry whose key still
 * matches describes the same bytes, and a changed file is hashed afresh. The cache lives in
 * $PYTT_CACHE_DIR, else $XDG_CACHE_HOME/pytt, else ~/.cache/pytt (file `fileids`, one text
 * line per file and kind of fact, appended with O_APPEND so concurrent recorders do not interleave
 * lines); it is only an optimization: when it cannot be read or written, identities are computed.
 * PYTT_CACHE_DIR=off turns it off.
 */
#ifndef PT_FIDCACHE_H
#define PT_FIDCACHE_H

#include "pt_fileid.h"

#include <stdint.h>
#include <sys/stat.h>

/* The cached identity of the file st describes: 1 (id filled), 0 not cached. */
int pt_fidcache_lookup(const struct stat *st, struct pt_fileid *id);
/* Remember id for the file st describes (appends to the cache file). */
void pt_fidcache_store(const struct stat *st, const struct pt_fileid *id);
/* Words computed from a file (pt_clock.c: where the clock's symbols are in an interpreter's
 * symbol file) cached like identities: 1 (v[0..n) filled), 0 not cached. */
int pt_fidcache_get_words(const struct stat *st, uint64_t *v, int n);
void pt_fidcache_put_words(const struct stat *st, const uint64_t *v, int n);
/* The cache file's path ("" when off or no home directory; static buffer). */
const char *pt_fidcache_path(void);

#endif
