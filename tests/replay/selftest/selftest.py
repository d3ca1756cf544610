#!/usr/bin/python3
"""Tests the fidelity harness itself against fake_pytt.py (no real pytt needed): a faithful
fake passes, and each kind of infidelity (a changed byte, a wrong exit status, a program that
became deterministic) makes the harness fail with a precise message."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPLAY = os.path.dirname(HERE)
FAKE = os.path.join(HERE, "fake_pytt.py")
failures = []


def fidelity(program, mode, workdir):
    env = dict(os.environ, FAKE_PYTT_MODE=mode)
    p = subprocess.run([sys.executable, os.path.join(REPLAY, "fidelity.py"), "--pytt", FAKE,
                        "--program", program, "--workdir", workdir], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def expect(what, cond, out):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        print("    " + out.replace("\n", "\n    "))


with tempfile.TemporaryDirectory(prefix="pytt-selftest-") as wd:
    prog = lambda n: os.path.join(REPLAY, "programs", n)
    rc, out = fidelity(prog("set_order.py"), "good", wd)
    expect("faithful fake passes set_order", rc == 0 and "PASS" in out, out)
    rc, out = fidelity(prog("uncaught_exception.py"), "good", wd)
    expect("faithful fake passes uncaught_exception (exit 1)", rc == 0, out)
    rc, out = fidelity(prog("stdin_pipe.py"), "good", wd)
    expect("faithful fake passes stdin_pipe", rc == 0, out)
    rc, out = fidelity(prog("set_order.py"), "flip", wd)
    expect("a flipped byte is reported", rc == 1 and "differs from the recorded" in out
           and "first difference at byte" in out and "replay it with" in out, out)
    rc, out = fidelity(prog("sys_exit3.py"), "status", wd)
    expect("a wrong replay exit status is reported", rc == 1 and "replay exit status 4, recorded 3" in out, out)
    det = os.path.join(wd, "det.py")
    with open(det, "w") as f:
        f.write("# nondeterministic\nprint('always the same')\nprint('END det')\n")
    rc, out = fidelity(det, "good", wd)
    expect("a deterministic program marked nondeterministic is reported",
           rc == 1 and "identical output" in out, out)
    bad = os.path.join(wd, "bad.py")
    with open(bad, "w") as f:
        f.write("# status: 2\nprint('END bad')\n")
    rc, out = fidelity(bad, "good", wd)
    expect("a wrong declared exit status is reported", rc == 1 and "expected exit status 2" in out, out)
    p = subprocess.run([sys.executable, os.path.join(REPLAY, "special.py"), "--pytt", FAKE,
                        "--test", "truncated_trace", "--workdir", wd],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    out = p.stdout.decode()
    expect("a replay that ignores trace damage fails truncated_trace",
           p.returncode == 1 and "exit status 0, expected 125" in out, out)

print(f"selftest: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
