"""Data over time (issue 12) against programs that log every change of the watched places
themselves (programs/watch_oracle.py, programs/watch_threads.py: `X = ...; log(...)` on one
line, so the log names the changing line and the new value):
  - history: for a global, a plain attribute (inline values on 3.11+), a __slots__ attribute, a
    list item, a dict value, a list appended to by a method of another module and a local (every
    call of work), the rows (changing file:line, new value) are exactly the program's log;
  - the fast path: history of a global, a __slots__ attribute and a dict item is found by
    debug registers (`info watchpoints` counts the write traps; PYTT_WATCH_EXACT=1, the exact
    engine alone, fails this), a local never is;
  - watch + continue from the program's READY point: with the six non-local places watched at
    once (more words than 4 debug registers: the exact engine), the stops (which watchpoint, the
    changing file:line, Old value, New value) are exactly the log after READY, in order;
    likewise `watch acc` from work's first line, and `watch d['k']` alone, by hardware;
  - repeated `last` from the program's end (its last line), for each place, walks back through
    exactly the log in reverse, then says there is none before; reverse-continue with a
    watchpoint does the same for `counter`; `last -f` walks forward again;
  - trace FILE:LINE EXPR, EXPR at log()'s first line: the values at every hit are what log()
    prints; trace FUNCTION lists every call of work with its argument; `> FILE` writes them;
  - two threads writing one attribute: repeated `last` names the thread of every write (thread
    numbers as `info threads`: the writers are 2 and 3 in creation order), found by hardware
    (the debug registers set in every thread: a write trap for each write);
  - places named through locals (programs/watch_locals.py: an attribute, a slots member, a list
    item moved by insertions, a dict value): history by debug registers equals the exact
    engine's (PYTT_WATCH_EXACT=1) row for row, the objects' deaths included.
Each is a real recording replayed by the shell (--batch)."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "nav"))
import navlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = os.path.join(HERE, "programs", "watch_oracle.py")
THREADS = os.path.join(HERE, "programs", "watch_threads.py")
PLACES = ["counter", "plain.count", "slotted.v", "lst[1]", "d['k']", "box.items"]
LOG = re.compile(r"^CHANGE (\S+) (\S+:\d+) (.*) (\S+)$")
ROW = re.compile(r"^(\d+) +(\d+(?:\.\d+)?) +(\d+) +(\S+:\d+) +(\S+) +(.*)$")
TITLE = re.compile(r"^(?:Watchpoint \d+: (.*)|(?:Last|Next) change of (.*):)$")
CHANGED = re.compile(r"^Changed at (\S+:\d+) in (\S+) \(thread (\d+)\)$")


def program_log(out):
    """[(name, file:line, value, thread name)] and the index of READY in it."""
    log, ready = [], None
    for line in out.splitlines():
        m = LOG.match(line)
        if m:
            log.append(m.groups())
        elif line == "READY":
            ready = len(log)
    return log, ready


def changes(out):
    """The changes a session printed (watch stops and last): [(title expr, file:line, old, new,
    thread)], in order; "none" entries where `last` found nothing."""
    lines = out.splitlines()
    found = []
    for i, line in enumerate(lines):
        m = TITLE.match(line)
        if m and i + 4 < len(lines) and lines[i + 2].startswith("Old value = "):
            old = lines[i + 2].removeprefix("Old value = ")
            new = lines[i + 3].removeprefix("New value = ")
            c = CHANGED.match(lines[i + 4])
            found.append((m.group(1) or m.group(2), c.group(1) if c else lines[i + 4], old, new,
                          int(c.group(3)) if c else 0))
        elif line.startswith("No change of "):
            found.append("none")
    return found


def history_tables(out):
    """{expr: [(file:line, value)]} from the history commands' tables (in command order)."""
    tables, rows = [], None
    for line in out.splitlines():
        if line.startswith("#     tick"):
            rows = []
        m = ROW.match(line)
        if m and rows is not None:
            rows.append((m.group(4), m.group(6)))
        if re.match(r"^(\d+ changes?|No change of )", line):
            tables.append(rows or [])
            rows = None
    return tables


def session(args, trace, cmds, end=False, timeout=600):
    extra = ["--end"] if end else []
    status, out, err, _ = navlib.run([args.pytt, "replay", trace, "--batch"] + extra +
                                     [x for c in cmds for x in ("-ex", c)], timeout)
    return status, out, err


