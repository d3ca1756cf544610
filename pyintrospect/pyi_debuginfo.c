/*
 * pyi_debuginfo: finding the interpreter in a process and its debug info, with libdwfl.
 *
 * The modules of the process come from /proc/PID/maps (dwfl_linux_proc_report). The interpreter
 * is the module whose symbol table defines `_PyRuntime` (the python executable when libpython is
 * linked in, as Debian's; libpython3.X.so otherwise). Its DWARF is either inside the file or in
 * a separate file found by build-id under the debug root, /usr/lib/debug unless $PYTT_DEBUG_DIR
 * says otherwise (libdwfl's standard find_debuginfo does the lookup; the root is its
 * debuginfo_path). Missing DWARF is reported with the build-id and what to install.
 */
#define _GNU_SOURCE
#include "pyintrospect/pyi_internal.h"

#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

int pyi_dbg_begin(struct pyi_session *s)
{
    const char *root = getenv("PYTT_DEBUG_DIR");
    if (!root || !*root) {
        root = "/usr/lib/debug";
    }
    /* "-" : skip CRC checks of .gnu_debuglink files; "" : the main file's directory; a packed
     * trace's debug root first, then the system's. */
    if (asprintf(&s->debuginfo_path, "-:.debug:%s%s%s", s->debug_root ? s->debug_root : "",
                 s->debug_root ? ":" : "", root) < 0) {
        s->debuginfo_path = NULL;
        return pt_fail("out of memory");
    }
    s->dwfl_cb.find_elf = dwfl_linux_proc_find_elf;
    s->dwfl_cb.find_debuginfo = dwfl_standard_find_debuginfo;
    s->dwfl_cb.debuginfo_path = &s->debuginfo_path;
    s->dwfl = dwfl_begin(&s->dwfl_cb);
    if (!s->dwfl) {
        return pt_fail("dwfl_begin: %s", dwfl_errmsg(-1));
    }
    dwfl_report_begin(s->dwfl);
    int r = dwfl_linux_proc_report(s->dwfl, s->pid);
    if (r != 0) {
        if (r > 0) {
            errno = r;
            return pt_fail_errno("reading the memory map of pid %d", (int)s->pid);
        }
        return pt_fail("dwfl_linux_proc_report(%d): %s", (int)s->pid, dwfl_errmsg(-1));
    }
    if (dwfl_report_end(s->dwfl, NULL, NULL) != 0) {
        return pt_fail("dwfl_report_end: %s", dwfl_errmsg(-1));
    }
    return 0;
}

/* Find symbol `name` in module m; 1 if found. */
static int pyi_mod_symbol(Dwfl_Module *m, const char *name, pt_addr *addr, int64_t *size)
{
    int n = dwfl_module_getsymtab(m);
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr a;
        const char *nm = dwfl_module_getsym_info(m, i, &sym, &a, NULL, NULL, NULL);
        if (nm && sym.st_shndx != SHN_UNDEF && strcmp(nm, name) == 0) {
            *addr = a;
            if (size) {
                *size = (int64_t)sym.st_size;
            }
            return 1;
        }
    }
    return 0;
}

struct pyi_find_ctx {
    struct pyi_session *s;
    bool any; /* look at every module, not only those named *python* */
    Dwfl_Module *found;
};

static int pyi_find_cb(Dwfl_Module *m, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
    struct pyi_find_ctx *c = arg;
    if (!c->any && (!name || !strstr(name, "python"))) {
        return DWARF_CB_OK;
    }
    pt_addr a;
    if (pyi_mod_symbol(m, "_PyRuntime", &a, NULL) == 1) {
        c->found = m;
        return DWARF_CB_ABORT;
    }
    return DWARF_CB_OK;
}

static void pyi_read_version(struct pyi_session *s)
{
    pt_addr a;
    uint64_t hex = 0;
    if (pyi_mod_symbol(s->pymod, "Py_Version", &a, NULL) == 1 &&
        pt_mem_read(s->mem, a, &hex, sizeof hex) == 0) {
        s->hexversion = (unsigned long)hex;
        snprintf(s->version, sizeof s->version, "%lu.%lu.%lu", (s->hexversion >> 24) & 0xff,
                 (s->hexversion >> 16) & 0xff, (s->hexversion >> 8) & 0xff);
        return;
    }
    /* Before 3.11 there is no Py_Version: take 3.X from the file name. */
    const char *p = strstr(s->pymod_path, "python");
    unsigned maj, min;
    if (p && sscanf(p, "python%u.%u", &maj, &min) == 2) {
        s->hexversion = (maj << 24) | (min << 16);
        snprintf(s->version, sizeof s->version, "%u.%u", maj, min);
    } else {
        snprintf(s->version, sizeof s->version, "unknown");
    }
}

