#!/usr/bin/env python3
"""`pytt record --children`, `pytt ps`, `pytt replay -p`: real recordings of programs whose
children are Python processes (multiprocessing.Pool with the spawn and forkserver start methods,
subprocess'd scripts, fork children). Oracles: the parent's replay equals the recorded output
byte for byte (with and without --children) and exits as recorded; each recorded child's
`replay -p PID -a` reproduces exactly the lines that child wrote in the recording; a breakpoint
in a child shows the arguments the child printed about itself, and step / reverse-step move
between its lines; `pytt ps` matches a golden listing (pids, times and fd numbers normalized).

Run one: children.py --pytt build/cli/pytt --test pool_spawn (--list lists them).
"""

import argparse
import ast
import os
import re
import secrets
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "replay"))
import harness as H  # noqa: E402

PROGRAMS = os.path.join(HERE, "programs")
TESTS = {}


def test(fn):
    TESTS[fn.__name__] = fn
    return fn


class Ctx:
    def __init__(self, pytt, python, wd):
        self.pytt, self.python, self.wd = pytt, python, wd
        self.traces = []

    def record(self, tag, args, children=True, opts=(), env=None, status=0):
        trace, out = self.wd(tag), self.wd(tag + ".rec.out")
        self.traces.append(trace)
        cmd = [self.pytt, "record", "-o", trace] + (["--children"] if children else [])
        cmd += list(opts) + ["--", self.python] + args
        res = H.run(cmd, env=env or H.clean_env(), cwd=self.wd.path, out_path=out)
        if res.status != status:
            raise H.TestFailure(f"record {tag}: {res.describe()}\n{H.tail_text(H.read(out))}")
        return trace, H.read(out)

    def replay_all(self, trace, what, expected, status=0, pid=None):
        """replay -a (of child pid): its output must be `expected`, its status `status`."""
        out = self.wd(f"{os.path.basename(trace)}.{pid or 'parent'}.rep.out")
        cmd = [self.pytt, "replay", trace] + (["-p", str(pid)] if pid else [])
        cmd += ["-a", "--program-output", out]
        res = H.run(cmd, env=H.clean_env(), cwd=self.wd.path, capture=True)
        got = H.read(out) if os.path.exists(out) else b""
        diff = H.describe_difference(expected, got, "recorded", "replayed")
        if res.status != status or diff:
            raise H.TestFailure(f"replay of {what}: {res.describe()} (expected status {status})"
                                f"\n{diff or ''}\n{H.tail_text(res.stderr)}")

    def shell(self, trace, pid, cmds):
        """A --batch shell session on child pid; returns its stdout as text."""
        cmd = [self.pytt, "replay", trace, "-p", str(pid), "--batch"]
        for c in cmds:
            cmd += ["-ex", c]
        res = H.run(cmd, env=H.clean_env(), cwd=self.wd.path, capture=True)
        text = res.stdout.decode("utf-8", "replace")
        if res.status != 0:
            raise H.TestFailure(f"shell on child {pid}: {res.describe()}\n{text[-2000:]}\n"
                                f"{H.tail_text(res.stderr)}")
        return text

    def ps(self, trace):
        res = H.run([self.pytt, "ps", trace], env=H.clean_env(), capture=True)
        if res.status != 0:
            raise H.TestFailure(f"ps: {res.describe()}\n{H.tail_text(res.stderr)}")
        return res.stdout.decode()


def ps_cols(line):
    """pid, ppid, status, time, recorded, command: `pytt ps` prints fixed-width columns."""
    return (line[0:7].strip(), line[8:15].strip(), line[16:25].strip(), line[26:34].strip(),
            line[35:67].strip(), line[68:])


def ps_rows(text):
    """(pid, ppid, status, recorded, command) of each process row of `pytt ps`."""
    rows = []
    for line in text.splitlines()[1:]:
        cols = ps_cols(line)
        if cols[0].isdigit():
            rows.append((int(cols[0]), cols[1], cols[2], cols[4], cols[5]))
    return rows


