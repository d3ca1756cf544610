#!/usr/bin/python3
"""pytt benchmarks: native vs `pytt record` vs `pytt replay -a`, in one run.

    bench/run_bench.py [--pytt PATH] [-n RUNS] [--quick] [--smoke] [--markdown FILE]

Native, record and replay runs are interleaved (one of each per round) and medians of N rounds
are reported, with ratios. Measured:
 1. record slowdown, CPU-bound program (bench/cpu_loop.py, ~1.5 s natively);
 2. record slowdown, syscall-heavy program (bench/syscall_heavy.py: 20,000 os.read of 64 bytes
    plus 5,000 os.stat), and the per-syscall overhead in microseconds;
 3. `pytt record python3.11 -c pass` vs `python3.11 -c pass` (startup cost; ~16 ms natively,
    so it gets --pass-runs interleaved rounds of its own, 21 by default);
 4. `pytt replay DIR -a` time vs native time for programs 1 and 2;
 5. trace bytes per syscall: size of DIR/events / number of syscall events (from
    `pytt replay DIR --batch -ex info`'s `events: N` line when available, else from
    `strace -c -f` on a native run; the source is reported);
 6. the syscall mix of the recorded syscall-heavy and `-c pass` traces (`pytt events DIR`):
    how many syscall events (two ptrace stops each) are in issue #15's in-process list and how
    many a record-time seccomp filter could let through unseen.
Besides wall-clock ratios, CPU ratios (user + system time of pytt and the program, from
getrusage of the children) are reported: on a loaded machine they move much less.
The load average at the start and the end is reported with the figures (a shared machine).
Prints a markdown table (with the command, machine and date) to paste into docs/performance.md.
--quick: 3 rounds. --smoke: 1 round with small sizes (a CTest smoke test; no thresholds: it
fails only if pytt itself fails). Runs needing pytt that fail are reported as FAILED and make the
exit status 1.
Stdlib only (Debian's /usr/bin/python3).
"""

import argparse
import datetime
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TIMEOUT = 600

sys.path.insert(0, HERE)
from benchlib import (cpu_model, find_pytt, finish_report, load_average, mem_total,  # noqa: E402
                      median, timed)

# Issue #15's in-process ("syscallbuf") list: cheap calls a per-thread buffer in the tracee could
# make and log without a ptrace stop (read/pread64/write only of regular files, futex only wakes:
# counted here by name, so the share is an upper bound).
BUFFERABLE = {"clock_gettime", "gettimeofday", "time", "read", "pread64", "fstat", "newfstatat",
              "statx", "lseek", "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid",
              "getegid", "futex", "getrandom", "write"}
# Calls replay runs for real (EXECUTE rows) that neither the recorder nor replay needs to see:
# what a record-time seccomp filter could let through with no stop at all.
UNSEEN = {"rt_sigaction", "rt_sigprocmask", "sigaltstack", "madvise", "brk"}


def strace_count(cmd, cwd):
    """Total syscalls of a native run according to strace -c -f, or None."""
    if not shutil.which("strace"):
        return None
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as f:
        subprocess.run(["strace", "-c", "-f", "-o", f.name] + cmd, cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=TIMEOUT)
        m = re.search(r"^\s*100\.00\s+\S+\s+(?:\S+\s+)?(\d+)\s+(?:\d+\s+)?total\s*$",
                      f.read(), re.M)
    return int(m.group(1)) if m else None


