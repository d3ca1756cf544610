/*
 * pyi_internal: what the files of pyintrospect share and nobody else sees.
 *
 * The session (struct pyi_session) holds the interpreter's module and DWARF (loaded once), the
 * layout the DWARF gave (member offsets and sizes, addresses of well-known objects), the version
 * layer chosen for the target (struct pyi_vops: one per CPython minor version, pyi_v3XX.c, built
 * from the shared pieces below), and caches of remote state that pyi_invalidate() drops. Layout
 * is data: every member pyintrospect reads has an id (enum pyi_field); pyi_layout.c maps the ids
 * to 3.11's struct and member names and each version lists only what differs; the session
 * resolves them once with libdw. Generic code (values, frames, dis) reads members by id, so the
 * error of a failed read can name the member ("reading PyCodeObject.co_filename at 0x...").
 */
#ifndef PYI_INTERNAL_H
#define PYI_INTERNAL_H

#include "pyintrospect/pyintrospect.h"

#include "common/pt_error.h"
#include "common/pt_mem.h"
#include "common/pt_pyver.h"

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* ---- caps on what remote memory may claim --------------------------------------------------- */
#define PYI_MAX_FRAMES 4096          /* Python frames walked per thread */
#define PYI_MAX_THREADS 1024         /* thread states walked per interpreter */
#define PYI_MAX_NAME 4096            /* bytes of an identifier-like string (names, filenames) */
#define PYI_MAX_CODEUNITS (1 << 22)  /* bytecode length of one code object */
#define PYI_CODE_IDENT_MAX 160       /* bytes of identifying members kept per cached code */
#define PYI_CODE_CACHE_MAX 512       /* cached code objects kept across pyi_invalidate */
#define PYI_MAX_TABLE (1 << 24)      /* bytes of a line/exception table */
#define PYI_MAX_LOCALS 65536         /* co_nlocalsplus */
#define PYI_MAX_MRO 256              /* classes in a type's MRO / base chain */
#define PYI_MAX_ITEMS (1 << 26)      /* items of a list/tuple */
#define PYI_MAX_STR (1 << 30)        /* characters of a str, bytes of a bytes object */
#define PYI_MAX_DICT_LOG2 30         /* dk_log2_size; sets: mask < 2^30 */
#define PYI_MAX_INT_DIGITS (1 << 22) /* digits of an int (about 38 million decimal digits) */

#define PYI_TYPE_CACHE 256
#define PYI_LOOKUP_CACHE 512

/* pyi_type_lookup's cache, by type version tag (pyi_obj.c). */
struct pyi_lookup_slot {
    pt_addr type, value;
    unsigned tag;
    char name[48];
};

/* ---- growable output buffer (pyi_buf.c) ----------------------------------------------------- */
struct pyi_buf {
    char *data;
    size_t len, cap;
    bool oom;
};
void pyi_buf_init(struct pyi_buf *b);
void pyi_buf_free(struct pyi_buf *b);
void pyi_buf_putc(struct pyi_buf *b, char c);
void pyi_buf_put(struct pyi_buf *b, const char *s, size_t n);
void pyi_buf_puts(struct pyi_buf *b, const char *s);
void pyi_buf_printf(struct pyi_buf *b, const char *fmt, ...) PT_PRINTF(2, 3);
/* Append code point cp as UTF-8. */
void pyi_buf_put_utf8(struct pyi_buf *b, uint32_t cp);
/* Give the NUL-terminated contents to the caller (the buffer is left empty). */
char *pyi_buf_take(struct pyi_buf *b);

