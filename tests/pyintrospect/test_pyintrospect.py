#!/usr/bin/python3
"""Harness of the pyintrospect tests.

Usage: test_pyintrospect.py --probe PYI_PROBE --pytt PYTT --unit PYI_UNIT BUILD CASE

BUILD names one of the CPython builds below: Debian's 3.11 (release, debug) and pyenv's 3.10,
3.11, 3.12 and 3.13 (a build that is absent is skipped with exit status 77 and a printed
reason). Oracles that depend on the version (dis, line tables, settrace events, the program's
own reprs) are computed by that build itself. CASE is one of:
  values   bt/locals/print/list/dis/frame selection/caps on tracees/values.py, compared with
           what the program reported about itself (traceback, f_locals reprs, eval results),
           with pdb's list format and with the build's dis on the same source (dis_oracle.py)
  lines    line tables and the 'line' event rule on tracees/lines.py, compared with
           co_lines(), dis.findlinestarts() and the events sys.settrace really produced;
           dis of every code object compared with dis.disassemble
  dump     `pytt dump PID` on a multi-threaded tracee: every thread's stack and locals, thread
           names, --native, --no-locals; the process must carry on afterwards
  gdb      gdb + CPython's libpython (py-bt, py-locals) on the same stop agrees with pytt
  session  one session over two stops of a program (pyi_invalidate) and over a fork of it
           (pyi_set_target)
  unicode  the printability table read from the interpreter: every code point against
           str.isprintable()
  floats   (build-independent) repr of ~130000 floats (powers of two and neighbours, random
           bit patterns, short decimals), 20000 complex numbers and 300 big ints against Python
  errors   missing debug info (PYTT_DEBUG_DIR), a non-Python pid, no such pid, an unsupported
           CPython, usage errors; on 3.13+ the _Py_DebugOffsets check (every entry compared
           with DWARF; one entry damaged in a live tracee's memory: `pytt dump` reports it and
           uses DWARF; an entry or the cookie damaged in a recorded process by a preloaded
           library, pyi_damage.c: the replay shell says so and uses DWARF); before 3.13,
           nothing is compared and nothing reported
Every comparison counts what it compared and fails on zero, so a test cannot pass vacuously.
The harness runs under Debian's python3 (3.11) and needs no package beyond the standard library.
"""
import dis
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TRACEES = os.path.join(HERE, "tracees")
PYENV = os.path.join(os.environ.get("PYENV_ROOT", "/root/.pyenv"), "versions")
BUILDS = {
    "debian": "/usr/bin/python3.11",
    "debian-dbg": "/usr/bin/python3.11d",
    "pyenv": os.path.join(PYENV, "3.11.7", "bin", "python3.11"),
    "pyenv310": os.path.join(PYENV, "3.10.13", "bin", "python3.10"),
    "pyenv312": os.path.join(PYENV, "3.12.1", "bin", "python3.12"),
    "pyenv313": os.path.join(PYENV, "3.13.0", "bin", "python3.13"),
}
UNSUPPORTED = [os.path.join(PYENV, "3.9.18", "bin", "python3.9"),
               os.path.join(PYENV, "3.8.18", "bin", "python3.8")]
SUPPORTED = "pytt's debugger reads CPython 3.10, 3.11, 3.12 and 3.13"
GDB_SCRIPTS = {
    "debian": "/usr/share/gdb/auto-load/usr/bin/python3.11-gdb.py",
    "debian-dbg": "/usr/share/gdb/auto-load/usr/bin/python3.11d-gdb.py",
    # pyenv installs each version's libpython beside its python
    "pyenv": os.path.join(PYENV, "3.11.7", "bin", "python3.11-gdb.py"),
    "pyenv310": os.path.join(PYENV, "3.10.13", "bin", "python3.10-gdb.py"),
    "pyenv312": os.path.join(PYENV, "3.12.1", "bin", "python3.12-gdb.py"),
    "pyenv313": os.path.join(PYENV, "3.13.0", "bin", "python3.13-gdb.py"),
}


def minor_version(python):
    """"3.12" for the interpreter (what its sys.version_info says)."""
    out = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout
    return out.strip()
SKIP = 77


class Check:
    """Accumulates comparisons; each failure is printed with both sides."""

    def __init__(self):
        self.failures = 0
        self.counts = {}

    def eq(self, what, got, want):
        self.counts[what] = self.counts.get(what, 0) + 1
        if got != want:
            self.failures += 1
            print("FAIL %s\n  pytt:     %r\n  expected: %r" % (what, _clip(got), _clip(want)))

    def true(self, what, cond, detail=""):
        self.counts[what] = self.counts.get(what, 0) + 1
        if not cond:
            self.failures += 1
            print("FAIL %s %s" % (what, detail))

    def need(self, what, minimum=1):
        if self.counts.get(what, 0) < minimum:
            self.failures += 1
            print("FAIL %s: only %d comparisons (need %d)" % (what, self.counts.get(what, 0),
                                                            minimum))

    def finish(self, name):
        total = sum(self.counts.values())
        print("%s: %d comparisons of %d kinds, %d failed" % (name, total, len(self.counts),
                                                             self.failures))
        return 1 if self.failures else 0


def _clip(v):
    s = v if isinstance(v, str) else repr(v)
    return s if len(s) < 600 else s[:300] + " ... " + s[-200:]


