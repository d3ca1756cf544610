/*
 * pyi_session: opening a session on a CPython process (find the interpreter module, its version
 * and DWARF, resolve the layout once), retargeting it to a fork, dropping caches of remote
 * state, and the member-reading helpers every other file uses.
 */
#include "pyintrospect/pyi_internal.h"

#include <stdlib.h>
#include <string.h>

const struct pyi_repr_opts pyi_repr_defaults = {10000, 100000, 200};

/* The version layers pytt knows, oldest first (common/pt_pyver.c lists the same ones as
 * readable by the debugger). */
static const struct pyi_vops *const pyi_versions[] = {&pyi_v310, &pyi_v311, &pyi_v312, &pyi_v313};

/* Chosen once per session, from the version read in the interpreter. */
static int pyi_pick_version(struct pyi_session *s)
{
    int maj = (int)(s->hexversion >> 24) & 0xff, min = (int)(s->hexversion >> 16) & 0xff;
    const struct pt_pyver *facts = pt_pyver_find(maj, min);
    for (size_t i = 0; facts && facts->debugger && i < sizeof pyi_versions / sizeof pyi_versions[0];
         i++) {
        if (pyi_versions[i]->major == maj && pyi_versions[i]->minor == min) {
            s->v = pyi_versions[i];
            s->facts = facts;
            pyi_layout_names(s);
            return 0;
        }
    }
    return pt_fail("%s is CPython %s: unsupported version (pytt's debugger reads CPython %s)",
                   s->pymod_path, s->version, pt_pyver_debugger_list());
}

static int pyi_resolve_syms(struct pyi_session *s)
{
    for (int i = 0; i < PYI_Y__COUNT; i++) {
        const struct pyi_sym_spec *sp = &pyi_layout_syms[i];
        if (sp->decl_file) {
            if (!s->sym[i] && !sp->optional) {
                return pt_fail("DWARF of %s has no variable %s (from %s)", s->pymod_path, sp->name,
                               sp->decl_file);
            }
            continue;
        }
        pt_err_clear();
        if (pyi_dbg_symbol(s, sp->name, &s->sym[i], &s->sym_size[i]) != 0) {
            s->sym[i] = 0;
            if (!sp->optional) {
                return -1;
            }
        } else if (sp->deref && pyi_read_ptr(s, s->sym[i], &s->sym[i]) != 0) {
            return pt_wrap("reading %s", sp->name);
        }
    }
    return 0;
}

/* Before 3.11 there is no Py_Version: the patch level comes from sys.version, read once the
 * layout is known ("3.10.13 (main, ...)"). Left as "3.10" if unreadable. */
static void pyi_refine_version(struct pyi_session *s)
{
    pt_addr interp, sysdict, ver;
    char *text = NULL;
    unsigned maj, min, patch;
    if (strchr(s->version, '.') != strrchr(s->version, '.') ||
        pyi_rd_ptr(s, s->sym[PYI_Y_RUNTIME], PYI_F_RT_INTERP_MAIN, &interp) != 0 ||
        pyi_rd_ptr(s, interp, PYI_F_IS_SYSDICT, &sysdict) != 0 || !sysdict ||
        pyi_dict_get_str(s, sysdict, "version", &ver) != 0 || !ver ||
        pyi_str_utf8(s, ver, &text) != 0) {
        pt_err_clear();
        return;
    }
    if (sscanf(text, "%u.%u.%u", &maj, &min, &patch) == 3 &&
        maj == ((s->hexversion >> 24) & 0xff) && min == ((s->hexversion >> 16) & 0xff)) {
        snprintf(s->version, sizeof s->version, "%u.%u.%u", maj, min, patch);
    }
    free(text);
}

