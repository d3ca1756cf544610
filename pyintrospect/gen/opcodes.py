#!/usr/bin/env python3
"""Generate pyintrospect/pyi_opdata.c: per-version opcode facts, read from each CPython's own
Lib/opcode.py and Lib/dis.py (the interpreters must be installed where this script runs; the
generated file is committed, so users need none of them).

    python3 pyintrospect/gen/opcodes.py PYTHON3.10 PYTHON3.11 PYTHON3.12 PYTHON3.13 \
        > pyintrospect/pyi_opdata.c

For each version: the name of every base opcode, how dis renders its argument (the argument
kinds of pyi_internal.h, chosen as dis.py's _get_instructions_bytes / ArgResolver chooses), the
inline cache entries (a fallback: the interpreter's own _PyOpcode_Caches is preferred), the
INSTRUMENTED_X -> X map (a fallback for the interpreter's DE_INSTRUMENT), a few opcode numbers
the version layer needs, and the CALL_INTRINSIC descriptions.
"""
import json
import subprocess
import sys

PROBE = r'''
import dis, json, opcode, sys
names = list(opcode.opname[:256]) + [""] * max(0, 256 - len(opcode.opname))
opmap = opcode.opmap
def ops(lst):
    return sorted(set(i for i in lst if i < 256))
caches = [0] * 256
ice = getattr(opcode, "_inline_cache_entries", None)
if isinstance(ice, dict):
    for name, n in ice.items():
        if name in opmap and opmap[name] < 256:
            caches[opmap[name]] = n
elif ice is not None:
    caches = list(ice[:256])
print(json.dumps({
    "version": "%d.%d" % sys.version_info[:2],
    "names": names,
    "opmap": {k: v for k, v in opmap.items() if v < 256},
    "have_argument": opcode.HAVE_ARGUMENT,
    "hasconst": ops(dis.hasconst), "hasname": ops(dis.hasname),
    "hasjrel": ops(dis.hasjrel), "hasjabs": ops(dis.hasjabs),
    "haslocal": ops(dis.haslocal), "hasfree": ops(dis.hasfree),
    "hascompare": ops(dis.hascompare),
    "hasarg": ops(dis.hasarg) if hasattr(dis, "hasarg") else None,
    "caches": caches,
    "intrinsic1": list(getattr(opcode, "_intrinsic_1_descs", [])),
    "intrinsic2": list(getattr(opcode, "_intrinsic_2_descs", [])),
}))
'''

KINDS = ["NONE", "PLAIN", "CONST", "NAME", "GLOBAL", "JREL", "JREL_BACK", "JABS", "LOCAL",
         "COMPARE", "FORMAT", "MAKEFUNC", "BINOP", "CELL", "ATTR", "SUPER_ATTR", "LOCAL2",
         "CONVERT", "INTRINSIC1", "INTRINSIC2"]
BACKWARD = {"JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT", "POP_JUMP_BACKWARD_IF_FALSE",
            "POP_JUMP_BACKWARD_IF_TRUE", "POP_JUMP_BACKWARD_IF_NONE",
            "POP_JUMP_BACKWARD_IF_NOT_NONE"}
SPECIAL = {"FORMAT_VALUE": "FORMAT", "MAKE_FUNCTION": "MAKEFUNC",
           "SET_FUNCTION_ATTRIBUTE": "MAKEFUNC", "BINARY_OP": "BINOP",
           "LOAD_FAST_LOAD_FAST": "LOCAL2", "STORE_FAST_LOAD_FAST": "LOCAL2",
           "STORE_FAST_STORE_FAST": "LOCAL2", "CONVERT_VALUE": "CONVERT",
           "CALL_INTRINSIC_1": "INTRINSIC1", "CALL_INTRINSIC_2": "INTRINSIC2"}


