"""Reverse-execution oracles on a real recording (tests/nav/oracle/reverse_prog.py):
  - reverse-finish from inside helper() lands in loop() on the call's line;
  - reverse-continue walks back through a breakpoint's hits, with `locals` at each equal to
    what the forward continue showed at the same hit (in reverse order);
  - with --end (the program died of ZeroDivisionError) the replayed traceback is shown, the
    shell opens at the raise in the innermost frame (post mortem), and
    `catch raise` + reverse-continue stops on the raising line with that frame's locals;
  - forwards, `catch raise` + continue stops there too; `info catch` lists the catchpoint,
    `delete` removes it and continue then reaches the end;
  - after a mix of forward and backward motions, `goto end` lands on the recording's last tick
    and no command failed (no divergence);
  - in a loop of a million iterations (oracle/hot_loop.py), reverse-next from the line after it
    and reverse-continue to a breakpoint in its body step back one iteration at a time, with
    the values of `i` and `total` that iteration had (computed here), and continue goes
    forward again to the next one;
  - with Python signal handlers running inside a busy loop (oracle/signal_prog.py): a breakpoint
    in the handler stops at each of the 5 calls (len(hits) 0..4) and reverse-continue retraces
    them (3..0); 60 `step`s from just before the first call, then 60 `reverse-step`s, retrace
    the same stops; `goto end` still reaches the recording's last tick;
  - with breakpoint hits far apart in two threads (oracle/sparse_prog.py, the line after a
    loop, which starts with a fused pair's second half on 3.11/3.12), reverse-continue from the
    end walks back through every hit (each thread's in the reverse of its own output), with its
    values, takes the sparse pass (`maint stats`), and stops at the same ticks as the exact
    search alone (PYTT_RC_EXACT=1)."""
import os
import re
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import navlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROG = os.path.join(HERE, "oracle", "reverse_prog.py")
HOT = os.path.join(HERE, "oracle", "hot_loop.py")
HOT_N = 1_000_000
SIG = os.path.join(HERE, "oracle", "signal_prog.py")
SPARSE = os.path.join(HERE, "oracle", "sparse_prog.py")
STOP = re.compile(r"^> (.*)\((-?\d+)\)(.*)\(\)$")


def line_of(text):
    return next(i for i, t in enumerate(open(PROG), 1) if t.strip().startswith(text))


def replay(pytt, trace, cmds, extra=(), env=None):
    args = [pytt, "replay", trace, "--batch", "--program-output", os.devnull, *extra]
    for c in cmds:
        args += ["-ex", c]
    return subprocess.run(args, capture_output=True, text=True, timeout=300,
                          env=env).stdout


def blocks(out):
    """[(stop, lines after it)] for each pdb-format stop."""
    res = []
    for line in out.splitlines():
        m = STOP.match(line)
        if m:
            res.append(((m.group(1), int(m.group(2)), m.group(3)), []))
        elif res:
            res[-1][1].append(line)
    return res


def check(cond, what, out):
    if not cond:
        print(f"FAIL: {what}\n--- pytt output ---\n{out[-3000:]}")
    return cond