def normalize_ps(text):
    """Columns joined by one space; pids become P0, P1... in order of appearance, times T,
    numbers in commands N."""
    names = {}

    def pid(m):
        return names.setdefault(m[0], f"P{len(names)}")
    lines = text.splitlines()
    out = [" ".join(lines[0].split())]
    for line in lines[1:]:
        p, pp, status, _, rec, cmd = ps_cols(line)
        if p.isdigit():
            rec = re.sub(r"\d{3,}", pid, rec)
            line = " ".join([pid(re.match(r".*", p)), pid(re.match(r".*", pp)) if pp != "-"
                             else "-", status, "T", rec, re.sub(r"\d+", "N", cmd)])
        out.append(line.rstrip())
    return "\n".join(out) + "\n"


def check_golden(got, golden, what):
    if got != golden:
        diff = H.describe_difference(golden.encode(), got.encode(), "golden", "pytt ps")
        raise H.TestFailure(f"{what} differs from the golden listing:\n{diff}\n--- got:\n{got}")


def lines_of(out, prefix):
    return b"".join(l for l in out.splitlines(keepends=True) if l.startswith(prefix))


def sections(text, n):
    """The shell output split at the markers 'M0'...'M<n-1>' printed with `p 'Mi'`."""
    parts, rest = [], text
    for i in range(n):
        head, sep, rest = rest.partition(f"'M{i}'\n")
        if not sep:
            raise H.TestFailure(f"marker M{i} missing from the shell output:\n{text[-3000:]}")
        parts.append(head)
    parts.append(rest)
    return parts[:n]


POOL = os.path.join(PROGRAMS, "pool_workers.py")
WORK_LINE = 12  # `y = x * x + len(tag)` in pool_workers.py


def check_parent_both_ways(c, args, tag):
    """The parent's replay equals its recording, recorded with and without --children."""
    for children in (True, False):
        t = f"{tag}.{'children' if children else 'plain'}"
        trace, out = c.record(t, args, children=children)
        if b"END " not in out:
            raise H.TestFailure(f"record {t}: no END line\n{H.tail_text(out)}")
        c.replay_all(trace, f"the parent ({t})", out)
        if children:
            kept = (trace, out)
    return kept


def check_worker_breakpoint(c, trace, pid, out):
    first = lines_of(out, f"W {pid} ".encode()).splitlines()[0].decode()
    m = re.match(r"W \d+ work x=(\S+) tag=(\S+) y=(\S+)$", first)
    x, tag, y = m[1], m[2], m[3]
    text = c.shell(trace, pid, ["break work", "continue", "p 'M0'", "p x", "p tag", "args",
                                "p 'M1'", "step", "p 'M2'", "p y", "p 'M3'", "reverse-step",
                                "p 'M4'", "p x + 0", "p 'M5'"])
    at_bp, vals, stepped, yv, back, xv = sections(text, 6)
    where = f"pool_workers.py({WORK_LINE})work()"
    if where not in at_bp:
        raise H.TestFailure(f"the breakpoint at work did not stop at {where}:\n{at_bp[-1500:]}")
    if vals.split() != [x, tag, "x", "=", x, "tag", "=", tag]:
        raise H.TestFailure(f"at the breakpoint x, tag are not {x}, {tag} (what the worker "
                            f"printed about its first task):\n{vals}")
    if f"pool_workers.py({WORK_LINE + 1})work()" not in stepped:
        raise H.TestFailure(f"step did not go to line {WORK_LINE + 1}:\n{stepped}")
    if yv.strip() != y:
        raise H.TestFailure(f"after step, y is {yv.strip()!r}, the worker printed {y}")
    if where not in back or xv.strip() != x:
        raise H.TestFailure(f"reverse-step did not come back to {where} with x={x}:\n{back}{xv}")


