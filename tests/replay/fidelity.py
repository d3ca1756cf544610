#!/usr/bin/python3
"""Record/replay fidelity test of one program from tests/replay/programs/.

    fidelity.py --pytt PYTT --program programs/NAME.py [--workdir DIR] [--python PY]
    fidelity.py --native-only --program ...      (validate the program without pytt)

Oracle:
 1. two native runs: exit status as declared in the header, expected text present, and (for
    `# nondeterministic` programs) the two outputs differ, so the replay comparison means
    something;
 2. `pytt record -o DIR -- PY PROG ARGS` with stdout+stderr into one file (stdin from a file
    when the program reads it, and an env var set only for this run): same exit status,
    expected text present, DIR/events and DIR/header exist;
 3. `pytt replay DIR -a --program-output OUT2` with another environment and stdin=/dev/null:
    OUT2 equals the recorded output byte for byte and the exit status equals the recorded one.
"""

import argparse
import os
import secrets
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402


def check_expected_text(output, expect, what):
    missing = [e for e in expect if e.encode() not in output]
    if missing:
        raise H.TestFailure(f"{what}: expected text missing: {missing}\n  output tail:\n"
                            f"{H.tail_text(output)}")


def record_replay(pytt, cmd, wd, *, record_env, replay_env, stdin_path=None,
                  expected_status=None, expect=(), tag="", cwd=None):
    """Records cmd under pytt into wd/trace<tag>, replays it, and compares. Returns
    (trace_dir, recorded_output, record_result)."""
    trace = wd(f"trace{tag}")
    rec_out = wd(f"record{tag}.out")
    rep_out = wd(f"replay{tag}.out")
    rec = H.run([pytt, "record", "-o", trace, "--"] + list(cmd), env=record_env,
                cwd=cwd or wd.path, stdin_path=stdin_path, out_path=rec_out)
    recorded = H.read(rec_out)
    if rec.timed_out:
        raise H.TestFailure(f"record hung: {rec.describe()}\n  output tail:\n"
                            f"{H.tail_text(recorded)}")
    if expected_status is not None and rec.status != expected_status:
        extra = " (pytt's own failure status)" if rec.status == H.PYTT_STATUS else ""
        raise H.TestFailure(
            f"record exit status {rec.status}{extra}, expected the program's status "
            f"{expected_status}\n  result: {rec.describe()}\n  output tail:\n"
            f"{H.tail_text(recorded)}")
    check_expected_text(recorded, expect, "recorded output (record must pass stdout/stderr "
                                          "through)")
    for f in ("events", "header"):
        if not os.path.isfile(os.path.join(trace, f)):
            raise H.TestFailure(f"record succeeded but {trace}/{f} does not exist "
                                f"(contents: {sorted(os.listdir(trace)) if os.path.isdir(trace) else 'no such dir'})")
    rep_cmd = [pytt, "replay", trace, "-a", "--program-output", rep_out]
    rep = H.run(rep_cmd, env=replay_env, cwd=cwd or wd.path, capture=True)
    replayed = H.read(rep_out) if os.path.exists(rep_out) else b""
    problems = []
    if rep.timed_out:
        problems.append("replay hung (timed out and was killed)")
    elif rep.status != rec.status:
        first = H.first_pytt_line(rep.stderr)
        problems.append(f"replay exit status {rep.status}, recorded {rec.status}"
                        + (f" -- {first}" if first else ""))
    if not os.path.exists(rep_out):
        problems.append(f"replay did not create {rep_out}")
    diff = H.describe_difference(recorded, replayed)
    if diff:
        problems.append("replayed output differs from the recorded output:\n" + diff)
    if problems:
        raise H.TestFailure(
            "\n".join(problems) + f"\n  replay: {rep.describe()}\n"
            f"  replay's own stderr:\n{H.tail_text(rep.stderr)}\n"
            f"  replay's own stdout:\n{H.tail_text(rep.stdout, 5)}")
    return trace, recorded, rec


def native_checks(python, prog, hdr, wd, env, stdin_path):
    outs = []
    for i in (1, 2):
        out = wd(f"native{i}.out")
        r = H.run([python, prog] + hdr["args"], env=env, cwd=wd.path, stdin_path=stdin_path,
                  out_path=out, timeout=H.NATIVE_TIMEOUT)
        data = H.read(out)
        if r.timed_out or r.status != hdr["status"]:
            raise H.TestFailure(f"native run {i}: {r.describe()}, expected exit status "
                                f"{hdr['status']} (the test program itself is broken)\n"
                                f"{H.tail_text(data)}")
        check_expected_text(data, hdr["expect"], f"native run {i}")
        outs.append(data)
    if hdr["same_as_native"] and outs[0] != outs[1]:
        raise H.TestFailure("the program is marked `# same-as-native` but two native runs "
                            "differ:\n" + H.describe_difference(outs[0], outs[1], "native 1",
                                                                 "native 2"))
    if hdr["nondeterministic"] and outs[0] == outs[1]:
        raise H.TestFailure("the program is marked `# nondeterministic` but two native runs "
                            "produced identical output: the replay comparison would prove "
                            "nothing")
    return outs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pytt")
    ap.add_argument("--python", default=H.DEFAULT_PYTHON)
    ap.add_argument("--program", required=True)
    ap.add_argument("--workdir", default=H.DEFAULT_WORKDIR)
    ap.add_argument("--native-only", action="store_true")
    ap.add_argument("--tag", default="", help="suffix of the test's name and work directory "
                    "(several interpreters at once)")
    a = ap.parse_args()
    if not a.native_only and not a.pytt:
        ap.error("--pytt is required unless --native-only")
    prog = os.path.abspath(a.program)
    name = os.path.splitext(os.path.basename(prog))[0]
    hdr = H.parse_header(prog)
    name += "." + a.tag if a.tag else ""
    wd = H.WorkDir(a.workdir, ("native." if a.native_only else "replay.") + name)
    pytt = os.path.abspath(a.pytt) if a.pytt else None

    def body():
        if not os.path.exists(a.python):
            raise H.Skip(f"{a.python} is not installed")
        stdin_path = None
        if hdr["stdin"] == "random":
            stdin_path = wd("stdin.txt")
            H.make_random_stdin(stdin_path)
        record_env = H.clean_env(PYTT_RECORD_ONLY_VAR="rec-" + secrets.token_hex(4))
        natives = native_checks(a.python, prog, hdr, wd, record_env, stdin_path)
        if a.native_only:
            return
        # Replay runs with a different environment than record.
        replay_env = H.clean_env(PYTT_REPLAY_ONLY_VAR="replay")
        _, recorded, _ = record_replay(pytt, [a.python, prog] + hdr["args"], wd,
                                       record_env=record_env, replay_env=replay_env,
                                       stdin_path=stdin_path, expected_status=hdr["status"],
                                       expect=hdr["expect"])
        if hdr["same_as_native"]:
            d = H.describe_difference(natives[0], recorded, "native", "recorded")
            if d:
                raise H.TestFailure("recording changed what the program observes (it is "
                                    "`# same-as-native`; replay matched the recording):\n" + d)

    def hint():
        if a.native_only or not os.path.isdir(wd("trace")):
            return []
        return [f"cd {wd.path} && {pytt} replay {wd('trace')} -a"]

    H.main(f"replay.{name}", body, wd, hint)


if __name__ == "__main__":
    main()
