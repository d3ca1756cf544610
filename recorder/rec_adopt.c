/*
 * rec_adopt: `pytt record --children`. A descendant that execs a CPython interpreter is handed
 * to a recorder of its own, which records it into TRACE/procs/PID as a complete trace (header,
 * events, meta) with its own Python clock: replay -p PID replays that directory like any
 * recording. The hand-off happens at the exit of the child's execve, before it ran a single
 * instruction of the new program, which is exactly where `pytt record` starts a recording:
 * this recorder runs the task to that point, detaches it with a SIGSTOP (it stops, untraced),
 * and starts `pytt __record-child`, which PTRACE_SEIZEs the stopped task and records it as
 * rec_spawn + rec_start would (rec_adopt_attach). The new recorder runs on another CPU than
 * this one, so recorded children run in parallel as they did unrecorded.
 *
 * What a recorded child writes to the stdout/stderr the top process inherited still belongs in
 * the parent's replay: each child recorder sends those bytes (and its own descendants') over a
 * pipe to the recorder that started it, which logs them as OUTPUT events when it next handles
 * a stop; the top one waits for every child recorder (end of the pipe) before its END record.
 *
 * Every recorder also keeps the index of the processes it saw (TRACE/processes, read by
 * `pytt ps`): pid, parent, start and end, exit status, command line, and whether it was
 * recorded; fork children are not recorded (they share their parent's history: see
 * docs/architecture.md) and `ps` says how to get them recorded.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_error.h"
#include "common/pt_proc.h"
#include "common/pt_ptrace.h"
#include "common/pt_startup.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX 4096 /* one message per atomic pipe write (PIPE_BUF) */

struct rec_procent {
    pid_t pid, ppid;
    int64_t start_ns, end_ns;
    int how, code; /* PT_END_* (0: unknown) */
    int state;     /* REC_PROC_* */
    char cmd[512];
};

/* ---- the process index ---- */

static struct rec_procent *proc_find(struct rec_session *s, pid_t pid)
{
    for (size_t i = s->nprocs; i-- > 0;) {
        if (s->procs[i].pid == pid && !s->procs[i].end_ns) {
            return &s->procs[i];
        }
    }
    return NULL;
}

static void read_cmdline(pid_t pid, char *out, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return;
    }
    ssize_t n = read(fd, out, cap - 1);
    close(fd);
    if (n <= 0) {
        out[0] = '\0';
        return;
    }
    out[n] = '\0';
    while (n > 0 && out[n - 1] == '\0') {
        n--;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (out[i] == '\0' || out[i] == '\t' || out[i] == '\n') {
            out[i] = ' ';
        }
    }
}

void rec_proc_born(struct rec_session *s, pid_t pid, pid_t creator)
{
    if (s->nprocs == s->procs_cap) {
        s->procs_cap = s->procs_cap ? s->procs_cap * 2 : 16;
        s->procs = realloc(s->procs, s->procs_cap * sizeof *s->procs);
    }
    struct rec_procent *p = &s->procs[s->nprocs++];
    memset(p, 0, sizeof *p);
    p->pid = pid;
    p->ppid = rec_thread_find(s, creator) ? s->pid : pt_proc_tgid(creator);
    p->start_ns = rec_wall_ns();
    struct rec_procent *parent = proc_find(s, p->ppid);
    if (parent) {
        snprintf(p->cmd, sizeof p->cmd, "%s", parent->cmd);
    } else {
        read_cmdline(p->ppid, p->cmd, sizeof p->cmd);
    }
    p->state = parent && parent->state == REC_PROC_OTHER ? REC_PROC_OTHER : REC_PROC_FORK;
}

void rec_proc_exec(struct rec_session *s, pid_t pid, int state)
{
    struct rec_procent *p = proc_find(s, pid);
    if (p) {
        read_cmdline(pid, p->cmd, sizeof p->cmd);
        p->state = state;
    }
}

void rec_proc_ended(struct rec_session *s, const struct pt_stop *st)
{
    struct rec_procent *p = proc_find(s, st->pid);
    if (p && p->state != REC_PROC_RECORDED) {
        p->end_ns = rec_wall_ns();
        p->how = st->kind == PT_STOP_EXITED ? PT_END_EXITED : PT_END_SIGNALED;
        p->code = st->kind == PT_STOP_EXITED ? st->code : st->sig;
    }
}

static const char *state_name(int state)
{
    switch (state) {
    case REC_PROC_RECORDED:
        return "recorded";
    case REC_PROC_FORK:
        return "fork";
    case REC_PROC_PYTHON_UNUSABLE:
        return "python-unusable";
    case REC_PROC_UNCHECKED:
        return "no-children-option";
    default:
        return "other";
    }
}