POOL_SPAWN_PS = """PID PPID STATUS TIME RECORDED COMMAND
P0 - exit 0 T recorded (replay DIR) /usr/bin/pythonN.N pool_workers.py spawn
P1 P0 exit 0 T recorded (-p P1, --child 1) /usr/bin/pythonN.N -B -c from multiprocessing.resource_tracker import main;main(N)
P2 P0 exit 0 T recorded (-p P2, --child 2) /usr/bin/pythonN.N -B -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=N, pipe_handle=N) --multiprocessing-fork
P3 P0 exit 0 T recorded (-p P3, --child 3) /usr/bin/pythonN.N -B -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=N, pipe_handle=N) --multiprocessing-fork
P4 P0 exit 0 T recorded (-p P4, --child 4) /usr/bin/pythonN.N -B -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=N, pipe_handle=N) --multiprocessing-fork
P5 P0 exit 0 T recorded (-p P5, --child 5) /usr/bin/pythonN.N -B -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=N, pipe_handle=N) --multiprocessing-fork
"""


@test
def pool_spawn(c):
    """Pool(4).map with spawn: parent exact with and without --children; each worker's own
    replay reproduces its lines; a breakpoint in work() shows the worker's arguments; step and
    reverse-step; ps golden."""
    shutil.copy(POOL, c.wd("pool_workers.py"))
    trace, out = check_parent_both_ways(c, ["pool_workers.py", "spawn"], "spawn")
    listing = c.ps(trace)
    check_golden((normalize_ps(listing)), POOL_SPAWN_PS, "ps of a spawn Pool")
    rows = ps_rows(listing)
    workers = [r[0] for r in rows if "spawn_main" in r[4]]
    tracker = [r[0] for r in rows if "resource_tracker" in r[4]]
    all_lines = b""
    for pid in workers:
        mine = lines_of(out, f"W {pid} ".encode())
        all_lines += mine
        c.replay_all(trace, f"worker {pid}", mine, pid=pid)
    if len(all_lines.splitlines()) != 16:
        raise H.TestFailure(f"the workers' lines are not the 16 tasks:\n{out.decode()}")
    c.replay_all(trace, "the resource tracker", b"", pid=tracker[0])
    busy = next(p for p in workers if lines_of(out, f"W {p} ".encode()))
    check_worker_breakpoint(c, trace, busy, out)


POOL_FORKSERVER_PS = """PID PPID STATUS TIME RECORDED COMMAND
P0 - exit 0 T recorded (replay DIR) /usr/bin/pythonN.N pool_workers.py forkserver
P1 P0 exit 0 T recorded (-p P1, --child 1) /usr/bin/pythonN.N -B -c from multiprocessing.resource_tracker import main;main(N)
P2 P0 exit 0 T recorded (-p P2, --child 2) /usr/bin/pythonN.N -B -c from multiprocessing.forkserver import main; main(N, N, ['__main__'], **{'sys_path': [PATHS]})
P3 P2 exit 0 T not recorded: fork child /usr/bin/pythonN.N -B -c from multiprocessing.forkserver import main; main(N, N, ['__main__'], **{'sys_path': [PATHS]})
P4 P2 exit 0 T not recorded: fork child /usr/bin/pythonN.N -B -c from multiprocessing.forkserver import main; main(N, N, ['__main__'], **{'sys_path': [PATHS]})
P5 P2 exit 0 T not recorded: fork child /usr/bin/pythonN.N -B -c from multiprocessing.forkserver import main; main(N, N, ['__main__'], **{'sys_path': [PATHS]})
P6 P2 exit 0 T not recorded: fork child /usr/bin/pythonN.N -B -c from multiprocessing.forkserver import main; main(N, N, ['__main__'], **{'sys_path': [PATHS]})
fork children (multiprocessing's default 'fork' start method, os.fork) are not recorded yet:
use multiprocessing.set_start_method('spawn') or a subprocess of sys.executable to record them
"""


