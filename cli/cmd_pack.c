/*
 * cmd_pack: `pytt pack [DIR]` makes a trace (default: the latest) self-contained: it copies in
 * every file its replay and the debugger need that is not in the trace yet (pt_pack.h), so it
 * replays and debugs on a machine that lacks them, or after they changed. Running it again adds
 * nothing. Prints what it stored.
 */
#include "cli.h"

#include "common/pt_error.h"
#include "common/pt_pack.h"
#include "common/pt_trace.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

int cli_pack_main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fputs("usage: pytt pack [DIR]\n", stderr);
        return PYTT_EXIT_ERROR;
    }
    char dir[PATH_MAX], esc[PATH_MAX * 4];
    if (cli_tracedir_resolve(argc == 2 ? argv[1] : NULL, dir, sizeof dir) < 0) {
        return cli_fail("cannot pack");
    }
    const char *debug_root = getenv("PYTT_DEBUG_DIR");
    struct pt_pack_stats st;
    if (pt_pack_trace(dir, debug_root && *debug_root ? debug_root : "/usr/lib/debug", &st) < 0) {
        return cli_fail("cannot pack %s", pt_escape(dir, esc, sizeof esc));
    }
    printf("packed %s: %zu files (%zu hard-linked, %zu copied, %.1f MiB), %zu debug files, %zu "
           "more sources\n",
           pt_escape(dir, esc, sizeof esc), st.files, st.linked, st.copied,
           (double)st.bytes_copied / (1 << 20), st.debug_files, st.sources);
    return 0;
}
