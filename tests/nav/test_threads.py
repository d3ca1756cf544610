"""Debugging threads:
  - the race scenario of the threads issue (tests/replay/programs/threads_race.py): after
    `replay --end`, `catch raise AssertionError` + `reverse-continue` stop on the failing assert
    in thread 1's function, where `p` shows values that make it false, `info threads` lists the
    three threads with thread 1 selected, and reverse-step walks back through thread 1's lines;
  - stepping follows one thread: `break work`, then repeated `step` from the first thread to
    reach it, visits exactly the 'line' events threading.settrace reports for that thread (in
    the program's own file), although the three workers' time slices interleave."""
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import navlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RACE = os.path.join(os.path.dirname(HERE), "replay", "programs", "threads_race.py")
STEPS = os.path.join(HERE, "oracle", "threads_steps.py")


def line_of(path, text):
    return next(i for i, t in enumerate(open(path), 1) if t.strip().startswith(text))


def race(args, tmp, fails):
    trace = os.path.join(tmp, "race")
    status, out, err, _ = navlib.run([args.pytt, "record", "-o", trace, args.python, RACE], 120)
    if status != 134:
        fails.append(f"race: record ended with {status}, expected 134 (abort)\n{err[-500:]}")
        return
    cmds = ["catch raise AssertionError", "reverse-continue", "info threads", "p old_value",
            "p increment", "p g_value.count", "p g_value.count == old_value + increment",
            "p threading.current_thread().name", "bt", "reverse-step", "reverse-step"]
    status, out, err, _ = navlib.run([args.pytt, "replay", trace, "--end", "--batch"] +
                                     [x for c in cmds for x in ("-ex", c)], 240)
    stops = [s for s in map(navlib.stop_of, out.splitlines()) if s]
    assert_line = line_of(RACE, "assert g_value.count")
    add_line = line_of(RACE, "g_value.count += increment")
    want = [(RACE, assert_line, "thread_fn_1"), (RACE, assert_line, "thread_fn_1"),
            (RACE, add_line, "thread_fn_1")]
    if stops[-3:] != want:
        fails.append(f"race: stops after reverse-continue and 2 reverse-steps: {stops[-3:]}, "
                     f"expected {want}\n{navlib.clip(out, 2500)}")
    if "False" not in out.splitlines() or "'Thread-1 (thread_fn_1)'" not in out.splitlines():
        fails.append(f"race: at the assert, `p g_value.count == old_value + increment` must be "
                     f"False and the thread Thread-1\n{navlib.clip(out, 2500)}")
    print(f"race: stops {stops[-3:]}")
    threads = [l for l in out.splitlines() if re.match(r"^[ *] +\d+ ", l)]
    sel = [l for l in threads if l.startswith("*")]
    if len(threads) != 3 or len(sel) != 1 or "thread_fn_1" not in sel[0]:
        fails.append(f"race: info threads should list 3 threads, thread 1 selected: {threads}")


def steps(args, tmp, fails):
    trace = os.path.join(tmp, "steps")
    events_file = os.path.join(tmp, "events.json")
    status, _, err, _ = navlib.run([args.python, STEPS, "--settrace", events_file], 120)
    if status != 0:
        fails.append(f"steps: the settrace run failed: {err[-400:]}")
        return
    events = json.load(open(events_file))
    navlib.record(args.pytt, args.python, STEPS, trace)
    first = navlib.replay(args.pytt, trace, ["break work", "continue",
                                             "p threading.current_thread().name"])[1]
    names = re.findall(r"^'(worker-\d)'$", first, re.M)
    if not names:
        fails.append(f"steps: the breakpoint stop did not say its thread\n{navlib.clip(first)}")
        return
    mine = [tuple(e[1:]) for e in events if e[0] == names[0]]
    start = next(i for i, e in enumerate(mine) if e[2] == "work")
    expected = mine[start:]
    out = navlib.replay(args.pytt, trace, ["break work", "continue", "delete"] +
                        ["step"] * (len(expected) - 1), timeout=600)[1]
    got = [s for s in map(navlib.stop_of, out.splitlines()) if s and s[0] == STEPS]
    got = got[1:len(expected) + 1]  # after the session's start: the breakpoint, then steps
    print(f"steps: {names[0]}'s {len(expected)} line events stepped through")
    if got != [tuple(e) for e in expected]:
        diff = next((i for i, (a, b) in enumerate(zip(got, expected)) if tuple(b) != a),
                    min(len(got), len(expected)))
        fails.append(f"steps: {len(got)} stops in {names[0]}, expected {len(expected)} "
                     f"(settrace); first difference at {diff}: pytt {got[diff:diff + 3]} "
                     f"settrace {expected[diff:diff + 3]}")


def main():
    args = navlib.pytt_args()
    tmp = tempfile.mkdtemp(prefix="pytt-nav-threads-")
    fails = []
    race(args, tmp, fails)
    steps(args, tmp, fails)
    navlib.finish(fails, tmp, f"traces kept in {tmp}", f"{len(fails)} failure(s)")


if __name__ == "__main__":
    main()
