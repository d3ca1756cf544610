/*
 * pyi_v310: CPython 3.10, as it differs from 3.11.
 *
 * - Frames are PyFrameObjects chained by f_back from tstate->frame; every Python frame runs in
 *   its own _PyEval_EvalFrameDefault call (each is an "entry" frame). The frame object holds the
 *   fast locals (f_localsplus: co_nlocals locals, then cells, then free variables) and
 *   f_lasti, the index of the instruction being executed: the eval loop stores it before
 *   dispatching, so at a dispatch the frame no longer tells the previous instruction (the clock
 *   keeps the last dispatch for that, common/pt_pyver.c), and the dispatch register is one code
 *   unit past the instruction (NEXTOPARG has consumed it). f_lineno is meaningful while the
 *   frame is traced (f_trace set), as PyFrame_GetLineNumber.
 * - Code objects have no location table, qualified name or localsplus arrays: co_linetable in
 *   3.10's format (pyi_linetab.c), co_varnames/co_cellvars/co_freevars, and the bytecode in the
 *   bytes object co_code, never quickened. No exception table (a block stack of SETUP_* jumps).
 * - The thread state has no native thread id: the OS thread is the one whose thread pointer
 *   (fs_base, glibc's struct pthread) is the thread's ident, pthread_self() (tasks that are not
 *   ptrace-stopped by the caller are not asked: 0, unknown).
 * - Dicts: dk_size keys objects, split values as a plain array (pyi_dict.c); instances keep a
 *   dict at tp_dictoffset only. The GIL holder and the exception being raised are 3.11's.
 */
#include "pyintrospect/pyi_internal.h"

#include "common/pt_cond.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#define O PYI_OVERRIDE
#define ABSENT PYI_ABSENT
static const struct pyi_member_override v310_overrides[] = {
    O(PYI_F_IS_THREADS_HEAD, "PyInterpreterState", "tstate_head"),
    ABSENT(PYI_F_TS_CFRAME),
    ABSENT(PYI_F_TS_NATIVE_TID),
    ABSENT(PYI_F_CF_CURRENT_FRAME),
    O(PYI_F_TS_FRAME, "PyThreadState", "frame"),
    O(PYI_F_EI_TRACEBACK, "_PyErr_StackItem", "exc_traceback"),
    ABSENT(PYI_F_IF_FUNC),
    O(PYI_F_IF_GLOBALS, "PyFrameObject", "f_globals"),
    O(PYI_F_IF_BUILTINS, "PyFrameObject", "f_builtins"),
    O(PYI_F_IF_LOCALS, "PyFrameObject", "f_locals"),
    O(PYI_F_IF_CODE, "PyFrameObject", "f_code"),
    ABSENT(PYI_F_IF_FRAME_OBJ),
    O(PYI_F_IF_PREVIOUS, "PyFrameObject", "f_back"),
    O(PYI_F_IF_INSTR, "PyFrameObject", "f_lasti"),
    ABSENT(PYI_F_IF_STACKTOP),
    ABSENT(PYI_F_IF_IS_ENTRY),
    ABSENT(PYI_F_IF_OWNER),
    O(PYI_F_IF_LOCALSPLUS, "PyFrameObject", "f_localsplus"),
    O(PYI_F_FO_TRACE, "PyFrameObject", "f_trace"),
    ABSENT(PYI_F_CO_EXCEPTIONTABLE),
    ABSENT(PYI_F_CO_NLOCALSPLUS),
    ABSENT(PYI_F_CO_NCELLVARS),
    ABSENT(PYI_F_CO_NFREEVARS),
    ABSENT(PYI_F_CO_LOCALSPLUSNAMES),
    ABSENT(PYI_F_CO_LOCALSPLUSKINDS),
    ABSENT(PYI_F_CO_QUALNAME),
    ABSENT(PYI_F_CO_FIRSTTRACEABLE),
    ABSENT(PYI_F_CO_CODE_ADAPTIVE),
    O(PYI_F_CO_CODE, "PyCodeObject", "co_code"),
    O(PYI_F_CO_VARNAMES, "PyCodeObject", "co_varnames"),
    O(PYI_F_CO_CELLVARS, "PyCodeObject", "co_cellvars"),
    O(PYI_F_CO_FREEVARS, "PyCodeObject", "co_freevars"),
    O(PYI_F_DK_SIZE, "PyDictKeysObject", "dk_size"),
    ABSENT(PYI_F_DK_LOG2_SIZE),
    ABSENT(PYI_F_DK_LOG2_INDEX_BYTES),
    ABSENT(PYI_F_DK_KIND),
    ABSENT(PYI_F_DKU_KEY),
    ABSENT(PYI_F_DKU_VALUE),
    ABSENT(PYI_F_DV_VALUES),
};

