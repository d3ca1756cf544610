/*
 * pt_chunk_async: a trace writer's chunks compressed and written by a thread of its own (see
 * pt_chunkw_async in pt_chunk.h).
 *
 * A recording pins its tracer and its tracee to one CPU (pt_pick_cpu: a ptrace stop between two
 * CPUs costs more than the compression it could overlap), so while the program runs, the
 * other CPUs are idle; compressing a chunk there (the LOADER's state, rec_loader.c, is ~300 KB
 * of it at the start of every recording: ~1 ms of level-1 zstd) takes it off the recording's
 * critical path. One chunk at a time: the next flush waits for the one in flight, since a
 * chunk's place in the file is known only once the one before it is compressed. The thread
 * owns a second writer's buffers (raw records, handed-over frames, compressed bytes); handing
 * records over swaps buffers, so nothing is copied. A failed chunk (the disk full) is put back
 * in front of the records buffered since, and the failure is reported by whatever waits for the
 * thread next, as if it were its own: the recorder's storage handling (rec_release.c,
 * pt_tracew_salvage) then sees exactly the state a synchronous write would have left.
 */
#define _GNU_SOURCE
#include "pt_chunk.h"

#include "pt_error.h"

#include <errno.h>

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pt_chunk_async {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int busy;   /* a chunk is with the thread (under mu) */
    int quit;   /* the thread is to end (under mu) */
    int failed; /* that chunk's write failed: err, msg (under mu) */
    int handed; /* a chunk was handed over since the last wait (the caller's thread only) */
    int err;
    char msg[768];
    int avoid_cpu;
    struct pt_chunk_writer jw; /* the chunk being written: its buffers, place and records */
};

static void run_elsewhere(int avoid_cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    int others = 0;
    for (long i = 0; i < n && i < CPU_SETSIZE; i++) {
        if (i != avoid_cpu) {
            CPU_SET(i, &set);
            others++;
        }
    }
    if (others) { /* else anywhere: a one-CPU machine gains nothing, loses nothing */
        sched_setaffinity(0, sizeof set, &set);
    }
}

static void *worker(void *arg)
{
    struct pt_chunk_async *a = arg;
    run_elsewhere(a->avoid_cpu);
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->busy && !a->quit) {
            pthread_cond_wait(&a->cv, &a->mu);
        }
        if (!a->busy) {
            break;
        }
        pthread_mutex_unlock(&a->mu);
        int rc = pt_chunkw_write_chunk(&a->jw); /* its errors are this thread's (pt_error.c) */
        pthread_mutex_lock(&a->mu);
        if (rc < 0) {
            a->err = a->jw.write_errno;
            snprintf(a->msg, sizeof a->msg, "%s", pt_errmsg());
        }
        __atomic_store_n(&a->failed, rc < 0, __ATOMIC_RELEASE);
        a->busy = 0;
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
    pt_chunkw_thread_end(&a->jw);
    return NULL;
}

int pt_chunkw_async(struct pt_chunk_writer *w, int avoid_cpu)
{
    if (w->async) {
        return 0;
    }
    struct pt_chunk_async *a = calloc(1, sizeof *a);
    a->avoid_cpu = avoid_cpu;
    pt_buf_init(&a->jw.raw);
    pt_buf_init(&a->jw.comp);
    pt_buf_init(&a->jw.frames);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    int e = pthread_create(&a->thread, NULL, worker, a);
    if (e != 0) {
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->cv);
        free(a);
        errno = e;
        return pt_fail_errno("starting the trace writer's thread");
    }
    w->async = a;
    return 0;
}

int pt_chunkw_async_busy(const struct pt_chunk_writer *w)
{
    return w->async && w->async->handed;
}

int pt_chunkw_async_failed(struct pt_chunk_writer *w)
{
    return w->async && w->async->handed && __atomic_load_n(&w->async->failed, __ATOMIC_ACQUIRE);
}

