#!/usr/bin/python3
"""Mutation test of trace reading and replay: no trace can crash, hang or outlive pytt.

    mutate.py --pytt PYTT --trace-edit TRACE_EDIT [--python PY] [--workdir DIR] [--seed N]

Three programs are recorded (syscalls, signals at Python ticks, file mappings). Each trace is
then damaged, with a fixed seed, in three ways:
  - truncations of `events` and `header` at random offsets;
  - byte flips anywhere in `events` and `header` (caught by the checksums, or not);
  - well-formed but wrong traces (tests/tools/trace_edit --mutate: a tick, a result, an
    argument, a data byte, a region address or a signal number of a few events changed, or a
    byte of the initial stack flipped), which only replay's own checks can catch.
Every mutant is replayed with `-a` and with a shell session (step, next, bt, continue, rs).
Each run must end within the time limit with either the recorded output and status, or a
clean `pytt:` error (exit 125; the shell may also report a failed command, exit 1); a
re-encoded trace may also replay to an end of its own (it says the program read other data,
which no check can tell from the truth), but never a crash (exit >= 128, a sanitizer report), and must leave no process behind (nothing still runs
in its session).
"""

import argparse
import os
import random
import shutil
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PROGRAMS = ["many_syscalls.py", "signal_busy_loop.py", "mmap_file.py"]
TIME_LIMIT = 30 * H.SCALE
SHELL = ["step", "next", "next", "bt", "continue", "rs", "bt"]


def session_leftovers(sid, wait=3.0):
    """Processes still running in session sid (pytt started it: start_new_session), once those
    killed at pytt's exit had time to go (zombies waiting for init do not count)."""
    import time
    deadline = time.monotonic() + wait
    while True:
        left = running_in_session(sid)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def running_in_session(sid):
    left = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid and fields[0] not in ("Z", "X"):
                left.append(int(pid))
        except (OSError, IndexError, ValueError):
            pass
    return left


def run_checked(cmd, env, what):
    """Runs cmd (its own session); returns the Result, or raises on a crash or leftovers."""
    import subprocess
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        out, err = p.communicate(timeout=TIME_LIMIT)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
        left = session_leftovers(p.pid)
        for pid in left:
            os.kill(pid, 9)
        out, err = p.communicate()
    status = p.returncode if p.returncode >= 0 else 128 - p.returncode
    left = session_leftovers(p.pid)
    for pid in left:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    res = H.Result(cmd, status, 0, timed_out, out, err)
    problems = []
    if timed_out:
        problems.append(f"it hung ({TIME_LIMIT:.0f} s)")
    if status >= 128 and status != 130:
        problems.append(f"it crashed (exit {status})")
    if b"Sanitizer" in err or b"runtime error:" in err:
        problems.append("a sanitizer report")
    if left:
        problems.append(f"processes left behind: {left}")
    if problems:
        raise H.TestFailure(f"{what}: " + "; ".join(problems) + "\n  " + res.describe()
                            + "\n  stderr:\n" + H.tail_text(err))
    return res


def check_outcome(res, what, recorded, rec_status, shell, rewritten):
    pytt_lines = [l for l in res.stderr.decode("utf-8", "replace").splitlines()
                  if l.startswith("pytt:")]
    if shell:
        if res.status in (0, 1) or (res.status == 125 and pytt_lines):
            return "ok"
    elif res.status == rec_status and res.stdout + res.stderr == recorded:
        return "identical"
    elif res.status == 125 and pytt_lines:
        return "refused"
    elif rewritten and res.status < 128:
        return "another run"  # the trace says the program read other data: a consistent replay
    raise H.TestFailure(f"{what}: neither the recorded run nor a clean pytt: error\n  "
                        + res.describe() + "\n  stderr:\n" + H.tail_text(res.stderr))


def mutants(rng, trace, wd, tag, trace_edit):
    """Yields (description, mutant trace dir)."""
    for kind in ("events", "header"):
        size = os.path.getsize(os.path.join(trace, kind))
        n_cut, n_flip = (6, 6) if kind == "events" else (2, 3)
        for i in range(n_cut):
            at = rng.randrange(1, size)
            d = wd(f"{tag}_cut_{kind}_{i}")
            shutil.copytree(trace, d)
            os.truncate(os.path.join(d, kind), at)
            yield f"{kind} truncated to {at} of {size} bytes", d
        for i in range(n_flip):
            at = rng.randrange(0, size)
            d = wd(f"{tag}_flip_{kind}_{i}")
            shutil.copytree(trace, d)
            with open(os.path.join(d, kind), "r+b") as f:
                f.seek(at)
                b = f.read(1)
                f.seek(at)
                f.write(bytes([b[0] ^ (1 << rng.randrange(8))]))
            yield f"{kind} byte {at} of {size} flipped", d
    for i in range(6):
        d = wd(f"{tag}_edit_{i}")
        seed = rng.randrange(1 << 30)
        n = 0 if i == 0 else rng.randrange(1, 4)
        r = H.run([trace_edit, "--mutate", seed, n, trace, d], env=H.clean_env(), capture=True)
        if r.status != 0:
            raise H.TestFailure("trace_edit --mutate failed: " + r.describe())
        yield "re-encoded with " + "; ".join(r.stdout.decode().splitlines()), d


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pytt", required=True)
    ap.add_argument("--trace-edit", required=True)
    ap.add_argument("--python", default=H.DEFAULT_PYTHON)
    ap.add_argument("--workdir", default=H.DEFAULT_WORKDIR)
    ap.add_argument("--seed", type=int, default=1616)
    a = ap.parse_args()
    wd = H.WorkDir(a.workdir, "replay.mutation")
    pytt = os.path.abspath(a.pytt)
    env = H.clean_env(PYTT_REPLAY_CPU_LIMIT="5")
    counts = {}

    def body():
        rng = random.Random(a.seed)
        for prog in PROGRAMS:
            tag = prog[:-3]
            trace, out = wd(f"{tag}_trace"), wd(f"{tag}.out")
            rec = H.run([pytt, "record", "-o", trace, "--", a.python,
                         os.path.join(H.PROGRAMS_DIR, prog)], env=H.clean_env(), cwd=wd.path,
                        out_path=out)
            if rec.status != 0:
                raise H.TestFailure(f"recording {prog}: {rec.describe()}")
            ref = run_checked([pytt, "replay", trace, "-a"], env, f"replay of {prog}")
            recorded = ref.stdout + ref.stderr
            for what, d in mutants(rng, trace, wd, tag, a.trace_edit):
                label = f"{prog}, {what}"
                r = run_checked([pytt, "replay", d, "-a"], env, label + ", replay -a")
                rewritten = what.startswith("re-encoded")
                k = check_outcome(r, label + ", replay -a", recorded, ref.status, False,
                                  rewritten)
                counts[k] = counts.get(k, 0) + 1
                cmd = [pytt, "replay", d, "--batch"] + sum((["-ex", x] for x in SHELL), [])
                r = run_checked(cmd, env, label + ", shell")
                check_outcome(r, label + ", shell", recorded, ref.status, True, rewritten)
                shutil.rmtree(d)
        print("replay -a outcomes:", counts)

    H.main("replay.mutation", body, wd, lambda: [])


if __name__ == "__main__":
    main()
