"""Ctrl-C during long motions, and long forward motions (tests/nav/oracle/long_loop.py, a loop
of about 3 s), driving an interactive `pytt replay` through pipes and sending SIGINT to pytt's
process group, as a terminal does:
  - `continue` with no breakpoint prints its progress ("running forward: tick N of M"), and,
    interrupted after it has run a while, prints "Interrupted." and stops where it got to: the
    stop it shows, `bt` and `locals` there equal what `goto` to that tick shows in a fresh
    replay; the shell goes on reading commands;
  - `reverse-continue` from the end to a breakpoint hit only at the start, interrupted at its
    first progress line ("searching back"), comes back to the end tick;
  - after both, `continue` runs to the end: the program's exit and the final tick equal those of
    an uninterrupted replay (interrupting changed nothing);
  - forward motions start from a snapshot ahead: after `goto end` and `goto start`, `goto end`
    and `continue` restore one and replay at most one snapshot interval (`maint stats`);
  - on a terminal (a pty, readline at the prompt): Ctrl-C typed at the prompt drops the line
    being typed and prompts again, Ctrl-C during `continue` interrupts it as above, and `quit`
    then exits with status 0."""
import os
import pty
import queue
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import navlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROG = os.path.join(HERE, "oracle", "long_loop.py")
BACK = re.compile(rf"^Back at tick {navlib.TICK}\.$")


class Shell:
    """An interactive pytt replay on pipes; lines of stdout and stderr arrive on queues."""

    def __init__(self, pytt, trace):
        self.p = subprocess.Popen([pytt, "replay", trace, "--program-output", os.devnull],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=navlib.env(),
                                  start_new_session=True)
        self.out, self.err, self.seen = queue.Queue(), queue.Queue(), []
        for stream, q in ((self.p.stdout, self.out), (self.p.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, q), daemon=True).start()

    @staticmethod
    def _pump(stream, q):
        for line in stream:
            q.put(line.rstrip("\n"))
        q.put(None)

    def send(self, cmd):
        try:
            self.p.stdin.write(cmd + "\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            self.seen.append(f"(pytt exited with status {self.p.poll()} before `{cmd}`)")

    def wait_for(self, q, pattern, timeout=120):
        """The first line on q matching pattern (a compiled regex), or None."""
        deadline = time.monotonic() + timeout * navlib.SCALE
        while time.monotonic() < deadline:
            try:
                line = q.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                return None
            self.seen.append(line)
            m = pattern.match(line)
            if m:
                return m
        return None

    def when(self):
        self.send("when")
        m = self.wait_for(self.out, navlib.WHEN)
        return navlib.tick(m.group(1)) if m else None

    def interrupt(self):
        os.killpg(self.p.pid, signal.SIGINT)

    def close(self):
        self.send("quit")
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def check(cond, what, sh):
    if not cond:
        print(f"FAIL: {what}\n--- pytt output ---\n" + "\n".join(sh.seen[-40:]))
    return cond


STOP_LINES = re.compile(r"^(> .*\(\d+\).*\(\)|-> .*)$")


def interrupted_stop(sh, what):
    """After SIGINT during a forward motion: "Interrupted.", then the stop where it got to (two
    lines), then `when`, `bt` and `locals` there. Returns (tick, [lines shown]) or None."""
    if not check(sh.wait_for(sh.out, re.compile(r"^Interrupted\.$"), timeout=30) is not None,
                 f"{what}: no 'Interrupted.'", sh):
        return None
    stop = [m.group(0) for m in (sh.wait_for(sh.out, STOP_LINES, timeout=30) for _ in range(2))
            if m]
    tick = sh.when()
    shown = inspect(sh)
    if not check(len(stop) == 2 and tick is not None and shown,
                 f"{what}: no stop shown after the interrupt", sh):
        return None
    return tick, stop + shown


def inspect(sh):
    """bt and locals at the current stop, up to a marker."""
    sh.send("bt")
    sh.send("locals")
    sh.send("help quit")
    lines = []
    while True:
        m = sh.wait_for(sh.out, re.compile(r".*"), timeout=30)
        if m is None or m.group(0).startswith("quit (q, exit)"):
            return lines
        lines.append(m.group(0))


def goto_shows(pytt, trace, tick):
    """What a fresh replay shows at `goto TICK` (the stop, bt, locals)."""
    status, out, err, _ = navlib.replay(pytt, trace, [f"goto {navlib.tick_str(tick)}", "bt",
                                                      "locals"])
    lines = out.splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith("> ")), None)
    return lines[2:] if start is not None and status == 0 else [f"(exit {status}) {err}"]


def interrupted_back_at(sh, tick, what):
    """After SIGINT: "Interrupted." then "Back at tick TICK." and `when` says TICK."""
    ok = check(sh.wait_for(sh.out, re.compile(r"^Interrupted\.$"), timeout=30) is not None,
               f"{what}: no 'Interrupted.'", sh)
    m = sh.wait_for(sh.out, BACK, timeout=30)
    ok = check(m is not None and navlib.tick(m.group(1)) == tick,
               f"{what}: expected 'Back at tick {tick}.'", sh) and ok
    return check(sh.when() == tick, f"{what}: `when` after the interrupt is not {tick}", sh) and ok


