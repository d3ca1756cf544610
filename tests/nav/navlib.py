"""Shared helpers of the navigation tests (run by Debian's /usr/bin/python3, stdlib only):
recording a program, running a replay shell session on a command file, and cutting its output
into stops (pdb's `> FILE(LINE)FUNC()` lines) and per-command outputs.

Every pytt command runs in its own process group with a timeout; on timeout the group is
killed, so a hanging pytt fails the test instead of blocking ctest."""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77
SCALE = float(os.environ.get("PYTT_TEST_TIMEOUT_SCALE", "1"))

STOP = re.compile(r"^> (.*)\((-?\d+)\)(.*)\(\)$")
TICK = r"(\d+(?:\.\d+)?)"  # a tick as pytt prints it: C.k (C counted dispatches, then k more)
WHEN = re.compile(rf"^tick {TICK}, event (\d+)( \(end of the recording\))?$")
EXITED = re.compile(r"^The program exited with status (\d+)\.$")
BT = re.compile(r"^#(\d+) (.*):(\d+) in (.*)$")


def tick(text):
    """A tick as printed ("C.k") -> an int that orders and compares like the moments."""
    c, _, k = text.partition(".")
    return (int(c) << 24) | int(k or 0)


def tick_str(t):
    """The inverse of tick(): what `goto` takes."""
    return f"{t >> 24}.{t & 0xffffff}"


def counted(t):
    """The counted dispatches of a tick (what `pytt events` shows as `clock N`)."""
    return t >> 24


def env():
    """Ours minus PYTHON*, no .pyc writing (never write into the source tree), stable locale."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    e["PYTHONDONTWRITEBYTECODE"] = "1"
    e["LC_ALL"] = "C.UTF-8"
    return e


def pytt_args(add=None):
    """--pytt PATH and --python PY (default Debian's python3.11), plus what add(parser) adds;
    skips (status 77) when PY is not installed."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--pytt", required=True)
    ap.add_argument("--python", default="/usr/bin/python3.11")
    if add:
        add(ap)
    args = ap.parse_args()
    need_python(args.python)
    return args


def need_python(python):
    if not os.path.exists(python):
        print(f"SKIP: {python} is not installed")
        sys.exit(SKIP)


SANITIZER = re.compile(r"ERROR: (Address|Leak)Sanitizer|runtime error: ")


def run(cmd, timeout, stdout_path=None):
    """Run cmd in its own session; returns (status, stdout, stderr, seconds). Status 'timeout'
    if it had to be killed."""
    t0 = time.monotonic()
    out = open(stdout_path, "wb") if stdout_path else subprocess.PIPE
    p = subprocess.Popen([str(c) for c in cmd], stdin=subprocess.DEVNULL, stdout=out,
                         stderr=subprocess.PIPE, env=env(), start_new_session=True)
    try:
        o, e = p.communicate(timeout=timeout * SCALE)
        status = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        o, e = p.communicate()
        status = "timeout"
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)  # a tracee left behind must not outlive the test
        except (ProcessLookupError, PermissionError):
            pass
        if stdout_path:
            out.close()
    dec = (lambda b: b.decode("utf-8", "replace") if b else "")
    if status == 99 or SANITIZER.search(dec(e)):  # the sanitized pass (test.sh): any report fails
        raise SystemExit(f"FAIL: a sanitizer report (status {status}) from {' '.join(map(str, cmd))}"
                         f"\n{dec(e)[-3000:]}")
    return status, dec(o), dec(e), time.monotonic() - t0


def record(pytt, python, prog, trace, args=(), timeout=120):
    """Record `python prog args` into trace; returns the program's stdout."""
    status, out, err, _ = run([pytt, "record", "-o", trace, python, prog, *args], timeout)
    if status != 0:
        raise SystemExit(f"FAIL: pytt record {prog} exited {status}: {err.strip()[-800:]}")
    return out


