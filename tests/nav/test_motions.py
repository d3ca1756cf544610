"""Motion transcripts: finish, until, next, step and continue (with breakpoints), from stops
inside callees, loops, generators and exceptions raised across frames, against
motion_oracle.py (the same commands played under sys.settrace: pdb's semantics restricted to
line events). Each scenario is one replay of one recording of oracle/motions.py; the Nth result
(stop or end) of pytt must equal the oracle's Nth. Also: `next` over a call of ~1M bytecode
dispatches (timed and printed; it must finish within the test's timeout), an empty line
repeating the last motion (in a -x command file, and as -ex ''), breakpoints stopping next,
finish and until (as in pdb and gdb).

Exit 0 if every scenario matched, 1 otherwise, 77 if the interpreter is absent."""
import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import navlib  # noqa: E402

PROG = os.path.join(navlib.HERE, "oracle", "motions.py")
ORACLE = os.path.join(navlib.HERE, "motion_oracle.py")
MOTION_WORDS = {"s", "step", "n", "next", "unt", "until", "fin", "finish", "r", "return", "c",
                "cont", "continue"}

SCENARIOS = {
    # finish from callees (twice on one line), next/step, next over ~1M dispatches, until
    # at the last line of a loop body, next out of a returning frame
    "calls": """
        tbreak {inner_first}
        continue
        next
        finish
        next
        step
        next
        finish
        finish
        next
        when
        next
        when
        step
        next
        next
        next
        until
        next
        next
        next
        continue
    """,
    # next from a raise: the handler 3 frames up, then 12 frames up
    "exc_next": """
        break {raise}
        continue
        next
        next
        continue
        next
        next
        delete
        continue
    """,
    # finish from a raise: the first caller that handles it, 3 then 12 frames up
    "exc_finish": """
        break {raise}
        continue
        finish
        next
        continue
        finish
        next
        delete
        continue
    """,
    # until inside a loop at its header and body; finish out of until's frame
    "until": """
        tbreak {loop_first}
        continue
        next
        until
        next
        next
        until
        until
        until
        finish
        continue
    """,
    # until at the last line of a `while` body (3.11 repeats the test at the loop's bottom)
    "until_while": """
        tbreak {while_first}
        continue
        next
        next
        next
        until
        next
        continue
    """,
    # finish out of a function that C code (sorted) calls: the caller resumes after sorted
    "c_caller": """
        tbreak {key_body}
        continue
        finish
        next
        step
        continue
    """,
    # a generator: step in, next across its yield, step back in, finish at the next yield
    "generator": """
        tbreak {consume_for}
        continue
        step
        next
        next
        next
        step
        finish
        next
        continue
    """,
    # breakpoints stop next, finish and until, as in pdb and gdb: one scenario each
    "bp_next": """
        break {inner_return}
        tbreak {main_middle}
        continue
        next
        finish
        delete
        next
        continue
    """,
    "bp_finish": """
        tbreak {middle_call}
        continue
        break {inner_return}
        finish
        delete
        finish
        continue
    """,
    "bp_until": """
        tbreak {loop_last}
        continue
        break {loop_body}
        until
        delete
        until
        continue
    """,
    # an empty line repeats the last motion (here `next`, then `step`)
    "blank_repeat": """
        tbreak {loop_first}
        continue
        next



        step

        continue
    """,
}
# The same commands given as `-ex CMD` arguments instead of a -x file.
VIA_EX = {"blank_repeat_ex": "blank_repeat"}


def markers():
    res = {}
    with open(PROG) as f:
        for i, text in enumerate(f, 1):
            m = re.search(r"# M:(\w+)", text)
            if m:
                res[m.group(1)] = f"{PROG}:{i}"
    return res


def commands_of(name):
    lines = [l.strip() for l in SCENARIOS[VIA_EX.get(name, name)].strip("\n").split("\n")]
    # drop the indentation-only first/last lines, keep blank lines inside
    while lines and not lines[-1]:
        lines.pop()
    m = markers()
    return [l.format(**m) for l in lines]


def oracle(python, cmds, args):
    with tempfile.TemporaryDirectory() as tmp:
        cf, of = os.path.join(tmp, "cmds"), os.path.join(tmp, "out")
        with open(cf, "w") as f:
            f.write("\n".join(cmds) + "\n")
        subprocess.run([python, ORACLE, of, PROG, cf, *args], check=True, timeout=300,
                       stdout=subprocess.DEVNULL, env=navlib.env())
        with open(of) as f:
            return f.read().splitlines()


RESULT_PREFIXES = ("error:", "The replay is at the end of the recording.",
                   "The recording ends here:", "The program was killed by signal")


