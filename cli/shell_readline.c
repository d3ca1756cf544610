/*
 * shell_readline: what the interactive prompt adds to readline's line editing:
 *   - history saved across sessions in ~/.local/share/pytt/history ($PYTT_HISTORY overrides
 *     it; each line is appended as it is entered, the file is kept to HISTORY_MAX lines), as
 *     gdb's `set history save on`;
 *   - Tab completion: the command name, then its argument: breakpoint locations (the files and
 *     functions loaded in the program, from rep_break_candidates), names in scope for print
 *     (pyi_scope_names), command names for help, or the command's fixed words (info, set, ...);
 *     what completion learnt from the program is forgotten at every motion;
 *   - Ctrl-X A (and Ctrl-X a, Ctrl-X Ctrl-A, as gdb) switches the full-screen layout, and a
 *     terminal resize (SIGWINCH) redraws it while readline waits for input.
 */
#include "shell_cmds.h"

#include "common/pt_error.h"
#include "pyintrospect/pyintrospect.h"

#include <errno.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HISTORY_MAX 1000

static struct cli_shell *the_shell; /* readline's callbacks take no context */
static char history_path[4096];
static volatile sig_atomic_t resized;

/* ---- history ------------------------------------------------------------------------------ */

static int make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            int rc = mkdir(path, 0700);
            *p = '/';
            if (rc < 0 && errno != EEXIST) {
                return -1;
            }
        }
    }
    return 0;
}

static void history_open(void)
{
    const char *env = getenv("PYTT_HISTORY"), *home = getenv("HOME");
    if (env && *env) {
        snprintf(history_path, sizeof history_path, "%s", env);
    } else if (home && *home) {
        snprintf(history_path, sizeof history_path, "%s/.local/share/pytt/history", home);
    } else {
        history_path[0] = '\0';
        return;
    }
    using_history();
    if (make_dirs(history_path) < 0) {
        history_path[0] = '\0';
        return;
    }
    read_history(history_path); /* a missing file is a first session */
}

void shell_history_add(const char *line)
{
    HIST_ENTRY *last = history_length ? history_get(history_base + history_length - 1) : NULL;
    if (!line[0] || (last && strcmp(last->line, line) == 0)) {
        return; /* as gdb with `set history remove-duplicates 1` */
    }
    add_history(line);
    if (history_path[0]) {
        FILE *f = fopen(history_path, "a"); /* created 0600 below if new */
        if (f) {
            fclose(f);
            chmod(history_path, 0600);
            append_history(1, history_path);
        }
    }
}

/* ---- completion --------------------------------------------------------------------------- */

struct words {
    char **v;
    size_t n, cap;
};

static struct words locations, scope; /* learnt from the program at this stop */
static int have_locations, have_scope;

static void words_free(struct words *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->v[i]);
    }
    free(w->v);
    memset(w, 0, sizeof *w);
}

void shell_complete_forget(void)
{
    rep_free_strings(locations.v, locations.n);
    memset(&locations, 0, sizeof locations);
    words_free(&scope);
    have_locations = have_scope = 0;
}

static int add_word(void *ctx, const char *name)
{
    struct words *w = ctx;
    for (size_t i = 0; i < w->n; i++) {
        if (strcmp(w->v[i], name) == 0) {
            return 0;
        }
    }
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 64;
        char **t = realloc(w->v, w->cap * sizeof *t);
        if (!t) {
            return 1;
        }
        w->v = t;
    }
    w->v[w->n++] = strdup(name);
    return 0;
}

static void learn_locations(void)
{
    if (!have_locations && rep_state(the_shell->rep) == REP_READY) {
        rep_break_candidates(the_shell->rep, &locations.v, &locations.n);
        pt_err_clear();
    }
    have_locations = 1;
}

static void learn_scope(void)
{
    struct pyi_session *p = rep_state(the_shell->rep) == REP_READY ? rep_pyi(the_shell->rep) : NULL;
    if (!have_scope && p) {
        pyi_scope_names(p, add_word, &scope);
        pt_err_clear();
    }
    have_scope = 1;
}

/* The candidates for the word being completed: set by complete(), read by the generator. */
static struct words current;

