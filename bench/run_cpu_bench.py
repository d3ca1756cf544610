#!/usr/bin/python3
"""pytt CPU benchmarks: native vs `pytt record` vs `pytt replay -a` on pyperformance-like
CPU-bound programs (bench/cpu/*.py), under several environment sizes, and the cost of
`continue` to a breakpoint.

    bench/run_cpu_bench.py [--pytt PATH] [--python PY] [-n RUNS] [--pads N] [--quick]
                           [--smoke] [--only NAME] [--markdown FILE] [--keep]

Environment padding: with ASLR off (as pytt runs programs) the initial stack sits at a fixed
address that shifts with the size of the environment, so a program's hot stack slots move
with it: a store pytt makes at every (counted) dispatch 4K-aliased with such slots at some
sizes and doubled run times (performance.md). So every program is measured under --pads
paddings (default 8: 0, 512, ..., 3584 bytes of an extra variable, spanning 4 KiB of stack
shift), each with native runs both with ASLR off (`setarch -R`, the same layout pytt gives
the program) and on, `pytt record` and `pytt replay -a`; per program the table gives the
median and the worst ratio over the paddings, against each native baseline.

Each (program, padding) runs native ASLR off, native ASLR on, record, replay -a, interleaved,
for N rounds (default 3; --quick: 2; --smoke: 1 round, one padding, tiny sizes, for CTest);
times are medians of the rounds, wall-clock. CPU time (user + system, the command and its
children) is collected too: with other work on the machine it is the steadier figure, and the
report gives the geomean of its ratios beside the wall-clock ones.

Breakpoint speed: bench/cpu/bp_target.py runs ~11M bytecode dispatches, then reaches its
`# BP:target` line once. Each round times
    pytt replay DIR --batch -ex 'break FILE:LINE' -ex c --program-output /dev/null
against
    pytt replay DIR -a --program-output /dev/null
on the same recording (goal: ratio <= 1.2).

Output checks: the recorded program's stdout must equal the native one, and the replay's
(--program-output FILE) must equal the recorded one; a failing or diverging run is reported as
FAILED and makes the exit status 1 (no timing thresholds: the goal column is informative).
Stdlib only (Debian's /usr/bin/python3).
"""

import argparse
import datetime
import os
import platform
import shlex
import subprocess
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CPU = os.path.join(HERE, "cpu")
TIMEOUT = 900

sys.path.insert(0, HERE)
from benchlib import (cpu_model, find_pytt, finish_report, geomean, git_rev,  # noqa: E402
                      mem_total, median, timed)

# program: (default argument, smoke argument, what it exercises)
PROGRAMS = [
    ("objects", "6000", "20", "class instances, attributes, method calls, properties"),
    ("nbody", "180000", "500", "float arithmetic (pyperformance nbody)"),
    ("recursion", "31", "12", "fib, Ackermann, recursive tree build/walk"),
    ("strings", "210000", "1000", "join, %-format, str.format, f-strings, split/replace"),
    ("dicts_sets", "200000", "3000", "dict/set inserts, lookups, deletes, set algebra"),
    ("generators", "1700000", "10000", "generator pipelines, yield from, itertools, iterators"),
]
BP_PROGRAM = ("bp_target", "1000000", "20000")