int rec_procs_write(struct rec_session *s)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/processes", s->opt->trace_dir);
    /* written after the last events: the reserve, which serves no more, becomes this file */
    int reserve = pt_tracew_reserve_to(&s->tw, path) == 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600); /* as the trace's */
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
        }
        if (reserve) {
            unlink(path); /* not left holding the reserve's zeros */
        }
        errno = e;
        return pt_fail_errno("creating %s", path);
    }
    fprintf(f, "# pid\tppid\tstart_ns\tend_ns\thow\tcode\tstate\tcommand\n");
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct rec_procent *p = &s->procs[i];
        fprintf(f, "%d\t%d\t%lld\t%lld\t%d\t%d\t%s\t%s\n", (int)p->pid, (int)p->ppid,
                (long long)p->start_ns, (long long)p->end_ns, p->how, p->code, state_name(p->state),
                p->cmd);
    }
    if (fclose(f) != 0) {
        return pt_fail_errno("writing %s", path);
    }
    return 0;
}

/* ---- handing a child over ---- */

/* Is the image pid just exec'd a CPython pytt can record? 1 yes, 0 no (state says why). */
static int is_recordable_python(pid_t pid, int *state)
{
    char exe[4096];
    struct pt_pyinfo py;
    int is_python = 0;
    *state = REC_PROC_OTHER;
    if (pt_proc_readlink(pid, "exe", exe, sizeof exe) < 0) {
        pt_err_clear();
        return 0;
    }
    memset(&py, 0, sizeof py);
    if (pt_check_python(exe, &py, &is_python) == 0) {
        return 1;
    }
    pt_err_clear();
    *state = is_python ? REC_PROC_PYTHON_UNUSABLE : REC_PROC_OTHER;
    return 0;
}

static int wait_stopped(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    for (int i = 0; i < 10000; i++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0) {
            close(fd);
        }
        if (n <= 0) {
            return pt_fail("child %d ended while being handed to its recorder", (int)pid);
        }
        buf[n] = '\0';
        const char *rp = strrchr(buf, ')');
        if (rp && (rp[2] == 'T' || rp[2] == 't')) {
            return 0;
        }
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    return pt_fail("child %d did not stop to be handed to its recorder", (int)pid);
}

/* The fds (as "FD:KIND,...") that are the top process's stdout/stderr in the child. */
static void streams_arg(const struct pt_fdkinds *k, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (int fd = 0; fd < PT_MAX_FD && k; fd++) {
        int kind = pt_fdkinds_get(k, (uint64_t)fd);
        if (kind && len + 16 < cap) {
            len += (size_t)snprintf(out + len, cap - len, "%s%d:%d", len ? "," : "", fd, kind);
        }
    }
    if (!out[0]) {
        snprintf(out, cap, "none");
    }
}

/* `pytt __record-child PID DIR FD CPU STREAMS PROCS_DIR GATE [OPTION...]`: every record
 * option that changes what is stored or how the program runs is passed on (--redact-env,
 * --chaos, --no-syscallbuf), so a child is recorded as the top process is. */
static void child_argv(struct rec_session *s, char **argv, char *exe, char *pidstr, char *dir,
                       char *fdstr, char *cpustr, const char *streams, char *gatestr)
{
    static char chaos[64];
    const struct rec_options *o = s->opt;
    int n = 0;
    char *fixed[] = {exe,    "__record-child", pidstr,       dir,    fdstr,
                     cpustr, (char *)streams,  s->procs_dir, gatestr};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        argv[n++] = fixed[i];
    }
    for (int i = 0; i < o->nredact && i < 64; i++) {
        argv[n++] = "--redact-env";
        argv[n++] = (char *)o->redact_env[i];
    }
    if (o->chaos) {
        /* each child its own schedule, reproducible from the top seed */
        if (o->chaos_seed) {
            snprintf(chaos, sizeof chaos, "--chaos=%llu",
                     (unsigned long long)(o->chaos_seed + (uint64_t)atoi(pidstr)));
        } else {
            snprintf(chaos, sizeof chaos, "--chaos");
        }
        argv[n++] = chaos;
    }
    if (o->no_sysbuf) {
        argv[n++] = "--no-syscallbuf";
    }
    argv[n] = NULL;
}

