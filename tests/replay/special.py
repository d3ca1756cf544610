#!/usr/bin/python3
"""Special record/replay tests (one per invocation; `special.py --list` lists them).

    special.py --pytt PYTT --test NAME [--workdir DIR] [--python PY]
"""

import argparse
import glob
import os
import re
import secrets
import signal
import shutil
import struct
import subprocess
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

    def crafted(self, trace, old, new):
        """A copy of trace whose recorded data has its one occurrence of old replaced by new
        (tests/tools/trace_edit): well-formed and checksummed, only replay's checks can tell."""
        crafted = self.wd("crafted")
        out = H.run([self.trace_edit, trace, crafted, old.hex(), new.hex()], env=H.clean_env(),
                    capture=True)
        if out.status != 0 or out.stdout.strip() != b"1":
            raise H.TestFailure("trace_edit did not make exactly one edit:\n" + out.describe())
        self.traces.append(crafted)
        return crafted

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


@test
def stale_identity_cache(c):
    """The recorder caches mapped files' identities (pt_fidcache.c, keyed by device, inode,
    size, mtime and ctime). An extension module recorded once (cached), then edited in place
    with its size and mtime put back, is recorded again: that trace must carry the edited
    content's hash, so a replay after restoring the original bytes (under a new mtime) is
    refused. A cache keyed without the ctime would hand the second recording the first
    content's hash and the replay would run against the wrong file."""
    cands = ext_candidates()
    if not cands:
        raise H.Skip("need an extension module in /usr/lib/python3.11/lib-dynload")
    name, src = cands[0]
    extdir = c.wd("extdir")
    os.makedirs(extdir)
    copy = os.path.join(extdir, os.path.basename(src))
    shutil.copyfile(src, copy)
    old = time.time() - 3600
    os.utime(copy, (old, old))
    time.sleep(2.2)  # the cache takes only files unchanged for 2 s (a write in the same tick)
    cache = c.wd("cache")
    env = H.clean_env(PYTT_CACHE_DIR=cache)
    cmd = [c.python, sp("ext_import.py"), extdir, name]
    c.record_replay(cmd, tag="1", expected_status=0, record_env=env,
                    expect=[f"from {copy}", "END ext_import"])
    with open(os.path.join(cache, "fileids")) as f:
        st = os.stat(copy)
        keys = [line.split()[:3] for line in f]  # kind, device, inode
        if ["F", f"{st.st_dev:x}", f"{st.st_ino:x}"] not in keys:
            raise H.TestFailure(f"the first recording did not cache {copy}: {keys}")
    original = H.read(copy)
    size = len(original)
    flipped = bytearray(original)
    for i in range(size - 64, size):  # the section headers: ld.so never reads them
        flipped[i] ^= 0xFF
    with open(copy, "r+b") as f:
        f.write(flipped)
    os.utime(copy, (old, old))  # same inode, size and mtime: only the ctime tells
    trace2 = c.wd("trace2")
    c.traces.append(trace2)
    rec = H.run([c.pytt, "record", "-o", trace2, "--"] + cmd, env=env, cwd=c.wd.path,
                out_path=c.wd("record2.out"))
    if rec.status != 0:
        raise H.TestFailure(f"second record: {rec.describe()}")
    with open(copy, "r+b") as f:
        f.write(original)  # the first content again, under a new mtime
    check_refused(c, trace2, copy, "restoring the content recorded first (the trace has the "
                  "edited one) of")


# --- the copy cache (common/pt_copycache.c) -------------------------------------------------

COPY_ENTRY = struct.Struct("<4sI7QQQQ")  # magic version dev ino size mtime ctime off len
                                          # content_hash frame_len frame_hash


def copy_entries(cache):
    """{(dev, ino): (path, bytes)} of the copy cache's entries."""
    d = os.path.join(cache, "copies")
    found = {}
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        data = H.read(os.path.join(d, name))
        if len(data) >= COPY_ENTRY.size and data[:4] == b"PTCC":
            f = COPY_ENTRY.unpack_from(data)
            found[(f[2], f[3])] = (os.path.join(d, name), data)
    return found


def copy_lines(c, trace):
    """The `pytt events` lines of the copies a trace maps (their addresses and sizes)."""
    ev = H.run([c.pytt, "events", trace], env=H.clean_env(), capture=True)
    if ev.status != 0:
        raise H.TestFailure(f"pytt events {trace}: {ev.describe()}")
    return [l for l in ev.stdout.decode().splitlines() if "maps a copy" in l]


