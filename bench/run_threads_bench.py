#!/usr/bin/python3
"""pytt with threads: native vs `pytt record` vs `pytt replay -a` on a 4-thread CPU-bound
program (bench/threads/cpu4.py: the GIL serializes it natively too; goal: no worse than the
single-threaded CPU set) and a thread-pool I/O program (bench/threads/io_pool.py: goal <= 2x);
and how quickly the race of tests/replay/programs/threads_race.py fails natively, under
`pytt record` and under `pytt record --chaos` (median time to the assertion over N runs).

    bench/run_threads_bench.py [--pytt PATH] [--python PY] [-n RUNS] [--race-runs N]
                               [--smoke] [--markdown FILE]

Interleaved rounds, medians, wall-clock (CPU time beside it). Output checks: the recorded
run prints what the native one does (the I/O program's total), the replay what the recording
did. Stdlib only.
"""
import datetime
import os
import platform
import shlex
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from benchlib import (common_parser, cpu_model, find_pytt, finish_report,  # noqa: E402
                      git_rev, median, mem_total, timed)

PROGRAMS = [("cpu4", "200000", "2000", "4 CPU-bound threads", "<= 1.15x"),
            ("io_pool", "400", "40", "8-thread pool doing file I/O and sleeps", "<= 2x")]
RACE = os.path.join(REPO, "tests", "replay", "programs", "threads_race.py")


def fmt(x, unit=""):
    return "—" if x is None else f"{x:.3f}{unit}"


def main():
    ap = common_parser(__doc__)
    ap.add_argument("--race-runs", type=int, default=10)
    a = ap.parse_args()
    pytt = os.path.abspath(a.pytt) if a.pytt else find_pytt()
    runs = 1 if a.smoke else a.runs
    work = tempfile.mkdtemp(prefix="pytt-threads-bench-")
    failures = []
    times = {}
    for rnd in range(runs):
        for name, arg, smoke, _, _ in PROGRAMS:
            cmd = [a.python, os.path.join(HERE, "threads", name + ".py"), smoke if a.smoke else arg]
            nat = timed(cmd, capture=True)
            trace = os.path.join(work, f"{name}-{rnd}")
            rec = timed([pytt, "record", "-o", trace, "--"] + cmd, capture=True)
            out = os.path.join(work, f"{name}-{rnd}.out")
            rep = timed([pytt, "replay", trace, "-a", "--program-output", out])
            for kind, r in (("native", nat), ("record", rec), ("replay", rep)):
                if r.status != 0:
                    failures.append(f"{kind} {name}: status {r.status}: "
                                    + r.stderr.decode("utf-8", "replace")[-300:])
                times.setdefault((name, kind), []).append(r.seconds if r.status == 0 else None)
                times.setdefault((name, kind + "_cpu"), []).append(r.cpu if r.status == 0 else None)
            if rec.stdout != nat.stdout:
                failures.append(f"record {name}: printed {rec.stdout[:60]!r}, natively "
                                f"{nat.stdout[:60]!r}")
            if os.path.exists(out) and open(out, "rb").read() != rec.stdout:
                failures.append(f"replay {name}: output differs from the recording")
            shutil.rmtree(trace, ignore_errors=True)
        print(f"round {rnd + 1}/{runs}", file=sys.stderr)
    race = {}
    for kind, pre in (("native", []), ("record", [pytt, "record", "-o", None, "--"]),
                      ("chaos", [pytt, "record", "--chaos", "-o", None, "--"])):
        for i in range(1 if a.smoke else a.race_runs):
            cmd = list(pre)
            if None in cmd:
                cmd[cmd.index(None)] = os.path.join(work, f"race-{kind}-{i}")
            r = timed(cmd + [a.python, RACE], capture=True, timeout=300)
            ok = r.status == 134
            race.setdefault(kind, []).append(r.seconds if ok else None)
            if not ok:
                failures.append(f"race ({kind}): status {r.status}, expected 134 (abort)")
    m = {k: median(v) for k, v in times.items()}
    out = []
    stamp = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    out.append(f"### pytt with threads ({stamp})")
    out.append("")
    cmdline = " ".join(shlex.quote(x) for x in ["bench/run_threads_bench.py"] + sys.argv[1:])
    out.append(f"- command: `/usr/bin/python3 {cmdline}`; pytt `{pytt}` (git {git_rev()})")
    out.append(f"- machine: {platform.node()}, {os.cpu_count()} CPUs, {cpu_model()}, "
               f"{mem_total()} RAM; load average at the end: "
               + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    out.append(f"- medians of {runs} interleaved round(s); wall-clock seconds (CPU time ratios "
               "after them)")
    out.append("")
    out.append("| program | what | native (s) | record/native | replay/native | goal |")
    out.append("| --- | --- | ---: | ---: | ---: | --- |")
    for name, arg, smoke, what, goal in PROGRAMS:
        nat, rec, rep = m[(name, "native")], m[(name, "record")], m[(name, "replay")]
        nc, rc, pc = m[(name, "native_cpu")], m[(name, "record_cpu")], m[(name, "replay_cpu")]
        rr = f"{rec / nat:.2f}× (CPU {rc / nc:.2f}×)" if rec and nat and rc and nc else "—"
        pr = f"{rep / nat:.2f}× (CPU {pc / nc:.2f}×)" if rep and nat and pc and nc else "—"
        out.append(f"| `{name}.py {smoke if a.smoke else arg}` | {what} | {fmt(nat)} | {rr} | "
                   f"{pr} | {goal} |")
    out.append("")
    out.append(f"Time to the race's assertion (`threads_race.py`, {len(race['native'])} runs "
               "each, median seconds, all runs must abort):")
    out.append("")
    out.append("| how | median (s) | runs |")
    out.append("| --- | ---: | --- |")
    for kind in ("native", "record", "chaos"):
        label = {"native": "native", "record": "pytt record",
                 "chaos": "pytt record --chaos"}[kind]
        vals = [v for v in race[kind] if v is not None]
        out.append(f"| {label} | {fmt(median(vals))} | "
                   + ", ".join(f"{v:.2f}" for v in vals) + " |")
    return finish_report(out, failures, a.markdown, False, work)


if __name__ == "__main__":
    sys.exit(main())