def pytt_event_count(pytt, trace, cwd):
    """The `events: N` line of `pytt replay DIR --batch -ex info`, or None."""
    try:
        p = subprocess.run([pytt, "replay", trace, "--batch", "-ex", "info"], cwd=cwd,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        return None
    m = re.search(rb"^\s*events:\s*(\d+)", p.stdout + p.stderr, re.M)
    return int(m.group(1)) if m else None


def syscall_mix(pytt, trace, cwd):
    """Counts of the trace's syscall events by name (from `pytt events DIR`), or None."""
    try:
        p = subprocess.run([pytt, "events", trace], cwd=cwd, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=300)
    except subprocess.TimeoutExpired:
        return None
    if p.returncode != 0:
        return None
    counts = {}
    for name in re.findall(rb"^\s*\d+ syscall ([a-z_0-9]+)\(", p.stdout, re.M):
        counts[name.decode()] = counts.get(name.decode(), 0) + 1
    return counts


def mix_line(label, counts):
    """One report line: how many of a trace's syscalls (each two ptrace stops today) fall in the
    issue's bufferable list and in the set a seccomp filter could let through unseen."""
    total = sum(counts.values())
    if not total:
        return f"- syscall mix, {label}: no syscall events"
    buf = sum(n for k, n in counts.items() if k in BUFFERABLE)
    unseen = sum(n for k, n in counts.items() if k in UNSEEN)
    top = ", ".join(f"{k} {n}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1])[:6])
    return (f"- syscall mix, {label}: {total} syscall events; in-process list (upper bound) "
            f"{buf} ({100 * buf / total:.0f}%); seccomp-allowable {unseen} "
            f"({100 * unseen / total:.0f}%); most frequent: {top}")


def fmt_s(x):
    return "—" if x is None else f"{x:.3f}"


def fmt_ratio(a, b):
    return "—" if a is None or b is None or b == 0 else f"{a / b:.2f}×"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pytt", default=None, help="pytt binary (default: $PYTT or build*/cli/pytt)")
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("-n", "--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="3 rounds")
    ap.add_argument("--smoke", action="store_true", help="1 round, small sizes (CTest)")
    ap.add_argument("--cpu-iterations", type=int, default=None)
    ap.add_argument("--reads", type=int, default=None, help="os.read calls (default 20000)")
    ap.add_argument("--pass-runs", type=int, default=None,
                    help="rounds of `-c pass` (default 21; 3 with --smoke)")
    ap.add_argument("--markdown", help="also write the markdown report to this file")
    ap.add_argument("--keep", action="store_true", help="keep the traces")
    a = ap.parse_args()
    pytt = os.path.abspath(a.pytt) if a.pytt else find_pytt()
    if not pytt or not os.access(pytt, os.X_OK):
        print(f"run_bench: no pytt binary (looked at --pytt, $PYTT, {REPO}/build*/cli/pytt)",
              file=sys.stderr)
        return 2
    runs = 1 if a.smoke else 3 if a.quick else a.runs
    cpu_n = a.cpu_iterations or (100_000 if a.smoke else 3_500_000)
    reads = a.reads or (2_000 if a.smoke else 20_000)
    py = a.python
    work = tempfile.mkdtemp(prefix="pytt-bench-")
    load_start = load_average()
    cpu_cmd = [py, os.path.join(HERE, "cpu_loop.py"), str(cpu_n)]
    sys_cmd = [py, os.path.join(HERE, "syscall_heavy.py"), str(reads)]
    pass_cmd = [py, "-c", "pass"]
    benches = [("cpu", cpu_cmd, True), ("sys", sys_cmd, True), ("pass", pass_cmd, False)]
    res = {(b, k): [] for b, _, _ in benches for k in ("native", "record", "replay")}
    failures = []
    traces = {}

    def check(kind, bench, r, expected):
        if r.status != expected:
            failures.append(f"{kind} {bench}: exit status {r.status}, expected {expected}: "
                            + r.stderr.decode("utf-8", "replace").strip()[-500:])
            return None
        return r

    for rnd in range(runs):
        for bench, cmd, do_replay in benches:
            nat = timed(cmd, cwd=work, timeout=TIMEOUT)
            res[(bench, "native")].append(check("native", bench, nat, 0))
            trace = os.path.join(work, f"{bench}-{rnd}")
            rec = timed([pytt, "record", "-o", trace, "--"] + cmd, cwd=work, timeout=TIMEOUT)
            res[(bench, "record")].append(check("record", bench, rec, nat.status))
            if rec.status == nat.status:
                traces[bench] = trace
                if do_replay:
                    rep = timed([pytt, "replay", trace, "-a"], cwd=work, timeout=TIMEOUT)
                    res[(bench, "replay")].append(check("replay", bench, rep, rec.status))
        print(f"round {rnd + 1}/{runs} done", file=sys.stderr)

    # -c pass takes ~16 ms: three rounds are noise, so it gets rounds of its own.
    pass_runs = a.pass_runs or (3 if a.smoke else 21)
    for rnd in range(runs, pass_runs):
        nat = timed(pass_cmd, cwd=work, timeout=TIMEOUT)
        res[("pass", "native")].append(check("native", "pass", nat, 0))
        trace = os.path.join(work, f"pass-{rnd}")
        rec = timed([pytt, "record", "-o", trace, "--"] + pass_cmd, cwd=work, timeout=TIMEOUT)
        res[("pass", "record")].append(check("record", "pass", rec, nat.status))
        if rec.status == nat.status:
            traces["pass"] = trace

    # Syscall counts (not timed): strace on native runs, pytt's own count when it has one.
    n_sys = strace_count(sys_cmd, work)
    n_pass = strace_count(pass_cmd, work)
    ev_bytes, ev_count, ev_source, ev_unit = {}, {}, {}, {}
    for bench, cmd, _ in benches:
        t = traces.get(bench)
        if t and os.path.exists(os.path.join(t, "events")):
            ev_bytes[bench] = os.path.getsize(os.path.join(t, "events"))
            n = pytt_event_count(pytt, t, work)
            if n is not None:
                ev_count[bench], ev_source[bench] = n, "`pytt replay DIR --batch -ex info`"
                ev_unit[bench] = "events (pytt's `events: N`: syscalls plus signal/rdtsc/clock events)"
            else:
                ev_count[bench] = strace_count(cmd, work)
                ev_source[bench] = "`strace -c -f` on a native run"
                ev_unit[bench] = "syscalls"

    load_end = load_average()
    m = {k: median([r.seconds for r in v if r is not None]) for k, v in res.items()}
    mc = {k: median([r.cpu for r in v if r is not None and r.cpu is not None])
          for k, v in res.items()}
    rows = [
        ("record, CPU-bound (`cpu_loop.py " + str(cpu_n) + "`)", m[("cpu", "native")], m[("cpu", "record")]),
        (f"record, syscall-heavy (`syscall_heavy.py {reads}`)", m[("sys", "native")], m[("sys", "record")]),
        ("record, startup (`python3.11 -c pass`)", m[("pass", "native")], m[("pass", "record")]),
        ("replay -a, CPU-bound", m[("cpu", "native")], m[("cpu", "replay")]),
        ("replay -a, syscall-heavy", m[("sys", "native")], m[("sys", "replay")]),
    ]
    cmdline = " ".join(shlex.quote(x) for x in [os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:])
    out = []
    out.append(f"### pytt benchmarks ({datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')})")
    out.append("")
    out.append(f"- command: `{cmdline}` (from the repository root), pytt: `{pytt}`")
    out.append(f"- machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
               f"{cpu_model()}, {mem_total()} RAM, Linux {platform.release()}")
    out.append(f"- recorded interpreter: `{py}`; medians of {runs} interleaved round(s) "
               f"(native, record, replay per round); wall-clock seconds")
    out.append(f"- load average (1/5/15 min) at the start: {load_start}; at the end: "
               f"{load_end}")
    out.append("")
    out.append(f"- `-c pass`: medians of {len(res[('pass', 'record')])} rounds")
    out.append("")
    out.append("| benchmark | native (s) | pytt (s) | ratio | pytt min–max (s) | CPU ratio |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    keys = [("cpu", "record"), ("sys", "record"), ("pass", "record"), ("cpu", "replay"), ("sys", "replay")]
    for (label, nat, tt), key in zip(rows, keys):
        ok = [r.seconds for r in res[key] if r is not None]
        spread = f"{min(ok):.3f}–{max(ok):.3f}" if ok else "FAILED"
        cpu = fmt_ratio(mc[key], mc[(key[0], "native")])
        out.append(f"| {label} | {fmt_s(nat)} | {fmt_s(tt) if tt is not None else 'FAILED'} | "
                   f"{fmt_ratio(tt, nat)} | {spread} | {cpu} |")
    out.append("")
    d_sys = (m[("sys", "record")] - m[("sys", "native")]) if m[("sys", "record")] and m[("sys", "native")] else None
    d_pass = (m[("pass", "record")] - m[("pass", "native")]) if m[("pass", "record")] and m[("pass", "native")] else None
    if d_sys is not None and n_sys:
        line = (f"- record overhead per syscall: {d_sys / n_sys * 1e6:.1f} µs "
                f"((record − native) / {n_sys} syscalls of syscall_heavy.py per `strace -c -f`)")
        if d_pass is not None and n_pass is not None and n_sys > n_pass:
            line += (f"; {(d_sys - d_pass) / (n_sys - n_pass) * 1e6:.1f} µs with the startup "
                     f"overhead of `-c pass` ({n_pass} syscalls) subtracted")
        out.append(line)
    else:
        out.append("- record overhead per syscall: not measured "
                   f"(record failed or strace unavailable; strace count {n_sys})")
    for bench, label in (("sys", "syscall_heavy.py"), ("cpu", "cpu_loop.py"), ("pass", "-c pass")):
        if bench in ev_bytes and ev_count.get(bench):
            out.append(f"- trace size, {label}: {ev_bytes[bench]} bytes of DIR/events / "
                       f"{ev_count[bench]} {ev_unit[bench]} = "
                       f"{ev_bytes[bench] / ev_count[bench]:.1f} bytes per event "
                       f"(count from {ev_source[bench]})")
        elif bench in ev_bytes:
            out.append(f"- trace size, {label}: {ev_bytes[bench]} bytes of events (no event count)")
    for bench, label in (("sys", "syscall_heavy.py"), ("pass", "-c pass")):
        counts = syscall_mix(pytt, traces[bench], work) if traces.get(bench) else None
        if counts is not None:
            out.append(mix_line(label, counts))
    return finish_report(out, failures, a.markdown, a.keep, work)


if __name__ == "__main__":
    sys.exit(main())
