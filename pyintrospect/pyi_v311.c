/*
 * pyi_v311: everything pyintrospect knows that is particular to CPython 3.11.
 *
 * - the names of the structs and members read (the layout itself comes from DWARF);
 * - threads and frames: PyThreadState.cframe->current_frame, then the _PyInterpreterFrame chain
 *   (`previous`), skipping incomplete frames as _PyFrame_IsIncomplete;
 * - the PEP 657 location table (Objects/locations.md) decoded into one line per code unit, as
 *   _PyCode_CreateLineArray / _PyLineTable_NextAddressRange do;
 * - when tracing reports a 'line' event (ceval.c's DO_TRACING + maybe_call_line_trace);
 * - opcodes: de-quickening with the interpreter's own _PyOpcode_Deopt/_PyOpcode_Caches tables
 *   (read from its memory), opcode names (_PyOpcode_OpName in debug builds, else Lib/opcode.py's
 *   table below) and how dis.py renders each opcode's argument;
 * - dicts (split/combined keys, 3.11 entry kinds, the split-values insertion order),
 *   managed instance dicts / inline values (_PyObject_ValuesPointer, -4 and -3 words before
 *   the object) and 30-bit-digit ints.
 * A later CPython gets its own file with the same interface (struct pyi_vops).
 */