/* The task whose fs_base is ident, by the id the program knows it by (pyi_set_tid_map). */
static int v310_native_tid(struct pyi_session *s, pt_addr tstate, unsigned long ident, pid_t *tid)
{
    char path[64];
    *tid = 0;
    snprintf(path, sizeof path, "/proc/%d/task", (int)s->pid);
    DIR *d = opendir(path);
    for (struct dirent *e = d ? readdir(d) : NULL; e && !*tid; e = readdir(d)) {
        struct user_regs_struct r;
        pid_t t = (pid_t)atoi(e->d_name);
        if (t > 0 && ptrace(PTRACE_GETREGS, t, NULL, &r) == 0 && r.fs_base == ident) {
            *tid = t;
        }
    }
    if (d) {
        closedir(d);
    }
    if (*tid && s->tid_fn) {
        *tid = s->tid_fn(s->tid_ctx, *tid);
    }
    return 0;
}

/* Read a PyFrameObject. */
static int v310_frame_read(struct pyi_session *s, pt_addr addr, struct pyi_rawframe *f)
{
    int64_t lasti, lineno = 0;
    pt_addr trace = 0;
    memset(f, 0, sizeof *f);
    f->addr = addr;
    f->frame_obj = addr;
    if (!addr || pyi_rd_ptr(s, addr, PYI_F_IF_CODE, &f->code) != 0 ||
        pyi_rd_ptr(s, addr, PYI_F_IF_PREVIOUS, &f->previous) != 0 ||
        pyi_rd_ptr(s, addr, PYI_F_IF_GLOBALS, &f->globals) != 0 ||
        pyi_rd_ptr(s, addr, PYI_F_IF_BUILTINS, &f->builtins) != 0 ||
        pyi_rd_ptr(s, addr, PYI_F_IF_LOCALS, &f->locals) != 0 ||
        pyi_rd(s, addr, PYI_F_IF_INSTR, &lasti) != 0 ||
        pyi_rd_ptr(s, addr, PYI_F_FO_TRACE, &trace) != 0 ||
        pyi_rd(s, addr, PYI_F_FO_LINENO, &lineno) != 0) {
        return pt_wrap("reading PyFrameObject at 0x%llx", (unsigned long long)addr);
    }
    f->lasti = (int)lasti;
    f->is_entry = true;
    f->complete = true;
    f->localsplus = addr + (pt_addr)s->m[PYI_F_IF_LOCALSPLUS].off;
    f->fo_lineno = trace ? (int)lineno : 0; /* PyFrame_GetLineNumber */
    return 0;
}

/* 3.10: every call runs in its own _PyEval_EvalFrameDefault and returns its value through C
 * (call_function, or whatever C code called the function), so what the caller pushed need not
 * be it. RETURN_VALUE pops the value off the callee's empty-below stack without clearing the
 * slot, and frame_dealloc leaves the slot (f_stackdepth is 0 by then): f_valuestack[0], right
 * after the frame's localsplus, still holds it. At the caller's first dispatch after one of its
 * CALL_* instructions, if the caller's top of stack is that same object, the caller received
 * the function's value. */
static int v310_returned_value(struct pyi_session *s, pt_addr caller, pt_addr next_instr,
                               pt_addr stack_pointer, const struct pyi_pos *callee, pt_addr *value,
                               const char **why)
{
    struct pyi_rawframe r;
    struct pyi_code *c, *cc;
    pt_addr top, returned;
    *why = NULL;
    if (s->v->frame_read(s, caller, &r) != 0 || pyi_code_get(s, r.code, &c) != 0) {
        return -1;
    }
    int64_t depth = ((int64_t)stack_pointer - (int64_t)r.localsplus) / 8 - c->nlocalsplus;
    int64_t unit = s->size[PYI_S_CODEUNIT];
    int64_t cur = ((int64_t)next_instr - (int64_t)c->code0) / unit - s->v->dispatch_ahead;
    const char *name =
        cur >= 1 && cur <= (int64_t)c->ncodeunits ? pyi_opname(s, c->deopt[2 * (cur - 1)]) : NULL;
    if (!name || strncmp(name, "CALL_", 5) != 0) {
        *why = "the caller did not resume right after a call";
        return 0;
    }
    if (depth < 1 || depth > 65536) {
        *why = "the caller's value stack does not hold it";
        return 0;
    }
    if (pyi_read_ptr(s, stack_pointer - 8, &top) != 0 || pyi_code_get(s, callee->code, &cc) != 0 ||
        pyi_read_ptr(s,
                     callee->frame + (pt_addr)s->m[PYI_F_IF_LOCALSPLUS].off +
                         (pt_addr)cc->nlocalsplus * 8,
                     &returned) != 0) {
        return -1;
    }
    if (returned != top) {
        *why = "the function was called from C code, which got its value";
        return 0;
    }
    *value = top;
    return 1;
}

