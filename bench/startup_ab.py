#!/usr/bin/env python3
"""Interleaved A/B of `pytt record PYTHON -c pass` against native runs (issue 15's startup goal).

    bench/startup_ab.py [-n ROUNDS] [--python PYTHON] NAME=PYTT [NAME=PYTT ...]

Each round runs the native interpreter once, then each pytt build once (recording into a fresh
directory that is deleted afterwards), so that all builds see the same host state; it prints
the median wall time of each, its ratio to native, and the mean CPU time (the recorder and its
tracee together) with its ratio. The host's speed drifts by tens of percent over minutes:
compare builds only within one run of this script.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time


def run(cmd):
    before = os.times()
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t0
    after = os.times()
    cpu = (after.children_user - before.children_user) + \
        (after.children_system - before.children_system)
    return wall, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=31, help="rounds (default 31)")
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("builds", nargs="+", metavar="NAME=PYTT")
    a = ap.parse_args()
    builds = [b.split("=", 1) for b in a.builds]
    work = tempfile.mkdtemp(prefix="pytt-startup-ab-")
    wall = {name: [] for name in ["native"] + [n for n, _ in builds]}
    cpu = {name: [] for name in wall}
    try:
        for _ in range(a.n):
            w, c = run([a.python, "-c", "pass"])
            wall["native"].append(w)
            cpu["native"].append(c)
            for name, pytt in builds:
                trace = os.path.join(work, "trace")
                w, c = run([pytt, "record", "-o", trace, a.python, "-c", "pass"])
                wall[name].append(w)
                cpu[name].append(c)
                shutil.rmtree(trace, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    nat_w, nat_c = statistics.median(wall["native"]), statistics.mean(cpu["native"])
    print(f"{a.n} rounds, load average {os.getloadavg()[0]:.2f} at the end")
    for name in wall:
        w, c = statistics.median(wall[name]), statistics.mean(cpu[name])
        print(f"{name:10s} wall {w * 1000:7.2f} ms {w / nat_w:6.3f}x   "
              f"cpu {c * 1000:7.2f} ms {c / nat_c:6.3f}x")


if __name__ == "__main__":
    main()
