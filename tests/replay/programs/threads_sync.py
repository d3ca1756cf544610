# nondeterministic
# Condition, Event, Barrier, Semaphore, RLock and threading.Timer between 6 threads.
import threading
import time

log = []
cond = threading.Condition()
items = []
ev = threading.Event()
barrier = threading.Barrier(3)
sem = threading.Semaphore(2)
rlock = threading.RLock()


def waiter(i):
    with cond:
        while not items:
            cond.wait(timeout=1)
        log.append(("got", i, items.pop()))


def barrier_party(i):
    ev.wait()
    k = barrier.wait()
    with sem, rlock, rlock:
        log.append(("barrier", i, k >= 0))
        time.sleep(0.002)


ts = [threading.Thread(target=waiter, args=(i,)) for i in range(2)]
ts += [threading.Thread(target=barrier_party, args=(i,)) for i in range(3)]
for t in ts:
    t.start()
timer = threading.Timer(0.01, lambda: log.append(("timer", time.monotonic() > 0)))
timer.start()
time.sleep(0.005)
with cond:
    items.extend([1, 2])
    cond.notify_all()
ev.set()
for t in ts:
    t.join()
timer.join()
print(sorted(log), log, time.time())
print("END threads_sync")
