/*
 * pt_error: the one error channel of pytt's libraries.
 *
 * Library code (common/, recorder/, replayer/, pyintrospect/) never prints and never exits: a
 * failing function records a message here and returns -1 (or NULL). Callers add context on the
 * way up with pt_wrap(), Redis-style, so the CLI finally prints something like
 *   "replay: event 1423: writing syscall output at 0x7ffe1000 (64 bytes): Input/output error".
 * Only cli/ reads pt_errmsg() and decides what to do. pytt is single-threaded, so one buffer is
 * enough.
 */
#ifndef PT_ERROR_H
#define PT_ERROR_H

#include <stddef.h>

#if defined(__GNUC__)
#define PT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PT_PRINTF(a, b)
#endif

/* Set the error message; returns -1 so callers can write `return pt_fail(...)`. */
int pt_fail(const char *fmt, ...) PT_PRINTF(1, 2);
/* Like pt_fail, appending ": strerror(errno)" (errno read at entry). */
int pt_fail_errno(const char *fmt, ...) PT_PRINTF(1, 2);
/* Prefix context to the current message: "context: previous message". Returns -1. */
int pt_wrap(const char *fmt, ...) PT_PRINTF(1, 2);
/* The current message ("" if none). */
const char *pt_errmsg(void);
/* Forget the current message. */
void pt_err_clear(void);

#endif
