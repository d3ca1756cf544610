"""Golden transcripts of the replay shell, in the style of strace's and rr's tests: each
directory under tests/transcripts/ holds a program, a command file (*.pytt) and the session's
expected output (`expected`). The harness records the program with the freshly built pytt, runs
`pytt replay TRACE --batch -x FILE` (stdout and stderr on one pipe, and the program recorded
with PYTHONUNBUFFERED=1, so the program's output and the shell's text interleave as a user sees
them on a terminal), masks what changes from run to run and
compares the result with `expected` line by line.

The command file's leading comments configure the test (pytt ignores them):
    # program: inventory.py [ARGS...]   the program (default: the only .py of the directory;
                                         a path relative to it, e.g. another test's program
                                         under tests/, is shown as <tests>/...)
    # replay: --end                      more `pytt replay` options
    # mask: REGEX                        also replace REGEX's matches by <masked> (values that
                                         depend on the recording: random numbers, clocks)
Always masked: the directory (<dir>), tests/ (<tests>), the trace (<trace>), the standard
library's directory (<stdlib>), hexadecimal
addresses (0x...), pids and tids, tick, event and snapshot-size numbers, and progress lines
(timing).

    /usr/bin/python3 tests/transcripts/run.py --pytt build/cli/pytt [--update] [NAME...]

Every build of 3.10-3.13 runs the same sessions. `expected` is Debian's python3.11's; where
another build's session differs in what the program or the standard library itself prints
(traceback carets, the standard library's paths and lines, 3.13's traceback printed by Python
code), the most specific of `expected.X.Y.Zd`, `expected.X.Yd` (a --with-pydebug build, which
does not freeze the standard library: its frames show the source file, not `<frozen ...>`),
`expected.X.Y.Z` (pyenv's 3.11.7, whose threading.py has other line numbers than Debian's
3.11.2) and `expected.X.Y` is compared instead.

--update writes `expected` (python3.11), `expected.X.Y` or `expected.X.Yd`, or with
--update-as X.Y.Z that file (only where it differs from the file compared otherwise) from
this run (check the diff before committing it). A failing test prints the difference and keeps
its trace, with the command that replays it."""
import argparse
import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
SKIP = 77
SCALE = float(os.environ.get("PYTT_TEST_TIMEOUT_SCALE", "1"))

GENERIC_MASKS = [
    (re.compile(r"0x[0-9a-f]+"), "0x..."),
    # a pid's padding in a column depends on its digits: one space kept
    (re.compile(r"\bpid \d+( +)?"), lambda m: "pid <pid>" + (" " if m.group(1) else "")),
    (re.compile(r"\btid \d+"), "tid <tid>"),
    (re.compile(r"\b(tick|event|ticks|events|at tick) \d+(\.\d+)?"), r"\1 <n>"),
    (re.compile(r"\b(of|to) \d{4,}(\.\d+)?\b"), r"\1 <n>"),
    (re.compile(r"\b\d+ KiB\b"), "<n> KiB"),
    (re.compile(r"^(ticks replayed|events): \d+"), r"\1: <n>"),
    (re.compile(r"\btick <n> +"), "tick <n> "),  # a column padded to the tick's digits
    (re.compile(r"(snapshots restored): \d+"), r"\1: <n>"),
]
DROP = re.compile(r"^(running forward: |searching back: |Command execution time)")


def env(extra=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    e["PYTHONDONTWRITEBYTECODE"] = "1"
    e["PYTHONUNBUFFERED"] = "1"  # the program's output interleaves as on a terminal
    e["LC_ALL"] = "C.UTF-8"
    e.update(extra or {})
    return e


def config(test_dir, cmd_file):
    """The header comments of the command file."""
    conf = {"program": None, "replay": [], "mask": []}
    with open(cmd_file) as f:
        for line in f:
            m = re.match(r"#\s*(program|replay|mask):\s*(.*?)\s*$", line)
            if not m:
                if line.strip() and not line.startswith("#"):
                    break
                continue
            key, value = m.groups()
            if key == "program":
                conf["program"] = shlex.split(value)
            elif key == "replay":
                conf["replay"] += shlex.split(value)
            else:
                conf["mask"].append(re.compile(value))
    if not conf["program"]:
        progs = [p for p in os.listdir(test_dir) if p.endswith(".py")]
        if len(progs) != 1:
            raise SystemExit(f"{test_dir}: name the program with `# program:` ({progs})")
        conf["program"] = [progs[0]]
    return conf


def mask(text, test_dir, trace, extra, stdlib):
    out = []
    for line in text.splitlines():
        if DROP.match(line):
            continue
        line = line.replace(trace, "<trace>").replace(test_dir, "<dir>").replace(TESTS, "<tests>")
        line = line.replace(stdlib, "<stdlib>/")
        for rx in extra:
            line = rx.sub("<masked>", line)
        for rx, rep in GENERIC_MASKS:
            line = rx.sub(rep, line)
        out.append(line.rstrip())
    return "\n".join(out) + "\n"


def run(cmd, cwd, timeout, extra_env=None):
    p = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env(extra_env), start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout * SCALE)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        out, _ = p.communicate()
        return "timeout", out.decode("utf-8", "replace")
    return p.returncode, out.decode("utf-8", "replace")


