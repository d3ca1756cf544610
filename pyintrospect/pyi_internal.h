/*
 * pyi_internal: what the files of pyintrospect share and nobody else sees.
 *
 * The session (struct pyi_session) holds the interpreter's module and DWARF (loaded once), the
 * layout the DWARF gave (member offsets and sizes, addresses of well-known objects), the version
 * layer chosen for the target (struct pyi_vops, one implementation per CPython version in
 * pyi_vXYY.c), and caches of remote state that pyi_invalidate() drops. Layout is data: every
 * member pyintrospect reads has an id (enum pyi_field); each version file maps the ids to that
 * version's struct and member names, and the session resolves them once with libdw. Generic code
 * (values, frames, dis) reads members by id, so the error of a failed read can name the member
 * ("reading PyCodeObject.co_filename at 0x...").
 */
#ifndef PYI_INTERNAL_H
#define PYI_INTERNAL_H

#include "pyintrospect/pyintrospect.h"

#include "common/pt_error.h"
#include "common/pt_mem.h"

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
    PYI_F_RT_GIL_TSTATE,
    PYI_F_IS_NEXT,
    PYI_F_IS_THREADS_HEAD,
    PYI_F_IS_BUILTINS,
    PYI_F_IS_MODULES,
    PYI_F_TS_NEXT,
    PYI_F_TS_CFRAME,
    PYI_F_TS_THREAD_ID,
    PYI_F_TS_NATIVE_TID,
    PYI_F_TS_CUREXC_TYPE,
    PYI_F_TS_CUREXC_TRACEBACK,
    PYI_F_CF_CURRENT_FRAME,
    /* interpreter frames */
    PYI_F_IF_FUNC,
    PYI_F_IF_GLOBALS,
    PYI_F_IF_BUILTINS,
    PYI_F_IF_LOCALS,
    PYI_F_IF_CODE,
    PYI_F_IF_FRAME_OBJ,
    PYI_F_IF_PREVIOUS,
    PYI_F_IF_PREV_INSTR,
    PYI_F_IF_STACKTOP,
    PYI_F_IF_IS_ENTRY,
    PYI_F_IF_OWNER,
    PYI_F_IF_LOCALSPLUS,
    PYI_F_FO_LINENO, /* PyFrameObject.f_lineno */
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
    PYI_F_TP_GETATTRO, /* absent (-1) where a version does not name it: attributes then need code */
    PYI_F_TP_DESCR_GET,
    PYI_F_TP_DESCR_SET,
    PYI_F_TP_VERSION_TAG, /* optional: no lookup cache without it */
    PYI_F_HT_QUALNAME,
    PYI_F_HT_CACHED_KEYS,
    /* numbers */
    PYI_F_LONG_DIGIT,
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
    PYI_F_DICT_VERSION, /* optional: ma_version_tag, bumped by every change of the dict */
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
    PYI_Y_OPCODE_OPNAME, /* debug builds only */
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

/* ---- code objects --------------------------------------------------------------------------- */
struct pyi_code {
    pt_addr addr;
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
    int *ilastline;  /* last non-None line before this instruction (-1: none) */
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
    int lasti;          /* index of prev_instr in code units (may be -1) */
    bool is_entry;
    bool complete; /* false: skipped as CPython does (_PyFrame_IsIncomplete) */
    bool owned_by_generator; /* the frame lives in a generator or coroutine object */
    int fo_lineno; /* frame object's f_lineno if non-zero (set while tracing) */
};

/* ---- opcodes -------------------------------------------------------------------------------- */
enum pyi_argkind {
    PYI_ARG_NONE,
    PYI_ARG_PLAIN,
    PYI_ARG_CONST,
    PYI_ARG_NAME,
    PYI_ARG_GLOBAL, /* LOAD_GLOBAL: name index arg>>1, low bit NULL push */
    PYI_ARG_JREL,
    PYI_ARG_JREL_BACK,
    PYI_ARG_JABS,
    PYI_ARG_LOCAL, /* haslocal / hasfree: localsplus index */
    PYI_ARG_COMPARE,
    PYI_ARG_FORMAT,
    PYI_ARG_MAKEFUNC,
    PYI_ARG_BINOP,
};