/* ---- layout ids ----------------------------------------------------------------------------- */
enum pyi_field {
    /* runtime, interpreters, threads */
    PYI_F_RT_INTERP_HEAD,
    PYI_F_RT_INTERP_MAIN,
    PYI_F_RT_GIL_TSTATE, /* 3.10/3.11: _PyRuntime.gilstate.tstate_current */
    PYI_F_IS_NEXT,
    PYI_F_IS_THREADS_HEAD,
    PYI_F_IS_BUILTINS,
    PYI_F_IS_MODULES,
    PYI_F_IS_SYSDICT,
    PYI_F_IS_CEVAL_GIL,      /* 3.12+: the interpreter's GIL */
    PYI_F_IS_TYPES_BUILTINS, /* 3.12+: static builtin types' state, by index */
    PYI_F_GIL_LAST_HOLDER,   /* _gil_runtime_state */
    PYI_F_GIL_LOCKED,
    PYI_F_TS_NEXT,
    PYI_F_TS_CFRAME, /* 3.11/3.12 */
    PYI_F_TS_FRAME,  /* 3.10: PyThreadState.frame; 3.13: current_frame */
    PYI_F_TS_THREAD_ID,
    PYI_F_TS_NATIVE_TID,
    PYI_F_TS_CUREXC_TYPE, /* 3.10/3.11 */
    PYI_F_TS_CUREXC_TRACEBACK,
    PYI_F_TS_CURRENT_EXC, /* 3.12+: the exception object being raised */
    PYI_F_TS_EXC_INFO,    /* the exception being handled (_PyErr_StackItem *) */
    PYI_F_TS_TRACING,     /* > 0 while a trace/profile/monitoring callback runs */
    PYI_F_EI_TRACEBACK,   /* 3.10: _PyErr_StackItem.exc_traceback */
    PYI_F_CF_CURRENT_FRAME,
    /* interpreter frames (3.10: the PyFrameObject members of the same role) */
    PYI_F_IF_FUNC,
    PYI_F_IF_GLOBALS,
    PYI_F_IF_BUILTINS,
    PYI_F_IF_LOCALS,
    PYI_F_IF_CODE,
    PYI_F_IF_FRAME_OBJ,
    PYI_F_IF_PREVIOUS,
    PYI_F_IF_INSTR, /* prev_instr (3.11/3.12), instr_ptr (3.13), f_lasti (3.10) */
    PYI_F_IF_STACKTOP,
    PYI_F_IF_IS_ENTRY,
    PYI_F_IF_OWNER,
    PYI_F_IF_LOCALSPLUS,
    PYI_F_FO_LINENO, /* PyFrameObject.f_lineno */
    PYI_F_FO_TRACE,  /* 3.10: PyFrameObject.f_trace (f_lineno is valid while it is set) */
    /* code objects */
    PYI_F_CO_CONSTS,
    PYI_F_CO_NAMES,
    PYI_F_CO_EXCEPTIONTABLE,
    PYI_F_CO_FLAGS,
    PYI_F_CO_ARGCOUNT,
    PYI_F_CO_POSONLYARGCOUNT,
    PYI_F_CO_KWONLYARGCOUNT,
    PYI_F_CO_FIRSTLINENO,
    PYI_F_CO_NLOCALSPLUS,
    PYI_F_CO_NLOCALS,
    PYI_F_CO_NCELLVARS,
    PYI_F_CO_NFREEVARS,
    PYI_F_CO_LOCALSPLUSNAMES,
    PYI_F_CO_LOCALSPLUSKINDS,
    PYI_F_CO_FILENAME,
    PYI_F_CO_NAME,
    PYI_F_CO_QUALNAME,
    PYI_F_CO_LINETABLE,
    PYI_F_CO_FIRSTTRACEABLE,
    PYI_F_CO_CODE_ADAPTIVE,
    PYI_F_CO_CODE,     /* 3.10: the bytes object of the bytecode */
    PYI_F_CO_VARNAMES, /* 3.10 */
    PYI_F_CO_CELLVARS,
    PYI_F_CO_FREEVARS,
    PYI_F_CO_MONITORING,         /* 3.12+: _co_monitoring (instrumentation) */
    PYI_F_MON_LINES,             /* _PyCoMonitoringData.lines */
    PYI_F_MON_PER_INSTR_OPCODES, /* _PyCoMonitoringData.per_instruction_opcodes */
    PYI_F_LINEDATA_OPCODE,       /* _PyCoLineInstrumentationData.original_opcode */
    /* objects and types */
    PYI_F_OB_TYPE,
    PYI_F_OB_SIZE,
    PYI_F_TP_NAME,
    PYI_F_TP_BASICSIZE,
    PYI_F_TP_FLAGS,
    PYI_F_TP_BASE,
    PYI_F_TP_DICT,
    PYI_F_TP_MRO,
    PYI_F_TP_REPR,
    PYI_F_TP_DICTOFFSET,
    PYI_F_TP_SUBCLASSES, /* 3.12+ static builtin types: their index + 1 */
    PYI_F_SBT_TP_DICT,   /* 3.12+: the static builtin type state's tp_dict */
    PYI_F_TP_GETATTRO, /* absent (-1) where a version does not name it: attributes then need code */
    PYI_F_TP_DESCR_GET,
    PYI_F_TP_DESCR_SET,
    PYI_F_TP_VERSION_TAG, /* optional: no lookup cache without it */
    PYI_F_HT_QUALNAME,
    PYI_F_HT_CACHED_KEYS,
    /* numbers */
    PYI_F_LONG_DIGIT,
    PYI_F_LONG_TAG, /* 3.12+: long_value.lv_tag */
    PYI_F_FLOAT_VAL,
    PYI_F_COMPLEX_REAL,
    PYI_F_COMPLEX_IMAG,
    /* str */
    PYI_F_STR_LENGTH,
    PYI_F_STR_DATA, /* PyUnicodeObject.data (legacy strings) */
    /* bytes, bytearray */
    PYI_F_BYTES_SVAL,
    PYI_F_BA_START,
    /* list, tuple */
    PYI_F_LIST_ITEM,
    PYI_F_TUPLE_ITEM,
    /* dict */
    PYI_F_DICT_USED,
    PYI_F_DICT_KEYS,
    PYI_F_DICT_VALUES,
    PYI_F_DK_SIZE, /* 3.10 */
    PYI_F_DK_LOG2_SIZE,
    PYI_F_DK_LOG2_INDEX_BYTES,
    PYI_F_DK_KIND,
    PYI_F_DK_NENTRIES,
    PYI_F_DK_INDICES,
    PYI_F_DKE_HASH,
    PYI_F_DKE_KEY,
    PYI_F_DKE_VALUE,
    PYI_F_DKU_KEY,
    PYI_F_DKU_VALUE,
    PYI_F_DV_VALUES,
    PYI_F_DV_CAPACITY, /* 3.13 */
    PYI_F_DV_SIZE,
    PYI_F_DV_VALID,
    /* set */
    PYI_F_SET_MASK,
    PYI_F_SET_USED,
    PYI_F_SET_TABLE,
    PYI_F_SETENTRY_KEY,
    /* range */
    PYI_F_RANGE_START,
    PYI_F_RANGE_STOP,
    PYI_F_RANGE_STEP,
    /* functions, methods, cells, modules, descriptors, exceptions */
    PYI_F_FUNC_CODE,
    PYI_F_FUNC_QUALNAME,
    PYI_F_FUNC_GLOBALS,
    PYI_F_FUNC_CLOSURE,
    PYI_F_METH_FUNC,
    PYI_F_METH_SELF,
    PYI_F_CFUNC_ML,
    PYI_F_CFUNC_SELF,
    PYI_F_ML_NAME,
    PYI_F_CELL_REF,
    PYI_F_MOD_DICT,
    PYI_F_MEMBERDESCR_MEMBER,
    PYI_F_MEMBERDEF_TYPE,
    PYI_F_MEMBERDEF_OFFSET,
    PYI_F_EXC_ARGS,
    PYI_F_EXC_TRACEBACK,
    PYI_F_TB_NEXT,      /* PyTracebackObject.tb_next */
    PYI_F_TB_FRAME,     /* PyTracebackObject.tb_frame */
    PYI_F_UNIREC_FLAGS, /* _PyUnicode_TypeRecord.flags */
    /* datetime (optional: present where _datetime is built into the interpreter) */
    PYI_F_DT_DATA,
    PYI_F_DT_FOLD,
    PYI_F_DT_HASTZ,
    PYI_F_DT_TZINFO,
    PYI_F_DATE_DATA,
    PYI_F_TIME_DATA,
    PYI_F_TIME_FOLD,
    PYI_F_TIME_HASTZ,
    PYI_F_TIME_TZINFO,
    PYI_F_DELTA_DAYS,
    PYI_F_DELTA_SECONDS,
    PYI_F_DELTA_US,
    PYI_F__COUNT
};

/* Struct sizes (sizeof) the layout needs. */
enum pyi_size {
    PYI_S_ASCII,    /* PyASCIIObject: compact ASCII data follows it */
    PYI_S_COMPACT,  /* PyCompactUnicodeObject: compact non-ASCII data follows it */
    PYI_S_CODEUNIT, /* _Py_CODEUNIT */
    PYI_S_DIGIT,    /* digit (PyLongObject) */
    PYI_S_DKENTRY,  /* PyDictKeyEntry */
    PYI_S_DKUENTRY, /* PyDictUnicodeEntry */
    PYI_S_SETENTRY, /* setentry */
    PYI_S_IFRAME,   /* _PyInterpreterFrame */
    PYI_S_UNIREC,   /* _PyUnicode_TypeRecord */
    PYI_S_CODE,     /* PyCodeObject */
    PYI_S_LINEDATA, /* _PyCoLineInstrumentationData (3.12+) */
    PYI_S__COUNT
};

