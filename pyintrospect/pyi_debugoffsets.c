/*
 * pyi_debugoffsets: CPython 3.13+ starts _PyRuntime with _Py_DebugOffsets (cookie "xdebugpy",
 * Include/internal/pycore_runtime.h), the interpreter's own table of the offsets out-of-process
 * tools need. pyintrospect takes every offset from DWARF; here it reads that table from the
 * process (its own layout from DWARF as well) and compares each entry that names a member
 * pyintrospect reads. The outcome is kept for pyi_layout_check(): how many members were
 * compared, how many differ and which. pyintrospect keeps using DWARF when they differ: the
 * DWARF is the binary's own (matched by build-id), while the table is data in the process's
 * memory, which a stray write can damage; a difference is reported, never silently resolved.
 */
#include "pyintrospect/pyi_internal.h"

#include <stdio.h>
#include <string.h>

#define PYI_DEBUG_COOKIE "xdebugpy"

/* Entries of _Py_DebugOffsets and the layout member each describes (or, where the table
 * counts from another struct than pyintrospect's member, that struct and path in DWARF). */
static const struct {
    const char *path; /* in _Py_DebugOffsets */
    enum pyi_field id;
    const char *type, *member; /* if set: compare with this (type, path) instead */
} pyi_debug_pairs[] = {
    {"runtime_state.interpreters_head", PYI_F_RT_INTERP_HEAD, NULL, NULL},
    {"interpreter_state.next", PYI_F_IS_NEXT, NULL, NULL},
    {"interpreter_state.threads_head", PYI_F_IS_THREADS_HEAD, NULL, NULL},
    {"interpreter_state.imports_modules", PYI_F_IS_MODULES, NULL, NULL},
    {"interpreter_state.builtins", PYI_F_IS_BUILTINS, NULL, NULL},
    {"interpreter_state.ceval_gil", PYI_F_IS_CEVAL_GIL, NULL, NULL},
    /* the interpreter's own GIL: from the interpreter, not from the GIL struct */
    {"interpreter_state.gil_runtime_state_locked", PYI_F_GIL_LOCKED, "PyInterpreterState",
     "_gil.locked"},
    {"interpreter_state.gil_runtime_state_holder", PYI_F_GIL_LAST_HOLDER, "PyInterpreterState",
     "_gil.last_holder"},
    {"thread_state.next", PYI_F_TS_NEXT, NULL, NULL},
    {"thread_state.current_frame", PYI_F_TS_FRAME, NULL, NULL},
    {"thread_state.thread_id", PYI_F_TS_THREAD_ID, NULL, NULL},
    {"thread_state.native_thread_id", PYI_F_TS_NATIVE_TID, NULL, NULL},
    {"interpreter_frame.previous", PYI_F_IF_PREVIOUS, NULL, NULL},
    {"interpreter_frame.executable", PYI_F_IF_CODE, NULL, NULL},
    {"interpreter_frame.instr_ptr", PYI_F_IF_INSTR, NULL, NULL},
    {"interpreter_frame.localsplus", PYI_F_IF_LOCALSPLUS, NULL, NULL},
    {"interpreter_frame.owner", PYI_F_IF_OWNER, NULL, NULL},
    {"code_object.filename", PYI_F_CO_FILENAME, NULL, NULL},
    {"code_object.name", PYI_F_CO_NAME, NULL, NULL},
    {"code_object.qualname", PYI_F_CO_QUALNAME, NULL, NULL},
    {"code_object.linetable", PYI_F_CO_LINETABLE, NULL, NULL},
    {"code_object.firstlineno", PYI_F_CO_FIRSTLINENO, NULL, NULL},
    {"code_object.argcount", PYI_F_CO_ARGCOUNT, NULL, NULL},
    {"code_object.localsplusnames", PYI_F_CO_LOCALSPLUSNAMES, NULL, NULL},
    {"code_object.localspluskinds", PYI_F_CO_LOCALSPLUSKINDS, NULL, NULL},
    {"code_object.co_code_adaptive", PYI_F_CO_CODE_ADAPTIVE, NULL, NULL},
    {"pyobject.ob_type", PYI_F_OB_TYPE, NULL, NULL},
    {"type_object.tp_name", PYI_F_TP_NAME, NULL, NULL},
    {"type_object.tp_repr", PYI_F_TP_REPR, NULL, NULL},
    {"type_object.tp_flags", PYI_F_TP_FLAGS, NULL, NULL},
    {"tuple_object.ob_item", PYI_F_TUPLE_ITEM, NULL, NULL},
    {"tuple_object.ob_size", PYI_F_OB_SIZE, NULL, NULL},
    {"list_object.ob_item", PYI_F_LIST_ITEM, NULL, NULL},
    {"dict_object.ma_keys", PYI_F_DICT_KEYS, NULL, NULL},
    {"dict_object.ma_values", PYI_F_DICT_VALUES, NULL, NULL},
    {"float_object.ob_fval", PYI_F_FLOAT_VAL, NULL, NULL},
    {"long_object.lv_tag", PYI_F_LONG_TAG, NULL, NULL},
    {"long_object.ob_digit", PYI_F_LONG_DIGIT, NULL, NULL},
    {"bytes_object.ob_sval", PYI_F_BYTES_SVAL, NULL, NULL},
    {"unicode_object.length", PYI_F_STR_LENGTH, NULL, NULL},
};

