/*
 * pt_proc: small readers of /proc/PID for facts ptrace does not give: the file behind a
 * descriptor, the end of the main stack, signal dispositions, the executable, the cwd.
 */
#ifndef PT_PROC_H
#define PT_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

int pt_proc_readlink(pid_t pid, const char *what, char *out, size_t cap); /* "exe", "cwd" */
int pt_proc_fd_path(pid_t pid, int fd, char *out, size_t cap);
/* The end address of the mapping named [stack]. */
int pt_proc_stack_end(pid_t pid, uint64_t *end);
/* Signal masks from /proc/PID/status: caught (SigCgt) and ignored (SigIgn). */
int pt_proc_sigmasks(pid_t pid, uint64_t *caught, uint64_t *ignored);
/* The blocked-signal mask (SigBlk). */
int pt_proc_sigblocked(pid_t pid, uint64_t *blocked);
/* The personality(2) flags of pid. */
int pt_proc_personality(pid_t pid, uint64_t *pers);
/* The process (thread group) thread tid belongs to; tid itself if /proc does not say. */
pid_t pt_proc_tgid(pid_t tid);

#endif
