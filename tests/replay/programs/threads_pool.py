# nondeterministic
# ThreadPoolExecutor.map and submit with as_completed: results in order, plus the order of
# completion (nondeterministic natively, replayed exactly).
import concurrent.futures as cf
import hashlib
import time


def work(n):
    h = hashlib.sha256()
    for i in range(2000 + n * 37):
        h.update(str(i * n).encode())
    return n, h.hexdigest()[:8], time.monotonic_ns() % 1000


with cf.ThreadPoolExecutor(max_workers=4) as ex:
    print("map", [r[:2] for r in ex.map(work, range(12))])
    futs = [ex.submit(work, n) for n in range(8)]
    print("completed", [f.result()[0] for f in cf.as_completed(futs)], time.time())
print("END threads_pool")