def expected_file(args, test_dir, exclude=None):
    """The expected session for this interpreter: the most specific of expected.X.Y.Zd,
    expected.X.Yd (a --with-pydebug build), expected.X.Y.Z, expected.X.Y, expected."""
    d = ["d"] if args.debug else []
    names = [f".{v}{x}" for x in d + [""] for v in (args.full, args.version)] + [""]
    for n in names:
        path = os.path.join(test_dir, "expected" + n)
        if path != exclude and os.path.exists(path):
            return path
    return os.path.join(test_dir, "expected")


def one(args, name, work):
    test_dir = os.path.join(HERE, name)
    cmd_files = [f for f in os.listdir(test_dir) if f.endswith(".pytt")]
    if len(cmd_files) != 1:
        return f"{name}: expected one .pytt command file, found {cmd_files}"
    cmd_file = os.path.join(test_dir, cmd_files[0])
    conf = config(test_dir, cmd_file)
    trace = os.path.join(work, name + "-trace")
    prog = [os.path.normpath(os.path.join(test_dir, conf["program"][0]))] + conf["program"][1:]
    status, out = run([args.pytt, "record", "-o", trace, args.python] + prog, test_dir, 120)
    if not os.path.isdir(trace):
        return f"{name}: pytt record failed ({status}):\n{out[-2000:]}"
    status, out = run([args.pytt, "replay", trace, "--batch", "-x", cmd_file] + conf["replay"],
                      test_dir, 300, {"HOME": work})
    got = mask(out, test_dir, trace, conf["mask"], args.stdlib) + f"[exit status {status}]\n"
    expected_path = expected_file(args, test_dir)
    if args.update:
        target = os.path.join(test_dir, "expected" + args.update_as)
        fallback = expected_file(args, test_dir, exclude=target)
        if target != fallback and os.path.exists(fallback):
            with open(fallback) as f:
                if f.read() == got:
                    if os.path.exists(target):
                        os.unlink(target)
                    print(f"{name}: {args.full} as {os.path.basename(fallback)}")
                    return None
        with open(target, "w") as f:
            f.write(got)
        print(f"{name}: wrote {target}")
        return None
    with open(expected_path) as f:
        want = f.read()
    if got == want:
        print(f"{name}: ok")
        shutil.rmtree(trace, ignore_errors=True)
        return None
    diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                        "expected", "got"))
    return (f"{name}: the session differs from {expected_path}\n{diff}"
            f"trace kept: pytt replay {trace} --batch -x {cmd_file} "
            f"{' '.join(conf['replay'])}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pytt", required=True)
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--update-as", help="with --update: write expected.UPDATE_AS (e.g. 3.11.7); "
                    "default: the version's file")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    args.pytt = os.path.abspath(args.pytt)
    if not os.path.exists(args.python):
        print(f"SKIP: {args.python} is not installed")
        return SKIP
    args.full, prefix, debug = subprocess.run(
        [args.python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3], sys.prefix, "
         "hasattr(sys, 'gettotalrefcount'))"],
        capture_output=True, text=True, env=env()).stdout.split()
    args.version = args.full.rsplit(".", 1)[0]
    args.debug = debug == "True"
    if args.update_as is None:  # `expected` is Debian's python3.11's
        args.update_as = "" if args.version == "3.11" and not args.debug else \
            "." + args.version + ("d" if args.debug else "")
    elif args.update_as:
        args.update_as = "." + args.update_as
    args.stdlib = f"{prefix.rstrip('/')}/lib/python{args.version}/"
    names = args.names or sorted(d for d in os.listdir(HERE)
                                 if os.path.isdir(os.path.join(HERE, d)))
    work = tempfile.mkdtemp(prefix="pytt-transcripts-")
    fails = [f for f in (one(args, n, work) for n in names) if f]
    for f in fails:
        print("FAIL:", f)
    if not fails:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