@test
def copy_cache(c):
    """Copies of mapped files are compressed once per user (common/pt_copycache.c). Data files
    the program maps (each with a marker) and the files every Python maps are recorded with the
    cache cold, warm, damaged, lying and off: each recording replays to its recorded output
    (digests of the mappings), maps the same copies (`pytt events`), and its data holds each
    marker exactly once; the warm one takes the entries as they are, a damaged entry (a byte
    flipped, cut short) and an entry holding another file's bytes under this file's key (what
    a file changed under an unchanged identity would look like) are not used and are replaced
    by good ones, and with PYTT_CACHE_DIR=off nothing is cached (that trace, marked as the
    version 8 it equals, still replays)."""
    files = [c.wd("a.dat"), c.wd("b.dat"), c.wd("small.dat")]
    markers = []
    for i, (p, size) in enumerate(zip(files, (100000, 100000, 9000))):
        marker = secrets.token_bytes(24)
        markers.append(marker)
        data = bytearray(os.urandom(size))
        data[size // 2:size // 2 + len(marker)] = marker
        with open(p, "wb") as f:
            f.write(data)
    time.sleep(2.2)  # the cache takes only files unchanged for 2 s (a write in the same tick)
    cache = c.wd("cache")
    cmd = [c.python, sp("mmap_data.py")] + files

    def recording(tag, **env):
        trace, out, _ = c.record_replay(cmd, tag=tag, expected_status=0, expect=["END mmap_data"],
                                        record_env=H.clean_env(**env))
        for p, marker in zip(files, markers):
            edit = H.run([c.trace_edit, trace, c.wd(f"edited{tag}"), marker.hex(), marker.hex()],
                         env=H.clean_env(), capture=True)
            shutil.rmtree(c.wd(f"edited{tag}"), ignore_errors=True)
            if edit.status != 0 or edit.stdout.strip() != b"1":
                raise H.TestFailure(f"recording {tag}: the data of {p} is not in the trace "
                                    f"exactly once: {edit.describe()} {edit.stdout!r}")
        return trace, out, copy_lines(c, trace)

    cold, cold_out, cold_lines = recording("_cold", PYTT_CACHE_DIR=cache)
    entries = copy_entries(cache)
    ids = [(os.stat(p).st_dev, os.stat(p).st_ino) for p in files]
    if ids[0] not in entries or ids[1] not in entries or ids[2] in entries:
        raise H.TestFailure(f"the cold recording should have cached a.dat and b.dat (100000 "
                            f"bytes), not small.dat (9000): {sorted(entries)} vs {ids}")
    if len(entries) < 3:
        raise H.TestFailure(f"the interpreter's own copies (LC_CTYPE, ld.so.cache) were not "
                            f"cached: {len(entries)} entries")
    stamps = {k: os.stat(v[0]).st_mtime_ns for k, v in entries.items()}

    def same_as_cold(tag, trace, out, lines):
        if out != cold_out:
            raise H.TestFailure(f"{tag}: the program printed something else than with the cold "
                                f"cache:\n" + H.describe_difference(cold_out, out, "cold", tag))
        if lines != cold_lines:
            raise H.TestFailure(f"{tag}: the copies differ from the cold recording's:\n"
                                + "\n".join(cold_lines) + "\n---\n" + "\n".join(lines))

    warm = recording("_warm", PYTT_CACHE_DIR=cache)
    same_as_cold("warm cache", *warm)
    now = copy_entries(cache)
    if now != entries or any(os.stat(v[0]).st_mtime_ns != stamps[k] for k, v in now.items()):
        raise H.TestFailure("the warm recording rewrote cache entries instead of using them")

    a_path, a_good = entries[ids[0]]
    b_path, b_good = entries[ids[1]]
    bad = bytearray(a_good)
    bad[len(bad) - 100] ^= 0x10
    with open(a_path, "wb") as f:
        f.write(bytes(bad))
    with open(b_path, "wb") as f:
        f.write(b_good[:len(b_good) - 37])
    same_as_cold("damaged cache", *recording("_damaged", PYTT_CACHE_DIR=cache))
    now = copy_entries(cache)
    if now[ids[0]][1] != a_good or now[ids[1]][1] != b_good:
        raise H.TestFailure("damaged entries (a flipped byte, cut short) were not replaced by "
                            "good ones")

    # a.dat's key, b.dat's bytes (same size): a well-formed entry that must not be used
    ka, kb = COPY_ENTRY.unpack_from(a_good), COPY_ENTRY.unpack_from(b_good)
    lying = COPY_ENTRY.pack(*ka[:9], *kb[9:]) + b_good[COPY_ENTRY.size:]
    with open(a_path, "wb") as f:
        f.write(lying)
    same_as_cold("an entry with another file's bytes", *recording("_lying", PYTT_CACHE_DIR=cache))
    if copy_entries(cache)[ids[0]][1] != a_good:
        raise H.TestFailure("the entry holding another file's bytes was not replaced")

    off_trace, off_out, off_lines = recording("_off", PYTT_CACHE_DIR="off")
    same_as_cold("PYTT_CACHE_DIR=off", off_trace, off_out, off_lines)
    if os.path.exists(c.wd("off")):
        raise H.TestFailure("PYTT_CACHE_DIR=off created a cache directory")

    # Without the cache a trace's chunks are what version 8 wrote (one frame per chunk): marked
    # as version 8, it still replays (versions 3 to 8 are read).
    v8 = c.wd("trace_v8")
    shutil.copytree(off_trace, v8)
    c.traces.append(v8)
    for name in ("header", "sources"):
        with open(os.path.join(v8, name), "r+b") as f:
            if struct.unpack("<I", f.read(12)[8:])[0] != 10:
                raise H.TestFailure(f"{name} is not trace format version 10")
            f.seek(8)
            f.write(struct.pack("<I", 8))
    rep_out = c.wd("replay_v8.out")
    rep = c.replay(v8, extra=["--program-output", rep_out])
    if rep.status != 0 or H.read(rep_out) != off_out:
        raise H.TestFailure(f"a version 8 trace: {rep.describe()}\n{H.tail_text(rep.stderr)}")


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
    """`pytt record -- /bin/true` fails with 125 saying it is not a CPython interpreter, and a
    program that is not Python is refused before it runs: `pytt record /usr/bin/touch FILE`
    leaves no FILE (nor a trace directory), and `pytt record /bin/ls` prints no listing. A
    launcher that names a Python on its command line (`env python3.11 -c ...`) still records."""
    _, rec = c.record(["/bin/true"], "", capture=True)
    H.check_pytt_error(rec, "record of /bin/true", r"not\b.*cpython",
                       label="must say it is not a CPython interpreter")
    marker = c.wd("touched_by_the_recorded_program")
    trace, rec = c.record(["/usr/bin/touch", marker], "_touch", capture=True)
    H.check_pytt_error(rec, "record of /usr/bin/touch", r"nothing was run",
                       label="must say nothing was run")
    if os.path.exists(marker) or os.path.exists(trace):
        raise H.TestFailure(f"record of /usr/bin/touch {marker}: the program ran "
                            f"({os.path.exists(marker)}) or a trace was left "
                            f"({os.path.exists(trace)}) although it was refused")
    _, rec = c.record(["/bin/ls", c.wd.path], "_ls", capture=True)
    H.check_pytt_error(rec, "record of /bin/ls", r"not a CPython interpreter")
    if rec.stdout:
        raise H.TestFailure(f"record of /bin/ls ran ls: {rec.stdout[:200]!r}")
    _, rec = c.record(["/usr/bin/env", c.python, "-c", "print(7)"], "_env", capture=True)
    if rec.status != 0 or rec.stdout != b"7\n":
        raise H.TestFailure(f"record of `env {c.python} -c print(7)`: {rec.describe()} "
                            f"{rec.stdout!r} {H.tail_text(rec.stderr)}")


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


LAYOUT_PROG = """\
class Point:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x, self.y = x, y


class Box:
    def __init__(self):
        self.items = [Point(i, -i) for i in range(3)]
        self.names = {"a": 1.5, "b": (2, "two")}


def inner(box, k):
    total = sum(p.x * k for p in box.items)
    return total  # STOP


print(inner(Box(), 7))
"""


@test
def layout_cache(c):
    """The interpreter's layout is read from DWARF once and then from a small cache file
    (pyintrospect/pyi_layout_cache.c). Sessions with the cache cold, warm, damaged and off print
    the same stack, locals and values, and `maint layout` says where the layout came from each
    time; a damaged file is replaced by a good one; with a warm cache but the DWARF gone
    (PYTT_DEBUG_DIR empty) the session still fails and names python3.11-dbg."""
    with open(c.wd("layout_prog.py"), "w") as f:
        f.write(LAYOUT_PROG)
    trace, rec = c.record([c.python, "layout_prog.py"], "", capture=True)
    if rec.status != 0 or rec.stdout != b"21\n":
        raise H.TestFailure(f"record: {rec.describe()} {rec.stdout!r}")
    line = LAYOUT_PROG.splitlines().index("    return total  # STOP") + 1
    cmds = [f"break layout_prog.py:{line}", "continue", "bt", "info locals", "p box.items",
            "p box.names", "p box.items[1].y", "p [p.x for p in box.items]", "maint layout"]
    cache = c.wd("cache")

    def session(**env):
        args = [c.pytt, "replay", trace, "--batch"]
        for cmd in cmds:
            args += ["-ex", cmd]
        res = H.run(args, env=H.clean_env(**env), cwd=c.wd.path, capture=True,
                    timeout=H.NATIVE_TIMEOUT)
        text = res.stdout.decode("utf-8", "replace")
        layout = [l for l in text.splitlines() if ": layout " in l]
        if res.status != 0 or len(layout) != 1 or "total = 21" not in text:
            raise H.TestFailure(f"session ({env}): {res.describe()}\n{text[-3000:]}\n"
                                f"{H.tail_text(res.stderr)}")
        return "\n".join(l for l in text.splitlines() if ": layout " not in l), layout[0]

    def expect(layout, what, want):
        if want not in layout:
            raise H.TestFailure(f"{what}: `maint layout` says {layout!r}, not {want!r}")

    cold, how = session(PYTT_CACHE_DIR=cache)
    expect(how, "cold cache", "layout from DWARF (now in the layout cache")
    files = [os.path.join(cache, "layout", n) for n in os.listdir(os.path.join(cache, "layout"))]
    if len(files) != 1:
        raise H.TestFailure(f"expected one cache file, found {files}")
    good = H.read(files[0])
    for what, env, want in (("warm cache", {"PYTT_CACHE_DIR": cache}, "from the layout cache"),
                            ("cache off", {"PYTT_CACHE_DIR": "off"}, "not cached")):
        text, how = session(**env)
        expect(how, what, want)
        diff = H.describe_difference(cold.encode(), text.encode(), "cold cache", what)
        if diff:
            raise H.TestFailure(f"{what}: the session printed something else:\n{diff}")
    bad = bytearray(good)
    for i in range(64, len(bad), 97):
        bad[i] ^= 0x5A
    with open(files[0], "wb") as f:
        f.write(bytes(bad))
    text, how = session(PYTT_CACHE_DIR=cache)
    expect(how, "damaged cache file", "layout from DWARF (now in the layout cache")
    diff = H.describe_difference(cold.encode(), text.encode(), "cold cache", "damaged cache")
    if diff or H.read(files[0]) != good:
        raise H.TestFailure(f"a damaged cache file: {diff or 'it was not replaced by a good one'}")
    empty = c.wd("empty_debug_dir_layout")
    os.makedirs(empty)
    res = H.run([c.pytt, "replay", trace, "--batch", "-ex", "bt"],
                env=H.clean_env(PYTT_CACHE_DIR=cache, PYTT_DEBUG_DIR=empty), cwd=c.wd.path,
                capture=True, timeout=H.NATIVE_TIMEOUT)
    out = (res.stdout + res.stderr).decode("utf-8", "replace")
    if "python3.11-dbg" not in out or "<module>" in out:
        raise H.TestFailure(f"DWARF gone, cache warm: the session did not fail naming "
                            f"python3.11-dbg:\n{out[-2000:]}")


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


COUNT_TAG = b"PYTT-SHELL-COUNT="


@test
def failed_start_shell(c):
    """A replay that cannot reach the main script (a trace edited so that a package imported
    before it, by `python -m pkg.main`, loops 9 times instead of 5: the replay diverges there)
    never pretends to be at the end of the recording: the shell says it could not start, and
    why, for every command that needs a stop, and exits 1."""
    pkg = c.wd("startpkg")
    os.makedirs(pkg)
    count = c.wd("count.txt")
    with open(count, "wb") as f:
        f.write(COUNT_TAG + b"5")
    with open(os.path.join(pkg, "__init__.py"), "w") as f:
        f.write(f"n = int(open({count!r}, 'rb').read().split(b'=')[1])\n"
                "total = sum(i * i for i in range(n * 1000))\n"
                "open('/dev/null').close()  # a syscall after the loop: its tick is checked\n")
    with open(os.path.join(pkg, "main.py"), "w") as f:
        f.write("print('main', __import__('startpkg').total)\n")
    trace, rec = c.record([c.python, "-m", "startpkg.main"], "", capture=True)
    if rec.status != 0:
        raise H.TestFailure("the honest recording failed:\n" + rec.describe())
    crafted = c.crafted(trace, COUNT_TAG + b"5", COUNT_TAG + b"9")
    cmds = ["step", "when", "bt", "continue", "reverse-step", "goto end", "info"]
    args = [c.pytt, "replay", crafted, "--batch"]
    for cmd in cmds:
        args += ["-ex", cmd]
    sh = H.run(args, env=H.clean_env(), cwd=c.wd.path, capture=True, timeout=H.NATIVE_TIMEOUT)
    text = (sh.stdout + sh.stderr).decode("utf-8", "replace")
    could_not = text.count("The replay could not start")
    if sh.status != 1 or "diverged" not in text or could_not < 6 or \
            "end of the recording" in text or "not being run" in text or \
            "state: the replay could not start" not in text:
        raise H.TestFailure(f"the shell on a replay that fails before the main script: "
                            f"{sh.describe()}\n{text[-2500:]}")


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
    crafted = c.crafted(trace, PLAN_TAG + b"x", PLAN_TAG + b"i")
    rep = c.replay(crafted, extra=["--program-output", c.wd("crafted.out")])
    H.check_pytt_error(rep, "replay of a trace crafted to issue int 0x80 unlink",
                       r"32-bit \(int 0x80\) syscall unlink \(i386 number 10\)",
                       label="must refuse the 32-bit unlink by name")
    if not os.path.exists(victim):
        raise H.TestFailure("the crafted trace deleted " + victim)


@test
def chaos_schedules(c):
    """The thread race recorded under 30 chaos schedules (--chaos=SEED: a switch at any
    syscall, slices of random length): every recording ends with the abort (134), none hangs,
    and each replays with the recorded output; then an abort while another thread makes
    syscalls, under 40 schedules. A chaos switch at the creator's clone once left
    the creator stopped at its clone event forever (nothing resumed a thread let into the
    kernel); switches while a new thread's first stop was pending are exercised too."""
    for seed in range(1, 31):
        trace = c.wd(f"trace-chaos{seed}")
        rec = H.run([c.pytt, "record", f"--chaos={seed}", "-o", trace, "--", c.python,
                     prog("threads_race.py")], env=H.clean_env(), cwd=c.wd.path, capture=True,
                    timeout=60)
        if rec.status != 134:
            c.traces.append(trace)
            raise H.TestFailure(f"--chaos={seed}: record ended with {rec.status} (a hang is "
                                f"killed after 60 s), expected 134:\n" + rec.describe())
        rep = c.replay(trace)
        if rep.status != 134 or rep.stdout != rec.stdout or rep.stderr != rec.stderr:
            c.traces.append(trace)
            raise H.TestFailure(f"--chaos={seed}: the replay differs from the recording:\n" +
                                rep.describe())
    # A thread's signal recorded after other threads' calls returned (rep_sched_drain): an
    # abort while another thread makes syscalls. The order depends on the kernel's timing (about
    # 1 recording in 200 under load has it), so this catches a regression only sometimes; the
    # race above hit it in about 1 run of this test in 6 before the fix.
    for seed in range(1, 41):
        trace = c.wd(f"trace-abort{seed}")
        rec = H.run([c.pytt, "record", f"--chaos={seed}", "-o", trace, "--", c.python,
                     sp("abort_busy.py")], env=H.clean_env(), cwd=c.wd.path, capture=True,
                    timeout=60)
        rep = c.replay(trace)
        if rec.status != 134 or rep.status != 134 or rep.stdout != rec.stdout:
            c.traces.append(trace)
            raise H.TestFailure(f"abort_busy --chaos={seed}: record {rec.status}, replay "
                                f"{rep.status} (both must be 134, same output):\n" +
                                rep.describe())


@test
def daemon_outlives(c):
    """A daemon the program starts outlives the recording: it is neither killed nor left
    stopped when pytt exits (it writes its marker file afterwards), and the program replays."""
    marker = c.wd("marker")
    trace, rec = c.record([c.python, sp("daemon_outlives.py"), marker], "", capture=True)
    if rec.status != 0:
        raise H.TestFailure("record failed:\n" + rec.describe())
    for _ in range(100):
        if os.path.exists(marker) and os.path.getsize(marker):
            break
        time.sleep(0.05)
    else:
        raise H.TestFailure("the daemon never wrote its marker: killed or left stopped by pytt")
    rep = c.replay(trace)
    if rep.status != 0 or rep.stdout != rec.stdout:
        raise H.TestFailure("the replay differs from the recording:\n" + rep.describe())


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

def wait_for_text(path, text, timeout):
    """Waits until the file at path contains text (TimeoutExpired after timeout seconds)."""
    import subprocess
    deadline = time.monotonic() + timeout
    while text not in H.read(path):
        if time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(f"waiting for {text!r} in {path}", timeout)
        time.sleep(0.01)


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
                # Each line goes only once the program printed the previous chunk, so no two
                # lines can arrive in one read however loaded the machine is, and the program
                # polls (and times out) in between.
                wait_for_text(rec_out, f"chunk {i} ".encode() if i else b"", H.PYTT_TIMEOUT)
                time.sleep(0.05)
                p.stdin.write(f"line {i} {secrets.token_hex(4)}\n".encode())
                p.stdin.flush()
            wait_for_text(rec_out, b"chunk 5 ", H.PYTT_TIMEOUT)
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

# --- traces that last: killed recorder, full disk -------------------------------------------

def is_prefix_replay(c, trace, recorded, what, must_say):
    """Replays trace -a: it must end with a pytt: error saying must_say, and print a non-empty
    prefix of the recorded output."""
    rep_out = c.wd("replay_" + what.replace(" ", "_") + ".out")
    rep = c.replay(trace, extra=["--program-output", rep_out])
    replayed = H.read(rep_out) if os.path.exists(rep_out) else b""
    H.check_pytt_error(rep, f"replay of {what}", must_say, label=f"must say /{must_say}/")
    if not replayed or not recorded.startswith(replayed):
        raise H.TestFailure(f"replay of {what} did not print a prefix of the recorded output "
                            f"({len(replayed)} of {len(recorded)} bytes):\n"
                            + (H.describe_difference(recorded[:len(replayed)], replayed) or ""))
    return replayed


def leftover_processes(marker):
    """Processes whose command line contains marker (a tracee pytt left behind)."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(pid))
            except OSError:
                pass
    return found


@test
def killed_recorder(c):
    """SIGKILL of `pytt record` mid-run: the program dies with it, and the trace replays up to
    its last complete chunk, then says it was cut short (exit 125)."""
    import signal
    import subprocess
    trace, out = c.wd("trace"), c.wd("record.out")
    c.traces.append(trace)
    prog_copy = c.wd("killed_recorder_prog.py")
    shutil.copyfile(sp("slow_lines.py"), prog_copy)
    with open(out, "wb") as o:
        p = subprocess.Popen([c.pytt, "record", "-o", trace, "--", c.python, prog_copy],
                             stdout=o, stderr=subprocess.STDOUT, env=H.clean_env(),
                             cwd=c.wd.path, start_new_session=True)
        wait_for_text(out, b"line 40 ", H.PYTT_TIMEOUT)
        p.send_signal(signal.SIGKILL)
        p.wait()
    time.sleep(0.2)
    left = leftover_processes(prog_copy)
    if left:
        raise H.TestFailure(f"the recorded program outlived the killed recorder: pids {left}")
    recorded = H.read(out)
    replayed = is_prefix_replay(c, trace, recorded, "a trace whose recorder was killed",
                                r"cut short")
    if b"line 10 " not in replayed:
        raise H.TestFailure("the salvaged trace replays less than 10 lines of 40 (the recorder "
                            "flushes every second):\n" + H.tail_text(replayed))


@test
def disk_full(c):
    """Recording onto a 1 MiB tmpfs that fills up mid-run: pytt says the disk is full and
    that it let the program go, the program runs to its end (its status is pytt's), and the
    trace replays up to where it was cut, then says why. Needs root (mount). (The size: the
    256 KiB reserve, the start's chunk (~120 KB: the LOADER's state has a chunk of its own
    since trace version 10), and one ~530 KB chunk of the program's random reads fit; the
    next does not. 640 KiB fitted only when the start and the first reads shared a chunk.)"""
    if os.geteuid() != 0 or not shutil.which("mount"):
        raise H.Skip("mounting a small tmpfs needs root")
    small = c.wd("small")
    os.makedirs(small)
    r = H.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", small],
              env=H.clean_env(), capture=True)
    if r.status != 0:
        raise H.Skip(f"cannot mount a tmpfs: {r.stderr.decode(errors='replace')}")
    try:
        trace = os.path.join(small, "trace")
        out = c.wd("record.out")
        rec = H.run([c.pytt, "record", "-o", trace, "--", c.python, sp("fill_reads.py"),
                     c.wd("random.bin")], env=H.clean_env(), cwd=c.wd.path, out_path=out)
        recorded = H.read(out)
        text = recorded.decode("utf-8", "replace")
        if rec.status != 0 or "END fill_reads" not in text or "disk is full" not in text \
                or "let go" not in text:
            raise H.TestFailure(f"record on a full disk: {rec.describe()}\n"
                                + H.tail_text(recorded))
        program = b"".join(l for l in recorded.splitlines(keepends=True)
                           if not l.startswith(b"pytt:"))
        is_prefix_replay(c, trace, program, "a trace cut by a full disk", r"disk is full")
    finally:
        H.run(["umount", "-l", small], env=H.clean_env(), capture=True)


# --- identity checks that mean what they say ------------------------------------------------

@test
def touched_inputs(c):
    """Between record and replay: ldconfig runs (root, on CI: it rewrites /etc/ld.so.cache), a
    small and a large (12 MiB) data file the program mapped and a copied extension module are
    touched (same content, new mtime): replay still works. Then the large file's content
    changes (same size): replay is refused before the program prints anything, naming it."""
    small, large = c.wd("small.dat"), c.wd("large.dat")
    with open(small, "wb") as f:
        f.write(os.urandom(50000))
    with open(large, "wb") as f:
        f.write(os.urandom(12 << 20))
    trace, recorded, _ = c.record_replay([c.python, sp("mmap_data.py"), small, large],
                                         tag="_data", expected_status=0,
                                         expect=["END mmap_data"])
    ext_trace, ext_copy, _ = record_with_ext_copy(c)
    time.sleep(0.02)
    for p in (small, large, ext_copy):
        os.utime(p)
    # The real ldconfig rewrites the machine's /etc/ld.so.cache (same content, new mtime): only
    # on CI's machine, never under developers' feet (their older builds' traces would break).
    if os.environ.get("CI") == "true" and os.geteuid() == 0 and shutil.which("ldconfig"):
        r = H.run(["ldconfig"], env=H.clean_env(), capture=True)
        if r.status != 0:
            raise H.TestFailure("ldconfig failed: " + r.describe())
    for t, what in ((trace, "mapped data files"), (ext_trace, "an extension module")):
        rep_out = c.wd("replay_touched.out")
        rep = c.replay(t, extra=["--program-output", rep_out])
        if rep.status != 0:
            raise H.TestFailure(f"replay after touching {what} (same content) and ldconfig: "
                                f"{rep.describe()}\n{H.tail_text(rep.stderr)}")
    with open(large, "r+b") as f:
        f.seek(6 << 20)
        f.write(b"changed!")
    rep_out = c.wd("replay_changed.out")
    rep = c.replay(trace, extra=["--program-output", rep_out])
    H.check_pytt_error(rep, "replay after changing a mapped 12 MiB file", r"changed since",
                       must_contain=large, label="must name the changed file")
    if os.path.exists(rep_out) and H.read(rep_out):
        raise H.TestFailure("the program ran before the changed file was refused:\n"
                            + H.tail_text(H.read(rep_out)))


@test
def hostile_fifo(c):
    """An extension module the recording mapped is replaced by a FIFO: replay refuses it by name
    at once, without opening it (a writer waiting on the FIFO never sees a reader)."""
    import threading
    trace, copy, _ = record_with_ext_copy(c)
    os.unlink(copy)
    os.mkfifo(copy)
    opened = []

    def writer():
        try:
            fd = os.open(copy, os.O_WRONLY)  # blocks until someone opens it for reading
            opened.append(True)
            os.close(fd)
        except OSError:
            pass

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    rep = c.replay(copy.rsplit("/", 2)[0] + "/trace", timeout=20)
    H.check_pytt_error(rep, "replay of a trace whose mapped file is now a FIFO", r"FIFO",
                       must_contain=copy, label="must say the file is a FIFO")
    time.sleep(0.2)
    if opened:
        raise H.TestFailure("pytt (or the replayed process) opened the FIFO")
    fd = os.open(copy, os.O_RDONLY | os.O_NONBLOCK)  # release the writer thread
    os.close(fd)


SPIN_PROGRAM = """
import re
d = open({path!r}, "rb").read()
if d == b"QZx":
    {spin}
print("done", d)
"""


@test
def hostile_spin(c):
    """Traces crafted (one byte of a read) to make the replayed program spin where the recorded
    one did not: in Python (caught once it runs past the counted dispatch of its next recorded
    syscall) and in native code (a regex backtracking in C: caught by the CPU-time limit,
    PYTT_REPLAY_CPU_LIMIT=2 here). Both end with a divergence naming the event, quickly, and
    leave no process behind."""
    inp = c.wd("input")
    for name, spin, want, limit in (
            ("python", "while True: pass", r"ran past counted bytecode dispatch", 40),
            ("native", 're.match(r"(a+)+$", "a" * 40 + "b")', r"CPU time", 40)):
        with open(inp, "wb") as f:
            f.write(b"QZy")
        code = SPIN_PROGRAM.format(path=inp, spin=spin)
        trace, rec = c.record([c.python, "-c", code], "_" + name, capture=True)
        if rec.status != 0 or b"done" not in rec.stdout:
            raise H.TestFailure(f"record ({name}): {rec.describe()}")
        crafted = c.wd("crafted_" + name)
        r = H.run([c.trace_edit, trace, crafted, b"QZy".hex(), b"QZx".hex()],
                  env=H.clean_env(), capture=True)
        if r.status != 0 or r.stdout.strip() != b"1":
            raise H.TestFailure("trace_edit did not make exactly one edit: " + r.describe())
        c.traces.append(crafted)
        rep = c.replay(crafted, env=H.clean_env(PYTT_REPLAY_CPU_LIMIT="2"), timeout=limit)
        H.check_pytt_error(rep, f"replay of a trace crafted to spin in {name} code",
                           r"diverged.*" + want, label=f"must say /{want}/")
        if leftover_processes(code):
            raise H.TestFailure(f"the spinning program outlived pytt ({name})")


# --- what a trace holds and who may read it -------------------------------------------------

def header_bytes(trace):
    """The decompressed header record (zstd CLI), for looking for strings in it."""
    import subprocess
    with open(os.path.join(trace, "header"), "rb") as f:
        data = f.read()
    return subprocess.run(["zstd", "-dc"], input=data[12 + 20:], capture_output=True).stdout


@test
def redact_env(c):
    """--redact-env SECRET_*: the variable's value is in neither trace file, the recorded
    program saw it, and the replayed one sees X's of the same length."""
    if not shutil.which("zstd"):
        raise H.Skip("the zstd command is needed to look inside the header")
    secret = "s3cr3t-" + secrets.token_hex(6)
    env = H.clean_env(SECRET_TOKEN=secret, PLAIN_VAR="plain")
    trace, out = c.wd("trace"), c.wd("record.out")
    c.traces.append(trace)
    code = "import os; print(os.environ['SECRET_TOKEN'], os.environ['PLAIN_VAR'])"
    rec = H.run([c.pytt, "record", "-o", trace, "--redact-env", "OTHER,SECRET_*", "--",
                 c.python, "-c", code], env=env, cwd=c.wd.path, out_path=out)
    if rec.status != 0 or H.read(out) != f"{secret} plain\n".encode():
        raise H.TestFailure(f"record: {rec.describe()}\n{H.tail_text(H.read(out))}")
    hdr = header_bytes(trace)
    if b"PLAIN_VAR=plain" not in hdr:
        raise H.TestFailure("cannot find the environment in the decompressed header")
    for name in os.listdir(trace):
        path = os.path.join(trace, name)
        if os.path.isfile(path) and secret.encode() in H.read(path) or secret.encode() in hdr:
            raise H.TestFailure(f"the redacted value is in {path}")
    rep = c.replay(trace)
    if rep.status != 0 or rep.stdout != ("X" * len(secret) + " plain\n").encode():
        raise H.TestFailure(f"replay: {rep.describe()} {rep.stdout!r}")


@test
def trace_permissions(c):
    """-o into an existing empty directory of mode 0777: the trace directory becomes 0700 and
    every file in it 0600, whatever the umask."""
    trace = c.wd("open_dir")
    os.makedirs(trace)
    os.chmod(trace, 0o777)
    c.traces.append(trace)
    rec = H.run(["sh", "-c", 'umask 000; exec "$@"', "sh", c.pytt, "record", "-o", trace,
                 "--", c.python, "-c", "import json; print(1)"], env=H.clean_env(),
                cwd=c.wd.path, capture=True)
    if rec.status != 0:
        raise H.TestFailure("record: " + rec.describe())
    bad = [f"{trace} {oct(os.stat(trace).st_mode & 0o777)}"] if \
        os.stat(trace).st_mode & 0o777 != 0o700 else []
    for root, dirs, files in os.walk(trace):
        for n in files:
            mode = os.stat(os.path.join(root, n)).st_mode & 0o777
            if mode != 0o600:
                bad.append(f"{n} {oct(mode)}")
    if bad:
        raise H.TestFailure("wrong modes: " + ", ".join(bad))
    bad_cpu = H.run([c.pytt, "record", "-o", c.wd("cpu_trace"), "--", c.python, "-c", "pass"],
                    env=H.clean_env(PYTT_CPU="abc"), cwd=c.wd.path, capture=True)
    H.check_pytt_error(bad_cpu, "record with PYTT_CPU=abc", r"PYTT_CPU=abc",
                       label="must refuse PYTT_CPU=abc by name")


@test
def seccomp_replay(c):
    """The replayed process runs under pytt's seccomp filter (no_new_privs, one filter)."""
    import subprocess
    trace, _, _ = c.record_replay([c.python, "-c", "x = 0\nfor i in range(12000000): x += i\n"
                                   "print(x)"], expected_status=0)
    p = subprocess.Popen([c.pytt, "replay", trace, "-a"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=H.clean_env(), start_new_session=True)
    status = None
    try:
        deadline = time.monotonic() + 20
        while status is None and time.monotonic() < deadline:
            kids = [int(k) for k in open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()]
            for k in kids:
                with open(f"/proc/{k}/status") as f:
                    st = dict(l.split(":\t", 1) for l in f.read().splitlines() if ":\t" in l)
                if st.get("Seccomp", "").strip() == "2":
                    status = st
            time.sleep(0.05)
    finally:
        H.kill_group(p.pid)
        p.wait()
    if not status or status.get("NoNewPrivs", "").strip() != "1" or \
            status.get("Seccomp_filters", "").strip() != "1":
        raise H.TestFailure(f"the replayed process is not under one seccomp filter: {status}")


# --- the sources that ran, ls/rm, pack ------------------------------------------------------

@test
def edited_source(c):
    """The script is edited after the recording (a line inserted above the function): `list`
    and `bt` show the recorded lines, and `list` says the file on disk differs."""
    script = c.wd("edited_app.py")
    shutil.copyfile(sp("edited_app.py"), script)
    trace, _, _ = c.record_replay([c.python, script], expected_status=0,
                                  expect=["END edited_app"])
    with open(script) as f:
        text = f.read()
    with open(script, "w") as f:
        f.write("# a line added after the recording\n" + text.replace("y = x * 2", "y = x + x"))
    cmds = ["break double", "continue", "next", "list", "bt"]
    sh = H.run([c.pytt, "replay", trace, "--batch"] + sum((["-ex", x] for x in cmds), []),
               env=H.clean_env(), cwd=c.wd.path, capture=True)
    out = sh.stdout.decode("utf-8", "replace")
    for want in ("  3  \t    y = x * 2\n  4  ->\t    return y",
                 "[the file on disk differs from the one that ran",
                 "edited_app.py:4 in double\n    return y"):
        if want not in out:
            raise H.TestFailure(f"the shell after editing the script lacks {want!r}:\n{out}")
    if "x + x" in out or "added after" in out:
        raise H.TestFailure("the shell shows the edited file:\n" + out)


@test
def symlinked_script(c):
    """A script run through a symlink, importing a module through a symlinked directory:
    Python names the code by the links, the recorder reads the files they resolve to. `list`
    shows both sources while the links resolve and after the real files are gone."""
    real = c.wd("real")
    os.makedirs(os.path.join(real, "pkgdir"), exist_ok=True)
    with open(os.path.join(real, "app.py"), "w") as f:
        f.write("import helper_mod\nx = helper_mod.twice(21)\nprint('x', x)\n")
    with open(os.path.join(real, "pkgdir", "helper_mod.py"), "w") as f:
        f.write("def twice(v):\n    w = v * 2\n    return w\n")
    link = c.wd("link_app.py")
    os.symlink(os.path.join(real, "app.py"), link)
    os.symlink(os.path.join(real, "pkgdir"), c.wd("linkdir"))
    env = H.clean_env(PYTHONPATH=c.wd("linkdir"), PYTHONDONTWRITEBYTECODE="1")
    trace = c.wd("trace")
    r = H.run([c.pytt, "record", "-o", trace, "--", c.python, link], env=env, capture=True,
              cwd=c.wd.path)
    if r.status != 0 or b"x 42" not in r.stdout:
        raise H.TestFailure(f"record through a symlink: {r.describe()}")
    cmds = ["break twice", "continue", "list", "up", "list"]
    for when in ("with the links", "with the files gone"):
        sh = H.run([c.pytt, "replay", trace, "--batch"] + sum((["-ex", x] for x in cmds), []),
                   env=H.clean_env(), cwd=c.wd.path, capture=True)
        out = sh.stdout.decode("utf-8", "replace")
        for want in ("linkdir/helper_mod.py", "  2  ->\t    w = v * 2", "link_app.py",
                     "  2  ->\tx = helper_mod.twice(21)"):
            if want not in out:
                raise H.TestFailure(f"{when}: the shell lacks {want!r}:\n{out}")
        shutil.rmtree(real, ignore_errors=True)


@test
def ls_rm(c):
    """pytt ls lists the recordings under PYTT_TRACE_DIR (name, status, Python, program); a
    recording whose recorder was killed shows as cut short; pytt rm deletes one (and refuses a
    directory that is not a trace)."""
    import signal
    import subprocess
    root = c.wd("root")
    env = H.clean_env(PYTT_TRACE_DIR=root)
    for code, status in (("print(1)", 0), ("import sys; sys.exit(3)", 3)):
        r = H.run([c.pytt, "record", "--", c.python, "-c", code], env=env, capture=True)
        if r.status != status:
            raise H.TestFailure(f"record -c {code}: {r.describe()}")
    out = c.wd("slow.out")
    with open(out, "wb") as o:
        p = subprocess.Popen([c.pytt, "record", "--", c.python, sp("slow_lines.py")], stdout=o,
                             stderr=subprocess.STDOUT, env=env, start_new_session=True)
        wait_for_text(out, b"line 30 ", H.PYTT_TIMEOUT)
        p.send_signal(signal.SIGKILL)
        p.wait()
    ls = H.run([c.pytt, "ls"], env=env, capture=True)
    text = ls.stdout.decode()
    lines = text.splitlines()
    want = [("python3.11-0", "exit 0", "-c print(1)"), ("python3.11-1", "exit 3", "sys.exit(3)"),
            ("slow_lines.py-0", "cut short", "slow_lines.py")]
    for name, status, prog_text in want:
        if not any(name in l and status in l and "3.11" in l and prog_text in l for l in lines):
            raise H.TestFailure(f"pytt ls lacks {name} / {status} / {prog_text}:\n{text}")
    rm = H.run([c.pytt, "rm", "python3.11-0", "slow_lines.py-0"], env=env, capture=True)
    left = sorted(os.listdir(root))
    if rm.status != 0 or left != ["latest-trace", "python3.11-1"] and left != ["python3.11-1"]:
        raise H.TestFailure(f"pytt rm: {rm.describe()}; left {left}")
    os.makedirs(os.path.join(root, "not_a_trace"))
    bad = H.run([c.pytt, "rm", "not_a_trace"], env=env, capture=True)
    H.check_pytt_error(bad, "pytt rm of a directory that is not a trace", r"not a pytt trace")
    if not os.path.isdir(os.path.join(root, "not_a_trace")):
        raise H.TestFailure("pytt rm deleted a directory that is not a trace")


@test
def pack_hidden(c):
    """record, pack, then in a mount namespace where the script's folder, /usr/lib/debug and
    /usr/lib/python3.11 are hidden under tmpfs: replay -a and a debugging session (bt, list,
    locals, print) give the same output as before, with the recorded source. Control: the
    unpacked trace cannot be debugged there. Needs root (unshare -m)."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        raise H.Skip("unshare -m needs root")
    if not os.path.isdir("/usr/lib/debug") or not os.path.isdir("/usr/lib/python3.11"):
        raise H.Skip("needs /usr/lib/debug and /usr/lib/python3.11")
    folder = c.wd("app")
    os.makedirs(folder)
    script = os.path.join(folder, "edited_app.py")
    shutil.copyfile(sp("edited_app.py"), script)
    trace, recorded, _ = c.record_replay([c.python, script], expected_status=0,
                                         expect=["END edited_app"])
    plain = c.wd("unpacked")
    shutil.copytree(trace, plain)
    pk = H.run([c.pytt, "pack", trace], env=H.clean_env(), capture=True)
    if pk.status != 0 or b"packed" not in pk.stdout:
        raise H.TestFailure(f"pytt pack: {pk.describe()}\n{H.tail_text(pk.stderr)}")
    cmds = ["break double", "continue", "bt", "list", "locals", "print x", "next", "locals"]
    ex = " ".join(f"-ex '{x}'" for x in cmds)

    def session(t, hidden):
        mounts = "".join(f"mount -t tmpfs none {d} && " for d in
                         (folder, "/usr/lib/debug", "/usr/lib/python3.11")) if hidden else ""
        script_sh = (f"{mounts}{c.pytt} replay {t} -a --program-output {t}.out; "
                     f"echo status $?; {c.pytt} replay {t} --batch {ex}")
        return H.run(["unshare", "-m", "sh", "-c", script_sh], env=H.clean_env(),
                     cwd="/", capture=True)

    before = session(trace, False)
    after = session(trace, True)
    b_out, a_out = before.stdout.decode(), after.stdout.decode()
    note = "[the file is not on disk any more: showing the source recorded with the trace]\n"
    if before.status != 0 or "-> y = x * 2" not in b_out or "x = 21" not in b_out:
        raise H.TestFailure(f"the session before hiding: {before.describe()}\n{b_out}")
    if after.status != 0 or a_out.replace(note, "") != b_out or note not in a_out:
        raise H.TestFailure(f"the packed trace with the files hidden: {after.describe()}\n"
                            f"before:\n{b_out}\nafter:\n{a_out}\n{H.tail_text(after.stderr)}")
    if H.read(trace + ".out") != recorded:
        raise H.TestFailure("replay -a of the packed trace with the files hidden differs")
    control = session(plain, True)
    if control.status == 0 and "x = 21" in control.stdout.decode():
        raise H.TestFailure("the unpacked trace debugs with the files hidden: the test hides "
                            "nothing\n" + control.stdout.decode())



# --- the syscall buffer (issue 15) ---------------------------------------------------------

def buffered_calls(c, trace):
    ev = H.run([c.pytt, "events", trace], env=H.clean_env(), capture=True)
    if ev.status != 0:
        raise H.TestFailure("pytt events failed:\n" + ev.describe())
    return sum(1 for line in ev.stdout.decode().splitlines() if line.startswith("    "))


@test
def sysbuf_both_ways(c):
    """The same threaded I/O program recorded with and without the syscall buffer replays
    identically both ways; with it, most of its calls went through the buffer, without it none
    did."""
    cmd = [c.python, prog("sysbuf_io.py")]
    trace, _, _ = c.record_replay(cmd, tag="-buf", expected_status=0,
                                  record_env=H.clean_env(PYTT_NO_SYSCALLBUF=None))
    n = buffered_calls(c, trace)
    if n < 2000:
        raise H.TestFailure(f"only {n} calls went through the syscall buffer (expected > 2000)")
    trace2, _, _ = c.record_replay(cmd, tag="-nobuf", expected_status=0,
                                   record_env=H.clean_env(PYTT_NO_SYSCALLBUF="1"))
    n2 = buffered_calls(c, trace2)
    if n2 != 0:
        raise H.TestFailure(f"PYTT_NO_SYSCALLBUF=1: {n2} calls still went through the buffer")


def buffered_names(c, trace):
    """How many calls of each syscall went through the buffer (`pytt events`)."""
    ev = H.run([c.pytt, "events", trace], env=H.clean_env(), capture=True)
    if ev.status != 0:
        raise H.TestFailure("pytt events failed:\n" + ev.describe())
    names = {}
    for line in ev.stdout.decode().splitlines():
        if line.startswith("    "):
            name = line.split("(")[0].strip()
            names[name] = names.get(name, 0) + 1
    return names


@test
def sysbuf_fs_both_ways(c):
    """Opens, directory listings, dup2/dup3, ftruncate, terminal queries and readlink go
    through the syscall buffer (each seen in the recording's buffered calls) and replay byte for byte;
    recorded without the buffer, the same program replays the same."""
    cmd = [c.python, prog("sysbuf_fs.py")]
    trace, _, _ = c.record_replay(cmd, tag="-buf", expected_status=0,
                                  record_env=H.clean_env(PYTT_NO_SYSCALLBUF=None))
    names = buffered_names(c, trace)
    want = {"openat": 100, "getdents64": 20, "close": 100, "dup2": 1, "dup3": 1,
            "ftruncate": 2, "ioctl": 4, "readlinkat": 23}
    short = {k: names.get(k, 0) for k, n in want.items() if names.get(k, 0) < n}
    if short:
        raise H.TestFailure(f"too few buffered calls: {short} (expected at least "
                            f"{ {k: want[k] for k in short} }); all: {names}")
    trace2, _, _ = c.record_replay(cmd, tag="-nobuf", expected_status=0,
                                   record_env=H.clean_env(PYTT_NO_SYSCALLBUF="1"))
    if buffered_names(c, trace2):
        raise H.TestFailure("PYTT_NO_SYSCALLBUF=1: calls still went through the buffer")


def stopped_enoent_opens(c, trace):
    """How many openat calls that failed with ENOENT or ENOTDIR stopped the program."""
    ev = H.run([c.pytt, "events", trace], env=H.clean_env(), capture=True)
    if ev.status != 0:
        raise H.TestFailure("pytt events failed:\n" + ev.describe())
    return sum(1 for line in ev.stdout.decode().splitlines()
               if re.match(r"\d+ syscall openat\(.*\) = -(2|20) ", line))


@test
def sysbuf_fopen(c):
    """A read-only fopen (glibc opens with its own call, which no wrapper sees) opens through
    the syscall buffer: 40 fopens of names that do not exist stop nothing, the existing file's
    four read-only modes and a "w" fopen replay byte for byte; recorded without the buffer the
    same program replays the same, and its 40 failed opens stop."""
    cmd = [c.python, sp("fopen_probe.py"), c.wd.path]
    trace, _, _ = c.record_replay(cmd, tag="-buf", expected_status=0,
                                  record_env=H.clean_env(PYTT_NO_SYSCALLBUF=None))
    trace2, _, _ = c.record_replay(cmd, tag="-nobuf", expected_status=0,
                                   record_env=H.clean_env(PYTT_NO_SYSCALLBUF="1"))
    with_buf, without = stopped_enoent_opens(c, trace), stopped_enoent_opens(c, trace2)
    if without < 40:
        raise H.TestFailure(f"without the buffer only {without} failed opens stopped: the "
                            "program's 40 probes did not run")
    if with_buf >= 10:
        raise H.TestFailure(f"with the buffer {with_buf} failed opens still stopped (the 40 "
                            "fopen probes should go through the buffer)")


def stopped_calls(c, trace, name):
    """The calls of syscall `name` that stopped the program (their own SYSCALL events)."""
    ev = H.run([c.pytt, "events", trace], env=H.clean_env(), capture=True)
    if ev.status != 0:
        raise H.TestFailure("pytt events failed:\n" + ev.describe())
    return [line for line in ev.stdout.decode().splitlines()
            if re.match(rf"\d+ syscall {name}\(", line)]


@test
def sysbuf_anon_memory(c):
    """Anonymous private memory CPython maps and unmaps (data-stack chunks of a recursion that
    goes back and forth, in two threads at once; mmap.mmap private maps) goes through the
    syscall buffer, and replay maps and unmaps it again where it was: the program's output
    replays byte for byte both ways. The munmap of the shared anonymous map stops (pytt must
    see memory shared with a fork go); the others need not."""
    cmd = [c.python, sp("anon_memory.py")]
    trace, _, _ = c.record_replay(cmd, tag="-buf", expected_status=0,
                                  record_env=H.clean_env(PYTT_NO_SYSCALLBUF=None))
    names = buffered_names(c, trace)
    if names.get("mmap", 0) < 1500 or names.get("munmap", 0) < 1500:
        raise H.TestFailure(f"too few anonymous maps through the buffer: {names}")
    stopped = stopped_calls(c, trace, "munmap")
    if not any(", 0x1000) = 0 " in line for line in stopped):
        raise H.TestFailure("the shared map's munmap did not stop; stopped munmaps:\n" +
                            "\n".join(stopped))
    c.record_replay(cmd, tag="-nobuf", expected_status=0,
                    record_env=H.clean_env(PYTT_NO_SYSCALLBUF="1"))


def fnv1a(text):
    h = 1469598103934665603
    for b in text.encode():
        h = ((h ^ b) * 1099511628211) & (2**64 - 1)
    return h


def edited_path_diverges(c, call, syscall):
    """Records `call` (os.stat, os.open, ...) of a missing path through the buffer, edits the
    path's hash in the trace, and checks replay reports a divergence naming `syscall`."""
    probe = f"/nonexistent/pytt-sysbuf-{syscall}-probe"
    code = f"import os\ntry:\n    {call.format(repr(probe))}\nexcept OSError as e:\n    print(e.errno)\n"
    trace, _, _ = c.record_replay([c.python, "-c", code], expected_status=0,
                                  record_env=H.clean_env(PYTT_NO_SYSCALLBUF=None))
    h = fnv1a(probe)
    crafted = c.crafted(trace, h.to_bytes(8, "little"), (h ^ 1).to_bytes(8, "little"))
    rep = c.replay(crafted)
    err = rep.stderr.decode(errors="replace")
    if rep.status == 0 or "through the syscall buffer" not in err or syscall not in err:
        raise H.TestFailure(f"an edited buffered {syscall} was not reported as a divergence:\n"
                            + rep.describe())


@test
def sysbuf_divergence(c):
    """A buffered call that differs from its record (a stat of another path) is a divergence
    naming the call, not a wrong value."""
    edited_path_diverges(c, "os.stat({})", "newfstatat")


@test
def sysbuf_open_divergence(c):
    """A buffered open of another path than the recorded one is a divergence naming openat."""
    edited_path_diverges(c, "os.open({}, os.O_RDONLY)", "openat")


@test
def sysbuf_repeated_reads(c):
    """Data read again and again through the syscall buffer (three threads, pages the program
    rewrites and reads again, equal bytes at another offset, holes of a sparse file) replays
    byte for byte, and is logged once: the events file is a small fraction of the bytes read
    (the data is random, so only that can make it small). A reference whose call differs
    from the recorded one (a hole read at another offset, its bytes logged as a reference to
    the first hole's zeros) is still a divergence naming pread64. Recorded without the buffer,
    the program replays the same."""
    cmd = [c.python, prog("sysbuf_repeat.py")]
    trace, recorded, _ = c.record_replay(cmd, tag="-buf", expected_status=0,
                                         record_env=H.clean_env(PYTT_NO_SYSCALLBUF=None),
                                         expect=["END sysbuf_repeat"])
    m = re.search(rb"END sysbuf_repeat read (\d+)", recorded)
    size = os.path.getsize(os.path.join(trace, "events"))
    if not m or size * 8 > int(m.group(1)):
        raise H.TestFailure(f"the events file has {size} bytes for "
                            f"{m.group(1).decode() if m else '?'} bytes read: repeated reads "
                            "were not logged once")
    hole_b = 0xC3D2E1000
    crafted = c.crafted(trace, hole_b.to_bytes(8, "little"),
                        (hole_b + 0x1000).to_bytes(8, "little"))
    rep = c.replay(crafted)
    err = rep.stderr.decode(errors="replace")
    if rep.status == 0 or "through the syscall buffer" not in err or "pread64" not in err:
        raise H.TestFailure("a buffered pread64 logged as a reference, edited to another "
                            "offset, was not reported as a divergence:\n" + rep.describe())
    c.record_replay(cmd, tag="-nobuf", expected_status=0,
                    record_env=H.clean_env(PYTT_NO_SYSCALLBUF="1"),
                    expect=["END sysbuf_repeat"])


def event_lines(c, trace):
    ev = H.run([c.pytt, "events", trace], env=H.clean_env(), capture=True)
    if ev.status != 0:
        raise H.TestFailure("pytt events failed:\n" + ev.describe())
    return ev.stdout.decode().splitlines()


@test
def loader_unstopped(c):
    """With the buffer on, ld.so and glibc's start run without a stop: the trace has one LOADER
    event (its map names libc, by identity), no stopped mmap maps libc, and the program replays
    byte for byte. Without the buffer ld.so's mmaps of libc stop as before and there is no
    LOADER event."""
    cmd = [c.python, "-c", "import json, sys; print(json.dumps(sys.argv))", "a b", "c"]
    trace, _, _ = c.record_replay(cmd, tag="-buf", expected_status=0,
                                  record_env=H.clean_env(PYTT_NO_SYSCALLBUF=None))
    lines = event_lines(c, trace)
    loader = [i for i, line in enumerate(lines) if re.match(r"\d+ loader state: ", line)]
    if len(loader) != 1 or loader[0] > 1:
        raise H.TestFailure(f"expected one LOADER event at the start, got {len(loader)}:\n" +
                            "\n".join(lines[:5]))
    if not any(re.match(r"\s+0x\S+ r-x maps \S*/libc\.so\.6$", line) for line in lines):
        raise H.TestFailure("the LOADER event does not map libc's code by path:\n" +
                            "\n".join(lines[:50]))
    stopped = [line for line in lines if re.match(r"\d+ syscall mmap\(.* maps \S*libc\.so", line)]
    if stopped:
        raise H.TestFailure("ld.so's mmaps of libc still stopped:\n" + "\n".join(stopped))
    trace2, _, _ = c.record_replay(cmd, tag="-nobuf", expected_status=0,
                                   record_env=H.clean_env(PYTT_NO_SYSCALLBUF="1"))
    lines = event_lines(c, trace2)
    if any(" loader state: " in line for line in lines):
        raise H.TestFailure("a LOADER event without the buffer")
    if not any(re.match(r"\d+ syscall mmap\(.* maps \S*libc\.so", line) for line in lines):
        raise H.TestFailure("without the buffer ld.so's mmaps of libc did not stop")


@test
def loader_early_stop(c):
    """A call the loader's filter does not let through ends its phase where it is: with
    LD_DEBUG=libs and LD_DEBUG_OUTPUT, ld.so asks its pid and opens its debug file for writing
    before it has loaded anything, so the LOADER event comes there (its map has no libc) and
    the rest of the loading stops call by call as without the buffer (libc's mmaps are
    stopped events). The program's output
    replays byte for byte, and ld.so's debug file names the interpreter's libraries."""
    cmd = [c.python, "-c", "print('loaded')"]
    prefix = c.wd("lddebug")
    env = H.clean_env(PYTT_NO_SYSCALLBUF=None, LD_DEBUG="libs", LD_DEBUG_OUTPUT=prefix)
    trace, _, _ = c.record_replay(cmd, tag="", expected_status=0, record_env=env,
                                  expect=["loaded\n"])
    logs = [os.path.join(c.wd.path, n) for n in os.listdir(c.wd.path) if n.startswith("lddebug.")]
    if not any(b"find library=libexpat.so.1" in H.read(p) for p in logs):
        raise H.TestFailure(f"no ld.so debug file of the program among {logs}")
    lines = event_lines(c, trace)
    at = [i for i, line in enumerate(lines) if re.match(r"\d+ loader state: ", line)]
    if len(at) != 1:
        raise H.TestFailure(f"expected one LOADER event, got {len(at)}")
    state = []
    for line in lines[at[0] + 1:]:
        if not line.startswith(" "):
            break
        state.append(line)
    if not state or any("libc.so" in line for line in state):
        raise H.TestFailure("the LOADER event came after libc was mapped (or has no map):\n" +
                            "\n".join(state))
    if not any(re.match(r"\d+ syscall mmap\(.* maps \S*libc\.so", line) for line in lines):
        raise H.TestFailure("libc's mapping, after the LOADER, did not stop")


def ctor_wrapper(c, mode):
    """A shell script that runs the interpreter with tests/tools/loader_ctor.c's library (built
    beside trace_edit) preloaded in `mode`, in front of pytt's own: the library must not be in
    pytt's own environment (a sanitized pytt wants ASan's runtime first; pytt would run the
    constructor itself)."""
    lib = os.path.join(os.path.dirname(c.trace_edit or ""), "libpytt_test_ctor.so")
    if not c.trace_edit or not os.path.exists(lib):
        raise H.TestFailure(f"{lib} was not built")
    path = c.wd(f"python-with-ctor-{mode}")
    with open(path, "w") as f:
        f.write(f'#!/bin/sh\nLD_PRELOAD="{lib}${{LD_PRELOAD:+:$LD_PRELOAD}}" '
                f'PYTT_TEST_CTOR={mode} exec {c.python} "$@"\n')
    os.chmod(path, 0o755)
    return path


def tracee_of(pytt_pid):
    """The recorded process: the child of the recorder."""
    try:
        with open(f"/proc/{pytt_pid}/task/{pytt_pid}/children") as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        return None
    return kids[0] if kids else None


@test
def loader_signal(c):
    """A signal that arrives while the loader runs unstopped (a preloaded library's constructor
    spins ~0.5 s there without a syscall; the test sends SIGTERM to the recorded process
    meanwhile) waits for the first syscall exit after the LOADER: the recorded run ends killed
    by SIGTERM without printing, the trace has the LOADER and then the signal, and replay ends
    the same way."""
    trace, out = c.wd("trace"), c.wd("record.out")
    c.traces.append(trace)
    env = H.clean_env(PYTT_NO_SYSCALLBUF=None)
    with open(out, "wb") as o:
        p = subprocess.Popen([c.pytt, "record", "-o", trace, "--", ctor_wrapper(c, "spin"),
                              "-c", "print('not reached')"], env=env, cwd=c.wd.path, stdout=o,
                             stderr=subprocess.STDOUT)
        pid = None
        for _ in range(300):  # until the interpreter runs (the wrapper exec'd it)
            time.sleep(0.01)
            pid = tracee_of(p.pid)
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if pid and f.read().startswith("python"):
                        break
            except OSError:
                pass
        time.sleep(0.1)  # the constructor spinning (0.5 s)
        if pid:
            os.kill(pid, signal.SIGTERM)
        status = p.wait(timeout=60)
    recorded = H.read(out)
    if not pid or status != 128 + signal.SIGTERM or b"not reached" in recorded:
        raise H.TestFailure(f"record: status {status}, tracee {pid}\n" + H.tail_text(recorded))
    lines = event_lines(c, trace)
    kinds = [line for line in lines if re.match(r"\d+ (loader state|signal|end)", line)]
    if len(kinds) != 3 or "loader state" not in kinds[0] or "signal Terminated" not in kinds[1] \
            or "killed by signal 15" not in kinds[2]:
        raise H.TestFailure("expected the LOADER, SIGTERM, the end:\n" + "\n".join(kinds))
    rep = c.replay(trace)
    if rep.status != 128 + signal.SIGTERM or b"not reached" in rep.stdout:
        raise H.TestFailure(f"replay: {rep.describe()}")


@test
def loader_fault(c):
    """A fault while the loader runs unstopped (a preloaded library's constructor writes to
    address 16) is refused with advice: the recording stops saying to record with
    --no-syscallbuf; recorded that way, the program's SIGSEGV is recorded and replayed."""
    env = H.clean_env(PYTT_NO_SYSCALLBUF=None)
    wrapper = ctor_wrapper(c, "segv")
    trace, rec = c.record([wrapper, "-c", "print('not reached')"], "", env=env, capture=True)
    text = (rec.stdout + rec.stderr).decode(errors="replace")
    if rec.status == 0 or "--no-syscallbuf" not in text or "SIGSEGV" not in text.upper() and \
            "segmentation" not in text.lower():
        raise H.TestFailure(f"record: {rec.describe()}\n{text}")
    env2 = dict(env, PYTT_NO_SYSCALLBUF="1")
    trace2, rec2 = c.record([wrapper, "-c", "print('not reached')"], "-nobuf", env=env2,
                            capture=True)
    if rec2.status != 128 + signal.SIGSEGV:
        raise H.TestFailure(f"record --no-syscallbuf: {rec2.describe()}")
    rep = c.replay(trace2)
    if rep.status != 128 + signal.SIGSEGV:
        raise H.TestFailure(f"replay: {rep.describe()}")


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
