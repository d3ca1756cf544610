#!/usr/bin/python3
"""Special record/replay tests (one per invocation; `special.py --list` lists them).

    special.py --pytt PYTT --test NAME [--workdir DIR] [--python PY]
"""

import argparse
import glob
import os
import secrets
import shutil
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from fidelity import record_replay  # noqa: E402

TESTS = {}


def test(fn):
    TESTS[fn.__name__] = fn
    return fn


def sp(name):
    return os.path.join(H.SPECIAL_PROGRAMS_DIR, name)


def prog(name):
    return os.path.join(H.PROGRAMS_DIR, name)


class Ctx:
    def __init__(self, pytt, python, wd, trace_edit=None):
        self.pytt, self.python, self.wd = pytt, python, wd
        self.trace_edit = trace_edit
        self.traces = []  # traces worth replaying by hand when the test fails

    def record(self, cmd, tag, env=None, **kw):
        trace = self.wd(f"trace{tag}")
        self.traces.append(trace)
        return trace, H.run([self.pytt, "record", "-o", trace, "--"] + list(cmd),
                            env=env or H.clean_env(), cwd=self.wd.path, **kw)

    def replay(self, trace, env=None, **kw):
        return H.run([self.pytt, "replay", trace, "-a"] + kw.pop("extra", []),
                     env=env or H.clean_env(), cwd=self.wd.path, capture=True, **kw)

    def record_replay(self, cmd, tag="", **kw):
        kw.setdefault("record_env", H.clean_env())
        kw.setdefault("replay_env", H.clean_env(PYTT_REPLAY_ONLY_VAR="1"))
        self.traces.append(self.wd(f"trace{tag}"))
        return record_replay(self.pytt, cmd, self.wd, tag=tag, **kw)


# --- changed inputs -------------------------------------------------------------------------

@test
def changed_inputs(c):
    """Changing an input file, the environment and the clock between record and replay does
    not change the replayed output."""
    inp = c.wd("input.txt")
    with open(inp, "w") as f:
        f.write("original content " + secrets.token_hex(8) + "\n")
    cmd = [c.python, sp("changed_inputs.py"), inp]
    rec_env = H.clean_env(TZ="UTC", PYTT_CHANGED_VAR="before-record")
    trace = c.wd("trace")
    c.traces.append(trace)
    rec_out = c.wd("record.out")
    rec = H.run([c.pytt, "record", "-o", trace, "--"] + cmd, env=rec_env, cwd=c.wd.path,
                out_path=rec_out)
    recorded = H.read(rec_out)
    if rec.status != 0 or b"END changed_inputs" not in recorded:
        raise H.TestFailure(f"record: {rec.describe()}\n{H.tail_text(recorded)}")
    # Change the file (content, size, mtime), the environment, and let the clock move on.
    with open(inp, "w") as f:
        f.write("CHANGED after the recording, and longer " + secrets.token_hex(16) + "\n")
    time.sleep(1.1)
    rep_env = H.clean_env(TZ="Asia/Tokyo", PYTT_CHANGED_VAR="after-record",
                          PYTT_EXTRA_VAR="only-in-replay")
    # Control: natively, the program now prints something else (so the test can fail).
    nat_out = c.wd("native_after_change.out")
    H.run(cmd, env=rep_env, cwd=c.wd.path, out_path=nat_out, timeout=H.NATIVE_TIMEOUT)
    native = H.read(nat_out)
    for needle in (b"CHANGED after", b"after-record", b"only-in-replay", b"JST"):
        if needle not in native:
            raise H.TestFailure(f"control run does not show the change {needle!r}:\n"
                                f"{H.tail_text(native)}")
    rep_out = c.wd("replay.out")
    rep = c.replay(trace, env=rep_env, extra=["--program-output", rep_out])
    replayed = H.read(rep_out) if os.path.exists(rep_out) else b""
    diff = H.describe_difference(recorded, replayed)
    if rep.timed_out or rep.status != 0 or diff:
        raise H.TestFailure(f"replay after changing the input file, TZ, env vars and the clock: "
                            f"{rep.describe()}\n{diff or ''}\n  replay stderr:\n"
                            f"{H.tail_text(rep.stderr)}")


