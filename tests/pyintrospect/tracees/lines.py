"""Control flow for the line-table tests. Each function in CASES runs once under sys.settrace
with opcode events on; for every frame the tracer records each executed instruction as
(previous instruction, instruction, whether a 'line' event fired there). The code objects
(including nested ones: comprehensions, generators, lambdas) are kept in CODES with their
co_lines() and dis.findlinestarts(), then the program pauses so that pytt's line tables and line
event rule can be compared with what CPython really did."""
import dis
import sys

import pyi_tracee

CODES = {}
EVENTS = {}


def loops(n):
    total = 0
    for i in range(n):
        if i % 2:
            total += i
        else:
            total -= 1
    while n > 0:
        n -= 1; total += n  # two statements, one line
    return total


def branches(x):
    y = x if x > 2 else -x
    if x > 5 and \
            x < 100:
        y += 1
    elif x == 3:
        y = (
            y
            + 2
        )
    return [v * 2 for v in range(y)] if y > 0 else []


def handlers(v):
    try:
        r = 10 // v
    except ZeroDivisionError:
        r = -1
    else:
        r += 1
    finally:
        r *= 2
    with open(__file__) as f:
        first = f.readline()
    try:
        raise KeyError(v)
    except (KeyError, ValueError) as e:
        r += len(str(e))
    return r, first[:3]


def gen(n):
    for i in range(n):
        yield i * 2
    yield from range(2)


def consume():
    out = []
    for v in gen(3):
        out.append(v)
    squares = {k: k * k for k in out}
    f = lambda a: (a +
                   1)  # noqa: E731
    return sum(map(f, out)), squares


def one_line_loop():
    i = 0
    while i < 3: i += 1  # noqa: E701
    return i


def many_constants():
    # more than 256 constants and a long body: EXTENDED_ARG and long jumps
    values = [
        0.5, 1.5, 2.5, 3.5, 4.5, 5.5,
        6.5, 7.5, 8.5, 9.5, 10.5, 11.5,
        12.5, 13.5, 14.5, 15.5, 16.5, 17.5,
        18.5, 19.5, 20.5, 21.5, 22.5, 23.5,
        24.5, 25.5, 26.5, 27.5, 28.5, 29.5,
        30.5, 31.5, 32.5, 33.5, 34.5, 35.5,
        36.5, 37.5, 38.5, 39.5, 40.5, 41.5,
        42.5, 43.5, 44.5, 45.5, 46.5, 47.5,
        48.5, 49.5, 50.5, 51.5, 52.5, 53.5,
        54.5, 55.5, 56.5, 57.5, 58.5, 59.5,
        60.5, 61.5, 62.5, 63.5, 64.5, 65.5,
        66.5, 67.5, 68.5, 69.5, 70.5, 71.5,
        72.5, 73.5, 74.5, 75.5, 76.5, 77.5,
        78.5, 79.5, 80.5, 81.5, 82.5, 83.5,
        84.5, 85.5, 86.5, 87.5, 88.5, 89.5,
        90.5, 91.5, 92.5, 93.5, 94.5, 95.5,
        96.5, 97.5, 98.5, 99.5, 100.5, 101.5,
        102.5, 103.5, 104.5, 105.5, 106.5, 107.5,
        108.5, 109.5, 110.5, 111.5, 112.5, 113.5,
        114.5, 115.5, 116.5, 117.5, 118.5, 119.5,
        120.5, 121.5, 122.5, 123.5, 124.5, 125.5,
        126.5, 127.5, 128.5, 129.5, 130.5, 131.5,
        132.5, 133.5, 134.5, 135.5, 136.5, 137.5,
        138.5, 139.5, 140.5, 141.5, 142.5, 143.5,
        144.5, 145.5, 146.5, 147.5, 148.5, 149.5,
        150.5, 151.5, 152.5, 153.5, 154.5, 155.5,
        156.5, 157.5, 158.5, 159.5, 160.5, 161.5,
        162.5, 163.5, 164.5, 165.5, 166.5, 167.5,
        168.5, 169.5, 170.5, 171.5, 172.5, 173.5,
        174.5, 175.5, 176.5, 177.5, 178.5, 179.5,
        180.5, 181.5, 182.5, 183.5, 184.5, 185.5,
        186.5, 187.5, 188.5, 189.5, 190.5, 191.5,
        192.5, 193.5, 194.5, 195.5, 196.5, 197.5,
        198.5, 199.5, 200.5, 201.5, 202.5, 203.5,
        204.5, 205.5, 206.5, 207.5, 208.5, 209.5,
        210.5, 211.5, 212.5, 213.5, 214.5, 215.5,
        216.5, 217.5, 218.5, 219.5, 220.5, 221.5,
        222.5, 223.5, 224.5, 225.5, 226.5, 227.5,
        228.5, 229.5, 230.5, 231.5, 232.5, 233.5,
        234.5, 235.5, 236.5, 237.5, 238.5, 239.5,
        240.5, 241.5, 242.5, 243.5, 244.5, 245.5,
        246.5, 247.5, 248.5, 249.5, 250.5, 251.5,
        252.5, 253.5, 254.5, 255.5, 256.5, 257.5,
        258.5, 259.5, 260.5, 261.5, 262.5, 263.5,
        264.5, 265.5, 266.5, 267.5, 268.5, 269.5,
        270.5, 271.5, 272.5, 273.5, 274.5, 275.5,
        276.5, 277.5, 278.5, 279.5, 280.5, 281.5,
        282.5, 283.5, 284.5, 285.5, 286.5, 287.5,
        288.5, 289.5, 290.5, 291.5, 292.5, 293.5,
        294.5, 295.5, 296.5, 297.5, 298.5, 299.5,
    ]
    acc = 0
    for v in values:
        if v > 150.0:
            acc += v
        else:
            acc -= v
    return acc


