"""Breakpoint oracle: oracle/bp_program.py prints, at each `probe("LABEL", ...)` line, repr() of
its locals and its stack (traceback.extract_stack: file, line, function per frame). The test
records it, then in ONE replay sets breakpoints on those lines and `continue`s from hit to hit,
running `locals`, `bt` and `print NAME` at each hit: the Nth stop must be the Nth hit the
program printed for the breakpoints active at that moment, with the same values.

The expected sequence of stops comes from simulating the breakpoints (pdb/gdb semantics) over
the program's printed hits: enabled line breakpoints stop when their condition holds; a tbreak
is deleted at its first stop; disable/enable/delete/condition take effect from the next hit.
Covered: a loop hit 40 times (hit counts in `info breakpoints`), `if COND` with ==, >=, is not
None on ints and strs, `condition N COND` and `condition N` (clear), tbreak, disable/enable,
delete (one and several ids), `break FUNCTION` (defined), `break Class.method` (pending, with a
same-named method of another class called first), a pending FILE:LINE in a module imported
later (absolute path, and basename for its module-level code), a line fused with the previous
one by a superinstruction once hot (50 hits), generator, recursion (`bt` depth), closure
(free variables), an `except` block.

Further replays check the stop sequence only:
  many            12 unconditional breakpoints at once (pdb has no limit on their number);
  pending-method  `break Rect.area` and `break compute` set before they exist, with
                  Circle.area (same co_name as Rect.area) called before each Rect.area;
  no-code line    `break` on a blank line / past the end of a loaded file must not be
                  accepted as "pending" (pdb refuses it, gdb moves it to the next code line);
  self-tracing    oracle/self_tracing.py uses sys.settrace itself: stopping in its traced
                  code (breakpoint hits, steps) must not change what its tracer sees, i.e.
                  the replay must not diverge and its output must equal the recording's.

Exit 0 if everything matched, 1 otherwise (every mismatch is printed), 77 if the interpreter
is absent."""
import argparse
import ast
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import navlib  # noqa: E402

ORACLE = os.path.join(navlib.HERE, "oracle")
PROG = os.path.join(ORACLE, "bp_program.py")
HELPER = os.path.join(ORACLE, "bp_helper.py")
MAX_REPORTED = 25


class Bp:
    def __init__(self, bid, label, where, cond="", pred=None, temp=False):
        self.id, self.label, self.where = bid, label, where
        self.cond, self.pred, self.temp = cond, pred, temp
        self.enabled, self.hits = True, 0


def lit(locs, name):
    """A local's value from its repr (ints, strs, None)."""
    return ast.literal_eval(dict(locs)[name])


class Scenario:
    """The breakpoint commands and their simulated effect, in the order they are issued."""

    def __init__(self, lines):
        self.lines = lines  # label -> line
        self.bps = []
        self.next_id = 1

    def add(self, label, spec, where, cond="", pred=None, temp=False):
        """Called when the command is issued: ids follow the order of issue, as in pytt."""
        bp = Bp(self.next_id, label, where, cond, pred, temp)
        self.next_id += 1
        self.bps.append(bp)
        cmd = ("tbreak " if temp else "break ") + spec + (f" if {cond}" if cond else "")
        kind = "Temporary breakpoint" if temp else "Breakpoint"
        return cmd, f"{kind} {bp.id} at {where}"

    def get(self, bid):
        return next(b for b in self.bps if b.id == bid)

    def table(self):
        return {b.id: {"disp": "del" if b.temp else "keep", "enabled": b.enabled,
                       "where": b.where, "cond": b.cond, "hits": b.hits} for b in self.bps}