static int start_child_recorder(struct rec_session *s, pid_t pid, const char *streams)
{
    if (s->fwd_rd < 0) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
            return pt_fail_errno("pipe2");
        }
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        fcntl(p[1], F_SETPIPE_SZ, 1 << 20); /* best effort: the most unread output it holds */
        s->fwd_rd = p[0];
        s->fwd_wr = p[1];
    }
    char dir[4096], pidstr[32], fdstr[32], cpustr[32], gatestr[32], exe[4096];
    int gate_fd, gate_slot;
    if (rec_peers_new_slot(s, &gate_fd, &gate_slot) < 0) {
        return -1;
    }
    if (snprintf(dir, sizeof dir, "%s/%d", s->procs_dir, (int)pid) >= (int)sizeof dir) {
        return pt_fail("trace directory path too long: %s", s->procs_dir);
    }
    if (mkdir(dir, 0700) < 0) {
        return pt_fail_errno("creating %s", dir);
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        return pt_fail_errno("readlink(/proc/self/exe)");
    }
    exe[n] = '\0';
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int cpu = s->cpu < 0 || ncpu <= 1 ? -1 : (int)((s->cpu + 1 + s->nadopted) % ncpu);
    if (ncpu > 2 && cpu == s->cpu) {
        cpu = (cpu + 1) % (int)ncpu;
    }
    snprintf(pidstr, sizeof pidstr, "%d", (int)pid);
    snprintf(fdstr, sizeof fdstr, "%d", s->fwd_wr);
    snprintf(cpustr, sizeof cpustr, "%d", cpu);
    snprintf(gatestr, sizeof gatestr, "%d:%d", gate_fd, gate_slot);
    char *argv[8 + 2 * 64 + 4];
    child_argv(s, argv, exe, pidstr, dir, fdstr, cpustr, streams, gatestr);
    pid_t mid = fork();
    if (mid < 0) {
        return pt_fail_errno("fork");
    }
    if (mid == 0) {
        /* the middle process exits at once: the child recorder is nobody's child to reap */
        if (fork() == 0) {
            fcntl(s->fwd_wr, F_SETFD, 0);
            fcntl(gate_fd, F_SETFD, 0);
            execv(exe, argv);
            _exit(127);
        }
        _exit(0);
    }
    int status;
    while (waitpid(mid, &status, 0) < 0 && errno == EINTR) {
    }
    s->nadopted++;
    return 0;
}

int rec_adopt_at_exec(struct rec_session *s, pid_t pid, const struct pt_fdkinds *fds)
{
    int state;
    if (!s->opt->children || !is_recordable_python(pid, &state)) {
        rec_proc_exec(s, pid, s->opt->children ? state : REC_PROC_UNCHECKED);
        return 0;
    }
    char streams[256];
    streams_arg(fds, streams, sizeof streams);
    struct pt_stop st;
    if (pt_resume_next(pid, 0) < 0 || pt_wait(pid, &st) < 0) {
        return -1;
    }
    if (st.kind != PT_STOP_SYSCALL_EXIT) {
        return pt_fail("child %d after exec: expected the exit of execve, got %s", (int)pid,
                       pt_stop_str(&st));
    }
    if (ptrace(PTRACE_DETACH, pid, NULL, (void *)(long)SIGSTOP) < 0) {
        return pt_fail_errno("ptrace(PTRACE_DETACH, %d)", (int)pid);
    }
    rec_proc_exec(s, pid, REC_PROC_RECORDED);
    if (wait_stopped(pid) < 0 || start_child_recorder(s, pid, streams) < 0) {
        kill(pid, SIGKILL);
        return pt_wrap("handing child %d to a recorder of its own", (int)pid);
    }
    return 1;
}

/* ---- the child recorder's side ---- */

/* Does task pid run under a seccomp filter ("Seccomp: 2" in its status)? */
static int rec_has_filter(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    int mode = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "Seccomp: %d", &mode) == 1) {
            break;
        }
    }
    if (f) {
        fclose(f);
    }
    return mode == 2;
}

int rec_adopt_attach(struct rec_session *s)
{
    pid_t pid = s->opt->adopt_pid;
    long opts =
        PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL | PTRACE_O_TRACESECCOMP;
    pt_seccomp_tracing = rec_has_filter(pid); /* the parent's recording's, inherited */
    if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)opts) < 0) {
        return pt_fail_errno("ptrace(PTRACE_SEIZE, %d)", (int)pid);
    }
    s->pid = pid;
    struct pt_stop st;
    if (pt_wait(pid, &st) < 0) {
        return -1;
    }
    if (st.kind != PT_STOP_GROUP && !(st.kind == PT_STOP_SIGNAL && st.sig == SIGSTOP)) {
        return pt_fail("child %d: expected its stop after exec, got %s", (int)pid,
                       pt_stop_str(&st));
    }
    char exe[4096];
    int is_python;
    if (pt_proc_readlink(pid, "exe", exe, sizeof exe) < 0 ||
        pt_check_python(exe, &s->py, &is_python) < 0) {
        return -1;
    }
    if (s->cpu >= 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(s->cpu, &one);
        sched_setaffinity(pid, sizeof one, &one);
    }
    pt_mem_init_pid(&s->mem, pid);
    return 0;
}

/* Is this a child recorder, with a recorder upstream to send output to? */
static int forwarding(const struct rec_session *s)
{
    return s->opt->adopt_pid && s->opt->out_fd >= 0;
}