/* Swap the buffered records (raw bytes and handed-over frames) of x and y. */
static void swap_records(struct pt_chunk_writer *x, struct pt_chunk_writer *y)
{
    struct pt_chunk_writer t = *x;
    x->raw = y->raw;
    x->frames = y->frames;
    x->fv = y->fv;
    x->nframes = y->nframes;
    x->frames_cap = y->frames_cap;
    x->frame_content = y->frame_content;
    y->raw = t.raw;
    y->frames = t.frames;
    y->fv = t.fv;
    y->nframes = t.nframes;
    y->frames_cap = t.frames_cap;
    y->frame_content = t.frame_content;
}

/* The failed chunk's records (in j) go back in front of those buffered since (in w). */
static void put_back(struct pt_chunk_writer *w, struct pt_chunk_writer *j)
{
    size_t raw_shift = j->raw.len, frames_shift = j->frames.len;
    pt_buf_put(&j->raw, w->raw.data, w->raw.len);
    pt_buf_put(&j->frames, w->frames.data, w->frames.len);
    if (j->nframes + w->nframes > j->frames_cap) {
        j->frames_cap = j->nframes + w->nframes;
        j->fv = realloc(j->fv, j->frames_cap * sizeof *j->fv);
    }
    for (size_t i = 0; i < w->nframes; i++) {
        struct pt_chunk_frame f = w->fv[i];
        f.at += raw_shift;
        f.off += frames_shift;
        j->fv[j->nframes++] = f;
    }
    j->frame_content += w->frame_content;
    swap_records(w, j);
    w->first_record = j->first_record;
    pt_buf_reset(&j->raw);
    pt_buf_reset(&j->frames);
    j->nframes = 0;
    j->frame_content = 0;
}

int pt_chunkw_async_join(struct pt_chunk_writer *w)
{
    struct pt_chunk_async *a = w->async;
    if (!a || !a->handed) {
        return 0;
    }
    pthread_mutex_lock(&a->mu);
    while (a->busy) {
        pthread_cond_wait(&a->cv, &a->mu);
    }
    int failed = a->failed;
    a->failed = 0;
    pthread_mutex_unlock(&a->mu);
    a->handed = 0;
    if (failed) {
        put_back(w, &a->jw);
        w->write_errno = a->err;
        errno = a->err;
        return pt_fail("%s", a->msg);
    }
    w->bytes_out = a->jw.bytes_out + a->jw.comp.len;
    pt_buf_reset(&a->jw.raw);
    pt_buf_reset(&a->jw.frames);
    a->jw.nframes = 0;
    a->jw.frame_content = 0;
    return 0;
}

int pt_chunkw_flush_async(struct pt_chunk_writer *w)
{
    struct pt_chunk_async *a = w->async;
    if (!a) {
        return pt_chunkw_flush(w);
    }
    if (pt_chunkw_async_join(w) < 0) {
        return -1;
    }
    if (!pt_chunkw_pending(w) && w->nrecords == w->first_record) {
        return 0;
    }
    struct pt_chunk_writer *j = &a->jw;
    swap_records(w, j);
    j->fd = w->fd;
    j->path = w->path;
    j->level = w->level;
    j->first_record = w->first_record;
    j->bytes_out = w->bytes_out;
    j->write_errno = 0;
    w->first_record = w->nrecords;
    a->handed = 1;
    pthread_mutex_lock(&a->mu);
    a->busy = 1;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    return 0;
}

void pt_chunkw_async_stop(struct pt_chunk_writer *w)
{
    struct pt_chunk_async *a = w->async;
    if (!a) {
        return;
    }
    if (pt_chunkw_async_join(w) < 0) {
        pt_err_clear(); /* (the caller waited for it already: this cannot happen) */
    }
    pthread_mutex_lock(&a->mu);
    a->quit = 1;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    pt_buf_free(&a->jw.raw);
    pt_buf_free(&a->jw.comp);
    pt_buf_free(&a->jw.frames);
    free(a->jw.fv);
    free(a);
    w->async = NULL;
}
