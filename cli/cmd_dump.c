/*
 * cmd_dump: `pytt dump [--no-locals] [--native] PID`. Seizes and interrupts every thread of
 * PID (pyi_attach), opens a pyintrospect session through a live pt_mem, prints every thread's
 * Python stack (innermost first, with source lines and, unless --no-locals, each frame's locals;
 * --native interleaves native frames), then detaches so the process carries on. Errors (no such
 * process, no permission, not CPython, no debug info, unsupported version) print one line on
 * stderr and exit 1; a usage error exits 2.
 */
#include "cli/cmd_dump.h"

#include "common/pt_error.h"
#include "common/pt_mem.h"
#include "pyintrospect/pyintrospect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dump_usage(void)
{
    fprintf(stderr, "usage: pytt dump [--no-locals] [--native] PID\n");
    return 2;
}

static int dump_parse(int argc, char **argv, pid_t *pid, unsigned *flags)
{
    *pid = 0;
    *flags = PYI_BT_LOCALS;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-locals") == 0) {
            *flags &= ~(unsigned)PYI_BT_LOCALS;
        } else if (strcmp(argv[i], "--native") == 0) {
            *flags |= PYI_BT_NATIVE;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            return -1;
        } else {
            char *end;
            long v = strtol(argv[i], &end, 10);
            if (*end || v <= 0 || *pid) {
                return -1;
            }
            *pid = (pid_t)v;
        }
    }
    return *pid ? 0 : -1;
}

static int dump_session(pid_t pid, unsigned flags)
{
    struct pt_mem mem;
    struct pyi_session *s;
    pt_mem_init_pid(&mem, pid);
    int rc = pyi_open(&s, pid, &mem);
    if (rc == 0) {
        int differ = 0;
        const char *notes = pyi_layout_check(s, NULL, &differ);
        if (differ) {
            fprintf(stderr, "pytt dump: warning: %s\n", notes);
        }
        /* a live process: no code runs in it, so values whose repr() is Python code are built
         * from their fields, and marked */
        pyi_set_value_style(s, PYI_REPR_STRUCTURAL);
        rc = pyi_print_dump(s, stdout, flags);
        pyi_close(s);
    }
    pt_mem_close(&mem);
    return rc;
}

int cli_dump_main(int argc, char **argv)
{
    pid_t pid;
    unsigned flags;
    if (dump_parse(argc, argv, &pid, &flags) != 0) {
        return dump_usage();
    }
    struct pyi_attach *a;
    if (pyi_attach(pid, &a) != 0) {
        fprintf(stderr, "pytt dump: %s\n", pt_errmsg());
        return 1;
    }
    int rc = dump_session(pid, flags);
    fflush(stdout);
    pyi_detach(a);
    if (rc != 0) {
        fprintf(stderr, "pytt dump: %s\n", pt_errmsg());
        return 1;
    }
    return 0;
}