/* Send what the recorded process (or a descendant) wrote to an inherited stream upstream. */
int rec_adopt_forward(struct rec_session *s, int kind, const uint8_t *buf, size_t n)
{
    if (!forwarding(s) || !kind) {
        return 0;
    }
    while (n > 0) {
        uint8_t msg[MSG_MAX];
        size_t chunk = n < MSG_MAX - 5 ? n : MSG_MAX - 5;
        uint32_t len = (uint32_t)chunk;
        memcpy(msg, &len, 4);
        msg[4] = (uint8_t)kind;
        memcpy(msg + 5, buf, chunk);
        ssize_t w;
        do {
            w = write(s->opt->out_fd, msg, chunk + 5);
        } while (w < 0 && errno == EINTR);
        if (w != (ssize_t)(chunk + 5)) {
            return 0; /* the parent's recorder is gone: its trace is complete without this */
        }
        buf += chunk;
        n -= chunk;
    }
    return 0;
}

int rec_log_output(struct rec_session *s, int kind, const uint8_t *buf, size_t n)
{
    if (rec_adopt_forward(s, kind, buf, n) < 0) {
        return -1;
    }
    pt_event_reset(&s->ev, PT_EV_OUTPUT);
    s->ev.signo = kind;
    memcpy(pt_event_add_region(&s->ev, 0, n), buf, n);
    return rec_write_event(s);
}

struct out_ctx {
    struct rec_session *s;
    struct pt_mem *mem;
    int kind, log;
};

/* One region of a task's memory that a write wrote: logged (and forwarded), or forwarded. */
static int out_region(void *ud, pt_addr addr, uint64_t len)
{
    struct out_ctx *o = ud;
    uint8_t *buf = len ? malloc(len) : NULL;
    if (len && !buf) {
        return pt_fail("out of memory reading %llu bytes of output", (unsigned long long)len);
    }
    int rc = 0;
    if (len && pt_mem_read(o->mem, addr, buf, len) < 0) {
        if (o->log) {
            rc = pt_wrap("reading what task %d wrote", (int)o->mem->pid);
        } else {
            pt_err_clear(); /* forwarding is best effort: the parent's trace is complete */
        }
    } else if (len) {
        rc = o->log ? rec_log_output(o->s, o->kind, buf, len)
                    : rec_adopt_forward(o->s, o->kind, buf, len);
    }
    free(buf);
    return rc;
}

int rec_output_write(struct rec_session *s, struct pt_mem *mem, int kind, int log, int nr,
                     const uint64_t *args, int64_t ret)
{
    if (!kind || ret <= 0 || (nr != SYS_write && nr != SYS_writev) || (!log && !forwarding(s))) {
        return 0;
    }
    struct out_ctx o = {s, mem, kind, log};
    if (nr == SYS_write) {
        return out_region(&o, args[1], (uint64_t)ret);
    }
    return pt_sc_iovec_regions(mem, args[1], args[2], (uint64_t)ret, out_region, &o);
}

/* ---- the upstream side: log what child recorders sent ---- */

/* Read what is in the pipe (block: until every writer is gone). */
static int drain(struct rec_session *s, int block)
{
    if (s->fwd_rd < 0) {
        return 0;
    }
    if (block) {
        fcntl(s->fwd_rd, F_SETFL, 0);
    }
    for (;;) {
        uint8_t msg[MSG_MAX];
        ssize_t n = read(s->fwd_rd, msg, 5);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 5) {
            return 0; /* empty, or every child recorder has ended (messages are atomic) */
        }
        uint32_t len;
        memcpy(&len, msg, 4);
        size_t got = (size_t)n - 5;
        while (got < len) {
            ssize_t m = read(s->fwd_rd, msg + 5 + got, len - got);
            if (m < 0 && (errno == EINTR || errno == EAGAIN)) {
                continue; /* one message is written at once: the rest is there */
            }
            if (m <= 0) {
                return 0;
            }
            got += (size_t)m;
        }
        if (rec_log_output(s, msg[4], msg + 5, len) < 0) {
            return -1;
        }
    }
}

int rec_adopt_drain(struct rec_session *s)
{
    return drain(s, 0);
}

int rec_adopt_finish(struct rec_session *s)
{
    rec_peers_end(s); /* the child recorders may wait for the gate: they must end now */
    if (s->fwd_wr >= 0) {
        close(s->fwd_wr);
        s->fwd_wr = -1;
    }
    int rc = drain(s, 1);
    if (s->fwd_rd >= 0) {
        close(s->fwd_rd);
        s->fwd_rd = -1;
    }
    return rc;
}

void rec_adopt_free(struct rec_session *s)
{
    if (s->fwd_wr >= 0) {
        close(s->fwd_wr);
    }
    if (s->fwd_rd >= 0) {
        close(s->fwd_rd);
    }
    free(s->procs);
}
