"""Oracle for watch/last/history: every assignment to a watched place logs itself on the same
line (`X = ...; log(...)`), with the line and the new value; no assignment repeats the value
the place already holds. `NAME.attr` through a global is an expression (gdb's rule): its value
first appears where NAME is bound (`plain = Plain(); log(...)`), not in __init__.
Places: a global, a local (every call of work), a plain attribute
(inline values on 3.11+), a __slots__ attribute, a list item, a dict value, and a list changed
in place by a method of another module."""
from watch_helper import Box, log


class Plain:
    def __init__(self):
        self.count = 0


class Slotted:
    __slots__ = ("v",)


def ready():
    print("READY", flush=True)


def work(n):
    acc = 0; log("acc", acc)
    for i in range(n):
        acc = acc + i * 2 + 1; log("acc", acc)
    return acc


counter = 0; log("counter", counter)
plain = Plain(); log("plain.count", plain.count)
slotted = Slotted()
lst = [0, 0, 0]; log("lst[1]", lst[1])
d = {"k": 1}; log("d['k']", d["k"])
box = Box(); log("box.items", box.items)
ready()
for r in range(4):
    counter = counter + 1; log("counter", counter)
    plain.count += 1; log("plain.count", plain.count)
    slotted.v = r * 10; log("slotted.v", slotted.v)
    lst[1] = lst[1] + r + 1; log("lst[1]", lst[1])
    d["k"] = d["k"] * 2; log("d['k']", d["k"])
    box.add(r)
    work(r + 2)
print("END", flush=True)