def pytt_results(out):
    res, ticks = [], []
    for line in out.splitlines():
        s = navlib.stop_of(line)
        if s:
            res.append(f"{s[0]}:{s[1]}:{s[2]}")
        elif navlib.EXITED.match(line):
            res.append("EXIT")
        elif line.startswith(RESULT_PREFIXES):
            res.append(line)
        m = navlib.WHEN.match(line)
        if m:
            ticks.append(navlib.tick(m.group(1)))
    return res, ticks


def describe(cmds):
    """The motion commands, in result order: (start) then one per motion (blank = repeat)."""
    res, last = ["(start)"], None
    for c in cmds:
        w = c.split(" ")[0]
        if not c and last:
            res.append("<empty line>")
        elif w in MOTION_WORDS:
            last = c
            res.append(c)
    return res


def run_scenario(args, trace, name):
    cmds = commands_of(name)
    want = oracle(args.python, cmds, ["1000"])  # commands do not depend on the size
    status, out, err, secs = navlib.replay(args.pytt, trace, cmds, timeout=240,
                                           via_ex=name in VIA_EX)
    got, ticks = pytt_results(out)
    labels = describe(cmds)
    short = (lambda s: s.replace(os.path.dirname(PROG) + "/", ""))
    print(f"[{name}] {len(want)} results expected, replay took {secs:.2f}s")
    if status == "timeout":
        return [f"{name}: pytt replay timed out after {secs:.0f}s"], ticks
    if got == want:
        return [], ticks
    i = next((k for k, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    lines = [f"{name}: result {i} differs (after `{labels[i] if i < len(labels) else '?'}`): "
             f"expected {short(want[i]) if i < len(want) else 'nothing'}, pytt gave "
             f"{short(got[i]) if i < len(got) else 'nothing'}"]
    if len(got) < len(want):
        lines[0] += (f" [pytt printed {len(got)} results for {len(want)} motions: some motion "
                     f"printed nothing, so pytt's later results are shifted]")
    lines.append("  transcript (command: expected | pytt):")
    for k in range(max(len(want), len(got))):
        mark = "  " if k < len(want) and k < len(got) and want[k] == got[k] else "!!"
        lines.append(f"  {mark} {labels[k] if k < len(labels) else '?':<28} "
                     f"{short(want[k]) if k < len(want) else '-':<44} | "
                     f"{short(got[k]) if k < len(got) else '-'}")
    return ["\n".join(lines)], ticks


def timed_heavy_next(args, trace):
    """Wall time of one `next` over heavy(): replay to the call's line with and without it."""
    m = markers()
    base = [f"tbreak {m['main_heavy']}", "continue", "when"]
    t = {}
    for k, cmds in (("to_line", base), ("with_next", base + ["next", "when"])):
        status, out, err, secs = navlib.replay(args.pytt, trace, cmds, timeout=240)
        t[k] = (secs, out, status)
    got, ticks = pytt_results(t["with_next"][1])
    fails = []
    if t["with_next"][2] == "timeout":
        fails.append("heavy: `next` over heavy() did not finish within the timeout")
    elif len(got) < 3 or not got[2].endswith(f":{m['main_until'].split(':')[1]}:main"):
        fails.append(f"heavy: `next` over heavy() should stop at {m['main_until']} in main, "
                     f"pytt gave {got[2:3]}")
    dispatches = (navlib.counted(ticks[1]) - navlib.counted(ticks[0])) if len(ticks) >= 2 else None
    delta = t["with_next"][0] - t["to_line"][0]
    print(f"[heavy] `next` over heavy({args.heavy}): {dispatches} counted dispatches (when), "
          f"{delta:.3f}s (replay with it {t['with_next'][0]:.3f}s, without {t['to_line'][0]:.3f}s)")
    return fails


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pytt", required=True)
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("--heavy", type=int, default=110000, help="heavy()'s loop count")
    ap.add_argument("--scenario", action="append", help="run only these (repeatable)")
    args = ap.parse_args()
    navlib.need_python(args.python)
    tmp = tempfile.mkdtemp(prefix="pytt-nav-motions-")
    trace = os.path.join(tmp, "trace")
    navlib.record(args.pytt, args.python, PROG, trace, [str(args.heavy)])
    # the scenarios' oracle runs use the default size: commands never depend on it
    fails = []
    for name in args.scenario or list(SCENARIOS) + list(VIA_EX):
        f, _ = run_scenario(args, trace, name) if name != "heavy" else (timed_heavy_next(args, trace), 0)
        fails += f
    if not args.scenario:
        fails += timed_heavy_next(args, trace)
    navlib.finish(fails, tmp, f"trace kept: {trace}", f"{len(fails)} scenario(s) failed")


main()
