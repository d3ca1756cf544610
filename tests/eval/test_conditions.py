"""Condition oracle: for each of the 34 conditions of programs/conditions.py, a conditional
breakpoint `break LINE if COND` on that condition's own line must stop exactly at the
iterations where the program's own evaluation found it true or raising (a condition that
raises stops and says so, as in pdb). Every condition is checked on every evaluation path:
`maint eval auto` (checked inside the tracee where the condition's form allows, then from
memory, then in a throwaway copy), `maint eval memory` (the built-in evaluator alone; a
condition it cannot decide must say so, never decide wrongly) and `maint eval copy` (the
interpreter alone), 16 breakpoints per session (the watch trampolines' limit).

Exit 0 if everything matched, 1 otherwise, 77 if the interpreter is absent."""
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nav"))
import navlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROG = os.path.join(HERE, "programs", "conditions.py")
BP = re.compile(r"^Breakpoint (\d+) at ")
COND_ERR = re.compile(r"^error in the condition of breakpoint (\d+): (.*)$")


def line_of(k):
    """The line of condition k's own statement `t = k` in the loop."""
    return navlib.find_line(PROG, "        t = %d\n" % k)


def conds(prog=PROG):
    """The CONDS list of a program (also tests/eval/test_retval_conds.py's)."""
    src = open(prog).read()
    start = src.index("CONDS = [")
    ns = {}
    exec(src[start:src.index("]\n", start) + 2], ns)
    return ns["CONDS"]


def oracle(stdout):
    """{cond index: [(iteration, 'true'|'raised')]}"""
    want = {}
    for line in stdout.splitlines():
        i, true, raised = json.loads(line)
        for k in true:
            want.setdefault(k, []).append((i, "true"))
        for k in raised:
            want.setdefault(k, []).append((i, "raised"))
    return want


def session(args, trace, mode, group, cs):
    lines = [f"maint eval {mode}"]
    for k in group:
        lines.append(f"break {PROG}:{line_of(k)} if {cs[k]}")
    lines += ["continue", "p i"] * 400
    status, out, err, secs = navlib.replay(args.pytt, trace, lines, timeout=600)
    return status, out, err, secs


def main():
    args = navlib.pytt_args(lambda ap: ap.add_argument("--keep", action="store_true"))
    cs = conds()
    tmp = tempfile.mkdtemp(prefix="pytt-conditions-")
    trace = os.path.join(tmp, "trace")
    want = oracle(navlib.record(args.pytt, args.python, PROG, trace))
    fails = []
    groups = [list(range(k, min(k + 16, len(cs)))) for k in range(0, len(cs), 16)]
    for mode in ("auto", "memory", "copy"):
        decided = 0
        for group in groups:
            status, out, err, secs = session(args, trace, mode, group, cs)
            if status not in (0, 1) or "The program exited" not in out:
                fails.append(f"{mode}: the session did not reach the end ({status}): "
                             + navlib.clip(err or out))
                continue
            line_to_k = {line_of(k): k for k in group}
            got = parse_lines(out, group, line_to_k)
            for k in group:
                w = want.get(k, [])
                g = got[k]
                if mode == "memory" and any(kind == "declined" for _, kind in g):
                    # declined: it stopped to say so at the first hit; nothing else to compare
                    continue
                decided += 1
                if g != w:
                    fails.append(f"{mode}: `{cs[k]}` stopped at {g}, the program: {w}")
        print(f"{mode}: {decided} of {len(cs)} conditions decided on this path")
        if mode != "memory" and decided != len(cs):
            fails.append(f"{mode}: only {decided} conditions decided")
        if mode == "memory" and decided < 20:
            fails.append(f"memory: the built-in evaluator decided only {decided} conditions")
    navlib.finish(fails, tmp, f"kept {tmp}", "FAILED")


def parse_lines(out, group, line_to_k):
    """{cond index: [(iteration, 'true'|'raised'|'declined')]}: a stop, then `p i`'s answer;
    the condition's error, if any, is printed just before the stop."""
    got = {k: [] for k in group}
    pending, err_kind = None, None
    for line in out.splitlines():
        m = COND_ERR.match(line)
        if m:
            err_kind = "declined" if "needs the interpreter" in m.group(2) else "raised"
            continue
        s = navlib.stop_of(line)
        if s and s[0] == PROG:
            pending = [line_to_k.get(s[1]), err_kind or "true"]
            err_kind = None
            continue
        if pending and pending[0] is not None and re.fullmatch(r"-?\d+", line):
            got[pending[0]].append((int(line), pending[1]))
            pending = None
    return got


if __name__ == "__main__":
    main()
