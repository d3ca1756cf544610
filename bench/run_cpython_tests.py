#!/usr/bin/python3
"""CPython's own thread-heavy test modules (Debian's libpython3.11-testsuite), recorded with
`pytt record` and replayed with `pytt replay -a`: the replay must print exactly what the
recording did and end with its status. Too slow for CI's suite (minutes per module); the
results go in docs/performance.md.

    bench/run_cpython_tests.py [--pytt PATH] [--python PY] [--markdown FILE] [MODULE...]

Default modules: test_thread test_queue test_threading test_concurrent_futures test_logging
test_socketserver. Each is run natively too (same command: `PY -m test -u network MODULE`:
without the network resource test_socketserver skips itself) for its time and status. Stdlib only.
"""
import argparse
import datetime
import os
import platform
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import cpu_model, find_pytt, finish_report, git_rev, load_average, timed  # noqa: E402

MODULES = ["test_thread", "test_queue", "test_threading", "test_concurrent_futures",
           "test_logging", "test_socketserver"]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pytt")
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("--markdown")
    ap.add_argument("modules", nargs="*")
    a = ap.parse_args()
    pytt = os.path.abspath(a.pytt) if a.pytt else find_pytt()
    mods = a.modules or MODULES
    work = tempfile.mkdtemp(prefix="pytt-cpython-tests-")
    failures, rows = [], []
    for m in mods:
        cmd = [a.python, "-m", "test", "-u", "network", m]
        nat = timed(cmd, capture=True, timeout=3600)
        trace = os.path.join(work, m)
        rec = timed([pytt, "record", "-o", trace, "--"] + cmd, capture=True, timeout=3600)
        out = os.path.join(work, m + ".out")
        rep = timed([pytt, "replay", trace, "-a", "--program-output", out], timeout=3600)
        replayed = open(out, "rb").read() if os.path.exists(out) else b""
        same = rep.status == rec.status and replayed == rec.stdout
        last = rec.stdout.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        if not same:
            failures.append(f"{m}: replay status {rep.status} vs recorded {rec.status}, output "
                            f"{'identical' if replayed == rec.stdout else 'differs'}: "
                            + rep.stderr.decode("utf-8", "replace")[-300:])
        rows.append(f"| {m} | {nat.status} ({nat.seconds:.1f} s) | {rec.status} "
                    f"({rec.seconds:.1f} s) | {rep.status} ({rep.seconds:.1f} s) | "
                    f"{'identical' if same else 'DIFFERS'} | {last[0]} |")
        shutil.rmtree(trace, ignore_errors=True)
        print(rows[-1], file=sys.stderr)
    stamp = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    lines = [f"### CPython's thread tests under pytt ({stamp})", "",
             f"- command: `/usr/bin/python3 bench/run_cpython_tests.py {' '.join(sys.argv[1:])}`"
             f"; pytt git {git_rev()}; {platform.node()}, {cpu_model()}; load average at the "
             "end: " + load_average(), "",
             "| module | native: status (time) | record | replay -a | replay vs record | "
             "recorded result |", "| --- | --- | --- | --- | --- | --- |"] + rows
    return finish_report(lines, failures, a.markdown, False, work)


if __name__ == "__main__":
    sys.exit(main())
