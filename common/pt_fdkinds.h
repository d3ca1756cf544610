/*
 * pt_fdkinds: which file descriptors of a process still refer to the stdout and stderr it
 * inherited when the recording started. Replay prints what the program writes to those
 * (writes are emulated, so nothing reaches a terminal otherwise); the recorder tracks the same
 * for the program's children, whose writes to them it logs. The model follows the program's
 * own descriptor operations: dup/dup2/dup3/fcntl(F_DUPFD*) copy a kind, close/close_range and
 * any call returning a fresh descriptor clear one.
 */
#ifndef PT_FDKINDS_H
#define PT_FDKINDS_H

#include <stdint.h>

#define PT_MAX_FD 4096

enum { PT_FD_OTHER = 0, PT_FD_STDOUT = 1, PT_FD_STDERR = 2 };

struct pt_fdkinds {
    uint8_t kind[PT_MAX_FD];
};

void pt_fdkinds_init(struct pt_fdkinds *k);
int pt_fdkinds_get(const struct pt_fdkinds *k, uint64_t fd);
/* Apply a completed syscall (number, arguments, result). */
void pt_fdkinds_update(struct pt_fdkinds *k, int nr, const uint64_t *args, int64_t ret);
/* Apply a call the syscall buffer made (pt_sysbuf.h: its compared arguments are the call's for
 * close, dup, dup2, dup3 and openat); returns 1 if it is one that makes or closes a
 * descriptor. The recorder applies a thread's records when it drains them, replay when it
 * takes them: the same point of the log. */
struct pt_sysbuf_rec;
int pt_fdkinds_sysbuf(struct pt_fdkinds *k, const struct pt_sysbuf_rec *r);

#endif