# --- mapped files ---------------------------------------------------------------------------

def ext_candidates():
    d = "/usr/lib/python3.11/lib-dynload"
    names = ["_bz2", "_lzma", "_json", "_queue", "_contextvars", "resource", "mmap"]
    found = []
    for n in names:
        for p in glob.glob(os.path.join(d, n + ".cpython-311-x86_64-linux-gnu.so")):
            found.append((n, p))
    return found


def record_with_ext_copy(c):
    cands = ext_candidates()
    if len(cands) < 2:
        raise H.Skip(f"need two extension modules in lib-dynload, found {cands}")
    (name, src), (_, other) = cands[0], cands[1]
    extdir = c.wd("extdir")
    os.makedirs(extdir)
    copy = os.path.join(extdir, os.path.basename(src))
    shutil.copyfile(src, copy)
    cmd = [c.python, sp("ext_import.py"), extdir, name]
    trace, recorded, _ = c.record_replay(cmd, expected_status=0,
                                         expect=[f"from {copy}", "END ext_import"])
    return trace, copy, other


def check_refused(c, trace, copy, what):
    rep_out = c.wd("replay_after_change.out")
    rep = c.replay(trace, extra=["--program-output", rep_out])
    H.check_pytt_error(rep, f"replay after {what} {copy}", must_contain=copy,
                       label="must name the changed file")


@test
def mapped_file_replaced(c):
    """An extension module mapped during the recording is overwritten with another .so:
    replay must refuse (125) and name the file. (The unchanged trace replays first.)"""
    trace, copy, other = record_with_ext_copy(c)
    shutil.copyfile(other, copy)
    check_refused(c, trace, copy, "overwriting with another .so")


