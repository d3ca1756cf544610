# A multiprocessing.Pool of 4 workers (start method: argv[1]) maps work() over 16 tasks. Each
# worker writes one line per task and counts it in a shared Value, under a Lock shared by all
# (semaphores and the counter live in shared memory), so the lines of different workers never
# race; the parent polls the counter under the Lock meanwhile, then prints the results.
import multiprocessing as mp
import os
import sys
import time


def work(x, tag):
    y = x * x + len(tag)
    with LOCK:
        COUNT.value += 1
        os.write(1, f"W {os.getpid()} work x={x!r} tag={tag!r} y={y!r}\n".encode())
    return y


def job(args):
    return work(*args)


def init(lock, count):
    global LOCK, COUNT
    LOCK, COUNT = lock, count


if __name__ == "__main__":
    mp.set_start_method(sys.argv[1])
    lock = mp.Lock()
    count = mp.Value("i", 0, lock=False)
    pool = mp.Pool(4, initializer=init, initargs=(lock, count))
    r = pool.map_async(job, [(i, "t" * (i % 3)) for i in range(16)], chunksize=1)
    polls = 0
    while not r.ready():
        with lock:
            polls += count.value >= 0
        time.sleep(0.001)
    res = r.get()
    with lock:
        print("P counted", count.value, "polled", polls > 0, flush=True)
    pool.close()
    pool.join()
    print("P results", res, flush=True)
    print("END pool_workers", flush=True)
