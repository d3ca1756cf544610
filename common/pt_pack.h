/*
 * pt_pack: the files a trace carries besides its log, so that it replays and debugs on a
 * machine that lacks the originals (`pytt pack`), stored by identity:
 *
 *   files/<identity>/<basename>   a copy of a file the replay maps or executes (the interpreter,
 *                                 the loader, libraries, extension modules), <identity> from
 *                                 pt_fileid_name (build-id and content hash)
 *   debug/.build-id/xx/rest.debug the DWARF files of those objects, where libdwfl looks
 *
 * Identical contents are stored once: a second file with the same identity is a hard link to
 * the first, and a copy is a hard link to the original wherever the file system allows (a
 * package upgrade replaces files rather than rewriting them, so the link keeps the old bytes;
 * replay checks every copy's identity before it starts anyway). The sources of the Python
 * files the program ran are in the trace's `sources` file (pt_sources.h).
 */
#ifndef PT_PACK_H
#define PT_PACK_H

#include "pt_fileid.h"

#include <stddef.h>

/* The trace's copy of the file with this identity, or NULL (malloc'd path). */
char *pt_pack_copy_path(const char *trace_dir, const struct pt_fileid *id);
/* The trace's debug root (for libdwfl's debuginfo path), or NULL if it has none (malloc'd). */
char *pt_pack_debug_root(const char *trace_dir);

struct pt_pack_stats {
    size_t files, linked, copied, debug_files, sources;
    unsigned long long bytes_copied;
};

/* Store a copy of path (whose identity is id) in the trace, deduplicated. */
int pt_pack_add_file(const char *trace_dir, const char *path, const struct pt_fileid *id,
                     struct pt_pack_stats *st);
/* Store the separate DWARF file of the ELF object with this build-id, if the system has one
 * (under debug_root, /usr/lib/debug by default). 1 stored or present, 0 none found. */
int pt_pack_add_debug(const char *trace_dir, const char *debug_root, const uint8_t *bid,
                      size_t bid_len, struct pt_pack_stats *st);

/* Pack the trace in dir: the interpreter, its loader, every file mapped by path (each checked
 * to be the recorded one), their debug files, and the text of every recorded source. */
int pt_pack_trace(const char *dir, const char *debug_root, struct pt_pack_stats *st);

#endif