/* ---- the version layer ---------------------------------------------------------------------- */
struct pyi_session;
struct pyi_vops {
    const char *name; /* "3.11" */
    int major, minor;
    const struct pyi_member_spec *members; /* PYI_F__COUNT entries */
    const struct pyi_size_spec *sizes;     /* PYI_S__COUNT entries */
    const struct pyi_sym_spec *syms;       /* PYI_Y__COUNT entries */
    const char *const *bits;               /* PYI_B__COUNT "type:path" bit-field names */
    /* type flags (Py_TPFLAGS_*) */
    unsigned long tpf_heaptype, tpf_managed_dict;
    /* localsplus kinds (CO_FAST_*) */
    unsigned char fast_local, fast_cell, fast_free;
    /* First frame of a thread state, or 0. */
    int (*thread_top_frame)(struct pyi_session *s, pt_addr tstate, pt_addr *frame);
    /* Read one interpreter frame. */
    int (*frame_read)(struct pyi_session *s, pt_addr addr, struct pyi_rawframe *out);
    /* Fill code->lines from code->linetable (one entry per code unit). */
    int (*code_lines)(struct pyi_code *code);
    /* Would executing instruction `cur` right after `prev` (code unit indexes) report a 'line'
     * event? */
    bool (*line_event)(const struct pyi_code *code, int prev, int cur);
    /* De-quicken code->code into code->deopt. */
    int (*deopt)(struct pyi_session *s, struct pyi_code *code);
    /* Opcode tables: name of a (de-quickened) opcode, its argument kind, its inline caches. */
    const char *(*opname)(struct pyi_session *s, int op);
    enum pyi_argkind (*argkind)(int op);
    int (*ncaches)(struct pyi_session *s, int op);
    int op_extended_arg, op_resume, have_argument;
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
    /* The value a just-finished call returned into frame `caller`, at the caller's first
     * dispatch after it (next_instr, stack_pointer: pyi_stack_reg's register), before that
     * instruction runs: 1 with *value, 0 when it is
     * not where this version leaves it (*why), -1 on error. NULL: not known for this version. */
    int (*returned_value)(struct pyi_session *s, pt_addr caller, pt_addr next_instr,
                          pt_addr stack_pointer, pt_addr *value, const char **why);
    /* Ints are PyLongObject with ob_size holding sign and digit count (3.11 and earlier): the
     * in-tracee condition code (pyi_cond.c) can read small ones. */
    bool int_ob_size;
    /* An attribute kept in an instance's inline values: its index in the type's cached keys (1;
     * 0 if the type keeps no inline values or the name is not among them, -1 on error). NULL:
     * unknown; inline_values_ptr_off: where the values pointer is, relative to the object. */
    int (*inline_attr)(struct pyi_session *s, pt_addr type, const char *name, uint32_t *index);
    int64_t inline_values_ptr_off;
    /* Unicode type record flag meaning "printable". */
    unsigned printable_mask;
    /* Data watchpoints (pyi_watch.c). The value slot of the entry of `dict` whose key `match`
     * accepts (*slot 0: no such entry), and the words of the dict that move it or add it, in
     * loc with priority prio. */
    int (*dict_slot)(struct pyi_session *s, pt_addr dict, int (*match)(void *ctx, pt_addr key),
                     void *ctx, pt_addr *slot, struct pyi_watch_loc *loc, int prio);
    /* The slot of attribute `name` in an instance's own storage (inline values, managed or
     * tp_dictoffset dict): *slot 0 if it has none. */
    int (*attr_slot)(struct pyi_session *s, pt_addr obj, pt_addr type, const char *name,
                     pt_addr *slot, struct pyi_watch_loc *loc, int prio);
    /* Opcodes that store into an object on the value stack: {base opcode, depth of the target
     * from the top when dispatched}, nstore_ops of them. */
    const uint8_t (*store_ops)[2];
    int nstore_ops;
};

extern const struct pyi_vops pyi_v311;

