#!/usr/bin/python3
"""`pytt record --children` on a multiprocessing.Pool.map program with 4 spawn workers
(bench/children/pool_map.py): native vs `pytt record` (the parent alone: its workers run
untraced except under the parent's gate) vs `pytt record --children` (every worker recorded by
a recorder of its own). Goal: --children <= 1.5x the parent alone. The parent's replay of each
--children recording must reproduce its output. --baseline PATH adds another build's
`record --children` to the same rounds (a before/after comparison under the same load).

    bench/run_children_bench.py [--pytt PATH] [--baseline PATH] [--python PY] [-n RUNS] [--smoke]
                                [--markdown FILE]

Interleaved rounds, medians of wall-clock seconds (CPU time of pytt and all its children beside
them). The load average is reported: the machine may be shared. Stdlib only.
"""
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import (command_line, common_parser, find_pytt, finish_report,  # noqa: E402
                      git_rev, load_average, machine_line, median, stamp, timed)

PROG = os.path.join(HERE, "children", "pool_map.py")


def main():
    ap = common_parser(__doc__)
    ap.add_argument("--tasks", type=int, default=32)
    ap.add_argument("--size", type=int, default=300000)
    ap.add_argument("--baseline", help="another pytt whose --children is timed in the same rounds")
    a = ap.parse_args()
    pytt = os.path.abspath(a.pytt) if a.pytt else find_pytt()
    runs_of = [("parent", pytt, []), ("children", pytt, ["--children"])]
    if a.baseline:
        runs_of.append(("baseline", os.path.abspath(a.baseline), ["--children"]))
    runs = 1 if a.smoke else a.runs
    args = ["8", "20000"] if a.smoke else [str(a.tasks), str(a.size)]
    cmd = [a.python, PROG] + args
    work = tempfile.mkdtemp(prefix="pytt-children-bench-")
    load_start = load_average()
    failures, times = [], {}
    for rnd in range(runs):
        nat = timed(cmd, capture=True)
        kinds = [("native", nat)]
        for kind, exe, opt in runs_of:
            trace = os.path.join(work, f"{kind}-{rnd}")
            r = timed([exe, "record", "-o", trace] + opt + ["--"] + cmd, capture=True)
            kinds.append((kind, r))
            if r.status == 0 and r.stdout != nat.stdout:
                failures.append(f"record {kind}: printed {r.stdout!r}, natively {nat.stdout!r}")
            if kind != "parent" and r.status == 0:
                out = trace + ".out"
                rep = timed([exe, "replay", trace, "-a", "--program-output", out])
                if rep.status != 0 or open(out, "rb").read() != r.stdout:
                    failures.append(f"{kind}: replay of the parent (round {rnd + 1}) differs: status "
                                    f"{rep.status} {rep.stderr[-300:]!r}")
            shutil.rmtree(trace, ignore_errors=True)
        for kind, r in kinds:
            if r.status != 0:
                failures.append(f"{kind}: status {r.status}: "
                                + r.stderr.decode("utf-8", "replace")[-300:])
            times.setdefault(kind, []).append(r.seconds if r.status == 0 else None)
            times.setdefault(kind + "_cpu", []).append(r.cpu if r.status == 0 else None)
        print(f"round {rnd + 1}/{runs}", file=sys.stderr)
    m = {k: median(v) for k, v in times.items()}
    out = [f"### record --children ({stamp()})", "",
           f"- command: `{command_line('bench/run_children_bench.py')}`; pytt `{pytt}` "
           f"(git {git_rev()})",
           f"- program: `pool_map.py {' '.join(args)}` (Pool(4), spawn, {args[0]} tasks)",
           machine_line(load_start),
           f"- medians of {runs} interleaved round(s); wall-clock seconds (CPU seconds)", "",
           "| run | seconds (CPU) | / native | / parent alone | goal |",
           "| --- | ---: | ---: | ---: | --- |"]

    def row(kind, label, goal):
        t, c = m.get(kind), m.get(kind + "_cpu")
        nat, par = m.get("native"), m.get("parent")
        r1 = f"{t / nat:.2f}×" if t and nat else "—"
        r2 = f"{t / par:.2f}×" if t and par else "—"
        out.append(f"| {label} | {t:.3f} ({c:.2f}) | {r1} | {r2} | {goal} |" if t and c else
                   f"| {label} | — | — | — | {goal} |")
    row("native", "native", "")
    row("parent", "`pytt record` (parent alone)", "")
    row("children", "`pytt record --children`", "<= 1.5× parent alone")
    if a.baseline:
        row("baseline", f"`{a.baseline} record --children`", "")
    return finish_report(out, failures, a.markdown, False, work)


if __name__ == "__main__":
    sys.exit(main())
