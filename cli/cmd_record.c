/*
 * cmd_record: `pytt record [-o DIR] [--] PYTHON SCRIPT [ARGS...]`. Chooses the trace
 * directory, runs the recorder, and exits with the program's own status (128+N if signal N
 * killed it), so pytt can stand in for python in scripts. Prints nothing of its own on
 * success unless stderr is a terminal, so the program's output is exactly what it wrote.
 */
#include "cli.h"

#include "common/pt_error.h"
#include "common/pt_trace.h"
#include "recorder/recorder.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void record_usage(void)
{
    fputs("usage: pytt record [-o DIR] [--children] [--chaos[=SEED]] [--no-syscallbuf]\n"
          "                   [--redact-env NAME[,NAME...]]...\n"
          "                   [--] PYTHON SCRIPT [ARGS...]\n"
          "  --children  record every Python child that starts an interpreter (subprocess,\n"
          "              multiprocessing spawn) too, into the same trace (also PYTT_CHILDREN=1);\n"
          "              `pytt ps DIR` lists them, `pytt replay DIR -p PID` debugs one\n"
          "  --chaos  run the program's threads in random orders and time slices, to make\n"
          "           rare interleavings (races) happen sooner (rr's chaos mode)\n"
          "  --no-syscallbuf  stop the program at every syscall, without the in-process\n"
          "           buffer that makes frequent cheap calls without a stop (also\n"
          "           PYTT_NO_SYSCALLBUF=1): slower, for comparing and diagnosing\n",
          stderr);
}

/* --redact-env A,B: split into the list (the strings stay in argv). */
static void add_redactions(char *list, const char **out, int *n, int cap)
{
    for (char *tok = strtok(list, ","); tok && *n < cap; tok = strtok(NULL, ",")) {
        out[(*n)++] = tok;
    }
}

static int dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        return 0;
    }
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = 0;
        }
    }
    closedir(d);
    return empty;
}

static int prepare_outdir(const char *dir)
{
    if (mkdir(dir, 0700) == 0) {
        return 0;
    }
    if (errno == EEXIST && dir_is_empty(dir)) {
        /* A trace holds everything the program read: private whatever the directory was. */
        struct stat st;
        if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            return pt_fail("%s is not a directory", dir);
        }
        return chmod(dir, 0700) == 0 ? 0 : pt_fail_errno("chmod(%s, 0700)", dir);
    }
    if (errno == EEXIST) {
        return pt_fail("%s already exists and is not empty (choose a new -o directory)", dir);
    }
    return pt_fail_errno("mkdir(%s)", dir);
}

static void remove_trace(const char *dir)
{
    static const char *const names[] = {"events", "header", "reserve", "meta", "sources"};
    char p[PATH_MAX + 16];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
}

/* The name of the default trace directory: the script, else the interpreter. */
static const char *script_name(char **cmd)
{
    if (cmd[1] && cmd[1][0] != '-') {
        return cmd[1];
    }
    return cmd[0];
}

static void ignore_signal(int sig) {}

static int exit_status(const struct rec_result *res)
{
    if (res->how == PT_END_SIGNALED) {
        return 128 + res->code;
    }
    return res->code;
}

/* The trace could not be written any more (a full disk): say what happened to the program. */
static int released_status(const struct rec_result *res, const char *dir)
{
    char esc[1024];
    fprintf(stderr, "pytt: the recording stopped: %s\n", pt_escape(res->stop_msg, esc, sizeof esc));
    if (res->released > 0) {
        fprintf(stderr,
                "pytt: the program was let go and ran on untraced, to its end (%s %d); "
                "what it did after that point is not in the trace\n",
                res->how == PT_END_SIGNALED ? "killed by signal" : "exit status", res->code);
    } else {
        fprintf(stderr, "pytt: the program was killed\n");
    }
    fprintf(stderr,
            "pytt: the trace in %s replays its first %llu events, then says it was cut "
            "short\n",
            dir, (unsigned long long)res->stopped_at);
    return exit_status(res);
}

int cli_record_main(int argc, char **argv)
{
    const char *out = NULL;
    const char *redact[64];
    int nredact = 0;
    int i = 1, chaos = 0;
    const char *env_nobuf = getenv("PYTT_NO_SYSCALLBUF");
    int no_sysbuf = env_nobuf && env_nobuf[0] && strcmp(env_nobuf, "0") != 0;
    const char *env_children = getenv("PYTT_CHILDREN");
    int children = env_children && env_children[0] && strcmp(env_children, "0") != 0;
    unsigned long long seed = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(argv[i], "--chaos") == 0) {
            chaos = 1;
        } else if (strncmp(argv[i], "--chaos=", 8) == 0) {
            char *end;
            chaos = 1;
            seed = strtoull(argv[i] + 8, &end, 0);
            if (!argv[i][8] || *end || !seed) {
                fprintf(stderr, "pytt: --chaos=SEED takes a non-zero number, not '%s'\n",
                        argv[i] + 8);
                return PYTT_EXIT_ERROR;
            }
        } else if (strcmp(argv[i], "--children") == 0) {
            children = 1;
        } else if (strcmp(argv[i], "--no-syscallbuf") == 0) {
            no_sysbuf = 1;
        } else if (strcmp(argv[i], "--redact-env") == 0 && i + 1 < argc) {
            add_redactions(argv[++i], redact, &nredact, 64);
        } else {
            record_usage();
            return PYTT_EXIT_ERROR;
        }
    }
    if (i >= argc) {
        record_usage();
        return PYTT_EXIT_ERROR;
    }
    if (rec_check_command(argv + i) < 0) {
        return cli_fail("cannot record %s", argv[i]);
    }
    char dir[PATH_MAX];
    int rc = out ? (snprintf(dir, sizeof dir, "%s", out), prepare_outdir(dir))
                 : cli_tracedir_new(script_name(argv + i), dir, sizeof dir);
    if (rc < 0) {
        return cli_fail("cannot create the trace directory");
    }
    /* Ctrl-C goes to the whole foreground group: the program handles it (and that is
     * recorded); pytt survives it. A handler, not SIG_IGN: exec resets handlers to the
     * default, while an ignored disposition would leak into the recorded program. */
    struct sigaction sa = {.sa_handler = ignore_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    struct rec_options opt = {.argv = argv + i,
                              .trace_dir = dir,
                              .redact_env = redact,
                              .nredact = nredact,
                              .chaos = chaos,
                              .chaos_seed = seed,
                              .no_sysbuf = no_sysbuf,
                              .children = children};
    struct rec_result res;
    rc = rec_record(&opt, &res);
    if (!res.header_written) {
        remove_trace(dir);
        return cli_fail("cannot record %s", argv[i]);
    }
    cli_tracedir_link_latest(dir);
    if (res.released) {
        return released_status(&res, dir);
    }
    if (rc < 0) {
        cli_fail("%s", "recording incomplete");
        fprintf(stderr, "pytt: the trace in %s replays up to that point\n", dir);
        return PYTT_EXIT_ERROR;
    }
    if (isatty(2)) {
        fprintf(stderr, "pytt: recorded %llu events to %s\n", (unsigned long long)res.nevents, dir);
    }
    return exit_status(&res);
}
