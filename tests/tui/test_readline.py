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
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmuxlib import Tmux, report, setup  # noqa: E402


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
    t = Tmux(work, 100, 30, pytt, trace, "session1")
    try:
        if not t.wait(r"^\(pytt\)\s*$"):
            fails.append("session 1: no prompt:\n" + t.screen())
            return
        for cmd in ("break restock", "when", "info breakpoints"):
            t.line(cmd)
            time.sleep(0.5)
        t.line("quit")
        code = t.exit_status()
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
    t = Tmux(work, 100, 30, pytt, trace, "session2")
    try:
        if not t.wait(r"^\(pytt\)\s*$"):
            fails.append("session 2: no prompt:\n" + t.screen())
            return
        t.keys("Up")
        typed(t, ("", ["Up"]), r"^\(pytt\) info breakpoints\s*$", fails, "Up, Up")
        t.keys("Up")
        typed(t, ("", ["Enter"]), r"^tick [\d.]+, event \d+", fails, "Up x3 (when), Enter")
        t.line("quit")
        t.exit_status()
    finally:
        t.close()


def completion(work, pytt, trace, fails):
    t = Tmux(work, 100, 30, pytt, trace, "completion")
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
        t.exit_status()
    finally:
        t.close()


def main():
    ready = setup("pytt-rl-")
    if not isinstance(ready, tuple):
        return ready
    args, work, pytt, trace = ready
    fails = []
    history(work, pytt, trace, fails)
    completion(work, pytt, trace, fails)
    return report(fails, work)


if __name__ == "__main__":
    sys.exit(main())
