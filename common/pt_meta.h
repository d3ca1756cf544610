/*
 * pt_meta: the trace's `meta` file, what `pytt ls` shows without reading the event log: who
 * recorded (pytt version, recorder pid), when and how long, which Python, and how the
 * recording ended. Written when the recording starts (state RECORDING) and replaced, by
 * rename, when it ends; a trace whose meta still says RECORDING while no recorder runs was cut
 * short. Same small-file format as the header (docs/trace-format.md).
 */
#ifndef PT_META_H
#define PT_META_H

#include <stdint.h>

enum pt_meta_state {
    PT_META_RECORDING = 1,
    PT_META_COMPLETE = 2, /* the program ran to its end (end_how/end_code) */
    PT_META_STOPPED = 3,  /* the recording stopped early (unsupported call, full disk, ...) */
};

struct pt_meta {
    char pytt_version[32];
    uint8_t state;
    uint64_t recorder_pid;
    int64_t start_ns, end_ns;
    char python_version[32];
    uint8_t end_how; /* PT_END_* */
    int32_t end_code;
    uint64_t nevents;
};

int pt_meta_write(const char *trace_dir, const struct pt_meta *m);
int pt_meta_read(const char *trace_dir, struct pt_meta *m);

#endif