@test
def pool_forkserver(c):
    """Pool(4).map with forkserver: the forkserver is recorded, its fork children (the workers)
    run under its recorder: parent exact with and without --children; the forkserver's replay
    reproduces every worker line in order; ps golden says the workers are forks."""
    shutil.copy(POOL, c.wd("pool_workers.py"))
    trace, out = check_parent_both_ways(c, ["pool_workers.py", "forkserver"], "forkserver")
    listing = c.ps(trace)
    norm = re.sub(r"'sys_path': \[[^]]*\]", "'sys_path': [PATHS]", normalize_ps(listing))
    check_golden(norm, POOL_FORKSERVER_PS, "ps of a forkserver Pool")
    server = next(r[0] for r in ps_rows(listing) if "forkserver import" in r[4] and
                  r[3].startswith("recorded"))
    c.replay_all(trace, "the forkserver", lines_of(out, b"W "), pid=server)


SUB_PS = """PID PPID STATUS TIME RECORDED COMMAND
P0 - exit 0 T recorded (replay DIR) /usr/bin/pythonN.N sub_parent.py
P1 P0 exit 3 T recorded (-p P1, --child 1) /usr/bin/pythonN.N {d}/sub_child.py inherit N
P2 P0 exit 3 T recorded (-p P2, --child 2) /usr/bin/pythonN.N {d}/sub_child.py captured N
"""


@test
def subprocess_children(c):
    """subprocess'd Python scripts: the parent exact with and without --children; the child
    writing to the inherited stdout and the child whose output the parent captured each replay
    their own output and exit status 3; a breakpoint in greet() shows the child's arguments and
    its random token; ps golden."""
    for name in ("sub_parent.py", "sub_child.py"):
        shutil.copy(os.path.join(PROGRAMS, name), c.wd(name))
    trace, out = check_parent_both_ways(c, ["sub_parent.py"], "sub")
    listing = c.ps(trace)
    golden = SUB_PS.format(d=re.sub(r"\d+", "N", c.wd.path))
    check_golden((normalize_ps(listing)), golden, "ps of subprocess children")
    rows = ps_rows(listing)
    first, second = rows[1][0], rows[2][0]
    mine = lines_of(out, f"C {first} ".encode())
    c.replay_all(trace, "the inheriting child", mine, status=3, pid=first)
    captured = re.search(rb"P got (b.*) status 3\n", out)[1]
    captured = ast.literal_eval(captured.decode())  # the bytes the parent printed the repr of
    c.replay_all(trace, "the captured child", captured, status=3, pid=second)
    m = re.match(r"C \d+ name=(\S+) n=(\d+) i=0 token=(\w+)", captured.decode())
    text = c.shell(trace, second, ["break greet", "continue", "p 'M0'", "p name", "p n",
                                   "p 'M1'", "next", "next", "p 'M2'", "p token", "p 'M3'"])
    at_bp, vals, nexts, tok = sections(text, 4)
    if "sub_child.py(7)greet()" not in at_bp or "sub_child.py(9)greet()" not in nexts:
        raise H.TestFailure(f"break greet / next did not stop at lines 7 and 9:\n{text}")
    if vals.split() != [m[1], m[2]] or tok.strip() != repr(m[3]):
        raise H.TestFailure(f"in greet: name, n, token are not {m[1]}, {m[2]}, {m[3]!r} "
                            f"(what the child printed):\n{vals}{tok}")


@test
def redact_env(c):
    """--redact-env applies to recorded children: the value is in no file of the trace (the
    children's traces included) and the child's replay sees X's of the same length."""
    secret = "s3cr3t-" + secrets.token_hex(6)
    shutil.copy(os.path.join(PROGRAMS, "env_child.py"), c.wd("env_child.py"))
    env = H.clean_env(SECRET_TOKEN=secret, PLAIN_VAR="plain")
    trace, out = c.record("env", ["env_child.py"], opts=["--redact-env", "SECRET_*"], env=env)
    if f"P {secret}\n".encode() not in out:
        raise H.TestFailure(f"the program did not see its variable:\n{H.tail_text(out)}")
    for root, _, files in os.walk(trace):
        for name in files:
            path = os.path.join(root, name)
            if secret.encode() in H.read(path):
                raise H.TestFailure(f"the redacted value is in {path}")
    rows = ps_rows(c.ps(trace))
    if len(rows) != 2 or not rows[1][3].startswith("recorded"):
        raise H.TestFailure(f"the child was not recorded: {rows}")
    child = rows[1][0]
    c.replay_all(trace, "the child", f"C {child} {'X' * len(secret)} plain\n".encode(), pid=child)