def build(events):
    lines = {}
    for e in events:
        f, ln, _ = e["stack"][-1]
        lines.setdefault(e["label"], (f, ln))
    L = {k: v[1] for k, v in lines.items()}
    sc = Scenario(L)
    P, base = PROG, os.path.basename(PROG)
    hb = os.path.basename(HELPER)

    # Commands are (text, kind, payload): kind 'break' expects a "Breakpoint N at" line,
    # 'info' a table equal to the simulated one, 'plain' nothing in particular.
    def brk(*a, **k):
        return (None, "break", (a, k))

    def sim(cmd, fn):
        return (cmd, "plain", fn)

    def info():
        return ("info breakpoints", "info", None)

    def disable(i):
        return sim(f"disable {i}", lambda: setattr(sc.get(i), "enabled", False))

    def enable(i):
        return sim(f"enable {i}", lambda: setattr(sc.get(i), "enabled", True))

    def delete(*ids):
        return sim("delete " + " ".join(map(str, ids)),
                   lambda: [sc.bps.remove(sc.get(i)) for i in ids])

    def condition(i, cond, pred):
        def fn():
            b = sc.get(i)
            b.cond, b.pred = cond, pred
        return sim(f"condition {i} {cond}".rstrip(), fn)

    start = [
        brk("loop", f"{base}:{L['loop']}", f"{base}:{L['loop']}"),                       # 1
        brk("cond_int", f"{P}:{L['cond_int']}", f"{P}:{L['cond_int']}", "i >= 15",
            lambda l: lit(l, "i") >= 15),                                                # 2
        brk("cond_str", f"{P}:{L['cond_str']}", f"{P}:{L['cond_str']}", 'word == "w4"',
            lambda l: lit(l, "word") == "w4"),                                           # 3
        brk("cond_none", f"{P}:{L['cond_none']}", f"{P}:{L['cond_none']}",
            "maybe is not None", lambda l: lit(l, "maybe") is not None),                 # 4
        brk("tmp", f"{P}:{L['tmp']}", f"{P}:{L['tmp']}", temp=True),                     # 5
        brk("toggle", f"{P}:{L['toggle']}", f"{P}:{L['toggle']}"),                       # 6
        brk("marker", f"{P}:{L['marker']}", f"{P}:{L['marker']}"),                       # 7
        brk("del", f"{P}:{L['del']}", f"{P}:{L['del']}"),                                # 8
        # pending: bp_helper is imported later
        brk("helper_fn", f"{HELPER}:{L['helper_fn']}", f"{HELPER}:{L['helper_fn']}"),    # 9
        brk("helper_mod", f"{hb}:{L['helper_mod']}", f"{hb}:{L['helper_mod']}"),         # 10
    ]
    actions = {
        ("loop", 40): [info(), disable(1)],
        ("cond_str", 1): [condition(3, "word == 'w9'", lambda l: lit(l, "word") == "w9")],
        ("cond_str", 2): [condition(3, "", None)],
        ("cond_str", 12): [info(), delete(2, 3, 4)],
        ("toggle", 2): [disable(6)],
        ("marker", 1): [enable(6), brk("compute", "compute", "compute"),                 # 11
                        brk("rect_area", "Rect.area", "Rect.area")],                     # 12
        ("toggle", 5): [delete(6, 7)],
        ("del", 3): [delete(8), info()],
        ("compute", 1): [brk("fused", f"{P}:{L['fused']}", f"{P}:{L['fused']}")],       # 13
        ("fused", 50): [info(), delete(9, 10, 11, 12, 13),
                        brk("gen", f"{P}:{L['gen']}", f"{P}:{L['gen']}"),               # 14
                        brk("fact", f"{P}:{L['fact']}", f"{P}:{L['fact']}", "n < 4",
                            lambda l: lit(l, "n") < 4),                                  # 15
                        brk("closure", f"{P}:{L['closure']}", f"{P}:{L['closure']}"),   # 16
                        brk("handler", f"{P}:{L['handler']}", f"{P}:{L['handler']}"),   # 17
                        brk("module_end", f"{P}:{L['module_end']}",
                            f"{P}:{L['module_end']}")],                                  # 18
    }
    return sc, start, actions


def simulate(sc, events, start, actions):
    """Walk the program's hits through the simulated breakpoints. Returns (start commands,
    [(event, bp id, [commands after the stop])], commands at the end), each command being
    (text, kind, payload) with 'info' payloads filled with the expected table."""
    def issue(cmds):
        out = []
        for text, kind, payload in cmds:
            if kind == "plain":
                payload()
                out.append((text, kind, None))
            elif kind == "info":
                out.append((text, kind, sc.table()))
            else:
                a, k = payload
                cmd, first = sc.add(*a, **k)
                out.append((cmd, kind, first))
        return out

    start_cmds = issue(start)
    stops, per_label = [], {}
    for e in events:
        locs = e["locals"] or []
        for bp in list(sc.bps):
            if bp.label != e["label"] or not bp.enabled:
                continue
            if bp.pred and not bp.pred(locs):
                continue
            bp.hits += 1
            if bp.temp:
                sc.bps.remove(bp)
            n = per_label[e["label"]] = per_label.get(e["label"], 0) + 1
            stops.append((e, bp.id, issue(actions.get((e["label"], n), []))))
            break
    end_cmds = [("info breakpoints", "info", sc.table())]
    return start_cmds, stops, end_cmds


def inspect_cmds(e):
    cmds = ["when", "locals", "when", "bt", "when"]
    names = [k for k, _ in (e["locals"] or [])] + list(e["extra"])
    for name in names:
        cmds += [f"p {name}", "when"]
    return cmds, names