@test
def mapped_file_modified_in_place(c):
    """Same, but 64 bytes in the middle are flipped in place (same inode and size, new mtime,
    ELF build-id untouched)."""
    trace, copy, _ = record_with_ext_copy(c)
    size = os.path.getsize(copy)
    time.sleep(0.01)  # a visibly different mtime even on coarse-timestamp filesystems
    with open(copy, "r+b") as f:
        f.seek(size // 2)
        chunk = f.read(64)
        f.seek(size // 2)
        f.write(bytes(b ^ 0xFF for b in chunk))
    check_refused(c, trace, copy, f"flipping 64 bytes at offset {size // 2} (same size, "
                  "new mtime, same build-id) of")


# --- damaged traces -------------------------------------------------------------------------

def recorded_good_trace(c):
    trace, _, _ = c.record_replay([c.python, prog("many_syscalls.py")], expected_status=0,
                                  expect=["END many_syscalls"])
    return trace


def damaged_copy(c, trace, tag):
    dst = c.wd("trace_" + tag)
    shutil.copytree(trace, dst)
    c.traces.append(dst)
    return dst, os.path.join(dst, "events")


@test
def truncated_trace(c):
    """events truncated to half its size: replay exits 125 with a message about the trace."""
    trace = recorded_good_trace(c)
    dst, ev = damaged_copy(c, trace, "truncated")
    size = os.path.getsize(ev)
    os.truncate(ev, size // 2)
    rep = c.replay(dst, extra=["--program-output", c.wd("replay_truncated.out")])
    H.check_pytt_error(rep, f"replay of a trace whose events file was truncated from {size} "
                       f"to {size // 2} bytes", r"trace|events", label="must mention the trace")


@test
def corrupted_trace(c):
    """64 bytes flipped in the middle of events: replay exits 125 with a message about it."""
    trace = recorded_good_trace(c)
    dst, ev = damaged_copy(c, trace, "corrupted")
    size = os.path.getsize(ev)
    with open(ev, "r+b") as f:
        f.seek(size // 2)
        chunk = f.read(64)
        f.seek(size // 2)
        f.write(bytes(b ^ 0xFF for b in chunk))
    rep = c.replay(dst, extra=["--program-output", c.wd("replay_corrupted.out")])
    H.check_pytt_error(rep, f"replay of a trace with {len(chunk)} bytes flipped at offset "
                       f"{size // 2} of {size} in events", r"trace|events",
                       label="must mention the trace")


@test
def missing_events(c):
    """events deleted, then header emptied: replay exits 125 with a message about the trace."""
    trace = recorded_good_trace(c)
    dst, ev = damaged_copy(c, trace, "no_events")
    os.unlink(ev)
    rep = c.replay(dst)
    H.check_pytt_error(rep, "replay of a trace without its events file", r"trace|events",
                       label="must mention the trace")
    dst2, _ = damaged_copy(c, trace, "empty_header")
    open(os.path.join(dst2, "header"), "wb").close()
    rep = c.replay(dst2)
    H.check_pytt_error(rep, "replay of a trace with an empty header file", r"trace|header",
                       label="must mention the trace")
    rep = c.replay(c.wd("no_such_trace_dir"))
    H.check_pytt_error(rep, "replay of a directory that does not exist", r"no_such_trace_dir",
                       label="must name the directory")


# --- refusing non-CPython / no debug info / threads -----------------------------------------

@test
def not_cpython(c):
    """`pytt record -- /bin/true` fails with 125 saying it is not a CPython interpreter."""
    _, rec = c.record(["/bin/true"], "", capture=True)
    H.check_pytt_error(rec, "record of /bin/true", r"not\b.*cpython",
                       label="must say it is not a CPython interpreter")


@test
def no_debug_info(c):
    """With PYTT_DEBUG_DIR pointing to an empty dir, recording python3.11 fails and names the
    python3.11-dbg package. (Control: the same record without it succeeds.)"""
    _, ok = c.record([c.python, "-c", "pass"], "_control", capture=True)
    if ok.status != 0:
        raise H.TestFailure(f"control record of `python3.11 -c pass` failed: {ok.describe()}\n"
                            f"{H.tail_text(ok.stderr)}")
    empty = c.wd("empty_debug_dir")
    os.makedirs(empty)
    _, rec = c.record([c.python, "-c", "pass"], "", capture=True,
                      env=H.clean_env(PYTT_DEBUG_DIR=empty))
    H.check_pytt_error(rec, f"record with PYTT_DEBUG_DIR={empty}", r"python3\.11-dbg",
                       label="must name the package python3.11-dbg")


@test
def other_version_shell(c):
    """A recording of CPython 3.9 (pyenv's, when present), which the debugger does not read,
    replays with -a, and the replay shell says so instead of starting: exit status 1, the
    message names the version and the ones it reads, and how to replay it anyway."""
    py = os.path.join(os.environ.get("PYENV_ROOT", "/root/.pyenv"), "versions", "3.9.18", "bin",
                      "python3.9")
    if not os.path.exists(py):
        raise H.Skip(f"{py} is not installed")
    trace, rec = c.record([py, "-c", "print(6 * 7)"], "", capture=True)
    rep = c.replay(trace)
    if rec.status != 0 or rep.status != 0 or rep.stdout != b"42\n":
        raise H.TestFailure(f"record/replay -a of python3.9 -c: {rec.describe()} / "
                            f"{rep.describe()} {rep.stdout!r}")
    sh = H.run([c.pytt, "replay", trace, "--batch", "-ex", "bt"], env=H.clean_env(),
               cwd=c.wd.path, capture=True, timeout=H.NATIVE_TIMEOUT)
    text = (sh.stdout + sh.stderr).decode("utf-8", "replace")
    if sh.status != 1 or "is CPython 3.9" not in text or \
            ("unsupported version (pytt's debugger reads CPython 3.10, 3.11, 3.12 and 3.13)"
             not in text) or \
            "The recording ends here" in text or \
            f"The recording still replays: pytt replay {trace} -a" not in text:
        raise H.TestFailure(f"the shell on a 3.9 recording: {sh.describe()}\n{text[-1500:]}")


@test
def thread_refused(c):
    """A program that starts a thread: record exits 125 with a message mentioning threads."""
    _, rec = c.record([c.python, sp("starts_thread.py")], "", capture=True)
    H.check_pytt_error(rec, "record of a program that starts a thread", r"thread",
                       label="must mention threads")


@test
def exec_refused(c):
    """A program that execve()s another program mid-run: record exits 125 with a message
    mentioning the exec (pytt records one program image); the output before it passed through."""
    out = c.wd("record.out")
    _, rec = c.record([c.python, sp("reexec.py")], "", out_path=out)
    rec.stderr = H.read(out)
    H.check_pytt_error(rec, "record of a program that execs another", r"exec",
                       label="must mention the exec")
    if b"first image" not in rec.stderr:
        raise H.TestFailure("the output written before the exec did not pass through:\n"
                            + H.tail_text(rec.stderr))


PLAN_TAG = bytes([0x51, 0x37, 0x7a, 0x4b])  # not in arch_syscall.py's source (also read)


@test
def arch_refused(c):
    """A program that makes a 32-bit (int 0x80) syscall: record refuses it by its i386 name
    (exit 125) before it runs."""
    plan = c.wd("plan")
    with open(plan, "wb") as f:
        f.write(PLAN_TAG + b"g")
    _, rec = c.record([c.python, sp("arch_syscall.py"), plan, c.wd("unused")], "", capture=True)
    H.check_pytt_error(rec, "record of a program making an int 0x80 getpid",
                       r"32-bit \(int 0x80\) syscall getpid \(i386 number 20\)",
                       label="must name the 32-bit call")
    if b"result" in rec.stdout:
        raise H.TestFailure("the 32-bit syscall ran under pytt record:\n" + H.tail_text(rec.stdout))


@test
def hostile_int80(c):
    """A trace crafted from an honest one (the data of one read() edited: 'x' becomes 'i') leads
    the replayed program to an i386 unlink with the registers of the recorded x86-64 mprotect:
    replay refuses it as a 32-bit syscall, and the file it names still exists."""
    plan, victim = c.wd("plan"), c.wd("victim.txt")
    with open(plan, "wb") as f:
        f.write(PLAN_TAG + b"x")
    with open(victim, "w") as f:
        f.write("must survive\n")
    trace, rec = c.record([c.python, sp("arch_syscall.py"), plan, victim], "", capture=True)
    if rec.status != 0 or b"result 0" not in rec.stdout:
        raise H.TestFailure("the honest recording failed:\n" + rec.describe())
    crafted = c.wd("crafted")
    out = H.run([c.trace_edit, trace, crafted, (PLAN_TAG + b"x").hex(), (PLAN_TAG + b"i").hex()],
                env=H.clean_env(), capture=True)
    if out.status != 0 or out.stdout.strip() != b"1":
        raise H.TestFailure("trace_edit did not make exactly one edit:\n" + out.describe())
    c.traces.append(crafted)
    rep = c.replay(crafted, extra=["--program-output", c.wd("crafted.out")])
    H.check_pytt_error(rep, "replay of a trace crafted to issue int 0x80 unlink",
                       r"32-bit \(int 0x80\) syscall unlink \(i386 number 10\)",
                       label="must refuse the 32-bit unlink by name")
    if not os.path.exists(victim):
        raise H.TestFailure("the crafted trace deleted " + victim)


@test
def moved_trace_other_cwd(c):
    """Record in a directory, reading a file there by a relative path; then move the trace
    directory, delete the recording's cwd, and replay from elsewhere: same output."""
    rec_cwd = c.wd("rec_cwd")
    os.makedirs(rec_cwd)
    with open(os.path.join(rec_cwd, "relative.txt"), "w") as f:
        f.write("relative " + secrets.token_hex(6) + "\n")
    trace = c.wd("trace_before_move")
    rec_out = c.wd("record.out")
    rec = H.run([c.pytt, "record", "-o", trace, "--", c.python, sp("relative_file.py")],
                env=H.clean_env(), cwd=rec_cwd, out_path=rec_out)
    recorded = H.read(rec_out)
    if rec.status != 0 or b"END relative_file" not in recorded:
        raise H.TestFailure(f"record: {rec.describe()}\n{H.tail_text(recorded)}")
    moved = c.wd("moved", "trace")
    os.makedirs(os.path.dirname(moved))
    os.rename(trace, moved)
    c.traces.append(moved)
    shutil.rmtree(rec_cwd)
    elsewhere = c.wd("elsewhere")
    os.makedirs(elsewhere)
    rep_out = c.wd("replay.out")
    rep = H.run([c.pytt, "replay", moved, "-a", "--program-output", rep_out],
                env=H.clean_env(), cwd=elsewhere, capture=True)
    replayed = H.read(rep_out) if os.path.exists(rep_out) else b""
    diff = H.describe_difference(recorded, replayed)
    if rep.timed_out or rep.status != 0 or diff:
        raise H.TestFailure(f"replay of the moved trace from another cwd: {rep.describe()}\n"
                            f"{diff or ''}\n  replay stderr:\n{H.tail_text(rep.stderr)}")


# --- stdin from a live pipe ---------------------------------------------------------------

@test
def stdin_live_pipe(c):
    """stdin is a pipe fed slowly while recording (poll timeouts in between); replay with
    stdin=/dev/null reproduces the output."""
    import subprocess
    trace = c.wd("trace")
    c.traces.append(trace)
    rec_out = c.wd("record.out")
    with open(rec_out, "wb") as out:
        p = subprocess.Popen([c.pytt, "record", "-o", trace, "--", c.python,
                              sp("stdin_live.py")], stdin=subprocess.PIPE, stdout=out,
                             stderr=subprocess.STDOUT, env=H.clean_env(), cwd=c.wd.path,
                             start_new_session=True)
        try:
            for i in range(5):
                time.sleep(0.05)
                p.stdin.write(f"line {i} {secrets.token_hex(4)}\n".encode())
                p.stdin.flush()
            p.stdin.close()
            status = p.wait(timeout=H.PYTT_TIMEOUT)
        except (subprocess.TimeoutExpired, BrokenPipeError) as e:
            H.kill_group(p.pid)
            p.wait()
            raise H.TestFailure(f"record with a live stdin pipe: {e!r}\n"
                                + H.tail_text(H.read(rec_out)))
    recorded = H.read(rec_out)
    if status != 0 or b"END stdin_live" not in recorded or b"chunk 5" not in recorded:
        raise H.TestFailure(f"record exit status {status}\n{H.tail_text(recorded)}")
    if b", 0 timeouts" in recorded:
        raise H.TestFailure("the program never waited between chunks: the test would not "
                            "exercise poll timeouts\n" + H.tail_text(recorded))
    rep_out = c.wd("replay.out")
    rep = c.replay(trace, extra=["--program-output", rep_out])
    replayed = H.read(rep_out) if os.path.exists(rep_out) else b""
    diff = H.describe_difference(recorded, replayed)
    if rep.timed_out or rep.status != 0 or diff:
        raise H.TestFailure(f"replay: {rep.describe()}\n{diff or ''}\n  replay stderr:\n"
                            f"{H.tail_text(rep.stderr)}")


# --- killed tracee ------------------------------------------------------------------------

@test
def killed_tracee(c):
    """The tracee SIGKILLs itself: record exits 137, replay reproduces the output up to then
    and exits 137 too."""
    _, recorded, _ = c.record_replay([c.python, sp("killed_self.py")], expected_status=137,
                                     expect=["line 4 ", "about to SIGKILL"])
    if b"never printed" in recorded:
        raise H.TestFailure("the program went on after SIGKILL")


# --- wrappers -----------------------------------------------------------------------------

@test
def venv_wrapper(c):
    """Recording through a venv's bin/python symlink replays exactly."""
    venv = c.wd("venv")
    r = H.run([c.python, "-m", "venv", "--without-pip", venv], env=H.clean_env(),
              capture=True, timeout=H.NATIVE_TIMEOUT)
    if r.status != 0:
        raise H.TestFailure(f"creating the venv failed: {r.describe()}\n{H.tail_text(r.stderr)}")
    py = os.path.join(venv, "bin", "python")
    c.record_replay([py, sp("wrapper_info.py")], expected_status=0,
                    expect=["in_venv True", f"prefix {venv}", "END wrapper_info"])


@test
def pyenv_shim(c):
    """Recording through the pyenv shim (a bash script that execs pyenv, which execs the
    interpreter) replays exactly. PYENV_VERSION=system makes the shim pick /usr/bin/python3.11
    (pyenv's own 3.11.x build has no python3.11-dbg debug info)."""
    shim = "/root/.pyenv/shims/python3.11"
    if not os.path.exists(shim):
        raise H.Skip(f"{shim} does not exist (pyenv not installed)")
    env = H.clean_env(PYENV_VERSION="system")
    r = H.run([shim, "-c", "import sys; print(sys.executable, sys.version.split()[0])"],
              env=env, capture=True, timeout=H.NATIVE_TIMEOUT)
    if r.status != 0 or not r.stdout.startswith(c.python.encode()):
        raise H.Skip(f"the shim with PYENV_VERSION=system does not run {c.python}: "
                     f"{r.describe()} -> {r.stdout!r} {r.stderr[-300:]!r}")
    c.record_replay([shim, sp("wrapper_info.py")], expected_status=0, record_env=env,
                    expect=["in_venv False", "pyenv_version_env system", "END wrapper_info"])


# --- separate streams ---------------------------------------------------------------------

@test
def split_streams(c):
    """Record with stdout and stderr in different files; `replay -a` (no --program-output)
    reproduces each on pytt's own stdout and stderr."""
    trace = c.wd("trace")
    c.traces.append(trace)
    out, err = c.wd("record.stdout"), c.wd("record.stderr")
    rec = H.run([c.pytt, "record", "-o", trace, "--", c.python,
                 prog("stdout_stderr_interleave.py")], env=H.clean_env(), cwd=c.wd.path,
                out_path=out, err_path=err)
    rout, rerr = H.read(out), H.read(err)
    if rec.status != 0 or b"END stdout_stderr_interleave" not in rout or b"stderr 1 " not in rerr:
        raise H.TestFailure(f"record: {rec.describe()}\n  stdout:\n{H.tail_text(rout)}\n"
                            f"  stderr:\n{H.tail_text(rerr)}")
    rep = c.replay(trace)
    problems = []
    if rep.timed_out or rep.status != 0:
        problems.append(f"replay: {rep.describe()}")
    d = H.describe_difference(rout, rep.stdout, "recorded stdout", "replay's stdout")
    if d:
        problems.append(d)
    # pytt may add its own `pytt:` notes on stderr; everything else must be the program's.
    rep_err = b"".join(l for l in rep.stderr.splitlines(keepends=True)
                       if not l.startswith(b"pytt:"))
    d = H.describe_difference(rerr, rep_err, "recorded stderr",
                              "replay's stderr (minus pytt: lines)")
    if d:
        problems.append(d)
    if problems:
        raise H.TestFailure("\n".join(problems))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pytt")
    ap.add_argument("--python", default=H.DEFAULT_PYTHON)
    ap.add_argument("--test")
    ap.add_argument("--workdir", default=H.DEFAULT_WORKDIR)
    ap.add_argument("--trace-edit", help="tests/tools/trace_edit, for hostile-trace tests")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        for n, fn in TESTS.items():
            print(f"{n}: {' '.join(fn.__doc__.split())}")
        return
    if not a.pytt or a.test not in TESTS:
        ap.error(f"need --pytt and --test, one of {sorted(TESTS)}")
    wd = H.WorkDir(a.workdir, "special." + a.test)
    c = Ctx(os.path.abspath(a.pytt), a.python, wd, a.trace_edit)
    H.main(f"replay.special.{a.test}", lambda: TESTS[a.test](c), wd,
           lambda: [f"cd {wd.path} && {c.pytt} replay {t} -a" for t in c.traces
                    if os.path.isdir(t)])


if __name__ == "__main__":
    main()