FORK_PS = """PID PPID STATUS TIME RECORDED COMMAND
P0 - exit 0 T recorded (replay DIR) /usr/bin/pythonN.N fork_children.py
P1 P0 exit 0 T not recorded: fork child /usr/bin/pythonN.N fork_children.py
P2 P0 exit 0 T not recorded: fork child /usr/bin/pythonN.N fork_children.py
P3 P0 exit 7 T not recorded: fork child /usr/bin/pythonN.N fork_children.py
fork children (multiprocessing's default 'fork' start method, os.fork) are not recorded yet:
use multiprocessing.set_start_method('spawn') or a subprocess of sys.executable to record them
"""


@test
def fork_unrecorded(c):
    """Fork children (a 'fork' Pool, os.fork) are not recorded: ps says so for each, and how to
    get them recorded; the parent replays exactly with and without --children."""
    shutil.copy(os.path.join(PROGRAMS, "fork_children.py"), c.wd("fork_children.py"))
    trace, out = check_parent_both_ways(c, ["fork_children.py"], "fork")
    check_golden((normalize_ps(c.ps(trace))), FORK_PS, "ps of fork children")


SHARED_ROUNDS = 150


@test
def shared_value(c):
    """Two recorded spawn children increment one shared multiprocessing.Value under its lock,
    computing between increments, while the parent polls it: the parent's replay and each
    child's `replay -p PID -a` equal what they wrote in the recording byte for byte (each
    child's lines are the values it read after its increments, so they carry the other child's
    writes), the final value is right, and the children's increments interleaved (their loops,
    which make no syscall, ran in parallel: with the token held from syscall to syscall they ran
    one after the other); in a child's replay the debugger shows the shared value it read."""
    shutil.copy(os.path.join(PROGRAMS, "shared_value.py"), c.wd("shared_value.py"))
    trace, out = c.record("shared", ["shared_value.py", str(SHARED_ROUNDS), "3000"])
    want = f"P final {2 * SHARED_ROUNDS} expected {2 * SHARED_ROUNDS}\n".encode()
    if want not in out or b"END shared_value" not in out:
        raise H.TestFailure(f"wrong final value or no END line:\n{H.tail_text(out)}")
    c.replay_all(trace, "the parent", out)
    kids = [r[0] for r in ps_rows(c.ps(trace)) if "spawn_main" in r[4]]
    if len(kids) != 2:
        raise H.TestFailure(f"not two recorded children: {kids}")
    gaps = 0
    for pid in kids:
        mine = lines_of(out, f"W {pid} ".encode())
        seen = [int(l.split()[4]) for l in mine.splitlines() if b" saw " in l]
        if len(seen) != SHARED_ROUNDS:
            raise H.TestFailure(f"child {pid} wrote {len(seen)} values, not {SHARED_ROUNDS}")
        gaps += sum(b != a + 1 for a, b in zip(seen, seen[1:]))
        c.replay_all(trace, f"child {pid}", mine, pid=pid)
    if gaps == 0:
        raise H.TestFailure("the children's increments never interleaved: their loops ran one "
                            "after the other, not in parallel (rec_share.c)")
    # the children computed without the token: their traces open shared memory at faults
    for pid in kids:
        ev = H.run([c.pytt, "events", os.path.join(trace, "procs", str(pid))],
                   env=H.clean_env(), capture=True)
        if b"shared memory at access fault" not in ev.stdout:
            raise H.TestFailure(f"child {pid}'s trace has no SHARE event at an access fault: "
                                f"its shared mappings were never closed (rec_share.c)")
    # in a child's replay, after its first increment, the shared value (read by the debugger
    # from the bytes the child last read) is what the child printed
    first = lines_of(out, f"W {kids[0]} ".encode()).split()[4].decode()
    src = H.read(os.path.join(PROGRAMS, "shared_value.py")).decode().splitlines()
    line = next(i + 1 for i, t in enumerate(src) if "acc += spin" in t)
    text = c.shell(trace, kids[0], [f"break shared_value.py:{line}", "continue", "continue",
                                    "p 'M0'", "p k", "p seen[-1]", "p value.value", "p 'M1'"])
    vals = sections(text, 2)[1].split()
    if vals != ["1", first, first]:
        raise H.TestFailure(f"at k=1 in child {kids[0]}: k, seen[-1], value.value are {vals}, "
                            f"not 1, {first}, {first}:\n{text[-2000:]}")