/* Bit-fields (PyASCIIObject.state). */
enum pyi_bits { PYI_B_STR_KIND, PYI_B_STR_COMPACT, PYI_B_STR_ASCII, PYI_B__COUNT };

/* Objects and tables found by name in the interpreter module. */
enum pyi_sym {
    PYI_Y_RUNTIME,
    PYI_Y_NONE,
    PYI_Y_TRUE,
    PYI_Y_FALSE,
    PYI_Y_ELLIPSIS,
    PYI_Y_NOTIMPL,
    PYI_Y_OBJECT_TYPE,
    PYI_Y_TYPE_TYPE,
    PYI_Y_LONG_TYPE,
    PYI_Y_BOOL_TYPE,
    PYI_Y_FLOAT_TYPE,
    PYI_Y_COMPLEX_TYPE,
    PYI_Y_UNICODE_TYPE,
    PYI_Y_BYTES_TYPE,
    PYI_Y_BYTEARRAY_TYPE,
    PYI_Y_LIST_TYPE,
    PYI_Y_TUPLE_TYPE,
    PYI_Y_DICT_TYPE,
    PYI_Y_SET_TYPE,
    PYI_Y_FROZENSET_TYPE,
    PYI_Y_RANGE_TYPE,
    PYI_Y_FUNCTION_TYPE,
    PYI_Y_METHOD_TYPE,
    PYI_Y_CFUNCTION_TYPE,
    PYI_Y_MODULE_TYPE,
    PYI_Y_CODE_TYPE,
    PYI_Y_CELL_TYPE,
    PYI_Y_MEMBERDESCR_TYPE,
    PYI_Y_PROPERTY_TYPE,
    PYI_Y_BASEEXC_TYPE,    /* the type object _PyExc_BaseException */
    PYI_Y_SET_DUMMY,       /* _PySet_Dummy: a variable holding the dummy key's address */
    PYI_Y_GENERIC_GETATTR, /* PyObject_GenericGetAttr (0 if unnamed: attributes then need code) */
    PYI_Y_OPCODE_DEOPT,
    PYI_Y_OPCODE_CACHES,
    PYI_Y_OPCODE_OPNAME, /* debug builds only (and 3.13) */
    PYI_Y_DE_INSTRUMENT, /* 3.12+: INSTRUMENTED_X -> X */
    PYI_Y_UNI_RECORDS,   /* _PyUnicode_TypeRecords */
    PYI_Y_UNI_INDEX1,    /* index1 of Objects/unicodetype_db.h */
    PYI_Y_UNI_INDEX2,
    PYI_Y__COUNT
};

/* A member resolved from DWARF. */
struct pyi_member {
    int64_t off; /* byte offset in the struct; -1 if absent */
    int size;    /* byte size of the member's type (0 for arrays of unknown size) */
    bool is_signed;
    int elem_size; /* for array members: element size */
};

struct pyi_bitfield {
    int64_t byte_off; /* offset of the storage unit */
    int bit_off;      /* from the least significant bit of a little-endian load */
    int bit_size;
};

/* How a version file names a member: struct (tag or typedef name) and a dotted member path. */
struct pyi_member_spec {
    const char *type;
    const char *path;
    bool optional; /* absence is not an error */
};
struct pyi_size_spec {
    const char *type;
    bool optional; /* absent: size -1 */
};
struct pyi_sym_spec {
    const char *name;
    const char *decl_file; /* if set: a static variable found in DWARF declared in this file */
    bool optional;
    bool deref; /* the symbol is a pointer variable: take the address it holds */
};

#define PYI_CO_OPTIMIZED 0x1 /* co_flags: a function's code (fast locals) */

/* ---- code objects --------------------------------------------------------------------------- */
struct pyi_code {
    pt_addr addr;
    pt_addr code0; /* address of the first code unit (co_code_adaptive, or co_code's bytes) */
    char *filename, *name, *qualname;
    int firstlineno, argcount, posonlyargcount, kwonlyargcount, flags;
    int nlocalsplus, nlocals, ncellvars, nfreevars, firsttraceable;
    char **localsplusnames; /* UTF-8, nlocalsplus entries (NULL entries if unreadable) */
    uint8_t *localspluskinds;
    pt_addr consts, names; /* tuples */
    uint8_t *linetable;
    size_t linetable_len;
    uint8_t *exctable;
    size_t exctable_len;
    uint8_t *code;  /* bytecode as in memory (quickened), 2 bytes per code unit */
    uint8_t *deopt; /* the same, de-quickened as _PyCode_GetCode does */
    size_t ncodeunits;
    int *lines; /* line of each code unit (-1: none), as _PyCode_CreateLineArray */
    /* computed on first use by pyi_code_scan (per code unit, meaningful at instruction starts) */
    uint8_t *labels; /* 1: jump target or exception handler */
    int *iprev;      /* index of the previous instruction (-1 for the first) */
    int *ilastline;  /* the line dis.findlinestarts compares with (version rule; -1: none) */
    /* identity (pyi_code_get): the immutable members that say which code this is, and the
     * session generation at which they were last checked against the tracee */
    uint8_t ident[PYI_CODE_IDENT_MAX];
    unsigned checked_gen;
    struct pyi_code *next_cached;
};

/* ---- raw frames (version layer output) ------------------------------------------------------ */
struct pyi_rawframe {
    pt_addr addr, code, previous, globals, builtins, locals, func, frame_obj;
    pt_addr localsplus; /* address of the first fast local */
    int lasti;          /* index of the frame's last instruction in code units (may be -1) */
    bool is_entry;
    bool complete; /* false: skipped as CPython does (_PyFrame_IsIncomplete) */
    bool cstack;   /* 3.12+: a frame owned by the C stack (a shim or an eval loop's entry) */
    int fo_lineno; /* frame object's f_lineno if non-zero (set while tracing) */
};