#include "pyintrospect/pyi_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- layout names --------------------------------------------------------------------------- */
#define M(id, type, path) [id] = {type, path, false}
#define MOPT(id, type, path) [id] = {type, path, true}
static const struct pyi_member_spec v311_members[PYI_F__COUNT] = {
    M(PYI_F_RT_INTERP_HEAD, "_PyRuntimeState", "interpreters.head"),
    M(PYI_F_RT_GIL_TSTATE, "_PyRuntimeState", "gilstate.tstate_current"),
    M(PYI_F_IS_NEXT, "PyInterpreterState", "next"),
    M(PYI_F_IS_THREADS_HEAD, "PyInterpreterState", "threads.head"),
    M(PYI_F_IS_BUILTINS, "PyInterpreterState", "builtins"),
    M(PYI_F_IS_MODULES, "PyInterpreterState", "modules"),
    M(PYI_F_TS_NEXT, "PyThreadState", "next"),
    M(PYI_F_TS_CFRAME, "PyThreadState", "cframe"),
    M(PYI_F_TS_THREAD_ID, "PyThreadState", "thread_id"),
    M(PYI_F_TS_NATIVE_TID, "PyThreadState", "native_thread_id"),
    M(PYI_F_TS_CUREXC_TYPE, "PyThreadState", "curexc_type"),
    M(PYI_F_TS_CUREXC_TRACEBACK, "PyThreadState", "curexc_traceback"),
    M(PYI_F_CF_CURRENT_FRAME, "_PyCFrame", "current_frame"),
    M(PYI_F_IF_FUNC, "_PyInterpreterFrame", "f_func"),
    M(PYI_F_IF_GLOBALS, "_PyInterpreterFrame", "f_globals"),
    M(PYI_F_IF_BUILTINS, "_PyInterpreterFrame", "f_builtins"),
    M(PYI_F_IF_LOCALS, "_PyInterpreterFrame", "f_locals"),
    M(PYI_F_IF_CODE, "_PyInterpreterFrame", "f_code"),
    M(PYI_F_IF_FRAME_OBJ, "_PyInterpreterFrame", "frame_obj"),
    M(PYI_F_IF_PREVIOUS, "_PyInterpreterFrame", "previous"),
    M(PYI_F_IF_PREV_INSTR, "_PyInterpreterFrame", "prev_instr"),
    M(PYI_F_IF_STACKTOP, "_PyInterpreterFrame", "stacktop"),
    M(PYI_F_IF_IS_ENTRY, "_PyInterpreterFrame", "is_entry"),
    M(PYI_F_IF_OWNER, "_PyInterpreterFrame", "owner"),
    M(PYI_F_IF_LOCALSPLUS, "_PyInterpreterFrame", "localsplus"),
    M(PYI_F_FO_LINENO, "PyFrameObject", "f_lineno"),
    M(PYI_F_CO_CONSTS, "PyCodeObject", "co_consts"),
    M(PYI_F_CO_NAMES, "PyCodeObject", "co_names"),
    M(PYI_F_CO_EXCEPTIONTABLE, "PyCodeObject", "co_exceptiontable"),
    M(PYI_F_CO_FLAGS, "PyCodeObject", "co_flags"),
    M(PYI_F_CO_ARGCOUNT, "PyCodeObject", "co_argcount"),
    M(PYI_F_CO_POSONLYARGCOUNT, "PyCodeObject", "co_posonlyargcount"),
    M(PYI_F_CO_KWONLYARGCOUNT, "PyCodeObject", "co_kwonlyargcount"),
    M(PYI_F_CO_FIRSTLINENO, "PyCodeObject", "co_firstlineno"),
    M(PYI_F_CO_NLOCALSPLUS, "PyCodeObject", "co_nlocalsplus"),
    M(PYI_F_CO_NLOCALS, "PyCodeObject", "co_nlocals"),
    M(PYI_F_CO_NCELLVARS, "PyCodeObject", "co_ncellvars"),
    M(PYI_F_CO_NFREEVARS, "PyCodeObject", "co_nfreevars"),
    M(PYI_F_CO_LOCALSPLUSNAMES, "PyCodeObject", "co_localsplusnames"),
    M(PYI_F_CO_LOCALSPLUSKINDS, "PyCodeObject", "co_localspluskinds"),
    M(PYI_F_CO_FILENAME, "PyCodeObject", "co_filename"),
    M(PYI_F_CO_NAME, "PyCodeObject", "co_name"),
    M(PYI_F_CO_QUALNAME, "PyCodeObject", "co_qualname"),
    M(PYI_F_CO_LINETABLE, "PyCodeObject", "co_linetable"),
    M(PYI_F_CO_FIRSTTRACEABLE, "PyCodeObject", "_co_firsttraceable"),
    M(PYI_F_CO_CODE_ADAPTIVE, "PyCodeObject", "co_code_adaptive"),
    M(PYI_F_OB_TYPE, "PyObject", "ob_type"),
    M(PYI_F_OB_SIZE, "PyVarObject", "ob_size"),
    M(PYI_F_TP_NAME, "PyTypeObject", "tp_name"),
    M(PYI_F_TP_BASICSIZE, "PyTypeObject", "tp_basicsize"),
    M(PYI_F_TP_FLAGS, "PyTypeObject", "tp_flags"),
    M(PYI_F_TP_BASE, "PyTypeObject", "tp_base"),
    M(PYI_F_TP_DICT, "PyTypeObject", "tp_dict"),
    M(PYI_F_TP_MRO, "PyTypeObject", "tp_mro"),
    M(PYI_F_TP_REPR, "PyTypeObject", "tp_repr"),
    M(PYI_F_TP_DICTOFFSET, "PyTypeObject", "tp_dictoffset"),
    M(PYI_F_TP_GETATTRO, "PyTypeObject", "tp_getattro"),
    M(PYI_F_TP_DESCR_GET, "PyTypeObject", "tp_descr_get"),
    M(PYI_F_TP_DESCR_SET, "PyTypeObject", "tp_descr_set"),
    MOPT(PYI_F_TP_VERSION_TAG, "PyTypeObject", "tp_version_tag"),
    M(PYI_F_HT_QUALNAME, "PyHeapTypeObject", "ht_qualname"),
    M(PYI_F_HT_CACHED_KEYS, "PyHeapTypeObject", "ht_cached_keys"),
    M(PYI_F_LONG_DIGIT, "PyLongObject", "ob_digit"),
    M(PYI_F_FLOAT_VAL, "PyFloatObject", "ob_fval"),
    M(PYI_F_COMPLEX_REAL, "PyComplexObject", "cval.real"),
    M(PYI_F_COMPLEX_IMAG, "PyComplexObject", "cval.imag"),
    M(PYI_F_STR_LENGTH, "PyASCIIObject", "length"),
    M(PYI_F_STR_DATA, "PyUnicodeObject", "data.any"),
    M(PYI_F_BYTES_SVAL, "PyBytesObject", "ob_sval"),
    M(PYI_F_BA_START, "PyByteArrayObject", "ob_start"),
    M(PYI_F_LIST_ITEM, "PyListObject", "ob_item"),
    M(PYI_F_TUPLE_ITEM, "PyTupleObject", "ob_item"),
    M(PYI_F_DICT_USED, "PyDictObject", "ma_used"),
    M(PYI_F_DICT_KEYS, "PyDictObject", "ma_keys"),
    M(PYI_F_DICT_VALUES, "PyDictObject", "ma_values"),
    MOPT(PYI_F_DICT_VERSION, "PyDictObject", "ma_version_tag"),
    M(PYI_F_DK_LOG2_SIZE, "PyDictKeysObject", "dk_log2_size"),
    M(PYI_F_DK_LOG2_INDEX_BYTES, "PyDictKeysObject", "dk_log2_index_bytes"),
    M(PYI_F_DK_KIND, "PyDictKeysObject", "dk_kind"),
    M(PYI_F_DK_NENTRIES, "PyDictKeysObject", "dk_nentries"),
    M(PYI_F_DK_INDICES, "PyDictKeysObject", "dk_indices"),
    M(PYI_F_DKE_HASH, "PyDictKeyEntry", "me_hash"),
    M(PYI_F_DKE_KEY, "PyDictKeyEntry", "me_key"),
    M(PYI_F_DKE_VALUE, "PyDictKeyEntry", "me_value"),
    M(PYI_F_DKU_KEY, "PyDictUnicodeEntry", "me_key"),
    M(PYI_F_DKU_VALUE, "PyDictUnicodeEntry", "me_value"),
    M(PYI_F_DV_VALUES, "PyDictValues", "values"),
    M(PYI_F_SET_MASK, "PySetObject", "mask"),
    M(PYI_F_SET_USED, "PySetObject", "used"),
    M(PYI_F_SET_TABLE, "PySetObject", "table"),
    M(PYI_F_SETENTRY_KEY, "setentry", "key"),
    M(PYI_F_RANGE_START, "rangeobject", "start"),
    M(PYI_F_RANGE_STOP, "rangeobject", "stop"),
    M(PYI_F_RANGE_STEP, "rangeobject", "step"),
    M(PYI_F_FUNC_CODE, "PyFunctionObject", "func_code"),
    M(PYI_F_FUNC_QUALNAME, "PyFunctionObject", "func_qualname"),
    M(PYI_F_FUNC_GLOBALS, "PyFunctionObject", "func_globals"),
    M(PYI_F_FUNC_CLOSURE, "PyFunctionObject", "func_closure"),
    M(PYI_F_METH_FUNC, "PyMethodObject", "im_func"),
    M(PYI_F_METH_SELF, "PyMethodObject", "im_self"),
    M(PYI_F_CFUNC_ML, "PyCFunctionObject", "m_ml"),
    M(PYI_F_CFUNC_SELF, "PyCFunctionObject", "m_self"),
    M(PYI_F_ML_NAME, "PyMethodDef", "ml_name"),
    M(PYI_F_CELL_REF, "PyCellObject", "ob_ref"),
    M(PYI_F_MOD_DICT, "PyModuleObject", "md_dict"),
    M(PYI_F_MEMBERDESCR_MEMBER, "PyMemberDescrObject", "d_member"),
    M(PYI_F_MEMBERDEF_TYPE, "PyMemberDef", "type"),
    M(PYI_F_MEMBERDEF_OFFSET, "PyMemberDef", "offset"),
    M(PYI_F_EXC_ARGS, "PyBaseExceptionObject", "args"),
    MOPT(PYI_F_UNIREC_FLAGS, "_PyUnicode_TypeRecord", "flags"),
    MOPT(PYI_F_DT_DATA, "PyDateTime_DateTime", "data"),
    MOPT(PYI_F_DT_FOLD, "PyDateTime_DateTime", "fold"),
    MOPT(PYI_F_DT_HASTZ, "PyDateTime_DateTime", "hastzinfo"),
    MOPT(PYI_F_DT_TZINFO, "PyDateTime_DateTime", "tzinfo"),
    MOPT(PYI_F_DATE_DATA, "PyDateTime_Date", "data"),
    MOPT(PYI_F_TIME_DATA, "PyDateTime_Time", "data"),
    MOPT(PYI_F_TIME_FOLD, "PyDateTime_Time", "fold"),
    MOPT(PYI_F_TIME_HASTZ, "PyDateTime_Time", "hastzinfo"),
    MOPT(PYI_F_TIME_TZINFO, "PyDateTime_Time", "tzinfo"),
    MOPT(PYI_F_DELTA_DAYS, "PyDateTime_Delta", "days"),
    MOPT(PYI_F_DELTA_SECONDS, "PyDateTime_Delta", "seconds"),
    MOPT(PYI_F_DELTA_US, "PyDateTime_Delta", "microseconds"),
};

static const struct pyi_size_spec v311_sizes[PYI_S__COUNT] = {
    [PYI_S_ASCII] = {"PyASCIIObject"},
    [PYI_S_COMPACT] = {"PyCompactUnicodeObject"},
    [PYI_S_CODEUNIT] = {"_Py_CODEUNIT"},
    [PYI_S_DIGIT] = {"digit"},
    [PYI_S_DKENTRY] = {"PyDictKeyEntry"},
    [PYI_S_DKUENTRY] = {"PyDictUnicodeEntry"},
    [PYI_S_SETENTRY] = {"setentry"},
    [PYI_S_IFRAME] = {"_PyInterpreterFrame"},
    [PYI_S_UNIREC] = {"_PyUnicode_TypeRecord", true},
};

