"""Shared by the terminal tests: driving `pytt replay` in tmux (a server of its own per
session: send-keys to type, capture-pane to read the screen), and the setup every test makes (a
recording of the demo program copied into a work directory with a path of fixed length, so that
long lines wrap at the same place on every run)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "nav"))
import navlib  # noqa: E402  (arguments and skips as the navigation tests)
PROG = os.path.join(ROOT, "tests", "transcripts", "demo", "inventory.py")
SKIP = 77
SCALE = float(os.environ.get("PYTT_TEST_TIMEOUT_SCALE", "1"))


class Tmux:
    """`pytt replay TRACE` in a tmux session of cols x rows, HOME being the work directory; its
    exit status lands in work/status."""

    def __init__(self, work, cols, rows, pytt, trace, name="tmux"):
        self.sock = os.path.join(work, name + ".sock")
        self.status = os.path.join(work, "status")
        if os.path.exists(self.status):
            os.unlink(self.status)
        command = (f"cd {work} && env HOME={work} TERM=xterm LC_ALL=C.UTF-8 {pytt} replay "
                   f"{trace}; echo $? > {self.status}; sleep 30")
        self.run("new-session", "-d", "-s", "t", "-x", str(cols), "-y", str(rows), command)

    def run(self, *args):
        return subprocess.run(["tmux", "-S", self.sock, *args], capture_output=True, text=True,
                              timeout=30)

    def keys(self, *keys):
        self.run("send-keys", "-t", "t", *keys)

    def line(self, text):
        """Type text literally (so `up` is not tmux's Up key) and Enter."""
        self.run("send-keys", "-t", "t", "-l", text)
        self.keys("Enter")

    def screen(self):
        return self.run("capture-pane", "-p", "-t", "t").stdout

    def wait(self, pattern, timeout=60):
        """The screen once pattern (a regex) appears on it, or None."""
        deadline = time.monotonic() + timeout * SCALE
        while time.monotonic() < deadline:
            if re.search(pattern, self.screen(), re.M):
                time.sleep(0.3)  # let the redraw finish
                return self.screen()
            time.sleep(0.2)
        return None

    def exit_status(self):
        """pytt's exit status once it has ended (None if it did not within 30 s)."""
        deadline = time.monotonic() + 30 * SCALE
        while not os.path.exists(self.status) and time.monotonic() < deadline:
            time.sleep(0.2)
        return open(self.status).read().strip() if os.path.exists(self.status) else None

    def close(self):
        self.run("kill-server")


def setup(prefix, add=None):
    """Arguments (--pytt, --python, and what add(parser) adds), then a work directory with the
    demo program recorded: (args, work, pytt, trace), or the exit status to return (skip or
    failure)."""
    args = navlib.pytt_args(add)  # skips when the python is absent
    if not shutil.which("tmux"):
        print("SKIP: tmux is not installed")
        return SKIP
    work = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    trace = os.path.join(work, "trace")
    prog = shutil.copy(PROG, os.path.join(work, "inventory.py"))
    pytt = os.path.abspath(args.pytt)
    env = dict(navlib.env(), PYTHONUNBUFFERED="1")
    rec = subprocess.run([pytt, "record", "-o", trace, args.python, prog], capture_output=True,
                         env=env, timeout=120)
    if rec.returncode != 0:
        print(f"FAIL: pytt record exited {rec.returncode}: {rec.stderr.decode()[-800:]}")
        return 1
    return args, work, pytt, trace


def report(fails, work):
    for f in fails:
        print("FAIL:", f)
    if fails:
        print(f"work directory kept: {work}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("ok")
    return 0
