/*
 * pyi_probe: the pyintrospect test driver. It attaches to a live CPython process, runs the
 * commands given as arguments against one session, prints each command's output after a
 * `=== COMMAND` line, and detaches. Commands mirror the replay shell's:
 *   threads | thread N | bt | bt -full | bt -native | frame N | up N | down N | locals |
 *   globals | print EXPR | list [N[,M]] | dis | discode EXPR | disas | x/Ni | codelines EXPR |
 *   lineevents EXPR FILE (FILE: lines "PREV CUR", prints 1/0 per line) | invalidate |
 *   limits ITEMS STR DEPTH | printable (ranges of code points repr keeps unescaped) |
 *   repr ADDRESS (any address, even garbage)
 * With -i instead of commands, commands are read from stdin, each answer ending with a line
 * `=== END`, and these control the live process between commands:
 *   detach | attach | retarget PID (attach to PID, a fork of the first, and pyi_set_target)
 * A failing command prints `ERROR: message` and the probe goes on; the exit status is 0 when
 * the session opened, else 1 with the message on stderr.
 */
#define _GNU_SOURCE
#include "common/pt_error.h"
#include "common/pt_mem.h"
#include "pyintrospect/pyi_internal.h"
#include "pyintrospect/pyintrospect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int probe_code_of(struct pyi_session *s, const char *expr, pt_addr *code)
{
    char *text;
    pt_addr obj;
    int r = pyi_eval(s, expr, &text, &obj);
    if (r == PYI_EVAL_NEEDS_CODE) {
        pt_fail("%s", text);
    }
    free(text);
    return r == PYI_EVAL_OK ? pyi_code_of(s, obj, code) : -1;
}

static int probe_codelines(struct pyi_session *s, const char *expr)
{
    pt_addr code;
    if (probe_code_of(s, expr, &code) != 0) {
        return -1;
    }
    size_t it = 0;
    struct pyi_instr in;
    int r;
    while ((r = pyi_code_next_instr(s, code, &it, &in)) == 1) {
        printf("%d %d start=%d seq=%d jt=%d traced=%d op=%d\n", in.offset, in.line, in.line_start,
               in.seq_event, in.jump_target, in.traced, in.opcode);
    }
    return r;
}

static int probe_lineevents(struct pyi_session *s, const char *expr, const char *file)
{
    pt_addr code;
    if (probe_code_of(s, expr, &code) != 0) {
        return -1;
    }
    FILE *f = fopen(file, "r");
    if (!f) {
        return pt_fail_errno("open %s", file);
    }
    int prev, cur;
    while (fscanf(f, "%d %d", &prev, &cur) == 2) {
        int r = pyi_code_line_event(s, code, prev, cur);
        if (r < 0) {
            fclose(f);
            return -1;
        }
        printf("%d\n", r);
    }
    fclose(f);
    return 0;
}

static int probe_native(struct pyi_session *s, const char *cmd)
{
    pt_addr pc;
    if (pyi_native_pc(s, &pc) != 0) {
        return -1;
    }
    if (strcmp(cmd, "disas") == 0) {
        return pyi_print_native_function(s, stdout, pc);
    }
    return pyi_print_native_disas(s, stdout, pc, atoi(cmd + 2), pc);
}

static int probe_list(struct pyi_session *s, const char *arg)
{
    int a = 0, b = 0;
    if (*arg) {
        sscanf(arg, "%d,%d", &a, &b);
    }
    return pyi_print_list(s, stdout, a, b);
}

static int probe_limits(struct pyi_session *s, const char *arg)
{
    struct pyi_repr_opts o;
    if (sscanf(arg, "%zu %zu %d", &o.max_items, &o.max_str, &o.max_depth) != 3) {
        return pt_fail("limits ITEMS STR DEPTH");
    }
    pyi_set_repr_opts(s, &o);
    return 0;
}

/* Maximal runs of code points that repr() keeps as they are (Py_UNICODE_ISPRINTABLE). */
static int probe_printable(struct pyi_session *s)
{
    long start = -1;
    for (long cp = 0; cp <= 0x110000; cp++) {
        bool p = cp < 0x110000 && pyi_unicode_printable(s, (uint32_t)cp);
        if (p && start < 0) {
            start = cp;
        } else if (!p && start >= 0) {
            printf("%lx-%lx\n", start, cp - 1);
            start = -1;
        }
    }
    return 0;
}

