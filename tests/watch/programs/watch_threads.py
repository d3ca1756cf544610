"""Two threads write the same attribute; each write logs itself (under a lock, so the log's
order is the writes' order) with the thread's name."""
import threading
import time

from watch_helper import log


class Shared:
    def __init__(self):
        self.value = 0


shared = Shared(); log("shared.value", shared.value)
lock = threading.Lock()


def writer(base, n):
    for i in range(n):
        with lock:
            shared.value = base + i; log("shared.value", shared.value)
        time.sleep(0.002)


t1 = threading.Thread(target=writer, args=(100, 5), name="w1")
t2 = threading.Thread(target=writer, args=(200, 5), name="w2")
t1.start()
t2.start()
t1.join()
t2.join()
print("END", shared.value, flush=True)
