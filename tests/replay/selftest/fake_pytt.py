#!/usr/bin/python3
"""A stand-in for pytt used only to test the test harness itself (selftest.py): `record` runs
the program natively and stores its combined output as the "trace"; `replay -a` writes it back.
FAKE_PYTT_MODE=flip corrupts one replayed byte, =status replays a wrong exit status."""
import os
import subprocess
import sys


def main():
    args = sys.argv[1:]
    mode = os.environ.get("FAKE_PYTT_MODE", "good")
    if args[:1] == ["record"]:
        out = args[args.index("-o") + 1]
        cmd = args[args.index("--") + 1:]
        os.makedirs(out, exist_ok=True)
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        sys.stdout.buffer.write(p.stdout)
        status = p.returncode if p.returncode >= 0 else 128 - p.returncode
        with open(os.path.join(out, "events"), "wb") as f:
            f.write(p.stdout)
        with open(os.path.join(out, "header"), "w") as f:
            f.write(str(status))
        sys.exit(status)
    if args[:1] == ["replay"]:
        d = args[1]
        try:
            data = open(os.path.join(d, "events"), "rb").read()
            status = int(open(os.path.join(d, "header")).read())
        except (OSError, ValueError) as e:
            print(f"pytt: bad trace {d}: {e}", file=sys.stderr)
            sys.exit(125)
        if mode == "flip" and data:
            data = data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 1]) + data[len(data) // 2 + 1:]
        if mode == "status":
            status += 1
        if "--program-output" in args:
            with open(args[args.index("--program-output") + 1], "wb") as f:
                f.write(data)
        else:
            sys.stdout.buffer.write(data)
        sys.exit(status)
    print("pytt: fake pytt: unsupported command", file=sys.stderr)
    sys.exit(125)


main()