CASES = [(loops, (5,)), (branches, (7,)), (branches, (3,)), (branches, (0,)), (handlers, (0,)),
         (handlers, (2,)), (consume, ()), (one_line_loop, ()), (many_constants, ())]


def collect(code):
    if getattr(code, "co_qualname", code.co_name) in CODES or code.co_filename != __file__:
        return
    CODES[getattr(code, "co_qualname", code.co_name)] = code  # 3.10: no co_qualname
    for c in code.co_consts:
        if hasattr(c, "co_code"):
            collect(c)


def _line_of(code, offset):
    for start, end, line in code.co_lines():
        if start <= offset < end:
            return line
    return None


class Recorder:
    """A trace function recording (prev, cur, line_event_fired) per code object."""

    def __init__(self):
        self.prev = {}
        self.pending = {}

    def __call__(self, frame, event, arg):
        code = frame.f_code
        if code.co_filename != __file__:
            return None
        frame.f_trace_opcodes = True
        key = id(frame)
        if event == "call":
            self.prev[key] = frame.f_lasti
        elif event == "line":
            self.pending[key] = (frame.f_lasti, frame.f_lineno)
        elif event == "opcode":
            cur = frame.f_lasti
            at, line = self.pending.pop(key, (None, None))
            # the event belongs to the instruction about to run; 3.13 reports the line of a
            # backward jump's target from the jump itself (f_lasti still on the jump)
            fired = at == cur or (at is not None and at == self.prev.get(key) and cur < at
                                  and line == _line_of(code, cur))
            EVENTS.setdefault(getattr(code, "co_qualname", code.co_name), []).append(
                (self.prev.get(key, -2), cur, fired))
            self.prev[key] = cur
        return self


def main():
    for fn, args in CASES:
        collect(fn.__code__)
    collect(gen.__code__)
    rec = Recorder()
    # 3.12+ switch opcode events on for the interpreter only when a frame asked for them
    # before sys.settrace (it then instruments the code for them)
    sys._getframe().f_trace_opcodes = True
    sys.settrace(rec)
    for fn, args in CASES:
        fn(*args)
    sys.settrace(None)
    info = {}
    for name, code in CODES.items():
        info[name] = {
            "co_lines": [list(t) for t in code.co_lines()],
            "linestarts": [list(t) for t in dis.findlinestarts(code) if t[1] is not None],
            "firstlineno": code.co_firstlineno,
            "events": EVENTS.get(name, []),
        }
    pyi_tracee.pause(extra={"codes": info, "extended_arg": dis.opmap["EXTENDED_ARG"]})


main()