CUT_PREFIXES = ("The replay is at the end of the recording.", "error: continue",
                "The recording ends here:", "The program was killed by signal")


def cut_blocks(out):
    """Blocks per `continue` result (a stop, the end, or continue's error)."""
    res = [(None, [])]
    for line in out.splitlines():
        s = navlib.stop_of(line)
        m = navlib.EXITED.match(line)
        if s:
            res.append((s, []))
        elif m:
            res.append((("EXIT", int(m.group(1)), ""), [line]))
        elif line.startswith(CUT_PREFIXES):
            res.append((("OTHER", 0, line), [line]))
        else:
            res[-1][1].append(line)
    return res


def compare_table(where, got_lines, want, fails):
    got = navlib.parse_info_breakpoints(got_lines)
    for bid in sorted(set(got) | set(want)):
        g, w = got.get(bid), want.get(bid)
        if g is None:
            fails.append(f"{where}: `info breakpoints` lacks breakpoint {bid} {w}")
            continue
        if w is None:
            fails.append(f"{where}: `info breakpoints` lists breakpoint {bid} ({g['where']}), "
                         f"which should be gone (deleted, or a tbreak already hit)")
            continue
        for k in ("disp", "enabled", "where", "cond", "hits"):
            if g[k] != w[k]:
                note = ""
                if k == "hits" and w["cond"]:
                    note = " (expected: hits counted when the condition holds, as gdb does)"
                fails.append(f"{where}: breakpoint {bid} ({w['where']}) {k} = {g[k]!r}, "
                             f"expected {w[k]!r}{note}")


def check_stop(i, e, bid, block, cmds_after, names, fails, ticks_seen):
    want_stop = tuple(e["stack"][-1])
    stop, lines = block
    label = f"stop {i + 1} (hit of breakpoint {bid}, `{e['label']}`)"
    if stop != (want_stop[0], want_stop[1], want_stop[2]):
        return False
    parts, ticks = navlib.split_by_when(lines)
    if ticks:
        ticks_seen.append(ticks[0])
    # parts: [0] '-> src', [1] locals, [2] bt, then one per print, then one per action
    if len(parts) < 3 + len(names):
        fails.append(f"{label}: expected {3 + len(names)} command outputs, got {len(parts)}: "
                     f"{lines[:8]}")
        return True
    if e["locals"] is not None:
        got = navlib.parse_locals(parts[1])
        if got != e["locals"]:
            if sorted(map(tuple, got)) == sorted(map(tuple, e["locals"])):
                fails.append(f"{label}: `locals` order {[k for k, _ in got]} differs from "
                             f"locals() order {[k for k, _ in e['locals']]}")
            else:
                fails.append(f"{label}: `locals` printed {got}, the program had {e['locals']}")
    got_bt = navlib.parse_bt(parts[2])
    want_bt = [tuple(f) for f in reversed(e["stack"])]
    if got_bt != want_bt:
        fails.append(f"{label}: `bt` printed {got_bt}, traceback.extract_stack had {want_bt}")
    want_vals = dict(e["locals"] or [])
    want_vals.update(e["extra"])
    for k, name in enumerate(names):
        got = "\n".join(parts[3 + k]).strip()
        if got != want_vals[name]:
            fails.append(f"{label}: `p {name}` printed {got!r}, the program had "
                         f"{want_vals[name]!r}")
    base = 3 + len(names)
    for k, (text, kind, payload) in enumerate(cmds_after):
        out = parts[base + k] if base + k < len(parts) else []
        if kind == "info":
            compare_table(f"{label}, after it", out, payload, fails)
        elif kind == "break":
            if not out or not out[0].startswith(payload):
                fails.append(f"{label}: `{text}` printed {out[:2]}, expected {payload!r}")
        elif out:
            fails.append(f"{label}: `{text}` printed {out[:3]}, expected nothing")
    return True