def py_version(py):
    try:
        return subprocess.run([py, "-c", "import sys; print(sys.version.split()[0])"],
                              capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        return "unknown"


def fmt_s(x):
    return "FAILED" if x is None else f"{x:.3f}"


def fmt_r(x):
    return "—" if x is None else f"{x:.2f}×"


def padded_env(pad):
    env = dict(os.environ)
    env["PYTT_BENCH_PAD"] = "x" * pad
    return env


def ratio_stats(ratios):
    """(median, worst) of the ratios that exist."""
    ok = [r for r in ratios if r]
    return (median(ok), max(ok)) if ok else (None, None)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pytt", default=None, help="pytt binary (default: $PYTT or build*/cli/pytt)")
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("-n", "--runs", type=int, default=3)
    ap.add_argument("--pads", type=int, default=8, help="environment paddings (4 KiB / N apart)")
    ap.add_argument("--quick", action="store_true", help="2 rounds")
    ap.add_argument("--smoke", action="store_true", help="1 round, 1 padding, tiny sizes (CTest)")
    ap.add_argument("--only", action="append", help="run only these programs (repeatable)")
    ap.add_argument("--markdown", help="also write the report to this file")
    ap.add_argument("--keep", action="store_true", help="keep the traces")
    a = ap.parse_args()
    pytt = os.path.abspath(a.pytt) if a.pytt else find_pytt()
    if not pytt or not os.access(pytt, os.X_OK):
        print(f"run_cpu_bench: no pytt binary (looked at --pytt, $PYTT, {REPO}/build*/cli/pytt)",
              file=sys.stderr)
        return 2
    runs = 1 if a.smoke else 2 if a.quick else a.runs
    npads = 1 if a.smoke else max(1, a.pads)
    pads = [i * 4096 // npads for i in range(npads)]
    py = a.python
    work = tempfile.mkdtemp(prefix="pytt-cpu-bench-")
    progs = [p for p in PROGRAMS if not a.only or p[0] in a.only]
    failures = []
    kinds = ("native", "native_aslr", "record", "replay")
    times = {(p[0], pad, k): [] for p in progs for pad in pads for k in kinds}
    cpus = {(p[0], pad, k): [] for p in progs for pad in pads for k in kinds}
    bp_times = {"continue": [], "replay": [], "start": []}

    def cmd_of(name, default, smoke):
        return [py, os.path.join(CPU, name + ".py"), smoke if a.smoke else default]

    def ok(kind, name, r, want_status=0):
        if r.status != want_status:
            failures.append(f"{kind} {name}: exit status {r.status}, expected {want_status}: "
                            + r.stderr.decode("utf-8", "replace").strip()[-400:])
            return None
        return r.seconds

    def keep(name, pad, kind, r, seconds):
        times[(name, pad, kind)].append(seconds)
        cpus[(name, pad, kind)].append(r.cpu if seconds is not None else None)

    # the breakpoint benchmark's recording, made once
    bp_name, bp_default, bp_smoke = BP_PROGRAM
    bp_file = os.path.join(CPU, bp_name + ".py")
    bp_line = next(i for i, t in enumerate(open(bp_file), 1) if "# BP:target" in t)
    bp_trace = os.path.join(work, "bp_target")
    r = timed([pytt, "record", "-o", bp_trace, "--"] + cmd_of(*BP_PROGRAM), capture=True)
    bp_ok = ok("record", bp_name, r) is not None
    bp_cont_cmd = [pytt, "replay", bp_trace, "--batch", "-ex", f"break {bp_file}:{bp_line}",
                   "-ex", "c", "--program-output", os.devnull]
    bp_auto_cmd = [pytt, "replay", bp_trace, "-a", "--program-output", os.devnull]
    # the shell alone: start the replay, reach the main script's first line, quit
    bp_start_cmd = [pytt, "replay", bp_trace, "--batch", "--program-output", os.devnull]

    for rnd in range(runs):
        for name, default, smoke, _ in progs:
            cmd = cmd_of(name, default, smoke)
            for pad in pads:
                env = padded_env(pad)
                nat = timed(["setarch", "-R"] + cmd, capture=True, env=env)
                keep(name, pad, "native", nat, ok("native", name, nat))
                asl = timed(cmd, capture=True, env=env)
                keep(name, pad, "native_aslr", asl, ok("native (ASLR on)", name, asl))
                trace = os.path.join(work, f"{name}-{pad}-{rnd}")
                rec = timed([pytt, "record", "-o", trace, "--"] + cmd, capture=True, env=env)
                keep(name, pad, "record", rec, ok("record", name, rec, nat.status))
                if rec.status == nat.status and rec.stdout != nat.stdout:
                    failures.append(f"record {name}: the recorded run printed {rec.stdout[:80]!r}, "
                                    f"natively {nat.stdout[:80]!r}")
                if rec.status != nat.status:
                    keep(name, pad, "replay", rec, None)
                    continue
                out_file = os.path.join(work, f"{name}-{pad}-{rnd}.out")
                rep = timed([pytt, "replay", trace, "-a", "--program-output", out_file])
                keep(name, pad, "replay", rep, ok("replay", name, rep, rec.status))
                replayed = open(out_file, "rb").read() if os.path.exists(out_file) else b""
                if rep.status == rec.status and replayed != rec.stdout:
                    failures.append(f"replay {name}: output differs from the recording "
                                    f"({replayed[:80]!r} vs {rec.stdout[:80]!r})")
                if not a.keep:
                    shutil.rmtree(trace, ignore_errors=True)
        if bp_ok:
            c = timed(bp_cont_cmd, capture=True)
            bp_times["continue"].append(ok("continue to breakpoint", bp_name, c))
            au = timed(bp_auto_cmd)
            bp_times["replay"].append(ok("replay -a", bp_name, au))
            st = timed(bp_start_cmd)
            bp_times["start"].append(ok("replay --batch (start only)", bp_name, st))
            if c.status == 0 and f"({bp_line})target()" not in c.stdout.decode("utf-8", "replace"):
                failures.append(f"continue to breakpoint: no stop at {bp_file}:{bp_line}: "
                                + c.stdout.decode("utf-8", "replace")[-300:])
        print(f"round {rnd + 1}/{runs} done", file=sys.stderr)

    m = {k: median(v) for k, v in times.items()}
    mc = {k: median(v) for k, v in cpus.items()}

    def ratios(name, kind, base, table=m):
        return [table[(name, pad, kind)] / table[(name, pad, base)]
                if table[(name, pad, kind)] and table[(name, pad, base)] else None
                for pad in pads]

    out = []
    stamp = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    cmdline = " ".join(shlex.quote(x) for x in ["bench/run_cpu_bench.py"] + sys.argv[1:])
    out.append(f"### pytt CPU benchmarks ({stamp})")
    out.append("")
    out.append(f"- command: `/usr/bin/python3 {cmdline}` (from the repository root); pytt: "
               f"`{pytt}` (git {git_rev()})")
    out.append(f"- machine: {platform.node()}, {os.cpu_count()} CPUs (usable "
               f"{len(os.sched_getaffinity(0))}), {cpu_model()}, {mem_total()} RAM, "
               f"Linux {platform.release()}")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    out.append(f"- load average at the end: {load} (other work on the machine skews timings)")
    out.append(f"- interpreter: `{py}` (Python {py_version(py)}); {len(pads)} environment "
               f"padding(s) ({', '.join(map(str, pads))} bytes); medians of {runs} interleaved "
               f"round(s) per padding; ratios against native with ASLR off (`setarch -R`, the "
               f"layout pytt gives the program) unless said; wall-clock"
               + ("; SMOKE sizes (not meaningful timings)" if a.smoke else ""))
    out.append("")
    out.append("| program | what | native (s) | record/native median | worst | "
               "replay/native median | worst | record/native ASLR on, worst |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    med_rec, med_rep, worst_all, cpu_rec, cpu_rep = [], [], [], [], []
    for name, default, smoke, what in progs:
        nat = median([m[(name, pad, "native")] for pad in pads])
        rmed, rworst = ratio_stats(ratios(name, "record", "native"))
        pmed, pworst = ratio_stats(ratios(name, "replay", "native"))
        _, aworst = ratio_stats(ratios(name, "record", "native_aslr"))
        med_rec.append(rmed)
        med_rep.append(pmed)
        worst_all += [rworst, pworst]
        cpu_rec.append(ratio_stats(ratios(name, "record", "native", mc))[0])
        cpu_rep.append(ratio_stats(ratios(name, "replay", "native", mc))[0])
        arg = smoke if a.smoke else default
        out.append(f"| `{name}.py {arg}` | {what} | {fmt_s(nat)} | {fmt_r(rmed)} | "
                   f"{fmt_r(rworst)} | {fmt_r(pmed)} | {fmt_r(pworst)} | {fmt_r(aworst)} |")
    worst = max([w for w in worst_all if w], default=None)
    out.append(f"| **GEOMEAN** (of the medians) | | | **{fmt_r(geomean(med_rec))}** | "
               f"worst of all **{fmt_r(worst)}** | **{fmt_r(geomean(med_rep))}** | | |")
    out.append("")
    out.append(f"- CPU time (user + system) instead of wall-clock: record/native geomean "
               f"{fmt_r(geomean(cpu_rec))}, replay/native {fmt_r(geomean(cpu_rep))}.")
    out.append("- per padding, record/native: " + "; ".join(
        f"{name} " + " ".join(fmt_r(r) for r in ratios(name, "record", "native"))
        for name, *_ in progs))
    out.append("")
    c, au = median(bp_times["continue"]), median(bp_times["replay"])
    ratio = c / au if c and au else None
    out.append("Breakpoint speed (`bp_target.py "
               f"{bp_smoke if a.smoke else bp_default}`: the breakpoint line is reached once):")
    out.append("")
    out.append("| measurement | seconds | ratio | goal |")
    out.append("| --- | ---: | ---: | --- |")
    out.append(f"| `pytt replay DIR -a --program-output /dev/null` | {fmt_s(au)} | 1.00× | |")
    out.append(f"| `pytt replay DIR --batch -ex 'break bench/cpu/bp_target.py:{bp_line}' -ex c "
               f"--program-output /dev/null` | {fmt_s(c)} | {fmt_r(ratio)} | ≤ 1.2× "
               f"({'met' if ratio and ratio <= 1.2 else 'NOT met' if ratio else 'not measured'}) |")
    st = median(bp_times["start"])
    out.append(f"| `pytt replay DIR --batch --program-output /dev/null` (the shell's start alone: "
               f"replay to the main script's first line) | {fmt_s(st)} | "
               f"{fmt_r(st / au if st and au else None)} | |")
    if c and st and au:
        out.append("")
        out.append(f"- `continue` itself (break+c minus the start alone): {c - st:.3f} s for the "
                   f"rest of the run, vs {au:.3f} s for the whole run under -a: "
                   f"{(c - st) / au:.2f}× (negative or ~0: within noise)")
    return finish_report(out, failures, a.markdown, a.keep, work)


if __name__ == "__main__":
    sys.exit(main())