/* ---- opcodes -------------------------------------------------------------------------------- */
/* How dis renders an opcode's argument (Lib/dis.py of the version). */
enum pyi_argkind {
    PYI_ARG_NONE,
    PYI_ARG_PLAIN,
    PYI_ARG_CONST,
    PYI_ARG_NAME,
    PYI_ARG_GLOBAL, /* LOAD_GLOBAL: name index arg>>1, low bit NULL push */
    PYI_ARG_JREL,
    PYI_ARG_JREL_BACK,
    PYI_ARG_JABS,
    PYI_ARG_LOCAL, /* haslocal (and hasfree from 3.11): localsplus index */
    PYI_ARG_COMPARE,
    PYI_ARG_FORMAT,
    PYI_ARG_MAKEFUNC,
    PYI_ARG_BINOP,
    PYI_ARG_CELL,       /* 3.10 hasfree: index into co_cellvars + co_freevars */
    PYI_ARG_ATTR,       /* 3.12+ LOAD_ATTR: arg>>1, low bit method load */
    PYI_ARG_SUPER_ATTR, /* LOAD_SUPER_ATTR: arg>>2 */
    PYI_ARG_LOCAL2,     /* 3.13 LOAD_FAST_LOAD_FAST & co.: two 4-bit local indexes */
    PYI_ARG_CONVERT,    /* 3.13 CONVERT_VALUE */
    PYI_ARG_INTRINSIC1,
    PYI_ARG_INTRINSIC2,
};

/* A version's opcode facts, generated from its Lib/opcode.py and Lib/dis.py (pyi_opdata.c). */
struct pyi_opdata {
    const char *const *opname;   /* [256] base opcode names */
    const uint8_t *argkind;      /* [256] enum pyi_argkind */
    const uint8_t *caches;       /* [256] inline cache entries (fallback for _PyOpcode_Caches) */
    const uint8_t *deinstrument; /* [256] INSTRUMENTED_X -> X (fallback for DE_INSTRUMENT) */
    const char *const *intrinsic1, *const *intrinsic2;
    int nintrinsic1, nintrinsic2;
    int have_argument, extended_arg, resume, send, jump_back_no_interrupt;
    int instrumented_line, instrumented_instruction, gen_start; /* -1: not in this version */
};
extern const struct pyi_opdata pyi_opdata_v310, pyi_opdata_v311, pyi_opdata_v312, pyi_opdata_v313;

/* ---- the version layer ---------------------------------------------------------------------- */
/* A member whose name differs from 3.11's (pyi_layout.c), or that the version lacks (type
 * NULL). */
struct pyi_member_override {
    enum pyi_field id;
    struct pyi_member_spec spec;
};
/* Rows of a version's override table: field id at DWARF type/member path, or absent there. */
#define PYI_OVERRIDE(id, type, path)                                                               \
    {                                                                                              \
        id,                                                                                        \
        {                                                                                          \
            type, path, false                                                                      \
        }                                                                                          \
    }
#define PYI_ABSENT(id)                                                                             \
    {                                                                                              \
        id,                                                                                        \
        {                                                                                          \
            NULL, NULL, false                                                                      \
        }                                                                                          \
    }

/* The 'line' event rule of a version (pyi_lineev.c). */
struct pyi_line_rule {
    /* The previous instruction does not count when at or before the first traceable one
     * (3.11+: RESUME's and what precedes it); 3.10: only "no previous instruction". */
    bool prev_before_traceable;
    /* A backward jump reports a line even on the same line, except (3.11) into SEND, or (3.12+)
     * from JUMP_BACKWARD_NO_INTERRUPT: both the `yield from`/`await` loop. */
    bool exempt_into_send, exempt_from_no_interrupt;
    /* dis.findlinestarts: a line starts where it differs from the last line seen (until 3.12,
     * instructions without a line are skipped), or from the previous instruction's, no line
     * included (3.13) */
    bool starts_after_none;
};

struct pyi_session;
struct pyi_rawframe;
struct pt_cond_step;
struct pyi_vops {
    const char *name; /* "3.11" */
    int major, minor;
    const struct pyi_opdata *ops;
    /* layout names that differ from base's (NULL: from 3.11's, pyi_layout.c) */
    const struct pyi_vops *base;
    const struct pyi_member_override *overrides;
    size_t noverrides;
    struct pyi_line_rule line_rule;
    /* type flags (Py_TPFLAGS_*, macros absent from DWARF; 0: the version has no such flag).
     * tpf_valid_version_tag 0: a version tag is valid when it is not 0 (3.13 no longer keeps
     * Py_TPFLAGS_VALID_VERSION_TAG up to date) */
    unsigned long tpf_heaptype, tpf_managed_dict, tpf_inline_values, tpf_static_builtin,
        tpf_valid_version_tag;
    /* localsplus kinds (CO_FAST_*) */
    unsigned char fast_local, fast_cell, fast_free, fast_hidden;
    /* COMPARE_OP's argument: the operator is arg >> compare_shift; bit compare_bool (if not
     * 0) asks for bool(...) (3.13) */
    int compare_shift, compare_bool;
    /* the argument of a `LOAD_GLOBAL`/`LOAD_ATTR` pushing NULL (or self) reads "NULL + x"
     * (until 3.12) or "x + NULL" (3.13) */
    bool null_suffix;
    /* words before an object holding its managed dict / values (Objects/object.c's
     * MANAGED_DICT_OFFSET and _PyObject_ValuesPointer: macros, not in DWARF) */
    int managed_dict_word, values_word;
    /* The dispatch register holds the instruction being dispatched (3.11+) or the one after
     * it (3.10: NEXTOPARG has already moved past it). */
    int dispatch_ahead;
    /* Threads and frames. */
    int (*thread_top_frame)(struct pyi_session *s, pt_addr tstate, pt_addr *frame);
    int (*gil_holder)(struct pyi_session *s, pt_addr interp, pt_addr *tstate);
    /* The OS thread id of a thread state (0 if it cannot be told). */
    int (*native_tid)(struct pyi_session *s, pt_addr tstate, unsigned long ident, pid_t *tid);
    int (*frame_read)(struct pyi_session *s, pt_addr addr, struct pyi_rawframe *out);
    /* The exception being raised in tstate: its type and traceback (0, 0 if none). */
    int (*raised)(struct pyi_session *s, pt_addr tstate, pt_addr *type, pt_addr *tb);
    /* Code objects: names and kinds of the fast locals, the bytecode, its lines. */
    int (*code_names)(struct pyi_session *s, struct pyi_code *c);
    int (*code_bytes)(struct pyi_session *s, struct pyi_code *c);
    int (*code_lines)(struct pyi_code *code);
    /* De-quicken (and de-instrument) code->code into code->deopt. */
    int (*deopt)(struct pyi_session *s, struct pyi_code *code);
    /* Iterate a dict's items in order; cb returns non-zero to stop. */
    int (*dict_iter)(struct pyi_session *s, pt_addr dict,
                     int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx);
    /* An instance's attribute dict or inline values: iterate (name, value). Returns 0 with
     * *found=false if the object has no instance dict. */
    int (*instance_attrs)(struct pyi_session *s, pt_addr obj, pt_addr type,
                          int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx, bool *found);
    /* Read an int: sign (-1, 0, 1) and magnitude digits (least significant first). */
    int (*long_read)(struct pyi_session *s, pt_addr obj, int *sign, uint32_t **digits,
                     size_t *ndigits, int *digit_bits);
    /* A type's dict (static builtin types keep it in the interpreter from 3.12). */
    int (*type_dict)(struct pyi_session *s, pt_addr type, pt_addr *dict);
    /* Which registers hold next_instr and the frame at every dispatch (pyi_nav.c). */
    int (*dispatch_regs)(struct pyi_session *s, const uint64_t handlers[256], int *instr_reg,
                         int *frame_reg);
    /* The value a just-finished call returned into frame `caller`, at the caller's first
     * dispatch after it (next_instr, stack_pointer: pyi_stack_reg's register), before that
     * instruction runs: 1 with *value, 0 when it is
     * not where this version leaves it (*why), -1 on error. NULL: not known for this version. */
    int (*returned_value)(struct pyi_session *s, pt_addr caller, pt_addr next_instr,
                          pt_addr stack_pointer, const struct pyi_pos *callee, pt_addr *value,
                          const char **why);
    /* returned_value checks the value against what the callee's frame returned, so it holds
     * whoever called the function (3.10, where every call returns through C); otherwise it is
     * known only for a call the caller's eval loop ran itself (3.11+: not an entry frame). */
    bool returned_any_caller;
    /* How the in-tracee condition code (pyi_cond.c) reads small ints: PYI_INTS_OB_SIZE
     * (ob_size holds sign and digit count: 3.10, 3.11), PYI_INTS_LV_TAG (long_value.lv_tag:
     * 3.12+); PYI_INTS_NONE: it does not, and every hit of a conditional breakpoint traps. */
    enum pyi_int_layout { PYI_INTS_NONE, PYI_INTS_OB_SIZE, PYI_INTS_LV_TAG } cond_ints;
    /* In-tracee conditions on attributes: how instances keep the values their class shares
     * keys for (PT_CA_*, common/pt_cond.h; 0: not read there), and inline_attr, which plans
     * reading `name` from an instance of `type` (its index among the shared keys and what the
     * version's access needs: *st's index, base, keys, key_at, key): 1, 0 if the type keeps
     * no such values or they do not hold the name, -1 on error. */
    int cond_attrs;
    int (*inline_attr)(struct pyi_session *s, pt_addr type, const char *name,
                       struct pt_cond_step *st);
    /* Unicode type record flag meaning "printable". */
    unsigned printable_mask;
};

