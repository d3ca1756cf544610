"""The full-screen layout, driven as a person does through a real terminal: pytt replay runs in
tmux (its own server socket), keys are sent with send-keys and the screen is read back with
capture-pane. The session: break, continue, `layout python`, step, rs, up, a breakpoint set from
the layout, continue (the program's output goes to its window, not the command line), a resize
of the terminal, Ctrl-X A to leave and come back, `layout src`, `tui disable`, quit.

Each screen is compared with the expected text in screens/NAME.txt (addresses, ticks, pids and
the demo's random values masked, trailing blanks dropped); --update writes them from this run.
A mismatch prints both screens. Needs tmux (install-deps.sh installs it; status 77 without)."""
import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROG = os.path.join(ROOT, "tests", "transcripts", "demo", "inventory.py")
SKIP = 77
SCALE = float(os.environ.get("PYTT_TEST_TIMEOUT_SCALE", "1"))

MASKS = [
    (re.compile(r"/tmp/pytt-tui-\w{8}"), "<work>"),
    (re.compile(r"\.\.\.[\w./-]*(?=inventory\.py)"), "..."),
    (re.compile(r"0x[0-9a-f]+"), "0x..."),
    (re.compile(r"\b(tick|event) \d+ of \d+"), r"\1 N of N"),
    (re.compile(r"(?<=stock value )\d+"), "V"),
    (re.compile(r"\[[=|>.]+\]"), "[bar]"),
    (re.compile(r"(?<=started = )[\d.]+"), "T"),
]


class Tmux:
    def __init__(self, work, cols, rows, command, name="tmux"):
        self.sock = os.path.join(work, name + ".sock")  # a server of its own per session
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
            s = self.screen()
            if re.search(pattern, s, re.M):
                time.sleep(0.3)  # let the redraw finish
                return self.screen()
            time.sleep(0.2)
        return None

    def close(self):
        self.run("kill-server")


def masked(screen):
    lines = []
    for line in screen.splitlines():
        for rx, rep in MASKS:
            line = rx.sub(rep, line)
        lines.append(line.rstrip())
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


class Check:
    def __init__(self, update, tmux):
        self.update, self.fails, self.tmux = update, [], tmux

    def screen(self, name, screen, must=()):
        """Compare with screens/NAME.txt; `must` regexes have to be on the screen too."""
        if screen is None:
            self.fails.append(f"{name}: the expected screen never appeared; the screen:\n"
                              f"{self.tmux.screen()}")
            return
        got = masked(screen)
        path = os.path.join(HERE, "screens", name + ".txt")
        for rx in must:
            if not re.search(rx, screen, re.M):
                self.fails.append(f"{name}: {rx!r} is not on the screen:\n{screen}")
        if self.update:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(got)
            return
        with open(path) as f:
            want = f.read()
        if got != want:
            diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                "expected", "screen"))
            self.fails.append(f"{name}: the screen differs from {path}\n{diff}")


