/*
 * pyi_v312: CPython 3.12, as it differs from 3.11. The GIL moved into the interpreter
 * (ceval.gil) and the exception being raised into one object (tstate->current_exception); the
 * frame lost is_entry (frames owned by the C stack mark each eval-loop call) and f_func became
 * f_funcobj; ints keep sign and size in long_value.lv_tag; managed dicts share one tagged word
 * before the object; static builtin types keep their dict in the interpreter; and code can be
 * instrumented in place (sys.settrace and sys.monitoring), which the de-quickening undoes.
 * Superinstructions are still fused pairs (common/pt_pyver.c).
 */
#include "pyintrospect/pyi_internal.h"

#include "common/pt_cond.h"

#define O PYI_OVERRIDE
#define ABSENT PYI_ABSENT
static const struct pyi_member_override v312_overrides[] = {
    O(PYI_F_IS_MODULES, "PyInterpreterState", "imports.modules"),
    ABSENT(PYI_F_RT_GIL_TSTATE),
    O(PYI_F_IS_CEVAL_GIL, "PyInterpreterState", "ceval.gil"),
    O(PYI_F_IS_TYPES_BUILTINS, "PyInterpreterState", "types.builtins"),
    O(PYI_F_GIL_LAST_HOLDER, "_gil_runtime_state", "last_holder"),
    O(PYI_F_GIL_LOCKED, "_gil_runtime_state", "locked"),
    ABSENT(PYI_F_TS_CUREXC_TYPE),
    ABSENT(PYI_F_TS_CUREXC_TRACEBACK),
    O(PYI_F_TS_CURRENT_EXC, "PyThreadState", "current_exception"),
    O(PYI_F_IF_FUNC, "_PyInterpreterFrame", "f_funcobj"),
    ABSENT(PYI_F_IF_IS_ENTRY),
    O(PYI_F_CO_MONITORING, "PyCodeObject", "_co_monitoring"),
    O(PYI_F_MON_LINES, "_PyCoMonitoringData", "lines"),
    O(PYI_F_MON_PER_INSTR_OPCODES, "_PyCoMonitoringData", "per_instruction_opcodes"),
    O(PYI_F_LINEDATA_OPCODE, "_PyCoLineInstrumentationData", "original_opcode"),
    O(PYI_F_SBT_TP_DICT, "static_builtin_state", "tp_dict"),
    O(PYI_F_LONG_DIGIT, "PyLongObject", "long_value.ob_digit"),
    O(PYI_F_LONG_TAG, "PyLongObject", "long_value.lv_tag"),
};

const struct pyi_vops pyi_v312 = {
    .name = "3.12",
    .major = 3,
    .minor = 12,
    .ops = &pyi_opdata_v312,
    .overrides = v312_overrides,
    .noverrides = sizeof v312_overrides / sizeof v312_overrides[0],
    .line_rule = {.prev_before_traceable = true, .exempt_from_no_interrupt = true},
    PYI_VOPS_INTERPRETER_FRAMES,
    .tpf_valid_version_tag = 1UL << 19, /* Py_TPFLAGS_VALID_VERSION_TAG */
    .cond_attrs = PT_CA_TAGGED_WORD,
    .inline_attr = pyi_inline_attr_311,
    .cond_ints = PYI_INTS_LV_TAG,
    .returned_value = pyi_iframe_returned_value,
    .tpf_static_builtin = 1UL << 1, /* _Py_TPFLAGS_STATIC_BUILTIN */
    .fast_hidden = 0x10,            /* CO_FAST_HIDDEN: inlined comprehensions' variables */
    .compare_shift = 4,
    .thread_top_frame = pyi_iframe_top_cframe,
    .gil_holder = pyi_gil_interp,
    .raised = pyi_raised_current,
    .deopt = pyi_deopt_instrumented,
    .dict_iter = pyi_dict_iter_311,
    .instance_attrs = pyi_attrs_312,
    .long_read = pyi_long_read_tag,
    .type_dict = pyi_type_dict_static,
};
