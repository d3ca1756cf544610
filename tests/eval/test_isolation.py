"""Isolation: expressions that append to a list, write a file, print, call os._exit, loop
forever or crash the interpreter (ctypes) run in a throwaway copy and leave the replay exactly
as it was: later `print`s show the original list, the file was never written, what the
evaluation printed is shown, each failure is reported and the session goes on, and running on
to the end then reproduces the recorded output (byte for byte) and `goto end` the final tick,
exactly as a session without evaluations does; `replay -a` reproduces the output too.

Exit 0 if everything held, 1 otherwise, 77 if the interpreter is absent."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nav"))
import navlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROG = os.path.join(HERE, "programs", "isolation.py")


def session(args, trace, tmp, name, commands):
    script = os.path.join(tmp, name + ".pytt")
    with open(script, "w") as f:
        f.write("\n".join(commands) + "\n")
    outfile = os.path.join(tmp, name + ".out")
    status, out, err, _ = navlib.run([args.pytt, "replay", trace, "--batch", "-x", script,
                                      "--program-output", outfile], 120)
    with open(outfile, "rb") as f:
        program = f.read()
    return status, out, err, program


def main():
    args = navlib.pytt_args(lambda ap: ap.add_argument("--keep", action="store_true"))
    tmp = tempfile.mkdtemp(prefix="pytt-isolation-")
    trace = os.path.join(tmp, "trace")
    victim = os.path.join(tmp, "must-not-exist")
    recorded = navlib.record(args.pytt, args.python, PROG, trace, args=[victim])
    stop = f"break {PROG}:{navlib.find_line(PROG, '# the stop')}"
    tail = ["delete", "continue", "goto end", "when"]
    plain = session(args, trace, tmp, "plain", [stop, "continue"] + tail)
    evals = [
        ("p items.append(99)", "None"),
        ("p items", "[1, 2, 3]"),
        ("!items.append(100); print(items)", "[1, 2, 3, 100]"),
        ("p items", "[1, 2, 3]"),
        (f"p open({victim!r}, 'w').write('x')", "*** PermissionError: [Errno 1] Operation not "
         f"permitted: {victim!r}"),
        (f"!import os; os.close(os.open({victim!r}, os.O_CREAT | os.O_WRONLY))",
         "*** PermissionError: [Errno 1] Operation not permitted: " + repr(victim)),
        ("p print('said by the expression') or total", "said by the expression\n10"),
        ("p os._exit(7)", "*** the evaluation ended the process (exit status 7, e.g. os._exit); "
         "the replay is unchanged"),
        ("p items", "[1, 2, 3]"),
        ("set eval-timeout 1", ""),
        ("p [0 for _ in iter(int, 1)]", "*** the evaluation did not finish within 1 s (set "
         "eval-timeout SECONDS); the replay is unchanged"),
        ("p __import__('ctypes').string_at(0)", "*** the evaluation crashed the interpreter "
         "(Segmentation fault at 0x"),
        ("p items", "[1, 2, 3]"),
        ("p total", "10"),
    ]
    cmds = [stop, "continue"]
    for c, _ in evals:
        cmds += [c, "when"]
    cmds += tail
    status, out, err, program = session(args, trace, tmp, "evals", cmds)
    fails = []
    stops = [b for b in navlib.blocks(out)[1:] if b[0] and b[0][0] == PROG]
    parts, ticks = navlib.split_by_when(stops[1][1][1:] if len(stops) > 1 else [])
    for i, (c, want) in enumerate(evals):
        got = "\n".join(l for l in parts[i] if not l.startswith("(refused ")) if i < len(parts) else "<missing>"
        ok = got.startswith(want) if "Segmentation" in want else got == want
        if not ok:
            fails.append(f"`{c}` printed {got!r}, expected {want!r}")
    if len(set(ticks[:len(evals)])) != 1:
        fails.append(f"the stop's tick moved during the evaluations: {ticks[:len(evals)]}")
    if os.path.exists(victim):
        fails.append(f"{victim} was created")
    end_plain = plain[1].strip().splitlines()[-1]
    end_evals = out.strip().splitlines()[-1]
    if end_plain != end_evals or not end_plain.startswith("tick "):
        fails.append(f"goto end: `when` says {end_evals!r}, without evaluations {end_plain!r}")
    if program != plain[3] or not plain[3].startswith(recorded.encode()):
        fails.append(f"replayed output {program!r} (without evaluations {plain[3]!r}), "
                     f"recorded {recorded!r}")
    status, aout, aerr, _ = navlib.run([args.pytt, "replay", trace, "-a"], 120)
    if aout != recorded:
        fails.append(f"replay -a printed {aout!r}, recorded {recorded!r}")
    navlib.finish(fails, tmp, f"kept {tmp}", "FAILED", keep=args.keep)


if __name__ == "__main__":
    main()