/* Append the str items of a tuple to the names, with kind. */
static int v310_add_names(struct pyi_session *s, pt_addr tuple, unsigned char kind,
                          struct pyi_code *c, int *at)
{
    pt_addr *items;
    size_t n;
    if (pyi_tuple_items(s, tuple, &items, &n) != 0) {
        return -1;
    }
    for (size_t i = 0; i < n && *at < c->nlocalsplus; i++, (*at)++) {
        pyi_str_utf8(s, items[i], &c->localsplusnames[*at]);
        c->localspluskinds[*at] = kind;
    }
    free(items);
    return 0;
}

static int v310_tuple_len(struct pyi_session *s, pt_addr tuple, int *n)
{
    int64_t v;
    if (pyi_rd(s, tuple, PYI_F_OB_SIZE, &v) != 0) {
        return -1;
    }
    if (v < 0 || v > PYI_MAX_LOCALS) {
        return pt_fail("implausible tuple size %lld", (long long)v);
    }
    *n = (int)v;
    return 0;
}

/* The fast locals as 3.11 lists them: co_varnames (co_nlocals of them), co_cellvars,
 * co_freevars, the frame's f_localsplus in that order. */
static int v310_code_names(struct pyi_session *s, struct pyi_code *c)
{
    pt_addr varnames, cellvars, freevars;
    int at = 0;
    if (pyi_rd_ptr(s, c->addr, PYI_F_CO_VARNAMES, &varnames) != 0 ||
        pyi_rd_ptr(s, c->addr, PYI_F_CO_CELLVARS, &cellvars) != 0 ||
        pyi_rd_ptr(s, c->addr, PYI_F_CO_FREEVARS, &freevars) != 0 ||
        v310_tuple_len(s, cellvars, &c->ncellvars) != 0 ||
        v310_tuple_len(s, freevars, &c->nfreevars) != 0) {
        return -1;
    }
    if (c->nlocals < 0 || c->nlocals > PYI_MAX_LOCALS) {
        return pt_fail("implausible co_nlocals %d", c->nlocals);
    }
    c->nlocalsplus = c->nlocals + c->ncellvars + c->nfreevars;
    c->localsplusnames = calloc((size_t)c->nlocalsplus + 1, sizeof *c->localsplusnames);
    c->localspluskinds = calloc((size_t)c->nlocalsplus + 1, 1);
    if (!c->localsplusnames || !c->localspluskinds) {
        return pt_fail("out of memory");
    }
    if (v310_add_names(s, varnames, s->v->fast_local, c, &at) != 0) {
        return -1;
    }
    at = c->nlocals;
    if (v310_add_names(s, cellvars, s->v->fast_cell, c, &at) != 0 ||
        v310_add_names(s, freevars, s->v->fast_free, c, &at) != 0) {
        return -1;
    }
    return 0;
}

const struct pyi_vops pyi_v310 = {
    .name = "3.10",
    .major = 3,
    .minor = 10,
    .ops = &pyi_opdata_v310,
    .overrides = v310_overrides,
    .noverrides = sizeof v310_overrides / sizeof v310_overrides[0],
    .line_rule = {.prev_before_traceable = false},
    .tpf_heaptype = 1UL << 9, /* Py_TPFLAGS_HEAPTYPE */
    /* the CO_FAST_* kinds of 3.11, given to 3.10's varnames, cellvars and freevars */
    .fast_local = 0x20,
    .fast_cell = 0x40,
    .fast_free = 0x80,
    .compare_shift = 0,
    .dispatch_ahead = 1,
    .thread_top_frame = pyi_iframe_top_current,
    .native_tid = v310_native_tid,
    .gil_holder = pyi_gil_runtime,
    .frame_read = v310_frame_read,
    .raised = pyi_raised_curexc,
    .code_names = v310_code_names,
    .code_bytes = pyi_code_bytes_object,
    .code_lines = pyi_lines_310,
    .deopt = pyi_deopt_none,
    .dict_iter = pyi_dict_iter_310,
    .instance_attrs = pyi_attrs_dictoffset,
    .long_read = pyi_long_read_size,
    .tpf_valid_version_tag = 1UL << 19, /* Py_TPFLAGS_VALID_VERSION_TAG */
    .cond_attrs = PT_CA_SPLIT_DICT,
    .inline_attr = pyi_inline_attr_310,
    .cond_ints = PYI_INTS_OB_SIZE,
    .returned_value = v310_returned_value,
    .returned_any_caller = true,
    .type_dict = pyi_type_dict_plain,
    .dispatch_regs = pyi_dispatch_regs_sites,
    .printable_mask = 0x400, /* PRINTABLE_MASK of Objects/unicodectype.c */
};
