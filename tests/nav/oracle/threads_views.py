"""Five threads wait at a gate, each with its own locals, in worker() or in inner() that worker
called (one of them started by another thread). When all of them wait there, the main thread
reaches the line marked BREAK and, from that line (its frame is still on it), prints what every thread's stack is (file,
line, function, innermost first) and the locals of each frame of this file, as one JSON line
(sys._current_frames). pytt's bt and locals of every thread at a breakpoint on that line must
say the same."""
import json
import sys
import threading
import time

gate = threading.Lock()
gate.acquire()
WAITS = {i for i, text in enumerate(open(__file__), 1) if text.strip().endswith("# WAIT")}


def inner(k, items):
    label = f"inner-{k}"
    total = sum(items)
    gate.acquire()  # WAIT
    gate.release()
    return label, total


def worker(k):
    items = [k * i for i in range(k + 2)]
    name = threading.current_thread().name
    table = {"k": k, "square": k * k, "odd": bool(k % 2)}
    if k == 3:
        sub = threading.Thread(target=worker, args=(10,), name="w3-sub")
        sub.start()
    if k % 2:
        return inner(k, items)
    gate.acquire()  # WAIT
    gate.release()
    return name, table


def all_waiting():
    frames = sys._current_frames()
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    return len(others) == 5 and all(
        t.ident in frames and frames[t.ident].f_lineno in WAITS and
        frames[t.ident].f_code.co_filename == __file__ for t in others)


def describe(frame):
    stack = []
    while frame is not None:
        mine = frame.f_code.co_filename == __file__ and frame.f_code.co_name != "<module>"
        stack.append([frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name,
                      [[k, repr(v)] for k, v in frame.f_locals.items()] if mine else None])
        frame = frame.f_back
    return stack


threads = [threading.Thread(target=worker, args=(k,), name=f"w{k}") for k in range(4)]
for t in threads:
    t.start()
while not all_waiting():
    time.sleep(0.001)
stacks = {ident: describe(frame) for ident, frame in sys._current_frames().items()}  # BREAK
report = [{"name": t.name, "tid": t.native_id, "stack": stacks[t.ident]}
          for t in threading.enumerate()]
print(json.dumps(report), flush=True)
gate.release()
for t in threading.enumerate():
    if t is not threading.main_thread():
        t.join()