static const char *const v311_bits[PYI_B__COUNT] = {
    [PYI_B_STR_KIND] = "PyASCIIObject:state.kind",
    [PYI_B_STR_COMPACT] = "PyASCIIObject:state.compact",
    [PYI_B_STR_ASCII] = "PyASCIIObject:state.ascii",
};

#define Y(id, name) [id] = {name, NULL, false}
#define YOPT(id, name) [id] = {name, NULL, true}
static const struct pyi_sym_spec v311_syms[PYI_Y__COUNT] = {
    Y(PYI_Y_RUNTIME, "_PyRuntime"),
    Y(PYI_Y_NONE, "_Py_NoneStruct"),
    Y(PYI_Y_TRUE, "_Py_TrueStruct"),
    Y(PYI_Y_FALSE, "_Py_FalseStruct"),
    Y(PYI_Y_ELLIPSIS, "_Py_EllipsisObject"),
    Y(PYI_Y_NOTIMPL, "_Py_NotImplementedStruct"),
    Y(PYI_Y_OBJECT_TYPE, "PyBaseObject_Type"),
    Y(PYI_Y_TYPE_TYPE, "PyType_Type"),
    Y(PYI_Y_LONG_TYPE, "PyLong_Type"),
    Y(PYI_Y_BOOL_TYPE, "PyBool_Type"),
    Y(PYI_Y_FLOAT_TYPE, "PyFloat_Type"),
    Y(PYI_Y_COMPLEX_TYPE, "PyComplex_Type"),
    Y(PYI_Y_UNICODE_TYPE, "PyUnicode_Type"),
    Y(PYI_Y_BYTES_TYPE, "PyBytes_Type"),
    Y(PYI_Y_BYTEARRAY_TYPE, "PyByteArray_Type"),
    Y(PYI_Y_LIST_TYPE, "PyList_Type"),
    Y(PYI_Y_TUPLE_TYPE, "PyTuple_Type"),
    Y(PYI_Y_DICT_TYPE, "PyDict_Type"),
    Y(PYI_Y_SET_TYPE, "PySet_Type"),
    Y(PYI_Y_FROZENSET_TYPE, "PyFrozenSet_Type"),
    Y(PYI_Y_RANGE_TYPE, "PyRange_Type"),
    Y(PYI_Y_FUNCTION_TYPE, "PyFunction_Type"),
    Y(PYI_Y_METHOD_TYPE, "PyMethod_Type"),
    Y(PYI_Y_CFUNCTION_TYPE, "PyCFunction_Type"),
    Y(PYI_Y_MODULE_TYPE, "PyModule_Type"),
    Y(PYI_Y_CODE_TYPE, "PyCode_Type"),
    Y(PYI_Y_CELL_TYPE, "PyCell_Type"),
    Y(PYI_Y_MEMBERDESCR_TYPE, "PyMemberDescr_Type"),
    Y(PYI_Y_PROPERTY_TYPE, "PyProperty_Type"),
    [PYI_Y_BASEEXC_TYPE] = {"PyExc_BaseException", NULL, false, true},
    Y(PYI_Y_SET_DUMMY, "_PySet_Dummy"),
    YOPT(PYI_Y_GENERIC_GETATTR, "PyObject_GenericGetAttr"),
    YOPT(PYI_Y_OPCODE_DEOPT, "_PyOpcode_Deopt"),
    YOPT(PYI_Y_OPCODE_CACHES, "_PyOpcode_Caches"),
    YOPT(PYI_Y_OPCODE_OPNAME, "_PyOpcode_OpName"),
    YOPT(PYI_Y_UNI_RECORDS, "_PyUnicode_TypeRecords"),
    [PYI_Y_UNI_INDEX1] = {"index1", "unicodetype_db.h", true},
    [PYI_Y_UNI_INDEX2] = {"index2", "unicodetype_db.h", true},
};

/* ---- threads and frames --------------------------------------------------------------------- */

/* PyThreadState_GetFrame: tstate->cframe->current_frame. */
static int v311_thread_top_frame(struct pyi_session *s, pt_addr tstate, pt_addr *frame)
{
    pt_addr cframe;
    *frame = 0;
    if (pyi_rd_ptr(s, tstate, PYI_F_TS_CFRAME, &cframe) != 0) {
        return -1;
    }
    if (!cframe) {
        return 0;
    }
    return pyi_rd_ptr(s, cframe, PYI_F_CF_CURRENT_FRAME, frame);
}

/* The members of a _PyInterpreterFrame, read from one copy of its header (everything before
 * localsplus): a dispatch trap reads the frame, so this is one read instead of ten. */
static int v311_frame_members(struct pyi_session *s, const uint8_t *h, size_t n,
                              struct pyi_rawframe *f, int64_t *owner, int64_t *is_entry,
                              pt_addr *prev_instr)
{
    static const struct {
        enum pyi_field f;
        size_t off;
    } ptrs[] = {
        {PYI_F_IF_CODE, offsetof(struct pyi_rawframe, code)},
        {PYI_F_IF_PREVIOUS, offsetof(struct pyi_rawframe, previous)},
        {PYI_F_IF_GLOBALS, offsetof(struct pyi_rawframe, globals)},
        {PYI_F_IF_BUILTINS, offsetof(struct pyi_rawframe, builtins)},
        {PYI_F_IF_LOCALS, offsetof(struct pyi_rawframe, locals)},
        {PYI_F_IF_FUNC, offsetof(struct pyi_rawframe, func)},
        {PYI_F_IF_FRAME_OBJ, offsetof(struct pyi_rawframe, frame_obj)},
    };
    int64_t v;
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++) {
        if (pyi_rd_local(s, h, n, ptrs[i].f, &v) != 0) {
            return -1;
        }
        *(pt_addr *)((char *)f + ptrs[i].off) = (pt_addr)v;
    }
    if (pyi_rd_local(s, h, n, PYI_F_IF_PREV_INSTR, &v) != 0 ||
        pyi_rd_local(s, h, n, PYI_F_IF_OWNER, owner) != 0 ||
        pyi_rd_local(s, h, n, PYI_F_IF_IS_ENTRY, is_entry) != 0) {
        return -1;
    }
    *prev_instr = (pt_addr)v;
    return 0;
}

