"""The full-screen layout, driven as a person does through a real terminal: pytt replay runs in
tmux (its own server socket), keys are sent with send-keys and the screen is read back with
capture-pane. The session: break, continue, `layout python`, step, rs, up, a breakpoint set from
the layout, continue (the program's output goes to its window, not the command line), a resize
of the terminal, Ctrl-X A to leave and come back, `layout src`, `tui disable`, quit.

Each screen is compared with the expected text in screens/NAME.txt (addresses, ticks, pids and
the demo's random values masked, trailing blanks dropped); --update writes them from this run.
A mismatch prints both screens. Needs tmux (install-deps.sh installs it; status 77 without)."""
import difflib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmuxlib import HERE, Tmux, report, setup  # noqa: E402

MASKS = [
    (re.compile(r"/tmp/pytt-tui-\w{8}"), "<work>"),
    (re.compile(r"\.\.\.[\w./-]*(?=inventory\.py)"), "..."),
    (re.compile(r"0x[0-9a-f]+"), "0x..."),
    (re.compile(r"\b(tick|event) \d+(\.\d+)? of \d+(\.\d+)?"), r"\1 N of N"),
    (re.compile(r"(?<=stock value )\d+"), "V"),
    (re.compile(r"\[[=|>.]+\]"), "[bar]"),
    (re.compile(r"(?<=started = )[\d.]+"), "T"),
]


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
               [r"^ tick [\d.]+ of [\d.]+  event \d+ of \d+", r"^B>  21     for item in items:",
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
    ready = setup("pytt-tui-", lambda ap: ap.add_argument("--update", action="store_true"))
    if not isinstance(ready, tuple):
        return ready
    args, work, pytt, trace = ready
    t = Tmux(work, 100, 34, pytt, trace)
    chk = Check(args.update, t)
    try:
        session(t, chk, work)
        code = t.exit_status()
        if code != "0":
            chk.fails.append(f"pytt replay exited {code} after quit")
    finally:
        t.close()
    return report(chk.fails, work)


if __name__ == "__main__":
    sys.exit(main())
