"""Reverse-execution benchmark (docs/performance.md): on a long CPU-bound recording
(bench/reverse_target.py, ~30 s natively by default), in one replay session:
  - after `goto` to each of N random moments, the time of the first `reverse-step` and of the
    next 10 consecutive ones (p50, p99);
  - `reverse-continue` to a breakpoint hit about one snapshot interval back (marker(), hit
    every 20,000 iterations), from random moments;
  - `reverse-continue` across the whole recording (breakpoint hit once, at the start) against
    `pytt replay -a` of the same recording;
  - memory of the kept snapshots (proportional set size) against the program's own RSS.
Times are pytt's own `maint time on` wall-clock figures per command.

    /usr/bin/python3 bench/run_reverse_bench.py [--pytt build/cli/pytt] [--seconds 30] [--moments 100]
"""
import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join(ROOT, "bench", "reverse_target.py")
TIME = re.compile(r"^Command execution time: ([0-9.]+) \(wall\)$")
WHEN = re.compile(r"^tick (\d+), event")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def session(pytt, trace, commands):
    """Run commands with timing; returns [(command, output lines, seconds)]."""
    script = "maint time on\n" + "\n".join(commands) + "\n"
    with tempfile.NamedTemporaryFile("w", suffix=".pytt", delete=False) as f:
        f.write(script)
    out = subprocess.run([pytt, "replay", trace, "--batch", "-x", f.name,
                          "--program-output", os.devnull], capture_output=True, text=True,
                         timeout=7200).stdout
    os.unlink(f.name)
    results, lines, it = [], [], iter(["maint time on"] + commands)
    for line in out.splitlines():
        m = TIME.match(line)
        if m:
            results.append((next(it), lines, float(m.group(1))))
            lines = []
        else:
            lines.append(line)
    return results[1:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pytt", default=os.path.join(ROOT, "build", "cli", "pytt"))
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--moments", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = tempfile.mkdtemp()
    trace = os.path.join(tmp, "trace")
    t0 = time.perf_counter()
    subprocess.run([args.python, TARGET, str(args.seconds)], check=True, stdout=subprocess.DEVNULL)
    native = time.perf_counter() - t0
    subprocess.run([args.pytt, "record", "-o", trace, args.python, TARGET, str(args.seconds)],
                   check=True, stdout=subprocess.DEVNULL)
    t0 = time.perf_counter()
    subprocess.run([args.pytt, "replay", trace, "-a", "--program-output", os.devnull], check=True)
    replay_a = time.perf_counter() - t0
    # a moment is C.k (counted dispatches, then instructions): the moments drawn are C's
    end = int(session(args.pytt, trace, ["goto end", "when"])[1][1][-1].split()[1].rstrip(",")
              .split(".")[0])
    # Random moments, visited in increasing order: each goto then runs forward a little instead
    # of replaying seconds from a distant snapshot (goto itself is not what is measured).
    moments = sorted(rng.randrange(end // 20, end) for _ in range(args.moments))
    cmds = ["goto end", "info snapshots"]
    for t in moments:
        cmds += [f"goto {t}", "reverse-step"] + ["reverse-step"] * 10
    results = session(args.pytt, trace, cmds)
    first, following, snap_lines = [], [], results[1][1]
    for i in range(len(moments)):
        block = results[2 + i * 12: 2 + (i + 1) * 12]
        first.append(block[1][2])
        following += [r[2] for r in block[2:]]
    rc_cmds = ["break marker", "goto end"]
    rc_moments = sorted(rng.randrange(end // 4, end) for _ in range(20))
    for t in rc_moments:
        rc_cmds += [f"goto {t}", "reverse-continue"]
    rc_res = session(args.pytt, trace, rc_cmds)
    rc_one = [rc_res[3 + 2 * i][2] for i in range(len(rc_moments))]
    whole = session(args.pytt, trace, ["break first_call", "goto end", "reverse-continue"])[2][2]
    pss = sum(int(m.group(1)) for m in
              (re.search(r"pid \d+\s+(\d+) KiB", l) for l in snap_lines) if m)
    print(f"### pytt reverse execution ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n")
    print(f"- command: `bench/run_reverse_bench.py --seconds {args.seconds:g} --moments "
          f"{args.moments}`; machine: {os.cpu_count()} CPUs; recording: {native:.1f} s native, "
          f"{end:,} ticks; `pytt replay -a`: {replay_a:.1f} s\n")
    print("| measure | p50 | p99 | goal |\n| --- | ---: | ---: | --- |")
    print(f"| first `rs` after `goto` ({len(first)} moments) | {pct(first, 50)*1e3:.0f} ms | "
          f"{pct(first, 99)*1e3:.0f} ms | p50 ≤ 150 ms, p99 ≤ 500 ms |")
    print(f"| next 10 consecutive `rs` ({len(following)}) | {pct(following, 50)*1e3:.1f} ms | "
          f"{pct(following, 99)*1e3:.1f} ms | p50 ≤ 10 ms, p99 ≤ 50 ms |")
    print(f"| `rc` to the previous `marker()` hit ({len(rc_one)}) | {pct(rc_one, 50)*1e3:.0f} ms | "
          f"{pct(rc_one, 99)*1e3:.0f} ms | ≤ 0.5 s |")
    print(f"| `rc` across the whole recording | {whole:.2f} s | | ≤ 1.2 × replay -a "
          f"({whole / replay_a:.2f}×) |")
    print(f"\n- snapshots after `goto end`: {len([l for l in snap_lines if 'pid' in l])} kept, "
          f"{pss / 1024:.1f} MiB proportional set size in total")
    for l in snap_lines:
        print("  " + l)


main()
