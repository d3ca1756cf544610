# A multiprocessing.Pool of 4 workers (start method: argv[1]) maps work() over 16 tasks. Each
# worker writes one line per task, under a Lock shared by all (a semaphore in shared memory),
# so the lines of different workers never race; the parent prints the results.
import multiprocessing as mp
import os
import sys


def work(x, tag):
    y = x * x + len(tag)
    with LOCK:
        os.write(1, f"W {os.getpid()} work x={x!r} tag={tag!r} y={y!r}\n".encode())
    return y


def job(args):
    return work(*args)


def init(lock):
    global LOCK
    LOCK = lock


if __name__ == "__main__":
    mp.set_start_method(sys.argv[1])
    lock = mp.Lock()
    pool = mp.Pool(4, initializer=init, initargs=(lock,))
    res = pool.map(job, [(i, "t" * (i % 3)) for i in range(16)], chunksize=1)
    pool.close()
    pool.join()
    print("P results", res, flush=True)
    print("END pool_workers", flush=True)
