/*
 * cmd_rm: `pytt rm NAME...` deletes recordings, named as `pytt ls` shows them (under the trace
 * root) or by path. Only a directory that holds a pytt trace is deleted, with what is inside it
 * (never following a symlink out of it, never crossing into another file system); the
 * `latest-trace` link goes too when it pointed there.
 */
#define _GNU_SOURCE
#include "cli.h"

#include "common/pt_error.h"
#include "common/pt_trace.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (flag == FTW_DP) {
        return rmdir(path) == 0 ? 0 : pt_fail_errno("rmdir(%s)", path);
    }
    return unlink(path) == 0 ? 0 : pt_fail_errno("unlink(%s)", path);
}

static void drop_latest_link(const char *real)
{
    char root[PATH_MAX], link[PATH_MAX + 16];
    if (cli_trace_root(root, sizeof root) < 0) {
        pt_err_clear();
        return;
    }
    snprintf(link, sizeof link, "%s/latest-trace", root);
    char *to = realpath(link, NULL);
    if (to && strcmp(to, real) == 0) {
        unlink(link);
    }
    free(to);
}

static int remove_trace(const char *name)
{
    char dir[PATH_MAX], esc[PATH_MAX * 4];
    struct stat st;
    if (cli_trace_by_name(name, dir, sizeof dir) < 0) {
        return -1;
    }
    pt_escape(dir, esc, sizeof esc);
    if (lstat(dir, &st) != 0) {
        return pt_fail_errno("%s", esc);
    }
    if (!S_ISDIR(st.st_mode) || !pt_trace_is_trace(dir)) {
        return pt_fail("%s is not a pytt trace directory (nothing deleted)", esc);
    }
    char *real = realpath(dir, NULL);
    int rc = nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) == 0 ? 0 : -1;
    if (rc == 0 && real) {
        drop_latest_link(real);
    }
    free(real);
    return rc;
}

int cli_rm_main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: pytt rm NAME...   (names as `pytt ls` shows them, or trace directories)\n",
              stderr);
        return PYTT_EXIT_ERROR;
    }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        char esc[PATH_MAX * 4];
        if (remove_trace(argv[i]) < 0) {
            status = cli_fail("cannot remove %s", pt_escape(argv[i], esc, sizeof esc));
        }
    }
    return status;
}
