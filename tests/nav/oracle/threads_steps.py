"""Three worker threads run work(k) at once (loops, calls, a generator, an exception caught),
and sleep(0) now and then, so that the others run in between. With --settrace, threading.settrace records
each thread's 'line' events as (thread name, file, line, function) to the file argv[2]."""
import json
import sys
import threading
import time


def helper(x):
    y = x * 2
    return y + 1


def gen(n):
    for i in range(n):
        yield i * i


def work(k):
    total = 0
    for i in range(60 + 10 * k):
        total += helper(i)
        if i % 20 == 0:
            time.sleep(0)  # a syscall that may wait: the other workers run meanwhile
        if i % 7 == 0:
            try:
                raise ValueError(i)
            except ValueError:
                total -= 1
    total += sum(gen(5))
    return total


results = {}


def run(k):
    results[k] = work(k)


events = []
if len(sys.argv) > 1 and sys.argv[1] == "--settrace":
    def tracer(frame, event, arg):
        if event == "line" and frame.f_code.co_filename == __file__:
            events.append((threading.current_thread().name, frame.f_code.co_filename,
                           frame.f_lineno, frame.f_code.co_name))
        return tracer

    threading.settrace(tracer)
ts = [threading.Thread(target=run, args=(k,), name=f"worker-{k}") for k in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sorted(results.items()))
if events:
    with open(sys.argv[2], "w") as f:
        json.dump(events, f)
