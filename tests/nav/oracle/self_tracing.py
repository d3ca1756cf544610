"""A program that traces itself with sys.settrace, as coverage.py, pdb or a profiler would
(tests/nav/test_breakpoints.py): pytt stopping at breakpoints and steps in the traced code must
not change which line events the program's own tracer sees (the replay would diverge)."""
import sys

events = []


def tracer(frame, event, arg):
    if event == "line":
        events.append((frame.f_code.co_name, frame.f_lineno))
    return tracer


def work(n):
    total = 0
    for i in range(n):
        total += i  # BP:traced
    return total


sys.settrace(tracer)
result = work(5)
sys.settrace(None)
print(result, len(events), events)