static int v311_frame_read(struct pyi_session *s, pt_addr addr, struct pyi_rawframe *f)
{
    int64_t owner, is_entry;
    pt_addr prev_instr;
    struct pyi_code *c;
    uint8_t head[256];
    size_t n = (size_t)s->m[PYI_F_IF_LOCALSPLUS].off;
    memset(f, 0, sizeof *f);
    f->addr = addr;
    if (n > sizeof head) {
        return pt_fail("_PyInterpreterFrame's header is %zu bytes", n);
    }
    if (!addr || pyi_read(s, addr, head, n) != 0 ||
        v311_frame_members(s, head, n, f, &owner, &is_entry, &prev_instr) != 0 ||
        pyi_code_get(s, f->code, &c) != 0) {
        return pt_wrap("reading _PyInterpreterFrame at 0x%llx", (unsigned long long)addr);
    }
    pt_addr code0 = f->code + (pt_addr)s->m[PYI_F_CO_CODE_ADAPTIVE].off;
    int64_t unit = s->size[PYI_S_CODEUNIT];
    /* _PyInterpreterFrame_LASTI */
    f->lasti = (int)(((int64_t)prev_instr - (int64_t)code0) / unit);
    f->is_entry = is_entry != 0;
    /* _PyFrame_IsIncomplete */
    f->complete = owner == s->frame_owned_by_generator || f->lasti >= c->firsttraceable;
    f->owned_by_generator = owner == s->frame_owned_by_generator;
    f->localsplus = addr + (pt_addr)s->m[PYI_F_IF_LOCALSPLUS].off;
    int64_t lineno = 0;
    if (f->frame_obj && pyi_rd(s, f->frame_obj, PYI_F_FO_LINENO, &lineno) == 0) {
        f->fo_lineno = (int)lineno;
    }
    return 0;
}

static const char *v311_opname(struct pyi_session *s, int op);

/* An inlined return (RETURN_VALUE in a frame that is not an entry frame) pushes the value on
 * the caller's stack (_PyFrame_StackPush) and resumes it (resume_frame: stack_pointer reloaded,
 * stacktop reset to -1) after its CALL, whose last inline cache prev_instr still points at: at
 * that dispatch the value is stack_pointer[-1]. */
static int v311_returned_value(struct pyi_session *s, pt_addr caller, pt_addr next_instr,
                               pt_addr stack_pointer, pt_addr *value, const char **why)
{
    struct pyi_rawframe r;
    struct pyi_code *c;
    *why = NULL;
    if (v311_frame_read(s, caller, &r) != 0 || pyi_code_get(s, r.code, &c) != 0) {
        return -1;
    }
    int64_t depth = ((int64_t)stack_pointer - (int64_t)r.localsplus) / 8 - c->nlocalsplus;
    pt_addr code0 = r.code + (pt_addr)s->m[PYI_F_CO_CODE_ADAPTIVE].off;
    int64_t unit = s->size[PYI_S_CODEUNIT], cur = ((int64_t)next_instr - (int64_t)code0) / unit;
    int owner = -1;
    for (int i = 0; i <= r.lasti && i < (int)c->ncodeunits; i++) {
        if (c->deopt[2 * i] != 0 || i == 0) { /* CACHE entries are opcode 0 */
            owner = i;
        }
    }
    const char *name = owner >= 0 ? v311_opname(s, c->deopt[2 * owner]) : NULL;
    if (!name || (strcmp(name, "CALL") != 0 && strcmp(name, "CALL_FUNCTION_EX") != 0) ||
        cur != r.lasti + 1) {
        *why = "the caller did not resume right after a call";
        return 0;
    }
    if (depth < 1 || depth > 65536) {
        *why = "the caller's value stack does not hold it";
        return 0;
    }
    return pyi_read_ptr(s, stack_pointer - 8, value) == 0 ? 1 : -1;
}

/* ---- the location table (Objects/locations.md) ---------------------------------------------- */

enum {
    V311_LOC_SHORT0 = 0,
    V311_LOC_ONE_LINE0 = 10,
    V311_LOC_ONE_LINE1 = 11,
    V311_LOC_ONE_LINE2 = 12,
    V311_LOC_NO_COLUMNS = 13,
    V311_LOC_LONG = 14,
    V311_LOC_NONE = 15,
};

/* scan_varint / scan_signed_varint of codeobject.c; *p advances, bounded by end. */
static unsigned v311_varint(const uint8_t **p, const uint8_t *end)
{
    unsigned val = 0;
    int shift = 0;
    while (*p < end) {
        uint8_t b = *(*p)++;
        val |= (unsigned)(b & 63) << shift;
        shift += 6;
        if (!(b & 64) || shift > 30) {
            break;
        }
    }
    return val;
}

static int v311_svarint(const uint8_t **p, const uint8_t *end)
{
    unsigned u = v311_varint(p, end);
    return (u & 1) ? -(int)(u >> 1) : (int)(u >> 1);
}

/* get_line_delta of codeobject.c: the line delta an entry starting at p carries. */
static int v311_line_delta(const uint8_t *p, const uint8_t *end)
{
    int code = (p[0] >> 3) & 15;
    const uint8_t *q = p + 1;
    switch (code) {
    case V311_LOC_NONE:
        return 0;
    case V311_LOC_NO_COLUMNS:
    case V311_LOC_LONG:
        return v311_svarint(&q, end);
    case V311_LOC_ONE_LINE0:
    case V311_LOC_ONE_LINE1:
    case V311_LOC_ONE_LINE2:
        return code - V311_LOC_ONE_LINE0;
    default:
        return 0;
    }
}

/* _PyCode_CreateLineArray: walk the address ranges (advance() in codeobject.c) and give each
 * code unit its range's line. */
static int v311_code_lines(struct pyi_code *c)
{
    c->lines = malloc((c->ncodeunits ? c->ncodeunits : 1) * sizeof *c->lines);
    if (!c->lines) {
        return pt_fail("out of memory");
    }
    for (size_t i = 0; i < c->ncodeunits; i++) {
        c->lines[i] = -1;
    }
    const uint8_t *p = c->linetable, *end = c->linetable + c->linetable_len;
    int computed = c->firstlineno;
    size_t at = 0;
    while (p < end && at < c->ncodeunits) {
        if (!(*p & 128)) {
            return pt_fail("corrupt location table of code object at 0x%llx",
                           (unsigned long long)c->addr);
        }
        computed += v311_line_delta(p, end);
        int line = ((*p >> 3) & 15) == V311_LOC_NONE ? -1 : computed;
        size_t len = (size_t)(*p & 7) + 1;
        for (size_t i = 0; i < len && at < c->ncodeunits; i++) {
            c->lines[at++] = line;
        }
        do {
            p++;
        } while (p < end && !(*p & 128));
    }
    return 0;
}

enum { V311_EXTENDED_ARG = 144, V311_RESUME = 151, V311_SEND = 123 };

/* DO_TRACING + maybe_call_line_trace (Python/ceval.c, 3.11): prev and cur are code-unit
 * indexes; prev is the previous instruction started in the frame (its prev_instr). */
static bool v311_line_event(const struct pyi_code *c, int prev, int cur)
{
    int n = (int)c->ncodeunits;
    if (cur < c->firsttraceable || cur >= n) {
        return false;
    }
    if (c->deopt[2 * cur] == V311_RESUME) {
        return false; /* a 'call' event instead */
    }
    if (prev >= 0 && prev < n && cur == prev + 1 && c->deopt[2 * prev] == V311_EXTENDED_ARG) {
        return false; /* EXTENDED_ARG dispatches its instruction without tracing it */
    }
    int lastline = (prev <= c->firsttraceable || prev >= n) ? -1 : c->lines[prev];
    int line = c->lines[cur];
    if (line == -1) {
        return false;
    }
    /* "Trace backward edges (except in 'yield from') or if line number has changed"; the
     * opcode tested is the raw one at the new prev_instr, i.e. the current instruction. */
    return line != lastline || (cur < prev && c->code[2 * cur] != V311_SEND);
}

