/*
 * pyi_layout: the names of the structs, members, sizes, symbols and bit-fields pyintrospect
 * reads, as CPython 3.11 names them. The other versions list only what differs (their
 * pyi_member_override tables in pyi_v3XX.c); pyi_layout_names() assembles a version's table at
 * pyi_open and pyi_dwarf.c resolves it. Members that only some versions have are absent here
 * (type NULL) and added by those versions.
 */
#include "pyintrospect/pyi_internal.h"

#include <string.h>

#define M(id, type, path) [id] = {type, path, false}
#define MOPT(id, type, path) [id] = {type, path, true}
const struct pyi_member_spec pyi_layout_members[PYI_F__COUNT] = {
    M(PYI_F_RT_INTERP_HEAD, "_PyRuntimeState", "interpreters.head"),
    M(PYI_F_RT_INTERP_MAIN, "_PyRuntimeState", "interpreters.main"),
    M(PYI_F_RT_GIL_TSTATE, "_PyRuntimeState", "gilstate.tstate_current"),
    M(PYI_F_IS_NEXT, "PyInterpreterState", "next"),
    M(PYI_F_IS_THREADS_HEAD, "PyInterpreterState", "threads.head"),
    M(PYI_F_IS_BUILTINS, "PyInterpreterState", "builtins"),
    M(PYI_F_IS_MODULES, "PyInterpreterState", "modules"),
    M(PYI_F_IS_SYSDICT, "PyInterpreterState", "sysdict"),
    M(PYI_F_TS_NEXT, "PyThreadState", "next"),
    M(PYI_F_TS_CFRAME, "PyThreadState", "cframe"),
    M(PYI_F_TS_THREAD_ID, "PyThreadState", "thread_id"),
    M(PYI_F_TS_NATIVE_TID, "PyThreadState", "native_thread_id"),
    M(PYI_F_TS_CUREXC_TYPE, "PyThreadState", "curexc_type"),
    M(PYI_F_TS_CUREXC_TRACEBACK, "PyThreadState", "curexc_traceback"),
    M(PYI_F_TS_EXC_INFO, "PyThreadState", "exc_info"),
    M(PYI_F_TS_TRACING, "PyThreadState", "tracing"),
    M(PYI_F_CF_CURRENT_FRAME, "_PyCFrame", "current_frame"),
    M(PYI_F_IF_FUNC, "_PyInterpreterFrame", "f_func"),
    M(PYI_F_IF_GLOBALS, "_PyInterpreterFrame", "f_globals"),
    M(PYI_F_IF_BUILTINS, "_PyInterpreterFrame", "f_builtins"),
    M(PYI_F_IF_LOCALS, "_PyInterpreterFrame", "f_locals"),
    M(PYI_F_IF_CODE, "_PyInterpreterFrame", "f_code"),
    M(PYI_F_IF_FRAME_OBJ, "_PyInterpreterFrame", "frame_obj"),
    M(PYI_F_IF_PREVIOUS, "_PyInterpreterFrame", "previous"),
    M(PYI_F_IF_INSTR, "_PyInterpreterFrame", "prev_instr"),
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
    M(PYI_F_TP_SUBCLASSES, "PyTypeObject", "tp_subclasses"),
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
    M(PYI_F_EXC_TRACEBACK, "PyBaseExceptionObject", "traceback"),
    MOPT(PYI_F_TB_NEXT, "PyTracebackObject", "tb_next"),
    MOPT(PYI_F_TB_FRAME, "PyTracebackObject", "tb_frame"),
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

const struct pyi_size_spec pyi_layout_sizes[PYI_S__COUNT] = {
    [PYI_S_ASCII] = {"PyASCIIObject"},
    [PYI_S_COMPACT] = {"PyCompactUnicodeObject"},
    [PYI_S_CODEUNIT] = {"_Py_CODEUNIT"},
    [PYI_S_DIGIT] = {"digit"},
    [PYI_S_DKENTRY] = {"PyDictKeyEntry"},
    [PYI_S_DKUENTRY] = {"PyDictUnicodeEntry", true},
    [PYI_S_SETENTRY] = {"setentry"},
    [PYI_S_IFRAME] = {"_PyInterpreterFrame", true},
    [PYI_S_UNIREC] = {"_PyUnicode_TypeRecord", true},
    [PYI_S_CODE] = {"PyCodeObject"},
    [PYI_S_LINEDATA] = {"_PyCoLineInstrumentationData", true},
};

const char *const pyi_layout_bits[PYI_B__COUNT] = {
    [PYI_B_STR_KIND] = "PyASCIIObject:state.kind",
    [PYI_B_STR_COMPACT] = "PyASCIIObject:state.compact",
    [PYI_B_STR_ASCII] = "PyASCIIObject:state.ascii",
};

#define Y(id, name) [id] = {name, NULL, false}
#define YOPT(id, name) [id] = {name, NULL, true}
const struct pyi_sym_spec pyi_layout_syms[PYI_Y__COUNT] = {
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
    YOPT(PYI_Y_DE_INSTRUMENT, "DE_INSTRUMENT"),
    YOPT(PYI_Y_UNI_RECORDS, "_PyUnicode_TypeRecords"),
    [PYI_Y_UNI_INDEX1] = {"index1", "unicodetype_db.h", true},
    [PYI_Y_UNI_INDEX2] = {"index2", "unicodetype_db.h", true},
};


/* A version's names: its base's (recursively), then its own overrides. */
static void pyi_layout_apply(struct pyi_session *s, const struct pyi_vops *v)
{
    if (!v) {
        memcpy(s->mspec, pyi_layout_members, sizeof s->mspec);
        return;
    }
    pyi_layout_apply(s, v->base);
    for (size_t i = 0; i < v->noverrides; i++) {
        s->mspec[v->overrides[i].id] = v->overrides[i].spec;
    }
}

void pyi_layout_names(struct pyi_session *s)
{
    pyi_layout_apply(s, s->v);
}