extern const struct pyi_vops pyi_v310, pyi_v311, pyi_v312, pyi_v313;

/* The members of struct pyi_vops that every version with _PyInterpreterFrame (3.11+) shares. */
#define PYI_VOPS_INTERPRETER_FRAMES                                                                \
    .frame_read = pyi_iframe_read, .native_tid = pyi_native_tid_member,                            \
    .code_names = pyi_code_names_localsplus, .code_bytes = pyi_code_bytes_inline,                  \
    .code_lines = pyi_lines_locations, .dispatch_regs = pyi_dispatch_regs_store,                   \
    .fast_local = 0x20 /* CO_FAST_LOCAL */, .fast_cell = 0x40 /* CO_FAST_CELL */,                  \
    .fast_free = 0x80 /* CO_FAST_FREE */, .tpf_heaptype = 1UL << 9 /* Py_TPFLAGS_HEAPTYPE */,      \
    .tpf_managed_dict = 1UL << 4 /* Py_TPFLAGS_MANAGED_DICT */, .managed_dict_word = 3,            \
    .printable_mask = 0x400 /* PRINTABLE_MASK of Objects/unicodectype.c */

/* ---- shared pieces the versions are built from ---------------------------------------------- */
/* pyi_iframe.c: 3.11-3.13's _PyInterpreterFrame */
int pyi_iframe_top_cframe(struct pyi_session *s, pt_addr tstate, pt_addr *frame);
int pyi_iframe_top_current(struct pyi_session *s, pt_addr tstate, pt_addr *frame);
int pyi_iframe_read(struct pyi_session *s, pt_addr addr, struct pyi_rawframe *out);
int pyi_iframe_returned_value(struct pyi_session *s, pt_addr caller, pt_addr next_instr,
                              pt_addr stack_pointer, const struct pyi_pos *callee, pt_addr *value,
                              const char **why);
int pyi_native_tid_member(struct pyi_session *s, pt_addr tstate, unsigned long ident, pid_t *tid);
int pyi_gil_runtime(struct pyi_session *s, pt_addr interp, pt_addr *tstate);
int pyi_gil_interp(struct pyi_session *s, pt_addr interp, pt_addr *tstate);
int pyi_raised_curexc(struct pyi_session *s, pt_addr tstate, pt_addr *type, pt_addr *tb);
int pyi_raised_current(struct pyi_session *s, pt_addr tstate, pt_addr *type, pt_addr *tb);
/* pyi_code.c: 3.11+'s localsplus names and inline bytecode */
int pyi_code_names_localsplus(struct pyi_session *s, struct pyi_code *c);
int pyi_code_bytes_inline(struct pyi_session *s, struct pyi_code *c);
int pyi_code_bytes_object(struct pyi_session *s, struct pyi_code *c); /* 3.10: co_code */
/* pyi_linetab.c */
int pyi_lines_locations(struct pyi_code *c); /* 3.11+ location table (Objects/locations.md) */
int pyi_lines_310(struct pyi_code *c);       /* 3.10 co_linetable (Objects/lnotab_notes.txt) */
/* pyi_opcodes.c */
int pyi_deopt_tables(struct pyi_session *s, struct pyi_code *c);       /* 3.11 */
int pyi_deopt_instrumented(struct pyi_session *s, struct pyi_code *c); /* 3.12+ */
int pyi_deopt_none(struct pyi_session *s, struct pyi_code *c);         /* 3.10 */
const char *pyi_opname(struct pyi_session *s, int op);
enum pyi_argkind pyi_argkind(struct pyi_session *s, int op);
int pyi_ncaches(struct pyi_session *s, int op);
/* The base opcode of a raw one (de-specialized, de-instrumented; INSTRUMENTED_LINE and
 * INSTRUMENTED_INSTRUCTION need the code object: pass c and the index, else -1). */
int pyi_base_opcode(struct pyi_session *s, const struct pyi_code *c, int op, int index);
void pyi_opcodes_load(struct pyi_session *s);
/* pyi_dict.c */
int pyi_dict_iter_310(struct pyi_session *s, pt_addr dict,
                      int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx);