class Tracee:
    """A python tracee that reports itself to a JSON file and blocks on stdin."""

    def __init__(self, python, script, tmp, env=None):
        self.report_path = os.path.join(tmp, os.path.basename(script) + ".json")
        if os.path.exists(self.report_path):
            os.unlink(self.report_path)  # an earlier tracee's: waiting on it would not wait
        e = dict(os.environ, PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
        e.pop("PYTHONPATH", None)
        e.update(env or {})
        self.proc = subprocess.Popen([python, script, self.report_path], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e,
                                     cwd=TRACEES)
        self.report = self.wait_report(self.report_path)

    def wait_report(self, path):
        deadline = time.time() + 30
        while not os.path.exists(path):
            if self.proc.poll() is not None or time.time() > deadline:
                self.proc.kill()
                out, err = self.proc.communicate(timeout=5)
                raise RuntimeError("tracee did not pause: %s" % err.decode())
            time.sleep(0.02)
        with open(path) as f:
            report = json.load(f)
        wait_blocked(report.get("pid", self.proc.pid))
        return report

    def release(self):
        """Let the tracee past one pause (it reads one byte)."""
        self.proc.stdin.write(b"x")
        self.proc.stdin.flush()

    @property
    def pid(self):
        return self.proc.pid

    def finish(self):
        """Let the tracee go; returns its exit status (it must still be alive and healthy)."""
        alive = self.proc.poll() is None
        try:
            self.proc.stdin.close()
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "hung"
        return rc if alive else "died early (%s)" % rc


def wait_blocked(pid, timeout=20):
    """Wait until every thread of pid sits in read(2) (syscall 0), where the tracees block."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        states = []
        try:
            for tid in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/syscall" % (pid, tid)) as f:
                    states.append(f.read().split(" ")[0])
        except OSError:
            states = ["?"]
        if states and all(s == "0" for s in states):
            return
        time.sleep(0.01)
    raise RuntimeError("pid %d never blocked in read(2)" % pid)


def run(cmd, env=None, timeout=120):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e,
                       timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "surrogateescape"), \
        p.stderr.decode("utf-8", "surrogateescape")


def probe(args, pid, commands):
    """Run pyi_probe; returns {command: output} (commands must be distinct)."""
    rc, out, err = run([args.probe, str(pid)] + commands)
    if rc != 0:
        raise RuntimeError("pyi_probe failed (%d): %s" % (rc, err))
    sections, order = {}, []
    cur = None
    for line in out.split("\n"):
        if line.startswith("=== ") and line[4:] in commands and line[4:] not in sections:
            cur = line[4:]
            sections[cur] = []
            order.append(cur)
        elif cur is not None:
            sections[cur].append(line)
    return {k: "\n".join(v).rstrip("\n") for k, v in sections.items()}


FRAME_RE = re.compile(r"^#(\d+) (.*):(-?\d+) in (.*)$")


def parse_bt(text):
    """bt [-full] output -> list of frames {file, line, name, source, locals: [[n, repr]]}."""
    frames = []
    for line in text.split("\n"):
        m = FRAME_RE.match(line)
        if m:
            frames.append({"index": int(m.group(1)), "file": m.group(2),
                           "line": int(m.group(3)), "name": m.group(4), "source": None,
                           "locals": []})
        elif line.startswith("        ") and frames:
            name, _, value = line[8:].partition(" = ")
            frames[-1]["locals"].append([name, value])
        elif line.startswith("    ") and frames:
            frames[-1]["source"] = line[4:]
    return frames


def parse_locals(text):
    out = []
    for line in text.split("\n"):
        if line:
            name, _, value = line.partition(" = ")
            out.append([name, value])
    return out


def reported_stack(report):
    """The stack the main thread reported (the tracee's pause caller and up)."""
    for t in report["threads"].values():
        if t["name"] == "MainThread":
            return t["stack"]
    raise RuntimeError("no MainThread in report")


def compare_stack(chk, frames, stack, with_locals=True, label="bt", key="locals"):
    """pytt frames[1:] (frame 0 is pause itself) against the reported stack; key: "locals" as
    pyintrospect renders them by default, "dump_locals" as `pytt dump` does."""
    chk.eq(label + " depth", len(frames) - 1, len(stack))
    for got, want in zip(frames[1:], stack):
        where = "%s frame #%d %s" % (label, got["index"], want["name"])
        chk.eq(where + " file:line:name", (got["file"], got["line"], got["name"]),
               (want["file"], want["line"], want["name"]))
        chk.eq(where + " source", got["source"], want["source"] or None)
        if with_locals:
            chk.eq(where + " locals", got["locals"], want[key])


# ---- values ----------------------------------------------------------------------------------

def pdb_list(path, first, last, current):
    """pdb's do_list/_print_lines for the given range."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = []
    for lineno in range(first, last + 1):
        if lineno > len(lines) or (lineno == len(lines) and lines[-1] == ""):
            break
        s = str(lineno).rjust(3)
        if len(s) < 4:
            s += " "
        s += " "
        if lineno == current:
            s += "->"
        out.append(s + "\t" + lines[lineno - 1].rstrip())
    return "\n".join(out)


ADDR_RE = re.compile(r"0x[0-9a-f]+")
DIS_ORACLE = os.path.join(HERE, "dis_oracle.py")


def dis_text(python, path, name, firstlineno, lasti=-1):
    """The build's own dis of that code object, in pytt's layout (dis_oracle.py); lasti moved
    to the instruction that owns it (see pyintrospect.h)."""
    out = subprocess.run([python, DIS_ORACLE, path, name, str(firstlineno), str(lasti),
                          "--selfcheck"], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONHASHSEED="0")).stdout
    return ADDR_RE.sub("0xADDR", out.rstrip("\n"))


# Values the built-in evaluator must not produce itself (Python would run code or make an object).
NEEDS_CODE = {
    "obj['p'].norm": "needs the interpreter: a method or other descriptor (a bound object is made)",
}


def case_values(args, python, tmp):
    chk = Check()
    t = Tracee(python, os.path.join(TRACEES, "values.py"), tmp)
    try:
        stack = reported_stack(t.report)
        n = len(stack) + 1
        exprs = [e for e, _, _ in t.report["exprs"]]
        cmds = [("bt -full", "bt -full"), ("bt", "bt")]
        for i in range(n):
            cmds += [("frame %d" % i, "frame %d" % i), ("locals#%d" % i, "locals")]
        cmds += [("frame 1#b", "frame 1"), ("list", "list"), ("list 3,5", "list 3,5"),
                 ("list 20", "list 20"), ("dis", "dis")]
        cmds += [("print " + e, "print " + e) for e in exprs]
        for c in ["up 2", "down 1", "up 100", "up 1#top", "down 100", "down 1#bottom",
                  "frame 99", "frame 2#c", "limits 3 4 2", "print cont['big_list']",
                  "print txt['longish']", "print cont['nested']", "print cont['big_dict']",
                  "print scal['huge']", "print cont['e_list']", "print txt['raw_bytes']",
                  "print cont['small_set']", "limits 0 0 0", "print cont['deep']", "globals",
                  "repr 0x10", "repr 0x%x" % t.pid, "repr 0xffffffffffff0000"]:
            cmds.append((c, c.split("#")[0]))
        out = probe_numbered(args, t.pid, [l for l, _ in cmds], [c for _, c in cmds])
        frames = parse_bt(out["bt -full"])
        chk.eq("frame 0", (frames[0]["file"], frames[0]["line"], frames[0]["name"]),
               (os.path.join(TRACEES, "pyi_tracee.py"), t.report["pause_line"], "pause"))
        compare_stack(chk, frames, stack)
        compare_stack(chk, parse_bt(out["bt"]), stack, with_locals=False, label="plain bt")
        for i in range(1, n):
            chk.eq("frame %d header" % i, out["frame %d" % i].split("\n")[0],
                   "#%d %s:%d in %s" % (i, stack[i - 1]["file"], stack[i - 1]["line"],
                                        stack[i - 1]["name"]))
            chk.eq("locals of frame %d" % i, parse_locals(out["locals#%d" % i]),
                   stack[i - 1]["locals"])
        for e, kind, want in t.report["exprs"]:
            got = out["print " + e]
            if kind == "err":  # errors are the interpreter's to raise, with its own message
                chk.true("print %s" % e,
                         got.startswith("needs the interpreter: "), got)
            elif e in NEEDS_CODE:
                chk.eq("print %s needs code" % e, got, NEEDS_CODE[e])
            else:
                chk.eq("print %s" % e, got, want)
        # list (pdb format) in frame 1
        f1 = stack[0]
        first = max(1, f1["line"] - 5)
        chk.eq("list", out["list"], pdb_list(f1["file"], first, first + 10, f1["line"]))
        chk.eq("list 3,5", out["list 3,5"], pdb_list(f1["file"], 3, 5, f1["line"]))
        chk.eq("list 20", out["list 20"], pdb_list(f1["file"], 15, 25, f1["line"]))
        chk.eq("dis of frame 1", ADDR_RE.sub("0xADDR", out["dis"]),
               dis_text(python, f1["file"], f1["name"], f1["firstlineno"], f1["lasti"]))
        # frame selection: up 2 -> 3, down 1 -> 2, up 100 -> last, up 1 -> error, ...
        last = n - 1
        chk.eq("up 2", out["up 2"].split(" ")[0], "#3")
        chk.eq("down 1", out["down 1"].split(" ")[0], "#2")
        chk.eq("up 100", out["up 100"].split(" ")[0], "#%d" % last)
        chk.true("up past the top fails", out["up 1#top"].startswith("ERROR: Initial frame"))
        chk.eq("down 100", out["down 100"].split(" ")[0], "#0")
        chk.true("down past the bottom fails", out["down 1#bottom"].startswith("ERROR: Bottom"))
        chk.true("frame 99 fails", out["frame 99"].startswith("ERROR: no frame 99"))
        # caps: 3 items, 4 characters, depth 2; then no caps at all
        chk.eq("cap items", out["print cont['big_list']"], "[0, 1, 2, ...(truncated)]")
        chk.eq("cap str", out["print txt['longish']"], "'xxxx'...(truncated)")
        chk.eq("cap depth", out["print cont['nested']"], "[1, [2, ...]]")
        chk.eq("cap dict", out["print cont['big_dict']"],
               "{0: '0', 1: '1', 2: '2', ...(truncated)}")
        chk.true("cap int digits", out["print scal['huge']"].endswith("...(truncated)") and
                 len(out["print scal['huge']"]) == 4 + len("...(truncated)"))
        chk.eq("cap empty", out["print cont['e_list']"], "[]")
        chk.eq("cap bytes", out["print txt['raw_bytes']"],
               "[b'', b'abc', b\"it's\", ...(truncated)]")
        chk.eq("cap set", out["print cont['small_set']"], "{1, 2, 3}")
        deep = dict(stack[1]["locals"])["cont"]
        chk.true("no caps: deep nesting in full", "[" * 100 + "]" * 100 in out["print cont['deep']"]
                 and out["print cont['deep']"] in deep)
        chk.eq("unreadable address", out["repr 0x10"], "<unreadable object at 0x10>")
        chk.true("garbage address", out["repr 0x%x" % t.pid].startswith("<unreadable "))
        chk.eq("non-canonical address", out["repr 0xffffffffffff0000"],
               "<unreadable object at 0xffffffffffff0000>")
        glob = parse_locals(out["globals"])
        chk.true("globals", ["GLOBAL_NUMBER", "42"] in glob and
                 ["GLOBAL_TEXT", "'glöbal'"] in glob and not any(k.startswith("__")
                                                                  for k, _ in glob))
        # garbage: every 8th address around a live object must render as one line, no crash
        m = re.search(r"Point object at (0x[0-9a-f]+)", out["locals#2"])
        base = int(m.group(1), 16)
        addrs = ["repr 0x%x" % a for a in range(base - 8000, base + 8000, 8)]
        rc, fuzz, err = run([args.probe, str(t.pid)] + addrs, timeout=120)
        answers = fuzz.split("\n=== ")
        chk.true("garbage addresses: probe survives", rc == 0 and len(answers) == len(addrs), err)
        chk.true("garbage addresses: one line each", all(a.count("\n") == 1 for a in answers[:-1]))
        chk.true("garbage addresses: mostly unreadable",
                 sum("<unreadable " in a for a in answers) > len(addrs) // 2)
    finally:
        rc = t.finish()
        chk.eq("tracee carries on after detach", rc, 0)
    chk.need("print obj['p'].x")
    chk.need("locals of frame 1")
    return chk.finish("values")


def probe_numbered(args, pid, labels, commands):
    """Like probe(), with section labels distinct from the (possibly repeated) commands."""
    rc, out, err = run([args.probe, str(pid)] + commands)
    if rc != 0:
        raise RuntimeError("pyi_probe failed (%d): %s" % (rc, err))
    chunks = out.split("\n=== ")
    first = chunks[0]
    if not first.startswith("=== "):
        raise RuntimeError("unexpected probe output: %r" % out[:200])
    chunks[0] = first[4:]
    if len(chunks) != len(labels):
        raise RuntimeError("probe printed %d sections for %d commands" % (len(chunks), len(labels)))
    res = {}
    for label, cmd, chunk in zip(labels, commands, chunks):
        head, _, body = chunk.partition("\n")
        if head != cmd:
            raise RuntimeError("section %r for command %r" % (head, cmd))
        res[label] = body.rstrip("\n")
    return res


# ---- lines -----------------------------------------------------------------------------------

def parse_codelines(text):
    out = []
    for line in text.split("\n"):
        f = line.split()
        if not f or f[0] == "ERROR:":
            raise RuntimeError("codelines: %s" % text[:300])
        d = {"offset": int(f[0]), "line": int(f[1])}
        for kv in f[2:]:
            k, v = kv.split("=")
            d[k] = int(v)
        out.append(d)
    return out


def case_lines(args, python, tmp):
    chk = Check()
    t = Tracee(python, os.path.join(TRACEES, "lines.py"), tmp)
    path = os.path.join(TRACEES, "lines.py")
    try:
        codes = t.report["extra"]["codes"]
        names = sorted(codes)
        labels, cmds, files = ["frame 1"], ["frame 1"], {}
        for name in names:
            expr = "CODES[%r]" % name
            ev = codes[name]["events"]
            if ev:
                fn = os.path.join(tmp, "events-%d.txt" % len(files))
                with open(fn, "w") as f:
                    for prev, cur, _ in ev:
                        f.write("%d %d\n" % (prev, cur))
                files[name] = fn
                labels.append("events " + name)
                cmds.append("lineevents %s %s" % (expr, fn))
            labels += ["lines " + name, "dis " + name]
            cmds += ["codelines " + expr, "discode " + expr]
        out = probe_numbered(args, t.pid, labels, cmds)
        for name in names:
            info = codes[name]
            instrs = parse_codelines(out["lines " + name])
            # every instruction's line against co_lines() (None -> -1)
            want_line = {}
            for start, end, line in info["co_lines"]:
                for off in range(start, end, 2):
                    want_line[off] = -1 if line is None else line
            for ins in instrs:
                chk.eq("%s: line of offset %d" % (name, ins["offset"]), ins["line"],
                       want_line.get(ins["offset"]))
            chk.eq("%s: findlinestarts" % name,
                   [[i["offset"], i["line"]] for i in instrs if i["start"]], info["linestarts"])
            # the line-event rule against what settrace saw, transition by transition
            ops = {i["offset"]: i["op"] for i in instrs}
            ext = t.report["extra"]["extended_arg"]
            if info["events"]:
                got = [int(x) for x in out["events " + name].split("\n")]
                want = [1 if fired else 0 for _, _, fired in info["events"]]
                for k, ((prev, cur, fired), g) in enumerate(zip(info["events"], got)):
                    if ops.get(prev) == ext:
                        continue  # CPython's real prev is the untraced instruction after it
                    chk.eq("%s: line event #%d at %d after %d" % (name, k, cur, prev), g,
                           1 if fired else 0)
                chk.eq("%s: number of events" % name, len(got), len(want))
                # sequential line starts predicted without running: every event that fired on
                # a fall-through transition is at an instruction flagged seq_event
                seq = {i["offset"] for i in instrs if i["seq"]}
                for prev, cur, fired in info["events"]:
                    nxt = [i["offset"] for i in instrs if i["offset"] > prev][:1]
                    if fired and nxt == [cur] and ops.get(prev) != ext:
                        chk.true("%s: seq_event flag at %d" % (name, cur), cur in seq)
            chk.eq("%s: dis" % name, ADDR_RE.sub("0xADDR", out["dis " + name]),
                   dis_text(python, path, name.split(".")[-1], info["firstlineno"]))
    finally:
        chk.eq("tracee carries on after detach", t.finish(), 0)
    chk.need("loops: number of events")
    chk.need("many_constants: dis")
    return chk.finish("lines")


# ---- dump ------------------------------------------------------------------------------------

THREAD_RE = re.compile(r'^Thread (\d+) \(ident 0x([0-9a-f]+)(, holds the GIL)?\)(: "(.*)")?$')


def parse_dump(text):
    threads, cur = {}, None
    for block in text.split("\n\n")[1:]:
        head, _, rest = block.partition("\n")
        m = THREAD_RE.match(head)
        if not m:
            raise RuntimeError("bad thread header %r" % head)
        threads[m.group(1)] = {"name": m.group(5), "frames": parse_bt(rest), "text": rest}
    return text.split("\n")[0], threads


def case_dump(args, python, tmp):
    chk = Check()
    t = Tracee(python, os.path.join(TRACEES, "threads.py"), tmp)
    try:
        rc, out, err = run([args.pytt, "dump", str(t.pid)])
        chk.eq("pytt dump exit status", (rc, err), (0, ""))
        head, threads = parse_dump(out)
        chk.true("header", head.startswith("Process %d: " % t.pid) and
                 "(CPython %s." % minor_version(python) in head, head)
        reported = t.report["threads"]
        chk.eq("thread ids", sorted(threads), sorted(reported))
        for tid, rep in reported.items():
            got = threads.get(tid)
            if not got:
                continue
            chk.eq("thread %s name" % tid, got["name"], rep["name"])
            compare_stack(chk, got["frames"], rep["stack"], label="thread " + rep["name"],
                          key="dump_locals")
        info = probe(args, t.pid, ["threads"])["threads"].split("\n")
        chk.eq("info threads: one line each", len(info), len(reported))
        for tid, rep in reported.items():
            line = [l for l in info if " Thread %s (" % tid in l]
            chk.true("info threads: %s" % rep["name"], len(line) == 1 and
                     line[0].endswith(': "%s"' % rep["name"]), str(line))
        chk.eq("info threads: one selected", sum(l.startswith("*") for l in info), 1)
        rc, out2, err = run([args.pytt, "dump", "--no-locals", str(t.pid)])
        _, th2 = parse_dump(out2)
        chk.true("--no-locals has no locals", rc == 0 and all(
            not f["locals"] for th in th2.values() for f in th["frames"]), out2[:300])
        chk.eq("--no-locals frames", {k: [(f["file"], f["line"]) for f in v["frames"]]
                                      for k, v in th2.items()},
               {k: [(f["file"], f["line"]) for f in v["frames"]] for k, v in threads.items()})
        rc, out3, err = run([args.pytt, "dump", "--native", "--no-locals", str(t.pid)])
        chk.eq("--native exit status", rc, 0)
        _, th3 = parse_dump(out3)
        for tid, th in th3.items():
            py = [(f["file"], f["line"], f["name"]) for f in th["frames"]]
            chk.eq("--native keeps the Python frames of %s" % tid, py,
                   [(f["file"], f["line"], f["name"]) for f in threads[tid]["frames"]])
            native = [l for l in th["text"].split("\n") if l.startswith("   0x")]
            chk.true("--native shows native frames of %s" % tid,
                     any(" in read () " in l or "read" in l.split(" in ")[1] for l in native)
                     and not any("_PyEval_EvalFrameDefault" in l for l in native),
                     "\n".join(native[:8]))
    finally:
        chk.eq("tracee carries on after detach", t.finish(), 0)
    chk.need("thread ids")
    return chk.finish("dump")


# ---- gdb -------------------------------------------------------------------------------------

GDB_FRAME_RE = re.compile(r'^  File "(.*)", line (\d+), in (.*)$')


def gdb_view(pid, script):
    cmd = ["gdb", "-p", str(pid), "-batch", "-nx", "-iex", "set auto-load safe-path /",
           "-iex", "set debuginfod enabled off", "-ex", "source " + script,
           "-ex", "echo ==XI==\\n", "-ex", "x/8i $pc",
           "-ex", "echo ==PYBT==\\n", "-ex", "py-bt", "-ex", "py-up", "-ex", "echo ==PYLOCALS==\\n",
           "-ex", "py-locals"]
    rc, out, err = run(cmd, timeout=120)
    xi = out.split("==XI==\n", 1)[1].split("==PYBT==\n")[0]
    insns = [int(m.group(1), 16) for m in map(INSN_RE.match, xi.split("\n")) if m]
    bt_text = out.split("==PYBT==\n", 1)[1].split("==PYLOCALS==\n")[0]
    loc_text = out.split("==PYLOCALS==\n", 1)[1]
    frames = [m.groups() for m in map(GDB_FRAME_RE.match, bt_text.split("\n")) if m]
    locals_, cur = [], None
    headers = "Locals for " in loc_text  # 3.11+: every frame of the C call; 3.10: py-up's only
    if not headers:
        cur = {}
        locals_.append((None, cur))
    for line in loc_text.split("\n"):
        if line.startswith("Locals for "):
            cur = {}
            locals_.append((line[len("Locals for "):], cur))
        elif cur is not None and " = " in line:
            k, _, v = line.partition(" = ")
            cur[k] = v
    return frames, locals_, insns


INSN_RE = re.compile(r"^(?:=>)?\s+(0x[0-9a-f]+)")


def case_gdb(args, python, tmp):
    chk = Check()
    if not shutil.which("gdb"):
        print("SKIP: gdb is not installed")
        return SKIP
    script = GDB_SCRIPTS[args.build]
    if not os.path.exists(script):
        print("SKIP: CPython's gdb extension %s is not installed" % script)
        return SKIP
    t = Tracee(python, os.path.join(TRACEES, "values.py"), tmp)
    try:
        out = probe(args, t.pid, ["bt -full", "x/8i", "disas"])
        ours = parse_bt(out["bt -full"])
        frames, locals_, insns = gdb_view(t.pid, script)
        mine = [int(m.group(1), 16) for m in map(INSN_RE.match, out["x/8i"].split("\n")) if m]
        chk.eq("x/8i instruction addresses", mine, insns)
        chk.true("x/8i marks the pc", out["x/8i"].startswith("=> 0x%016x" % insns[0]))
        dis_lines = out["disas"].split("\n")
        chk.true("disas covers the pc", dis_lines[0].startswith("Dump of assembler code for ")
                 and any(l.startswith("=> 0x%016x" % insns[0]) for l in dis_lines) and
                 dis_lines[-1] == "End of assembler dump.", out["disas"][:300])
        chk.eq("py-bt frames", [(f, int(l), n) for f, l, n in frames],
               [(f["file"], f["line"], f["name"]) for f in ours])
        if locals_ and locals_[0][0] is None:  # 3.10: the frame py-up selected from C, #0
            locals_ = [(ours[0]["name"], locals_[0][1])]
            ours = ours[0:1]
        chk.eq("py-locals frames", [n for n, _ in locals_], [f["name"] for f in ours])
        for (name, theirs), mine in zip(locals_, ours):
            mine = dict(mine["locals"])
            for k, v in theirs.items():
                chk.true("gdb local %s.%s exists in pytt" % (name, k), k in mine)
                if "remote 0x" in v or v.startswith("Frame 0x") or k not in mine:
                    continue  # libpython prints a proxy, not the repr
                cut = "...(truncated)"
                if v.endswith(cut):  # libpython stops after 1024 characters
                    chk.eq("gdb local %s.%s (first 1024 characters)" % (name, k),
                           mine[k][:len(v) - len(cut)], v[:-len(cut)])
                else:
                    chk.eq("gdb local %s.%s" % (name, k), mine[k], v)
    finally:
        chk.eq("tracee carries on after detach", t.finish(), 0)
    chk.need("gdb local inner.arg" if minor_version(python) != "3.10" else "gdb local pause.tmp")
    chk.need("py-bt frames")
    return chk.finish("gdb")


# ---- errors ----------------------------------------------------------------------------------

def case_errors(args, python, tmp):
    chk = Check()
    empty = os.path.join(tmp, "no-debug")
    os.makedirs(empty)
    t = Tracee(python, os.path.join(TRACEES, "values.py"), tmp)
    try:
        rc, out, err = run([args.pytt, "dump", str(t.pid)], env={"PYTT_DEBUG_DIR": empty})
        if args.build == "debian":  # the only build whose DWARF is in a separate file
            chk.eq("missing debug info: status", rc, 1)
            chk.true("missing debug info: message",
                     err.startswith("pytt dump: no DWARF debug info for /usr/bin/python3.11 "
                                    "(build-id ") and
                     "install it with `apt-get install python3.11-dbg`" in err and
                     empty in err and out == "", err)
        else:
            chk.eq("DWARF inside the file: PYTT_DEBUG_DIR does not matter", (rc, err), (0, ""))
    finally:
        chk.eq("tracee carries on after detach", t.finish(), 0)
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        rc, out, err = run([args.pytt, "dump", str(sleeper.pid)])
        chk.eq("non-Python pid", (rc, err.strip()),
               (1, "pytt dump: pid %d is not a CPython process (no module defines _PyRuntime)"
                % sleeper.pid))
    finally:
        sleeper.kill()
        sleeper.wait()
    rc, out, err = run([args.pytt, "dump", "999999999"])
    chk.true("no such pid", rc == 1 and err.startswith("pytt dump: no such process 999999999"),
             err)
    rc, out, err = run([args.pytt, "dump"])
    chk.true("usage", rc == 2 and err.startswith("usage: pytt dump"), err)
    rc, out, err = run([args.pytt, "dump", "12", "13"])
    chk.true("usage: two pids", rc == 2, err)
    if tuple(map(int, minor_version(python).split("."))) >= (3, 13):
        debug_offsets_check(args, python, tmp, chk)
        debug_offsets_shell(args, python, tmp, chk)
    else:
        no_debug_offsets(args, python, tmp, chk)
    for other in UNSUPPORTED:
        if not os.path.exists(other):
            continue
        t2 = Tracee(other, os.path.join(TRACEES, "plain.py"), tmp)
        try:
            rc, out, err = run([args.pytt, "dump", str(t2.pid)])
            ver = other.rsplit("python", 1)[1]
            chk.true("unsupported CPython %s" % ver, rc == 1 and "is CPython %s" % ver in err
                     and "unsupported version (%s)" % SUPPORTED in err, err)
        finally:
            t2.finish()
    return chk.finish("errors")


def runtime_address(pid):
    """_PyRuntime in the tracee: its symbol in libpython, plus where libpython is mapped."""
    lib = base = None
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and "libpython" in parts[5] and int(parts[2], 16) == 0:
                lib, base = parts[5], int(parts[0].split("-")[0], 16)
                break
    out = subprocess.run(["nm", lib], capture_output=True, text=True, check=True).stdout
    sym = next(int(l.split()[0], 16) for l in out.splitlines() if l.endswith(" _PyRuntime"))
    return lib, base + sym


def debug_offsets_check(args, python, tmp, chk):
    """3.13+: pytt compares the process's _Py_DebugOffsets with DWARF; one entry damaged in
    the tracee's memory (CPython itself never reads it) is reported by name with both values,
    and the dump is still right (DWARF is used)."""
    import struct
    t = Tracee(python, os.path.join(TRACEES, "values.py"), tmp)
    try:
        layout = probe(args, t.pid, ["layout"])["layout"]
        m = re.match(r"checked (\d+) differ (\d+)", layout)
        chk.true("_Py_DebugOffsets agrees with DWARF", m and int(m.group(1)) >= 20 and
                 m.group(2) == "0", layout)
        lib, runtime = runtime_address(t.pid)
        gdb = subprocess.run(["gdb", "-batch", "-nx", "-ex", "print/d (long)&((struct "
                              "_Py_DebugOffsets *)0)->thread_state.current_frame", lib],
                             capture_output=True, text=True).stdout
        off = int(gdb.strip().split("=")[-1])
        with open("/proc/%d/mem" % t.pid, "r+b", buffering=0) as mem:
            mem.seek(runtime + off)
            real = struct.unpack("<Q", mem.read(8))[0]
            mem.seek(runtime + off)
            mem.write(struct.pack("<Q", real + 8))
        rc, out, err = run([args.pytt, "dump", str(t.pid)])
        chk.true("damaged _Py_DebugOffsets: reported",
                 rc == 0 and "pytt dump: warning: PyThreadState.current_frame: _Py_DebugOffsets "
                 "says %d, DWARF %d; pytt uses DWARF" % (real + 8, real) in err, err)
        frames = parse_dump(out)[1][str(t.pid)]["frames"]
        compare_stack(chk, frames, reported_stack(t.report), label="dump with damaged table",
                      key="dump_locals")
    finally:
        chk.eq("tracee carries on after detach", t.finish(), 0)
    chk.need("damaged _Py_DebugOffsets: reported")


def no_debug_offsets(args, python, tmp, chk):
    """Before 3.13 there is no _Py_DebugOffsets: nothing is compared, nothing is reported."""
    t = Tracee(python, os.path.join(TRACEES, "values.py"), tmp)
    try:
        layout = probe(args, t.pid, ["layout"])["layout"]
        chk.eq("no _Py_DebugOffsets before 3.13: nothing compared", layout.strip(),
               "checked 0 differ 0")
        rc, out, err = run([args.pytt, "dump", str(t.pid)])
        chk.eq("no _Py_DebugOffsets before 3.13: dump warns of nothing", (rc, err), (0, ""))
    finally:
        chk.eq("tracee carries on after detach", t.finish(), 0)
    chk.need("no _Py_DebugOffsets before 3.13: nothing compared")


SHELL_PROGRAM = """def f(x):
    y = x * 2
    return y


print(f(21))
"""


def debug_offsets_shell(args, python, tmp, chk):
    """3.13+: the replay shell says which source it uses when the recorded process's
    _Py_DebugOffsets disagrees with DWARF (one entry, or the cookie, damaged by a preloaded
    library before any Python code ran, tests/pyintrospect/pyi_damage.c), and its views are
    still right (DWARF is used: the damaged entry is the thread's current frame)."""
    damage = os.path.join(os.path.dirname(os.path.abspath(args.probe)), "libpyi_damage.so")
    if not os.path.exists(damage):
        chk.true("libpyi_damage.so built beside pyi_probe", False, damage)
        return
    lib, _ = libpython_of(python)
    gdb = subprocess.run(["gdb", "-batch", "-nx", "-ex", "print/d (long)&_PyRuntime.debug_offsets"
                          ".thread_state.current_frame - (long)&_PyRuntime", "-ex",
                          "print/d (long)&((PyThreadState *)0)->current_frame", lib],
                         capture_output=True, text=True).stdout.split()
    off, real = int(gdb[2]), int(gdb[5])
    prog = os.path.join(tmp, "shell_prog.py")
    with open(prog, "w") as f:
        f.write(SHELL_PROGRAM)
    cmds = ["-ex", "break f", "-ex", "continue", "-ex", "next", "-ex", "print y", "-ex", "bt"]
    expected_views = ["> %s(3)f()" % prog, "-> return y", "42", "#0 %s:3 in f" % prog,
                      "#1 %s:6 in <module>" % prog]
    cases = [("entry", {"PYI_DAMAGE_OFFSET": str(off), "PYI_DAMAGE_ADD": "8"},
              "warning: PyThreadState.current_frame: _Py_DebugOffsets says %d, DWARF %d; "
              "pytt uses DWARF (it belongs to this very binary, by build-id)" % (real + 8, real)),
             ("cookie", {"PYI_DAMAGE_COOKIE": "1"},
              'warning: no "xdebugpy" cookie at the start of _PyRuntime: its _Py_DebugOffsets '
              "cannot be checked; pytt uses DWARF")]
    for label, env, warning in cases:
        trace = os.path.join(tmp, "trace-" + label)
        # the library goes to the interpreter only (through env, a launcher pytt follows):
        # preloaded into a sanitized pytt it would stop it (ASan's runtime must come first)
        rc, out, err = run([args.pytt, "record", "-o", trace, "--", "/usr/bin/env",
                            "LD_PRELOAD=" + damage, python, prog], env=env)
        chk.eq("damaged %s: recorded" % label, (rc, out), (0, "42\n"))
        rc, out, err = run([args.pytt, "replay", trace, "--batch"] + cmds)
        lines = out.splitlines()
        chk.true("damaged %s: the shell says which source it uses" % label,
                 rc == 0 and lines[:1] == [warning], out + err)
        chk.true("damaged %s: the shell's views are right" % label,
                 all(l in lines for l in expected_views), out + err)
        chk.need("damaged %s: the shell says which source it uses" % label)


def libpython_of(python):
    """The libpython a pyenv build links (the file with its DWARF) and its directory."""
    out = subprocess.run(["ldd", python], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if "libpython" in line and "=>" in line:
            path = line.split("=>")[1].split()[0]
            return os.path.realpath(path), os.path.dirname(path)
    return python, None


# ---- session: invalidate and set_target ------------------------------------------------------

class Interactive:
    """pyi_probe -i: one session over several stops of the tracee."""

    def __init__(self, args, pid):
        self.p = subprocess.Popen([args.probe, str(pid), "-i"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  errors="surrogateescape")

    def ask(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        lines = []
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("pyi_probe -i died: %s" % self.p.stderr.read())
            if line == "=== END\n":
                break
            lines.append(line)
        if not lines or lines[0] != "=== %s\n" % cmd:
            raise RuntimeError("unexpected answer to %r: %r" % (cmd, lines[:2]))
        return "".join(lines[1:]).rstrip("\n")

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.close()
            self.p.wait(timeout=20)
        except Exception:
            self.p.kill()


def case_session(args, python, tmp):
    chk = Check()
    t = Tracee(python, os.path.join(TRACEES, "phases.py"), tmp)
    probe_i = Interactive(args, t.pid)
    try:
        compare_stack(chk, parse_bt(probe_i.ask("bt -full")), reported_stack(t.report),
                      label="stop 1")
        chk.eq("stop 1: frame 1", probe_i.ask("frame 1").split(" ")[0], "#1")
        chk.eq("stop 1: print phase", probe_i.ask("print phase"), "1")
        chk.eq("stop 1: print history", probe_i.ask("print history"), "[]")
        chk.eq("detach", probe_i.ask("detach"), "")
        os.remove(t.report_path)
        t.release()
        parent = t.wait_report(t.report_path)
        child = t.wait_report(t.report_path + ".child")
        chk.eq("attach", probe_i.ask("attach"), "")
        probe_i.ask("invalidate")
        chk.eq("stop 2: frame 0 again after invalidate",
               probe_i.ask("print who"), "needs the interpreter: a name that is not defined")
        compare_stack(chk, parse_bt(probe_i.ask("bt -full")), reported_stack(parent),
                      label="stop 2 (parent)")
        probe_i.ask("frame 1")
        chk.eq("stop 2: print who", probe_i.ask("print who"), "'parent'")
        chk.eq("stop 2: print history", probe_i.ask("print history"),
               "['between', 'parent']")
        chk.eq("retarget", probe_i.ask("retarget %d" % child["pid"]), "")
        compare_stack(chk, parse_bt(probe_i.ask("bt -full")), reported_stack(child),
                      label="fork (child)")
        probe_i.ask("frame 1")
        chk.eq("fork: print who", probe_i.ask("print who"), "'child'")
        chk.eq("fork: print history", probe_i.ask("print history"), "['between', 'child']")
    finally:
        probe_i.close()
        chk.eq("tracee carries on after detach", t.finish(), 0)
    chk.need("fork: print who")
    return chk.finish("session")


# ---- unicode printability and pure functions ---------------------------------------------------

def printable_ranges():
    out, start = [], None
    for cp in range(0x110001):
        p = cp < 0x110000 and chr(cp).isprintable()
        if p and start is None:
            start = cp
        elif not p and start is not None:
            out.append("%x-%x" % (start, cp - 1))
            start = None
    return out


def case_unicode(args, python, tmp):
    chk = Check()
    t = Tracee(python, os.path.join(TRACEES, "plain.py"), tmp)
    try:
        got = probe(args, t.pid, ["printable"])["printable"].split("\n")
    finally:
        t.finish()
    # each version has its own Unicode database: the build itself is the oracle
    import inspect
    src = inspect.getsource(printable_ranges) + "\nprint('\\n'.join(printable_ranges()))\n"
    want = subprocess.run([python, "-c", src], capture_output=True, text=True,
                          check=True).stdout.split()
    chk.eq("number of printable ranges", len(got), len(want))
    for g, w in zip(got, want):
        chk.eq("printable range", g, w)
    chk.need("printable range", 500)
    return chk.finish("unicode")


def float_samples():
    import random
    import struct
    rnd = random.Random(1234)
    vals = [0.0, -0.0, float("inf"), -float("inf"), float("nan"), 5e-324, -5e-324,
            2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308, 1e16,
            1e15, 9999999999999998.0, 1e-4, 1e-5, 0.1, 0.3, 1 / 3, 123456789012345678.0,
            9007199254740993.0, 1e22, 1e23, 5e-324 * 3]
    for e in range(-1074, 1024):  # powers of two and their neighbours: lopsided intervals
        x = 2.0 ** e
        vals += [x, -x]
        bits = struct.unpack("<Q", struct.pack("<d", x))[0]
        for d in (-1, 1):
            vals.append(struct.unpack("<d", struct.pack("<Q", bits + d))[0])
    for _ in range(60000):  # arbitrary bit patterns
        vals.append(struct.unpack("<d", struct.pack("<Q", rnd.getrandbits(64)))[0])
    for _ in range(40000):  # short decimals
        vals.append(float("%de%d" % (rnd.randint(1, 10**rnd.randint(1, 17)),
                                     rnd.randint(-330, 310))))
    for _ in range(20000):
        vals.append(rnd.uniform(-1e6, 1e6))
    return [v for v in vals if v == v or v != v]


def case_floats(args, python, tmp):
    import struct
    chk = Check()
    vals = float_samples()
    inp = "".join("%016x\n" % struct.unpack("<Q", struct.pack("<d", v))[0] for v in vals)
    got = subprocess.run([args.unit, "floats"], input=inp, stdout=subprocess.PIPE, text=True,
                         check=True).stdout.split("\n")
    for v, g in zip(vals, got):
        chk.eq("repr(float)", g, repr(v))
    chk.eq("float count", len(got) - 1, len(vals))
    pairs = list(zip(vals[::7], vals[3::7]))[:20000] + [(0.0, 1.0), (-0.0, -1.0), (0.0, -0.0),
                                                        (-0.0, 0.0), (1.5, float("nan"))]
    inp = "".join("%016x %016x\n" % (struct.unpack("<Q", struct.pack("<d", a))[0],
                                     struct.unpack("<Q", struct.pack("<d", b))[0])
                  for a, b in pairs)
    got = subprocess.run([args.unit, "complex"], input=inp, stdout=subprocess.PIPE, text=True,
                         check=True).stdout.split("\n")
    for (a, b), g in zip(pairs, got):
        chk.eq("repr(complex)", g, repr(complex(a, b)))
    import random
    rnd = random.Random(99)
    sys.set_int_max_str_digits(0)
    ints = [0, 1, -1, 2**30 - 1, 2**30, 10**9, 10**9 - 1, -(10**18), 2**63]
    ints += [rnd.getrandbits(rnd.randint(1, 20000)) * rnd.choice((1, -1)) for _ in range(300)]
    lines = []
    for n in ints:
        m, digits = abs(n), []
        while m:
            digits.append(m & (2**30 - 1))
            m >>= 30
        lines.append(" ".join([str((n > 0) - (n < 0))] + [str(d) for d in digits]))
    got = subprocess.run([args.unit, "ints"], input="\n".join(lines) + "\n",
                         stdout=subprocess.PIPE, text=True, check=True).stdout.split("\n")
    for n, g in zip(ints, got):
        chk.eq("repr(int)", g, repr(n))
    chk.need("repr(float)", 100000)
    chk.need("repr(complex)", 10000)
    chk.need("repr(int)", 300)
    return chk.finish("floats")


CASES = {"values": case_values, "session": case_session, "unicode": case_unicode,
         "floats": case_floats, "lines": case_lines, "dump": case_dump, "gdb": case_gdb,
         "errors": case_errors}


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe", required=True)
    ap.add_argument("--pytt", required=True)
    ap.add_argument("--unit", required=True)
    ap.add_argument("build", choices=sorted(BUILDS))
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    if os.environ.get("PYTHONHASHSEED") != "0":
        # dis constants (frozensets of str) must iterate as in the tracees
        os.execve(sys.executable, [sys.executable] + sys.argv,
                  dict(os.environ, PYTHONHASHSEED="0"))
    python = BUILDS[args.build]
    if not os.path.exists(python):
        print("SKIP: %s is not installed here (build %s)" % (python, args.build))
        return SKIP
    tmp = tempfile.mkdtemp(prefix="pyi-test-")
    try:
        return CASES[args.case](args, python, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
