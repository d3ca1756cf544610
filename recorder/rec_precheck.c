/*
 * rec_precheck: refuse a command that cannot start a CPython interpreter before running any of
 * it. `pytt record /bin/ls` used to run ls (its output and side effects included) and only then
 * say that no CPython was ever exec'd. The command is accepted when:
 *   - its program is a CPython interpreter (pt_check_python: defines _PyRuntime or links
 *     libpython; without debug info it is refused now, naming the package to install);
 *   - or it is a script (#!), which may exec one (a venv's or pyenv's wrapper, a user's
 *     launcher): followed at run time as before;
 *   - or it is another program and a word of its arguments names a Python interpreter (a
 *     CPython executable, or a name starting with "python"), as `env python3 app.py`,
 *     `taskset -c 1 python3 app.py` or `sh -c 'exec python3 app.py'` do.
 * Anything else (a program that names no Python, a missing or non-executable file) is refused
 * with what was found and what to run instead.
 */
#define _GNU_SOURCE
#include "rec_internal.h"

#include "common/pt_elf.h"
#include "common/pt_error.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* As execvp finds it: a path with a slash as is, else the first executable in PATH. */
static int find_program(const char *name, char *out, size_t cap)
{
    struct stat st;
    if (strchr(name, '/')) {
        snprintf(out, cap, "%s", name);
        return stat(out, &st) == 0 && S_ISREG(st.st_mode);
    }
    const char *path = getenv("PATH");
    path = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(out, cap, "%.*s/%s", (int)n, n ? p : ".", name);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0) {
            return 1;
        }
        p += n + (p[n] == ':');
    }
    return 0;
}

static int looks_like_python(const char *word)
{
    char path[PATH_MAX], real[PATH_MAX];
    struct pt_pyinfo info;
    int is_python = 0;
    const char *base = strrchr(word, '/') ? strrchr(word, '/') + 1 : word;
    if (strncmp(base, "python", 6) == 0) {
        return 1;
    }
    if (!find_program(word, path, sizeof path) || !realpath(path, real) || !pt_is_elf(real)) {
        return 0;
    }
    pt_check_python(real, &info, &is_python);
    pt_err_clear();
    return is_python;
}

/* Does any word of the arguments (split at blanks and shell separators) name a Python? */
static int names_python(char **args)
{
    for (; *args; args++) {
        char *copy = strdup(*args), *save = NULL;
        int found = 0;
        for (char *w = strtok_r(copy, " \t\n;&|()'\"", &save); w && !found;
             w = strtok_r(NULL, " \t\n;&|()'\"", &save)) {
            found = !strchr(w, '=') && looks_like_python(w);
        }
        free(copy);
        if (found) {
            return 1;
        }
    }
    return 0;
}

static int is_script(const char *path)
{
    char magic[2] = {0, 0};
    FILE *f = fopen(path, "rb");
    if (!f) {
        return 0;
    }
    size_t n = fread(magic, 1, 2, f);
    fclose(f);
    return n == 2 && magic[0] == '#' && magic[1] == '!';
}

int rec_check_command(char **argv)
{
    char path[PATH_MAX], real[PATH_MAX];
    struct pt_pyinfo info;
    int is_python = 0;
    if (!argv[0] || !find_program(argv[0], path, sizeof path)) {
        return pt_fail("%s: no such program%s", argv[0] ? argv[0] : "(none)",
                       argv[0] && !strchr(argv[0], '/') ? " in PATH" : "");
    }
    if (access(path, X_OK) != 0) {
        return pt_fail("%s is not executable", path);
    }
    if (!realpath(path, real)) {
        return pt_fail_errno("realpath(%s)", path);
    }
    if (is_script(real)) {
        return 0; /* a wrapper: followed until it execs CPython */
    }
    if (!pt_is_elf(real)) {
        return pt_fail("%s is neither a program nor a script (#!): run `pytt record python3.11 "
                       "script.py`",
                       real);
    }
    if (pt_check_python(real, &info, &is_python) == 0) {
        return 0;
    }
    if (is_python) {
        return -1; /* CPython without what pytt needs: the message says what to install */
    }
    pt_err_clear();
    if (names_python(argv + 1)) {
        return 0; /* a launcher (env, taskset, sh -c ...) of a Python named on its command line */
    }
    return pt_fail("%s is not a CPython interpreter (it neither defines _PyRuntime nor links "
                   "libpython) and its arguments name none, so nothing would be recorded; nothing "
                   "was run. Record a Python program: pytt record python3.11 script.py",
                   real);
}
