#!/usr/bin/python3
"""The full version matrix: every debugger test of tests/nav, tests/pyintrospect, tests/eval
and every golden transcript of tests/transcripts on every CPython build (Debian's python3.11 and python3.11d, pyenv's 3.10, 3.11, 3.12 and 3.13), one
test at a time, and a Markdown report of the results (docs/version-matrix.md by default).

CTest runs most of these per build already (`ctest -L nav`, `-L pyintrospect`); this script
adds what CTest leaves to one build to keep the suite short (breakpoints on every line of
every program, tests/nav/test_breakpoint_lines.py) and records, in one place, what passed
where, with the time each took and the machine's load.

    tests/run_version_matrix.py --pytt build/cli/pytt --build-dir build [--out FILE] [-k WORD]

A build that is not installed is reported as skipped. Exit status 0 if nothing failed.
"""
import argparse
import glob
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYENV = os.path.join(os.environ.get("PYENV_ROOT", "/root/.pyenv"), "versions")
BUILDS = [  # (name as the CTest loops call it, pyintrospect harness name, interpreter)
    ("debian", "debian", "/usr/bin/python3.11"),
    ("pydebug", "debian-dbg", "/usr/bin/python3.11d"),
    ("pyenv310", "pyenv310", os.path.join(PYENV, "3.10.13", "bin", "python3.10")),
    ("pyenv", "pyenv", os.path.join(PYENV, "3.11.7", "bin", "python3.11")),
    ("pyenv312", "pyenv312", os.path.join(PYENV, "3.12.1", "bin", "python3.12")),
    ("pyenv313", "pyenv313", os.path.join(PYENV, "3.13.0", "bin", "python3.13")),
]
NAV_KINDS = ["breakpoints", "motions", "determinism", "reverse", "random_motions", "threads",
             "breakpoint_lines"]
EVAL_KINDS = ["eval_oracle", "conditions", "isolation"]
PYI_CASES = ["values", "lines", "dump", "session", "unicode", "gdb", "errors"]


def tests_for(build, pyi_build, python, args):
    """(name, command) of every test on one build."""
    nav = os.path.join(HERE, "nav")
    out = []
    for prog in sorted(glob.glob(os.path.join(nav, "programs", "*.py"))):
        name = os.path.splitext(os.path.basename(prog))[0]
        out.append(("nav.step." + name, [sys.executable, os.path.join(nav, "test_stepping.py"),
                                         "--pytt", args.pytt, "--python", python,
                                         "--program", prog]))
    for kind in NAV_KINDS:
        out.append(("nav." + kind, [sys.executable, os.path.join(nav, "test_%s.py" % kind),
                                    "--pytt", args.pytt, "--python", python]))
    pyi = os.path.join(HERE, "pyintrospect")
    tools = os.path.join(args.build_dir, "tests", "pyintrospect")
    for case in PYI_CASES:
        out.append(("pyintrospect." + case,
                    [sys.executable, os.path.join(pyi, "test_pyintrospect.py"),
                     "--probe", os.path.join(tools, "pyi_probe"), "--pytt", args.pytt,
                     "--unit", os.path.join(tools, "pyi_unit"), pyi_build, case]))
    for kind in EVAL_KINDS:
        out.append(("eval." + kind, [sys.executable, os.path.join(HERE, "eval", "test_%s.py" % kind),
                                     "--pytt", args.pytt, "--python", python]))
    transcripts = os.path.join(HERE, "transcripts")
    for d in sorted(os.listdir(transcripts)):
        if os.path.exists(os.path.join(transcripts, d, "expected")):
            out.append(("transcripts." + d, [sys.executable, os.path.join(transcripts, "run.py"),
                                             "--pytt", args.pytt, "--python", python, d]))
    return [(n, c) for n, c in out if not args.k or args.k in n]


def version_of(python):
    try:
        return subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                              capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        return "?"


def run_one(cmd):
    start = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    tail = (p.stdout + p.stderr).strip().splitlines()[-3:]
    status = {0: "pass", 77: "skip"}.get(p.returncode, "FAIL")
    return status, time.time() - start, tail


def report(results, builds, load_before, load_after, elapsed):
    names = []
    for _, rows in results:
        for name, *_ in rows:
            if name not in names:
                names.append(name)
    lines = ["# CPython version matrix", "",
             "Every debugger test on every CPython build, one at a time, written by "
             "`tests/run_version_matrix.py` (`--out` this file). CTest runs most of them per "
             "build (`ctest -L nav`, `-L pyintrospect`); `nav.breakpoint_lines` runs on every "
             "build only here. Seconds per test; `skip` means the build or a tool is absent.",
             "",
             "Run on %s (%s), %s; load average %s before, %s after; %.0f s in all." %
             (platform.node(), platform.platform(), time.strftime("%Y-%m-%d %H:%M"),
              load_before, load_after, elapsed), "",
             "| test | " + " | ".join("%s (%s)" % (b, v) for b, v in builds) + " |",
             "|---|" + "---|" * len(builds)]
    by_build = {b: {n: (st, sec) for n, st, sec, _ in rows} for (b, _), (_, rows) in
                zip(builds, results)}
    for name in names:
        cells = []
        for b, _ in builds:
            st, sec = by_build[b].get(name, ("-", 0))
            cells.append(st if st in ("-", "skip") else "%s %.0f" % (st, sec))
        lines.append("| %s | %s |" % (name, " | ".join(cells)))
    failures = [(b, n, tail) for (b, _), (_, rows) in zip(builds, results)
                for n, st, _, tail in rows if st == "FAIL"]
    lines += ["", "Failures: %d" % len(failures)]
    for b, n, tail in failures:
        lines.append("- %s on %s: %s" % (n, b, " / ".join(tail)[:300]))
    return "\n".join(lines) + "\n", failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pytt", required=True)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "version-matrix.md"))
    ap.add_argument("-k", help="only the tests whose name contains this")
    args = ap.parse_args()
    args.pytt = os.path.abspath(args.pytt)
    args.build_dir = os.path.abspath(args.build_dir)
    load_before = "%.2f" % os.getloadavg()[0]
    start = time.time()
    results, builds = [], []
    for build, pyi_build, python in BUILDS:
        rows = []
        present = os.path.exists(python)
        builds.append((build, version_of(python) if present else "absent"))
        for name, cmd in tests_for(build, pyi_build, python, args):
            if not present:
                rows.append((name, "skip", 0, ["%s is not installed" % python]))
                continue
            status, secs, tail = run_one(cmd)
            print("%-6s %6.1fs %s on %s" % (status, secs, name, build), flush=True)
            rows.append((name, status, secs, tail))
        results.append((build, rows))
    text, failures = report(results, builds, load_before, "%.2f" % os.getloadavg()[0],
                            time.time() - start)
    with open(args.out, "w") as f:
        f.write(text)
    print("wrote %s: %d failures" % (args.out, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
