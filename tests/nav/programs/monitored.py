# A program that switches on CPython's event machinery the way tools do: sys.monitoring
# (3.12+: LINE, BRANCH and JUMP events for a coverage tool, which disables each location after
# its first event, so the bytecode is instrumented and then partly de-instrumented while the
# program runs) and sys.setprofile (every version). Stepping, breakpoints and reverse motions
# must see the same lines as without them.
import sys

lines = set()
calls = []


def on_line(code, line):
    lines.add((code.co_name, line))
    return DISABLE


def on_jump(code, src, dst):
    return DISABLE


def profiler(frame, event, arg):
    if event == "call":
        calls.append(frame.f_code.co_name)


def work(n):
    total = 0
    for i in range(n):
        if i % 3 == 0:
            total += i
        elif i % 3 == 1:
            total -= 1
    return total


mon = getattr(sys, "monitoring", None)
DISABLE = mon.DISABLE if mon else None
if mon:
    tool = mon.COVERAGE_ID
    mon.use_tool_id(tool, "monitored")
    mon.register_callback(tool, mon.events.LINE, on_line)
    mon.register_callback(tool, mon.events.JUMP, on_jump)
    mon.register_callback(tool, mon.events.BRANCH, on_jump)
    mon.set_events(tool, mon.events.LINE | mon.events.JUMP | mon.events.BRANCH)
first = work(5)
sys.setprofile(profiler)
second = work(7)
sys.setprofile(None)
if mon:
    mon.set_events(tool, 0)
    mon.free_tool_id(tool)
third = work(4)
summary = (first, second, third, len(lines), len(calls))
END_OF_PROGRAM = True
