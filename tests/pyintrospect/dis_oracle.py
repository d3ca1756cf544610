"""The oracle for pytt's `dis`, run by the CPython under test (every version compiles and
disassembles its own bytecode):

    dis_oracle.py SOURCE NAME FIRSTLINENO LASTI      (LASTI -1: no current instruction)

prints what `dis.disassemble(code, lasti)` prints for the code object NAME defined at
FIRSTLINENO in SOURCE, in the layout pytt uses for every version: 3.10-3.12's own layout
(dis.disassemble itself), and for 3.13, whose dis names jump targets by labels ("L1:",
"to L1") and hides offsets, the same instructions (dis.get_instructions: names, arguments and
their argrepr as 3.13 writes them) laid out as 3.12 does, with byte offsets for jump targets.
LASTI inside an instruction's inline caches marks that instruction (pytt's documented
difference, see pyintrospect.h). With --selfcheck, the layout code below is also compared with
dis.disassemble on a version that has the old layout, so the 3.13 text is not an untested guess.
"""
import dis
import io
import sys


def find_code(path, name, firstlineno):
    with open(path) as f:
        top = compile(f.read(), path, "exec")
    todo = [top]
    while todo:
        c = todo.pop()
        if c.co_name == name and c.co_firstlineno == firstlineno:
            return c
        todo.extend(k for k in c.co_consts if hasattr(k, "co_code"))
    raise SystemExit("no code object %s:%d in %s" % (name, firstlineno, path))


def owner_of(code, lasti):
    owner = -1
    for ins in dis.get_instructions(code):
        if ins.offset <= lasti:
            owner = ins.offset
    return owner if lasti >= 0 else -1


def line_starts(code):
    """offset -> line of the instructions dis.findlinestarts lists."""
    return {off: line for off, line in dis.findlinestarts(code) if line is not None}


def argrepr_of(ins):
    """3.13 names jump targets by label; pytt, as 3.12, by offset."""
    if ins.argrepr.startswith("to L") and isinstance(ins.argval, int):
        return "to %d" % ins.argval
    return ins.argrepr


def layout(code, lasti):
    """dis.disassemble's 3.10-3.12 layout, from dis.get_instructions."""
    starts = line_starts(code)
    insns = list(dis.get_instructions(code))
    maxline = max(starts.values(), default=-1)
    lineno_width = 0 if not starts else (3 if maxline < 1000 else len(str(maxline)))
    entries = dis._parse_exception_table(code) if hasattr(dis, "_parse_exception_table") else []
    targets = {i.offset for i in insns if i.is_jump_target} | {e.target for e in entries}
    maxoffset = max((i.offset for i in insns), default=0)
    offset_width = len(str(maxoffset)) if maxoffset >= 10000 else 4
    out = []
    for ins in insns:
        line = starts.get(ins.offset)
        if line is not None and lineno_width and ins.offset > 0:
            out.append("")
        fields = []
        if lineno_width:
            fields.append(("%%%dd" % lineno_width) % line if line is not None
                          else " " * lineno_width)
        fields.append("-->" if ins.offset == lasti else "   ")
        fields.append(">>" if ins.offset in targets else "  ")
        fields.append(repr(ins.offset).rjust(offset_width))
        fields.append(ins.opname.ljust(20))
        if ins.arg is not None:
            fields.append(repr(ins.arg).rjust(5))
            rep = argrepr_of(ins)
            if rep:
                fields.append("(" + rep + ")")
        out.append(" ".join(fields).rstrip())
    if entries:
        out.append("ExceptionTable:")
        for e in entries:
            out.append("  %d to %d -> %d [%d]%s" % (e.start, e.end - 2, e.target, e.depth,
                                                  " lasti" if e.lasti else ""))
    return "\n".join(out)


def disassembled(code, lasti):
    if sys.version_info >= (3, 13):
        return layout(code, lasti)
    buf = io.StringIO()
    dis.disassemble(code, lasti, file=buf)
    return buf.getvalue().rstrip("\n")


def main():
    path, name, first, lasti = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    code = find_code(path, name, first)
    owner = owner_of(code, lasti)
    text = disassembled(code, owner)
    if "--selfcheck" in sys.argv and sys.version_info < (3, 13) and layout(code, owner) != text:
        raise SystemExit("dis_oracle's layout differs from dis.disassemble for %s" % name)
    print(text)


if __name__ == "__main__":
    main()