def replay(pytt, trace, commands, timeout=300, via_ex=False):
    """Run `pytt replay TRACE --batch -x FILE` on the command lines (kept as given, blank lines
    included), or with one `-ex CMD` per line if via_ex. Returns (status, stdout, stderr,
    seconds)."""
    if via_ex:
        cmd = [pytt, "replay", trace, "--batch", "--program-output", os.devnull]
        for c in commands:
            cmd += ["-ex", c]
        return run(cmd, timeout)
    with tempfile.NamedTemporaryFile("w", suffix=".pytt", delete=False) as f:
        f.write("\n".join(commands) + "\n")
        script = f.name
    try:
        return run([pytt, "replay", trace, "--batch", "-x", script,
                    "--program-output", os.devnull], timeout)
    finally:
        os.unlink(script)


def stop_of(line):
    m = STOP.match(line)
    return (m.group(1), int(m.group(2)), m.group(3)) if m else None


def blocks(out):
    """Cut a shell transcript into blocks, one per stop: [(stop or None, [lines])]. The first
    block holds what precedes the first stop (stop None); a block starting with an exit line
    has stop ('EXIT', status, '')."""
    res = [(None, [])]
    for line in out.splitlines():
        s = stop_of(line)
        m = EXITED.match(line)
        if s:
            res.append((s, []))
        elif m:
            res.append((("EXIT", int(m.group(1)), ""), []))
        else:
            res[-1][1].append(line)
    return res


def split_by_when(lines):
    """Cut a block's lines at `when` outputs: returns ([[lines of command k]], [ticks])."""
    parts, cur, ticks = [], [], []
    for line in lines:
        m = WHEN.match(line)
        if m:
            parts.append(cur)
            ticks.append(tick(m.group(1)))
            cur = []
        else:
            cur.append(line)
    parts.append(cur)
    return parts, ticks


def parse_bt(lines):
    """bt output -> [(file, line, func)] innermost first."""
    res = []
    for line in lines:
        m = BT.match(line)
        if m:
            res.append((m.group(2), int(m.group(3)), m.group(4)))
    return res


def parse_locals(lines):
    res = []
    for line in lines:
        if " = " in line:
            k, v = line.split(" = ", 1)
            res.append([k, v])
        else:
            res.append([None, line])
    return res


INFO_ROW = re.compile(r"^(\d+)\s+breakpoint\s+(keep|del)\s+(yes|no)\s+at (.*?)( \(pending\))?$")


def parse_info_breakpoints(lines):
    """`info breakpoints` table -> {id: {disp, enabled, where, pending, cond, hits}}."""
    table, cur = {}, None
    for line in lines:
        m = INFO_ROW.match(line)
        if m:
            cur = {"disp": m.group(2), "enabled": m.group(3) == "yes", "where": m.group(4),
                   "pending": bool(m.group(5)), "cond": "", "hits": 0}
            table[int(m.group(1))] = cur
        elif cur and line.strip().startswith("stop only if "):
            cur["cond"] = line.strip()[len("stop only if "):]
        elif cur and line.strip().startswith("breakpoint already hit "):
            cur["hits"] = int(line.split()[3])
    return table


def find_line(path, needle, nth=1):
    """The number of the nth line of path containing needle."""
    k = 0
    with open(path) as f:
        for i, text in enumerate(f, 1):
            if needle in text:
                k += 1
                if k == nth:
                    return i
    raise SystemExit(f"test bug: {needle!r} not found in {path}")


def clip(text, n=600):
    text = text.strip()
    return text if len(text) <= n else "..." + text[-n:]


def finish(fails, tmp, kept, summary, keep=False):
    """Print each failure, keep the work directory `tmp` on failure (or if keep) saying `kept`,
    remove it otherwise, print "ok" or summary, and exit 1 on failure."""
    for f in fails:
        print("FAIL:", f)
    if fails or keep:
        print(kept)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok" if not fails else summary)
    sys.exit(1 if fails else 0)