static void pyi_debug_note(struct pyi_session *s, const char *fmt, const char *a, long long x,
                           long long y)
{
    size_t n = strlen(s->notes);
    if (n + 1 < sizeof s->notes) {
        snprintf(s->notes + n, sizeof s->notes - n, fmt, a, x, y);
    }
}

/* Compare one entry; the table is at base in the tracee. */
static void pyi_debug_compare(struct pyi_session *s, pt_addr base, size_t i)
{
    int64_t off, want;
    int size, wsize;
    uint64_t value;
    const char *path = pyi_debug_pairs[i].path;
    enum pyi_field id = pyi_debug_pairs[i].id;
    if (!pyi_has(s, id) || !pyi_dwarf_member(s, "_Py_DebugOffsets", path, &off, &size) ||
        size != 8 || pyi_read(s, base + (pt_addr)off, &value, sizeof value) != 0) {
        pt_err_clear();
        return; /* an entry this build does not have, or a member pyintrospect does not read */
    }
    want = s->m[id].off;
    if (pyi_debug_pairs[i].type &&
        !pyi_dwarf_member(s, pyi_debug_pairs[i].type, pyi_debug_pairs[i].member, &want, &wsize)) {
        return;
    }
    s->dbgoff_checked++;
    if ((int64_t)value != want) {
        s->dbgoff_differ++;
        pyi_debug_note(s, "%s: _Py_DebugOffsets says %lld, DWARF %lld; ", pyi_field_name(s, id),
                       (long long)value, (long long)want);
    }
}

int pyi_debug_offsets_check(struct pyi_session *s)
{
    int64_t off;
    int size;
    char cookie[8];
    s->notes[0] = '\0';
    if (!pyi_dwarf_member(s, "_PyRuntimeState", "debug_offsets", &off, &size)) {
        return 0; /* before 3.13 */
    }
    pt_addr base = s->sym[PYI_Y_RUNTIME] + (pt_addr)off;
    if (pyi_read(s, base, cookie, sizeof cookie) != 0 ||
        memcmp(cookie, PYI_DEBUG_COOKIE, sizeof cookie) != 0) {
        pt_err_clear();
        snprintf(s->notes, sizeof s->notes,
                 "no \"" PYI_DEBUG_COOKIE "\" cookie at the start of _PyRuntime: its "
                 "_Py_DebugOffsets cannot be checked; pytt uses DWARF");
        s->dbgoff_differ++;
        return 0;
    }
    for (size_t i = 0; i < sizeof pyi_debug_pairs / sizeof pyi_debug_pairs[0]; i++) {
        pyi_debug_compare(s, base, i);
    }
    if (s->dbgoff_differ) {
        size_t n = strlen(s->notes);
        snprintf(s->notes + n, sizeof s->notes - n,
                 "pytt uses DWARF (it belongs to this very binary, by build-id)");
    }
    return 0;
}

const char *pyi_layout_check(const struct pyi_session *s, int *checked, int *differ)
{
    if (checked) {
        *checked = s->dbgoff_checked;
    }
    if (differ) {
        *differ = s->dbgoff_differ;
    }
    return s->notes;
}