int pyi_dict_iter_311(struct pyi_session *s, pt_addr dict,
                      int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx);
int pyi_dict_iter_313(struct pyi_session *s, pt_addr dict,
                      int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx);
int pyi_attrs_dictoffset(struct pyi_session *s, pt_addr obj, pt_addr type,
                         int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx, bool *found);
int pyi_inline_attr_310(struct pyi_session *s, pt_addr type, const char *name,
                        struct pt_cond_step *st);
int pyi_inline_attr_311(struct pyi_session *s, pt_addr type, const char *name,
                        struct pt_cond_step *st);
int pyi_inline_attr_313(struct pyi_session *s, pt_addr type, const char *name,
                        struct pt_cond_step *st);
int pyi_attrs_311(struct pyi_session *s, pt_addr obj, pt_addr type,
                  int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx, bool *found);
int pyi_attrs_312(struct pyi_session *s, pt_addr obj, pt_addr type,
                  int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx, bool *found);
int pyi_attrs_313(struct pyi_session *s, pt_addr obj, pt_addr type,
                  int (*cb)(void *ctx, pt_addr key, pt_addr value), void *ctx, bool *found);
/* pyi_long.c */
int pyi_long_read_size(struct pyi_session *s, pt_addr obj, int *sign, uint32_t **digits,
                       size_t *ndigits, int *digit_bits);
int pyi_long_read_tag(struct pyi_session *s, pt_addr obj, int *sign, uint32_t **digits,
                      size_t *ndigits, int *digit_bits);
/* pyi_obj.c */
int pyi_type_dict_plain(struct pyi_session *s, pt_addr type, pt_addr *dict);
int pyi_type_dict_static(struct pyi_session *s, pt_addr type, pt_addr *dict);
/* pyi_lineev.c: would executing instruction `cur` right after `prev` (code unit indexes of
 * the frame's previous and current instructions; prev < 0: none) report a 'line' event? */
bool pyi_line_event(struct pyi_session *s, const struct pyi_code *c, int prev, int cur);
/* pyi_nav.c */
int pyi_dispatch_regs_store(struct pyi_session *s, const uint64_t handlers[256], int *instr_reg,
                            int *frame_reg);
int pyi_dispatch_regs_sites(struct pyi_session *s, const uint64_t handlers[256], int *instr_reg,
                            int *frame_reg);
/* pyi_debugoffsets.c: 3.13+ _Py_DebugOffsets against DWARF */
int pyi_debug_offsets_check(struct pyi_session *s);

/* ---- the session ---------------------------------------------------------------------------- */
struct pyi_unitab; /* printability tables (pyi_unicode.c) */
struct pyi_index;  /* DWARF definitions (pyi_dwarf.c) */

struct pyi_session {
    pid_t pid;
    struct pt_mem *mem;
    Dwfl *dwfl;
    Dwfl_Callbacks dwfl_cb;
    char *debuginfo_path;
    Dwfl_Module *pymod;
    Dwarf *dwarf;
    Dwarf_Addr bias;
    char *pymod_path;
    char version[32];
    unsigned long hexversion;
    const struct pyi_vops *v;
    const struct pt_pyver *facts; /* common/pt_pyver.c's row for the version */
    int ptr_size;

    struct pyi_member_spec mspec[PYI_F__COUNT]; /* the version's member names */
    struct pyi_member m[PYI_F__COUNT];
    int64_t size[PYI_S__COUNT];
    struct pyi_bitfield bits[PYI_B__COUNT];
    pt_addr sym[PYI_Y__COUNT];
    int64_t sym_size[PYI_Y__COUNT];
    int64_t sym_elem[PYI_Y__COUNT]; /* element size of array variables found in DWARF */
    int frame_owned_by_generator;
    int frame_owned_by_cstack; /* 3.12+ (-1 before) */

    /* data read once from the interpreter's tables (constant for a process image) */
    uint8_t opcode_deopt[256], opcode_caches[256];
    bool opcode_tables;
    uint8_t de_instrument[256]; /* 3.12+: INSTRUMENTED_X -> X (0: not instrumented) */
    char *opnames[256];         /* from _PyOpcode_OpName where present */
    /* dispatch (pyi_dispatch_regs): the handlers that read the frame's instruction member
     * before storing it (3.11's DO_TRACING, 3.12+'s INSTRUMENTED_LINE) */
    bool reads_instr[256];
    struct pyi_index *dwidx;   /* pyi_dwarf.c's index of definitions, kept for lookups */
    struct pyi_symrow *symidx; /* the interpreter's symbols by name (pyi_debuginfo.c) */
    size_t nsymidx;
    bool symidx_tried;
    bool layout_cached;    /* the layout came from pyi_layout_cache.c, not DWARF */
    char layout_note[640]; /* where it came from, for `maint layout` */
    /* what pyi_debug_offsets_check found (3.13+): members compared, how many differ, and a
     * description of the differences */
    int dbgoff_checked, dbgoff_differ;
    char notes[1024];
    struct pyi_unitab *unitab;
    bool unitab_tried;

    struct pyi_repr_opts repr;
    unsigned value_style; /* PYI_REPR_STRUCTURAL for pytt dump */
    struct {
        pt_addr *objs;
        char **texts;
        size_t n;
    } ov; /* repr overrides */
    struct {
        bool on;
        pt_addr *objs;
        size_t n, cap;
    } inexact; /* collected inexact values */

    /* remote state: dropped by pyi_invalidate */
    struct pyi_thread *threads;
    size_t nthreads;
    bool threads_valid;
    size_t sel_thread;
    pid_t sel_tid; /* thread to select again after an invalidate (0: default) */
    struct pyi_frame *frames;
    struct pyi_rawframe *rawframes;
    size_t nframes;
    bool frames_valid;
    size_t sel_frame;
    struct pyi_code *codes; /* code-object cache (revalidated, see pyi_code.c) */
    size_t ncodes;
    unsigned gen; /* bumped by pyi_invalidate: cached codes are re-checked once per gen */
    pt_addr type_cache[PYI_TYPE_CACHE];               /* type objects found valid */
    struct pyi_lookup_slot lookups[PYI_LOOKUP_CACHE]; /* kept across stops: see pyi_obj.c */
    /* the address of the value slot of the item a dict or attribute iterator (pyi_dict.c)
     * passes to its callback, for pyi_slots.c */
    pt_addr iter_slot;
    struct pyi_srcfile *sources; /* source files read from disk (kept across invalidate) */
    pyi_source_fn src_fn;        /* where sources come from first (NULL: disk only) */
    void *src_ctx;
    pyi_tid_fn tid_fn; /* a task's id as the program knows it (NULL: the same) */
    void *tid_ctx;
    char *debug_root; /* looked in before the default debug root */
    bool modules_stale;
    /* a stop presented with pyi_present: the frame's instruction when the frame itself could
     * not be told (until the next pyi_refresh) */
    pt_addr stop_frame;
    int stop_lasti;
};

