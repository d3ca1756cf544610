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

#include "common/pt_cond.h"

const struct pyi_vops pyi_v311 = {
    .name = "3.11",
    .major = 3,
    .minor = 11,
    .ops = &pyi_opdata_v311,
    .line_rule = {.prev_before_traceable = true, .exempt_into_send = true},
    PYI_VOPS_INTERPRETER_FRAMES,
    .values_word = 4,
    .thread_top_frame = pyi_iframe_top_cframe,
    .gil_holder = pyi_gil_runtime,
    .raised = pyi_raised_curexc,
    .deopt = pyi_deopt_tables,
    .dict_iter = pyi_dict_iter_311,
    .instance_attrs = pyi_attrs_311,
    .long_read = pyi_long_read_size,
    .type_dict = pyi_type_dict_plain,
    .returned_value = pyi_iframe_returned_value,
    .cond_ints = PYI_INTS_OB_SIZE,
    .tpf_valid_version_tag = 1UL << 19, /* Py_TPFLAGS_VALID_VERSION_TAG */
    .cond_attrs = PT_CA_VALUES_PTR,
    .inline_attr = pyi_inline_attr_311,
};