/* ---- opcodes -------------------------------------------------------------------------------- */

/* Lib/opcode.py of 3.11: opname of every base (de-quickened) opcode. */
static const char *const v311_opnames[256] = {
    [0] = "CACHE",
    [1] = "POP_TOP",
    [2] = "PUSH_NULL",
    [9] = "NOP",
    [10] = "UNARY_POSITIVE",
    [11] = "UNARY_NEGATIVE",
    [12] = "UNARY_NOT",
    [15] = "UNARY_INVERT",
    [25] = "BINARY_SUBSCR",
    [30] = "GET_LEN",
    [31] = "MATCH_MAPPING",
    [32] = "MATCH_SEQUENCE",
    [33] = "MATCH_KEYS",
    [35] = "PUSH_EXC_INFO",
    [36] = "CHECK_EXC_MATCH",
    [37] = "CHECK_EG_MATCH",
    [49] = "WITH_EXCEPT_START",
    [50] = "GET_AITER",
    [51] = "GET_ANEXT",
    [52] = "BEFORE_ASYNC_WITH",
    [53] = "BEFORE_WITH",
    [54] = "END_ASYNC_FOR",
    [60] = "STORE_SUBSCR",
    [61] = "DELETE_SUBSCR",
    [68] = "GET_ITER",
    [69] = "GET_YIELD_FROM_ITER",
    [70] = "PRINT_EXPR",
    [71] = "LOAD_BUILD_CLASS",
    [74] = "LOAD_ASSERTION_ERROR",
    [75] = "RETURN_GENERATOR",
    [82] = "LIST_TO_TUPLE",
    [83] = "RETURN_VALUE",
    [84] = "IMPORT_STAR",
    [85] = "SETUP_ANNOTATIONS",
    [86] = "YIELD_VALUE",
    [87] = "ASYNC_GEN_WRAP",
    [88] = "PREP_RERAISE_STAR",
    [89] = "POP_EXCEPT",
    [90] = "STORE_NAME",
    [91] = "DELETE_NAME",
    [92] = "UNPACK_SEQUENCE",
    [93] = "FOR_ITER",
    [94] = "UNPACK_EX",
    [95] = "STORE_ATTR",
    [96] = "DELETE_ATTR",
    [97] = "STORE_GLOBAL",
    [98] = "DELETE_GLOBAL",
    [99] = "SWAP",
    [100] = "LOAD_CONST",
    [101] = "LOAD_NAME",
    [102] = "BUILD_TUPLE",
    [103] = "BUILD_LIST",
    [104] = "BUILD_SET",
    [105] = "BUILD_MAP",
    [106] = "LOAD_ATTR",
    [107] = "COMPARE_OP",
    [108] = "IMPORT_NAME",
    [109] = "IMPORT_FROM",
    [110] = "JUMP_FORWARD",
    [111] = "JUMP_IF_FALSE_OR_POP",
    [112] = "JUMP_IF_TRUE_OR_POP",
    [114] = "POP_JUMP_FORWARD_IF_FALSE",
    [115] = "POP_JUMP_FORWARD_IF_TRUE",
    [116] = "LOAD_GLOBAL",
    [117] = "IS_OP",
    [118] = "CONTAINS_OP",
    [119] = "RERAISE",
    [120] = "COPY",
    [122] = "BINARY_OP",
    [123] = "SEND",
    [124] = "LOAD_FAST",
    [125] = "STORE_FAST",
    [126] = "DELETE_FAST",
    [128] = "POP_JUMP_FORWARD_IF_NOT_NONE",
    [129] = "POP_JUMP_FORWARD_IF_NONE",
    [130] = "RAISE_VARARGS",
    [131] = "GET_AWAITABLE",
    [132] = "MAKE_FUNCTION",
    [133] = "BUILD_SLICE",
    [134] = "JUMP_BACKWARD_NO_INTERRUPT",
    [135] = "MAKE_CELL",
    [136] = "LOAD_CLOSURE",
    [137] = "LOAD_DEREF",
    [138] = "STORE_DEREF",
    [139] = "DELETE_DEREF",
    [140] = "JUMP_BACKWARD",
    [142] = "CALL_FUNCTION_EX",
    [144] = "EXTENDED_ARG",
    [145] = "LIST_APPEND",
    [146] = "SET_ADD",
    [147] = "MAP_ADD",
    [148] = "LOAD_CLASSDEREF",
    [149] = "COPY_FREE_VARS",
    [151] = "RESUME",
    [152] = "MATCH_CLASS",
    [155] = "FORMAT_VALUE",
    [156] = "BUILD_CONST_KEY_MAP",
    [157] = "BUILD_STRING",
    [160] = "LOAD_METHOD",
    [162] = "LIST_EXTEND",
    [163] = "SET_UPDATE",
    [164] = "DICT_MERGE",
    [165] = "DICT_UPDATE",
    [166] = "PRECALL",
    [171] = "CALL",
    [172] = "KW_NAMES",
    [173] = "POP_JUMP_BACKWARD_IF_NOT_NONE",
    [174] = "POP_JUMP_BACKWARD_IF_NONE",
    [175] = "POP_JUMP_BACKWARD_IF_FALSE",
    [176] = "POP_JUMP_BACKWARD_IF_TRUE",
};

/* _inline_cache_entries of Lib/opcode.py, used if the interpreter's table is unreadable. */
static const uint8_t v311_caches[256] = {
    [25] = 4,  [60] = 1,  [92] = 1,   [95] = 4,  [106] = 4, [107] = 2,
    [116] = 5, [122] = 1, [160] = 10, [166] = 1, [171] = 4,
};

static const char *v311_opname(struct pyi_session *s, int op)
{
    if (op < 0 || op > 255) {
        return NULL;
    }
    return s->opnames[op] ? s->opnames[op] : v311_opnames[op];
}

static int v311_ncaches(struct pyi_session *s, int op)
{
    if (op < 0 || op > 255) {
        return 0;
    }
    return s->opcode_tables ? s->opcode_caches[op] : v311_caches[op];
}

