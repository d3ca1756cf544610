/*
 * shell_nav: the replay shell's motion commands by Python line (step, next, finish/return,
 * until) and the stop report, printed as pdb prints it so that editors following pdb follow
 * pytt too:
 *     > /abs/path/app.py(12)compute()
 *     -> total += price
 */
#include "shell_cmds.h"

#include "common/pt_error.h"
#include "pyintrospect/pyintrospect.h"

#include <ctype.h>
#include <string.h>

void shell_print_stop(struct cli_shell *sh, const struct pyi_pos *pos)
{
    size_t len = 0;
    struct pyi_session *p = rep_pyi(sh->rep);
    const char *src = p ? pyi_source_text(p, pos->filename, pos->line, &len) : NULL;
    fprintf(sh->out, "> %s(%d)%s()\n", pos->filename, pos->line, pos->name);
    if (src) {
        while (len && isspace((unsigned char)*src)) {
            src++;
            len--;
        }
        while (len && isspace((unsigned char)src[len - 1])) {
            len--;
        }
        fprintf(sh->out, "-> %.*s\n", (int)len, src);
    }
    pt_err_clear();
}

/* Report the outcome of a motion: the new stop, the end, or an error. */
int shell_motion_done(struct cli_shell *sh, int r, const struct pyi_pos *pos, const char *what)
{
    if (r < 0) {
        return shell_error(sh, what);
    }
    if (r == 0 || rep_state(sh->rep) != REP_READY) {
        shell_print_end(sh);
        return 0;
    }
    shell_print_stop(sh, pos);
    return 0;
}

static int motion(struct cli_shell *sh, int (*fn)(struct rep_session *, struct pyi_pos *),
                  const char *what)
{
    struct pyi_pos pos;
    if (rep_state(sh->rep) != REP_READY) {
        fprintf(sh->out, "The replay is at the end of the recording.\n");
        return -1;
    }
    shell_moved(sh);
    return shell_motion_done(sh, fn(sh->rep, &pos), &pos, what);
}

int shell_cmd_step(struct cli_shell *sh, const char *args)
{
    return motion(sh, rep_step, "step");
}

int shell_cmd_next(struct cli_shell *sh, const char *args)
{
    return motion(sh, rep_next, "next");
}

int shell_cmd_finish(struct cli_shell *sh, const char *args)
{
    return motion(sh, rep_finish, "finish");
}

/* pdb's until: the next line greater than this one in this frame, or a return. */
static int until_fn(struct rep_session *rep, struct pyi_pos *pos)
{
    struct pyi_pos start;
    if (rep_here(rep, &start) < 0) {
        return -1;
    }
    for (;;) {
        int r = rep_next(rep, pos);
        if (r <= 0 || pos->frame != start.frame || pos->line > start.line) {
            return r;
        }
    }
}

int shell_cmd_until(struct cli_shell *sh, const char *args)
{
    return motion(sh, until_fn, "until");
}

int shell_start(struct cli_shell *sh)
{
    struct pyi_pos pos;
    return shell_motion_done(sh, rep_nav_start(sh->rep, &pos), &pos, "cannot reach the main script");
}
