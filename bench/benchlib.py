"""Helpers shared by the benchmark scripts (bench/run_*.py): finding pytt, timing a command,
describing the machine. Stdlib only (Debian's /usr/bin/python3)."""
import argparse
import datetime
import math
import os
import sys
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def common_parser(doc, runs=5):
    """The options every benchmark script takes: --pytt, --python, -n/--runs, --smoke (one
    small round, for CTest), --markdown FILE."""
    ap = argparse.ArgumentParser(description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pytt")
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("-n", "--runs", type=int, default=runs)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--markdown")
    return ap


def find_pytt():
    """$PYTT, else build*/cli/pytt in the repository, else pytt on PATH."""
    if os.environ.get("PYTT"):
        return os.environ["PYTT"]
    for d in sorted(os.listdir(REPO)):
        cand = os.path.join(REPO, d, "cli", "pytt")
        if d.startswith("build") and os.access(cand, os.X_OK):
            return cand
    return shutil.which("pytt")


class Run:
    """One timed command: wall seconds, CPU seconds (user + system of the command and its
    children: less sensitive than wall time to other work on the machine), exit status
    ("timeout" if killed), stdout, stderr."""

    def __init__(self, seconds, status, stdout, stderr, cpu=None):
        self.seconds, self.status, self.stdout, self.stderr = seconds, status, stdout, stderr
        self.cpu = cpu


def _children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd, cwd=None, capture=False, timeout=900, env=None, merge_stderr=False):
    """Run cmd (stdin from /dev/null, stdout kept only if capture) and time it. merge_stderr:
    stderr goes into the same pipe as stdout (in the order written; Run.stderr is then empty),
    as `pytt replay --program-output` keeps a program's output."""
    c0, t0 = _children_cpu(), time.perf_counter()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                           stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                           stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
                           timeout=timeout)
        status = p.returncode if p.returncode >= 0 else 128 - p.returncode
        out, err = p.stdout or b"", p.stderr or b""
    except subprocess.TimeoutExpired:
        status, out, err = "timeout", b"", b""
    return Run(time.perf_counter() - t0, status, out, err, _children_cpu() - c0)


def median(values):
    """Median of the values that are not None, or None."""
    ok = [v for v in values if v is not None]
    return statistics.median(ok) if ok else None


def geomean(xs):
    xs = [x for x in xs if x]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total():
    try:
        with open("/proc/meminfo") as f:
            return f"{int(f.readline().split()[1]) / 1048576:.1f} GiB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def load_average():
    """The 1, 5 and 15 minute load averages as text (the machine may be shared: say under what
    load a figure was measured)."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def stamp():
    """The local date and time, for a report's title."""
    return datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")


def command_line(script):
    """How this benchmark was run (`script` is its path from the repository root)."""
    return "/usr/bin/python3 " + " ".join(shlex.quote(x) for x in [script] + sys.argv[1:])


def machine_line(load_start):
    """The report's machine line: host, CPUs, RAM, the load average at the start (text from
    load_average(), taken before the runs) and now."""
    return (f"- machine: {platform.node()}, {os.cpu_count()} CPUs, {cpu_model()}, "
            f"{mem_total()} RAM; load average at the start: {load_start}, at the end: "
            f"{load_average()}")


def git_rev():
    try:
        return subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def finish_report(lines, failures, markdown, keep, work):
    """Print the markdown report (to `markdown` too if given) with any failures, keep or remove
    the work directory; returns the exit status (1 if anything failed)."""
    if failures:
        lines += ["", "**Failures:**"] + [f"- {f}" for f in failures]
    report = "\n".join(lines)
    print(report)
    if markdown:
        with open(markdown, "w") as f:
            f.write(report + "\n")
    if keep:
        print(f"traces kept in {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0
