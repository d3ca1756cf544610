/*
 * pyi_v313: CPython 3.13, as it differs from 3.12. _PyCFrame is gone (tstate->current_frame);
 * the frame's code is f_executable (None in the C stack's entry frames) and its instruction
 * member is instr_ptr, the instruction being executed (3.12's prev_instr pointed at the last one
 * started: the same at a dispatch, but a frame that has not started points at its first unit);
 * instances keep their values inline after tp_basicsize with the managed dict before the object;
 * dict values carry their capacity, size and insertion order; static builtin types' state moved
 * to types.builtins.initialized; COMPARE_OP's operator is arg >> 5 (bit 4: bool(...)); and
 * LOAD_FAST_LOAD_FAST & co. are real instructions, not fused pairs. The process also exports
 * _Py_DebugOffsets, checked against DWARF (pyi_debugoffsets.c). Its layout names are 3.12's
 * with the differences below.
 */
#include "pyintrospect/pyi_internal.h"

#include "common/pt_cond.h"

#define O PYI_OVERRIDE
#define ABSENT PYI_ABSENT
static const struct pyi_member_override v313_overrides[] = {
    O(PYI_F_IS_TYPES_BUILTINS, "PyInterpreterState", "types.builtins.initialized"),
    ABSENT(PYI_F_TS_CFRAME),
    ABSENT(PYI_F_CF_CURRENT_FRAME),
    O(PYI_F_TS_FRAME, "PyThreadState", "current_frame"),
    O(PYI_F_IF_CODE, "_PyInterpreterFrame", "f_executable"),
    O(PYI_F_IF_INSTR, "_PyInterpreterFrame", "instr_ptr"),
    O(PYI_F_SBT_TP_DICT, "managed_static_type_state", "tp_dict"),
    O(PYI_F_DV_CAPACITY, "PyDictValues", "capacity"),
    O(PYI_F_DV_SIZE, "PyDictValues", "size"),
    O(PYI_F_DV_VALID, "PyDictValues", "valid"),
};

const struct pyi_vops pyi_v313 = {
    .name = "3.13",
    .major = 3,
    .minor = 13,
    .ops = &pyi_opdata_v313,
    .base = &pyi_v312,
    .overrides = v313_overrides,
    .noverrides = sizeof v313_overrides / sizeof v313_overrides[0],
    .line_rule = {.prev_before_traceable = true,
                  .exempt_from_no_interrupt = true,
                  .starts_after_none = true},
    PYI_VOPS_INTERPRETER_FRAMES,
    .cond_attrs = PT_CA_INLINE,
    .inline_attr = pyi_inline_attr_313,
    .cond_ints = PYI_INTS_LV_TAG,
    .returned_value = pyi_iframe_returned_value,
    .tpf_inline_values = 1UL << 2,  /* Py_TPFLAGS_INLINE_VALUES */
    .tpf_static_builtin = 1UL << 1, /* _Py_TPFLAGS_STATIC_BUILTIN */
    .fast_hidden = 0x10,            /* CO_FAST_HIDDEN */
    .compare_shift = 5,
    .compare_bool = 16,
    .null_suffix = true,
    .thread_top_frame = pyi_iframe_top_current,
    .gil_holder = pyi_gil_interp,
    .raised = pyi_raised_current,
    .deopt = pyi_deopt_instrumented,
    .dict_iter = pyi_dict_iter_313,
    .instance_attrs = pyi_attrs_313,
    .long_read = pyi_long_read_tag,
    .type_dict = pyi_type_dict_static,
};
