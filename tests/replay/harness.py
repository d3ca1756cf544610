"""Shared helpers for the record/replay fidelity tests (run by Debian's /usr/bin/python3,
stdlib only).

Every command runs in its own session with a timeout; on timeout the whole process group is
killed, so a hanging pytt fails the test instead of blocking ctest. A failing test keeps its work
directory (trace included) and prints the command that replays it.
"""

import difflib
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS_DIR = os.path.join(HERE, "programs")
SPECIAL_PROGRAMS_DIR = os.path.join(HERE, "special_programs")
DEFAULT_PYTHON = "/usr/bin/python3.11"
# Where work directories go when --workdir is not given (CTest passes the build tree's).
DEFAULT_WORKDIR = os.path.join(os.environ.get("TMPDIR", "/tmp"), "pytt-replay-tests")
PYTT_STATUS = 125  # pytt's own failures
SKIP_STATUS = 77  # ctest SKIP_RETURN_CODE

# Seconds; multiplied by $PYTT_TEST_TIMEOUT_SCALE (e.g. 3 under valgrind or a debug build).
SCALE = float(os.environ.get("PYTT_TEST_TIMEOUT_SCALE", "1"))
NATIVE_TIMEOUT = 30 * SCALE
PYTT_TIMEOUT = 60 * SCALE


class TestFailure(Exception):
    pass


class Skip(Exception):
    pass


def clean_env(**extra):
    """The environment for pytt and its tracees: ours minus PYTHON* (no PYTHONHASHSEED, no
    PYTHONUNBUFFERED: hash randomization and buffering as a user gets them; pytt's own PYTT_*
    settings pass through), plus a stable locale, no .pyc writing (never write into the source
    tree or the stdlib), and `extra` (a value of None removes the variable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["LC_ALL"] = "C.UTF-8"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def first_pytt_line(stderr):
    return next((l for l in stderr.decode("utf-8", "replace").splitlines()
                 if l.startswith("pytt:")), "")


class Result:
    def __init__(self, cmd, status, elapsed, timed_out, stdout=b"", stderr=b""):
        self.cmd, self.status, self.elapsed, self.timed_out = cmd, status, elapsed, timed_out
        self.stdout, self.stderr = stdout, stderr

    def describe(self):
        s = f"exit status {self.status}" if not self.timed_out else "TIMED OUT (killed)"
        first = first_pytt_line(self.stderr) if self.status != 0 else ""
        return (f"{s} after {self.elapsed:.2f}s" + (f" -- {first}" if first else "")
                + f"\n    command: {shell_join(self.cmd)}")


def shell_join(cmd):
    return " ".join(shlex.quote(str(c)) for c in cmd)


def run(cmd, *, env, cwd=None, stdin_path=None, out_path=None, err_path=None,
        timeout=PYTT_TIMEOUT, capture=False):
    """Runs cmd. With out_path, stdout and stderr both go (2>&1) into that file, unless err_path
    is given too (then stderr goes there); with capture, they are captured separately;
    otherwise both go to /dev/null. Returns a Result whose status is the exit status, or 128+N
    when killed by signal N (as a shell reports it)."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    out = open(out_path, "wb") if out_path else None
    err = open(err_path, "wb") if err_path else None
    try:
        if out is not None:
            stdout, stderr = out, (err if err is not None else subprocess.STDOUT)
        elif capture:
            stdout, stderr = subprocess.PIPE, subprocess.PIPE
        else:
            stdout, stderr = subprocess.DEVNULL, subprocess.DEVNULL
        t0 = time.monotonic()
        p = subprocess.Popen([str(c) for c in cmd], stdin=stdin, stdout=stdout, stderr=stderr,
                             env=env, cwd=cwd, start_new_session=True, close_fds=True)
        timed_out = False
        try:
            o, e = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(p.pid)
            o, e = p.communicate()
        finally:
            kill_group(p.pid)  # leftovers (a tracee pytt left behind) must not outlive the test
        elapsed = time.monotonic() - t0
    finally:
        if stdin is not subprocess.DEVNULL:
            stdin.close()
        if out is not None:
            out.close()
        if err is not None:
            err.close()
    status = p.returncode if p.returncode >= 0 else 128 - p.returncode
    return Result(cmd, status, elapsed, timed_out, o or b"", e or b"")


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def parse_header(path):
    """Reads the `# key: value` directives at the top of a test program:
    # nondeterministic      two native runs must differ
    # same-as-native        two native runs must be equal, and the recorded output equal
                            to them (recording must not change what the program sees)
    # args: A B ...         arguments (shlex syntax)
    # stdin: random         stdin is a generated file of random text (else /dev/null)
    # status: N             expected exit status (default 0)
    # expect: TEXT          TEXT must appear in the output (repeatable); with status 0 the
                            output must also contain `END <name>`"""
    h = {"nondeterministic": False, "same_as_native": False, "args": [], "stdin": None,
         "status": 0, "expect": []}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                break
            body = line[1:].strip()
            if body == "nondeterministic":
                h["nondeterministic"] = True
            elif body == "same-as-native":
                h["same_as_native"] = True
            elif ":" in body:
                key, _, val = body.partition(":")
                key, val = key.strip(), val.strip()
                if key == "args":
                    h["args"] = shlex.split(val)
                elif key == "stdin":
                    h["stdin"] = val
                elif key == "status":
                    h["status"] = int(val)
                elif key == "expect":
                    h["expect"].append(val)
    name = os.path.splitext(os.path.basename(path))[0]
    if h["status"] == 0:
        h["expect"].append(f"END {name}")
    return h