/* ---- layout names (pyi_layout.c) ----------------------------------------------------------- */
extern const struct pyi_member_spec pyi_layout_members[PYI_F__COUNT];
extern const struct pyi_size_spec pyi_layout_sizes[PYI_S__COUNT];
extern const struct pyi_sym_spec pyi_layout_syms[PYI_Y__COUNT];
extern const char *const pyi_layout_bits[PYI_B__COUNT];
/* Fill s->mspec: 3.11's names with the version's overrides. */
void pyi_layout_names(struct pyi_session *s);

/* ---- session helpers (pyi_session.c) -------------------------------------------------------- */
const char *pyi_field_name(struct pyi_session *s, enum pyi_field f); /* "Type.member" */
/* Read a member of the struct at base into *out (sign- or zero-extended per its DWARF type). */
int pyi_rd(struct pyi_session *s, pt_addr base, enum pyi_field f, int64_t *out);
int pyi_rd_ptr(struct pyi_session *s, pt_addr base, enum pyi_field f, pt_addr *out);
/* The same, from a local copy of len bytes of the struct (one read for many members). */
int pyi_rd_local(struct pyi_session *s, const uint8_t *copy, size_t len, enum pyi_field f,
                 int64_t *out);
bool pyi_has(struct pyi_session *s, enum pyi_field f);
int pyi_read(struct pyi_session *s, pt_addr addr, void *buf, size_t len);
int pyi_read_ptr(struct pyi_session *s, pt_addr addr, pt_addr *out);
int pyi_rd_bits(struct pyi_session *s, pt_addr base, enum pyi_bits b, unsigned *out);

/* ---- DWARF (pyi_dwarf.c) -------------------------------------------------------------------- */
int pyi_dwarf_resolve(struct pyi_session *s);
/* A member of a struct the DWARF index knows (the layout's types and _Py_DebugOffsets): 1 and
 * its offset and size if found, else 0. */
int pyi_dwarf_member(struct pyi_session *s, const char *type, const char *path, int64_t *off,
                     int *size);
void pyi_dwarf_free(struct pyi_session *s);

/* ---- debug info and modules (pyi_debuginfo.c) ----------------------------------------------- */
int pyi_dbg_begin(struct pyi_session *s);
int pyi_dbg_find_python(struct pyi_session *s);
int pyi_dbg_need_dwarf(struct pyi_session *s);
int pyi_dbg_symbol(struct pyi_session *s, const char *name, pt_addr *addr, int64_t *size);
void pyi_symidx_free(struct pyi_session *s);
/* pyi_layout_cache.c: the layout pyi_dwarf_resolve found, from a file keyed by the interpreter,
 * its DWARF file and pytt itself (1 loaded, 0 not), and storing it after a resolve. */
int pyi_layout_cache_load(struct pyi_session *s);
void pyi_layout_cache_store(struct pyi_session *s);
/* Name of the native function containing pc ("?" if unknown) and the module's file name. */
const char *pyi_dbg_addr_name(struct pyi_session *s, pt_addr pc, pt_addr *start,
                              const char **module);

/* ---- objects (pyi_obj.c) -------------------------------------------------------------------- */
enum pyi_kind {
    PYI_K_OTHER,
    PYI_K_NONE,
    PYI_K_BOOL,
    PYI_K_INT,
    PYI_K_FLOAT,
    PYI_K_COMPLEX,
    PYI_K_STR,
    PYI_K_BYTES,
    PYI_K_BYTEARRAY,
    PYI_K_LIST,
    PYI_K_TUPLE,
    PYI_K_DICT,
    PYI_K_SET,
    PYI_K_FROZENSET,
    PYI_K_RANGE,
    PYI_K_FUNCTION,
    PYI_K_METHOD,
    PYI_K_CFUNCTION,
    PYI_K_MODULE,
    PYI_K_CODE,
    PYI_K_CELL,
    PYI_K_TYPE,
    PYI_K_EXCEPTION,
    PYI_K_ELLIPSIS,
    PYI_K_NOTIMPL,
    PYI_K_MEMBERDESCR,
    PYI_K_PROPERTY,
    PYI_K_OBJECT, /* instance of a class deriving from object only */
};

struct pyi_objinfo {
    pt_addr addr, type;
    enum pyi_kind kind; /* kind of the nearest builtin base */
    pt_addr base_type;  /* that builtin type */
    bool exact;         /* type == base_type */
    bool own_repr;      /* the type overrides the base's tp_repr */
};
int pyi_obj_type(struct pyi_session *s, pt_addr obj, pt_addr *type);
int pyi_obj_classify(struct pyi_session *s, pt_addr obj, struct pyi_objinfo *out);
int pyi_type_flags(struct pyi_session *s, pt_addr type, unsigned long *flags);
/* tp_name (malloc'd). */
int pyi_type_tpname(struct pyi_session *s, pt_addr type, char **out);
/* The last dotted component of tp_name, as _PyType_Name. */
int pyi_type_shortname(struct pyi_session *s, pt_addr type, char **out);
/* __module__ and __qualname__ as type_module()/type_qualname() compute them. */
int pyi_type_module_qualname(struct pyi_session *s, pt_addr type, char **module, char **qualname);
bool pyi_is_type(struct pyi_session *s, pt_addr obj);
bool pyi_utf8_text(const char *t);

/* A str's code points (at most max, 0 = all); *truncated set if cut. */
struct pyi_ustr {
    uint32_t *cp;
    size_t len;      /* code points read */
    size_t full_len; /* length of the string */
};
int pyi_str_read(struct pyi_session *s, pt_addr obj, size_t max, struct pyi_ustr *out);
/* A str as UTF-8 (malloc'd), at most PYI_MAX_NAME bytes. */
int pyi_str_utf8(struct pyi_session *s, pt_addr obj, char **out);
/* Is obj a str equal to the UTF-8 string name? */
int pyi_str_eq(struct pyi_session *s, pt_addr obj, const char *name, bool *eq);
int pyi_long_value(struct pyi_session *s, pt_addr obj, int64_t *out, bool *overflow);
int pyi_seq_items(struct pyi_session *s, pt_addr obj, enum pyi_kind kind, pt_addr **items,
                  size_t *n, size_t max, size_t *full_n);
