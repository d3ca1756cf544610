# nondeterministic
# logging.handlers.QueueListener on its own thread, fed by worker threads.
import logging
import logging.handlers
import queue
import sys
import threading
import time

q = queue.Queue()
handler = logging.StreamHandler(sys.stdout)
handler.setFormatter(logging.Formatter("%(threadName)s %(message)s"))
listener = logging.handlers.QueueListener(q, handler)
log = logging.getLogger("t")
log.addHandler(logging.handlers.QueueHandler(q))
log.setLevel(logging.INFO)
listener.start()


def worker(i):
    for k in range(5):
        log.info("worker %d step %d", i, k)


ws = [threading.Thread(target=worker, args=(i,), name=f"W{i}") for i in range(3)]
for w in ws:
    w.start()
for w in ws:
    w.join()
listener.stop()
print("time", time.time())
print("END threads_logging")
