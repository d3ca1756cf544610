# nondeterministic
# status: 7
# expect: boom in thread
# Threads started from threads, a thread that raises (the default excepthook prints it), 10
# threads at once, daemon threads still running when a thread calls os._exit(7).
import os
import sys
import threading
import time

done = []


def leaf(i):
    s = sum(range(1000 * i))
    done.append((i, s))


def starter():
    inner = [threading.Thread(target=leaf, args=(i,)) for i in range(10)]
    for t in inner:
        t.start()
    for t in inner:
        t.join()


def raiser():
    raise RuntimeError("boom in thread")


def spinner():
    n = 0
    while True:
        n += 1
        if n % 50000 == 0:
            time.sleep(0)


t = threading.Thread(target=starter)
t.start()
t.join()
r = threading.Thread(target=raiser)
r.start()
r.join()
for _ in range(2):
    threading.Thread(target=spinner, daemon=True).start()
print(sorted(done), time.time(), flush=True)
sys.stderr.flush()


def exiter():
    time.sleep(0.01)
    os._exit(7)


threading.Thread(target=exiter).start()
while True:
    time.sleep(0.001)
