/*
 * pt_meta: encoding and atomic replacement of a trace's meta file (see pt_meta.h).
 */
#define _GNU_SOURCE
#include "pt_meta.h"

#include "pt_error.h"
#include "pt_trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define META_MAGIC "PYTTMETA"

int pt_meta_write(const char *trace_dir, const struct pt_meta *m)
{
    struct pt_buf b;
    pt_buf_init(&b);
    pt_buf_str(&b, m->pytt_version);
    pt_buf_u8(&b, m->state);
    pt_buf_uv(&b, m->recorder_pid);
    pt_buf_sv(&b, m->start_ns);
    pt_buf_sv(&b, m->end_ns);
    pt_buf_str(&b, m->python_version);
    pt_buf_u8(&b, m->end_how);
    pt_buf_sv(&b, m->end_code);
    pt_buf_uv(&b, m->nevents);
    char tmp[4096], dst[4096];
    snprintf(tmp, sizeof tmp, "%s/.meta.new", trace_dir);
    snprintf(dst, sizeof dst, "%s/meta", trace_dir);
    int rc = -1;
    if (m->state == PT_META_RECORDING) {
        /* A trace's first meta is written in place (created, never replacing one): no reader
         * can see an older one half replaced, and one cut short reads as none (pt_meta_read
         * fails), as before it existed. A rename less at every recording's start. */
        rc = pt_trace_write_small(trace_dir, "meta", META_MAGIC, &b);
        if (rc < 0 && errno != EEXIST) {
            unlink(dst);
            pt_buf_free(&b);
            return -1;
        }
    }
    if (rc < 0) {
        pt_err_clear();
        rc = pt_trace_write_small(trace_dir, ".meta.new", META_MAGIC, &b);
        if (rc < 0 && errno == EEXIST) { /* left by a recorder that died replacing the meta */
            unlink(tmp);
            pt_err_clear();
            rc = pt_trace_write_small(trace_dir, ".meta.new", META_MAGIC, &b);
        }
        if (rc == 0 && rename(tmp, dst) != 0) {
            rc = pt_fail_errno("rename(%s, %s)", tmp, dst);
        }
        if (rc < 0) {
            unlink(tmp);
        }
    }
    pt_buf_free(&b);
    return rc;
}

static void get_str(struct pt_cur *c, char *out, size_t cap)
{
    char *s = pt_cur_strdup(c);
    snprintf(out, cap, "%s", s);
    free(s);
}

int pt_meta_read(const char *trace_dir, struct pt_meta *m)
{
    struct pt_buf b;
    pt_buf_init(&b);
    memset(m, 0, sizeof *m);
    int rc = pt_trace_read_small(trace_dir, "meta", META_MAGIC, &b);
    if (rc == 0) {
        struct pt_cur c;
        pt_cur_init(&c, b.data, b.len);
        get_str(&c, m->pytt_version, sizeof m->pytt_version);
        m->state = pt_cur_u8(&c);
        m->recorder_pid = pt_cur_uv(&c);
        m->start_ns = pt_cur_sv(&c);
        m->end_ns = pt_cur_sv(&c);
        get_str(&c, m->python_version, sizeof m->python_version);
        m->end_how = pt_cur_u8(&c);
        m->end_code = (int32_t)pt_cur_sv(&c);
        m->nevents = pt_cur_uv(&c);
        if (c.bad || m->state < PT_META_RECORDING || m->state > PT_META_STOPPED) {
            rc = pt_fail("%s/meta is corrupt", trace_dir);
        }
    }
    pt_buf_free(&b);
    return rc;
}