/* ---- the session ---------------------------------------------------------------------------- */
struct pyi_unitab; /* printability tables (pyi_unicode.c) */

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
    int ptr_size;

    struct pyi_member m[PYI_F__COUNT];
    int64_t size[PYI_S__COUNT];
    struct pyi_bitfield bits[PYI_B__COUNT];
    pt_addr sym[PYI_Y__COUNT];
    int64_t sym_size[PYI_Y__COUNT];
    int64_t sym_elem[PYI_Y__COUNT]; /* element size of array variables found in DWARF */
    int frame_owned_by_generator;

    /* data read once from the interpreter's tables (constant for a process image) */
    uint8_t opcode_deopt[256], opcode_caches[256];
    bool opcode_tables;
    char *opnames[256]; /* from _PyOpcode_OpName where present */
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
    struct pyi_srcfile *sources; /* source files read from disk (kept across invalidate) */
    pyi_source_fn src_fn;        /* where sources come from first (NULL: disk only) */
    void *src_ctx;
    char *debug_root; /* looked in before the default debug root */
    bool modules_stale;
};

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

/* ---- debug info and modules (pyi_debuginfo.c) ----------------------------------------------- */
int pyi_dbg_begin(struct pyi_session *s);
int pyi_dbg_find_python(struct pyi_session *s);
int pyi_dbg_need_dwarf(struct pyi_session *s);
int pyi_dbg_symbol(struct pyi_session *s, const char *name, pt_addr *addr, int64_t *size);
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
/* Look a str key up in a dict. *value = 0 if absent. */
int pyi_dict_get_str(struct pyi_session *s, pt_addr dict, const char *key, pt_addr *value);
/* Attribute lookup through the type's MRO dicts (as _PyType_Lookup). */
int pyi_type_lookup(struct pyi_session *s, pt_addr type, const char *name, pt_addr *value);

/* ---- code objects (pyi_code.c) -------------------------------------------------------------- */
int pyi_code_get(struct pyi_session *s, pt_addr addr, struct pyi_code **out);
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

/* ---- frames (pyi_frames.c) ------------------------------------------------------------------ */
int pyi_load_frames(struct pyi_session *s);
const struct pyi_rawframe *pyi_selected_raw(struct pyi_session *s, const struct pyi_frame **f);

/* ---- the built-in evaluator's values, for pyi_watch.c (pyi_eval.c) ------------------------- */
struct pyi_expr;
enum pyi_sk { PYI_SK_OBJ, PYI_SK_INT, PYI_SK_FLOAT, PYI_SK_STR, PYI_SK_BOOL, PYI_SK_NONE };
/* A value: a remote object (obj), which is an exact int/float/str/bool/None when k says so (its
 * value then in i, f, s/n), or a value computed by pytt (obj 0). */
struct pyi_scalar {
    enum pyi_sk k;
    pt_addr obj;
    int64_t i;
    double f;
    char *s; /* STR: UTF-8, owned */
    size_t n;
};
/* Evaluate node `id` of e in the interpreter frame at `frame` (0: the selected one) from memory:
 * PYI_EVAL_OK with *out, PYI_EVAL_NEEDS_CODE with *why, -1 on error. */
int pyi_eval_node(struct pyi_session *s, pt_addr frame, const struct pyi_expr *e, int id,
                  struct pyi_scalar *out, const char **why);
/* The scalar value of a remote object (k stays OBJ for anything but an exact scalar): 0, or
 * PYI_EVAL_NEEDS_CODE (an int beyond 64 bits, a huge str), -1 on error. */
int pyi_scalar_of(struct pyi_session *s, pt_addr obj, struct pyi_scalar *out);
/* a == b for two scalars, as Python compares them (1 == 1.0 == True): 1 or 0; -1 when that needs
 * code (a large int against a float). */
int pyi_scalar_eq(const struct pyi_scalar *a, const struct pyi_scalar *b);
void pyi_scalar_free(struct pyi_scalar *v);

/* ---- watch locations (pyi_watch.c) ---------------------------------------------------------- */
/* Add a word to watch (ignored when loc is full: the caller then watches less). */
void pyi_wloc_add(struct pyi_watch_loc *loc, pt_addr addr, int role, int prio);

#endif
