/*
 * dap_io: the Debug Adapter Protocol's base protocol for `pytt dap`: messages framed by a
 * `Content-Length: N` header and a blank line, read on a thread of their own into a queue, so
 * that while the main thread runs a long motion a `pause` request, a `disconnect`/`terminate`
 * or the client going away interrupts it (pt_interrupted plus a signal that breaks the
 * replayer's waits). Framing errors are queued as errors: the adapter answers them with an
 * output event and goes on with the next message. Also: the loopback TCP listener (--port).
 */
#define _GNU_SOURCE
#include "dap.h"

#include "common/pt_error.h"
#include "common/pt_ptrace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DAP_MAX_BODY (64u << 20)

struct dap_msg {
    char *body; /* NULL: a framing error (err) */
    char err[256];
    struct dap_msg *next;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct dap_msg *head, *tail;
    int eof;
    pthread_t reader, main;
    int fd;
    volatile sig_atomic_t gone;
} q = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void on_interrupt(int sig)
{
    (void)sig;
    pt_interrupted = 1;
}

/* The main thread is told to stop what it runs (a motion). */
static void interrupt_main(void)
{
    pt_interrupted = 1;
    pthread_kill(q.main, SIGINT);
}

static void push(char *body, const char *err)
{
    struct dap_msg *m = calloc(1, sizeof *m);
    if (!m) {
        free(body);
        return;
    }
    m->body = body;
    if (err) {
        snprintf(m->err, sizeof m->err, "%s", err);
    }
    pthread_mutex_lock(&q.lock);
    if (q.tail) {
        q.tail->next = m;
    } else {
        q.head = m;
    }
    q.tail = m;
    pthread_cond_signal(&q.cond);
    pthread_mutex_unlock(&q.lock);
}

/* The value of "command" in a request body, found without the JSON reader (which reports
 * errors through pt_error, the main thread's). */
static int is_command(const char *body, const char *name)
{
    const char *k = strstr(body, "\"command\"");
    if (!k) {
        return 0;
    }
    k += 9;
    k += strspn(k, " \t\r\n");
    if (*k++ != ':') {
        return 0;
    }
    k += strspn(k, " \t\r\n");
    size_t n = strlen(name);
    return *k == '"' && strncmp(k + 1, name, n) == 0 && k[1 + n] == '"';
}

/* Buffered reading of the input. */
static char rbuf[65536];
static size_t rlen, rpos;

static int rd_byte(void)
{
    if (rpos == rlen) {
        ssize_t n;
        do {
            n = read(q.fd, rbuf, sizeof rbuf);
        } while (n < 0 && errno == EINTR);
        if (n <= 0) {
            return -1;
        }
        rlen = (size_t)n;
        rpos = 0;
    }
    return (unsigned char)rbuf[rpos++];
}

/* One header line (without CR LF); -1 at the end of the input. */
static int rd_line(char *line, size_t cap)
{
    size_t n = 0;
    for (;;) {
        int c = rd_byte();
        if (c < 0) {
            return -1;
        }
        if (c == '\n') {
            break;
        }
        if (n + 1 < cap) {
            line[n++] = (char)c;
        }
    }
    if (n && line[n - 1] == '\r') {
        n--;
    }
    line[n] = 0;
    return 0;
}