int pyi_tuple_items(struct pyi_session *s, pt_addr tuple, pt_addr **items, size_t *n);
int pyi_seq_item(struct pyi_session *s, pt_addr obj, enum pyi_kind kind, size_t i, pt_addr *out);
/* A set's keys in table order (at most max, 0 = all; *cut if there are more); *keys malloc'd. */
int pyi_set_keys(struct pyi_session *s, pt_addr obj, size_t max, pt_addr **keys, size_t *n,
                 bool *cut);
/* Look a str key up in a dict. *value = 0 if absent. */
int pyi_dict_get_str(struct pyi_session *s, pt_addr dict, const char *key, pt_addr *value);
/* ... and the address of the word holding the value (*slot, when found). */
int pyi_dict_get_str_slot(struct pyi_session *s, pt_addr dict, const char *key, pt_addr *value,
                          pt_addr *slot);
int pyi_instance_attr_slot(struct pyi_session *s, pt_addr obj, pt_addr type, const char *name,
                           pt_addr *value, pt_addr *slot);
/* An object's own attribute (its __dict__ or inline values; type: its type). *value = 0 if
 * absent. */
int pyi_instance_attr(struct pyi_session *s, pt_addr obj, pt_addr type, const char *name,
                      pt_addr *value);
/* Attribute lookup through the type's MRO dicts (as _PyType_Lookup). */
int pyi_type_lookup(struct pyi_session *s, pt_addr type, const char *name, pt_addr *value);
/* A type's version tag if it is valid (else *tag = 0): it changes whenever the type or a base
 * is modified, and is never given to another type. */
int pyi_type_version(struct pyi_session *s, pt_addr type, unsigned *tag);

/* ---- code objects (pyi_code.c) -------------------------------------------------------------- */
int pyi_code_get(struct pyi_session *s, pt_addr addr, struct pyi_code **out);
/* ---- in-tracee conditions and tracepoint logs (pyi_cond.c, pyi_tlog.c) ---------------------- */
struct pt_cond;
struct pt_cond_opnd;
struct pt_cond_layout;
/* The layout an in-tracee condition reads objects with (attrs: attributes too). */
void pyi_cond_layout(struct pyi_session *s, bool attrs, struct pt_cond_layout *layout);
/* EXPR as one operand of in-tracee code in code c: a plain fast local, or an attribute chain
 * from one planned against the objects in frame (0: none; chains are then not lowered), its
 * steps appended to steps. 1 done (*attrs set if it reads attributes), 0 not lowerable. */
int pyi_cond_operand_expr(struct pyi_session *s, const struct pyi_code *c, pt_addr frame,
                          const char *expr, struct pt_cond *steps, struct pt_cond_opnd *o,
                          bool *attrs);
void pyi_code_cache_clear(struct pyi_session *s);
void pyi_code_cache_age(struct pyi_session *s); /* a new stop: re-check before reuse */
int pyi_code_addr2line_idx(const struct pyi_code *c, int index);
int pyi_code_scan(struct pyi_session *s, struct pyi_code *c);
int pyi_code_oparg(struct pyi_session *s, const struct pyi_code *c, size_t i);
int pyi_code_jump_target(struct pyi_session *s, const struct pyi_code *c, size_t i);
int pyi_exc_next(const struct pyi_code *c, size_t *pos, int *start, int *end, int *target,
                 int *depth, bool *lasti);

/* ---- values (pyi_repr.c, pyi_float.c, pyi_unicode.c, pyi_long.c) ---------------------------- */
int pyi_repr_buf(struct pyi_session *s, pt_addr obj, struct pyi_buf *out);
/* With flags (PYI_REPR_STRUCTURAL) and what was inexact or built (*what, may be NULL). */
int pyi_repr_ex(struct pyi_session *s, pt_addr obj, unsigned flags, struct pyi_buf *out,
                unsigned *what);
/* A value as locals/globals/bt -full print it (style, overrides, collection); *note is the
 * line's trailing note ("" if none). */
int pyi_render_value(struct pyi_session *s, pt_addr obj, char **text, const char **note);
/* Append obj's override text (pyi_set_repr_overrides), if it has one. */
bool pyi_repr_override(struct pyi_session *s, pt_addr obj, struct pyi_buf *out);
void pyi_float_repr(double v, bool add_dot_0, bool sign, struct pyi_buf *out);
int pyi_unicode_printable(struct pyi_session *s, uint32_t cp);
void pyi_unitab_free(struct pyi_unitab *t);
void pyi_str_repr_cps(struct pyi_session *s, const uint32_t *cp, size_t n, bool truncated,
                      struct pyi_buf *out);
int pyi_long_repr(struct pyi_session *s, pt_addr obj, size_t max_digits, struct pyi_buf *out);
void pyi_digits_to_decimal(const uint32_t *digits, size_t n, int bits, int sign,
                           struct pyi_buf *out);

/* ---- datetime (pyi_datetime.c) ------------------------------------------------------------- */
/* datetime_repr & co. for exact datetime.date/datetime/time/timedelta objects, from their C
 * fields: false if obj is none of them or their layout is unknown. *tzinfo: the tzinfo to
 * render before the closing parenthesis (0 if none; the caller appends ", tzinfo=" ... ")"). */
bool pyi_datetime_fields(struct pyi_session *s, pt_addr obj, pt_addr type, struct pyi_buf *out,
                         pt_addr *tzinfo);

/* ---- source files (pyi_source.c) ------------------------------------------------------------ */
struct pyi_srcfile;
/* Line `line` (1-based) of file, without its newline; NULL if unavailable. Owned by the
 * session. */
const char *pyi_source_line(struct pyi_session *s, const char *file, int line, size_t *len);
void pyi_source_free(struct pyi_session *s);

/* ---- locals (pyi_print.c) ------------------------------------------------------------------- */
/* Call fn(name, value) for each local of the frame as frame.f_locals lists them; fn returns
 * non-zero to stop. */
int pyi_frame_locals(struct pyi_session *s, const struct pyi_rawframe *r,
                     int (*fn)(void *ctx, const char *name, pt_addr value), void *ctx);
/* pyi_frame_locals' callback that finds one name: ctx a struct pyi_find_local (value 0 if
 * unbound). */
struct pyi_find_local {
    const char *name;
    pt_addr value;
};
int pyi_find_local_cb(void *ctx, const char *name, pt_addr value);

/* ---- frames (pyi_frames.c) ------------------------------------------------------------------ */
int pyi_load_frames(struct pyi_session *s);
const struct pyi_rawframe *pyi_selected_raw(struct pyi_session *s, const struct pyi_frame **f);

#endif