def main():
    args = navlib.pytt_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "trace")
        rec = subprocess.run([args.pytt, "record", "-o", trace, args.python, PROG],
                             capture_output=True, text=True, timeout=120)
        assert rec.returncode == 1, rec
        call_line, body_line = line_of("acc = acc + helper(i)"), line_of("doubled = k * 2")

        # reverse-finish lands on the caller's call line
        out = replay(args.pytt, trace, [f"break {PROG}:{body_line}", "continue", "continue",
                                        "reverse-finish"])
        b = blocks(out)
        ok &= check(len(b) >= 4 and b[3][0] == (PROG, call_line, "loop"),
                    f"reverse-finish should stop at {PROG}:{call_line} in loop", out)

        # reverse-continue retraces the hits with the same locals, backwards
        forward = replay(args.pytt, trace, [f"break {PROG}:{call_line}"] +
                         ["continue", "locals"] * 6)
        fwd = [(s, [l for l in ls if " = " in l]) for s, ls in blocks(forward)[1:]]
        back = replay(args.pytt, trace, [f"break {PROG}:{call_line}"] + ["continue"] * 6 +
                      ["locals"] + ["reverse-continue", "locals"] * 5)
        bwd = [(s, [l for l in ls if " = " in l]) for s, ls in blocks(back)[6:]]
        ok &= check(len(fwd) == 6 and bwd == fwd[::-1],
                    "reverse-continue hits (with locals) should be the forward hits reversed:\n"
                    f"forward {fwd}\nbackward {bwd}", back)

        # --end, catch raise, reverse-continue: the raising line with its locals
        out = replay(args.pytt, trace, ["catch raise ZeroDivisionError", "reverse-continue",
                                        "locals"], extra=["--end"])
        b = blocks(out)
        raise_line = line_of("q = a // b")
        stop = next((s for s in reversed(b) if s[0][1] == raise_line), None)
        ok &= check(stop is not None and stop[0][2] == "divide" and
                    "a = 12" in stop[1] and "b = 0" in stop[1] and
                    "Exception raised: ZeroDivisionError" in out,
                    f"catch raise + rc after --end should stop at {PROG}:{raise_line} with "
                    "a = 12, b = 0", out)

        # --end opens post mortem: at the raise, in the innermost frame of the traceback (not in
        # the traceback printer's <frozen codecs>), with that frame's locals
        out = replay(args.pytt, trace, ["bt", "locals"], extra=["--end"])
        b = blocks(out)
        ok &= check(len(b) == 1 and b[0][0] == (PROG, raise_line, "divide") and
                    "a = 12" in b[0][1] and "b = 0" in b[0][1] and "<frozen" not in out and
                    "Post mortem: the uncaught ZeroDivisionError was raised here" in out,
                    f"--end should open at {PROG}:{raise_line} in divide (the raise), bt and "
                    "locals there", out)

        # --end shows the program's uncaught traceback (its own stderr, replayed) before the
        # shell opens at the last moment
        end = subprocess.run([args.pytt, "replay", trace, "--end", "--batch", "-ex", "when"],
                             capture_output=True, text=True, timeout=300)
        ok &= check("Traceback (most recent call last):" in end.stderr and
                    "ZeroDivisionError" in end.stderr and
                    "The program exited with status 1." in end.stdout,
                    "--end should replay the uncaught traceback, then say the program exited 1",
                    end.stdout + end.stderr)

        # catch raise forwards: continue stops at the raise; info catch lists it; delete removes
        # it, and continue then runs to the end
        out = replay(args.pytt, trace, ["catch raise ZeroDivisionError", "info catch", "continue",
                                        "locals", "delete", "info catch", "continue"])
        b = blocks(out)
        stop = next((s for s in b if s[0][1] == raise_line), None)
        ok &= check(stop is not None and "a = 12" in stop[1] and "b = 0" in stop[1] and
                    out.count("raise of ZeroDivisionError") >= 1 and
                    "No breakpoints." in out and "The program exited with status 1." in out,
                    "catch raise + continue should stop at the raise; after delete, continue "
                    "should reach the end", out)

        # any mix of motions, then goto end: the recording's last tick, no error
        ticks = [navlib.tick(l.split()[1].rstrip(",")) for l in
                 replay(args.pytt, trace, ["goto end", "when"]).splitlines()
                 if l.startswith("tick ")]
        out = replay(args.pytt, trace, [f"break {PROG}:{body_line}", "continue", "next",
                                        "reverse-step", "reverse-next", "continue", "finish",
                                        "reverse-continue", "goto start", "step",
                                        "reverse-step", "delete", "goto end", "when"])
        end_ticks = [navlib.tick(l.split()[1].rstrip(",")) for l in out.splitlines()
                     if l.startswith("tick ")]
        ok &= check(ticks and end_ticks == ticks[-1:] and "error" not in out,
                    f"after motions, goto end should reach tick {ticks} without errors", out)
        ok &= check_hot_loop(args, tmp)
        ok &= check_signals(args, tmp)
        ok &= check_sparse(args, tmp)
    print("ok" if ok else "FAILED")
    sys.exit(0 if ok else 1)


def check_hot_loop(args, tmp):
    """rn/rc one iteration at a time at the end of a hot loop; values from Python itself."""
    trace = os.path.join(tmp, "hot")
    subprocess.run([args.pytt, "record", "-o", trace, args.python, HOT, str(HOT_N)], check=True,
                   capture_output=True, timeout=120)
    n = HOT_N
    total = {k: sum(i % 7 for i in range(k + 1)) for k in (n - 4, n - 3, n - 2, n - 1)}
    after, body = line_of_in(HOT, "result = total"), line_of_in(HOT, "total += i % 7")
    head = body - 1
    cmds = [f"break {HOT}:{after}", "continue", "reverse-next", "p i", "reverse-next", "p i",
            "p total", "reverse-next", "p i", "delete", f"break {HOT}:{body}",
            "reverse-continue", "p i", "p total", "reverse-continue", "p i", "continue", "p i"]
    out = replay(args.pytt, trace, cmds)
    # at the `for` line the next i is not assigned yet: i still holds the previous iteration's
    stops = [s[1] for s, _ in blocks(out)[1:]]
    values = [line for line in out.splitlines() if line.isdigit()]
    want_stops = [after, head, body, head, body, body, body]
    want_values = [n - 1, n - 1, total[n - 2], n - 2, n - 2, total[n - 3], n - 3, n - 2]
    return check(stops == want_stops and values == [str(v) for v in want_values],
                 f"hot loop: expected stops {want_stops} with values {want_values}, got "
                 f"{stops} and {values}", out)