HW_STATS = re.compile(r"^Hardware watch so far: (\d+) runs?, (\d+) write traps?\.$", re.M)
# Places whose value lives in words the debug registers cover on every version (a global, a
# __slots__ member, a dict item with a str key; plain.count too from 3.11, in inline values);
# the others (a list item, a list changed in place, a local) are scanned at every instruction
# once bound.
# (lst[1] and box.items are covered until `lst`/`box` is bound: their root's dict entry.)
HW_PLACES = ["counter", "slotted.v", "d['k']"]
EXACT_PLACES = ["acc"]


def hw_counts(out):
    """The write traps `info watchpoints` reported after each command before it (0 before the
    first use)."""
    return [0] + [int(m.group(2)) for m in HW_STATS.finditer(out)]


def check_hw_used(name, before, after, fails):
    if name in HW_PLACES and after <= before:
        fails.append(f"{name}: no hardware write trap ({before} -> {after}): the fast path "
                     f"was not taken")
    if name in EXACT_PLACES and after != before:
        fails.append(f"{name}: hardware write traps ({before} -> {after}) for a place the "
                     f"debug registers cannot cover")


def check_history(args, trace, log, fails):
    cmds = ["break ready", "continue"] + [x for p in PLACES
                                          for x in (f"history {p}", "info watchpoints")] + \
           ["break work", "continue", "history acc", "info watchpoints"]
    status, out, err = session(args, trace, cmds)
    tables = history_tables(out)
    names = PLACES + ["acc"]
    counts = hw_counts(out)
    if len(counts) < len(names) + 1:  # a line once the first armed run happened
        counts = [0] * (len(names) + 1 - len(counts)) + counts
    for i, name in enumerate(names):
        check_hw_used(name, counts[i], counts[i + 1], fails)
    if len(tables) != len(names):
        fails.append(f"history: {len(tables)} tables for {len(names)} commands (status "
                     f"{status})\n{navlib.clip(out, 3000)}\n{err[-800:]}")
        return
    for name, rows in zip(names, tables):
        want = [(w, v) for n, w, v, _ in log if n == name]
        if rows != want:
            fails.append(f"history {name}: rows {rows}\nexpected {want}")
        else:
            print(f"history {name}: {len(rows)} rows as logged")


def check_watch(args, trace, log, ready, fails):
    cmds = ["break ready", "continue", "delete"] + [f"watch {p}" for p in PLACES]
    after = [c for c in log[ready:] if c[0] in PLACES]
    cmds += ["continue"] * (len(after) + 1)
    status, out, err = session(args, trace, cmds)
    got = [(c[0], c[1], c[3]) for c in changes(out) if c != "none"]
    want = [(n, w, v) for n, w, v, _ in after]
    if got != want or "The program exited" not in out:
        fails.append(f"watch + continue: stops {got}\nexpected {want}, then the end\n"
                     f"{navlib.clip(out, 2500)}\n{err[-800:]}")
    else:
        print(f"watch + continue: {len(got)} stops as logged, then the end")
    accs = [c for c in log if c[0] == "acc"]
    cmds = ["break work", "continue", "delete", "watch acc"] + ["continue"] * (len(accs) + 1)
    status, out, err = session(args, trace, cmds)
    got = [(c[1], c[3]) for c in changes(out) if c != "none"]
    want = [(w, v) for _, w, v, _ in accs]
    if got != want:
        fails.append(f"watch acc + continue: stops {got}\nexpected {want}\n"
                     f"{navlib.clip(out, 2500)}")
    else:
        print(f"watch acc + continue: {len(got)} stops as logged")


def check_watch_hw(args, trace, log, ready, fails):
    """watch + continue on one place the debug registers cover: the same stops as logged, and
    taken by hardware (write traps counted)."""
    name = "d['k']"
    after = [c for c in log[ready:] if c[0] == name]
    cmds = ["break ready", "continue", "delete", f"watch {name}", "info watchpoints"] + \
           ["continue"] * (len(after) + 1) + ["info watchpoints"]
    status, out, err = session(args, trace, cmds)
    got = [(c[0], c[1], c[3]) for c in changes(out) if c != "none"]
    want = [(n, w, v) for n, w, v, _ in after]
    counts = hw_counts(out)
    if got != want or "The program exited" not in out:
        fails.append(f"watch {name} + continue (hardware): stops {got}\nexpected {want}, then "
                     f"the end\n{navlib.clip(out, 2500)}\n{err[-800:]}")
    elif "checked by hardware" not in out or counts[-1] < len(want):
        fails.append(f"watch {name} + continue: not checked by hardware (write traps "
                     f"{counts[-1]})\n{navlib.clip(out, 2500)}")
    else:
        print(f"watch {name} + continue: {len(got)} stops as logged, by hardware "
              f"({counts[-1]} write traps)")