/* Read one framed message: 1 with *body, 0 at the end, -1 with err (a bad header). */
static int rd_message(char **body, char *err, size_t ecap)
{
    char line[1024];
    long long len = -1;
    int lines = 0;
    for (;;) {
        if (rd_line(line, sizeof line) < 0) {
            return 0;
        }
        if (!line[0]) {
            if (lines == 0) {
                continue; /* stray blank lines between messages */
            }
            break;
        }
        lines++;
        if (strncasecmp(line, "Content-Length:", 15) == 0) {
            char *end;
            len = strtoll(line + 15, &end, 10);
            if (end == line + 15 || *end || len < 0) {
                len = -2;
            }
        }
    }
    if (len < 0 || (unsigned long long)len > DAP_MAX_BODY) {
        snprintf(err, ecap, "%s",
                 len == -1   ? "a message without a Content-Length header"
                 : len == -2 ? "a Content-Length that is not a number"
                             : "a message larger than 64 MiB");
        return -1;
    }
    char *b = malloc((size_t)len + 1);
    if (!b) {
        snprintf(err, ecap, "out of memory for a %lld-byte message", len);
        return -1;
    }
    for (long long i = 0; i < len; i++) {
        int c = rd_byte();
        if (c < 0) {
            free(b);
            return 0; /* the input ended inside the body: a wrong Content-Length */
        }
        b[i] = (char)c;
    }
    b[len] = 0;
    *body = b;
    return 1;
}

static void *reader(void *arg)
{
    (void)arg;
    for (;;) {
        char *body = NULL, err[256];
        int r = rd_message(&body, err, sizeof err);
        if (r == 0) {
            break;
        }
        if (r < 0) {
            push(NULL, err);
            continue;
        }
        int stop = is_command(body, "pause") || is_command(body, "disconnect") ||
                   is_command(body, "terminate");
        push(body, NULL);
        if (stop) {
            interrupt_main();
        }
    }
    pthread_mutex_lock(&q.lock);
    q.eof = 1;
    q.gone = 1;
    pthread_cond_signal(&q.cond);
    pthread_mutex_unlock(&q.lock);
    interrupt_main();
    return NULL;
}

int dap_io_start(struct dap *d)
{
    struct sigaction sa = {.sa_handler = on_interrupt}; /* no SA_RESTART: waits return EINTR */
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    q.fd = d->in_fd;
    q.main = pthread_self();
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* signals go to the main thread only */
    int rc = pthread_create(&q.reader, NULL, reader, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        errno = rc;
        return pt_fail_errno("cannot start the thread reading requests");
    }
    pthread_detach(q.reader);
    return 0;
}

int dap_io_next(struct dap *d, char **body)
{
    (void)d;
    pthread_mutex_lock(&q.lock);
    while (!q.head && !q.eof) {
        pthread_cond_wait(&q.cond, &q.lock);
    }
    struct dap_msg *m = q.head;
    if (m) {
        q.head = m->next;
        if (!q.head) {
            q.tail = NULL;
        }
    }
    pthread_mutex_unlock(&q.lock);
    if (!m) {
        return 0;
    }
    int rc = m->body ? 1 : -1;
    *body = m->body;
    if (!m->body) {
        pt_fail("%s", m->err);
    }
    free(m);
    return rc;
}

int dap_io_gone(void)
{
    return q.gone;
}

void dap_io_stop(struct dap *d)
{
    (void)d;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            q.gone = 1; /* the client went away */
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

void dap_send(struct dap *d, struct pt_jw *w)
{
    size_t len;
    const char *text = pt_jw_text(w, &len);
    char head[64];
    int n = snprintf(head, sizeof head, "Content-Length: %zu\r\n\r\n", len);
    write_all(d->out_fd, head, (size_t)n);
    write_all(d->out_fd, text, len);
}

int dap_listen(int port, int *fd)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    socklen_t alen = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0) {
        return pt_fail_errno("socket");
    }
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 1) < 0) {
        pt_fail_errno("cannot listen on 127.0.0.1:%d", port);
        close(s);
        return -1;
    }
    getsockname(s, (struct sockaddr *)&a, &alen);
    fprintf(stderr, "pytt dap: listening on 127.0.0.1:%d\n", (int)ntohs(a.sin_port));
    fflush(stderr);
    int c;
    do {
        c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
    } while (c < 0 && errno == EINTR);
    close(s);
    if (c < 0) {
        return pt_fail_errno("accept on 127.0.0.1:%d", port);
    }
    *fd = c;
    return 0;
}
