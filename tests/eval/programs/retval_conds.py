# Returned values and in-tracee conditions (tests/eval/test_retval_conds.py): each function
# prints, as JSON, what it returns; the loop prints the iterations where each condition of
# CONDS is true, as the program itself evaluates it. A conditional breakpoint on the loop's
# `hit` line must stop exactly there, and, since every condition here is of the form the
# watch trampolines check inside the tracee (int comparisons of fast locals and of their
# attributes, `is None`, truth), pytt must evaluate it only at those hits (and, for a condition
# on attributes, at the first hit, where pytt learns the classes the attributes are read from).
import json

CONDS = [
    "v > 480 and flag",
    "i == 1234",
    "v <= -497 or v == 17",
    "not flag and v == 0",
    "w is None and v < -490",
    "-3 < v < 3",
    "p.x > 480 and flag",
    "p.inner.v == 3 and v < -400",
    "p.tag is None and v > 490",
    "p.x == p.inner.v",
]


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def norm1(self):
        return abs(self.x) + abs(self.y)

    def swapped(self):
        return (self.y, self.x, None)


def pair(a, b):
    return [a * 3, str(b), {"k": (a, b)}]


def scaled(p, k):
    return p.norm1() * k + 0.25


def big(n):
    return 2 ** n - 1


def say(name, value):
    print(json.dumps({"returned": name, "value": repr(value)}))


def returns():
    r = pair(7, "x")
    say("pair", r)
    r = scaled(Point(3, -4), 2)
    say("scaled", r)
    r = big(100)
    say("big", r)
    r = Point(1, 2).swapped()
    say("swapped", r)


class Inner:
    def __init__(self, v):
        self.v = v


class Holder:
    """Instances keep their attributes where the class shares keys for them (inline values,
    or 3.10's split dict): conditions on p.x and p.inner.v are read there by the tracee."""

    def __init__(self):
        self.x = 0
        self.tag = None
        self.inner = Inner(0)


def loop(n):
    p = Holder()
    for i in range(n):
        v = (i * 7919) % 1000 - 500
        flag = i % 3 == 0
        w = None if i % 2 else i
        p.x = v
        p.inner.v = i % 7
        p.tag = None if i % 5 else i
        t = i  # the conditions' line
        env = {"i": i, "v": v, "flag": flag, "w": w, "p": p}
        hit = [k for k, c in enumerate(CONDS) if eval(c, None, env)]
        if hit:
            print(json.dumps({"i": i, "true": hit}))


returns()
loop(3000)