/* How dis.py (_get_instructions_bytes) renders each opcode's argument. */
static enum pyi_argkind v311_argkind(int op)
{
    if (op < 90) {
        return PYI_ARG_NONE; /* HAVE_ARGUMENT */
    }
    switch (op) {
    case 100:
        return PYI_ARG_CONST; /* LOAD_CONST (KW_NAMES is hasconst but shown as a number) */
    case 90:
    case 91:
    case 95:
    case 96:
    case 97:
    case 98:
    case 101:
    case 106:
    case 108:
    case 109:
    case 160:
        return PYI_ARG_NAME;
    case 116:
        return PYI_ARG_GLOBAL;
    case 93:
    case 110:
    case 111:
    case 112:
    case 114:
    case 115:
    case 123:
    case 128:
    case 129:
        return PYI_ARG_JREL;
    case 134:
    case 140:
    case 173:
    case 174:
    case 175:
    case 176:
        return PYI_ARG_JREL_BACK;
    case 124:
    case 125:
    case 126:
    case 135:
    case 136:
    case 137:
    case 138:
    case 139:
    case 148:
        return PYI_ARG_LOCAL;
    case 107:
        return PYI_ARG_COMPARE;
    case 155:
        return PYI_ARG_FORMAT;
    case 132:
        return PYI_ARG_MAKEFUNC;
    case 122:
        return PYI_ARG_BINOP;
    default:
        return PYI_ARG_PLAIN;
    }
}

