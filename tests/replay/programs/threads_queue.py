# nondeterministic
# Producer/consumer threads through queue.Queue, with a sentinel; the consumers' interleaving
# and timings are printed.
import queue
import threading
import time

q = queue.Queue(maxsize=5)
out = []
out_lock = threading.Lock()


def producer(k):
    for i in range(40):
        q.put((k, i))
        if i % 7 == 0:
            time.sleep(0.001)


def consumer(name):
    while True:
        item = q.get()
        if item is None:
            q.task_done()
            return
        with out_lock:
            out.append((name, item))
        q.task_done()


cons = [threading.Thread(target=consumer, args=(f"c{i}",)) for i in range(3)]
prods = [threading.Thread(target=producer, args=(k,)) for k in range(2)]
for t in cons + prods:
    t.start()
for t in prods:
    t.join()
for _ in cons:
    q.put(None)
for t in cons:
    t.join()
print(len(out), out[:10], out[-5:], time.time())
print("END threads_queue")
