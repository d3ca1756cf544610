/*
 * pt_error: one buffer per thread holding its last error message, with helpers to set it (with
 * or without strerror) and to prefix context while the error travels up the call stack. (Per
 * thread: the trace writer's compression thread, pt_chunk.c, has errors of its own.)
 */
#include "pt_error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char pt_err_buf[4096];

int pt_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pt_err_buf, sizeof pt_err_buf, fmt, ap);
    va_end(ap);
    return -1;
}

int pt_fail_errno(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(pt_err_buf, sizeof pt_err_buf, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof pt_err_buf) {
        snprintf(pt_err_buf + n, sizeof pt_err_buf - (size_t)n, ": %s", strerror(saved));
    }
    errno = saved;
    return -1;
}

int pt_wrap(const char *fmt, ...)
{
    char prev[sizeof pt_err_buf];
    memcpy(prev, pt_err_buf, sizeof prev);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(pt_err_buf, sizeof pt_err_buf, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof pt_err_buf && prev[0]) {
        snprintf(pt_err_buf + n, sizeof pt_err_buf - (size_t)n, ": %s", prev);
    }
    return -1;
}

const char *pt_errmsg(void)
{
    return pt_err_buf;
}

void pt_err_clear(void)
{
    pt_err_buf[0] = '\0';
}