int pyi_dbg_find_python(struct pyi_session *s)
{
    struct pyi_find_ctx c = {s, false, NULL};
    dwfl_getmodules(s->dwfl, pyi_find_cb, &c, 0);
    if (!c.found) {
        c.any = true;
        dwfl_getmodules(s->dwfl, pyi_find_cb, &c, 0);
    }
    if (!c.found) {
        return pt_fail("pid %d is not a CPython process (no module defines _PyRuntime)",
                       (int)s->pid);
    }
    s->pymod = c.found;
    const char *main_file = NULL;
    const char *mname = dwfl_module_info(s->pymod, NULL, NULL, NULL, NULL, NULL, &main_file, NULL);
    s->pymod_path = strdup(main_file ? main_file : mname ? mname : "?");
    if (!s->pymod_path) {
        return pt_fail("out of memory");
    }
    pyi_read_version(s);
    return 0;
}

/* What to install for the missing DWARF of path. */
static void pyi_dbg_advice(struct pyi_session *s, char *buf, size_t cap)
{
    unsigned maj = (unsigned)(s->hexversion >> 24) & 0xff,
             min = (unsigned)(s->hexversion >> 16) & 0xff;
    if (strncmp(s->pymod_path, "/usr/", 5) == 0) {
        snprintf(buf, cap, "install it with `apt-get install python%u.%u-dbg`", maj, min);
    } else {
        snprintf(buf, cap, "rebuild that Python with -g (or install its debug symbols)");
    }
}

int pyi_dbg_need_dwarf(struct pyi_session *s)
{
    s->dwarf = dwfl_module_getdwarf(s->pymod, &s->bias);
    if (s->dwarf) {
        return 0;
    }
    const unsigned char *bits;
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(s->pymod, &bits, &vaddr);
    char id[2 * 64 + 1] = "unknown";
    for (int i = 0; i < n && i < 64; i++) {
        snprintf(id + 2 * i, 3, "%02x", bits[i]);
    }
    char advice[256];
    pyi_dbg_advice(s, advice, sizeof advice);
    return pt_fail("no DWARF debug info for %s (build-id %s; looked in the file and under %s): %s",
                   s->pymod_path, id, strchr(s->debuginfo_path + 2, ':') + 1, advice);
}

/* The interpreter's defined symbols sorted by name, then by their index in the symbol table:
 * a lookup is a binary search that finds what pyi_mod_symbol's scan would (the first defined
 * symbol of that name), where ~30 scans of a 40,000-symbol table cost ~40 ms per session. */
struct pyi_symrow {
    const char *name; /* in the module's string table: valid while the Dwfl is */
    pt_addr addr;
    int64_t size;
    int index;
};

static int symrow_cmp(const void *a, const void *b)
{
    const struct pyi_symrow *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

static void pyi_symidx_build(struct pyi_session *s)
{
    s->symidx_tried = true;
    int n = dwfl_module_getsymtab(s->pymod);
    if (n <= 1 || !(s->symidx = malloc(sizeof *s->symidx * (size_t)n))) {
        return;
    }
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr a;
        const char *nm = dwfl_module_getsym_info(s->pymod, i, &sym, &a, NULL, NULL, NULL);
        if (nm && *nm && sym.st_shndx != SHN_UNDEF) {
            s->symidx[s->nsymidx++] = (struct pyi_symrow){nm, a, (int64_t)sym.st_size, i};
        }
    }
    qsort(s->symidx, s->nsymidx, sizeof *s->symidx, symrow_cmp);
}

void pyi_symidx_free(struct pyi_session *s)
{
    free(s->symidx);
    s->symidx = NULL;
    s->nsymidx = 0;
    s->symidx_tried = false;
}

int pyi_dbg_symbol(struct pyi_session *s, const char *name, pt_addr *addr, int64_t *size)
{
    if (!s->symidx_tried) {
        pyi_symidx_build(s);
    }
    if (!s->symidx) { /* out of memory: the scan */
        if (pyi_mod_symbol(s->pymod, name, addr, size) == 1) {
            return 0;
        }
        return pt_fail("symbol %s not found in %s", name, s->pymod_path);
    }
    size_t lo = 0, hi = s->nsymidx; /* the first row whose name is >= name */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->symidx[mid].name, name) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < s->nsymidx && strcmp(s->symidx[lo].name, name) == 0) {
        *addr = s->symidx[lo].addr;
        if (size) {
            *size = s->symidx[lo].size;
        }
        return 0;
    }
    return pt_fail("symbol %s not found in %s", name, s->pymod_path);
}

const char *pyi_dbg_addr_name(struct pyi_session *s, pt_addr pc, pt_addr *start,
                              const char **module)
{
    if (s->modules_stale) {
        /* Libraries may have been loaded since the session began (extension modules). */
        dwfl_report_begin_add(s->dwfl);
        dwfl_linux_proc_report(s->dwfl, s->pid);
        dwfl_report_end(s->dwfl, NULL, NULL);
        s->modules_stale = false;
    }
    Dwfl_Module *m = dwfl_addrmodule(s->dwfl, pc);
    if (module) {
        *module = m ? dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL) : NULL;
    }
    if (!m) {
        return NULL;
    }
    GElf_Sym sym;
    GElf_Off off;
    const char *name = dwfl_module_addrinfo(m, pc, &off, &sym, NULL, NULL, NULL);
    if (name && start) {
        *start = pc - off;
    }
    return name;
}