static void offer(const char *word, const char *text)
{
    if (strncmp(word, text, strlen(text)) == 0) {
        add_word(&current, word);
    }
}

static void offer_commands(const char *text)
{
    size_t n;
    const struct shell_cmd *t = shell_commands(&n);
    for (size_t i = 0; i < n; i++) {
        offer(t[i].name, text);
    }
}

static void offer_list(const char *list, const char *text)
{
    char word[64];
    for (const char *p = list; *p; p += strspn(p, " ")) {
        size_t len = strcspn(p, " ");
        snprintf(word, sizeof word, "%.*s", (int)len, p);
        offer(word, text);
        p += len;
    }
}

static char *generate(const char *text, int state)
{
    static size_t next;
    if (state == 0) {
        next = 0;
    }
    return next < current.n ? strdup(current.v[next++]) : NULL;
}

static int is_file(const char *w)
{
    size_t n = strlen(w);
    return strchr(w, '/') || (n > 3 && strcmp(w + n - 3, ".py") == 0);
}

/* The argument of command c: what can be offered for text. */
static void offer_argument(const struct shell_cmd *c, const char *text)
{
    switch (c->arg) {
    case SH_ARG_LOCATION:
        learn_locations();
        for (size_t i = 0; i < locations.n; i++) {
            offer(locations.v[i], text);
        }
        break;
    case SH_ARG_EXPR:
        if (!strchr(text, '.') && !strchr(text, '[')) {
            learn_scope();
            for (size_t i = 0; i < scope.n; i++) {
                offer(scope.v[i], text);
            }
        }
        break;
    case SH_ARG_COMMAND:
        offer_commands(text);
        break;
    case SH_ARG_WORDS:
        offer_list(c->words ? c->words : "", text);
        break;
    default:
        break;
    }
}

static char **complete(const char *text, int start, int end)
{
    rl_attempted_completion_over = 1; /* never file names */
    rl_completion_append_character = ' ';
    words_free(&current);
    const char *line = rl_line_buffer;
    size_t lead = strspn(line, " \t");
    size_t word = strcspn(line + lead, " \t");
    if ((size_t)start <= lead + word) {
        offer_commands(text);
    } else {
        const struct shell_cmd *c = shell_lookup(line + lead, word);
        if (c) {
            offer_argument(c, text);
        }
        if (c && c->arg == SH_ARG_LOCATION && current.n == 1 && is_file(current.v[0])) {
            rl_completion_append_character = ':'; /* then the line number */
        }
    }
    return current.n ? rl_completion_matches(text, generate) : NULL;
}

/* ---- key bindings and resizes -------------------------------------------------------------- */

static int toggle_layout(int count, int key)
{
    shell_tui_toggle(the_shell);
    return 0;
}

static void on_sigwinch(int sig)
{
    resized = 1;
}

/* Readline calls it when a signal interrupted its wait for input (after handling SIGWINCH
 * itself: it re-reads the terminal's size). */
static int signal_event(void)
{
    if (resized) {
        resized = 0;
        shell_tui_resize(the_shell);
    }
    return 0;
}

int shell_resized(void)
{
    int r = resized;
    resized = 0;
    return r;
}

void shell_readline_init(struct cli_shell *sh)
{
    the_shell = sh;
    rl_catch_signals = 0;
    rl_readline_name = "pytt";
    rl_attempted_completion_function = complete;
    rl_completer_word_break_characters = " \t\n\"'`@$><=;|&{(,";
    rl_signal_event_hook = signal_event;
    rl_bind_keyseq("\\C-xa", toggle_layout);
    rl_bind_keyseq("\\C-xA", toggle_layout);
    rl_bind_keyseq("\\C-x\\C-a", toggle_layout);
    struct sigaction sa = {.sa_handler = on_sigwinch}; /* no SA_RESTART: readline sees EINTR */
    sigaction(SIGWINCH, &sa, NULL);
    history_open();
}

void shell_readline_done(struct cli_shell *sh)
{
    if (history_path[0]) {
        history_truncate_file(history_path, HISTORY_MAX);
    }
    shell_complete_forget();
    words_free(&current);
}
