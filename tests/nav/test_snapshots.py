"""Snapshots on a real recording (tests/nav/oracle/long_loop.py, about 70 snapshot intervals):
  - with PYTT_SNAPSHOTS=5, `info snapshots` after goto end, a backward goto, and another one
    lists exactly 5, always including the start; going back from the current position, the gaps
    between kept snapshots never shrink (spacing grows with distance from where the user is),
    and one lies within an interval (2^19 counted dispatches) before it;
  - restoring never disturbs a snapshot: the same moment reached from different places and after
    restores shows the same `when`, stop and values;
  - with PYTT_SNAPSHOT_MB=1, fewer snapshots are kept than with no budget (never the start), and
    the same moments still show the same values."""
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import navlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROG = os.path.join(HERE, "oracle", "long_loop.py")
SNAP = re.compile(rf"^\s+tick {navlib.TICK}\s+pid \d+")
INTERVAL = 1 << 19  # counted dispatches between automatic snapshots (REP_SNAP_INTERVAL)


def session(pytt, trace, cmds, env_extra):
    os.environ.update(env_extra)
    try:
        status, out, err, _ = navlib.replay(pytt, trace, cmds)
    finally:
        for k in env_extra:
            del os.environ[k]
    return out


def snapshot_lists(out):
    """The tick lists of each `info snapshots` in out, in order."""
    lists, cur = [], None
    for line in out.splitlines():
        if "snapshot" in line and "forks of the replayed process" in line:
            cur = []
            lists.append(cur)
        elif cur is not None and SNAP.match(line):
            cur.append(navlib.tick(SNAP.match(line).group(1)))
        else:
            cur = None
    return lists


def values(out):
    """(when ticks, stops, printed integers) of a transcript, for comparing moments."""
    lines = out.splitlines()
    return ([navlib.tick(m.group(1)) for m in map(navlib.WHEN.match, lines) if m],
            [s for s in map(navlib.stop_of, lines) if s],
            [line for line in lines if line.isdigit()])


def check_spacing(ticks, here, what):
    below = sorted((t for t in ticks if t <= here), reverse=True)
    gaps = [a - b for a, b in zip(below, below[1:])]
    ok = True
    if not below or navlib.counted(here) - navlib.counted(below[0]) > INTERVAL:
        print(f"FAIL: {what}: no snapshot within {INTERVAL} counted dispatches before tick "
              f"{here}: {ticks}")
        ok = False
    if any(g2 < g1 for g1, g2 in zip(gaps, gaps[1:])):
        print(f"FAIL: {what}: gaps shrink going back from tick {here}: {gaps} ({ticks})")
        ok = False
    return ok


def main():
    args = navlib.pytt_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "trace")
        navlib.record(args.pytt, args.python, PROG, trace, args=["6"])
        probe = ["p i", "p total", "when"]
        # two moments of the run: 70% and 30% through its counted dispatches (as `goto` takes)
        last = values(session(args.pytt, trace, ["goto end", "when"], {}))[0]
        if not last:
            print("FAIL: goto end gave no tick")
            return 1
        MID = navlib.tick(str(navlib.counted(last[-1]) * 7 // 10))
        EARLY = navlib.tick(str(navlib.counted(last[-1]) * 3 // 10))
        mid, early = navlib.tick_str(MID), navlib.tick_str(EARLY)
        cmds = (["when", "goto end", "when", "info snapshots", f"goto {mid}", "info snapshots"] +
                probe + [f"goto {early}", "info snapshots"] + probe +
                ["goto start", "when", f"goto {mid}"] + probe + ["goto end", f"goto {mid}"] +
                probe)
        out = session(args.pytt, trace, cmds, {"PYTT_SNAPSHOTS": "5"})
        whens, stops, printed = values(out)
        lists = snapshot_lists(out)
        if len(lists) != 3 or len(whens) < 7:
            print(f"FAIL: expected 3 snapshot lists and 7 `when`s\n{navlib.clip(out, 3000)}")
            return 1
        start, end = whens[0], whens[1]
        for ticks, here, what in zip(lists, (end, MID, EARLY), ("after goto end",
                                                                f"after goto {MID}",
                                                                f"after goto {EARLY}")):
            if len(ticks) != 5 or ticks[0] != start:
                print(f"FAIL: {what}: kept {ticks}, expected 5 starting with tick {start}")
                ok = False
            ok = check_spacing(ticks, here, what) and ok
        # the moment MID, reached 3 times from different places: same values each time
        mid_values = [printed[i:i + 2] for i in (0, 4, 6)]
        if printed[0:2] == printed[2:4] or any(v != mid_values[0] for v in mid_values):
            print(f"FAIL: tick {MID} shows different values when reached from elsewhere, or "
                  f"tick {EARLY} the same as it: {printed}")
            ok = False
        if whens[2:7] != [MID, EARLY, start, MID, MID]:
            print(f"FAIL: goto start / goto {MID} landed at {whens}")
            ok = False
        budget = session(args.pytt, trace, ["goto end", "info snapshots", f"goto {mid}"] + probe,
                         {"PYTT_SNAPSHOT_MB": "1"})
        kept = snapshot_lists(budget)
        _, _, bprinted = values(budget)
        if not kept or not 2 <= len(kept[0]) < len(lists[0]) or kept[0][0] != start:
            print(f"FAIL: PYTT_SNAPSHOT_MB=1 kept {kept}; without a budget {lists[0]}")
            ok = False
        if bprinted != mid_values[0]:
            print(f"FAIL: with a budget, tick {MID} shows {bprinted}, not {mid_values[0]}")
            ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
