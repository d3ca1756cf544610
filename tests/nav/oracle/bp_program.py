"""Breakpoint oracle program (tests/nav/test_breakpoints.py): at every `probe("LABEL", ...)`
line it prints one `HIT {json}` line with repr() of the caller's locals and its stack as
traceback.extract_stack() reports it (file, line, function per frame, outermost first). The
test sets breakpoints on those lines and checks that pytt, stopped there, shows the same values.
Control flow is deterministic; change it only together with the test's scenario."""
import json
import sys
import traceback


def probe(label, loc=None, extra=None, line=None):
    """One oracle record for the caller's current line (or `line`: the caller's frame as it
    was at that line, for lines that cannot hold a probe call themselves)."""
    caller = sys._getframe(1)
    stack = [[fs.filename, fs.lineno, fs.name] for fs in traceback.extract_stack(caller)]
    if line is not None:
        stack[-1][1] = line
    rec = {"label": label, "stack": stack,
           "locals": None if loc is None else [[k, repr(v)] for k, v in loc.items()],
           "extra": {k: repr(v) for k, v in (extra or {}).items()}}
    print("HIT " + json.dumps(rec))


def loop_hits(n):
    total = 0
    for i in range(n):
        total += i * i
        probe("loop", locals())
    return total


def cond_hits(n):
    for i in range(n):
        word = "w%d" % i
        maybe = None if i % 3 else i
        probe("cond_int", locals())
        probe("cond_str", locals())
        probe("cond_none", locals())


def tmp_hits(n):
    for i in range(n):
        sq = i * i
        probe("tmp", locals())


def toggle_hits(n):
    for i in range(n):
        probe("toggle", locals())
        if i == 6:
            probe("marker", locals())


def delete_hits(n):
    for i in range(n):
        probe("del", locals())


def compute(a, b):
    probe("compute", locals())
    return a * b + 1


class Circle:
    def __init__(self, r):
        self.r = r

    def area(self):
        probe("circle_area", locals(), {"self.r": self.r})
        return 3 * self.r * self.r


class Rect:
    def __init__(self, w, h):
        self.w = w
        self.h = h

    def area(self):
        probe("rect_area", locals(), {"self.w": self.w, "self.h": self.h})
        return self.w * self.h


def fused(a, b):
    c = a
    d = b  # BP:fused (STORE_FAST__LOAD_FAST joins it to the line above once quickened)
    e = c
    probe("fused", {"a": a, "b": b, "c": c}, line=fused.__code__.co_firstlineno + 2)
    return d + e


def gen(n):
    for i in range(n):
        val = i * 10
        probe("gen", locals())
        yield val


def fact(n):
    if n <= 1:
        return 1
    probe("fact", locals())
    return n * fact(n - 1)


def make_counter(start):
    count = start

    def bump(step):
        nonlocal count
        count += step
        probe("closure", locals())
        return count
    return bump


def risky(k):
    if k % 2:
        raise ValueError(k)
    return k


def handle(n):
    caught = []
    for k in range(n):
        try:
            risky(k)
        except ValueError as exc:
            caught.append(k)
            probe("handler", locals())
    return caught


def main():
    results = [loop_hits(40)]
    cond_hits(20)
    tmp_hits(5)
    toggle_hits(10)
    delete_hits(6)
    for k in range(3):
        results.append(compute(k, k + 1))
        results.append(Circle(k + 1).area())
        results.append(Rect(k + 2, k + 3).area())
    import bp_helper
    for k in range(4):
        results.append(bp_helper.helper_fn(k))
    for k in range(50):
        results.append(fused(k, 100 - k))
    results.append(sum(gen(4)))
    results.append(fact(6))
    bump = make_counter(10)
    results.append(bump(1) + bump(2))
    results.append(handle(5))
    probe("module_end", None, {"results": results})


main()