LOCALS = os.path.join(HERE, "programs", "watch_locals.py")
LOCAL_PLACES = ["p.count", "s.v", "lst[1]", "d['k']"]


def check_locals(args, tmp, fails):
    """Places named through locals (the object followed while it lives): history with debug
    registers equals the exact engine's (PYTT_WATCH_EXACT=1), row for row (tick, thread, the
    changing line, the value; the objects' deaths included), and is taken by hardware."""
    trace = os.path.join(tmp, "locals")
    status, _, err, _ = navlib.run([args.pytt, "record", "-o", trace, args.python, LOCALS], 120)
    if status != 0:
        fails.append(f"recording {LOCALS}: status {status}\n{err[-800:]}")
        return
    loop = navlib.find_line(LOCALS, "# LOOP")
    for place in LOCAL_PLACES:
        cmds = [f"break {loop}", "continue", f"history {place}", "info watchpoints"]
        outs = {}
        for exact in ("1", "0"):
            env = dict(os.environ, PYTT_WATCH_EXACT=exact)
            p = subprocess.run([args.pytt, "replay", trace, "--batch"] +
                               [x for c in cmds for x in ("-ex", c)], capture_output=True,
                               text=True, timeout=600, env=env)
            rows = [re.sub(r"in pid \d+", "in pid N", line) for line in p.stdout.splitlines()
                    if ROW.match(line)]
            outs[exact] = (rows, hw_counts(p.stdout)[-1], p.stdout)
        (exact_rows, _, out1), (hw_rows, traps, out0) = outs["1"], outs["0"]
        if not exact_rows or hw_rows != exact_rows:
            fails.append(f"history {place} (through a local): hardware rows\n" +
                         "\n".join(hw_rows) + "\nexact rows\n" + "\n".join(exact_rows))
        elif traps == 0:
            fails.append(f"history {place} (through a local): no hardware write trap\n"
                         f"{navlib.clip(out0, 1500)}")
        else:
            print(f"history {place} through a local: {len(hw_rows)} rows as the exact engine, "
                  f"by hardware ({traps} write traps)")


def end_line():
    return navlib.find_line(ORACLE, 'print("END"')


def check_last(args, trace, log, fails):
    """One session: for each place, from the END line (a breakpoint: `continue` goes back to
    it from the start, where the previous place's last `last` leaves the replay)."""
    cmds, wants = [f"break {end_line()}", "continue"], []
    for name in PLACES:
        want = [(w, v) for n, w, v, _ in log if n == name][::-1]
        wants.append((name, want))
        cmds += [f"last {name}"] * (len(want) + 1) + ["continue"]
    status, out, err = session(args, trace, cmds)
    found = changes(out)
    for name, want in wants:
        mine = []
        while found and found[0] != "none":
            mine.append(found.pop(0))
        none = bool(found) and found.pop(0) == "none"
        got = [(c[1], c[3]) for c in mine]
        if got != want or not none or any(c[0] != name for c in mine):
            fails.append(f"last {name} from the end: {mine} (then none: {none})\nexpected "
                         f"{want} then none\n{navlib.clip(out, 2000)}\n{err[-500:]}")
        else:
            print(f"last {name}: {len(got)} changes back as logged, then none")
    counters = [(w, v) for n, w, v, _ in log if n == "counter"]
    cmds = [f"break {end_line()}", "continue", "delete", "watch counter"] + \
           ["reverse-continue"] * len(counters) + ["last -f counter"] * (len(counters) - 1)
    status, out, err = session(args, trace, cmds)
    got = [(c[1], c[3]) for c in changes(out) if c != "none"]
    want = counters[::-1] + counters[1:]
    if got != want:
        fails.append(f"reverse-continue then last -f on counter: {got}\nexpected {want}\n"
                     f"{navlib.clip(out, 2500)}")
    else:
        print(f"reverse-continue x{len(counters)} then last -f: as logged")


