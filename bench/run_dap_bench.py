"""DAP benchmark (docs/performance.md): the stepBack round trip of `pytt dap` as an editor sees
it: the stepBack request, the stopped event, then the stackTrace, scopes and variables (Locals)
requests a client sends after every stop; the time from sending stepBack to the variables
response. On the reverse benchmark's recording (bench/reverse_target.py, ~30 s natively by
default): a function breakpoint on marker() with a hit condition stops at `--moments` points
spread over the run; at each, `--steps` consecutive stepBacks are timed. A minimal DAP client
(framing and JSON only) drives the adapter over stdin/stdout; the DebugClient tests
(tests/dap) check the behaviour, this measures it.

    /usr/bin/python3 bench/run_dap_bench.py [--pytt build/cli/pytt] [--seconds 30] [--moments 10] [--steps 10]
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join(ROOT, "bench", "reverse_target.py")
MARK_EVERY = 20000  # reverse_target.py calls marker() every MARK_EVERY iterations


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Adapter:
    def __init__(self, pytt):
        self.p = subprocess.Popen([pytt, "dap"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.seq = 0
        self.pending = []

    def send(self, command, arguments=None):
        self.seq += 1
        body = json.dumps({"seq": self.seq, "type": "request", "command": command,
                           "arguments": arguments or {}}).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()
        return self.seq

    def read(self):
        length = None
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("pytt dap exited")
            line = line.strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.p.stdout.read(length))

    def wait(self, pred):
        for i, m in enumerate(self.pending):
            if pred(m):
                return self.pending.pop(i)
        while True:
            m = self.read()
            if pred(m):
                return m
            self.pending.append(m)

    def request(self, command, arguments=None):
        seq = self.send(command, arguments)
        r = self.wait(lambda m: m.get("type") == "response" and m.get("request_seq") == seq)
        if not r["success"]:
            raise RuntimeError(f"{command}: {r.get('message')}")
        return r

    def stopped(self):
        self.pending = [m for m in self.pending if m.get("event") != "output"]
        return self.wait(lambda m: m.get("event") == "stopped")

    def inspect(self, thread):
        frames = self.request("stackTrace", {"threadId": thread, "levels": 20})["body"]["stackFrames"]
        scopes = self.request("scopes", {"frameId": frames[0]["id"]})["body"]["scopes"]
        self.request("variables", {"variablesReference": scopes[0]["variablesReference"]})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pytt", default=os.path.join(ROOT, "build", "cli", "pytt"))
    ap.add_argument("--python", default="/usr/bin/python3.11")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--moments", type=int, default=10)
    ap.add_argument("--steps", type=int, default=10)
    args = ap.parse_args()
    trace = os.path.join(tempfile.mkdtemp(), "trace")
    subprocess.run([args.pytt, "record", "-o", trace, args.python, TARGET, str(args.seconds)],
                   check=True, stdout=subprocess.DEVNULL)
    hits = int(args.seconds * 750000) // MARK_EVERY
    every = max(1, hits // (args.moments + 1))
    a = Adapter(args.pytt)
    a.request("initialize", {"adapterID": "pytt"})
    a.request("launch", {"trace": trace})
    a.request("setFunctionBreakpoints", {"breakpoints": [{"name": "marker",
                                                          "hitCondition": f"%{every}"}]})
    a.request("configurationDone")
    times = []
    for _ in range(args.moments):
        ev = a.stopped()
        if ev["body"]["reason"] != "function breakpoint":
            break
        thread = ev["body"]["threadId"]
        a.inspect(thread)
        for _ in range(args.steps):
            t0 = time.perf_counter()
            a.send("stepBack", {"threadId": thread})
            ev = a.stopped()
            a.inspect(ev["body"]["threadId"])
            times.append(time.perf_counter() - t0)
        a.send("continue", {"threadId": thread})
    a.request("disconnect")
    a.p.wait(30)
    load = open("/proc/loadavg").read().split()[:3]
    print(f"pytt dap stepBack round trip (stepBack -> stopped + stackTrace + scopes + variables), "
          f"{len(times)} samples at {args.moments} moments of a {args.seconds:g} s recording; "
          f"load average {' '.join(load)}")
    print("| measure | p50 | p99 | target |")
    print("|---|---|---|---|")
    print(f"| stepBack round trip | {pct(times, 50) * 1000:.1f} ms | {pct(times, 99) * 1000:.1f} ms "
          f"| p50 <= 30 ms |")


if __name__ == "__main__":
    main()