def session(t, chk, work):
    prompt = r"^\(pytt\)\s*$"
    if not t.wait(prompt):
        chk.fails.append("no prompt: " + t.screen())
        return
    t.line("break restock")
    t.wait(r"^Breakpoint 1 at restock")
    t.line("continue")
    t.wait(r"-> for item in items:")
    t.line("layout python")
    chk.screen("layout_python", t.wait(r"Source: .*inventory.py:21"),
               [r"^ tick \d+ of \d+  event \d+ of \d+", r"^B>  21     for item in items:",
                r"Locals: restock", r"items = \[<__main__.Item object", r">#0 restock",
                r"Bytecode: restock", r"--> +2 LOAD_FAST", r"Program output"])
    t.line("step")
    chk.screen("step", t.wait(r"Source: .*inventory.py:22"),
               [r"^ >  22         item.count \+= rng.randint", r"^B   21", r"item = <__main__"])
    t.line("rs")
    chk.screen("reverse_step", t.wait(r"Source: .*inventory.py:21"), [r"^B>  21"])
    t.line("up")
    chk.screen("up", t.wait(r"Source: .*inventory.py:37"),
               [r"^ >  37         restock\(items, rng\)", r">#1 main", r"Locals: main",
                r"Bytecode: main"])
    t.line("break 38")
    chk.screen("breakpoint", t.wait(r"^B   38"), [r"Breakpoint 2 at .*inventory.py:38"])
    t.line("continue")
    t.wait(r"Source: .*inventory.py:38")
    t.line("continue")
    screen = t.wait(r"Source: .*inventory.py:21")
    chk.screen("output_window", screen, [r"\| day 0: stock value \d+", r"^B>  21"])
    if screen and re.search(r"^day 0", screen, re.M):
        chk.fails.append("the program's output was written into the command line:\n" + screen)
    t.line("up")
    t.wait(r"Source: .*inventory.py:37")
    t.run("resize-window", "-t", "t", "-x", "80", "-y", "24")
    chk.screen("resized", t.wait(r"^ tick .{60,74}\]$"),
               [r"Source: .*inventory.py:37", r"^ >  37", r"Locals: main", r"day 0"])
    t.keys("C-x", "a")
    screen = t.wait(r"^\(pytt\) layout python\s*$", 30)
    chk.screen("ctrl_x_a_off", screen, [r"^Breakpoint 1 at restock"])
    if screen and "Source:" in screen:
        chk.fails.append("Ctrl-X A did not leave the layout:\n" + screen)
    t.keys("C-x", "a")
    chk.screen("ctrl_x_a_on", t.wait(r"Source: .*inventory.py:37"), [r"Locals: main"])
    t.line("layout src")
    screen = t.wait(r"Source: .*inventory.py:37")
    chk.screen("layout_src", screen)
    if screen and ("Locals:" in screen or "Bytecode:" in screen):
        chk.fails.append("layout src shows more than the source:\n" + screen)
    t.line("tui disable")
    chk.screen("tui_disable", t.wait(r"^#1 .*inventory.py:37 in main"),
               [r"^\(pytt\) *\n#1 .*inventory.py:37 in main\n\(pytt\)"])
    t.line("quit")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pytt", required=True)
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("--update", action="store_true")
    args = ap.parse_args()
    for need in ("tmux", args.python):
        if not shutil.which(need) and not os.path.exists(need):
            print(f"SKIP: {need} is not installed")
            return SKIP
    work = tempfile.mkdtemp(prefix="pytt-tui-", dir="/tmp")  # paths of one length: the screens
    trace = os.path.join(work, "trace")                     # wrap them at the same place
    prog = shutil.copy(PROG, os.path.join(work, "inventory.py"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PYTHONUNBUFFERED="1", LC_ALL="C.UTF-8")
    rec = subprocess.run([os.path.abspath(args.pytt), "record", "-o", trace, args.python, prog],
                         capture_output=True, env=env, timeout=120)
    if rec.returncode != 0:
        print(f"FAIL: pytt record exited {rec.returncode}: {rec.stderr.decode()[-800:]}")
        return 1
    status = os.path.join(work, "status")
    command = (f"cd {work} && env HOME={work} TERM=xterm LC_ALL=C.UTF-8 "
               f"{os.path.abspath(args.pytt)} replay {trace}; echo $? > {status}; sleep 30")
    t = Tmux(work, 100, 34, command)
    chk = Check(args.update, t)
    try:
        session(t, chk, work)
        deadline = time.monotonic() + 30 * SCALE
        while not os.path.exists(status) and time.monotonic() < deadline:
            time.sleep(0.2)
        code = open(status).read().strip() if os.path.exists(status) else "none"
        if code != "0":
            chk.fails.append(f"pytt replay exited {code} after quit")
    finally:
        t.close()
    for f in chk.fails:
        print("FAIL:", f)
    if chk.fails:
        print(f"work directory kept: {work}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
