"""The interactive prompt on a real terminal (tmux): history saved across sessions and Tab
completion.
  - session 1 types commands and quits: ~/.local/share/pytt/history (HOME is the test's work
    directory) holds them, mode 0600; session 2 brings them back with the Up key and runs one;
  - `delete` asks before deleting every breakpoint (n keeps them, y deletes them), and `d` is
    pdb's down, not delete;
  - Tab completes a command name (`reverse-f` -> `reverse-finish`, and lists the four reverse
    motions for `reverse-`), a breakpoint location (a loaded file: `inv` -> `inventory.py:`; a
    function defined later in the script: `rest` -> `restock`), a name in scope for print
    (`rn` -> `rng` in restock), and a command's words (`info sn` -> `info snapshots`).
Needs tmux (status 77 without)."""
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_tui  # noqa: E402  (the tmux driver)


def start(work, pytt, trace, name):
    status = os.path.join(work, "status")
    if os.path.exists(status):
        os.unlink(status)
    command = (f"cd {work} && env HOME={work} TERM=xterm LC_ALL=C.UTF-8 {pytt} replay {trace}; "
               f"echo $? > {status}; sleep 30")
    return test_tui.Tmux(work, 100, 30, command, name), status


def ended(status):
    deadline = time.monotonic() + 30 * test_tui.SCALE
    while not os.path.exists(status) and time.monotonic() < deadline:
        time.sleep(0.2)
    return open(status).read().strip() if os.path.exists(status) else None


def typed(t, keys, pattern, fails, what):
    """Type keys (literal text, then tmux key names after None), wait for pattern."""
    literal, names = keys
    t.run("send-keys", "-t", "t", "-l", literal)
    if names:
        t.keys(*names)
    screen = t.wait(pattern, 30)
    if screen is None:
        fails.append(f"{what}: {pattern!r} never appeared:\n{t.screen()}")
    return screen


def history(work, pytt, trace, fails):
    t, status = start(work, pytt, trace, "session1")
    try:
        if not t.wait(r"^\(pytt\)\s*$"):
            fails.append("session 1: no prompt:\n" + t.screen())
            return
        for cmd in ("break restock", "when", "info breakpoints"):
            t.line(cmd)
            time.sleep(0.5)
        t.line("quit")
        code = ended(status)
    finally:
        t.close()
    path = os.path.join(work, ".local", "share", "pytt", "history")
    if code != "0" or not os.path.exists(path):
        fails.append(f"session 1 exited {code}; history file {path} exists: "
                     f"{os.path.exists(path)}")
        return
    lines = open(path).read().splitlines()
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if lines[-4:] != ["break restock", "when", "info breakpoints", "quit"] or mode != 0o600:
        fails.append(f"history file: {lines} mode {oct(mode)}")
    t, status = start(work, pytt, trace, "session2")
    try:
        if not t.wait(r"^\(pytt\)\s*$"):
            fails.append("session 2: no prompt:\n" + t.screen())
            return
        t.keys("Up")
        typed(t, ("", ["Up"]), r"^\(pytt\) info breakpoints\s*$", fails, "Up, Up")
        t.keys("Up")
        typed(t, ("", ["Enter"]), r"^tick \d+, event \d+", fails, "Up x3 (when), Enter")
        t.line("quit")
        ended(status)
    finally:
        t.close()


def completion(work, pytt, trace, fails):
    t, status = start(work, pytt, trace, "completion")
    try:
        if not t.wait(r"^\(pytt\)\s*$"):
            fails.append("no prompt:\n" + t.screen())
            return
        typed(t, ("reverse-f", ["Tab"]), r"^\(pytt\) reverse-finish\s*$", fails,
              "reverse-f Tab")
        t.keys("C-u")
        typed(t, ("reverse-", ["Tab", "Tab"]),
              r"reverse-continue\s+reverse-finish\s+reverse-next\s+reverse-step", fails,
              "reverse- Tab Tab")
        t.keys("C-u")
        typed(t, ("b inv", ["Tab"]), r"^\(pytt\) b inventory\.py:$", fails, "b inv Tab")
        t.keys("C-u")
        typed(t, ("b rest", ["Tab"]), r"^\(pytt\) b restock\s*$", fails, "b rest Tab")
        t.keys("Enter")
        t.wait(r"^Breakpoint 1 at restock")
        t.line("continue")
        t.wait(r"-> for item in items:")
        typed(t, ("p rn", ["Tab"]), r"^\(pytt\) p rng\s*$", fails, "p rn Tab (a local)")
        t.keys("Enter")
        typed(t, ("info sn", ["Tab"]), r"^\(pytt\) info snapshots\s*$", fails, "info sn Tab")
        t.keys("C-u")
        # `delete` of every breakpoint asks first on a terminal, as gdb does; `d` is pdb's down
        typed(t, ("delete", ["Enter"]), r"^Delete all breakpoints\? \(y or n\)\s*$", fails,
              "delete asks")
        typed(t, ("n", ["Enter"]), r"^\(pytt\)\s*$", fails, "answered n")
        t.line("info breakpoints")
        typed(t, ("", []), r"^1\s+breakpoint\s+keep yes\s+at restock", fails,
              "the breakpoint is still there after n")
        typed(t, ("d", ["Enter"]), r"Bottom \(innermost\) frame selected", fails, "d is down")
        typed(t, ("delete", ["Enter"]), r"^Delete all breakpoints\? \(y or n\)\s*$", fails,
              "delete asks again")
        t.line("y")
        t.line("info breakpoints")
        typed(t, ("", []), r"^No breakpoints\.", fails, "deleted after y")
        t.line("quit")
        ended(status)
    finally:
        t.close()


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--pytt", required=True)
    ap.add_argument("--python", default="/usr/bin/python3.11")
    args = ap.parse_args()
    for need in ("tmux", args.python):
        if not shutil.which(need) and not os.path.exists(need):
            print(f"SKIP: {need} is not installed")
            return test_tui.SKIP
    work = tempfile.mkdtemp(prefix="pytt-rl-", dir="/tmp")
    trace = os.path.join(work, "trace")
    prog = shutil.copy(test_tui.PROG, os.path.join(work, "inventory.py"))
    pytt = os.path.abspath(args.pytt)
    rec = subprocess.run([pytt, "record", "-o", trace, args.python, prog], capture_output=True,
                         timeout=120)
    if rec.returncode != 0:
        print(f"FAIL: pytt record exited {rec.returncode}: {rec.stderr.decode()[-800:]}")
        return 1
    fails = []
    history(work, pytt, trace, fails)
    completion(work, pytt, trace, fails)
    for f in fails:
        print("FAIL:", f)
    if fails:
        print(f"work directory kept: {work}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