def check_threads(args, tmp, fails):
    trace = os.path.join(tmp, "threads")
    status, out, err, _ = navlib.run([args.pytt, "record", "-o", trace, args.python, THREADS],
                                     120)
    log, _ = program_log(out)
    if status != 0 or len(log) != 11:
        fails.append(f"threads: record ended with {status}, {len(log)} changes logged\n{err}")
        return
    numbers = {"MainThread": 1, "w1": 2, "w2": 3}
    want = [(w, v, numbers[t]) for _, w, v, t in log][::-1]
    line = navlib.find_line(THREADS, 'print("END"')
    cmds = [f"break {line}", "continue"] + ["last shared.value"] * (len(want) + 1) + \
           ["info watchpoints"]
    status, out, err = session(args, trace, cmds)
    found = changes(out)
    got = [(c[1], c[3], c[4]) for c in found if c != "none"]
    if got != want or not found or found[-1] != "none":
        fails.append(f"threads: last shared.value: {found}\nexpected {want} then none\n"
                     f"{navlib.clip(out, 2500)}\n{err[-500:]}")
    elif hw_counts(out)[-1] < len(want) - 1:  # the writers' writes: armed in their threads
        fails.append(f"threads: {hw_counts(out)[-1]} hardware write traps for {len(want)} "
                     f"writes: the debug registers were not set in every thread\n"
                     f"{navlib.clip(out, 1500)}")
    else:
        print(f"threads: {len(got)} writes back with their threads "
              f"{[t for _, _, t in got]}")


HELPER = os.path.join(HERE, "programs", "watch_helper.py")
HIT = re.compile(r"^(\d+(?:\.\d+)?) +thread (\d+) +line (\d+) +(\S+): (.*)$")


def check_trace(args, tmp, trace, log, fails):
    """trace FILE:LINE: the values at every hit of log()'s first line are what log() prints;
    trace FUNCTION: every call of work with its argument; > FILE writes the same rows."""
    line = navlib.find_line(HELPER, "f = sys._getframe(1)")
    rows_file = os.path.join(tmp, "rows.txt")
    cmds = [f"trace watch_helper.py:{line} name, value", "trace work",
            f"trace watch_helper.py:{line} name, value > {rows_file}", "when"]
    status, out, err = session(args, trace, cmds)
    hits = [HIT.match(l) for l in out.splitlines()]
    hits = [m for m in hits if m]
    got = [tuple(m.group(5).split(", ", 1)) for m in hits if m.group(4) == "log"]
    want = [(repr(n), v) for n, _, v, _ in log]
    if got != want:
        fails.append(f"trace {line} name, value: {got}\nexpected {want}\n{navlib.clip(out, 2000)}")
    else:
        print(f"trace FILE:LINE: {len(got)} hits with the values the program printed")
    calls = [m.group(5) for m in hits if m.group(4) == "work"]
    if calls != [f"n = {n}" for n in range(2, 6)]:
        fails.append(f"trace work: {calls}, expected n = 2..5\n{navlib.clip(out, 1500)}")
    else:
        print("trace FUNCTION: every call with its argument")
    written = open(rows_file).read().splitlines() if os.path.exists(rows_file) else []
    if [tuple(HIT.match(l).group(5).split(", ", 1)) for l in written if HIT.match(l)] != want:
        fails.append(f"trace > FILE: {written[:5]}... differs from the hits shown")
    if f"{len(want)} hits of watch_helper.py:{line}, written to {rows_file}." not in out:
        fails.append(f"trace > FILE: no summary line\n{navlib.clip(out, 800)}")


def main():
    args = navlib.pytt_args()
    fails = []
    tmp = tempfile.mkdtemp(prefix="pytt-watch-")
    trace = os.path.join(tmp, "oracle")
    status, out, err, _ = navlib.run([args.pytt, "record", "-o", trace, args.python, ORACLE], 120)
    log, ready = program_log(out)
    if status != 0 or ready is None:
        print(f"FAIL: recording the oracle program: status {status}\n{err}")
        sys.exit(1)
    check_history(args, trace, log, fails)
    check_watch(args, trace, log, ready, fails)
    check_watch_hw(args, trace, log, ready, fails)
    check_last(args, trace, log, fails)
    check_trace(args, tmp, trace, log, fails)
    check_threads(args, tmp, fails)
    check_locals(args, tmp, fails)
    navlib.finish(fails, tmp, f"kept {tmp}", "watch, last, history: FAILED")


if __name__ == "__main__":
    main()
