#!/usr/bin/python3
"""Data over time (issue 12): `history`, `last` and `trace` against `pytt replay -a`, in one run.

    bench/run_watch_bench.py [--pytt PATH] [-n N] [--stride S] [-r ROUNDS] [--what LIST]
                             [--markdown FILE]

Records bench/watch_target.py (N loop iterations; obj.attr changes every S of them; the TRACED
line runs every iteration), then times, median of ROUNDS (default 3):
 - `pytt replay DIR -a` (the whole recording replayed, no stops);
 - a shell session that only starts (`--batch -ex when`): subtracted from the ones below;
 - `history obj.attr` over the whole recording (the issue's goal: <= 1.5x replay -a);
 - `last obj.attr` from the end, the previous change S iterations back;
 - `trace FILE:LINE acc` of the TRACED line (goal: <= 3x replay -a for 10^5 hits).
and checks that history found N/S changes and trace N hits. --what history,last,trace (default
all) picks the measurements: a long recording for history and last (-n 3000000), a shorter one
for trace (its goal is for 10^5 hits). `history` and `last` use the debug registers where the
place allows (obj.attr here: the global's dict entry, the instance's inline values); with
PYTT_WATCH_EXACT=1 in the environment they measure the exact engine instead. The load average
at the start and the end and the git revision are reported (a shared machine: re-measure on a
quiet one). Stdlib only.
"""
import argparse
import datetime
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import (cpu_model, find_pytt, finish_report, git_rev, load_average,  # noqa: E402
                      median, timed)

TARGET = os.path.join(HERE, "watch_target.py")
PYTHON = "/usr/bin/python3.11"


def traced_line():
    with open(TARGET) as f:
        return next(i for i, t in enumerate(f, 1) if "# TRACED" in t)


def session(pytt, trace, cmds):
    args = [pytt, "replay", trace, "--batch"]
    for c in cmds:
        args += ["-ex", c]
    return timed(args, capture=True, timeout=7200)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pytt", default=None)
    ap.add_argument("-n", type=int, default=20000, help="loop iterations (default 20000)")
    ap.add_argument("--stride", type=int, default=1000, help="iterations per change")
    ap.add_argument("-r", "--rounds", type=int, default=3)
    ap.add_argument("--what", default="history,last,trace",
                    help="comma-separated: history, last, trace")
    ap.add_argument("--markdown", default=None)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    what = set(args.what.split(","))
    pytt = args.pytt or find_pytt()
    work = tempfile.mkdtemp(prefix="pytt-watch-bench-")
    trace = os.path.join(work, "trace")
    failures = []
    load0 = load_average()
    r = timed([pytt, "record", "-o", trace, PYTHON, TARGET, str(args.n), str(args.stride)])
    if r.status != 0:
        print(f"recording failed: {r.stderr.decode(errors='replace')}")
        return 1
    line = traced_line()
    changes = (args.n + args.stride - 1) // args.stride
    times = {k: [] for k in ("replay", "start", "history", "last", "trace")}
    for _ in range(args.rounds):
        rep = timed([pytt, "replay", trace, "-a"])
        times["replay"].append(rep.seconds if rep.status == 0 else None)
        start = session(pytt, trace, ["when"])
        times["start"].append(start.seconds)
        if "history" in what:
            h = session(pytt, trace, ["history obj.attr"])
            m = re.search(rb"^(\d+) changes?", h.stdout, re.M)
            if not m or int(m.group(1)) != changes + 1:  # + its first value, where obj is bound
                failures.append(f"history: expected {changes + 1} changes, got "
                                f"{m.group(0).decode() if m else h.stdout[-300:]!r}")
            times["history"].append(h.seconds - start.seconds)
        if "last" in what:
            last_cmds = ["goto end"]
            base = session(pytt, trace, last_cmds)
            la = session(pytt, trace, last_cmds + ["last obj.attr"])
            if b"Last change of obj.attr" not in la.stdout:
                failures.append(f"last: no change found: {la.stdout[-300:]!r}")
            times["last"].append(la.seconds - base.seconds)
        if "trace" in what:
            t = session(pytt, trace, [f"trace watch_target.py:{line} acc"])
            m = re.search(rb"^(\d+) hits?", t.stdout, re.M)
            if not m or int(m.group(1)) != args.n:
                failures.append(f"trace: expected {args.n} hits, got "
                                f"{m.group(0).decode() if m else t.stdout[-300:]!r}")
            times["trace"].append(t.seconds - start.seconds)
    med = {k: median(v) if v else None for k, v in times.items()}
    rep = med["replay"] or 0
    ratio = (lambda x: f"{x / rep:.1f}x" if rep and x is not None else "-")
    secs = (lambda x: f"{x:.2f}" if x is not None else "-")
    cols = (lambda k: f"{secs(med[k])} | {ratio(med[k])}")
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    exact = " (PYTT_WATCH_EXACT=1)" if os.environ.get("PYTT_WATCH_EXACT") else ""
    lines = [
        f"Command: `bench/run_watch_bench.py -n {args.n} --stride {args.stride} "
        f"-r {args.rounds} --what {args.what}`{exact} ({stamp} UTC, git {git_rev()}, "
        f"{cpu_model()}; load average {load0} at the start, "
        f"{load_average()} at the end)",
        "",
        "| measured | median s | vs replay -a |",
        "| --- | --- | --- |",
        f"| `replay -a` ({args.n} iterations) | {cols('replay')} |",
    ]
    if "history" in what:
        lines.append(f"| `history obj.attr` ({changes + 1} changes) | {cols('history')} |")
    if "last" in what:
        lines.append(f"| `last obj.attr` from the end ({args.stride} iterations back) | "
                     f"{cols('last')} |")
    if "trace" in what:
        lines.append(f"| `trace LINE acc` ({args.n} hits) | {cols('trace')} |")
    return finish_report(lines, failures, args.markdown, args.keep, work)


if __name__ == "__main__":
    sys.exit(main())
