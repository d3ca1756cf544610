"""The other module of watch_oracle.py: logging, and an object changed in place by its own
method (Box.add appends to box.items, which stays the same list)."""
import sys
import threading


def log(name, value):
    """Print one change as the test expects it: name, file:line of the caller, repr of the
    value, and the thread's name."""
    f = sys._getframe(1)
    file = f.f_code.co_filename.rsplit("/", 1)[-1]
    print(f"CHANGE {name} {file}:{f.f_lineno} {value!r} {threading.current_thread().name}",
          flush=True)


class Box:
    def __init__(self):
        self.items = []

    def add(self, x):
        self.items.append(x); log("box.items", self.items)
