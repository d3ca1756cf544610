/*
 * rep_threadnum: the numbers the user knows threads by, as gdb numbers them: 1 is the
 * recorded process's first thread, then 2, 3, ... in the order the recording created them; a
 * number is never reused, even when the kernel reused a thread id. A thread is identified by
 * its recorded id and the event that created it (its birth), so a number means the same thread
 * at every moment of the replay, before its birth (it does not exist yet) and after its end.
 *
 * The session keeps every thread created so far in the order of birth. A session reaches any
 * moment by running forward from the start (snapshots are taken on the way), so every thread
 * born before the current moment has been seen, and the numbers are those of the whole run.
 */
#include "rep_internal.h"

#include "common/pt_error.h"

#include <stdlib.h>
#include <string.h>

void rep_thread_seen(struct rep_session *s, const struct rep_thread *t)
{
    int at = s->nseen;
    for (int i = 0; i < s->nseen; i++) {
        if (s->seen[i].born == t->born && s->seen[i].rec_tid == t->rec_tid) {
            return; /* created again by a second pass over the same part of the run */
        }
        if (s->seen[i].born > t->born && at == s->nseen) {
            at = i;
        }
    }
    if (s->nseen == s->seen_cap) {
        int cap = s->seen_cap ? 2 * s->seen_cap : 8;
        struct rep_thread_seen *v = realloc(s->seen, (size_t)cap * sizeof *v);
        if (!v) {
            return; /* numbers of later threads shift; nothing else depends on them */
        }
        s->seen = v;
        s->seen_cap = cap;
    }
    memmove(&s->seen[at + 1], &s->seen[at], (size_t)(s->nseen - at) * sizeof *s->seen);
    s->seen[at].rec_tid = t->rec_tid;
    s->seen[at].born = t->born;
    s->nseen++;
}

void rep_threads_seen_free(struct rep_session *s)
{
    free(s->seen);
    s->seen = NULL;
    s->nseen = s->seen_cap = 0;
}

int rep_thread_number(const struct rep_session *s, pid_t rec_tid)
{
    for (int i = 0; i < s->nthreads; i++) {
        const struct rep_thread *t = &s->threads[i];
        if (t->rec_tid != rec_tid) {
            continue;
        }
        if (t->born == 0) {
            return 1;
        }
        for (int k = 0; k < s->nseen; k++) {
            if (s->seen[k].born == t->born && s->seen[k].rec_tid == rec_tid) {
                return k + 2;
            }
        }
    }
    return 0;
}

int rep_thread_count(const struct rep_session *s)
{
    return s->nseen + 1;
}

int rep_thread_of_number(const struct rep_session *s, int n, pid_t *rec_tid)
{
    pid_t want = n == 1 ? s->tr.hdr.pid : n >= 2 && n - 2 < s->nseen ? s->seen[n - 2].rec_tid : 0;
    uint64_t born = n >= 2 && n - 2 < s->nseen ? s->seen[n - 2].born : 0;
    if (!want) {
        return pt_fail("no thread %d: %d thread%s created so far in this replay (see `info "
                       "threads`)",
                       n, rep_thread_count(s), s->nseen ? "s were" : " was");
    }
    for (int i = 0; i < s->nthreads; i++) {
        if (s->threads[i].rec_tid == want && s->threads[i].born == born) {
            *rec_tid = want;
            return 0;
        }
    }
    if (born > rep_position(s)) {
        return pt_fail("thread %d does not exist yet at this moment (it is created at event "
                       "%llu)",
                       n, (unsigned long long)born);
    }
    return pt_fail("thread %d has ended before this moment", n);
}
