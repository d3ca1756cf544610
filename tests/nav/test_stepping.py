"""Stepping oracle: the (file, line, function) sequence visited by repeated `step` from the
first line of the main script equals sys.settrace's 'line' events on the same program
(settrace_lines.py); repeated `next` equals those of the module frame alone; and going back
from the last of them, repeated `reverse-step` (`reverse-next`) visits exactly the same stops in
reverse order. At up to 12 of the `step` stops inside a function, `reverse-finish` lands on the
caller's line as `bt` showed it there (`goto` to that stop's tick shows the stop and `bt` the
same line), and going forward again to the same tick shows the same
`bt` and `locals` as before. On the line of PROG visited most often, a breakpoint's hits
(up to 8) reached by `continue`, then one more `continue`, are revisited by
`reverse-continue` in reverse order, at the same ticks with the same `locals`. Run on a real recording of each program, for the given
interpreter."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import navlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
STOP = re.compile(r"^> (.*)\((-?\d+)\)(.*)\(\)$")


def oracle(python, prog, frame_only):
    cmd = [python, os.path.join(HERE, "settrace_lines.py"), prog] + (["--frame-only"] if frame_only else [])
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    return [line for line in out.splitlines() if line]


def pytt_session(pytt, trace, commands):
    with tempfile.NamedTemporaryFile("w", suffix=".pytt", delete=False) as f:
        f.write(commands)
        script = f.name
    try:
        return subprocess.run([pytt, "replay", trace, "--batch", "-x", script,
                               "--program-output", os.devnull],
                              capture_output=True, text=True, timeout=600).stdout
    finally:
        os.unlink(script)


def pytt_stops(pytt, trace, commands, end_line, prog):
    out = pytt_session(pytt, trace, commands)
    stops = []
    started = False
    for line in out.splitlines():
        m = STOP.match(line)
        if not m:
            continue
        # The recording runs PROG through the runner: start at PROG's first module line.
        started = started or (m.group(1) == prog and m.group(3) == "<module>")
        if started:
            stops.append(f"{m.group(1)}:{m.group(2)}:{m.group(3)}")
    return stops, out


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def check(args, prog, command, frame_only, trace):
    expected = oracle(args.python, prog, frame_only)
    end_line = next(i for i, t in enumerate(open(prog), 1) if t.startswith("END_OF_PROGRAM"))
    # from the runner's first line, reach PROG's first line through a (pending) breakpoint,
    # go forward to the end marker, then all the way back
    first_line = int(expected[0].split(":")[1])
    n = len(expected)
    script = (f"tbreak {prog}:{first_line}\ncontinue\n" + f"{command}\n" * (n - 1) +
              f"reverse-{command}\n" * (n - 1))
    stops, raw = pytt_stops(args.pytt, trace, script, end_line, prog)
    got, back = stops[:n], stops[n:]
    if got == expected and n > 3 and back == expected[-2::-1]:
        print(f"ok: `{command}` visits the {n} line events of settrace, "
              f"`reverse-{command}` the same backwards")
        return True
    if got == expected:
        i = first_difference(expected[-2::-1], back)
        print(f"FAIL: `reverse-{command}` differs from the reversed forward stops at stop {i}")
        print("  expected:", expected[-2::-1][max(0, i - 3):i + 3])
        print("  got:     ", back[max(0, i - 3):i + 3])
        print("  pytt output tail:", raw[-800:])
        return False
    i = first_difference(expected, got)
    print(f"FAIL: `{command}` differs from settrace at stop {i} "
          f"(expected {len(expected)} stops, got {len(got)})")
    print("  expected:", expected[max(0, i - 3):i + 3])
    print("  got:     ", got[max(0, i - 3):i + 3])
    print("  pytt output tail:", raw[-600:])
    return False


def check_reverse_finish(args, prog, trace, expected):
    """At stops inside a function: rf lands on bt's frame #1, and forward again restores the
    same bt and locals."""
    first_line = int(expected[0].split(":")[1])
    out = pytt_session(args.pytt, trace, f"tbreak {prog}:{first_line}\ncontinue\nwhen\n" +
                       "step\nwhen\n" * (len(expected) - 1))
    parts, ticks = navlib.split_by_when(out.splitlines())
    inner = [i for i, e in enumerate(expected) if not (e.startswith(prog + ":") and
                                                       e.endswith(":<module>"))]
    samples = [inner[k * len(inner) // 12] for k in range(min(12, len(inner)))]
    if len(ticks) < len(expected) or not samples:
        print(f"FAIL: the step session gave {len(ticks)} ticks for {len(expected)} stops, "
              f"{len(samples)} stops inside functions\n{out[-800:]}")
        return False
    script = "".join(f"goto {navlib.tick_str(ticks[i])}\nbt\nwhen\nlocals\nwhen\nreverse-finish\nwhen\n"
                     f"goto {navlib.tick_str(ticks[i])}\nbt\nwhen\nlocals\nwhen\n" for i in samples)
    out = pytt_session(args.pytt, trace, script)
    parts, _ = navlib.split_by_when(out.splitlines())
    ok = True
    for k, i in enumerate(samples):
        bt0, loc0, rf, bt1, loc1 = parts[5 * k: 5 * k + 5]
        frames = navlib.parse_bt(bt0)
        at = ([navlib.stop_of(line) for line in bt0 if navlib.stop_of(line)] or [None])[-1]
        if not frames or at != frames[0] or f"{at[0]}:{at[1]}:{at[2]}" != expected[i]:
            print(f"FAIL: `goto` to stop {i} ({expected[i]}) printed {at}, bt's frame #0 is "
                  f"{frames[:1]}")
            ok = False
        landed = next((navlib.stop_of(line) for line in rf if navlib.stop_of(line)), None)
        caller = frames[1] if len(frames) > 1 else None
        if not caller or landed != caller:
            print(f"FAIL: reverse-finish at stop {i} ({expected[i]}) landed on {landed}, "
                  f"bt's caller frame is {caller}\n  bt: {frames[:3]}")
            ok = False
        if navlib.parse_bt(bt1) != frames or loc1 != loc0:
            print(f"FAIL: at stop {i} ({expected[i]}), going back then forward again changed "
                  f"bt or locals:\n  before: {frames[:3]} {loc0[:4]}\n  after:  "
                  f"{navlib.parse_bt(bt1)[:3]} {loc1[:4]}")
            ok = False
    if ok:
        print(f"ok: `reverse-finish` at {len(samples)} stops lands on the caller's line; forward "
              f"again shows the same bt and locals")
    return ok


def check_reverse_continue(args, prog, trace, expected):
    """A breakpoint hit several times: rc retraces the forward hits, same ticks and locals."""
    counts = {}
    for e in expected:
        if e.startswith(prog + ":"):
            counts[e] = counts.get(e, 0) + 1
    where, hits = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    hits = min(hits, 8)
    line = int(where.split(":")[1])
    first_line = int(expected[0].split(":")[1])
    script = (f"tbreak {prog}:{first_line}\ncontinue\nbreak {prog}:{line}\n" +
              "continue\nlocals\nwhen\n" * hits + "continue\nwhen\n" +
              "reverse-continue\nlocals\nwhen\n" * hits)
    out = pytt_session(args.pytt, trace, script)
    parts, ticks = navlib.split_by_when(out.splitlines())
    # each part ends with a motion's stop, then the locals there
    def after_stop(lines):
        at = max((i for i, l in enumerate(lines) if navlib.stop_of(l)), default=-1)
        return [l for l in lines[at + 1:] if not l.startswith("->")]
    moments = [(ticks[k], after_stop(parts[k])) for k in range(len(ticks))]
    # after the last of them, one more continue (to the next hit or the end), then back
    forward, back = moments[:hits], moments[hits + 1:]
    if len(ticks) != 2 * hits + 1 or back != forward[::-1]:
        print(f"FAIL: reverse-continue on {where} ({hits} hits) does not retrace the forward "
              f"hits:\n  forward: {[m[0] for m in forward]}\n  back:    {[m[0] for m in back]}"
              f"\n{out[-1500:]}")
        return False
    print(f"ok: `reverse-continue` retraces {hits} hits of {where} at the same ticks with the "
          f"same locals")
    return True


def main():
    args = navlib.pytt_args(lambda ap: ap.add_argument("--program", required=True))
    prog = os.path.abspath(args.program)
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "trace")
        runner = os.path.join(HERE, "settrace_lines.py")
        subprocess.run([args.pytt, "record", "-o", trace, args.python, runner, prog, "--no-trace"],
                       check=True, stdout=subprocess.DEVNULL, timeout=120)
        ok = check(args, prog, "step", False, trace)
        ok = check(args, prog, "next", True, trace) and ok
        expected = oracle(args.python, prog, False)
        ok = check_reverse_finish(args, prog, trace, expected) and ok
        ok = check_reverse_continue(args, prog, trace, expected) and ok
    sys.exit(0 if ok else 1)


main()
