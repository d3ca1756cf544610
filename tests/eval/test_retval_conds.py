"""retval and in-tracee conditions on one build (tests/eval/programs/retval_conds.py).

retval: `break F`, `continue`, `finish`, `retval` for each function the program reports on:
the value shown must be the repr the program printed of what the call returned (on a
--with-pydebug build, the message saying it cannot be read there).
Conditions: for each condition of CONDS, `break LINE if COND` on the loop's conditions line
must stop exactly at the iterations where the program found it true, and pytt must have
evaluated the condition only at those hits (`maint stats`: the watch trampolines ruled out
every other hit inside the tracee, without a stop), and for a condition on attributes
(`p.x`, `p.inner.v`: read from the instance's inline values, 3.10's split dict) at the first
hit too, where pytt plans the reads from the objects it sees.

Exit 0 if everything matched, 1 otherwise, 77 if the interpreter is absent."""
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nav"))
import navlib  # noqa: E402
from test_conditions import conds  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROG = os.path.join(HERE, "programs", "retval_conds.py")
STATS = re.compile(r"conditions checked by pytt: (\d+)")
FUNCS = {"pair": "pair", "scaled": "scaled", "big": "big", "swapped": "Point.swapped"}


def debug_build(python):
    """A --with-pydebug build (python3.11d): unoptimized, it keeps its value stack pointer in
    memory, and retval must say it cannot read it there instead of showing a value."""
    status, out, _, _ = navlib.run([python, "-c", "import sys; print(hasattr(sys, "
                                    "'gettotalrefcount'))"], 60)
    return out.strip() == "True"


def check_retval(args, trace, reports, fails):
    debug = debug_build(args.python)
    for name, value in reports:
        lines = [f"break {FUNCS[name]}", "continue", "finish", "retval"]
        status, out, err, _ = navlib.replay(args.pytt, trace, lines)
        got = out.strip().splitlines()[-1] if out.strip() else err
        if debug and got == f"*** {FUNCS[name]}: pytt cannot tell where this " \
                "interpreter build keeps its value stack pointer (an unoptimized build?)":
            continue
        if got != "Value returned is " + value:
            fails.append(f"retval after finish from {name}: {got!r}, the program: {value!r}"
                         + ("" if status == 0 else f" ({navlib.clip(err)})"))


def check_cond(args, trace, k, cond, want, fails):
    line = navlib.find_line(PROG, "# the conditions' line")
    lines = [f"break {PROG}:{line} if {cond}"] + ["continue", "p i"] * (len(want) + 1)
    lines.append("maint stats")
    status, out, err, _ = navlib.replay(args.pytt, trace, lines)
    got, pending = [], False
    for text in out.splitlines():
        s = navlib.stop_of(text)
        if s:
            pending = s[0] == PROG and s[1] == line
        elif pending and re.fullmatch(r"-?\d+", text):
            got.append(int(text))
            pending = False
    m = STATS.search(out)
    # a condition on attributes is planned at its first hit, from the objects there
    expected = len(set(want) | ({0} if "." in cond else set()))
    if got != want:
        fails.append(f"`{cond}` stopped at {got}, the program: {want} {navlib.clip(err)}")
    elif not m:
        fails.append(f"`{cond}`: no `maint stats` answer: {navlib.clip(out + err)}")
    elif int(m.group(1)) != expected:
        fails.append(f"`{cond}`: pytt evaluated it at {m.group(1)} hits, not only at the "
                     f"{expected} where it is true or first hit (the in-tracee check did "
                     "not decide)")


def main():
    args = navlib.pytt_args()
    tmp = tempfile.mkdtemp(prefix="pytt-retval-conds-")
    trace = os.path.join(tmp, "trace")
    out = navlib.record(args.pytt, args.python, PROG, trace)
    reports, want = [], {}
    for line in out.splitlines():
        d = json.loads(line)
        if "returned" in d:
            reports.append((d["returned"], d["value"]))
        else:
            for k in d["true"]:
                want.setdefault(k, []).append(d["i"])
    fails = []
    check_retval(args, trace, reports, fails)
    for k, cond in enumerate(conds(PROG)):
        check_cond(args, trace, k, cond, want.get(k, []), fails)
    navlib.finish(fails, tmp, f"kept {tmp}", "FAILED")


if __name__ == "__main__":
    main()
