/*
 * pt_procs: reading the process index of a --children recording (see pt_procs.h): each
 * recorder's TRACE/processes (tab-separated: pid, ppid, start_ns, end_ns, how, code, state,
 * command, written by recorder/rec_adopt.c), the recorded children's meta files for how they
 * ended, the top trace's header and meta for the recorded process.
 */
#define _GNU_SOURCE
#include "pt_procs.h"

#include "pt_error.h"
#include "pt_meta.h"
#include "pt_trace.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct plist {
    struct pt_procinfo *v;
    size_t n, cap;
};

static struct pt_procinfo *plist_add(struct plist *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
    }
    struct pt_procinfo *p = &l->v[l->n++];
    memset(p, 0, sizeof *p);
    return p;
}

/* How a recorded trace's process ended and when it ran, from its meta file. */
static void from_meta(struct pt_procinfo *p)
{
    struct pt_meta m;
    if (pt_meta_read(p->dir, &m) < 0) {
        pt_err_clear();
        return;
    }
    p->start_ns = m.start_ns;
    p->end_ns = m.end_ns;
    p->how = m.end_how;
    p->code = m.end_code;
}

static int kind_of(const char *state)
{
    if (strcmp(state, "recorded") == 0) {
        return PT_PROC_RECORDED;
    }
    if (strcmp(state, "fork") == 0) {
        return PT_PROC_FORK;
    }
    if (strcmp(state, "python-unusable") == 0) {
        return PT_PROC_UNUSABLE;
    }
    if (strcmp(state, "no-children-option") == 0) {
        return PT_PROC_UNCHECKED;
    }
    return PT_PROC_OTHER;
}

static void read_index(const char *dir, const char *procs_dir, struct plist *l)
{
    char path[4200], line[1024];
    snprintf(path, sizeof path, "%s/processes", dir);
    FILE *f = fopen(path, "re");
    while (f && fgets(line, sizeof line, f)) {
        if (line[0] == '#') {
            continue;
        }
        line[strcspn(line, "\n")] = '\0';
        char *fields[8];
        char *save = NULL, *tok = line;
        int nf = 0;
        for (; nf < 8 && (fields[nf] = strtok_r(tok, "\t", &save)); nf++) {
            tok = NULL;
        }
        if (nf < 7) {
            continue;
        }
        struct pt_procinfo *p = plist_add(l);
        p->pid = atoi(fields[0]);
        p->ppid = atoi(fields[1]);
        p->start_ns = strtoll(fields[2], NULL, 10);
        p->end_ns = strtoll(fields[3], NULL, 10);
        p->how = atoi(fields[4]);
        p->code = atoi(fields[5]);
        p->kind = kind_of(fields[6]);
        snprintf(p->cmd, sizeof p->cmd, "%s", nf > 7 ? fields[7] : "");
        if (p->kind == PT_PROC_RECORDED) {
            snprintf(p->dir, sizeof p->dir, "%s/%d", procs_dir, p->pid);
            from_meta(p);
        }
    }
    if (f) {
        fclose(f);
    }
}

static int top_entry(const char *trace_dir, struct plist *l)
{
    struct pt_header h;
    memset(&h, 0, sizeof h);
    if (pt_trace_header_read(trace_dir, &h) < 0) {
        return -1;
    }
    struct pt_procinfo *p = plist_add(l);
    p->pid = (int)h.pid;
    p->kind = PT_PROC_TOP;
    size_t len = 0;
    for (size_t i = 0; i < h.argc && len + 2 < sizeof p->cmd; i++) {
        len += (size_t)snprintf(p->cmd + len, sizeof p->cmd - len, "%s%s", i ? " " : "", h.argv[i]);
    }
    snprintf(p->dir, sizeof p->dir, "%s", trace_dir);
    pt_header_free(&h);
    from_meta(p);
    return 0;
}

static int by_start(const void *a, const void *b)
{
    const struct pt_procinfo *x = a, *y = b;
    if (x->kind == PT_PROC_TOP || y->kind == PT_PROC_TOP) {
        return x->kind == PT_PROC_TOP ? -1 : 1;
    }
    return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns ? 1 : x->pid - y->pid;
}

int pt_procs_list(const char *trace_dir, struct pt_procinfo **out, size_t *n)
{
    struct plist l = {0};
    char procs[4200];
    snprintf(procs, sizeof procs, "%s/procs", trace_dir);
    if (top_entry(trace_dir, &l) < 0) {
        free(l.v);
        return -1;
    }
    read_index(trace_dir, procs, &l);
    /* the recorded children's own descendants */
    DIR *d = opendir(procs);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] != '.') {
            char sub[4500];
            if (snprintf(sub, sizeof sub, "%s/%s", procs, e->d_name) < (int)sizeof sub) {
                read_index(sub, procs, &l);
            }
        }
    }
    if (d) {
        closedir(d);
    }
    qsort(l.v, l.n, sizeof *l.v, by_start);
    int nr = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (l.v[i].kind == PT_PROC_RECORDED) {
            l.v[i].child_nr = ++nr;
        }
    }
    *out = l.v;
    *n = l.n;
    return 0;
}

int pt_procs_find(const char *trace_dir, int pid, int child_nr, char *out, size_t cap)
{
    struct pt_procinfo *v;
    size_t n;
    if (pt_procs_list(trace_dir, &v, &n) < 0) {
        return -1;
    }
    int rc = -1, nrec = 0;
    const struct pt_procinfo *seen = NULL;
    for (size_t i = 0; i < n; i++) {
        nrec += v[i].kind == PT_PROC_RECORDED;
        if ((pid && v[i].pid == pid) || (!pid && child_nr && v[i].child_nr == child_nr)) {
            seen = &v[i];
            if (v[i].dir[0]) {
                break;
            }
        }
    }
    if (seen && seen->dir[0]) {
        snprintf(out, cap, "%s", seen->dir);
        rc = 0;
    } else if (seen) {
        pt_fail("process %d was not recorded (%s): `pytt ps %s` says which were", seen->pid,
                seen->kind == PT_PROC_FORK        ? "a fork child"
                : seen->kind == PT_PROC_UNCHECKED ? "recorded without --children"
                                                  : "not a CPython pytt can record",
                trace_dir);
    } else if (pid) {
        pt_fail("no process %d in this recording: `pytt ps %s` lists them", pid, trace_dir);
    } else {
        pt_fail("no child %d: this recording has %d recorded child%s%s", child_nr, nrec,
                nrec == 1 ? "" : "ren",
                nrec ? "" : " (record with `pytt record --children` to record them)");
    }
    free(v);
    return rc;
}
