"""Random mixes of motions, forwards and backwards, against the replay itself: for fixed seeds, a
session runs 25 random commands (step, next, finish, until, continue, their reverse twins,
goto start, catch raise, breakpoints and tbreaks set on random lines and deleted), printing `when`, `bt` and `locals` after each; a second
session goes to the end, then back to 6 of the ticks visited, and must show there the same `bt`
and `locals` as the first did. No command may fail other than a motion that is meaningless
where it is (finish in the outermost frame), and nothing may diverge. Programs: a nav program
with calls and loops, and one whose signal handlers run inside a busy loop."""
import os
import random
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import navlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = [os.path.join(HERE, "programs", "basics.py"),
            os.path.join(HERE, "oracle", "signal_prog.py")]
SEEDS = 10
MOTIONS = ["step", "next", "finish", "continue", "until", "reverse-step", "reverse-next",
           "reverse-finish", "reverse-continue", "reverse-continue", "goto start", "catch raise",
           "catch raise ValueError"]
NOISE = ("Breakpoint ", "Temporary", "Catchpoint", "Exception raised", "Deleted",
         "No breakpoint", "At the start", "The program", "Run till", "Value returned",
         "No earlier", "error", "No file named", "No function named")


def session(pytt, trace, cmds):
    """(stdout, stdout + stderr): progress lines go to stderr."""
    status, out, err, _ = navlib.replay(pytt, trace, cmds)
    return out, out + err


def random_commands(rng, prog):
    lines = [i for i, text in enumerate(open(prog), 1)
             if text.strip() and not text.lstrip().startswith(("#", '"""'))]
    cmds = []
    for _ in range(25):
        r = rng.random()
        if r < 0.12:
            kind = "tbreak" if rng.random() < 0.3 else "break"
            cmds.append(f"{kind} {prog}:{rng.choice(lines)}")
        elif r < 0.16:
            cmds.append("delete")
        else:
            cmds.append(rng.choice(MOTIONS))
        cmds += ["when", "bt", "locals"]
    return cmds


def states(out):
    """{tick: the bt and locals lines printed after its `when`} (first occurrence), skipping
    the end of the recording (no Python state there)."""
    seen, tick, buf = {}, None, []
    for line in out.splitlines() + ["> end"]:
        m = navlib.WHEN.match(line)
        if m or line.startswith("> "):
            if tick is not None and not any("not being run" in b for b in buf):
                seen.setdefault(tick, [b for b in buf if not b.startswith(NOISE)])
            tick, buf = (navlib.tick(m.group(1)), []) if m else (None, [])
        elif tick is not None and not line.startswith("->"):
            buf.append(line)
    return seen


def errors(out):
    return [line for line in out.splitlines()
            if (line.startswith("error") and "not meaningful" not in line) or
            "diverged" in line]


def check_seed(pytt, trace, prog, seed):
    rng = random.Random(seed)
    cmds = random_commands(rng, prog)
    first, first_all = session(pytt, trace, cmds)
    visited = states(first)
    picks = rng.sample(sorted(visited), min(6, len(visited)))
    again = ["goto end"]
    for t in picks:
        again += [f"goto {navlib.tick_str(t)}", "when", "bt", "locals"]
    second, second_all = session(pytt, trace, again)
    problems = errors(first_all) + errors(second_all)
    revisited = states(second)
    for t in picks:
        if revisited.get(t) != visited[t]:
            problems.append(f"tick {t}: after the random motions {visited[t][:4]}, after goto "
                            f"{revisited.get(t, ['(not reached)'])[:4]}")
    if problems:
        print(f"FAIL: {os.path.basename(prog)} seed {seed}: " + "\n  ".join(problems[:5]) +
              "\n  commands: " + ", ".join(c for c in cmds if c not in ("when", "bt", "locals")))
    return not problems


def main():
    args = navlib.pytt_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for prog in PROGRAMS:
            trace = os.path.join(tmp, os.path.basename(prog))
            navlib.record(args.pytt, args.python, prog, trace)
            for seed in range(SEEDS):
                ok = check_seed(args.pytt, trace, prog, seed) and ok
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
