/*
 * pyi_v311: CPython 3.11, the version the others are described against: its member names are
 * pyi_layout.c's, so it overrides none. Frames are _PyInterpreterFrame reached through
 * tstate->cframe, marked is_entry at the first frame of each _PyEval_EvalFrameDefault call; the
 * bytecode is quickened in place (superinstructions included); line events follow ceval.c's
 * maybe_call_line_trace; the GIL holder and the exception being raised are in _PyRuntime's
 * gilstate and tstate->curexc_*; managed dicts keep values and dict in the 4th and 3rd words
 * before the object; ints keep their sign and size in ob_size.
 */
#include "pyintrospect/pyi_internal.h"

const struct pyi_vops pyi_v311 = {
    .name = "3.11",
    .major = 3,
    .minor = 11,
    .ops = &pyi_opdata_v311,
    .line_rule = {.prev_before_traceable = true, .exempt_into_send = true},
    .tpf_heaptype = 1UL << 9,      /* Py_TPFLAGS_HEAPTYPE */
    .tpf_managed_dict = 1UL << 4,  /* Py_TPFLAGS_MANAGED_DICT */
    .fast_local = 0x20,            /* CO_FAST_LOCAL */
    .fast_cell = 0x40,             /* CO_FAST_CELL */
    .fast_free = 0x80,             /* CO_FAST_FREE */
    .compare_shift = 0,
    .managed_dict_word = 3,
    .values_word = 4,
    .thread_top_frame = pyi_iframe_top_cframe,
    .native_tid = pyi_native_tid_member,
    .gil_holder = pyi_gil_runtime,
    .frame_read = pyi_iframe_read,
    .raised = pyi_raised_curexc,
    .code_names = pyi_code_names_localsplus,
    .code_bytes = pyi_code_bytes_inline,
    .code_lines = pyi_lines_locations,
    .deopt = pyi_deopt_tables,
    .dict_iter = pyi_dict_iter_311,
    .instance_attrs = pyi_attrs_311,
    .long_read = pyi_long_read_size,
    .type_dict = pyi_type_dict_plain,
    .dispatch_regs = pyi_dispatch_regs_store,
    .printable_mask = 0x400, /* PRINTABLE_MASK of Objects/unicodectype.c */
};
