"""Breakpoints on every line, against sys.settrace: for each program of programs/ (the stepping
test's), `continue` with breakpoints on a set S of its lines must stop exactly at the 'line'
events settrace_lines.py reports at lines of S (in the program's file, any frame), in order, up
to the END_OF_PROGRAM line; and `info breakpoints` must then count, for each line, as many hits
as there were events. Every line that has line events is covered, a few lines per replay
(pytt watches at most 8 bytecode locations at once: a batch it refuses is split in two).

    test_breakpoint_lines.py --pytt PYTT --python PY [--program P]...   (default: all)

Exit 0 if everything matched, 1 otherwise, 77 if the interpreter is absent."""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import navlib  # noqa: E402

RUNNER = os.path.join(navlib.HERE, "settrace_lines.py")
BATCH = 5


def oracle(python, prog):
    out = subprocess.run([python, RUNNER, prog], capture_output=True, text=True, timeout=120,
                         check=True, env=navlib.env()).stdout
    events = []
    for line in out.splitlines():
        file, ln, func = line.rsplit(":", 2)
        if file == prog:
            events.append((file, int(ln), func))
    return events


def check_batch(args, trace, prog, end_line, events, lines):
    """None if pytt refused the batch (too many locations), else a list of failures."""
    want = [e for e in events if e[1] in lines or e[1] == end_line]
    want = want[:next(i for i, e in enumerate(want) if e[1] == end_line) + 1]
    cmds = [f"break {prog}:{l}" for l in lines] + [f"break {prog}:{end_line}"]
    cmds += ["continue"] * len(want) + ["info breakpoints"]
    status, out, err, secs = navlib.replay(args.pytt, trace, cmds, timeout=240)
    if "too many breakpoint locations" in out:
        return None
    got, table_lines, after_end = [], [], False
    for line in out.splitlines():
        s = navlib.stop_of(line)
        # the replay starts in the runner (settrace_lines.py): only stops in prog count
        if s and s[0] == prog and not after_end:
            got.append(s)
            after_end = s[1] == end_line
        elif line.startswith("error:") or navlib.EXITED.match(line):
            got.append(("RESULT", 0, line))
        elif after_end:
            table_lines.append(line)
    name = os.path.basename(prog)
    if got != want:
        i = next((k for k, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        ctx = lambda seq: [f"{s[1]}:{s[2]}" if s[0] != "RESULT" else s[2] for s in seq[max(0, i - 2):i + 3]]
        return [f"{name}: breakpoints on lines {lines}: stop {i + 1} of {len(want)} differs; "
                f"settrace: {ctx(want)} | pytt: {ctx(got)}"]
    table = navlib.parse_info_breakpoints(table_lines)
    fails = []
    for bid, line in enumerate(lines, 1):
        n = sum(1 for e in want if e[1] == line)
        if table.get(bid, {}).get("hits") != n:
            fails.append(f"{name}: `info breakpoints` counts {table.get(bid, {}).get('hits')} "
                         f"hits for line {line}, settrace had {n} line events there")
    return fails


def check_program(args, tmp, prog):
    events = oracle(args.python, prog)
    end_line = next(i for i, t in enumerate(open(prog), 1) if t.startswith("END_OF_PROGRAM"))
    trace = os.path.join(tmp, os.path.basename(prog))
    navlib.record(args.pytt, args.python, RUNNER, trace, [prog, "--no-trace"])
    lines = sorted({e[1] for e in events if e[1] != end_line})
    todo = [lines[i:i + BATCH] for i in range(0, len(lines), BATCH)]
    fails, replays, split = [], 0, 0
    while todo:
        batch = todo.pop(0)
        replays += 1
        r = check_batch(args, trace, prog, end_line, events, batch)
        if r is None and len(batch) > 1:
            split += 1
            todo[:0] = [batch[:len(batch) // 2], batch[len(batch) // 2:]]
        elif r is None:
            fails.append(f"{os.path.basename(prog)}: line {batch[0]} alone needs more "
                         f"breakpoint locations than pytt can watch")
        else:
            fails += r
    print(f"{os.path.basename(prog)}: {len(lines)} lines with line events, {replays} replays "
          f"({split} batches split for pytt's limit of watched locations), "
          f"{len(fails)} mismatches")
    return fails


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pytt", required=True)
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("--program", action="append")
    args = ap.parse_args()
    navlib.need_python(args.python)
    progs = [os.path.abspath(p) for p in args.program or
             sorted(glob.glob(os.path.join(navlib.HERE, "programs", "*.py")))]
    tmp = tempfile.mkdtemp(prefix="pytt-nav-bplines-")
    fails = []
    for prog in progs:
        fails += check_program(args, tmp, prog)
    navlib.finish(fails, tmp, f"traces kept in {tmp}", f"{len(fails)} mismatches")


main()