def make_random_stdin(path):
    with open(path, "wb") as f:
        for i in range(40):
            f.write(f"stdin line {i} {secrets.token_hex(8)} ünïcödé\n".encode())
        f.write(b"last line without newline \xff\xfe raw bytes")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def describe_difference(expected, actual, exp_name="recorded", act_name="replayed", context=3):
    """None if equal, else a human-readable description of the first difference."""
    if expected == actual:
        return None
    n = min(len(expected), len(actual))
    off = next((i for i in range(n) if expected[i] != actual[i]), n)
    msg = [f"{exp_name} output: {len(expected)} bytes, {act_name} output: {len(actual)} bytes; "
           f"first difference at byte {off}"]
    if off == n:
        shorter = act_name if len(actual) < len(expected) else exp_name
        msg.append(f"({shorter} output is a strict prefix of the other one)")
    el = expected.split(b"\n")
    al = actual.split(b"\n")
    line_no = expected[:off].count(b"\n")
    lo = max(0, line_no - context)
    ex = [printable(l) for l in el[lo:line_no + context + 1]]
    ac = [printable(l) for l in al[lo:line_no + context + 1]]
    diff = list(difflib.unified_diff(ex, ac, exp_name, act_name, lineterm="", n=context))
    msg.append(f"first differing line: {line_no + 1}; diff of lines {lo + 1}..:")
    for l in diff[:40]:
        msg.append("    " + (l if len(l) < 300 else l[:300] + "..."))
    return "\n".join(msg)


def printable(line):
    """Decodes one line of program output for display; control characters are escaped."""
    text = line.decode("utf-8", "backslashreplace") if isinstance(line, bytes) else line
    return "".join(ch if ch.isprintable() or ch == "\t" else f"\\x{ord(ch):02x}" for ch in text)


def tail_text(data, n=15):
    lines = data.rstrip(b"\n").split(b"\n")
    return "\n".join("    | " + printable(l)[:300] for l in lines[-n:]) if data else "    | (empty)"


class WorkDir:
    """work/<test name>/, created afresh; deleted on success, kept on failure."""

    def __init__(self, root, name):
        self.path = os.path.join(os.path.realpath(root), name)
        shutil.rmtree(self.path, ignore_errors=True)
        os.makedirs(self.path)

    def __call__(self, *parts):
        return os.path.join(self.path, *parts)


def main(test_name, body, workdir, replay_hint):
    """Runs body(); prints PASS/FAIL/SKIP and exits 0/1/77. replay_hint() returns the
    command(s) that replay the kept trace(s), printed on failure."""
    try:
        body()
    except Skip as e:
        print(f"SKIP {test_name}: {e}")
        shutil.rmtree(workdir.path, ignore_errors=True)
        sys.exit(SKIP_STATUS)
    except TestFailure as e:
        print(f"FAIL {test_name}:\n{e}")
        print(f"work directory kept: {workdir.path}")
        hint = replay_hint()
        if hint:
            print("replay it with:\n" + "\n".join("    " + h for h in hint))
        sys.stdout.flush()
        sys.exit(1)
    print(f"PASS {test_name}")
    shutil.rmtree(workdir.path, ignore_errors=True)
    sys.exit(0)


def check_pytt_error(res, what, must_match=None, label="message", must_contain=None):
    """Checks that a pytt invocation failed the way pytt's own failures must: status 125, no
    crash (< 128), no hang, and a line starting with `pytt:` on stderr matching must_match."""
    err = res.stderr.decode("utf-8", "backslashreplace")
    problems = []
    if res.timed_out:
        problems.append("it hung (timed out and was killed)")
    elif res.status >= 128:
        problems.append(f"it crashed: exit status {res.status} (signal {res.status - 128})")
    elif res.status != PYTT_STATUS:
        problems.append(f"exit status {res.status}, expected {PYTT_STATUS}")
    pytt_lines = [l for l in err.splitlines() if l.startswith("pytt:")]
    if not pytt_lines:
        problems.append("no line starting with 'pytt:' on stderr")
    if must_match and not re.search(must_match, err, re.I | re.S):
        problems.append(f"stderr does not match /{must_match}/i ({label})")
    if must_contain and must_contain not in err:
        problems.append(f"stderr does not contain {must_contain} ({label})")
    if problems:
        raise TestFailure(f"{what}: " + "; ".join(problems) + f"\n  result: {res.describe()}\n"
                          f"  stderr:\n{tail_text(res.stderr)}\n  stdout:\n{tail_text(res.stdout, 5)}")
