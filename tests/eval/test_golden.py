"""Golden transcripts of the evaluation commands: golden/NAME.py is recorded, golden/NAME.pytt
is fed to the replay shell on stdin (so that `interact` reads its lines too), and the shell's
output, with addresses masked (0xADDR) and this directory written <DIR>, must equal
golden/NAME.expected. Covers print/p, pp, !, whatis, display/undisplay/info display, args/a,
finish's "Value returned", retval, __return__, interact, set/show eval-timeout, and errors.
`--update` rewrites the expected files (check the diff).

Exit 0 if every transcript matched, 1 otherwise, 77 if the interpreter is absent."""
import difflib
import glob
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nav"))
import navlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")


def masked(text):
    text = text.replace(GOLDEN, "<DIR>")
    return re.sub(r"0x[0-9a-f]{6,}", "0xADDR", text)


def transcript(args, prog, tmp):
    trace = os.path.join(tmp, os.path.basename(prog) + ".trace")
    navlib.record(args.pytt, args.python, prog, trace)
    with open(prog[:-3] + ".pytt") as cmds:
        p = subprocess.run([args.pytt, "replay", trace, "--program-output", os.devnull],
                           stdin=cmds, capture_output=True, env=navlib.env(), timeout=300)
    return masked(p.stdout.decode())


def main():
    args = navlib.pytt_args(lambda ap: ap.add_argument("--update", action="store_true"))
    tmp = tempfile.mkdtemp(prefix="pytt-golden-")
    fails = []
    for prog in sorted(glob.glob(os.path.join(GOLDEN, "*.py"))):
        got = transcript(args, prog, tmp)
        exp_path = prog[:-3] + ".expected"
        if args.update:
            with open(exp_path, "w") as f:
                f.write(got)
            continue
        want = open(exp_path).read()
        if got != want:
            diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                exp_path, "pytt"))
            fails.append(f"{os.path.basename(prog)} transcript differs:\n{diff}")
    navlib.finish(fails, tmp, f"kept {tmp}", "FAILED")


if __name__ == "__main__":
    main()