@test
def shared_signals(c):
    """Two recorded spawn children increment a shared Value under its lock while a 2 ms timer's
    handler increments another: the parent's replay and each child's equal their recording (the
    values each read, what its handler saw), and the totals are right."""
    shutil.copy(os.path.join(PROGRAMS, "shared_signals.py"), c.wd("shared_signals.py"))
    trace, out = c.record("signals", ["shared_signals.py"])
    if not re.search(rb"^P 400 \d+\nEND shared_signals\n", out, re.M):
        raise H.TestFailure(f"wrong total or no END line:\n{H.tail_text(out)}")
    c.replay_all(trace, "the parent", out)
    kids = [r[0] for r in ps_rows(c.ps(trace)) if "spawn_main" in r[4]]
    for pid in kids:
        mine = lines_of(out, f"C {pid} ".encode())
        if not mine:
            raise H.TestFailure(f"child {pid} wrote nothing:\n{H.tail_text(out)}")
        c.replay_all(trace, f"child {pid}", mine, pid=pid)


@test
def shared_io(c):
    """Two recorded spawn children writev from, readv into and sendmsg from a shared Array (the
    kernel follows iovecs into closed shared pages: each such call opens the mappings at its
    entry, rec_share.c): the recording's lines equal a native run's (no EFAULT, no short
    count), and the parent's and each child's replay equal their recording."""
    shutil.copy(os.path.join(PROGRAMS, "shared_io.py"), c.wd("shared_io.py"))
    native = H.run([c.python, "shared_io.py"], env=H.clean_env(), cwd=c.wd.path, capture=True)
    trace, out = c.record("shared_io", ["shared_io.py"])
    def strip(text):  # the children's pids differ between the runs
        return b"".join(sorted(re.sub(rb"^C \d+ ", b"C ", l) + b"\n" for l in text.splitlines()))
    if native.status != 0 or strip(out) != strip(native.stdout):
        diff = H.describe_difference(strip(native.stdout), strip(out), "native", "recorded")
        raise H.TestFailure(f"the recorded run's lines differ from a native run's:\n{diff}")
    c.replay_all(trace, "the parent", out)
    kids = [r[0] for r in ps_rows(c.ps(trace)) if "spawn_main" in r[4]]
    if len(kids) != 2:
        raise H.TestFailure(f"not two recorded children: {kids}")
    for pid in kids:
        mine = lines_of(out, f"C {pid} ".encode())
        if len(mine.splitlines()) != 40:
            raise H.TestFailure(f"child {pid} wrote {len(mine.splitlines())} lines, not 40")
        c.replay_all(trace, f"child {pid}", mine, pid=pid)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pytt")
    ap.add_argument("--python", default=H.DEFAULT_PYTHON)
    ap.add_argument("--test")
    ap.add_argument("--workdir", default=H.DEFAULT_WORKDIR)
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        print("\n".join(TESTS))
        return
    if not os.path.exists(a.python):
        print(f"SKIP children.{a.test}: {a.python} is not installed")
        sys.exit(H.SKIP_STATUS)
    wd = H.WorkDir(a.workdir, "children." + a.test)
    c = Ctx(os.path.realpath(a.pytt), a.python, wd)
    H.main("children." + a.test, lambda: TESTS[a.test](c), wd,
           lambda: [f"{c.pytt} replay {t} -a" for t in c.traces])


if __name__ == "__main__":
    main()
