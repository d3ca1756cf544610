"""Evaluation oracle: programs/oracle.py prints repr(eval(e)) (pprint for `pp` items, the
exception as '*** Name: message') for 100+ expressions at two report() lines; pytt's `print e`
(`pp e`) at breakpoints on those lines must print exactly the same text. Run three ways:
`maint eval auto` (memory where exact, else the interpreter in a throwaway copy), `maint eval
copy` (always the interpreter), and `maint eval memory` (the built-in evaluator alone: it may
decline, with '*** needs the interpreter: ...', but must never print anything else than the
oracle's text). The numpy/pandas part runs only where they are installed.

Exit 0 if everything matched, 1 otherwise (each mismatch printed), 77 if the interpreter is
absent."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nav"))
import navlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROG = os.path.join(HERE, "programs", "oracle.py")
NEEDS = "*** needs the interpreter: "


def expected(stdout):
    """[[(expr, text)] of the first report() call, [...] of the second]."""
    pairs = [json.loads(line) for line in stdout.splitlines()]
    pairs = [(e, t) for e, t in pairs if e != "done"]
    n1 = len(_list(open(PROG).read(), "EXPRS_SCENARIO"))
    return [pairs[:n1], pairs[n1:]]


def _list(src, name):
    start = src.index(name + " = [")
    end = src.index("]\n\n", start)
    ns = {}
    exec(src[start:end + 2], ns)
    return ns[name]


def commands(mode, reports):
    lines = [f"maint eval {mode}",
             "break " + PROG + ":" + str(navlib.find_line(PROG, "report(EXPRS_SCENARIO")),
             "break " + PROG + ":" + str(navlib.find_line(PROG, "report(EXPRS_CALLER"))]
    for exprs in reports:
        lines.append("continue")
        for e, _ in exprs:
            lines.append(e if e.startswith("pp ") else "print " + e)
            lines.append("when")
    return lines


def check(mode, out, reports, fails):
    blocks = navlib.blocks(out)
    stops = [b for b in blocks[1:] if b[0] and b[0][0] == PROG]
    answered = 0
    if len(stops) < 1 + len(reports):
        fails.append(f"{mode}: {len(stops)} stops in the program, expected {1 + len(reports)}: "
                     + navlib.clip(out))
        return 0
    for k, exprs in enumerate(reports):
        lines = stops[k + 1][1]
        parts, _ = navlib.split_by_when(lines[1:] if lines and lines[0].startswith("-> ") else lines)
        for i, (e, want) in enumerate(exprs):
            got = "\n".join(parts[i]) if i < len(parts) else "<missing>"
            if mode == "memory" and got.startswith(NEEDS):
                continue
            answered += 1
            if got != want:
                fails.append(f"{mode}: print {e}\n    pytt:    {got!r}\n    program: {want!r}")
    return answered


def numpy_part(args, tmp, fails):
    probe = navlib.run([args.python, "-c", "import numpy, pandas"], 30)
    if probe[0] != 0:
        print("SKIP numpy/pandas part: not installed for", args.python)
        return
    prog = os.path.join(tmp, "np_prog.py")
    with open(prog, "w") as f:
        f.write("import json, numpy as np, pandas as pd\n"
                "def f():\n"
                "    a = np.arange(12).reshape(3, 4); df = pd.DataFrame({'x': [1, 2], 'y': [3., 4.]})\n"
                "    E = ['a', 'a.sum()', 'a[1]', 'df', 'df.x.mean()', 'df.shape']\n"
                "    print(json.dumps([[e, repr(eval(e))] for e in E]))\n"
                "f()\n")
    trace = os.path.join(tmp, "np-trace")
    stdout = navlib.record(args.pytt, args.python, prog, trace)
    pairs = json.loads(stdout.splitlines()[-1])
    cmds = [f"break {prog}:5", "continue"] + [x for e, _ in pairs for x in ("print " + e, "when")]
    status, out, err, _ = navlib.replay(args.pytt, trace, cmds)
    stops = [b for b in navlib.blocks(out)[1:] if b[0] and b[0][0] == prog]
    lines = stops[-1][1] if stops else []
    parts, _ = navlib.split_by_when(lines[1:] if lines and lines[0].startswith("-> ") else lines)
    for i, (e, want) in enumerate(pairs):
        got = "\n".join(parts[i]) if i < len(parts) else "<missing>"
        if got != want:
            fails.append(f"numpy: print {e}\n    pytt:    {got!r}\n    program: {want!r}")


def main():
    args = navlib.pytt_args(lambda ap: ap.add_argument("--keep", action="store_true"))
    tmp = tempfile.mkdtemp(prefix="pytt-eval-oracle-")
    trace = os.path.join(tmp, "trace")
    stdout = navlib.record(args.pytt, args.python, PROG, trace)
    reports = expected(stdout)
    fails = []
    for mode in ("auto", "copy", "memory"):
        status, out, err, secs = navlib.replay(args.pytt, trace, commands(mode, reports))
        if status not in (0, 1):  # 1: some commands failed, as the error cases must
            fails.append(f"{mode}: pytt replay exited {status}: {navlib.clip(err)}")
            continue
        n = check(mode, out, reports, fails)
        total = sum(len(r) for r in reports)
        print(f"{mode}: {n} of {total} expressions answered, {secs:.1f} s")
        if mode == "memory" and n < 25:
            fails.append(f"memory: the built-in evaluator answered only {n} expressions")
    numpy_part(args, tmp, fails)
    navlib.finish(fails, tmp, f"kept {tmp}", "FAILED")


if __name__ == "__main__":
    main()
