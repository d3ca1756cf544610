"""Determinism of the Python clock: record a CPU-bound program (oracle/cpu_ticks.py), read the
tick of its exit_group event (`pytt events DIR`: the recording's end tick), then replay it
several times and read `when` at the end of each: `continue` to the end (twice, in separate
replays), and a replay that first stops at a breakpoint a few times, steps, and `next`s. Every
replay must end at the recorded end tick.

Exit 0 if all agree, 1 otherwise, 77 if the interpreter is absent."""
import argparse
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import navlib  # noqa: E402

PROG = os.path.join(navlib.HERE, "oracle", "cpu_ticks.py")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pytt", required=True)
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("--size", type=int, default=12000)
    args = ap.parse_args()
    navlib.need_python(args.python)
    tmp = tempfile.mkdtemp(prefix="pytt-nav-det-")
    trace = os.path.join(tmp, "trace")
    navlib.record(args.pytt, args.python, PROG, trace, [str(args.size)])
    status, out, err, _ = navlib.run([args.pytt, "events", trace], 120)
    ends = [int(m.group(1)) for m in re.finditer(r"exit_group\(.*?\bclock (\d+)", out)]
    fails = []
    if status != 0 or len(ends) != 1:
        fails.append(f"`pytt events` (status {status}) shows {len(ends)} exit_group events "
                     f"with a tick: {navlib.clip(out, 300)} {navlib.clip(err, 300)}")
    end = ends[0] if ends else None
    line = navlib.find_line(PROG, "# BP:work")
    replays = [
        ("continue", ["continue", "when"]),
        ("continue again", ["continue", "when"]),
        ("breakpoint, step, next, then continue",
         [f"break {PROG}:{line}", "continue", "continue", "continue", "step", "next", "next",
          "delete", "continue", "when"]),
    ]
    print(f"recording ends at tick {end} (exit_group in `pytt events`)")
    for name, cmds in replays:
        status, out, err, secs = navlib.replay(args.pytt, trace, cmds, timeout=120)
        whens = [navlib.WHEN.match(l) for l in out.splitlines()]
        whens = [m for m in whens if m]
        got = navlib.counted(navlib.tick(whens[-1].group(1))) if whens else None
        at_end = bool(whens and whens[-1].group(3))
        print(f"replay ({name}): `when` at the end says tick {got}"
              f"{' (end of the recording)' if at_end else ''}, {secs:.2f}s")
        if got is None or got != end or not at_end:
            fails.append(f"replay ({name}) with {cmds}: `when` at the end gave "
                         f"{whens[-1].group(0) if whens else 'nothing'}, expected tick {end} at "
                         f"the end of the recording; output tail: {navlib.clip(out, 300)}")
    navlib.finish(fails, tmp, f"trace kept: {trace}", f"{len(fails)} failure(s)")


main()
