#!/usr/bin/python3
"""`trace` logged inside the program (issue 12; replayer/rep_tlog.c, common/pt_tlog.c).

tests/watch/programs/watch_tlog.py runs a traced line in three threads with values of every kind
the in-tracee log copies (ints small, large and negative, floats, short str, bytes, None, bools,
an attribute of an instance) and of kinds it cannot (a list, an instance, a str too long or not
ASCII, long bytes), and prints what the line saw. For each Python build, `trace FILE:LINE v, w,
box.a`:
  - with the log (the default) prints exactly what it prints with PYTT_WATCH_EXACT=1 (a stop at
    every hit, the engine of before), the whole session's output byte for byte, the program's
    own output (a line after each hit) interleaved with the rows as before;
  - took the fast path (`maint stats`: hits logged in the program > 0) but not for every hit
    (the unloggable values stopped), and none with PYTT_WATCH_EXACT=1;
  - `trace work` (every call with its arguments, logged too) lists the three calls;
  - lists, per thread, the values the program printed, in order, in three threads.
Builds: --python (default Debian's python3.11) and, with --pyenv, pyenv's 3.10-3.13 where
installed (skipped with a printed reason where not)."""
import glob
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "nav"))
import navlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAM = os.path.join(HERE, "programs", "watch_tlog.py")
ROW = re.compile(r"^(\d+\.\d+) +thread (\d+) +line (\d+) +work: (.*)$")
LOGGED = re.compile(r"trace hits logged in the program: (\d+)")
SAW = re.compile(r"^T(\w+)/(\d+): (.*)$")


def traced_line():
    with open(PROGRAM) as f:
        return next(i for i, t in enumerate(f, 1) if "# TRACED" in t)


def trace_session(args, trace, exact):
    cmd = [args.pytt, "replay", trace, "--batch", "-ex",
           f"trace watch_tlog.py:{traced_line()} v, w, box.a", "-ex", "trace work", "-ex",
           "maint stats"]
    old = os.environ.pop("PYTT_WATCH_EXACT", None)
    if exact:
        os.environ["PYTT_WATCH_EXACT"] = "1"
    try:
        status, out, err, _ = navlib.run(cmd, 600)
    finally:
        os.environ.pop("PYTT_WATCH_EXACT", None)
        if old is not None:
            os.environ["PYTT_WATCH_EXACT"] = old
    m = LOGGED.search(out)
    return status, out, err, int(m.group(1)) if m else None


def check_build(args, python, tmp, fails):
    name = python
    trace = os.path.join(tmp, f"{len(os.listdir(tmp))}-{os.path.basename(python)}")
    status, out, err, _ = navlib.run([args.pytt, "record", "-o", trace, python, PROGRAM], 120)
    saw = {}
    for line in out.splitlines():
        m = SAW.match(line)
        if m:
            saw.setdefault(m.group(1), []).append(m.group(3))
    if status != 0 or len(saw) != 3:
        fails.append(f"{name}: recording: status {status}, threads {sorted(saw)}\n{err[-800:]}")
        return
    fs, fout, ferr, flogged = trace_session(args, trace, False)
    es, eout, eerr, elogged = trace_session(args, trace, True)
    strip = (lambda o: LOGGED.sub("", o))
    if fs != 0 or es != 0 or strip(fout) != strip(eout):
        fails.append(f"{name}: the log's output differs from one stop per hit (status {fs}/{es})"
                     f"\n--- log\n{navlib.clip(fout, 1500)}\n--- exact\n{navlib.clip(eout, 1500)}"
                     f"\n{ferr[-500:]}{eerr[-500:]}")
        return
    matched = [ROW.match(x) for x in fout.splitlines()]
    rows = [r for r in matched if r and int(r.group(3)) == traced_line()]
    calls = sorted(r.group(4) for r in matched if r and int(r.group(3)) != traced_line())
    want_calls = sorted(f"name = '{n}', rounds = 60" for n in saw)
    if calls != want_calls:
        fails.append(f"{name}: trace work: {calls}, expected {want_calls}")
    by_thread = {}
    for r in rows:
        by_thread.setdefault(r.group(2), []).append(r.group(4))
    want = sorted(saw.values())
    if sorted(by_thread.values()) != want:
        fails.append(f"{name}: the values per thread are not what the program printed: threads "
                     f"{sorted(by_thread)}, {len(rows)} rows\n{navlib.clip(fout, 1500)}")
    if not flogged or flogged >= len(rows) + len(calls) or elogged != 0:
        fails.append(f"{name}: {flogged} of {len(rows)} hits logged in the program (want some "
                     f"but not all: some values cannot be logged), {elogged} with "
                     f"PYTT_WATCH_EXACT=1")
        return
    print(f"{name}: {len(rows)} hits in {len(by_thread)} threads and {len(calls)} calls, "
          f"{flogged} logged in the program, the same output as a stop per hit, the values "
          f"the program printed")


def main():
    args = navlib.pytt_args(lambda ap: ap.add_argument("--pyenv", action="store_true"))
    pythons = [args.python]
    if args.pyenv:
        root = os.path.expanduser("~/.pyenv/versions")
        for v in ("3.10", "3.11", "3.12", "3.13"):
            found = sorted(glob.glob(os.path.join(root, f"{v}.*", "bin", f"python{v}")))
            if found:
                pythons.append(found[-1])
            else:
                print(f"skipped pyenv {v}: not installed under {root}")
    fails = []
    tmp = tempfile.mkdtemp(prefix="pytt-tlog-")
    for python in pythons:
        check_build(args, python, tmp, fails)
    navlib.finish(fails, tmp, f"kept {tmp}", "trace logged in the program: FAILED")


if __name__ == "__main__":
    main()
