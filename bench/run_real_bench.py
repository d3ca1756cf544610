#!/usr/bin/python3
"""Real-program benchmark set (issue #15): programs built from Debian-packaged Python tools and
libraries and import-heavy stdlib runs, each timed natively, under `pytt record` (with the
in-process syscall buffer), under `pytt record --no-syscallbuf`, and under `pytt replay -a`
(of the buffered recording). Goals: record median <= 1.3x native and worst <= 2x; replay
median <= 1.3x.

    bench/run_real_bench.py [--pytt PATH] [--pytt-rev TEXT] [--python PY] [-n RUNS] [--smoke]
                            [--only NAME,...] [--markdown FILE] [--keep] [--list]

Programs (bench/real_workloads.py generates their inputs in a temporary directory; nothing
large is committed): a pytest run of a small generated suite, a unittest discover run,
pyflakes over stdlib packages, a sphinx build of a generated project, json.tool on a large
generated file, compileall of a copied stdlib tree, a flask test client, numpy, sqlite3,
jinja2 rendering, pygments highlighting, PyYAML, csv + statistics, tarfile + gzip, and pip
list. A program whose Debian package is missing is skipped with the reason printed
(`./install-deps.sh --bench` installs them: python3-pytest python3-flask python3-numpy
python3-sphinx python3-jinja2 python3-yaml python3-pyflakes python3-pygments).

After one untimed native run of each program (to warm the page cache), each round runs, per
program: native, `pytt record`, `pytt record --no-syscallbuf`,
`pytt replay -a` (interleaved); N rounds (default 3; --smoke: 1 round, small inputs, for
CTest); one table gives the median wall-clock seconds per program and the ratios against the
native median, then the median and worst ratio of each column; a second table the same in CPU
seconds (user + system of the command and all its processes: steadier on a loaded machine). PYTHONHASHSEED=0 for every run
so that native and recorded output can be compared.

Checks (a failure is listed under **Failures** and makes the exit status 1; timings are never
thresholds): each recorded run exits with the native status and, where the program's output
is deterministic, prints the native stdout; `pytt replay -a` of each buffered recording exits
with the recorded status and its program output (--program-output FILE) equals the recorded
stdout byte for byte. Stdlib only (Debian's /usr/bin/python3).
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import (REPO, command_line, common_parser, find_pytt,  # noqa: E402
                      finish_report, git_rev, load_average, machine_line, median, stamp, timed)
import real_workloads  # noqa: E402

TIMEOUT = 600
KINDS = [("native", "native"), ("record", "record"),
         ("nobuf", "--no-syscallbuf"), ("replay", "replay -a")]


def missing_modules(python, modules):
    """The modules of `modules` that `python` cannot import (empty if all import)."""
    missing = []
    for m in modules:
        p = subprocess.run([python, "-c", f"import {m}"], capture_output=True, timeout=120)
        if p.returncode != 0:
            missing.append(m)
    return missing


def ratio(t, nat):
    return t / nat if t is not None and nat else None


def fmt_ratio(r):
    return f"{r:.2f}×" if r is not None else "—"


def fmt_secs(t):
    return f"{t:.2f}" if t is not None else "—"


def has_syscallbuf(pytt):
    """Whether this pytt has the syscall buffer (`record --no-syscallbuf`): builds before it
    have no such option, and the benchmark then leaves that column empty."""
    p = subprocess.run([pytt, "record", "--help"], capture_output=True, text=True, timeout=60)
    return "--no-syscallbuf" in p.stdout + p.stderr


class Bench:
    """Runs the four kinds of one program for one round and checks their outputs."""

    def __init__(self, pytt, work, env, failures, nobuf):
        self.pytt, self.work, self.env, self.failures = pytt, work, env, failures
        self.with_nobuf = nobuf

    def fail(self, prog, rnd, what, run=None):
        tail = ""
        text = run.stderr or run.stdout if run is not None else b""
        if text:
            tail = ": " + text.decode("utf-8", "replace").strip()[-400:]
        self.failures.append(f"{prog.name} (round {rnd + 1}): {what}{tail}")

    def native(self, prog, rnd):
        prog.reset()
        nat = timed(prog.argv, cwd=prog.cwd, capture=True, timeout=TIMEOUT, env=self.env,
                    merge_stderr=True)
        if nat.status not in prog.statuses:
            self.fail(prog, rnd, f"native run exited with {nat.status}, expected "
                      f"{' or '.join(map(str, prog.statuses))}", nat)
            return None
        return nat

    def record(self, prog, rnd, nat, trace, opts):
        prog.reset()
        shutil.rmtree(trace, ignore_errors=True)
        r = timed([self.pytt, "record", "-o", trace] + opts + ["--"] + prog.argv,
                  cwd=prog.cwd, capture=True, timeout=TIMEOUT, env=self.env, merge_stderr=True)
        label = "record " + " ".join(opts) if opts else "record"
        if r.status != nat.status:
            self.fail(prog, rnd, f"{label} exited with {r.status}, natively {nat.status}", r)
            return None
        if prog.same_output and r.stdout != nat.stdout:
            self.fail(prog, rnd, f"{label} printed {r.stdout[-200:]!r}, natively "
                      f"{nat.stdout[-200:]!r}")
            return None
        return r

    def replay(self, prog, rnd, rec, trace):
        out = trace + ".out"
        r = timed([self.pytt, "replay", trace, "-a", "--program-output", out],
                  cwd=prog.cwd, timeout=TIMEOUT, env=self.env)
        if r.status != rec.status:
            self.fail(prog, rnd, f"replay -a exited with {r.status}, recorded {rec.status}", r)
            return None
        with open(out, "rb") as f:
            got = f.read()
        if got != rec.stdout:
            self.fail(prog, rnd, f"replay -a printed {len(got)} bytes that differ from the "
                      f"{len(rec.stdout)} recorded ({got[-120:]!r} vs {rec.stdout[-120:]!r})")
            return None
        return r

    def warm(self, prog):
        """One untimed native run before the rounds: the first run of a program pays for a
        cold page cache (its modules, its inputs), which would count against native alone."""
        prog.reset()
        timed(prog.argv, cwd=prog.cwd, timeout=TIMEOUT, env=self.env)

    def round(self, prog, rnd, keep):
        """{kind: Run or None} for one round of one program."""
        times = dict.fromkeys(k for k, _ in KINDS)
        nat = self.native(prog, rnd)
        if nat is None:
            return times
        times["native"] = nat
        base = os.path.join(self.work, "traces", f"{prog.name}-{rnd}")
        rec = self.record(prog, rnd, nat, base, [])
        times["record"] = rec
        if self.with_nobuf:
            times["nobuf"] = self.record(prog, rnd, nat, base + "-nobuf", ["--no-syscallbuf"])
        if not keep:
            shutil.rmtree(base + "-nobuf", ignore_errors=True)
        if rec is not None:
            rep = self.replay(prog, rnd, rec, base)
            times["replay"] = rep
        if not keep:
            shutil.rmtree(base, ignore_errors=True)
            if os.path.exists(base + ".out"):
                os.remove(base + ".out")
        return times


def table(progs, med, title):
    """Markdown rows: one per program, then the median and worst ratio of each pytt column."""
    lines = ["| program | native " + title + " | "
             + " | ".join(f"{label} {title} (×)" for _, label in KINDS[1:]) + " |",
             "| --- | ---: | ---: | ---: | ---: |"]
    ratios = {k: [] for k, _ in KINDS[1:]}
    for prog in progs:
        m = med[prog.name]
        cells = [fmt_secs(m["native"])]
        for k, _ in KINDS[1:]:
            r = ratio(m[k], m["native"])
            if r is not None:
                ratios[k].append(r)
            cells.append(f"{fmt_secs(m[k])} ({fmt_ratio(r)})")
        lines.append(f"| {prog.name} | " + " | ".join(cells) + " |")
    for label, fn in (("median", median), ("worst", lambda v: max(v) if v else None)):
        lines.append(f"| **{label} ratio** | | "
                     + " | ".join(f"**{fmt_ratio(fn(ratios[k]))}**" for k, _ in KINDS[1:])
                     + " |")
    return lines


def pytt_rev(pytt, given):
    """What the pytt binary was built from, for the report."""
    if given:
        return given
    if os.path.realpath(pytt).startswith(os.path.realpath(REPO) + os.sep):
        return f"this tree (git {git_rev()})"
    return "unknown (pass --pytt-rev)"


def main():
    ap = common_parser(__doc__, runs=3)
    ap.add_argument("--only", help="comma-separated program names (see --list)")
    ap.add_argument("--list", action="store_true", help="list the programs and exit")
    ap.add_argument("--keep", action="store_true", help="keep the work directory and traces")
    ap.add_argument("--pytt-rev", help="what the pytt binary was built from (e.g. `git log -1 "
                    "--oneline` of its tree), for the report; default: this tree's commit if "
                    "the binary is inside it")
    a = ap.parse_args()
    if a.list:
        for name, _, desc in real_workloads.PROGRAMS:
            print(f"{name:12} {desc}")
        return 0
    pytt = os.path.abspath(a.pytt) if a.pytt else find_pytt()
    if not pytt or not os.access(pytt, os.X_OK):
        print(f"run_real_bench: no pytt binary {'at ' + pytt if pytt else 'found'}: build it "
              "(cmake --build build) or pass --pytt PATH", file=sys.stderr)
        return 2
    if not os.access(a.python, os.X_OK):
        print(f"run_real_bench: --python {a.python} is not an executable interpreter; pass "
              "the Python to record (default /usr/bin/python3.11)", file=sys.stderr)
        return 2
    wanted = set(a.only.split(",")) if a.only else None
    known = {name for name, _, _ in real_workloads.PROGRAMS}
    if wanted and wanted - known:
        print(f"run_real_bench: unknown program(s) {', '.join(sorted(wanted - known))}; "
              f"known: {', '.join(sorted(known))}", file=sys.stderr)
        return 2
    runs = 1 if a.smoke else a.runs
    work = tempfile.mkdtemp(prefix="pytt-real-bench-")
    os.makedirs(os.path.join(work, "traces"))
    load_start = load_average()
    env = dict(os.environ, PYTHONHASHSEED="0")
    progs, skipped = [], []
    for name, make, desc in real_workloads.PROGRAMS:
        if wanted and name not in wanted:
            continue
        prog = make(os.path.join(work, name), a.python, a.smoke)
        miss = missing_modules(a.python, prog.modules)
        if miss:
            reason = (f"{name}: skipped, {a.python} cannot import {', '.join(miss)} "
                      f"(apt-get install {prog.package}, or ./install-deps.sh --bench)")
            print(reason, file=sys.stderr)
            skipped.append(reason)
            continue
        prog.prepare()
        progs.append(prog)
    failures = []
    nobuf = has_syscallbuf(pytt)
    bench = Bench(pytt, work, env, failures, nobuf)
    runs_of = {p.name: {k: [] for k, _ in KINDS} for p in progs}
    for prog in progs:
        bench.warm(prog)
    for rnd in range(runs):
        for prog in progs:
            for k, r in bench.round(prog, rnd, a.keep).items():
                runs_of[prog.name][k].append(r)
            print(f"round {rnd + 1}/{runs} {prog.name}: " + ", ".join(
                f"{k} {fmt_secs(getattr(runs_of[prog.name][k][-1], 'seconds', None))}"
                for k, _ in KINDS), file=sys.stderr)

    def medians(attr):
        return {p: {k: median([getattr(r, attr) if r else None for r in v])
                    for k, v in kv.items()} for p, kv in runs_of.items()}
    out = [f"### Real-program set ({stamp()})", "",
           f"- command: `{command_line('bench/run_real_bench.py')}`; bench scripts at git "
           f"{git_rev()}",
           f"- pytt `{pytt}`, built from {pytt_rev(pytt, a.pytt_rev)}; python `{a.python}`",
           machine_line(load_start),
           f"- medians of {runs} interleaved round(s), wall-clock seconds; × = against native; "
           "replay -a replays the `pytt record` recording (with the buffer where the build "
           "has one)",
           "- goals: record median <= 1.3×, worst <= 2×; replay -a median <= 1.3×"]
    if not nobuf:
        out.append("- this pytt has no syscall buffer (no `record --no-syscallbuf`): that "
                   "column is empty")
    out.append("")
    out += table(progs, medians("seconds"), "s")
    out += ["", "CPU seconds (user + system of the command and all its processes; steadier "
            "than wall-clock time on a loaded machine):", ""]
    out += table(progs, medians("cpu"), "CPU s")
    out += ["", "Programs:"] + [f"- {p.name}: {p.desc}" for p in progs]
    if skipped:
        out += ["", "Skipped:"] + [f"- {s}" for s in skipped]
    return finish_report(out, failures, a.markdown, a.keep, work)


if __name__ == "__main__":
    sys.exit(main())
