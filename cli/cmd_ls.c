/*
 * cmd_ls: `pytt ls [DIR...]` lists recordings: those under the trace root ($PYTT_TRACE_DIR,
 * else ~/.local/share/pytt), or the trace directories given, newest first. One line each:
 * name (`*` marks latest-trace), date, duration, how it ended (exit N, signal N, stopped
 * early, cut short, still recording), size on disk, Python version, program and arguments.
 * Everything comes from the header and meta files; strings are escaped for the terminal.
 */
#define _GNU_SOURCE
#include "cli.h"

#include "common/pt_error.h"
#include "common/pt_meta.h"
#include "common/pt_trace.h"

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct row {
    char name[256], path[PATH_MAX];
    int64_t start_ns;
};

static unsigned long long du_total;

static int du_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (flag == FTW_F) {
        du_total += (unsigned long long)st->st_blocks * 512;
    }
    return 0;
}

static void human_size(unsigned long long n, char *out, size_t cap)
{
    const char *units = "BKMGT";
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(out, cap, u ? "%.1f%c" : "%.0f%c", v, units[u]);
}

static void status_text(const char *dir, const struct pt_meta *m, int have_meta, char *out,
                        size_t cap)
{
    if (!have_meta) {
        snprintf(out, cap, "cut short");
    } else if (m->state == PT_META_RECORDING) {
        int alive = m->recorder_pid && kill((pid_t)m->recorder_pid, 0) == 0;
        snprintf(out, cap, alive ? "recording" : "cut short");
    } else if (m->state == PT_META_STOPPED) {
        snprintf(out, cap, "stopped early");
    } else if (m->end_how == PT_END_SIGNALED) {
        snprintf(out, cap, "signal %d", m->end_code);
    } else {
        snprintf(out, cap, "exit %d", m->end_code);
    }
}

static void print_row(const struct row *r, const char *latest)
{
    struct pt_header h;
    struct pt_meta m;
    char date[32] = "?", dur[32] = "?", status[32], size[16], esc[2048], cmd[4096] = "";
    if (pt_trace_header_read(r->path, &h) < 0) {
        printf("%-24s %s\n", pt_escape(r->name, esc, sizeof esc), pt_errmsg());
        pt_err_clear();
        return;
    }
    int have_meta = pt_meta_read(r->path, &m) == 0;
    pt_err_clear();
    time_t t = (time_t)(h.record_time_ns / 1000000000);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", localtime(&t));
    if (have_meta && m.end_ns > m.start_ns) {
        snprintf(dur, sizeof dur, "%.1fs", (double)(m.end_ns - m.start_ns) / 1e9);
    }
    status_text(r->path, &m, have_meta, status, sizeof status);
    du_total = 0;
    nftw(r->path, du_one, 16, FTW_PHYS | FTW_MOUNT);
    human_size(du_total, size, sizeof size);
    size_t n = 0;
    for (size_t i = 0; i < h.argc && n + 2 < sizeof cmd; i++) {
        n += (size_t)snprintf(cmd + n, sizeof cmd - n, "%s%s", i ? " " : "",
                              pt_escape(h.argv[i], esc, sizeof esc));
    }
    int is_latest = latest && strcmp(latest, r->path) == 0;
    printf("%c %-24s %-19s %8s %-13s %7s %-6s %s\n", is_latest ? '*' : ' ',
           pt_escape(r->name, esc, sizeof esc), date, dur, status, size,
           have_meta && m.python_version[0] ? m.python_version : "?", cmd);
    pt_header_free(&h);
}

static int by_date(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    return x->start_ns < y->start_ns ? 1 : x->start_ns > y->start_ns ? -1 : 0;
}

static int collect(const char *root, struct row **rows, size_t *n)
{
    DIR *d = opendir(root);
    if (!d) {
        return pt_fail_errno("opendir(%s)", root);
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof path, "%.3800s/%s", root, e->d_name);
        if (e->d_name[0] == '.' || lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) ||
            !pt_trace_is_trace(path)) {
            continue;
        }
        *rows = realloc(*rows, (*n + 1) * sizeof **rows);
        struct row *r = &(*rows)[(*n)++];
        snprintf(r->name, sizeof r->name, "%s", e->d_name);
        snprintf(r->path, sizeof r->path, "%s", path);
        r->start_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    }
    closedir(d);
    return 0;
}

int cli_ls_main(int argc, char **argv)
{
    struct row *rows = NULL;
    size_t n = 0;
    char root[PATH_MAX], link[PATH_MAX + 16], *latest = NULL;
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            rows = realloc(rows, (n + 1) * sizeof *rows);
            snprintf(rows[n].name, sizeof rows[n].name, "%s", argv[i]);
            snprintf(rows[n].path, sizeof rows[n].path, "%s", argv[i]);
            rows[n++].start_ns = 0;
        }
    } else if (cli_trace_root(root, sizeof root) < 0 || collect(root, &rows, &n) < 0) {
        free(rows);
        return cli_fail("cannot list recordings");
    } else {
        snprintf(link, sizeof link, "%s/latest-trace", root);
        latest = realpath(link, NULL);
    }
    qsort(rows, n, sizeof *rows, by_date);
    printf("  %-24s %-19s %8s %-13s %7s %-6s %s\n", "NAME", "DATE", "DURATION", "STATUS", "SIZE",
           "PYTHON", "PROGRAM");
    for (size_t i = 0; i < n; i++) {
        char *real = realpath(rows[i].path, NULL);
        if (real) {
            snprintf(rows[i].path, sizeof rows[i].path, "%s", real);
            free(real);
        }
        print_row(&rows[i], latest);
    }
    free(latest);
    free(rows);
    return 0;
}