def argkind(d, op):
    name = d["names"][op]
    minor = int(d["version"].split(".")[1])
    if not name or name.startswith("<") or op < d["have_argument"]:
        return "NONE"
    if d["hasarg"] is not None and op not in d["hasarg"]:
        return "NONE"  # 3.13: WITH_EXCEPT_START is HAVE_ARGUMENT's number but has no argument
    if op in d["hasconst"]:
        # 3.11's dis shows the constant of LOAD_CONST only (KW_NAMES: a bare number)
        return "CONST" if name in ("LOAD_CONST", "RETURN_CONST") or minor >= 12 else "PLAIN"
    if op in d["hasname"]:
        if name == "LOAD_GLOBAL" and minor >= 11:
            return "GLOBAL"
        if name == "LOAD_ATTR" and minor >= 12:
            return "ATTR"
        if name == "LOAD_SUPER_ATTR":
            return "SUPER_ATTR"
        return "NAME"
    if op in d["hasjabs"]:
        return "JABS"
    if op in d["hasjrel"]:
        return "JREL_BACK" if name in BACKWARD else "JREL"
    if name in SPECIAL:
        return SPECIAL[name]
    if op in d["haslocal"]:
        return "LOCAL"
    if op in d["hasfree"]:
        return "CELL" if minor <= 10 else "LOCAL"
    if op in d["hascompare"]:
        return "COMPARE"
    return "PLAIN"


def cstr(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def emit(d):
    v = d["version"].replace(".", "")
    out = []
    out.append("/* CPython %s */" % d["version"])
    out.append("static const char *const v%s_opname[256] = {" % v)
    for op, name in enumerate(d["names"][:256]):
        if name and not name.startswith("<"):
            out.append("    [%d] = %s," % (op, cstr(name)))
    out.append("};")
    out.append("static const uint8_t v%s_argkind[256] = {" % v)
    for op in range(256):
        k = argkind(d, op)
        if k != "NONE":
            out.append("    [%d] = PYI_ARG_%s," % (op, k))
    out.append("};")
    out.append("static const uint8_t v%s_caches[256] = {" % v)
    for op, n in enumerate(d["caches"][:256]):
        if n:
            out.append("    [%d] = %d," % (op, n))
    out.append("};")
    out.append("static const uint8_t v%s_deinstrument[256] = {" % v)
    for name, op in sorted(d["opmap"].items(), key=lambda kv: kv[1]):
        base = name[len("INSTRUMENTED_"):]
        if name.startswith("INSTRUMENTED_") and base in d["opmap"]:
            out.append("    [%d] = %d, /* %s */" % (op, d["opmap"][base], base))
    out.append("};")
    for which in ("intrinsic1", "intrinsic2"):
        out.append("static const char *const v%s_%s[] = {%s};" % (
            v, which, ", ".join(cstr(s) for s in d[which]) or "NULL"))
    m = d["opmap"]
    out.append("const struct pyi_opdata pyi_opdata_v%s = {" % v)
    out.append("    .opname = v%s_opname," % v)
    out.append("    .argkind = v%s_argkind," % v)
    out.append("    .caches = v%s_caches," % v)
    out.append("    .deinstrument = v%s_deinstrument," % v)
    out.append("    .intrinsic1 = v%s_intrinsic1," % v)
    out.append("    .nintrinsic1 = %d," % len(d["intrinsic1"]))
    out.append("    .intrinsic2 = v%s_intrinsic2," % v)
    out.append("    .nintrinsic2 = %d," % len(d["intrinsic2"]))
    out.append("    .have_argument = %d," % d["have_argument"])
    for field, name in (("extended_arg", "EXTENDED_ARG"), ("resume", "RESUME"),
                        ("send", "SEND"),
                        ("jump_back_no_interrupt", "JUMP_BACKWARD_NO_INTERRUPT"),
                        ("instrumented_line", "INSTRUMENTED_LINE"),
                        ("instrumented_instruction", "INSTRUMENTED_INSTRUCTION"),
                        ("gen_start", "GEN_START")):
        out.append("    .%s = %d," % (field, m.get(name, -1)))
    out.append("};")
    return "\n".join(out)


def main():
    print("/*\n * pyi_opdata: per-version opcode facts for pyintrospect's version layer, generated by\n"
          " * pyintrospect/gen/opcodes.py from each CPython's own Lib/opcode.py and Lib/dis.py.\n"
          " * Do not edit: regenerate.\n */")
    print('#include "pyintrospect/pyi_internal.h"\n')
    for py in sys.argv[1:]:
        d = json.loads(subprocess.check_output([py, "-c", PROBE]))
        print(emit(d))
        print()


if __name__ == "__main__":
    main()