class Tty:
    """pytt replay on a pseudo-terminal, as a person runs it: ^C goes through the terminal."""

    def __init__(self, pytt, trace):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(pytt, [pytt, "replay", trace, "--program-output", os.devnull],
                      navlib.env())
        self.text = ""

    def expect(self, pattern, timeout=60):
        """Read until pattern (a regex) matches the text after the last match; its match."""
        deadline = time.monotonic() + timeout * navlib.SCALE
        while time.monotonic() < deadline:
            m = re.search(pattern, self.text)
            if m:
                self.text = self.text[m.end():]
                return m
            ready, _, _ = select.select([self.fd], [], [], 0.5)
            if ready:
                try:
                    self.text += os.read(self.fd, 4096).decode("utf-8", "replace")
                except OSError:
                    return None
        return None

    def send(self, data):
        os.write(self.fd, data.encode())

    def close(self):
        """Exit status once it has ended (or None, and it is killed)."""
        for _ in range(int(20 * navlib.SCALE)):
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.25)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        return None


def tty_session(pytt, trace, start):
    t = Tty(pytt, trace)
    ok = t.expect(r"\(pytt\) ") is not None
    t.send("reverse-co\x03")  # typed, then Ctrl-C: the line must not run
    ok = ok and t.expect(r"\(pytt\) ") is not None
    t.send("when\n")
    m = t.expect(rf"tick {navlib.TICK}, event")
    ok = ok and m is not None and navlib.tick(m.group(1)) == start
    ok = ok and t.expect(r"\(pytt\) ") is not None
    t.send("continue\n")
    time.sleep(0.5)
    t.send("\x03")
    ok = ok and t.expect(r"Interrupted\.") is not None
    ok = ok and t.expect(r"> .*long_loop.py\(\d+\)\w+\(\)") is not None  # stopped there
    ok = ok and t.expect(r"\(pytt\) ") is not None
    t.send("quit\n")
    status = t.close()
    if not ok or status != 0:
        print(f"FAIL: on a terminal: Ctrl-C at the prompt or during continue misbehaved, or quit "
              f"exited {status}; the rest of the output: {t.text[-1500:]!r}")
        return False
    return True


def main():
    args = navlib.pytt_args()
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "trace")
        navlib.record(args.pytt, args.python, PROG, trace, args=["3"])
        status, out, err, _ = navlib.replay(args.pytt, trace, ["goto end", "when"])
        ends = [m for m in map(navlib.WHEN.match, out.splitlines()) if m]
        if status != 0 or not ends:
            print(f"FAIL: the uninterrupted replay did not reach the end\n{out}\n{err}")
            return 1
        end_tick = navlib.tick(ends[-1].group(1))
        sh = Shell(args.pytt, trace)
        try:
            ok = run_session(sh, end_tick, args.pytt, trace)
        finally:
            sh.close()
        starts = [m for m in map(navlib.WHEN.match, sh.seen) if m]
        ok = bool(starts) and tty_session(args.pytt, trace, navlib.tick(starts[0].group(1))) and ok
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def run_session(sh, end_tick, pytt, trace):
    start = sh.when()
    if not check(start is not None, "no `when` answer at the start", sh):
        return False
    sh.send("continue")
    progress = re.compile(rf"^running forward: tick {navlib.TICK} of {navlib.TICK}")
    ok = check(sh.wait_for(sh.err, progress) is not None,
               "continue printed no progress", sh)
    sh.interrupt()
    got = interrupted_stop(sh, "continue")
    ok = got is not None and ok
    if got:
        tick, shown = got
        want = goto_shows(pytt, trace, tick)
        ok = check(shown == want,
                   f"the stop after Ctrl-C at tick {tick} is not what goto {tick} shows:\n"
                   f"after Ctrl-C: {shown}\ngoto: {want}", sh) and ok
    sh.send("goto end")
    ok = check(sh.when() == end_tick, f"goto end did not reach tick {end_tick}", sh) and ok
    sh.send("break first_call")
    sh.send("reverse-continue")
    ok = check(sh.wait_for(sh.err, re.compile(rf"^searching back: ticks {navlib.TICK} to "
                                              rf"{navlib.TICK}")) is not None,
               "reverse-continue printed no progress", sh) and ok
    sh.interrupt()
    ok = interrupted_back_at(sh, end_tick, "reverse-continue") and ok
    sh.send("delete")
    sh.send("goto start")
    sh.send("continue")
    ok = check(sh.wait_for(sh.out, navlib.EXITED) is not None,
               "continue after the interrupts did not reach the program's exit", sh) and ok
    # the end of the recording is named by its last counted dispatch (k is not kept by a plain
    # run), the last Python moment (goto end) by the exact tick: the same counted dispatch
    final = sh.when()
    ok = check(final is not None and navlib.counted(final) == navlib.counted(end_tick),
               f"the final tick {final} is not in counted dispatch {navlib.counted(end_tick)}",
               sh) and ok
    return skips_ahead(sh, end_tick) and ok


STATS = re.compile(r"^ticks replayed: (\d+), snapshots restored: (\d+), ")


def stats(sh):
    sh.send("maint stats")
    m = sh.wait_for(sh.out, STATS)
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def skips_ahead(sh, end_tick):
    """goto end and continue from the start restore a snapshot near the end instead of replaying
    the whole run again: at most one snapshot interval (2^19 counted dispatches) plus the 64 goto
    stops short to leave a snapshot."""
    ok = True
    for motion in ("goto end", "continue"):
        sh.send("goto start")
        before, restores = stats(sh)
        sh.send(motion)
        after, restores_after = stats(sh)
        ran = after - before if after is not None and before is not None else None
        ok = check(ran is not None and ran <= (1 << 19) + 128 and restores_after > restores,
                   f"`{motion}` from the start replayed {ran} ticks of {end_tick} "
                   f"(restores {restores} -> {restores_after}): it should start from a "
                   "snapshot ahead", sh) and ok
    return ok


if __name__ == "__main__":
    sys.exit(main())
