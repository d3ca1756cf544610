/*
 * pt_cachedir: where pytt keeps what it learned about files it has seen, per user: the file
 * identities and clock symbols of recording (pt_fidcache.c) and the interpreter layouts of
 * replay (pyintrospect/pyi_layout_cache.c). $PYTT_CACHE_DIR (a relative one from pytt's working
 * directory; `off`: no cache at all), else $XDG_CACHE_HOME/pytt, else ~/.cache/pytt. The
 * recorder's compressed copies of mapped files (pt_copycache.c) live there too. Every
 * cache there is only an optimization: deleting the directory is always safe.
 */
#ifndef PT_CACHEDIR_H
#define PT_CACHEDIR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* The path of entry `name` in the cache directory, into out: 0; -1 when caching is off, there
 * is no home directory, or it does not fit (out is then ""). */
int pt_cache_path(const char *name, char *out, size_t cap);
/* Keeps the directory holding `written` (a cache entry just written) within max_files entries
 * and max_bytes bytes: beyond them, the entries modified longest ago are removed. Only the
 * caches' own names (16 hex digits) count. A reader reads an entry whole when it opens it, so
 * removing one in use is harmless. */
void pt_cache_prune(const char *written, size_t max_files, uint64_t max_bytes);
/* Has the file st describes been left unchanged long enough to be cached by its device,
 * inode, size, mtime and ctime? A file changed less than 2 s ago is not: a write in the same
 * clock tick as the caching would leave mtime and ctime as they were (git's "racy" entries).
 * Any later change sets a ctime past this cut-off, so it can never match the entry. 1 if so. */
int pt_cache_settled(const struct stat *st);
/* Create the directories above path (mode 0700; existing ones are fine): 0, or -1. */
int pt_mkdir_parents(const char *path);

#endif