def check_signals(args, tmp):
    """Breakpoints and steps across signal handlers, forwards and backwards."""
    trace = os.path.join(tmp, "sig")
    subprocess.run([args.pytt, "record", "-o", trace, args.python, SIG], check=True,
                   capture_output=True, timeout=120)
    end = [l for l in replay(args.pytt, trace, ["goto end", "when"]).splitlines()
           if l.startswith("tick ")]
    out = replay(args.pytt, trace, ["break handler"] + ["continue", "p hits"] * 5 +
                 ["reverse-continue", "p hits"] * 4 + ["goto end", "when"])
    values = [l for l in out.splitlines() if l.startswith("[")]
    ticks = [l for l in out.splitlines() if l.startswith("tick ")]
    want = [str([int(signal.SIGALRM)] * n) for n in (0, 1, 2, 3, 4, 3, 2, 1, 0)]
    ok = check(values == want and ticks == end[-1:]
               and "error" not in out,
               f"signal handlers: breakpoint hits 0..4 then 3..0 and the end tick {end}", out)
    # steps across the first handler call, forwards then backwards
    first = [l for l in replay(args.pytt, trace, ["break handler", "continue", "when"])
             .splitlines() if l.startswith("tick ")]
    # a few counted dispatches (calls, loop iterations) before the handler's first hit
    t0 = navlib.counted(navlib.tick(first[-1].split()[1].rstrip(","))) - 4
    # goto may land between line events (a frame's start, when the first SIGALRM came while
    # signal.signal ran): a first step starts the walk at a line event, which reverse-step can
    # come back to (a goto's moment itself it cannot: it steps to the previous line event)
    out = replay(args.pytt, trace, [f"goto {t0}", "step"] + ["step"] * 60 + ["reverse-step"] * 60)
    stops = [s for s, _ in blocks(out)[2:]]  # after the session's first stop and goto's: one each
    fwd, back = stops[0:61], stops[61:]
    return check(ok and len(fwd) == 61 and back == fwd[-2::-1] and
                 any(s[2] == "handler" for s in fwd) and "error" not in out,
                 "signal handlers: 60 steps across a handler call, then 60 reverse-steps, "
                 f"should retrace the same stops (forward {fwd[:8]}..., back {back[:8]}...)",
                 out) and ok


def check_sparse(args, tmp):
    """reverse-continue over long spans: the sparse pass, against the program and the exact."""
    trace = os.path.join(tmp, "sparse")
    rec = subprocess.run([args.pytt, "record", "-o", trace, args.python, SPARSE], check=True,
                         capture_output=True, text=True, timeout=300)
    printed = [tuple(l.split()) for l in rec.stdout.splitlines()]
    line = line_of_in(SPARSE, "w = v + 1")
    cmds = [f"break {SPARSE}:{line}", "goto end"] + \
        ["reverse-continue", "p f'{tag} {k} {v}'", "when"] * (len(printed) + 1) + ["maint stats"]
    outs = {}
    for exact in ("0", "1"):
        outs[exact] = replay(args.pytt, trace, cmds,
                             env=dict(os.environ, PYTT_RC_EXACT=exact))
    got = [tuple(l.strip("'").split()) for l in outs["0"].splitlines()
           if l.startswith("'")]
    got_exact = [tuple(l.strip("'").split()) for l in outs["1"].splitlines()
                 if l.startswith("'")]
    # a thread can be switched out between the breakpoint's line and its print: the hits are
    # what each thread printed, each thread's in reverse, in the exact search's order
    per_thread = all([k for t, k, _ in got if t == tag] ==
                     [k for t, k, _ in printed[::-1] if t == tag] for tag in ("M", "T"))
    passes = re.findall(r"sparse passes: (\d+)", outs["0"])
    ticks = {e: [l for l in o.splitlines() if l.startswith("tick ")] for e, o in outs.items()}
    exact_passes = re.findall(r"sparse passes: (\d+)", outs["1"])
    # 3.10 and older need every dispatch watched to know the instruction (keep_last): no pass
    ver = subprocess.run([args.python, "-c", "import sys; print(sys.version_info >= (3, 11))"],
                         capture_output=True, text=True).stdout.strip()
    want_passes = (lambda n: n >= 5) if ver == "True" else (lambda n: n == 0)
    return check(len(printed) == 6 and sorted(got) == sorted(printed) and per_thread and
                 got == got_exact and passes and
                 want_passes(int(passes[0])) and exact_passes == ["0"] and
                 ticks["0"] == ticks["1"] and len(ticks["0"]) == 7 and
                 "No breakpoint hit before this point" in outs["0"] and
                 "error" not in outs["0"],
                 f"sparse reverse-continue: hits {printed[::-1]} at the exact search's ticks "
                 f"{ticks['1']}, with sparse passes; got {got}, ticks {ticks['0']}, "
                 f"passes {passes}/{exact_passes}", outs["0"] + "\n--- exact ---\n" +
                 outs["1"][-1500:])


def line_of_in(path, text):
    return next(i for i, t in enumerate(open(path), 1) if t.strip().startswith(text))


main()
