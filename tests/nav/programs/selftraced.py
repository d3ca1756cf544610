# A program that traces itself with sys.settrace over part of its run, as coverage.py or a
# profiler does (3.12+: which instruments the bytecode in place; 3.11: DO_TRACING), chaining
# to the tracer already installed if any. Stepping, breakpoints and reverse motions must see
# the same lines as without it.
import sys

seen = []


def make_tracer(previous):
    def tracer(frame, event, arg):
        if event == "line":
            seen.append(frame.f_lineno)
        if previous is not None:
            previous(frame, event, arg)
        return tracer
    return tracer


def work(n):
    total = 0
    for i in range(n):
        if i % 2:
            total += i
        else:
            total -= 1
    return total


def helper(values):
    return [v * 2 for v in values if v]


before = work(3)
old = sys.gettrace()
sys.settrace(make_tracer(old))
during = work(6)
doubled = helper([0, 1, 2])
sys.settrace(old)
after = work(4)
summary = (before, during, doubled, after, len(seen))
END_OF_PROGRAM = True
