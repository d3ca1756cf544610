"""Debugging threads:
  - the race scenario of the threads issue (tests/replay/programs/threads_race.py): after
    `replay --end`, `catch raise AssertionError` + `reverse-continue` stop on the failing assert
    in thread 1's function, where `p` shows values that make it false, `info threads` lists the
    three threads with thread 1 selected, and reverse-step walks back through thread 1's lines;
  - stepping follows one thread: `break work`, then repeated `step` from the first thread to
    reach it, visits exactly the 'line' events threading.settrace reports for that thread (in
    the program's own file), although the three workers' time slices interleave;
  - the views of every thread (oracle/threads_views.py): at a breakpoint in the main thread,
    while five threads wait, `thread apply all bt -full` and, thread by thread, `thread N`,
    `bt`, `frame K`, `locals` and `p NAME` show each thread's stack and the locals of its
    frames exactly as the program printed them about itself (sys._current_frames) from that
    line; `info threads` numbers them in the order they were created, with their names."""
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
VIEWS = os.path.join(HERE, "oracle", "threads_views.py")
HEADER = re.compile(r"^(?:Thread |\[Switching to thread )(\d+) \((?:(.*), )?tid (\d+)\)\]?:?$")
INFO = re.compile(r"^([ *]) (\d+) +(\d+) +(.*?)  +(\S.*)$")


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


def by_thread(out):
    """Cut a transcript at thread headers ("Thread N (name, tid T):" of thread apply, and
    "[Switching to thread N (...)]"): {tid: [lines]}."""
    res, cur = {}, None
    for line in out.splitlines():
        m = HEADER.match(line)
        if m:
            cur = res.setdefault(int(m.group(3)), [])
        elif cur is not None:
            cur.append(line)
    return res


def bt_full(lines):
    """bt -full lines -> [(file, line, func, [[name, repr]])]."""
    frames = []
    for line in lines:
        m = navlib.BT.match(line)
        if m:
            frames.append((m.group(2), int(m.group(3)), m.group(4), []))
        elif frames and line.startswith("        ") and " = " in line:
            frames[-1][3].append(line.strip().split(" = ", 1))
    return frames


def compare_thread(t, frames, what, fails):
    want = [tuple(f[:3]) for f in t["stack"]]
    got = [tuple(f[:3]) for f in frames]
    if got != want:
        fails.append(f"views: {what} of {t['name']}: {got}, the program says {want}")
        return
    for f, g in zip(t["stack"], frames):
        if f[3] is not None and len(g) > 3 and g[3] != f[3]:
            fails.append(f"views: {what} of {t['name']}, {f[2]}'s locals: {g[3]}, the program "
                         f"says {f[3]}")


def views(args, tmp, fails):
    trace = os.path.join(tmp, "views")
    out = navlib.record(args.pytt, args.python, VIEWS, trace)
    report = json.loads(out.strip().splitlines()[-1])
    brk = f"break {VIEWS}:{line_of(VIEWS, 'stacks = {ident: describe(frame)')}"
    first = navlib.replay(args.pytt, trace, [brk, "continue", "info threads",
                                             "thread apply all bt -full"])[1]
    rows = [INFO.match(l) for l in first.splitlines() if INFO.match(l)]
    numbers = {int(m.group(3)): int(m.group(2)) for m in rows}
    names = [(int(m.group(2)), m.group(4)) for m in rows]
    want = [(i + 1, n) for i, n in enumerate(["MainThread", "w0", "w1", "w2", "w3", "w3-sub"])]
    if names != want or [m.group(1) for m in rows] != ["*"] + [" "] * 5:
        fails.append(f"views: info threads numbers/names {names}, expected {want} with thread 1 "
                     f"selected\n{navlib.clip(first, 2000)}")
    sections = by_thread(first)
    for t in report:
        if t["tid"] not in sections:
            fails.append(f"views: thread apply all bt -full showed no thread {t['tid']} "
                         f"({t['name']})\n{navlib.clip(first, 2000)}")
            continue
        compare_thread(t, bt_full(sections[t["tid"]]), "thread apply all bt -full", fails)
    # thread by thread: the selected thread drives bt, frame, locals and print
    cmds = [brk, "continue"]
    for t in report:
        cmds += [f"thread {numbers.get(t['tid'], 0)}", "bt"]
        for k, f in enumerate(t["stack"]):
            if f[3]:
                cmds += [f"frame {k}", "locals", f"p {f[3][0][0]}"]
    second = navlib.replay(args.pytt, trace, cmds, timeout=600)[1]
    sections = by_thread(second)
    checked = 0
    for t in report:
        lines = sections.get(t["tid"], [])
        frames = [list(f) + [None] for f in navlib.parse_bt(lines)]
        # after the bt: per frame of the program's own file, "#K ..." (frame K), locals, repr
        mine = [f for f in t["stack"] if f[3]]
        chunks = [lines[i + 1:] for i, l in enumerate(lines) if navlib.BT.match(l)][len(frames)
                                                                                    - len(mine):]
        for f, chunk in zip(mine, chunks):
            body = [l for l in chunk if not navlib.BT.match(l)][:len(f[3]) + 1]
            loc = [l.split(" = ", 1) for l in body[:len(f[3])]]
            if loc != f[3] or body[len(f[3]):] != [f[3][0][1]]:
                fails.append(f"views: thread {numbers.get(t['tid'])} ({t['name']}) frame "
                             f"{f[2]}: locals and p {f[3][0][0]} show {body}, the program says "
                             f"{f[3]}")
            checked += 1
        # frames[0]: what `thread N` printed; then the bt
        compare_thread(t, [f[:3] for f in frames[1:1 + len(t["stack"])]], "thread N + bt", fails)
    print(f"views: {len(report)} threads, {checked} frames' locals compared")
    follow(args, trace, brk, fails)


def follow(args, trace, brk, fails):
    """Motions follow the selected thread even when another one runs: from the breakpoint in
    the main thread, `thread 2` + reverse-next goes back to the start of the line w0 waits in,
    next, next walk its lines on (the main thread releases the gate in between), `thread 3` +
    finish goes back into w1's worker()."""
    branch = line_of(VIEWS, "if k % 2:")
    out = navlib.replay(args.pytt, trace, [brk, "continue", "delete", "thread 2", "reverse-next",
                                           "next", "next", "thread 3", "finish"])[1]
    stops = [s for s in map(navlib.stop_of, out.splitlines()) if s][-4:]
    want = [(VIEWS, branch + 2, "worker"), (VIEWS, branch + 3, "worker"),
            (VIEWS, branch + 4, "worker"), (VIEWS, line_of(VIEWS, "return inner(k, items)"),
                                            "worker")]
    # the two `thread N` say "[Switching ...]"; the stops in the selected thread do not
    if stops != want or out.count("[Switching to thread") != 2:
        fails.append(f"follow: reverse-next/next/finish in a selected thread that does not run "
                     f"stopped at {stops}, expected {want}\n{navlib.clip(out, 2000)}")


def main():
    args = navlib.pytt_args()
    tmp = tempfile.mkdtemp(prefix="pytt-nav-threads-")
    fails = []
    race(args, tmp, fails)
    steps(args, tmp, fails)
    views(args, tmp, fails)
    navlib.finish(fails, tmp, f"traces kept in {tmp}", f"{len(fails)} failure(s)")


if __name__ == "__main__":
    main()