def main_scenario(args, trace, events):
    sc, start, actions = build(events)
    start_cmds, stops, end_cmds = simulate(sc, events, start, actions)
    cmds = ["when"]
    for text, _, _ in start_cmds:
        cmds += [text, "when"]
    expected_names = []
    for e, bid, after in stops:
        inspect, names = inspect_cmds(e)
        expected_names.append(names)
        cmds += ["continue"] + inspect
        for text, _, _ in after:
            cmds += [text, "when"]
    cmds += ["continue", "when"]
    for text, _, _ in end_cmds:
        cmds += [text]
    status, out, err, secs = navlib.replay(args.pytt, trace, cmds, timeout=240)
    print(f"main scenario: {len(stops)} expected stops, {len(cmds)} commands, replay took "
          f"{secs:.1f}s (status {status})")
    fails = []
    if status == "timeout":
        fails.append(f"pytt replay timed out; output tail: {navlib.clip(out)}")
    blocks = cut_blocks(out)
    # blocks[1] is the start (first line of the main script), then one per `continue`
    if len(blocks) < 2 or blocks[1][0] is None or blocks[1][0][0] != PROG:
        fails.append(f"the replay did not start at the main script: {navlib.clip(out)} "
                     f"stderr: {navlib.clip(err)}")
        return fails
    parts, _ = navlib.split_by_when(blocks[1][1])
    for k, (text, kind, payload) in enumerate(start_cmds):
        got = parts[k + 1] if k + 1 < len(parts) else []
        # pending breakpoints add " (pending: that code is not loaded yet)"
        if kind == "break" and (not got or not got[0].startswith(payload)):
            fails.append(f"at the start: `{text}` printed {got[:2]}, expected {payload!r}")
    ticks = []
    for i, (e, bid, after) in enumerate(stops):
        bi = i + 2
        if bi >= len(blocks):
            fails.append(f"stop {i + 1}: pytt stopped only {len(blocks) - 2} times; expected "
                         f"{len(stops)} stops then the exit. Expected stop {i + 1}: "
                         f"{tuple(e['stack'][-1])} (`{e['label']}`, locals {e['locals']}). "
                         f"Output tail: {navlib.clip(out, 400)}")
            break
        if not check_stop(i, e, bid, blocks[bi], after, expected_names[i], fails, ticks):
            got = blocks[bi][0]
            ctx = [b[0] for b in blocks[bi: bi + 4]]
            fails.append(f"stop {i + 1}: expected the hit of breakpoint {bid} at "
                         f"{tuple(e['stack'][-1])} (`{e['label']}`, locals {e['locals']}), "
                         f"pytt stopped at {got}; its next stops: {ctx[1:]}")
            prev = [s[0]['label'] for s in stops[max(0, i - 3):i]]
            fails.append(f"  (previous expected stops: {prev}; pytt printed here: "
                         f"{blocks[bi][1][:3]})")
            return fails
    if ticks != sorted(ticks) or len(set(ticks)) != len(ticks):
        fails.append(f"`when` ticks at the stops are not strictly increasing: {ticks[:20]}")
    last = len(stops) + 2
    if last >= len(blocks) or blocks[last][0] is None or blocks[last][0][0] != "EXIT":
        got = blocks[last][0] if last < len(blocks) else "nothing"
        fails.append(f"after the last expected stop, `continue` should end the program "
                     f"(\"The program exited with status 0.\"), got {got}")
    else:
        if blocks[last][0][1] != 0:
            fails.append(f"exit status {blocks[last][0][1]}, expected 0")
        parts, _ = navlib.split_by_when(blocks[last][1])
        compare_table("at the end", parts[-1], end_cmds[0][2], fails)
    return fails


def sequence_scenario(args, trace, events, name, breaks, labels, why):
    """Set `breaks` at the start, then `continue` to the end: the stops must be exactly the
    program's hits of `labels`, in order, then the exit."""
    want = [e for e in events if e["label"] in labels]
    cmds = breaks + ["continue"] * (len(want) + 1)
    status, out, err, secs = navlib.replay(args.pytt, trace, cmds, timeout=240)
    print(f"{name} scenario: {len(breaks)} breakpoints, {len(want)} expected stops, "
          f"replay took {secs:.1f}s")
    blocks = cut_blocks(out)
    got = [b[0] for b in blocks[2:]]
    exp = [tuple(e["stack"][-1]) for e in want] + [("EXIT", 0, "")]
    if got == exp:
        return []
    i = next((k for k, (a, b) in enumerate(zip(got, exp)) if a != b), min(len(got), len(exp)))
    return [f"{name}: {why}: stop {i + 1} should be {exp[i] if i < len(exp) else 'none'} "
            f"(`{want[i]['label'] if i < len(want) else 'exit'}`), pytt gave "
            f"{got[i] if i < len(got) else 'nothing'} ({len(got)} results for {len(exp)} "
            f"expected; next ones: {got[i + 1:i + 3]}); pytt printed: "
            f"{blocks[i + 2][1][:2] if i + 2 < len(blocks) else navlib.clip(out, 300)}"]