/* deopt_code (Objects/codeobject.c): base opcodes, caches zeroed. */
static int v311_deopt(struct pyi_session *s, struct pyi_code *c)
{
    if (!s->opcode_tables) {
        return pt_fail("cannot read _PyOpcode_Deopt/_PyOpcode_Caches in %s", s->pymod_path);
    }
    size_t n = c->ncodeunits;
    c->deopt = malloc(2 * n + 1);
    if (!c->deopt) {
        return pt_fail("out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        int op = s->opcode_deopt[c->code[2 * i]];
        int caches = s->opcode_caches[op];
        c->deopt[2 * i] = (uint8_t)op;
        c->deopt[2 * i + 1] = c->code[2 * i + 1];
        while (caches-- > 0 && i + 1 < n) {
            i++;
            c->deopt[2 * i] = 0;
            c->deopt[2 * i + 1] = 0;
        }
    }
    return 0;
}

/* ---- dicts ---------------------------------------------------------------------------------- */

struct v311_keys {
    int64_t log2_index_bytes, kind, nentries;
    pt_addr entries;
    int64_t entry_size;
    enum pyi_field key_f, value_f;
};

#define V311_DICT_KEYS_GENERAL 0

static int v311_keys_read(struct pyi_session *s, pt_addr keys, struct v311_keys *k)
{
    if (pyi_rd(s, keys, PYI_F_DK_LOG2_INDEX_BYTES, &k->log2_index_bytes) != 0 ||
        pyi_rd(s, keys, PYI_F_DK_KIND, &k->kind) != 0 ||
        pyi_rd(s, keys, PYI_F_DK_NENTRIES, &k->nentries) != 0) {
        return -1;
    }
    int64_t log2_size;
    if (pyi_rd(s, keys, PYI_F_DK_LOG2_SIZE, &log2_size) != 0) {
        return -1;
    }
    /* USABLE_FRACTION: at most 2/3 of the 1 << dk_log2_size slots hold entries */
    if (log2_size < 0 || log2_size > PYI_MAX_DICT_LOG2 || k->log2_index_bytes > log2_size + 3 ||
        k->nentries < 0 || k->nentries > (1LL << log2_size)) {
        return pt_fail("implausible dict keys object at 0x%llx", (unsigned long long)keys);
    }
    /* DK_ENTRIES / DK_UNICODE_ENTRIES */
    k->entries = keys + (pt_addr)s->m[PYI_F_DK_INDICES].off + (1ULL << k->log2_index_bytes);
    bool general = k->kind == V311_DICT_KEYS_GENERAL;
    k->entry_size = general ? s->size[PYI_S_DKENTRY] : s->size[PYI_S_DKUENTRY];
    k->key_f = general ? PYI_F_DKE_KEY : PYI_F_DKU_KEY;
    k->value_f = general ? PYI_F_DKE_VALUE : PYI_F_DKU_VALUE;
    return 0;
}

/* Split values: the insertion order bytes precede values ([-2] = count, [-3-i] = i-th index),
 * as get_index_from_order / _PyDictValues_AddToInsertionOrder. */
static int v311_values_iter(struct pyi_session *s, pt_addr values, const struct v311_keys *k,
                            int64_t limit, int (*cb)(void *, pt_addr, pt_addr), void *ctx)
{
    uint8_t pre[2 + 256];
    if (pyi_read(s, values - 2, pre + 256, 2) != 0) {
        return pt_wrap("reading the insertion order of dict values at 0x%llx",
                       (unsigned long long)values);
    }
    int64_t used = pre[256];
    if (limit >= 0 && used > limit) {
        used = limit;
    }
    if (used > 0 && pyi_read(s, values - 2 - (pt_addr)used, pre + 256 - used, (size_t)used) != 0) {
        return -1;
    }
    pt_addr vbase = values + (pt_addr)s->m[PYI_F_DV_VALUES].off;
    if (k->nentries > 255 || k->entry_size > 64) {
        return pt_fail("implausible split dict (%lld entries)", (long long)k->nentries);
    }
    uint8_t entries[255 * 64];
    pt_addr vals[255];
    size_t ne = (size_t)k->nentries;
    if (ne && (pyi_read(s, k->entries, entries, ne * (size_t)k->entry_size) != 0 ||
               pyi_read(s, vbase, vals, ne * 8) != 0)) {
        return pt_wrap("reading split dict entries at 0x%llx", (unsigned long long)k->entries);
    }
    for (int64_t i = 0; i < used; i++) {
        int64_t ix = pre[256 - 1 - i];
        pt_addr key;
        if (ix >= k->nentries) {
            return pt_fail("split dict order names entry %lld of %lld", (long long)ix,
                           (long long)k->nentries);
        }
        memcpy(&key, entries + ix * k->entry_size + s->m[k->key_f].off, sizeof key);
        if (vals[ix] && cb(ctx, key, vals[ix])) {
            break;
        }
    }
    return 0;
}

/* The entries of a combined table, read a chunk at a time, empty (deleted) slots skipped. */
static int v311_entries_iter(struct pyi_session *s, pt_addr dict, const struct v311_keys *k,
                             int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx)
{
    enum { CHUNK = 1024 };
    int64_t koff = s->m[k->key_f].off, voff = s->m[k->value_f].off;
    uint8_t *buf = malloc((size_t)(CHUNK * k->entry_size));
    if (!buf) {
        return pt_fail("out of memory");
    }
    int rc = 0;
    for (int64_t i = 0; i < k->nentries && rc == 0; i += CHUNK) {
        int64_t n = k->nentries - i < CHUNK ? k->nentries - i : CHUNK;
        if (pyi_read(s, k->entries + (pt_addr)(i * k->entry_size), buf,
                     (size_t)(n * k->entry_size)) != 0) {
            rc = pt_wrap("reading entries %lld.. of dict at 0x%llx", (long long)i,
                         (unsigned long long)dict);
            break;
        }
        for (int64_t j = 0; j < n; j++) {
            pt_addr key, value;
            memcpy(&key, buf + j * k->entry_size + koff, sizeof key);
            memcpy(&value, buf + j * k->entry_size + voff, sizeof value);
            if (value && key && cb(ctx, key, value)) {
                rc = 1;
                break;
            }
        }
    }
    free(buf);
    return rc < 0 ? -1 : 0;
}

/* _PyDict_Next */
static int v311_dict_iter(struct pyi_session *s, pt_addr dict,
                          int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx)
{
    pt_addr keys, values;
    int64_t used;
    struct v311_keys k;
    if (pyi_rd_ptr(s, dict, PYI_F_DICT_KEYS, &keys) != 0 ||
        pyi_rd_ptr(s, dict, PYI_F_DICT_VALUES, &values) != 0 ||
        pyi_rd(s, dict, PYI_F_DICT_USED, &used) != 0 || v311_keys_read(s, keys, &k) != 0) {
        return pt_wrap("reading dict at 0x%llx", (unsigned long long)dict);
    }
    if (values) {
        return v311_values_iter(s, values, &k, used, cb, ctx);
    }
    return v311_entries_iter(s, dict, &k, cb, ctx);
}

#define V311_TPFLAGS_MANAGED_DICT (1UL << 4)
#define V311_TPFLAGS_HEAPTYPE (1UL << 9)

struct v311_find_key {
    struct pyi_session *s;
    const char *name;
    uint32_t at, index;
    bool found;
};

static int v311_find_key_cb(void *ctx, pt_addr key, pt_addr value)
{
    struct v311_find_key *f = ctx;
    bool eq;
    if (pyi_str_eq(f->s, key, f->name, &eq) == 0 && eq) {
        f->index = f->at;
        f->found = true;
        return 1;
    }
    f->at++;
    return 0;
}

/* Inline values (_PyObject_ValuesPointer: the word 4 before the object) hold the values of the
 * type's cached keys in entry order; an entry, once there, keeps its index. */
static int v311_inline_attr(struct pyi_session *s, pt_addr type, const char *name, uint32_t *index)
{
    unsigned long flags;
    pt_addr keys;
    struct v311_keys k;
    if (pyi_type_flags(s, type, &flags) != 0) {
        return -1;
    }
    if (!(flags & V311_TPFLAGS_MANAGED_DICT) ||
        pyi_rd_ptr(s, type, PYI_F_HT_CACHED_KEYS, &keys) != 0 || !keys) {
        pt_err_clear();
        return 0;
    }
    if (v311_keys_read(s, keys, &k) != 0) {
        return -1;
    }
    struct v311_find_key f = {s, name, 0, 0, false};
    /* every entry in order, including those no instance has a value for */
    int64_t koff = s->m[k.key_f].off;
    for (int64_t i = 0; i < k.nentries && i < 255 && !f.found; i++) {
        pt_addr key;
        if (pyi_read_ptr(s, k.entries + (pt_addr)(i * k.entry_size + koff), &key) != 0) {
            return -1;
        }
        f.at = (uint32_t)i;
        if (key) {
            v311_find_key_cb(&f, key, 0);
        }
    }
    *index = f.index;
    return f.found;
}

/* Inline values with the type's cached keys, else the managed or tp_dictoffset dict
 * (_PyObject_ValuesPointer / _PyObject_ManagedDictPointer / _PyObject_GetDictPtr). */
static int v311_instance_attrs(struct pyi_session *s, pt_addr obj, pt_addr type,
                               int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx,
                               bool *found)
{
    unsigned long flags;
    pt_addr dict = 0, values = 0;
    *found = false;
    if (pyi_type_flags(s, type, &flags) != 0) {
        return -1;
    }
    if (flags & V311_TPFLAGS_MANAGED_DICT) {
        if (pyi_read_ptr(s, obj - 4 * 8, &values) != 0 ||
            pyi_read_ptr(s, obj - 3 * 8, &dict) != 0) {
            return pt_wrap("reading the managed dict of the object at 0x%llx",
                           (unsigned long long)obj);
        }
    } else {
        int64_t off;
        if (pyi_rd(s, type, PYI_F_TP_DICTOFFSET, &off) != 0) {
            return -1;
        }
        if (off > 0 && pyi_read_ptr(s, obj + (pt_addr)off, &dict) != 0) {
            return -1;
        }
    }
    if (values) {
        pt_addr keys;
        struct v311_keys k;
        if (pyi_rd_ptr(s, type, PYI_F_HT_CACHED_KEYS, &keys) != 0 || !keys ||
            v311_keys_read(s, keys, &k) != 0) {
            return pt_wrap("reading the cached keys of type at 0x%llx", (unsigned long long)type);
        }
        *found = true;
        return v311_values_iter(s, values, &k, -1, cb, ctx);
    }
    if (dict) {
        *found = true;
        return v311_dict_iter(s, dict, cb, ctx);
    }
    return 0;
}

/* ---- watch slots ---------------------------------------------------------------------------- */

/* The index of the entry of keys whose key `match` accepts (with a non-NULL value in a combined
 * table), read 1024 entries at a time; -1 if none. */
static int v311_find_entry(struct pyi_session *s, const struct v311_keys *k, bool combined,
                           int (*match)(void *ctx, pt_addr key), void *ctx, int64_t *ix)
{
    enum { CHUNK = 1024 };
    int64_t koff = s->m[k->key_f].off, voff = s->m[k->value_f].off;
    uint8_t *buf = malloc((size_t)(CHUNK * k->entry_size));
    *ix = -1;
    if (!buf) {
        return pt_fail("out of memory");
    }
    for (int64_t i = 0; i < k->nentries && *ix < 0; i += CHUNK) {
        int64_t n = k->nentries - i < CHUNK ? k->nentries - i : CHUNK;
        if (pyi_read(s, k->entries + (pt_addr)(i * k->entry_size), buf,
                     (size_t)(n * k->entry_size)) != 0) {
            free(buf);
            return -1;
        }
        for (int64_t j = 0; j < n && *ix < 0; j++) {
            pt_addr key, value;
            memcpy(&key, buf + j * k->entry_size + koff, sizeof key);
            memcpy(&value, buf + j * k->entry_size + voff, sizeof value);
            if (key && (!combined || value) && match(ctx, key)) {
                *ix = i + j;
            }
        }
    }
    free(buf);
    return 0;
}

/* A split table keeps values in ma_values (shared keys); a combined one in its entries. A
 * resize or a split table turning combined writes ma_keys / ma_values; an insertion into a
 * combined table appends an entry (ma_used counts it). */
static int v311_dict_slot(struct pyi_session *s, pt_addr dict, int (*match)(void *ctx, pt_addr key),
                          void *ctx, pt_addr *slot, struct pyi_watch_loc *loc, int prio)
{
    pt_addr keys, values;
    struct v311_keys k;
    int64_t ix;
    *slot = 0;
    if (pyi_rd_ptr(s, dict, PYI_F_DICT_KEYS, &keys) != 0 ||
        pyi_rd_ptr(s, dict, PYI_F_DICT_VALUES, &values) != 0 || v311_keys_read(s, keys, &k) != 0 ||
        v311_find_entry(s, &k, !values, match, ctx, &ix) != 0) {
        return pt_wrap("reading dict at 0x%llx", (unsigned long long)dict);
    }
    pyi_wloc_add(loc, dict + (pt_addr)s->m[PYI_F_DICT_KEYS].off, PYI_WW_MOVE, prio + 2);
    if (values) {
        pyi_wloc_add(loc, dict + (pt_addr)s->m[PYI_F_DICT_VALUES].off, PYI_WW_MOVE, prio + 2);
    }
    if (ix < 0) {
        pyi_wloc_add(loc, dict + (pt_addr)s->m[PYI_F_DICT_USED].off, PYI_WW_MOVE, prio + 2);
        return 0;
    }
    *slot = values ? values + (pt_addr)s->m[PYI_F_DV_VALUES].off + (pt_addr)ix * 8
                   : k.entries + (pt_addr)(ix * k.entry_size + s->m[k.value_f].off);
    return 0;
}

static int v311_key_is(void *ctx, pt_addr key)
{
    struct v311_find_key *f = ctx;
    bool eq;
    return pyi_str_eq(f->s, key, f->name, &eq) == 0 && eq;
}

/* _PyObject_ValuesPointer / _PyObject_ManagedDictPointer / _PyObject_GetDictPtr, as
 * v311_instance_attrs reads them. Inline values are never moved: materializing the dict hands
 * the same values array to it (a split table), and only a later insertion that makes it
 * combined moves them, which a STORE_ATTR on the object shows (the caller watches those). */
static int v311_attr_slot(struct pyi_session *s, pt_addr obj, pt_addr type, const char *name,
                          pt_addr *slot, struct pyi_watch_loc *loc, int prio)
{
    unsigned long flags;
    pt_addr dict = 0, values = 0, dictp = 0;
    struct v311_find_key f = {s, name, 0, 0, false};
    *slot = 0;
    if (pyi_type_flags(s, type, &flags) != 0) {
        return -1;
    }
    if (flags & V311_TPFLAGS_MANAGED_DICT) {
        dictp = obj - 3 * 8;
        if (pyi_read_ptr(s, obj - 4 * 8, &values) != 0 || pyi_read_ptr(s, dictp, &dict) != 0) {
            return pt_wrap("reading the managed dict of the object at 0x%llx",
                           (unsigned long long)obj);
        }
    } else {
        int64_t off;
        if (pyi_rd(s, type, PYI_F_TP_DICTOFFSET, &off) != 0) {
            return -1;
        }
        dictp = off > 0 ? obj + (pt_addr)off : 0;
        if (dictp && pyi_read_ptr(s, dictp, &dict) != 0) {
            return -1;
        }
    }
    if (values) {
        uint32_t ix;
        int found = v311_inline_attr(s, type, name, &ix);
        if (found > 0) {
            *slot = values + (pt_addr)s->m[PYI_F_DV_VALUES].off + (pt_addr)ix * 8;
        }
        return found < 0 ? -1 : 0;
    }
    if (dictp) {
        pyi_wloc_add(loc, dictp, PYI_WW_MOVE, prio + 2);
    }
    return dict ? v311_dict_slot(s, dict, v311_key_is, &f, slot, loc, prio) : 0;
}

/* STORE_ATTR, DELETE_ATTR: the owner on top; STORE_SUBSCR, DELETE_SUBSCR: the container under
 * the key (ceval.c's TOP() and SECOND()). */
static const uint8_t v311_store_ops[][2] = {{95, 1}, {96, 1}, {60, 2}, {61, 2}};

/* ---- ints ----------------------------------------------------------------------------------- */

/* 3.11 PyLongObject: ob_size's sign is the sign, |ob_size| digits of PyLong_SHIFT bits. */
static int v311_long_read(struct pyi_session *s, pt_addr obj, int *sign, uint32_t **digits,
                          size_t *ndigits, int *digit_bits)
{
    int64_t size;
    if (pyi_rd(s, obj, PYI_F_OB_SIZE, &size) != 0) {
        return -1;
    }
    int64_t n = size < 0 ? -size : size;
    if (n > PYI_MAX_INT_DIGITS) {
        return pt_fail("implausible int size %lld at 0x%llx", (long long)size,
                       (unsigned long long)obj);
    }
    int dsz = (int)s->size[PYI_S_DIGIT];
    *digit_bits = dsz == 4 ? 30 : 15;
    *sign = size < 0 ? -1 : size > 0 ? 1 : 0;
    *ndigits = (size_t)n;
    *digits = calloc((size_t)n + 1, sizeof **digits);
    if (!*digits) {
        return pt_fail("out of memory");
    }
    pt_addr base = obj + (pt_addr)s->m[PYI_F_LONG_DIGIT].off;
    uint8_t *raw = malloc((size_t)n * (size_t)dsz + 1);
    if (!raw || pyi_read(s, base, raw, (size_t)n * (size_t)dsz) != 0) {
        free(raw);
        free(*digits);
        *digits = NULL;
        return raw ? pt_wrap("reading the digits of the int at 0x%llx", (unsigned long long)obj)
                   : pt_fail("out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        uint32_t d = 0;
        memcpy(&d, raw + i * dsz, (size_t)dsz);
        (*digits)[i] = d;
    }
    free(raw);
    return 0;
}

const struct pyi_vops pyi_v311 = {
    .name = "3.11",
    .major = 3,
    .minor = 11,
    .members = v311_members,
    .sizes = v311_sizes,
    .syms = v311_syms,
    .bits = v311_bits,
    .tpf_heaptype = V311_TPFLAGS_HEAPTYPE,
    .tpf_managed_dict = V311_TPFLAGS_MANAGED_DICT,
    .fast_local = 0x20, /* CO_FAST_LOCAL */
    .fast_cell = 0x40,  /* CO_FAST_CELL */
    .fast_free = 0x80,  /* CO_FAST_FREE */
    .thread_top_frame = v311_thread_top_frame,
    .frame_read = v311_frame_read,
    .int_ob_size = true,
    .inline_attr = v311_inline_attr,
    .inline_values_ptr_off = -4 * 8,
    .returned_value = v311_returned_value,
    .code_lines = v311_code_lines,
    .line_event = v311_line_event,
    .deopt = v311_deopt,
    .opname = v311_opname,
    .argkind = v311_argkind,
    .ncaches = v311_ncaches,
    .op_extended_arg = V311_EXTENDED_ARG,
    .op_resume = V311_RESUME,
    .have_argument = 90,
    .dict_iter = v311_dict_iter,
    .instance_attrs = v311_instance_attrs,
    .long_read = v311_long_read,
    .printable_mask = 0x400, /* PRINTABLE_MASK of Objects/unicodectype.c */
    .dict_slot = v311_dict_slot,
    .attr_slot = v311_attr_slot,
    .store_ops = v311_store_ops,
    .nstore_ops = 4,
};