static int probe_run(struct pyi_session *s, pid_t pid, struct pt_mem *mem, const char *cmd)
{
    if (strcmp(cmd, "printable") == 0) {
        return probe_printable(s);
    }
    if (strcmp(cmd, "layout") == 0) {
        int checked, differ;
        const char *notes = pyi_layout_check(s, &checked, &differ);
        printf("checked %d differ %d %s\n", checked, differ, notes);
        return 0;
    }
    if (strncmp(cmd, "repr ", 5) == 0) {
        char *text;
        if (pyi_repr(s, strtoull(cmd + 5, NULL, 0), &text) != 0) {
            return -1;
        }
        printf("%s\n", text);
        free(text);
        return 0;
    }
    if (strcmp(cmd, "threads") == 0) {
        return pyi_print_threads(s, stdout);
    }
    if (strncmp(cmd, "thread ", 7) == 0) {
        return pyi_select_thread(s, (size_t)atoi(cmd + 7));
    }
    if (strncmp(cmd, "bt", 2) == 0) {
        unsigned fl = strstr(cmd, "-full") ? PYI_BT_LOCALS : 0;
        fl |= strstr(cmd, "-native") ? PYI_BT_NATIVE : 0;
        return pyi_print_bt(s, stdout, fl);
    }
    if (strncmp(cmd, "frame ", 6) == 0) {
        return pyi_frame_select(s, (size_t)atoi(cmd + 6))
                   ?: pyi_print_frame(s, stdout, pyi_frame_selected(s));
    }
    if (strncmp(cmd, "up", 2) == 0 || strncmp(cmd, "down", 4) == 0) {
        const char *n = strchr(cmd, ' ');
        size_t k = n ? (size_t)atoi(n + 1) : 1;
        int r = cmd[0] == 'u' ? pyi_frame_up(s, k) : pyi_frame_down(s, k);
        return r ?: pyi_print_frame(s, stdout, pyi_frame_selected(s));
    }
    if (strcmp(cmd, "locals") == 0) {
        return pyi_print_locals(s, stdout);
    }
    if (strcmp(cmd, "globals") == 0) {
        return pyi_print_globals(s, stdout);
    }
    if (strncmp(cmd, "print ", 6) == 0) {
        return pyi_print_expr(s, stdout, cmd + 6) < 0 ? -1 : 0;
    }
    if (strncmp(cmd, "list", 4) == 0) {
        return probe_list(s, cmd + 4);
    }
    if (strcmp(cmd, "dis") == 0) {
        return pyi_print_dis(s, stdout);
    }
    if (strncmp(cmd, "discode ", 8) == 0) {
        pt_addr code;
        return probe_code_of(s, cmd + 8, &code) ?: pyi_print_dis_code(s, stdout, code, -1);
    }
    if (strcmp(cmd, "disas") == 0 || strncmp(cmd, "x/", 2) == 0) {
        return probe_native(s, cmd);
    }
    if (strncmp(cmd, "codelines ", 10) == 0) {
        return probe_codelines(s, cmd + 10);
    }
    if (strncmp(cmd, "lineevents ", 11) == 0) {
        char expr[256], file[1024];
        if (sscanf(cmd + 11, "%255s %1023s", expr, file) != 2) {
            return pt_fail("lineevents EXPR FILE");
        }
        return probe_lineevents(s, expr, file);
    }
    if (strcmp(cmd, "invalidate") == 0) {
        pyi_invalidate(s);
        return 0;
    }
    if (strncmp(cmd, "limits ", 7) == 0) {
        return probe_limits(s, cmd + 7);
    }
    return pt_fail("unknown command %s", cmd);
}

struct probe {
    pid_t pid;
    struct pyi_attach *att, *att2;
    struct pt_mem mem, mem2;
    struct pyi_session *s;
};

/* Commands that control the live process (interactive mode). 1 if cmd was one of them. */
static int probe_control(struct probe *p, const char *cmd, int *rc)
{
    *rc = 0;
    if (strcmp(cmd, "detach") == 0) {
        pyi_detach(p->att);
        p->att = NULL;
        return 1;
    }
    if (strcmp(cmd, "attach") == 0) {
        *rc = pyi_attach(p->pid, &p->att);
        return 1;
    }
    if (strncmp(cmd, "retarget ", 9) == 0) {
        pid_t child = (pid_t)atoi(cmd + 9);
        *rc = pyi_attach(child, &p->att2);
        if (*rc == 0) {
            pt_mem_init_pid(&p->mem2, child);
            *rc = pyi_set_target(p->s, child, &p->mem2);
        }
        return 1;
    }
    return 0;
}

static void probe_one(struct probe *p, const char *cmd)
{
    int rc;
    printf("=== %s\n", cmd);
    pt_err_clear();
    if (!probe_control(p, cmd, &rc)) {
        rc = probe_run(p->s, p->pid, &p->mem, cmd);
    }
    if (rc != 0) {
        printf("ERROR: %s\n", pt_errmsg());
    }
    fflush(stdout);
}

static void probe_interactive(struct probe *p)
{
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, "quit") == 0) {
            break;
        }
        probe_one(p, line);
        printf("=== END\n");
        fflush(stdout);
    }
}

int main(int argc, char **argv)
{
    struct probe p = {0};
    p.mem2.memfd = -1;
    if (argc < 2) {
        fprintf(stderr, "usage: pyi_probe PID (-i | COMMAND...)\n");
        return 2;
    }
    p.pid = (pid_t)atoi(argv[1]);
    if (pyi_attach(p.pid, &p.att) != 0) {
        fprintf(stderr, "pyi_probe: %s\n", pt_errmsg());
        return 1;
    }
    pt_mem_init_pid(&p.mem, p.pid);
    if (pyi_open(&p.s, p.pid, &p.mem) != 0) {
        fprintf(stderr, "pyi_probe: %s\n", pt_errmsg());
        pyi_detach(p.att);
        return 1;
    }
    if (argc == 3 && strcmp(argv[2], "-i") == 0) {
        probe_interactive(&p);
    } else {
        for (int i = 2; i < argc; i++) {
            probe_one(&p, argv[i]);
        }
    }
    pyi_close(p.s);
    pt_mem_close(&p.mem);
    pt_mem_close(&p.mem2);
    pyi_detach(p.att);
    pyi_detach(p.att2);
    return 0;
}