def self_tracing_scenario(args, tmp):
    """A program using sys.settrace itself: stopping in its traced code (breakpoint hits, then
    steps) must leave its own line events, hence its output, as recorded."""
    prog = os.path.join(ORACLE, "self_tracing.py")
    trace = os.path.join(tmp, "self_tracing")
    recorded = navlib.record(args.pytt, args.python, prog, trace)
    line = navlib.find_line(prog, "# BP:traced")
    fails = []
    for name, cmds in (("breakpoint", [f"break {prog}:{line}"] + ["continue"] * 3 +
                        ["delete", "continue"]),
                       ("step", [f"tbreak {prog}:{line}", "continue", "step", "step",
                                 "continue"])):
        out_file = os.path.join(tmp, f"self_tracing.{name}.out")
        with open(os.path.join(tmp, "cmds"), "w") as f:
            f.write("\n".join(cmds) + "\n")
        status, out, err, secs = navlib.run(
            [args.pytt, "replay", trace, "--batch", "-x", os.path.join(tmp, "cmds"),
             "--program-output", out_file], 120)
        replayed = open(out_file).read() if os.path.exists(out_file) else ""
        exited = any(navlib.EXITED.match(l) for l in out.splitlines())
        if replayed != recorded or not exited:
            why = next((l for l in out.splitlines() if "diverged" in l), "")
            fails.append(f"self-tracing ({name}): a program that uses sys.settrace, replayed "
                         f"with {cmds}: {'exited' if exited else 'did not reach its exit'}; "
                         f"{why or 'no divergence message'}; program output "
                         f"{'identical' if replayed == recorded else 'differs'}: recorded "
                         f"{recorded.strip()[:70]!r}... replayed {replayed.strip()[:70]!r}")
    print(f"self-tracing scenario: {len(fails)} of 2 variants failed")
    return fails


def no_code_line_scenario(args, trace):
    """`break` on a line of a loaded file that has no code (a blank line, past the end): pdb
    refuses it ("Blank or comment" / "Line N out of range"), gdb moves it to the next line with
    code; it must not be accepted as pending ("that code is not loaded yet") and never hit."""
    blank = next(i for i, t in enumerate(open(PROG), 1) if not t.strip())
    past = sum(1 for _ in open(PROG)) + 50
    cmds = [f"break {PROG}:{blank}", f"break {PROG}:{past}"]
    status, out, err, secs = navlib.replay(args.pytt, trace, cmds, timeout=120)
    fails = []
    for cmd in cmds:
        line = cmd.split(":")[-1]
        got = next((l for l in out.splitlines() if l.endswith(f":{line}") or f":{line} " in l
                    or l.startswith("error")), "")
        if "pending" in got:
            fails.append(f"no-code line: `{cmd}` ({'a blank line' if cmd == cmds[0] else 'past the end of the file'}) "
                         f"printed {got!r}: accepted as pending although {os.path.basename(PROG)} "
                         f"is loaded; pdb refuses it, gdb moves it to the next line with code")
    print(f"no-code-line scenario: {len(fails)} of 2 failed")
    return fails


def line_of(events, label):
    return next(e["stack"][-1][1] for e in events if e["label"] == label)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pytt", required=True)
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("--keep", action="store_true", help="keep the trace (prints its path)")
    args = ap.parse_args()
    navlib.need_python(args.python)
    tmp = tempfile.mkdtemp(prefix="pytt-nav-bp-")
    trace = os.path.join(tmp, "trace")
    out = navlib.record(args.pytt, args.python, PROG, trace)
    events = [json.loads(l[4:]) for l in out.splitlines() if l.startswith("HIT ")]
    print(f"recorded {PROG} with {args.python}: {len(events)} probe hits")
    fails = main_scenario(args, trace, events)
    many = ["loop", "cond_int", "cond_str", "cond_none", "tmp", "toggle", "marker", "del",
            "compute", "fused", "gen", "handler"]
    fails += sequence_scenario(
        args, trace, events, "many", [f"break {PROG}:{line_of(events, l)}" for l in many], many,
        f"{len(many)} unconditional breakpoints set at the start (pdb has no limit)")
    fails += self_tracing_scenario(args, tmp)
    fails += no_code_line_scenario(args, trace)
    fails += sequence_scenario(
        args, trace, events, "pending-method", ["break Rect.area", "break compute"],
        ["rect_area", "compute"],
        "`break Rect.area` and `break compute` set before their classes/functions exist "
        "(Circle.area, called before each Rect.area, must not stop)")
    total = len(fails)
    if total > MAX_REPORTED:
        fails = fails[:MAX_REPORTED] + [f"... and {total - MAX_REPORTED} more mismatches"]
    navlib.finish(fails, tmp, f"trace kept: {trace} (replay it: {args.pytt} replay {trace})",
                  f"{total} mismatches", keep=args.keep)


main()
