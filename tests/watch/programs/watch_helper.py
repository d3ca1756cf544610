"""The other module of watch_oracle.py: logging, and an object changed in place by its own
method (Box.add appends to box.items, which stays the same list)."""
import sys


def log(name, value):
    """Print one change as the test expects it: name, file:line of the caller, repr of the
    value, and the thread's name."""
    f = sys._getframe(1)
    file = f.f_code.co_filename.rsplit("/", 1)[-1]
    threading = sys.modules.get("threading")  # not imported here: fewer instructions to replay
    thread = threading.current_thread().name if threading else "MainThread"
    print(f"CHANGE {name} {file}:{f.f_lineno} {value!r} {thread}", flush=True)


class Box:
    def __init__(self):
        self.items = []

    def add(self, x):
        self.items.append(x); log("box.items", self.items)
