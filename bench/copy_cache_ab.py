#!/usr/bin/python3
"""What the copy cache (common/pt_copycache.c) saves on `pytt record python3.11 -c pass`.

    bench/copy_cache_ab.py OLD_PYTT NEW_PYTT [ROUNDS]

Interleaved rounds (default 21) of: native `python3.11 -c pass`; OLD recording it; NEW
recording it with a warm copy cache; NEW with the copy cache cold (its copies/ emptied before
each round: it compresses and stores every copy, the first recording of a user). Each build has
a cache directory of its own, filled before the first round, so the file identity cache is warm
for all of them (PYTT_CACHE_DIR=off would turn that off too and measure it instead). Prints
medians of wall
time and of CPU time (user + system of pytt and the program, from wait4's rusage: on a loaded
machine it moves much less than wall time), the ratios against native, the events size of one
trace each, and the load average at the start and the end. Stdlib only.
"""

import os
import shutil
import statistics
import sys
import tempfile
import time

PY = "/usr/bin/python3.11"


def run(cmd, env=None):
    """(wall seconds, cpu seconds) of cmd, output discarded."""
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        fd = os.open("/dev/null", os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execve(cmd[0], cmd, env if env is not None else os.environ)
    _, status, ru = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)} (status {status})")
    return time.perf_counter() - t, ru.ru_utime + ru.ru_stime


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    old, new = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 21
    work = tempfile.mkdtemp(prefix="pytt_copy_ab.")
    warm = os.path.join(work, "warm_cache")

    def env(cache):
        e = dict(os.environ)
        e["PYTT_CACHE_DIR"] = cache
        return e

    cold = os.path.join(work, "cold_cache")

    def cold_env(tr):
        shutil.rmtree(os.path.join(cold, "copies"), ignore_errors=True)
        return env(cold)

    kinds = {
        "native": lambda tr: ([PY, "-c", "pass"], None),
        "old": lambda tr: ([old, "record", "-o", tr, PY, "-c", "pass"], env(warm + "_old")),
        "new, copy cache warm": lambda tr: ([new, "record", "-o", tr, PY, "-c", "pass"],
                                            env(warm)),
        "new, copy cache cold": lambda tr: ([new, "record", "-o", tr, PY, "-c", "pass"],
                                            cold_env(tr)),
    }
    load0 = os.getloadavg()
    sizes = {}
    for name, make in kinds.items():  # warms both caches; one trace each for its size
        if name == "native":
            continue
        tr = os.path.join(work, "size")
        cmd, e = make(tr)
        run(cmd, e)
        sizes[name] = os.path.getsize(os.path.join(tr, "events"))
        shutil.rmtree(tr)
    wall = {k: [] for k in kinds}
    cpu = {k: [] for k in kinds}
    for r in range(rounds):
        for name, make in kinds.items():
            tr = os.path.join(work, f"t{r}")
            cmd, e = make(tr)
            w, c = run(cmd, e)
            wall[name].append(w)
            cpu[name].append(c)
            shutil.rmtree(tr, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    med = statistics.median
    nw, nc = med(wall["native"]), med(cpu["native"])
    print(f"`python3.11 -c pass`, medians of {rounds} interleaved rounds; load average "
          f"{load0[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")
    print("| run | wall (ms) | CPU (ms) | wall ratio | CPU ratio | events bytes |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in kinds:
        w, c = med(wall[name]), med(cpu[name])
        print(f"| {name} | {w * 1e3:.1f} | {c * 1e3:.1f} | {w / nw:.2f}x | {c / nc:.2f}x | "
              f"{sizes.get(name, '')} |")


if __name__ == "__main__":
    main()