static int pyi_open_steps(struct pyi_session *s)
{
    if (pyi_dbg_begin(s) != 0 || pyi_dbg_find_python(s) != 0 || pyi_pick_version(s) != 0) {
        return -1;
    }
    s->ptr_size = 8;
    if (pyi_layout_cache_load(s) == 1) { /* no DWARF read: pyi_layout_cache.c */
        if (pyi_resolve_syms(s) != 0) {
            return -1;
        }
    } else {
        if (pyi_dbg_need_dwarf(s) != 0 || pyi_dwarf_resolve(s) != 0 || pyi_resolve_syms(s) != 0 ||
            pyi_debug_offsets_check(s) != 0) {
            return -1;
        }
        pyi_layout_cache_store(s);
    }
    pyi_opcodes_load(s);
    pyi_refine_version(s);
    return 0;
}

int pyi_open(struct pyi_session **out, pid_t pid, struct pt_mem *mem)
{
    return pyi_open_with_debug(out, pid, mem, NULL);
}

int pyi_open_with_debug(struct pyi_session **out, pid_t pid, struct pt_mem *mem,
                        const char *debug_root)
{
    struct pyi_session *s = calloc(1, sizeof *s);
    if (!s) {
        return pt_fail("out of memory");
    }
    s->debug_root = debug_root ? strdup(debug_root) : NULL;
    s->pid = pid;
    s->mem = mem;
    s->repr = pyi_repr_defaults;
    if (pyi_open_steps(s) != 0) {
        pyi_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

void pyi_close(struct pyi_session *s)
{
    if (!s) {
        return;
    }
    pyi_invalidate(s);
    pyi_dwarf_free(s);
    pyi_symidx_free(s);
    if (s->dwfl) {
        dwfl_end(s->dwfl);
    }
    for (int i = 0; i < 256; i++) {
        free(s->opnames[i]);
    }
    pyi_unitab_free(s->unitab);
    pyi_source_free(s);
    pyi_clear_repr_overrides(s);
    free(s->inexact.objs);
    free(s->debuginfo_path);
    free(s->debug_root);
    free(s->pymod_path);
    free(s);
}

int pyi_set_target(struct pyi_session *s, pid_t pid, struct pt_mem *mem)
{
    s->pid = pid;
    s->mem = mem;
    pyi_refresh(s);
    return 0;
}

static void pyi_free_frames(struct pyi_session *s)
{
    free(s->frames);
    free(s->rawframes);
    s->frames = NULL;
    s->rawframes = NULL;
    s->nframes = 0;
    s->frames_valid = false;
    s->sel_frame = 0;
}

void pyi_refresh(struct pyi_session *s)
{
    s->stop_frame = 0;
    if (s->threads_valid && s->sel_thread < s->nthreads) {
        s->sel_tid = s->threads[s->sel_thread].native_tid;
    }
    free(s->threads);
    s->threads = NULL;
    s->nthreads = 0;
    s->threads_valid = false;
    pyi_free_frames(s);
    pyi_code_cache_age(s);
    memset(s->type_cache, 0, sizeof s->type_cache);
    s->modules_stale = true;
}

void pyi_invalidate(struct pyi_session *s)
{
    pyi_refresh(s);
    pyi_code_cache_clear(s);
}

const char *pyi_version(const struct pyi_session *s)
{
    return s->version;
}

bool pyi_has_qualnames(struct pyi_session *s)
{
    return pyi_has(s, PYI_F_CO_QUALNAME);
}

const char *pyi_python_module(const struct pyi_session *s)
{
    return s->pymod_path;
}

void pyi_set_repr_opts(struct pyi_session *s, const struct pyi_repr_opts *opts)
{
    s->repr = *opts;
}

void pyi_get_repr_opts(const struct pyi_session *s, struct pyi_repr_opts *opts)
{
    *opts = s->repr;
}

/* ---- reading members ------------------------------------------------------------------------ */

const char *pyi_field_name(struct pyi_session *s, enum pyi_field f)
{
    static char buf[160];
    snprintf(buf, sizeof buf, "%s.%s", s->mspec[f].type ? s->mspec[f].type : "?",
             s->mspec[f].path ? s->mspec[f].path : "?");
    return buf;
}

bool pyi_has(struct pyi_session *s, enum pyi_field f)
{
    return s->m[f].off >= 0;
}

int pyi_read(struct pyi_session *s, pt_addr addr, void *buf, size_t len)
{
    return pt_mem_read(s->mem, addr, buf, len);
}

int pyi_read_ptr(struct pyi_session *s, pt_addr addr, pt_addr *out)
{
    uint64_t v;
    if (pt_mem_read(s->mem, addr, &v, sizeof v) != 0) {
        return -1;
    }
    *out = v;
    return 0;
}

/* Sign- or zero-extend the size-byte little-endian member at b. */
static int64_t pyi_member_value(const struct pyi_member *m, const uint8_t *b, int size)
{
    uint64_t v = 0;
    memcpy(&v, b, (size_t)size); /* little-endian */
    if (m->is_signed && size < 8 && (v >> (size * 8 - 1)) & 1) {
        v |= ~0ULL << (size * 8);
    }
    return (int64_t)v;
}

static int pyi_member_size(struct pyi_session *s, enum pyi_field f, int *size)
{
    const struct pyi_member *m = &s->m[f];
    if (m->off < 0) {
        return s->mspec[f].type
                   ? pt_fail("%s is not in this Python's layout", pyi_field_name(s, f))
                   : pt_fail("CPython %s has no member for layout id %d", s->v->name, (int)f);
    }
    *size = m->size ? m->size : s->ptr_size;
    if (*size > 8) {
        return pt_fail("%s: %d-byte member read as an integer", pyi_field_name(s, f), *size);
    }
    return 0;
}

int pyi_rd(struct pyi_session *s, pt_addr base, enum pyi_field f, int64_t *out)
{
    const struct pyi_member *m = &s->m[f];
    int size;
    if (pyi_member_size(s, f, &size) != 0) {
        return -1;
    }
    uint8_t b[8] = {0};
    if (!base || pt_mem_read(s->mem, base + (pt_addr)m->off, b, (size_t)size) != 0) {
        if (!base) {
            pt_fail("NULL pointer");
        }
        return pt_wrap("reading %s at 0x%llx", pyi_field_name(s, f), (unsigned long long)base);
    }
    *out = pyi_member_value(m, b, size);
    return 0;
}

int pyi_rd_local(struct pyi_session *s, const uint8_t *copy, size_t len, enum pyi_field f,
                 int64_t *out)
{
    const struct pyi_member *m = &s->m[f];
    int size;
    if (pyi_member_size(s, f, &size) != 0) {
        return -1;
    }
    if ((uint64_t)m->off + (uint64_t)size > len) {
        return pt_fail("%s lies beyond the %zu bytes read", pyi_field_name(s, f), len);
    }
    *out = pyi_member_value(m, copy + m->off, size);
    return 0;
}

int pyi_rd_ptr(struct pyi_session *s, pt_addr base, enum pyi_field f, pt_addr *out)
{
    int64_t v;
    if (pyi_rd(s, base, f, &v) != 0) {
        return -1;
    }
    *out = (pt_addr)v;
    return 0;
}

int pyi_rd_bits(struct pyi_session *s, pt_addr base, enum pyi_bits b, unsigned *out)
{
    const struct pyi_bitfield *bf = &s->bits[b];
    uint64_t v = 0;
    size_t n = (size_t)(bf->bit_off + bf->bit_size + 7) / 8;
    if (pt_mem_read(s->mem, base + (pt_addr)bf->byte_off, &v, n) != 0) {
        return pt_wrap("reading bit-field %s at 0x%llx", pyi_layout_bits[b],
                       (unsigned long long)base);
    }
    *out = (unsigned)((v >> bf->bit_off) & ((1ULL << bf->bit_size) - 1));
    return 0;
}
