"""Evaluation benchmark (docs/performance.md), Python evaluated at a moment of a replay:
  - `print EXPR` through the throwaway copy (a fork of the replayed process, the interpreter
    called in it, the copy killed) on a program of --mb megabytes of RSS: p50 and p90 of
    --prints evaluations of `len(data)` (which needs the interpreter), and of `data[0]` (answered
    from memory) for comparison; the program's RSS is measured natively;
  - `continue` to a conditional breakpoint in a loop of --iterations iterations whose condition
    is true once, against the same `continue` to an unconditional breakpoint at the same moment
    (goal: <= 3x), for conditions checked inside the tracee: a local (`i == N-1`) and an
    attribute (`box.n == N-2`); and the cost per hit of a condition decided by pytt from memory
    at every hit (`box.label == 'x'`: str comparisons are not checked in the tracee), on a loop
    of --memory-iterations.
Times are pytt's own `maint time on` wall-clock figures per command; each measure is the median
of --rounds sessions. The machine's load (uptime) is printed: measure on a quiet machine.

    /usr/bin/python3 bench/run_eval_bench.py [--pytt build/cli/pytt] [--mb 100]
        [--iterations 1000000] [--memory-iterations 20000] [--prints 30] [--rounds 3]
        [--markdown FILE] [--keep]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

TARGET = os.path.join(benchlib.HERE, "eval_target.py")
TIME = re.compile(r"^Command execution time: ([0-9.]+) \(wall\)$")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def line_of(needle):
    with open(TARGET) as f:
        for i, text in enumerate(f, 1):
            if needle in text:
                return i
    raise SystemExit(f"bench bug: {needle!r} not in {TARGET}")


def session(pytt, trace, commands):
    """[(command, seconds)] of a `maint time on` session."""
    with tempfile.NamedTemporaryFile("w", suffix=".pytt", delete=False) as f:
        f.write("maint time on\n" + "\n".join(commands) + "\n")
    p = subprocess.run([pytt, "replay", trace, "--batch", "-x", f.name, "--program-output",
                        os.devnull], capture_output=True, text=True, timeout=1800)
    os.unlink(f.name)
    times = [float(m.group(1)) for m in map(TIME.match, p.stdout.splitlines()) if m]
    return times[1:], p.stdout  # the first is `maint time on` itself


def record(pytt, python, args, trace):
    r = benchlib.timed([pytt, "record", "-o", trace, python, TARGET] + args, timeout=1800)
    if r.status != 0:
        raise SystemExit(f"recording {args} failed: {r.stderr.decode()[-500:]}")


def rss_mb(python, mb):
    p = subprocess.run(["/usr/bin/time", "-f", "%M", python, TARGET, "big", str(mb)],
                       capture_output=True, text=True)
    return int(p.stderr.strip().splitlines()[-1]) / 1024


def bench_print(a, work, lines, failures):
    trace = os.path.join(work, "big")
    record(a.pytt, a.python, ["big", str(a.mb)], trace)
    stop = [f"break {TARGET}:{line_of('# the stop')}", "continue"]
    by_expr = {}
    for expr in ("len(data)", "data[0]"):
        cmds = stop + [f"print {expr}"] * a.prints
        times, out = session(a.pytt, trace, cmds)
        t = times[len(stop):]
        if len(t) != a.prints:
            failures.append(f"print {expr}: {len(t)} timings: {out[-300:]}")
            continue
        by_expr[expr] = t
    rss = rss_mb(a.python, a.mb)
    lines += ["", f"`print EXPR` on a program of {rss:.0f} MB RSS (`{TARGET} big {a.mb}`), "
              f"{a.prints} prints each:", "", "| expression | path | p50 | p90 | goal |",
              "| --- | --- | ---: | ---: | --- |"]
    for expr, path, goal in (("len(data)", "throwaway copy", "p50 <= 20 ms"),
                             ("data[0]", "from memory", "")):
        if expr in by_expr:
            t = by_expr[expr]
            lines.append(f"| `{expr}` | {path} | {pct(t, 50) * 1e3:.1f} ms | "
                         f"{pct(t, 90) * 1e3:.1f} ms | {goal} |")
    if "len(data)" in by_expr and pct(by_expr["len(data)"], 50) > 0.020:
        failures.append("print through the copy: p50 above 20 ms")


def bench_condition(a, work, lines, failures):
    trace = os.path.join(work, "loop")
    record(a.pytt, a.python, ["loop", str(a.iterations)], trace)
    n = a.iterations
    cases = [("unconditional", f"break {TARGET}:{line_of('# unconditional')}"),
             ("`i == N-1` (checked in the tracee)",
              f"break {TARGET}:{line_of('# conditional')} if i == {n - 1}"),
             ("`box.n == N-2` (checked in the tracee)",
              f"break {TARGET}:{line_of('# conditional')} if box.n == {n - 2}")]
    med = {}
    for name, bp in cases:
        runs = []
        for _ in range(a.rounds):
            times, out = session(a.pytt, trace, [bp, "continue", "print i"])
            if len(times) < 3 or f"\n{n - 1}\n" not in out:
                failures.append(f"{name}: did not stop at the last iteration: {out[-300:]}")
                break
            runs.append(times[1])
        if runs:
            med[name] = statistics.median(runs)
    base = med.get("unconditional")
    lines += ["", f"`continue` to a breakpoint in a loop of {n:,} iterations, true once "
              f"(`{TARGET} loop {n}`), median of {a.rounds}:", "",
              "| breakpoint | continue | ratio | goal |", "| --- | ---: | ---: | --- |"]
    for name, _ in cases:
        if name in med:
            ratio = med[name] / base if base else float("nan")
            goal = "" if name == "unconditional" else "<= 3x"
            lines.append(f"| {name} | {med[name]:.3f} s | {ratio:.2f}x | {goal} |")
            if goal and ratio > 3:
                failures.append(f"{name}: {ratio:.2f}x the unconditional continue")


def bench_memory_condition(a, work, lines, failures):
    trace = os.path.join(work, "loop-memory")
    n = a.memory_iterations
    record(a.pytt, a.python, ["loop", str(n)], trace)
    bp = f"break {TARGET}:{line_of('# conditional')} if box.label == 'x'"
    runs = []
    for _ in range(a.rounds):
        times, out = session(a.pytt, trace, [bp, "continue"])
        if len(times) < 2 or "exited" not in out:
            failures.append(f"memory condition: did not run to the end: {out[-300:]}")
            return
        runs.append(times[1])
    base_times, _ = session(a.pytt, trace, ["continue"])
    per_hit = (statistics.median(runs) - base_times[0]) / n
    lines += ["", f"A condition decided by pytt from memory at every hit (`box.label == 'x'`, "
              f"never true, {n:,} hits): {statistics.median(runs):.2f} s against "
              f"{base_times[0]:.2f} s without it, {per_hit * 1e6:.0f} µs per hit."]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pytt", default=benchlib.find_pytt())
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--iterations", type=int, default=1000000)
    ap.add_argument("--memory-iterations", type=int, default=20000)
    ap.add_argument("--prints", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--markdown")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="pytt-eval-bench-")
    load = open("/proc/loadavg").read().split()[:3]
    lines = [f"Evaluation benchmark, git {benchlib.git_rev()}, {benchlib.cpu_model()}, "
             f"load average {' '.join(load)} at the start"]
    failures = []
    bench_print(a, work, lines, failures)
    bench_condition(a, work, lines, failures)
    bench_memory_condition(a, work, lines, failures)
    load = open("/proc/loadavg").read().split()[:3]
    lines.append(f"\nload average {' '.join(load)} at the end")
    return benchlib.finish_report(lines, failures, a.markdown, a.keep, work)


if __name__ == "__main__":
    sys.exit(main())
